"""What the exercise checkers share.

Each checker runs a learner's code against the real game (or real RLlib pieces)
and either confirms the answer or raises :class:`ExerciseError`, whose message
says in plain words what is wrong and how to fix it.

The message is what the learner should read, so it comes first:

- in Jupyter (IPython), :meth:`ExerciseError._render_traceback_` shows the
  message, then only the learner's own frames (the lines of *their* code where
  their code failed, if it did), never the checker's source;
- in a plain Python process, the public ``check_exerciseN`` functions (decorated
  with :func:`checker`) raise the error with a traceback cut down to the
  learner's frames, no chained exception, and a message of bounded length.

Inside a checker, :func:`fail` raises the error; ``fail(msg, learner_error=err)``
also keeps the learner's exception ``err`` (its type, text and frames) for the
display. The checkers' fakes (a recording env, a recording policy) raise
:class:`Mistake` from inside the learner's code when they see a known mistake:
it derives from ``BaseException`` so that a learner's ``except Exception:`` does
not swallow it, and the checker turns it into an :class:`ExerciseError` that
points at the learner's line.
"""

from __future__ import annotations

import contextlib
import functools
import linecache
import signal
import sys
import sysconfig
import threading
import types
from pathlib import Path

#: The longest message an ExerciseError shows (learner values are quoted in messages).
MAX_MESSAGE = 2000
#: The most frames of the learner's code shown (a deep recursion stays readable).
MAX_FRAMES = 8

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # src/handson_rl
_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def _installed_dirs() -> tuple[str, ...]:
    """Python's own library and the installed packages (not the learner's code)."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(path)
    return tuple(str(Path(d).resolve()) for d in dirs if d)


_INSTALLED = _installed_dirs()


def is_learner_file(filename: str) -> bool:
    """Whether a frame's file is the learner's code: a notebook cell or their own
    file, not this course package, Python itself or an installed library."""
    if not filename or filename.startswith("<frozen"):
        return False
    if filename.startswith("<"):  # "<string>", "<stdin>", an exec'd cell
        return True
    try:
        path = str(Path(filename).resolve())
    except (OSError, RuntimeError):
        return True
    return not path.startswith((_PACKAGE_DIR, *_INSTALLED))


def learner_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """A copy of the traceback ``tb`` with only the learner's frames (the last
    :data:`MAX_FRAMES` of them), or None when none of its frames is theirs."""
    entries = []
    while tb is not None:
        if is_learner_file(tb.tb_frame.f_code.co_filename):
            entries.append(tb)
        tb = tb.tb_next
    trimmed = None
    for entry in reversed(entries[-MAX_FRAMES:]):
        trimmed = types.TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return trimmed


def _shorten(text: str, limit: int) -> str:
    return (
        text
        if len(text) <= limit
        else text[: limit - 30] + f" ... ({len(text) - limit + 30} more characters)"
    )


class Mistake(BaseException):
    """Raised by a checker's fake (env, policy, dict) inside the learner's code when
    it sees a known mistake; the checker turns it into an :class:`ExerciseError`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ExerciseError(AssertionError):
    """Your answer does not do what the exercise asks yet; the message says why."""

    def __init__(self, message: str, learner_error: BaseException | None = None):
        super().__init__(_shorten(str(message), MAX_MESSAGE))
        #: The exception the learner's code raised (None when it ran fine).
        self.learner_error = learner_error

    @property
    def message(self) -> str:
        return self.args[0]

    def learner_frames(self) -> list[tuple[str, int, str]]:
        """(file, line number, function) of each learner frame, outermost first."""
        err = self.learner_error
        tb = learner_traceback(err.__traceback__) if err is not None else None
        frames = []
        while tb is not None:
            code = tb.tb_frame.f_code
            same_line = frames and frames[-1][:2] == (code.co_filename, tb.tb_lineno)
            if not same_line:  # a comprehension's frame repeats its line: show it once
                frames.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        return frames

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show for this error (IPython's protocol: a list of
        lines, shown instead of the usual traceback): the message first, then the
        learner's own frames, then the learner's own error, if any."""
        first, *rest = self.message.splitlines() or [""]
        lines = [f"{_RED}{_BOLD}ExerciseError{_RESET}: {first}", *rest]
        frames = self.learner_frames()
        if frames:
            lines += ["", "Where, in your code (most recent call last):"]
            for filename, lineno, name in frames:
                lines.append(f"  {_frame_label(filename, lineno, name)}")
                source = linecache.getline(filename, lineno).strip()
                if source:
                    lines.append(f"    {_BOLD}{source}{_RESET}")
        err = self.learner_error
        said = f"{type(err).__name__}: {err}"
        if err is not None and not isinstance(err, Mistake) and said[:200] not in self.message:
            lines.append(f"{_RED}{type(err).__name__}{_RESET}: {_shorten(str(err), 500)}")
        return lines


def _frame_label(filename: str, lineno: int, name: str) -> str:
    """``Cell In[4], line 3, in run_episode`` for a notebook cell (as IPython says
    it), ``File "x.py", line 3, in run_episode`` otherwise."""
    where = f'File "{filename}"'
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    compiler = getattr(shell, "compile", None)
    formatted = getattr(compiler, "format_code_name", lambda _name: None)(filename)
    if formatted:
        where = " ".join(formatted)
    return f"{where}, line {lineno}, in {name}"


@contextlib.contextmanager
def time_limit(seconds: float, message: str):
    """Raise :class:`Mistake` with ``message`` inside the learner's code if the block
    runs longer than ``seconds`` (a loop that never calls anything the checker
    counts). Uses SIGALRM, so only in the main thread of a Unix process (where a
    notebook runs its cells); elsewhere the block runs without a limit."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise Mistake(message)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fail(msg: str, learner_error: BaseException | None = None):
    """Raise :class:`ExerciseError` with ``msg`` (and the learner's own exception,
    shown with its frames), without a chained traceback."""
    raise ExerciseError(msg, learner_error) from None


def checker(check):
    """Decorate a public ``check_exerciseN``: an :class:`ExerciseError` leaves it
    with only the learner's frames in its traceback and no chained exception, so a
    plain Python process prints the caller's line, one line of this wrapper, the
    learner's failing lines and the message."""

    @functools.wraps(check)
    def check_answer(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ExerciseError as caught:
            error = caught  # raised below, outside this block: no chained exception
        error.__cause__, error.__suppress_context__ = None, True
        learner_error = error.learner_error
        your_frames = learner_traceback(learner_error.__traceback__) if learner_error else None
        raise error.with_traceback(your_frames)  # the message below says what to fix

    return check_answer
