"""## What it does
Reports comment lines of the directive block that read like `#SBATCH` but are not:
a misspelt prefix (`#SBTACH`, `#SABTCH`, `#SBACTH`, `#SBATC`: one letter changed, added,
dropped or two swapped), the wrong case (`#sbatch`), or a directive that does not start
the line (`  #SBATCH`).  Only lines that go on with an option count: prose such as
`# SBATCH settings` is not one.  `##SBATCH`, the usual way to switch a directive off, is
left alone; `# SBATCH` (a space) is `spaced-directive`.

## Why is this bad?
sbatch reads only `#SBATCH` in upper case at the start of a line and ignores everything
else without a word, so the job silently runs without what the line asks for: a
`#SBTACH --gres=gpu:1` job gets no GPU (and `--nv` then finds no device), a
`#SBTACH --exclusive` job shares its node.

## Example
```bash
#!/bin/bash
#SBTACH --nodes=4
#SBATCH --ntasks=192
```
Use instead:
```bash
#!/bin/bash
#SBATCH --nodes=4
#SBATCH --ntasks=192
```

## Fix safety
No fix: mending the prefix turns the line into a directive and changes what the job asks
for (and it may have been switched off on purpose); the user decides.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity

_WHY = {
    "misspelt": "is not `#SBATCH`",
    "case": "is not `#SBATCH` (sbatch reads only upper case)",
    "indented": "does not start the line (sbatch reads `#SBATCH` only at column 0)",
}


def options_of(text: str) -> str:
    """The options of a near-miss line, without a trailing `# comment`."""
    cut = text.find(" #")
    return (text[:cut] if cut != -1 else text).strip()


class MisspeltDirective(Rule):
    code = "SM008"
    name = "misspelt-directive"
    severity = Severity.WARNING
    summary = "a line that reads like #SBATCH but is not one: sbatch ignores it"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            for near in unit.directives.near_misses:
                if near.kind not in _WHY:
                    continue
                options = options_of(near.options)
                where = " (in the job script written by this heredoc)" if unit.embedded else ""
                yield self.finding(
                    near.start,
                    near.end,
                    f"`{near.written}` {_WHY[near.kind]}: sbatch ignores this line, so the job runs without "
                    f"`{options}`; write `#SBATCH {options}` at the start of the line, or `##SBATCH` to keep it "
                    f"switched off{where}",
                )
