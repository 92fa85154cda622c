"""Cross-check: on every corpus script bashlex can parse, the commands found by the
tree-sitter front end equal the ones bashlex finds (position and name of each)."""

from __future__ import annotations

from pathlib import Path

import bashlex
import pytest

from sbatch_migrate.model.facts import collect, language_of
from sbatch_migrate.read.source import Source

from .corpus import cases, input_of

DECLARATIONS = {"export", "declare", "local", "readonly", "typeset"}


def bashlex_commands(text: str) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()

    class Visitor(bashlex.ast.nodevisitor):  # type: ignore[misc]
        def visitcommand(self, node, parts):  # type: ignore[no-untyped-def]
            words = [p for p in parts if p.kind == "word"]
            # export/declare/local/readonly are declarations in tree-sitter-bash: the front end
            # reports them as assignments, not as commands
            if words and text[words[0].pos[0] : words[0].pos[1]] not in DECLARATIONS:
                found.add((words[0].pos[0], text[words[0].pos[0] : words[0].pos[1]]))

    for tree in bashlex.parse(text):
        Visitor().visit(tree)
    return found


def ours(source: Source) -> set[tuple[int, str]]:
    facts = collect(source)
    assert facts.shell is not None
    return {(c.name.start, c.name.text) for c in facts.shell.commands if c.name is not None}


SCRIPTS = [
    input_of(c) for c in cases() if language_of(input_of(c).read_bytes().split(b"\n", 1)[0], str(input_of(c))) == "bash"
]


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.parent.name for p in SCRIPTS])
def test_same_commands_as_bashlex(path: Path) -> None:
    data = path.read_bytes()
    if not data.isascii() or b"\r" in data:
        pytest.skip("bashlex positions are character offsets of LF text; compared on ASCII LF scripts")
    text = data.decode()
    try:
        expected = bashlex_commands(text)
    except (bashlex.errors.ParsingError, NotImplementedError, AttributeError, TypeError) as exc:
        pytest.skip(f"bashlex cannot parse this script: {type(exc).__name__}")
    source = Source.from_bytes(data, str(path))
    shell = collect(source).shell
    if shell is not None and shell.errors:
        pytest.skip("tree-sitter-bash cannot read all of it (SM901/SM908 report where): nothing to compare there")
    assert ours(source) == expected


def test_crosscheck_covers_most_of_the_corpus() -> None:
    parsed = 0
    for path in SCRIPTS:
        data = path.read_bytes()
        if not data.isascii() or b"\r" in data:
            continue
        try:
            bashlex_commands(data.decode())
        except Exception:
            continue
        parsed += 1
    assert parsed >= len(SCRIPTS) // 2, f"bashlex parsed only {parsed} of {len(SCRIPTS)}"
