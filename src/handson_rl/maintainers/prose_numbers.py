"""Every number in a lesson's prose, and what backs it (issue 22, item 2).

A learner compares the text with what their own cells print, on another machine,
so a markdown cell of ``lessons/*.py`` may state a number only when it is one of:

(a) a **course constant** read from the code (the arena's rewards and default
    config, its actions, the course's default model),
(b) a **code literal** of the neighbouring code: it appears in the code cells
    right before or right after the markdown cell,
(c) a **seed range**: inside a ``{{seeds:KEY}}`` placeholder whose KEY is measured
    by a bench script (``bench/results/seeds_*.json``, read by
    :func:`handson_rl.verdicts.load_ranges`, which the build fills it from),
(d) **structural**: chapter, section, step, exercise and list numbers, years,
    versions (Ray 2.60, Python 3.11), "2 cores",
(e) a **registry** entry of ``docs/prose_numbers.toml`` with its reason and, for
    arithmetic and Ray defaults, the test that checks it.

``tests/test_prose_numbers.py`` fails on any other number. This module classifies
them and writes the list, per chapter, to ``docs/claims.md``::

    python -m handson_rl.maintainers.prose_numbers --write docs/claims.md
    python -m handson_rl.maintainers.prose_numbers --check    # exit 1 if out of date
    python -m handson_rl.maintainers.prose_numbers --unbacked # list unbacked numbers

No Ray is started or imported.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import re
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from handson_rl.paths import LESSONS_DIR, ROOT

SOURCE = ROOT / "src" / "handson_rl"
REGISTRY = ROOT / "docs" / "prose_numbers.toml"
SEED_RESULTS = ROOT / "bench" / "results"
CLAIMS = ROOT / "docs" / "claims.md"
COMMAND = "python -m handson_rl.maintainers.prose_numbers --write docs/claims.md"

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
PLACEHOLDER = re.compile(r"\{\{seeds:(?P<key>[A-Za-z0-9_.\-]+)(?::(?P<fmt>[^}]*))?\}\}")
#: Fenced diagrams and example code: numbers set by that code, not prose.
CODE_FENCES = ("mermaid", "python", "bash")
#: Markdown link targets and bare URLs carry numbers that are addresses, not figures.
LINK = re.compile(r"\]\([^)]*\)|https?://\S+")
#: Structural numbers: chapter, section, step, exercise ... numbers (also "chapters
#: 3 and 4", "steps 2 to 5"), versions, "2 cores", list markers and heading numbers.
STRUCTURAL = re.compile(
    r"\b(?:chapters?|sections?|steps?|exercises?|parts?|issues?|items?|rows?|"
    r"Ray|RLlib|Python|torch|PyTorch|gymnasium|Gymnasium|versions?|v)\s*\d+(?:\.\d+)*"
    r"(?:\s*(?:,|and|or|to|-|\u2013)\s*\d+(?:\.\d+)*)*"
    r"|\b\d+\s+(?:CPU\s+)?cores?\b"
    r"|^\s*#+\s+[\d.]+\s"
    r"|(?<![\w.+\-])(?:19|20)\d\d(?![\w.])"
    r"|^\s*Time: about \d+ minutes",  # the chapter's planned length, not a measurement
    re.IGNORECASE,
)
LIST_MARKER = re.compile(r"^\s*\d+[.)]\s")
CODE_NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?:e[+\-]?\d+)?(?![\w])")

#: What can back a number, in the order the document lists them.
BACKINGS = (
    "course constant",
    "code literal",
    "seed range",
    "registry",
    "structural",
    "NOT BACKED",
)


@dataclass(frozen=True)
class Number:
    lesson: str
    line: int
    text: str  # as written, e.g. "+1.0", "3e-3", "25%", or a {{seeds:...}} placeholder
    value: float
    context: str  # the whole source line
    column: int = 0  # where ``text`` starts in ``context``


@dataclass(frozen=True)
class Backed:
    """One number of the prose and what backs it (a kind of :data:`BACKINGS`)."""

    number: Number
    kind: str
    detail: str = ""


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


def scan(lesson: str, first_line: int, lines: list[str]) -> list[tuple[Number, bool]]:
    """Every number of a markdown cell outside placeholders and links, each with
    whether it is structural. Fenced diagrams and fenced example code (```python,
    ```bash: numbers set by that code) are skipped; plain fences (shown output) are
    read like prose."""
    found, fence, chapter_column = [], None, None
    for offset, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fence = None if fence is not None else line.strip().lstrip("`")
            continue
        if fence in CODE_FENCES:
            continue
        plain = _blank(PLACEHOLDER, _blank(LINK, line))
        text = _blank(STRUCTURAL, plain)
        previous = lines[offset - 1] if offset else ""
        if not previous.strip() or previous[:1].isspace() or LIST_MARKER.match(previous):
            text = _blank(LIST_MARKER, text)  # a list item's number, not one inside a paragraph
        if line.lstrip().startswith("|"):
            text, chapter_column = _table_row(text, chapter_column)
        else:
            chapter_column = None
        for match in NUMBER.finditer(plain):
            number = Number(
                lesson,
                first_line + offset,
                match.group(),
                _value(match, plain),
                line,
                match.start(),
            )
            found.append((number, text[match.start()] == " "))
    return found


def numbers_in(lesson: str, first_line: int, lines: list[str]) -> list[Number]:
    """The non-structural numbers of a markdown cell."""
    return [number for number, structural in scan(lesson, first_line, lines) if not structural]


def placeholders_in(lesson: str, first_line: int, lines: list[str]) -> list[Number]:
    """The ``{{seeds:KEY}}`` placeholders of a markdown cell, as numbers with no value."""
    return [
        Number(lesson, first_line + offset, match.group(), float("nan"), line, match.start())
        for offset, line in enumerate(lines)
        for match in PLACEHOLDER.finditer(line)
    ]


def _window(text: str, start: int, width: int) -> str:
    """About ``width`` characters of ``text`` around position ``start``, "..." where cut."""
    left = max(0, start - width // 2)
    piece = text[left : left + width].strip()
    return ("..." if left > 0 else "") + piece + ("..." if left + width < len(text) else "")


def code_literals(first_line: int, lines: list[str]) -> dict[float, tuple[int, str]]:
    """Every number literal of a code cell (in expressions and in strings alike), with
    the line it first appears on: ``{value: (line number, line)}``."""
    values: dict[float, tuple[int, str]] = {}
    for offset, line in enumerate(lines):
        for match in CODE_NUMBER.finditer(line):
            try:
                value = abs(float(match.group().replace("_", "")))
            except ValueError:
                continue
            values.setdefault(value, (first_line + offset, _window(line, match.start(), 44)))
    return values


def _close(value: float, values) -> float | None:
    """The member of ``values`` equal to ``abs(value)`` (to rounding), or None."""
    return next((v for v in values if abs(abs(value) - v) <= 1e-9 * max(1.0, v)), None)


def _matching(number: Number, values) -> float | None:
    """The value that backs ``number`` (a percent may be backed by its fraction)."""
    found = _close(number.value, values)
    if found is None and number.text.endswith("%"):
        found = _close(number.value / 100, values)
    return found


# --- (a) course constants, read from the source with ``ast`` (no Ray imported) ---


def _assignments(tree: ast.Module):
    """``(name, value node)`` for each module-level assignment, tuples unpacked."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], (ast.Name, ast.Tuple)):
            targets = node.targets[0]
            if isinstance(targets, ast.Tuple):
                yield from zip(
                    [t.id for t in targets.elts], node.value.elts, strict=True
                )  # A, B = 1, 2
            else:
                yield targets.id, node.value


