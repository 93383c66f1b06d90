"""Fenced code blocks of Markdown pages (README.md, docs/lecture/), for the tests that run them."""

import ast
import importlib.util
import re

FENCE = re.compile(r"^```(.*)$")
OPTIONAL = ("torch", "sklearn")  # peers a block may import; without them the block is skipped


def code_blocks(page):
    """[(first line number, info string, code)] of the page's fenced blocks, in order."""
    blocks, info, start, body = [], None, 0, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line)
        if info is None and match:
            info, start, body = match.group(1).strip(), number + 1, []
        elif info is not None and line.startswith("```"):
            blocks.append((start, info, "\n".join(body)))
            info = None
        elif info is not None:
            body.append(line)
    assert info is None, f"{page.name}: a code block opened at line {start - 1} is never closed"
    return blocks


def missing_peers(code):
    """The optional peers (e.g. torch) a block imports that are not installed."""
    imported = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    return sorted(p for p in imported & set(OPTIONAL) if importlib.util.find_spec(p) is None)


# ---------------------------------------------------------------- printed numbers, tables, outputs

NUMBER = re.compile(r"(?<![\w.])[−-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:e[−-]?[0-9]+)?(?![\w])")
MARKER = re.compile(r"^<!-- (checked|not computed): (.+?) -->$")


def numbers(text):
    """The numbers of ``text`` as printed (strings): "−0.192308", "60,000", "3.96555e−05"."""
    return NUMBER.findall(text)


def value_of(token):
    return float(token.replace("−", "-").replace(",", ""))


def precision(token):
    """Half a unit of the last printed digit: 128.55 → 0.005, 3.96555e−05 → 5e−11, 60,000 → 0.5."""
    mantissa, _, exponent = token.replace("−", "-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (int(exponent or 0) - decimals) * (1 + 1e-9)


def shown(text):
    """A table row's text as the test reads its numbers: math ($…$) is a formula, a link's target and a
    stated tolerance (± 0.2) are no worked numbers."""
    return re.sub(r"±\s*[0-9.]+|\]\([^)]*\)", " ", re.sub(r"\$[^$]*\$", " ", text))


def tables(page):
    """[(first line, kind, name or reason, [(line, row text), …])] of the page's Markdown tables;
    kind is "checked" or "not computed", from the ``<!-- kind: … -->`` line above the table."""
    lines, found, in_code, number = page.read_text(encoding="utf-8").splitlines(), [], False, 0
    while number < len(lines):
        line = lines[number]
        in_code = in_code != line.startswith("```")
        if not in_code and line.startswith("|") and number + 1 < len(lines) and re.match(r"^\|[\s|:-]+\|$", lines[number + 1]):
            above = next((t for t in reversed(lines[:number]) if t.strip()), "")
            marker = MARKER.match(above)
            rows, end = [], number + 2
            while end < len(lines) and lines[end].startswith("|"):
                rows.append((end + 1, lines[end]))
                end += 1
            found.append((number + 1, *(marker.groups() if marker else (None, None)), rows))
            number = end
        else:
            number += 1
    return found


def flat(expected):
    """The numbers of a table row as the page's code gives them, flattened: arrays, tensors, lists."""
    if isinstance(expected, dict):
        return [expected]
    if hasattr(expected, "tolist"):
        expected = expected.tolist()
    if isinstance(expected, (list, tuple)):
        return [item for part in expected for item in flat(part)]
    return [float(expected)]


def check_table(where, rows, expected):
    """Every number of every row equals the code's value at the printed precision, or, for
    ``{"measured": v, "within": t}``, within the tolerance t that the row itself states (± t)."""
    assert len(expected) == len(rows), f"{where}: the table has {len(rows)} rows, the code gives {len(expected)}"
    for (line, text), values in zip(rows, expected):
        printed, values = numbers(shown(text)), flat(values)
        assert len(printed) == len(values), (
            f"{where}, line {line}: the row shows {len(printed)} numbers {printed}, the code gives {len(values)}")
        for token, value in zip(printed, values):
            if isinstance(value, dict):
                within = value["within"]
                assert f"± {within:g}" in text, f"{where}, line {line}: the row does not state its tolerance ± {within:g}"
                tolerance, value = within, value["measured"]
            else:
                tolerance = precision(token)
            assert abs(value_of(token) - value) <= tolerance + 1e-12, (
                f"{where}, line {line}: {token} is printed, the code computes {value!r}")


def shown_output(info):
    """(True, tolerance or None) for a ```text block (```text ± 0.2 states a tolerance), (False, None) otherwise."""
    match = re.fullmatch(r"text(?:\s+±\s*([0-9.eE+-]+))?", info)
    return (match is not None, float(match.group(1)) if match and match.group(1) else None)


def check_output(where, shown_text, tolerance, output):
    """A block's printed output equals the ```text block shown after it: the words exactly, the
    numbers exactly or, where the page states a tolerance (```text ± t), within it."""
    expected, actual = shown_text.rstrip("\n"), output.rstrip("\n")
    if tolerance is None:
        assert actual == expected, f"{where}: the block prints\n{actual}\nthe page shows\n{expected}"
        return
    split = lambda text: (NUMBER.split(text), numbers(text))
    (words, printed), (actual_words, actual_numbers) = split(expected), split(actual)
    assert words == actual_words and len(printed) == len(actual_numbers), (
        f"{where}: the block prints\n{actual}\nthe page shows\n{expected}")
    for token, got in zip(printed, actual_numbers):
        assert abs(value_of(token) - value_of(got)) <= tolerance, (
            f"{where}: {got} is printed, the page shows {token} (± {tolerance:g})")


# ---------------------------------------------------------------- figures

FIGURE = re.compile(r"!\[[^\]]*\]\(figures/([\w.-]+\.png)\)")
FIGURE_RMS = 8.0  # pixel levels of 255: a moved node or arrow, another image or scale exceeds it


def embedded_figures(page):
    """The names of the figures (docs/lecture/figures/NAME.png) a page shows."""
    return FIGURE.findall(page.read_text(encoding="utf-8"))


def figure_texts(path):
    """The words and numbers a figure drawn by scratch.diagrams shows (its PNG's scratch:texts chunk), or None."""
    import json

    from PIL import Image

    with Image.open(path) as image:
        chunk = image.text.get("scratch:texts")
    return None if chunk is None else json.loads(chunk)


def assert_same_figure(where, committed, fresh):
    """The committed PNG is what the code draws now: the same pixel size, the same texts (every label and
    number, read from the drawing, not from its pixels: no font renderer can fail it) and pixels within
    FIGURE_RMS of the drawing's (the layout: where the nodes, arrows and images are)."""
    import numpy as np
    from PIL import Image

    with Image.open(committed) as old, Image.open(fresh) as new:
        assert old.size == new.size, f"{where}: the committed figure is {old.size} pixels, the code draws {new.size}"
        old_pixels, new_pixels = (np.asarray(i.convert("RGB"), dtype=float) for i in (old, new))
    drawn = figure_texts(fresh)
    assert drawn is not None, f"{where}: the code's drawing carries no scratch:texts (not drawn by scratch.diagrams)"
    stale = [t for t in drawn if t not in (figure_texts(committed) or [])]
    assert figure_texts(committed) == drawn, f"{where}: the committed figure is stale; the code now draws {stale or drawn}"
    rms = float(np.sqrt(np.mean((old_pixels - new_pixels) ** 2)))
    assert rms <= FIGURE_RMS, f"{where}: the committed figure's pixels differ from the code's drawing by {rms:.1f} RMS"
