"""The rows of the slides report, and how they are compared and printed.

A row holds a value of the lecture and what scratch computes for it. Its ``slide`` is the
value as printed on the slide, or empty where the slide prints none: such a row shows a
computed value (an intermediate step, a number the slide only names) and is marked
"computed". A row whose value cannot be computed on this machine (a data set that is not
installed) is "skipped", and its note says how to install what it needs.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Check:
    """section, quantity; slide: as printed (JSON), "" if the slide prints none; computed: scratch's value,
    None when it could not be computed here; tolerance: per printed number; note; number: the slide(s);
    at_least: the printed value is a floor to reach (the demo's accuracy), not a value to equal."""

    section: str
    quantity: str
    slide: str
    computed: object
    tolerance: object = 0.0
    note: str = ""
    number: str = ""
    at_least: bool = False

    @property
    def agrees(self):
        """True unless a printed value is not reproduced (computed and skipped rows have nothing to disagree with)."""
        if self.computed is None or not self.slide:
            return True
        slide, computed = np.asarray(json.loads(self.slide), dtype=float), np.asarray(self.computed, dtype=float)
        if slide.shape != computed.shape:
            return False
        if self.at_least:
            return bool(np.all(computed >= slide - self.tolerance))
        return bool(np.all(np.abs(slide - computed) <= self.tolerance))

    @property
    def status(self):
        """"yes" or "NO" for a printed value, "computed" where the slide prints none, "skipped"."""
        if self.computed is None:
            return "skipped"
        return "computed" if not self.slide else "yes" if self.agrees else "NO"


def _unit_of_last_digit(text):
    """For each number printed in ``text``, 10⁻ᵏ where k is its count of decimals (0 for integers)."""
    numbers = re.findall(r"-?\d+(?:\.(\d+))?", text)
    units = [10.0 ** -len(decimals) if decimals else 0.0 for decimals in numbers]
    return np.reshape(units, np.shape(json.loads(text)))


def row(number, quantity, computed, slide="", *, note="", tolerance=None, at_least=False):
    """A Check on slide ``number``; printed values agree within one unit of their last digit by default."""
    if tolerance is None:
        tolerance = _unit_of_last_digit(slide) * (1 + 1e-9) if slide else 0.0
    computed = None if computed is None else np.asarray(computed, dtype=float)
    return Check("", quantity, slide, computed, tolerance, note, str(number), at_least)


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
        verdict = c.status + (f" — {c.note}" if c.note else "")
        cells = (c.number, c.quantity, c.slide or "—", format_value(c.computed), verdict)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines).strip()


def summary(checks):
    """One line: how many values were reproduced, how many are printed on the slides, computed, skipped."""
    counts = Counter(c.status for c in checks)  # "yes", "NO", "computed", "skipped"; 0 when absent
    reproduced = counts["yes"] + counts["computed"]
    text = (f"{reproduced} of {len(checks) - counts['skipped']} lecture values reproduced: "
            f"{counts['yes']} of {counts['yes'] + counts['NO']} printed on the slides, "
            f"{counts['computed']} computed where they print none")
    skipped = f"; {counts['skipped']} skipped (data not installed, see their notes)" if counts["skipped"] else ""
    return f"{text}{skipped}."