def module_constants(relative: str, names: tuple[str, ...], source: Path = SOURCE) -> dict:
    """Module-level constants of ``source / relative``, read with ``ast`` (importing
    the arena would import Ray). A tuple of non-literals (``AGENTS``) is returned as
    its nodes, so that it counts by its length."""
    found = {}
    for name, value in _assignments(ast.parse((source / relative).read_text())):
        if name in names:
            literal = not isinstance(value, ast.Tuple) or all(
                isinstance(e, ast.Constant) for e in value.elts
            )
            found[name] = ast.literal_eval(value) if literal else value.elts
    missing = set(names) - set(found)
    if missing:
        raise LookupError(
            f"{relative} no longer defines {sorted(missing)}: update course_constants() in "
            "handson_rl/maintainers/prose_numbers.py."
        )
    return found


def default_argument(relative: str, function: str, argument: str, source: Path = SOURCE):
    """The default value of ``function``'s keyword ``argument`` in a source file."""
    for node in ast.walk(ast.parse((source / relative).read_text())):
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


ARENA_NAMES = (
    "R1_COLLISION",
    "R1_NEW_FIELD",
    "R1_OTHERWISE",
    "R2_COLLISION",
    "R2_OTHERWISE",
    "DEFAULT_CONFIG",
    "ACTION_NAMES",
    "AGENTS",
)


