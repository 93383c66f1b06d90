"""README's tour runs as printed: every ```python block of README.md on its own, in a fresh namespace."""

from pathlib import Path

import pytest
from markdown_blocks import code_blocks, missing_peers

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = [(line, code) for line, info, code in code_blocks(README) if info == "python"]


def test_readme_has_a_tour():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"line-{line}" for line, _ in BLOCKS])
def test_readme_block_runs_on_its_own(line, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    missing = missing_peers(code)
    if missing:
        pytest.skip(f"README line {line} needs {', '.join(missing)}")
    compiled = compile("\n" * (line - 1) + code, str(README), "exec")  # tracebacks show README's lines
    try:
        exec(compiled, {"__name__": "readme"})
    except Exception as error:
        if type(error).__name__ == "DataNotFoundError":
            pytest.skip(f"README line {line} needs data: {error}")
        raise
