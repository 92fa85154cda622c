"""## What it does
Reports a region that bash accepts but that the tool's bash parser (tree-sitter-bash)
cannot read.  Known cases: `for i do` (a `for` loop without `in`), a quoted blank inside
a `case` pattern (`?*' '?*)`), `[ -x f; then` (a `[` without its `]`, which bash only
rejects when the line runs), and a heredoc line that starts with the delimiter
(`SHIM_PATH=…` in a `<<SH` heredoc: the parser ends the heredoc there, bash at the line
that is `SH` alone).  bash's verdict comes from `bash -n`, which reads the
script without running any of it.

## Why is this bad?
The script is valid, but nothing in the region is analysed or changed: a
`module load singularity`, an `srun` with an old partition or a UCX variable there goes
unreported.  The report names the lines so that they can be checked by hand.

## Example
```bash
for f do
  module load singularity
done
```
`bash accepts lines 1-3, but sbatch-migrate's parser cannot read them: nothing there is
analysed or changed; check it by hand`.  Writing `for f in "$@"; do` (the same loop)
lets the tool read it.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ._parse_regions import regions
from .rule import Finding, Rule, Severity


class ParserLimit(Rule):
    code = "SM908"
    name = "parser-limit"
    severity = Severity.WARNING
    summary = "bash accepts it, the tool's parser cannot read it: region not analysed, check it by hand"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        for r in regions(ctx):
            if r.kind != "bash-accepts":
                continue
            where = " in the job script embedded in this heredoc" if r.unit.embedded else ""
            snippet = source.span_text(r.start, min(r.end, r.start + 40)).split("\n")[0]
            yield self.finding(
                r.start,
                max(r.end, r.start),
                f"bash accepts {r.lines}{where} (near `{snippet}`), but sbatch-migrate's parser "
                f"cannot read {'them' if r.lines.startswith('lines') else 'it'}: nothing there is analysed "
                "or changed; check it by hand",
            )