def course_constants(source: Path = SOURCE) -> dict[float, str]:
    """(a): the constants of the game and the course's defaults, read from the code,
    as ``{value: what it is}`` (names of one value joined with " = ")."""
    env = module_constants("arena/env.py", ARENA_NAMES, source)
    model = module_constants("training/models.py", ("DEFAULT_MODEL_CONFIG",), source)
    config, actions = env["DEFAULT_CONFIG"], len(env["ACTION_NAMES"])
    width, height = config["width"], config["height"]
    named: list[tuple[float, str]] = [
        (abs(float(v)), k) for k, v in env.items() if k.startswith(("R1_", "R2_"))
    ]
    named += [(float(v), f"DEFAULT_CONFIG[{k!r}]") for k, v in config.items() if type(v) is int]
    named += [
        (float(width * height), "cells on the board (width x height)"),
        (float(actions), "number of actions"),
        (float(len(env["AGENTS"])), "number of agents"),
        *((float(i), "an action index") for i in range(actions)),
        (1 / actions, "a uniform policy's probability (1 / actions)"),
        (float(width - 1), "a corner's coordinate (width - 1)"),
        (float(height - 1), "a corner's coordinate (height - 1)"),
        (float(2 * width * height), "the one-hot observation's size"),
        *(
            (float(v), "DEFAULT_MODEL_CONFIG's hidden size")
            for v in model["DEFAULT_MODEL_CONFIG"]["hidden_sizes"]
        ),
        (float(default_argument("training/loop.py", "train_until", "target", source)),
         "train_until's default target"),
    ]  # fmt: skip
    constants: dict[float, str] = {}
    for value, name in named:
        if name not in constants.get(value, "").split(" = "):
            constants[value] = f"{constants[value]} = {name}" if value in constants else name
    return constants


# --- (e) the registry, docs/prose_numbers.toml ----------------------------------


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
    """The entries of ``docs/prose_numbers.toml``; a clear error for a malformed one."""
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
        if not isinstance(entry.line, str) or not entry.line.strip():
            raise ValueError(
                f"{path.name}: entry {row}: `line` must be a piece of the source line that "
                f"holds {entry.number!r}; an empty one would back it anywhere in lesson "
                f"{entry.lesson} (give numbers on different lines one entry each)."
            )
        if entry.kind not in KINDS:
            raise ValueError(f"{path.name}: entry {row}: kind must be one of {KINDS}.")
        if entry.kind in ("arithmetic", "ray default") and not entry.check:
            raise ValueError(
                f"{path.name}: entry {row}: a {entry.kind} needs `check`, the test that keeps it true."
            )
        entries.append(entry)
    return entries


def seed_ranges(directory: Path = SEED_RESULTS) -> dict:
    """(c): the ranges measured by bench scripts, through the loader the build uses
    (``verdicts.load_ranges``: it also fails on a key stored twice)."""
    from handson_rl.verdicts import load_ranges

    return load_ranges(directory)


# --- classifying a lesson's numbers ---------------------------------------------


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


def _nearby_literals(lesson_cells: list, index: int) -> dict[float, tuple[int, str]]:
    literals: dict[float, tuple[int, str]] = {}
    for _, first_line, lines in _neighbouring_code(lesson_cells, index):
        for value, line in code_literals(first_line, lines).items():
            literals.setdefault(value, line)
    return literals


#: "cell 44", "cells 0, 11, 22": the lessons name board cells by index (row x width + column).
BOARD_CELL = re.compile(r"\bcells?\s+(?:\d+\s*(?:,|and|or)\s*)*$", re.IGNORECASE)
BOARD_SIZE = "cells on the board (width x height)"


def _board_cell(number: Number, constants: dict) -> str | None:
    """What a board-cell index is, if ``number`` is one: an integer after "cell(s)"
    inside the board (0 to width x height - 1); "cell 144" on a 10 x 10 board is not."""
    size = next((int(v) for v, what in constants.items() if BOARD_SIZE in what), None)
    if size is None or not BOARD_CELL.search(number.context[: number.column]):
        return None
    if number.value != int(number.value) or not 0 <= number.value < size:
        return None
    return f"a board cell's index (0 to {size - 1}: row x width + column)"


