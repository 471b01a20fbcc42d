"""Every number in a lesson's prose is backed (issue 22, item 2).

A learner compares the text with what their own cells print, on another machine,
so a markdown cell of ``lessons/*.py`` may state a number only when it is one of:

(a) a **course constant** read from the code (the arena's rewards and default
    config, its actions, the course's default model),
(b) **set by the neighbouring code**: it appears as a literal in the code cell
    right before or right after the markdown cell,
(c) inside a ``{{seeds:KEY...}}`` placeholder whose KEY is measured by a bench
    script (``bench/results/seeds_*.json``),
(d) **structural**: chapter, section, step, exercise and list numbers, years,
    versions (Ray 2.60, Python 3.11), "2 cores",
(e) listed in ``docs/prose_numbers.toml`` with its reason and, for arithmetic and
    Ray defaults, how it is checked.

Anything else fails, naming ``lesson:line`` and the number: the fix is a cell that
prints the figure (with a verdict), a seed range, a question to the learner, or,
for a fact that does not depend on the run, a registry entry. No Ray is started.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
REGISTRY = ROOT / "docs" / "prose_numbers.toml"
SEED_RESULTS = ROOT / "bench" / "results"

#: A number as prose writes it: optional sign, digits with thousands commas or a
#: decimal part, an exponent, a percent sign. Not part of a word or identifier
#: (agent1, p2, CartPole-v1, fcnet_hiddens, ch06 are not numbers).
NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z_]-)"
    r"(?P<sign>[+\-\u2212])?"
    r"(?P<body>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<exp>e[+\-]?\d+)?"
    r"(?P<pct>%)?"
    r"(?:st|nd|rd|th)?"  # ordinals: "the 214th step" states 214
    r"(?![\w]|\.\d)"
)
PLACEHOLDER = re.compile(r"\{\{seeds:(?P<key>[A-Za-z0-9_.\-]+)(?::[^}]*)?\}\}")
#: Markdown link targets and bare URLs carry numbers that are addresses, not figures.
CODE_FENCES = ("mermaid", "python", "bash")
LINK = re.compile(r"\]\([^)]*\)|https?://\S+")
#: Structural numbers: chapter, section, step, exercise ... numbers (also "chapters
#: 3 and 4", "steps 2 to 5"), versions, "2 cores", list markers and heading numbers.
STRUCTURAL = re.compile(
    r"\b(?:chapters?|sections?|steps?|exercises?|parts?|issues?|items?|cells?|rows?|"
    r"Ray|RLlib|Python|torch|PyTorch|gymnasium|Gymnasium|versions?|v)\s*\d+(?:\.\d+)*"
    r"(?:\s*(?:,|and|or|to|-|\u2013)\s*\d+(?:\.\d+)*)*"
    r"|\b\d+\s+(?:CPU\s+)?cores?\b"
    r"|^\s*#+\s+[\d.]+\s"
    r"|(?<![\w.+\-])(?:19|20)\d\d(?![\w.])"
    r"|^\s*Time: about \d+ minutes",  # the chapter's planned length, not a measurement
    re.IGNORECASE,
)

LIST_MARKER = re.compile(r"^\s*\d+[.)]\s")


@dataclass(frozen=True)
class Number:
    lesson: str
    line: int
    text: str  # as written, e.g. "+1.0", "3e-3", "25%"
    value: float
    context: str  # the whole source line


def _value(match: re.Match, text: str) -> float:
    body = match["body"].replace(",", "")
    value = float(body + (match["exp"] or ""))
    in_range = match.start() > 0 and text[match.start() - 1].isdigit()  # "7-8": a range
    if match["sign"] in ("-", "\u2212") and not in_range:
        value = -value
    return value


def cells(path: Path) -> list[tuple[str, int, list[str]]]:
    """``(kind, first_line, lines)`` for each cell of a percent-format lesson;
    markdown lines lose their leading ``# ``."""
    result: list[tuple[str, int, list[str]]] = []
    kind, start, body = None, 0, []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("# %%"):
            if kind is not None:
                result.append((kind, start, body))
            kind = "markdown" if "[markdown]" in line else "code"
            start, body = number + 1, []
        elif kind is not None:
            if kind == "markdown":
                line = line[2:] if line.startswith("# ") else line.lstrip("#")
            body.append(line)
    if kind is not None:
        result.append((kind, start, body))
    return result


