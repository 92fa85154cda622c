"""Bytes and text to facts: decoding and line index (source), bash through tree-sitter
(shell), ``#SBATCH`` lines with sbatch's own rules (directives, options + data/), what bash
itself says (bashsyntax), Python launchers through libcst (pyfront), and what kind of file
a file is (kind)."""