def _backing(number: Number, constants: dict, literals: dict, entries: list[Entry]) -> Backed:
    """What backs one (non-structural, non-placeholder) number, in the order of BACKINGS."""
    cell = _board_cell(number, constants)
    if cell is not None:
        return Backed(number, "course constant", cell)
    found = _matching(number, constants)
    if found is not None:
        return Backed(number, "course constant", constants[found] if constants else "")
    found = _matching(number, literals)
    if found is not None:
        line, code = literals[found]
        return Backed(number, "code literal", f"line {line}: `{re.sub(r'[`|]', '', code)}`")
    matching = [e for e in entries if e.matches(number)]
    if matching:
        entry = max(matching, key=lambda e: len(e.line))  # the most specific one
        check = f"; checked by `{entry.check}`" if entry.check else ""
        return Backed(number, "registry", f"{entry.kind}: {entry.reason}{check}")
    return Backed(number, "NOT BACKED")


def _range_backing(number: Number, ranges: dict) -> Backed:
    match = PLACEHOLDER.search(number.text)
    if match["key"] not in ranges:
        return Backed(number, "NOT BACKED", "no measured range in bench/results/seeds_*.json")
    found = ranges[match["key"]]
    if found is None:  # only the keys are known
        return Backed(number, "seed range")
    fmt = match["fmt"] or "+.1f"
    return Backed(
        number,
        "seed range",
        f"{found.low:{fmt}} to {found.high:{fmt}} over {found.n} seeds, `{found.script}`",
    )


def classify(path: Path, constants, entries: list[Entry], ranges: dict) -> list[Backed]:
    """Every number the prose of lesson ``path`` states, with its backing, in line order.

    ``constants`` is a mapping ``{value: what}`` (or a plain set of values), ``ranges``
    a mapping of measured seed-range keys (values: :class:`handson_rl.verdicts.SeedRange`).
    """
    if not isinstance(constants, dict):
        constants = dict.fromkeys(constants, "")
    lesson_cells = cells(path)
    found: list[Backed] = []
    for index, (kind, first_line, lines) in enumerate(lesson_cells):
        if kind != "markdown":
            continue
        literals = _nearby_literals(lesson_cells, index)
        for number, structural in scan(path.stem, first_line, lines):
            if structural:
                found.append(Backed(number, "structural"))
            else:
                found.append(_backing(number, constants, literals, entries))
        for number in placeholders_in(path.stem, first_line, lines):
            found.append(_range_backing(number, ranges))
    return sorted(found, key=lambda b: (b.number.line, b.number.column))


def unbacked(path: Path, constants) -> list[Number]:
    """The numbers of ``path``'s prose that (a)-(d) do not back (the registry is
    applied by the caller)."""
    return [
        b.number
        for b in classify(path, constants, [], {})
        if b.kind == "NOT BACKED" and not b.number.text.startswith("{{")
    ]


def _fix_hint(number: Number) -> str:
    return (
        f"{number.lesson}.py:{number.line}: {number.text!r} in {number.context.strip()!r} is not backed: "
        "make the cell print it (with a verdict), write a {{seeds:KEY}} range measured by a bench "
        "script, ask the learner, or, if it does not depend on the run, add it to "
        "docs/prose_numbers.toml with its reason and check."
    )


def problems(path: Path, constants, entries: list[Entry], keys) -> list[str]:
    """What ``tests/test_prose_numbers.py`` reports for one lesson: unbacked numbers
    and placeholders whose key (one of ``keys``) no bench output holds."""
    ranges = dict.fromkeys(keys) if not isinstance(keys, dict) else keys
    found = []
    for backed in classify(path, constants, entries, ranges):
        if backed.kind != "NOT BACKED":
            continue
        number = backed.number
        if number.text.startswith("{{"):
            key = PLACEHOLDER.search(number.text)["key"]
            found.append(
                f"{path.stem}.py:{number.line}: {{{{seeds:{key}}}}} has no measured range in "
                "bench/results/seeds_*.json: run the bench script that measures it."
            )
        else:
            found.append(_fix_hint(number))
    return found


# --- docs/claims.md ---------------------------------------------------------------