def _blank(pattern: re.Pattern, text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _table_row(text: str, chapter_column: int | None) -> tuple[str, int | None]:
    """In a table whose header names a column "Chapter(s)", that column holds
    chapter numbers (structural): blank it."""
    columns = text.split("|")
    if chapter_column is None:
        header = [c.strip().lower() for c in columns]
        return text, next((i for i, c in enumerate(header) if c in ("chapter", "chapters")), None)
    if chapter_column < len(columns):
        columns[chapter_column] = " " * len(columns[chapter_column])
    return "|".join(columns), chapter_column


def numbers_in(lesson: str, first_line: int, lines: list[str]) -> list[Number]:
    """The non-structural numbers of a markdown cell. Fenced diagrams and fenced
    example code (```python, ```bash: numbers set by that code) are skipped; plain
    fences (shown output) are checked like prose."""
    found, fence, chapter_column = [], None, None
    for offset, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fence = None if fence is not None else line.strip().lstrip("`")
            continue
        if fence in CODE_FENCES:
            continue
        text = _blank(STRUCTURAL, _blank(PLACEHOLDER, _blank(LINK, line)))
        previous = lines[offset - 1] if offset else ""
        if not previous.strip() or previous[:1].isspace() or LIST_MARKER.match(previous):
            text = _blank(LIST_MARKER, text)  # a list item's number, not one inside a paragraph
        if line.lstrip().startswith("|"):
            text, chapter_column = _table_row(text, chapter_column)
        else:
            chapter_column = None
        for match in NUMBER.finditer(text):
            found.append(
                Number(lesson, first_line + offset, match.group(), _value(match, text), line)
            )
    return found


CODE_NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?:e[+\-]?\d+)?(?![\w])")


def code_literals(lines: list[str]) -> set[float]:
    """Every number literal of a code cell (in expressions and in strings alike)."""
    values = set()
    for match in CODE_NUMBER.finditer("\n".join(lines)):
        try:
            values.add(abs(float(match.group().replace("_", ""))))
        except ValueError:
            continue
    return values


def _close(value: float, values: set[float]) -> bool:
    return any(abs(abs(value) - v) <= 1e-9 * max(1.0, v) for v in values)


