"""The lecture walkthrough, docs/lecture/*.md, executed: the pages cannot drift from the code.

Every ```python block of a page runs, in page order, in one namespace per page, with the
working directory set to a temporary folder. A block that imports torch runs only where
torch is installed. A block whose info string has a second word (```python skip) and every
other language (```text, ```sh) are shown, never run. A failure names the page, the block
and its line: tracebacks point at the Markdown file's own lines. Links between the pages
and to the code must resolve.

Nothing printed goes unchecked: what a block prints must be the ```text block right after it
(```text ± 0.2 where the page states a tolerance for a machine-dependent number), and a
```text block that follows no python block fails. Every Markdown table carries a marker line:
``<!-- checked: name -->`` — the page's code sets ``name`` to the table's rows, and every number
of a row (outside $…$ math) must equal the code's at the printed precision
(tests/markdown_blocks.py) — or ``<!-- not computed: why -->``, allowed only to a table with
no decimal number.

A figure the page shows (``![…](figures/NAME.png)``) that its code draws (``path="NAME.png"``,
into the temporary folder) must be the committed PNG: the same pixel size, the same texts —
every label and number the drawing shows — and the same layout (tests/markdown_blocks.py).
"""

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest
from markdown_blocks import (
    assert_same_figure, check_output, check_table, code_blocks, embedded_figures, missing_peers, numbers, shown,
    shown_output, tables,
)
from page_formulas import assert_chain

DOCS = Path(__file__).resolve().parents[1] / "docs" / "lecture"
PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"docs.lecture.{page.stem}"}
    blocks, skipped = code_blocks(page), []
    pending = checked_tables(page)  # {line: (name, rows)}, checked once the page's code has set `name`
    for index, (line, info, code) in enumerate(blocks, 1):
        if info == "formula" and page.name != "derivations.md":  # derivations.md: tests/test_derivations_*.py
            check_formulas(page, line, code, namespace)
        if info.split()[:1] == ["text"]:
            before = blocks[index - 2][1] if index > 1 else None
            assert before == "python", f"{page.name}: the text block at line {line} follows no python block: nothing checks it"
        if info != "python":
            continue
        missing = missing_peers(code)
        if missing:
            skipped.append(f"block {index} (line {line}) needs {', '.join(missing)}")
            continue
        # Padding with newlines makes the code's line numbers the page's own.
        compiled, printed = compile("\n" * (line - 1) + code, str(page), "exec"), io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compiled, namespace)
        except Exception as error:
            if type(error).__name__ == "DataNotFoundError":  # scratch.datasets: a data set is not installed
                pytest.skip(f"{page.name}: block {index} (line {line}) needs data: {error}")
            raise AssertionError(f"{page.name}: block {index} at line {line} failed: {error!r}") from error
        check_printed(page, index, blocks, printed.getvalue())
        for table_line, (name, rows) in list(pending.items()):
            if name in namespace:
                check_table(f"{page.name}: the table at line {table_line} (checked: {name})", rows, namespace[name])
                del pending[table_line]
    for name in embedded_figures(page):  # a figure the page shows and its code draws is the committed one
        if (tmp_path / name).exists():
            assert_same_figure(f"{page.name}: figures/{name}", DOCS / "figures" / name, tmp_path / name)
    unchecked = [f"the table at line {line} (its code sets no {name})" for line, (name, _) in pending.items()]
    if skipped:
        warnings.warn(f"{page.name}: skipped " + "; ".join(skipped + unchecked), stacklevel=1)
    else:
        assert not unchecked, f"{page.name}: " + "; ".join(unchecked)


def check_printed(page, index, blocks, output):
    """What block ``index`` printed is the ```text block right after it (the page's own tolerance,
    ```text ± t, for a machine-dependent number); a block that prints must be followed by one."""
    line = blocks[index - 1][0]
    following = blocks[index] if index < len(blocks) else (None, "", "")
    is_text, tolerance = shown_output(following[1])
    if not is_text:
        assert output == "", f"{page.name}: block {index} (line {line}) prints {output!r}; no ```text block after it shows it"
        return
    check_output(f"{page.name}: the text block at line {following[0]}", following[2], tolerance, output)


def checked_tables(page):
    """{first line: (name, rows)} of the tables the page's code checks (``<!-- checked: name -->``);
    a table with neither marker fails, and one marked ``<!-- not computed: why -->`` may show no
    decimal number (a worked number is never left unchecked)."""
    checked = {}
    for line, kind, name, rows in tables(page):
        assert kind is not None, f"{page.name}: the table at line {line} has no <!-- checked: name --> above it"
        if kind == "checked":
            checked[line] = (name, rows)
            continue
        decimals = [n for _, text in rows for n in numbers(shown(text)) if "." in n]
        assert not decimals, f"{page.name}: the table at line {line} shows {decimals} but is marked not computed"
    return checked


def check_formulas(page, line, code, namespace):
    """A ```formula block of a section page, checked where it stands: every form of a chain
    ``label = form = …`` (tests/page_formulas.py) equals ``formula_values[label]``, the value
    the page's code computed before it; its names take their values from the same dict."""
    values = namespace.get("formula_values")
    assert values is not None, f"{page.name}: the formula block at line {line} follows no formula_values"
    for chain in code.splitlines():
        label, *forms = [part.strip() for part in chain.split(" = ")]
        assert label in values, f"{page.name}, line {line}: formula_values has no {label!r} to check {chain!r}"
        assert_chain(f"{page.name}:{line}", label, forms, values, values[label])


def github_anchor(heading):
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def prose(page):
    """The page without its code blocks."""
    return re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)


def anchors(page):
    return {github_anchor(h) for h in re.findall(r"^#+ (.+)$", prose(page), flags=re.MULTILINE)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: link to {target} points at nothing"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{page.name}: {resolved.name} has no heading #{anchor}"


def test_the_index_lists_every_page():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\]\(([\w.-]+\.md)\)", index))
    assert listed == {p.name for p in PAGES} - {"README.md"}


def test_every_page_runs_code():
    for page in PAGES:
        if page.name not in ("README.md", "derivations.md"):
            assert any(info == "python" for _, info, _ in code_blocks(page)), f"{page.name} runs no code"