HEADER = f"""\
# Numbers in the lessons' prose, and what backs each one

Generated by `{COMMAND}`
(and by `python -m handson_rl.maintainers.build`, with the notebooks) from
`lessons/*.py`, `docs/prose_numbers.toml` and `bench/results/seeds_*.json`: do not
edit it by hand. The fast tests (`tests/test_claims_document.py`, and the build's
`--check`) fail while this file is out of date: after a change to a lesson's prose,
to the registry, or to the seed data (a new `bench/seed_ranges.py` run), rerunning
either command is all it takes.

A learner compares the prose with what their own cells print, on another machine,
so the prose states only what does not depend on the run, or ranges measured over
many seeds (`docs/conventions.md`, "True on the learner's run"). Every number in a
lesson's markdown cells is backed by one of:

- **course constant**: a constant of the game or of the course's defaults, read from
  `src/handson_rl` (named below);
- **code literal**: a literal of the code cells right before or after the markdown
  cell (the line it is on is given);
- **seed range**: a `{{{{seeds:KEY}}}}` placeholder, which
  `python -m handson_rl.maintainers.build` fills with the range a bench script
  measured over many seeds (`handson_rl.verdicts.load_ranges`); the cells print
  where the learner's own run falls and compute each comparison's verdict;
- **registry**: an entry of `docs/prose_numbers.toml` (arithmetic, Ray default, fact
  or example), with its reason and, for arithmetic and Ray defaults, the test that
  checks it (given once per chapter, as r1, r2, ... under its table);
- **structural**: chapter, section, step and list numbers, versions, years.

`tests/test_prose_numbers.py` fails on any other number (listed as NOT BACKED).
Course constants and structural numbers are listed by line only.
"""


def _excerpt(number: Number, width: int = 72) -> str:
    """The prose around ``number``, about ``width`` characters, safe in a table cell."""
    piece = _window(number.context, number.column, width)
    return re.sub(r"[`*]", "", piece).replace("|", "\\|")


def _shown(number: Number) -> str:
    match = PLACEHOLDER.search(number.text)
    return f"`seeds:{match['key']}`" if match else f"`{number.text}`"


def _rows(backed: list[Backed], notes: dict[str, str]) -> list[str]:
    """One table row per line and backing: the numbers, an excerpt, the backing. A
    registry entry's reason is given once, as a note ``r1``, ``r2`` ... in ``notes``."""
    groups: dict[tuple, list[Backed]] = {}
    for b in backed:
        if b.kind not in ("course constant", "structural"):
            groups.setdefault((b.number.line, b.kind, b.detail), []).append(b)
    rows = []
    for (line, kind, detail), members in groups.items():
        if kind == "registry":
            detail = notes.setdefault(detail, f"r{len(notes) + 1}")
        numbers = ", ".join(_shown(b.number) for b in members)
        backing = f"**{kind}**" + (f" {detail}" if detail else "")
        rows.append(f"| {line} | {numbers} | {_excerpt(members[0].number)} | {backing} |")
    return rows


def _by_value(backed: list[Backed], kind: str) -> str:
    """``kind``'s numbers grouped by what backs them: `+1`, `1.0` (what): lines 3, 40."""
    groups: dict[str, tuple[dict, dict]] = {}
    for b in backed:
        if b.kind == kind:
            texts, lines = groups.setdefault(b.detail, ({}, {}))
            texts[f"`{b.number.text}`"] = lines[str(b.number.line)] = None
    return "; ".join(
        ", ".join(texts) + (f" ({detail})" if detail else "") + f": {', '.join(lines)}"
        for detail, (texts, lines) in groups.items()
    )


def chapter_section(path: Path, backed: list[Backed]) -> str:
    """The part of ``docs/claims.md`` for one lesson."""
    out = [f"## Chapter {int(path.stem[:2])}: `lessons/{path.name}`", ""]
    notes: dict[str, str] = {}
    rows = _rows(backed, notes)
    if rows:
        out += ["| line | number | excerpt | backing |", "|---|---|---|---|", *rows, ""]
    out += [f"- {note}: {reason}" for reason, note in notes.items()]
    out += [""] if notes else []
    constants = _by_value(backed, "course constant")
    if constants:
        out += [f"Course constants (numbers, what, lines): {constants}.", ""]
    structural = [f"{b.number.line} `{b.number.text}`" for b in backed if b.kind == "structural"]
    if structural:
        out += [f"Structural (line and number): {', '.join(structural)}.", ""]
    return "\n".join(out)


