"""README's tour runs as printed: every ```python block of README.md on its own, in a fresh
namespace, from a temporary working directory (no block writes into the checkout).

What a block prints must be the ```text block right after it (a machine-dependent number
within the tolerance the block's comment and ```text ± t state); a block that prints with no
```text block under it, or a ```text block under no python block, fails.
"""

import contextlib
import io
from pathlib import Path

import pytest
from markdown_blocks import check_output, code_blocks, missing_peers, shown_output

README = Path(__file__).resolve().parents[1] / "README.md"
ALL = code_blocks(README)
BLOCKS = [(index, line, code) for index, (line, info, code) in enumerate(ALL) if info == "python"]


def test_readme_has_a_tour():
    assert len(BLOCKS) >= 4


def test_every_text_block_shows_a_python_blocks_output():
    for index, (line, info, _) in enumerate(ALL):
        if shown_output(info)[0]:
            assert index > 0 and ALL[index - 1][1] == "python", f"README line {line}: a text block under no python block"


@pytest.mark.parametrize("index, line, code", BLOCKS, ids=[f"line-{line}" for _, line, _ in BLOCKS])
def test_readme_block_runs_on_its_own(index, line, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    missing = missing_peers(code)
    if missing:
        pytest.skip(f"README line {line} needs {', '.join(missing)}")
    compiled, printed = compile("\n" * (line - 1) + code, str(README), "exec"), io.StringIO()  # README's lines
    try:
        with contextlib.redirect_stdout(printed):
            exec(compiled, {"__name__": "readme"})
    except Exception as error:
        if type(error).__name__ == "DataNotFoundError":
            pytest.skip(f"README line {line} needs data: {error}")
        raise
    following = ALL[index + 1] if index + 1 < len(ALL) else (None, "", "")
    is_text, tolerance = shown_output(following[1])
    if is_text:
        check_output(f"README: the text block at line {following[0]}", following[2], tolerance, printed.getvalue())
    else:
        assert printed.getvalue() == "", f"README line {line} prints {printed.getvalue()!r}; no ```text block shows it"
    assert list(tmp_path.iterdir()) == [], f"README line {line} leaves files in its working directory"
