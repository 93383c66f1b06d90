"""``scratch slides``: every number of the lecture, recomputed with scratch, section by section.

``lecture_checks(sections)`` returns one `Check` per row, labelled by its slide: a value
printed on a slide beside scratch's, judged under the slide's own rule (its digits exact, cut
or rounded, stated per row), an erratum, the demo's accuracy as a floor reached, or a
computed value where the slide prints none — the intermediate steps, the numbers a slide
only names (see report.py). Slide numbers are the ones the extract of the slides prints; an
unnumbered slide counts on from the one before it.
"""

from dataclasses import replace

from scratch.cli.slides import models, numbers
from scratch.cli.slides.report import Check, format_table, format_value, row, summary

# section number → (title, its slides, the function that computes its rows)
SECTIONS = {
    1: ("Tensors", "slides 2–8", numbers.tensors),
    2: ("Gradient computation", "slide 9", numbers.gradients),
    3: ("Example 1: linear regression on one sample", "slides 10–14", numbers.example_1),
    4: ("Logistic regression", "slides 15–16", numbers.logistic_regression),
    5: ("Softmax and cross-entropy", "slide 17", numbers.softmax_regression),
    6: ("nn.Sequential", "slides 18–20", models.sequential),
    7: ("Model construction", "slides 21–30", models.model_construction),
    8: ("Training", "slides 31–34", models.training),
    9: ("Image data: MNIST and Fashion-MNIST", "slides 35–41", models.image_data),
}


def lecture_checks(sections=None):
    """The rows of ``sections`` (numbers 1–9; all by default), in lecture order."""
    rows = []
    for number in sorted(SECTIONS) if sections is None else sections:
        title, slides, compute = SECTIONS[number]
        rows += [replace(check, section=f"{number}. {title} ({slides})") for check in compute()]
    return rows


__all__ = ["Check", "SECTIONS", "format_table", "format_value", "lecture_checks", "row", "summary"]