def summary(per_lesson: dict[Path, list[Backed]]) -> str:
    """A table of the counts per chapter and backing, with totals."""
    head = ["chapter", *BACKINGS, "total"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    totals: Counter = Counter()
    for path, backed in per_lesson.items():
        counts = Counter(b.kind for b in backed)
        totals += counts
        cells_ = [str(counts[k]) for k in BACKINGS] + [str(len(backed))]
        out.append(f"| {int(path.stem[:2])} | " + " | ".join(cells_) + " |")
    cells_ = [str(totals[k]) for k in BACKINGS] + [str(sum(totals.values()))]
    out.append("| all | " + " | ".join(cells_) + " |")
    return "\n".join(out)


def document(paths: list[Path], constants, entries: list[Entry], ranges: dict) -> str:
    """The whole of ``docs/claims.md`` for the lessons ``paths``."""
    per_lesson = {path: classify(path, constants, entries, ranges) for path in paths}
    parts = [HEADER, "## Summary: numbers per chapter and backing\n", summary(per_lesson), ""]
    parts += [chapter_section(path, backed) for path, backed in per_lesson.items()]
    return "\n".join(parts).rstrip("\n") + "\n"


def document_for(root: Path = ROOT) -> str | None:
    """``docs/claims.md`` as the lessons, registry and seed data under ``root`` make it
    (``python -m handson_rl.maintainers.build`` writes it with the notebooks, and its
    ``--check`` checks it); None when ``root`` has no registry (a test's tiny tree)."""
    registry_path = root / "docs" / "prose_numbers.toml"
    if not registry_path.exists():
        return None
    return document(
        lesson_paths(root / "lessons"),
        course_constants(root / "src" / "handson_rl"),
        registry(registry_path),
        seed_ranges(root / "bench" / "results"),
    )


def lesson_paths(directory: Path = LESSONS_DIR) -> list[Path]:
    return sorted(Path(directory).glob("[0-9][0-9]_*.py"))


def stale_message(path: Path, current: str, wanted: str, shown: int = 12) -> str:
    """Why ``--check`` fails: what to run, and the first lines that differ."""
    diff = list(
        difflib.unified_diff(
            current.splitlines(), wanted.splitlines(), "written", "generated", n=0, lineterm=""
        )
    )
    more = f"\n... ({len(diff) - shown} more diff lines)" if len(diff) > shown else ""
    return (
        f"{path} is out of date with lessons/*.py, docs/prose_numbers.toml and "
        f"bench/results/seeds_*.json: run `{COMMAND}`.\n" + "\n".join(diff[:shown]) + more
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m handson_rl.maintainers.prose_numbers",
        description="List every number in the lessons' prose with what backs it.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--write",
        nargs="?",
        const=CLAIMS,
        type=Path,
        metavar="PATH",
        help="write the document (default docs/claims.md)",
    )
    action.add_argument(
        "--check",
        nargs="?",
        const=CLAIMS,
        type=Path,
        metavar="PATH",
        help="exit 1 if the document is out of date",
    )
    action.add_argument(
        "--unbacked",
        action="store_true",
        help="list the numbers nothing backs (what the test fails on)",
    )
    for name, default in (
        ("lessons", LESSONS_DIR),
        ("registry", REGISTRY),
        ("results", SEED_RESULTS),
        ("source", SOURCE),
    ):
        parser.add_argument(f"--{name}", type=Path, default=default, help=argparse.SUPPRESS)
    return parser  # fmt: skip


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    paths = lesson_paths(args.lessons)
    constants, entries = course_constants(args.source), registry(args.registry)
    ranges = seed_ranges(args.results)
    if args.unbacked:
        found = [p for path in paths for p in problems(path, constants, entries, ranges)]
        print("\n".join(found) if found else "Every number in the prose is backed.")
        return 1 if found else 0
    wanted = document(paths, constants, entries, ranges)
    if args.write:
        args.write.write_text(wanted)
        print(f"wrote {args.write}")
        return 0
    current = args.check.read_text() if args.check.exists() else ""
    if current != wanted:
        print(stale_message(args.check, current, wanted), file=sys.stderr)
        return 1
    print(f"{args.check} is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
