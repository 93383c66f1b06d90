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
