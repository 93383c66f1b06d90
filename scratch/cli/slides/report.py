"""The rows of the slides report, and how they are compared and printed.

A row holds a value of the lecture and what scratch computes for it. Its ``slide`` is the
value as printed on the slide (JSON), or empty where the slide prints none. A printed value
is compared under the slide's own rule, stated per row:

- "exact": the printed number is the value itself (integers, 0.38, −2.238);
- "cut": the printed digits are scratch's value cut after them (0.6963 for 0.696355);
- "rounded": the printed digits are scratch's value rounded to them (0.385 for 0.384616).

Each row then has a status: "yes" (the printed digits are scratch's value under that rule),
"NO" (they are not: a lecture value not reproduced), "erratum" (a printed value the slide
got wrong; the note says what it is), "floor reached" (a measured figure that the slide's
value only bounds from below: the demo's accuracy), "computed" (the slide prints no value:
an intermediate step, a number a slide only names) or "skipped" (a data set that is not
installed; the note says how to install it).
"""

import json
import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

RULES = ("exact", "cut", "rounded")
NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def decimals_printed(text):
    """For each number printed in ``text`` (JSON), its count of decimals, in the shape of the value."""
    return np.reshape([len(d) for d in NUMBER.findall(text)], np.shape(json.loads(text)))


def as_printed(value, decimals, rule):
    """``value`` cut or rounded to ``decimals`` decimals, as an integer count of units of the last digit.

    A relative 1e-12 absorbs binary representation (0.38 held as 0.37999…) before cutting."""
    scaled = value * 10.0**decimals * (1 + 1e-12)
    return int(math.trunc(scaled)) if rule == "cut" else int(round(scaled))


def reproduces(printed, value, rule):
    """True when each printed number is ``value`` under ``rule`` ("exact", "cut", "rounded")."""
    numbers, decimals = np.ravel(json.loads(printed)), np.ravel(decimals_printed(printed))
    values = np.ravel(np.asarray(value, dtype=float))
    if values.shape != numbers.shape:
        return False
    if rule == "exact":
        return bool(np.allclose(values, numbers, rtol=1e-9, atol=1e-12))
    return all(as_printed(v, k, rule) == round(p * 10.0**k) for p, v, k in zip(numbers, values, decimals))


@dataclass(frozen=True)
class Check:
    """section, quantity; slide: as printed (JSON), "" if the slide prints none; computed: scratch's value,
    None when it could not be computed here; rule: how the slide wrote its digits ("exact", "cut",
    "rounded"); note; number: the slide(s) as the extract numbers them; erratum: the printed value is
    wrong and the note says why; at_least: the printed value is a floor that scratch's measured figure
    must reach (the demo's accuracy), with ``tolerance`` below it allowed."""

    section: str
    quantity: str
    slide: str
    computed: object
    rule: str = "exact"
    note: str = ""
    number: str = ""
    erratum: bool = False
    at_least: bool = False
    tolerance: float = 0.0

    @property
    def status(self):
        """"yes", "NO", "erratum", "floor reached", "computed" or "skipped" (see the module's docstring)."""
        if self.computed is None:
            return "skipped"
        if not self.slide:
            return "computed"
        if self.at_least:
            reached = np.all(np.asarray(self.computed, dtype=float) >= np.asarray(json.loads(self.slide)) - self.tolerance)
            return "floor reached" if reached else "NO"
        if reproduces(self.slide, self.computed, self.rule):
            return "NO" if self.erratum else "yes"  # an erratum that scratch reproduces is no erratum
        return "erratum" if self.erratum else "NO"

    @property
    def agrees(self):
        """False only for a lecture value not reproduced ("NO"): `scratch slides` then exits 1."""
        return self.status != "NO"

    @property
    def verdict(self):
        """The status with the rule it was judged by and the note."""
        words = [self.status]
        if self.status == "yes" and self.rule != "exact":
            other = "rounded" if self.rule == "cut" else "cut"
            same = reproduces(self.slide, self.computed, other)
            words.append(f"{self.rule} after the printed digits ({other} {'gives the same' if same else 'would not'})")
        if self.note:
            words.append(self.note)
        return " — ".join(words)


def row(number, quantity, computed, slide="", *, rule="exact", note="", erratum=False, at_least=False,
        tolerance=0.0):
    """A Check on slide(s) ``number``; a printed ``slide`` value is judged by ``rule``."""
    if rule not in RULES:
        raise ValueError(f"row: rule must be one of {RULES}, got {rule!r}")
    computed = None if computed is None else np.asarray(computed, dtype=float)
    return Check("", quantity, slide, computed, rule, note, str(number), erratum, at_least, tolerance)


def _number(value):
    """6 decimals, or 6 significant digits below 10⁻³; integers without a decimal point."""
    if value == round(value):
        return int(value)
    return round(value, 6) if abs(value) >= 1e-3 else float(f"{value:.6g}")


def format_value(values):
    """Compact JSON of a number or nested list; "—" for nothing."""
    if values is None:
        return "—"
    as_list = np.asarray(values, dtype=float).tolist()
    walk = lambda v: [walk(item) for item in v] if isinstance(v, list) else _number(v)
    return json.dumps(walk(as_list))


def format_table(checks):
    """Markdown: one table per section, headed by its title; each row labelled by its slide number."""
    lines, section = [], None
    for c in checks:
        if c.section != section:
            section = c.section
            lines += ["", f"## {section}", ""] if section else [""]
            lines += ["| slide | quantity | on the slide | scratch | check |", "| --- | --- | --- | --- | --- |"]
        cells = (c.number, c.quantity, c.slide or "—", format_value(c.computed), c.verdict)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines).strip()


def summary(checks):
    """One line: the rows accounted for (every status but "NO" and "skipped"), then what they are."""
    counts = Counter(c.status for c in checks)
    accounted = len(checks) - counts["NO"] - counts["skipped"]
    parts = [f"{counts['yes']} of {counts['yes'] + counts['NO']} printed values equal scratch's under the slide's rule"]
    parts += [f"{counts[s]} {label}" for s, label in (
        ("erratum", "errata (printed values the slides got wrong, explained in their notes)"),
        ("floor reached", "measured figure at or above the slide's floor"),
        ("computed", "computed where the slides print none")) if counts[s]]
    skipped = f"; {counts['skipped']} skipped (data not installed, see their notes)" if counts["skipped"] else ""
    return f"{accounted} of {len(checks) - counts['skipped']} lecture values reproduced: {', '.join(parts)}{skipped}."