def _module_constants(relative: str, names: tuple[str, ...]) -> dict:
    """Module-level constants of a source file, read with ``ast`` (importing the arena
    would import Ray: this test stays fast)."""
    tree = ast.parse((ROOT / "src" / "handson_rl" / relative).read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets[0]
            names_here = (
                [t.id for t in targets.elts] if isinstance(targets, ast.Tuple) else [targets.id]
            )
            values = node.value.elts if isinstance(targets, ast.Tuple) else [node.value]
            for name, value in zip(names_here, values, strict=True):
                if name in names:  # a tuple of names (AGENTS) counts by its length
                    found[name] = (
                        value.elts
                        if isinstance(value, ast.Tuple)
                        and not all(isinstance(e, ast.Constant) for e in value.elts)
                        else ast.literal_eval(value)
                    )
    missing = set(names) - set(found)
    if missing:
        raise LookupError(
            f"{relative} no longer defines {sorted(missing)}: update course_constants()."
        )
    return found


def course_constants() -> set[float]:
    """(a): the constants of the game and the course's defaults, read from the code."""
    env = _module_constants(
        "arena/env.py",
        (
            "R1_COLLISION",
            "R1_NEW_FIELD",
            "R1_OTHERWISE",
            "R2_COLLISION",
            "R2_OTHERWISE",
            "DEFAULT_CONFIG",
            "ACTION_NAMES",
            "AGENTS",
        ),
    )
    model = _module_constants("training/models.py", ("DEFAULT_MODEL_CONFIG",))[
        "DEFAULT_MODEL_CONFIG"
    ]
    values = {abs(float(v)) for k, v in env.items() if k.startswith(("R1_", "R2_"))}
    config = env["DEFAULT_CONFIG"]
    values |= {float(v) for v in config.values() if isinstance(v, int)}
    width, height = config["width"], config["height"]
    values |= {float(width * height), float(len(env["ACTION_NAMES"])), float(len(env["AGENTS"]))}
    values |= {float(i) for i in range(len(env["ACTION_NAMES"]))}  # action indices 0-3
    values |= {1 / len(env["ACTION_NAMES"])}  # a uniform policy's probability
    values |= {float(width - 1), float(height - 1)}  # the corners' coordinates
    values |= {float(2 * width * height)}  # the one-hot observation's size
    values |= {float(v) for v in model["hidden_sizes"]}
    values |= {float(_default("training/loop.py", "train_until", "target"))}  # time to target
    return values


def _default(relative: str, function: str, argument: str):
    """The default value of ``function``'s keyword ``argument`` in a source file."""
    tree = ast.parse((ROOT / "src" / "handson_rl" / relative).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            arguments = (
                node.args.args[len(node.args.args) - len(node.args.defaults) :]
                + node.args.kwonlyargs
            )
            defaults = list(node.args.defaults) + list(node.args.kw_defaults)
            for arg, default in zip(arguments, defaults, strict=True):
                if arg.arg == argument:
                    return ast.literal_eval(default)
    raise LookupError(
        f"{relative}: no {function}({argument}=...) any more: update course_constants()."
    )


def seed_keys() -> set[str]:
    """(c): the keys measured by bench scripts, through the loader the build uses
    (``verdicts.load_ranges``: it also fails on a key stored twice)."""
    from handson_rl.verdicts import load_ranges

    return set(load_ranges(SEED_RESULTS))


@dataclass(frozen=True)
class Entry:
    """(e): one registry row of ``docs/prose_numbers.toml``."""

    lesson: str  # the lesson's two-digit prefix, "07"
    number: str | list  # as written in the prose, "+0.9", or several on one line
    line: str  # a piece of the source line that holds it
    kind: str  # "arithmetic", "ray default", "fact" or "example"
    reason: str
    check: str = ""  # tests/file.py::test_name, for arithmetic and Ray defaults

    def matches(self, number: Number) -> bool:
        texts = self.number if isinstance(self.number, list) else [self.number]
        return (
            number.lesson.startswith(self.lesson)
            and number.text in texts
            and self.line in number.context
        )


KINDS = ("arithmetic", "ray default", "fact", "example")


def registry(path: Path = REGISTRY) -> list[Entry]:
    rows = tomllib.loads(path.read_text()).get("number", [])
    entries = []
    for row in rows:
        missing = {"lesson", "number", "line", "kind", "reason"} - set(row)
        if missing:
            raise ValueError(f"{path.name}: entry {row} lacks {sorted(missing)}.")
        unknown = set(row) - {f.name for f in dataclasses.fields(Entry)}
        if unknown:
            raise ValueError(f"{path.name}: entry {row} has unknown fields {sorted(unknown)}.")
        entry = Entry(**row)
        if entry.kind not in KINDS:
            raise ValueError(f"{path.name}: entry {row}: kind must be one of {KINDS}.")
        if entry.kind in ("arithmetic", "ray default") and not entry.check:
            raise ValueError(
                f"{path.name}: entry {row}: a {entry.kind} needs `check`, the test that keeps it true."
            )
        entries.append(entry)
    return entries


def _neighbouring_code(lesson_cells: list, index: int) -> list:
    """The code cells right before and right after markdown cell ``index``: the run of
    code cells up to the markdown cell on each side (a concept question between the
    prose and its code cell does not separate them)."""
    near = []
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(lesson_cells) and lesson_cells[position][0] == "code":
            near.append(lesson_cells[position])
            position += step
    return near


def unbacked(path: Path, constants: set[float]) -> list[Number]:
    """The numbers of ``path``'s prose that (a)-(d) do not back (the registry is
    applied by the caller)."""
    lesson_cells = cells(path)
    flagged = []
    for index, (kind, first_line, lines) in enumerate(lesson_cells):
        if kind != "markdown":
            continue
        nearby = set(constants)
        for cell in _neighbouring_code(lesson_cells, index):
            nearby |= code_literals(cell[2])
        for number in numbers_in(path.stem, first_line, lines):
            if not _close(number.value, nearby) and not (
                number.text.endswith("%") and _close(number.value / 100, nearby)
            ):
                flagged.append(number)
    return flagged


def _fix_hint(number: Number) -> str:
    return (
        f"{number.lesson}.py:{number.line}: {number.text!r} in {number.context.strip()!r} is not backed: "
        "make the cell print it (with a verdict), write a {{seeds:KEY}} range measured by a bench "
        "script, ask the learner, or, if it does not depend on the run, add it to "
        "docs/prose_numbers.toml with its reason and check."
    )


def problems(path: Path, constants: set[float], entries: list[Entry], keys: set[str]) -> list[str]:
    found = []
    for number in unbacked(path, constants):
        if not any(entry.matches(number) for entry in entries):
            found.append(_fix_hint(number))
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        for match in PLACEHOLDER.finditer(line):
            if match["key"] not in keys:
                found.append(
                    f"{path.stem}.py:{line_number}: {{{{seeds:{match['key']}}}}} has no measured range in "
                    "bench/results/seeds_*.json: run the bench script that measures it."
                )
    return found


LESSON_PATHS = sorted(LESSONS.glob("[0-9][0-9]_*.py"))


@pytest.fixture(scope="module")
def backing():
    return course_constants(), registry(), seed_keys()


@pytest.mark.parametrize("path", LESSON_PATHS, ids=lambda p: p.stem[:2])
def test_every_number_in_the_prose_is_backed(path, backing):
    constants, entries, keys = backing
    found = problems(path, constants, entries, keys)
    assert not found, f"{len(found)} unbacked number(s):\n" + "\n".join(found)


def test_every_registry_entry_is_used_and_its_check_exists(backing):
    constants, entries, _ = backing
    flagged = [n for path in LESSON_PATHS for n in unbacked(path, constants)]
    for entry in entries:
        assert any(entry.matches(n) for n in flagged), (
            f"docs/prose_numbers.toml: {entry} matches no unbacked number any more; remove it."
        )
        if entry.check:
            file, _, test = entry.check.partition("::")
            assert (ROOT / file).is_file() and f"def {test}(" in (ROOT / file).read_text(), (
                f"docs/prose_numbers.toml: the check {entry.check!r} of {entry.number} does not exist."
            )


def _lesson(tmp_path: Path, markdown: str, code: str = "x = 1") -> Path:
    path = tmp_path / "99_made_up.py"
    body = "\n".join("# " + line if line else "#" for line in markdown.splitlines())
    path.write_text(f"# %% [markdown]\n{body}\n\n# %%\n{code}\n")
    return path


def test_an_invented_number_is_flagged_and_backed_ones_are_not(tmp_path, backing):
    constants, entries, keys = backing
    path = _lesson(
        tmp_path,
        "## 3. Training\n\nIn chapter 4, on 2 cores with Ray 2.60 (2026), the 10 x 10 board, "
        "a reward of -0.5 and lr=3e-3 gave agent1 +17.3 after 20 iterations.",
        code="config.training(lr=3e-3)\niterations = pick(full=20, smoke=2)",
    )
    found = problems(path, constants, entries, keys)
    assert len(found) == 1 and "'+17.3'" in found[0], found
    assert "99_made_up.py:4" in found[0]


def test_numbers_are_read_the_ways_prose_writes_them(tmp_path):
    path = _lesson(
        tmp_path, "between 3 to 6, -1.5, 25%, 1e-3, 4.66e-4, 59,268, 7-8 and agent1 p2 CartPole-v1"
    )
    texts = [(n.text, n.value) for n in unbacked(path, set())]
    assert texts == [
        ("3", 3),
        ("6", 6),
        ("-1.5", -1.5),
        ("25%", 25),
        ("1e-3", 1e-3),
        ("4.66e-4", 4.66e-4),
        ("59,268", 59268),
        ("7", 7),
        ("8", 8),
    ], texts


def test_a_placeholder_needs_a_measured_key(tmp_path, backing):
    constants, entries, keys = backing
    path = _lesson(tmp_path, "agent1 ended {{seeds:ch99.no.such.key:+.1f}} over many seeds.")
    found = problems(path, constants, entries, keys)
    assert len(found) == 1 and "ch99.no.such.key" in found[0], found


def test_arithmetic_the_prose_states():
    """The registry's arithmetic, recomputed from the arena's rules (docs/prose_numbers.toml)."""
    env = _module_constants(
        "arena/env.py",
        ("R1_COLLISION", "R1_NEW_FIELD", "R1_OTHERWISE", "R2_OTHERWISE", "DEFAULT_CONFIG"),
    )
    new, other, hit, chaser = (
        env["R1_NEW_FIELD"],
        env["R1_OTHERWISE"],
        env["R1_COLLISION"],
        env["R2_OTHERWISE"],
    )
    width, steps = env["DEFAULT_CONFIG"]["width"], env["DEFAULT_CONFIG"]["timestep_limit"]
    # Chapter 1: rewards [1, 1, 1, -5] discounted with gamma 0.5.
    assert (
        0.5**3 == 0.125
        and -5 * 0.125 == -0.625
        and 1 + 0.5 + 0.25 == 1.75
        and 1.75 - 0.625 == 1.125
    )
    # Chapter 2: cell [3, 7] is index 3 * width + 7.
    assert 3 * width + 7 == 37

    # Chapter 8: agent1's return over an episode, counting each step once.
    def return_1(cells, collisions, both=0):
        rest = steps - cells - collisions + both
        return new * (cells - both) + hit * collisions + other * rest

    assert (
        new - other == 1.5
        and hit - other == -0.5
        and -other * steps == 50
        and return_1(0, 0) == -50
    )
    assert return_1(10, 3, both=2) == 1.5 * 10 - 0.5 * 3 - 50 - 1.5 * 2
    assert return_1(40, 10) == 5 == return_1(37, 1)
    # Chapter 7: one step's combined reward (agent1 + agent2).
    assert math.isclose(new + chaser, 0.9) and math.isclose(other + chaser, -0.6)
    # ... so over an episode: 0.9 new + 0 catches - 0.6 (steps - new - catches).
    assert math.isclose(0.9 + 0.6, 1.5) and math.isclose(0.6 * steps, 60)
    assert round((35 + 60) / 1.5) == 63 and round((40 + 60) / 1.5) == 67
    # Chapter 11: crash_prob 0.0005 is one crash in 2,000 steps; 16 iterations x 200 steps.
    assert round(1 / 0.0005) == 2000 and 16 * 200 == 3200
    # Chapter 5: the env runner's copy of the default module, and the learner's.
    hidden = _module_constants("training/models.py", ("DEFAULT_MODEL_CONFIG",))[
        "DEFAULT_MODEL_CONFIG"
    ]["hidden_sizes"]
    sizes = [2 * width * env["DEFAULT_CONFIG"]["height"], *hidden]
    encoder = sum(a * b + b for a, b in itertools.pairwise(sizes))
    actor = encoder + hidden[-1] * 4 + 4
    assert actor == 17284 and actor + encoder + hidden[-1] + 1 == 34373


def test_exercise2_bench_backs_chapter_7s_target():
    """Chapter 7: in bench/exercise2_target.py's sweeps (3 seeds x 2 batches, 100
    iterations) every trial passed 35 and only one ever reached 40."""
    import csv

    best: dict[tuple, float] = {}
    for path in sorted(SEED_RESULTS.glob("exercise2_seed*.csv")):
        for row in csv.DictReader(path.open()):
            trial = (row["seed"], row["train_batch_size"])
            best[trial] = max(best.get(trial, float("-inf")), float(row["combined_return"]))
    assert len(best) == 6, sorted(best)
    assert (
        all(value >= 35 for value in best.values())
        and sum(value >= 40 for value in best.values()) == 1
    ), best


def test_ray_defaults_the_prose_states():
    """Ray defaults the prose quotes, read from the installed Ray without starting it:
    the discount (chapter 1; its cell also sets 0.99), the default network size (chapter 9), the default
    ports (chapter 10)."""
    from ray._private import ray_constants
    from ray.rllib.algorithms.algorithm_config import AlgorithmConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    assert AlgorithmConfig().gamma == 0.99
    assert DefaultModelConfig().fcnet_hiddens == [256, 256]  # chapter 9
    assert ray_constants.DEFAULT_PORT == 6379 and ray_constants.DEFAULT_DASHBOARD_PORT == 8265


if __name__ == "__main__":  # list every unbacked number: python tests/test_prose_numbers.py
    for lesson in LESSON_PATHS:
        for problem in problems(lesson, course_constants(), registry(), seed_keys()):
            print(problem.split(" is not backed")[0])
