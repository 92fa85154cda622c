"""## What it does
Notes a Python batch script or launcher that is valid Python (CPython parses it) but that
the tool's Python reader, libcst, cannot read where it must: libcst reads only the calls,
assignments and strings the tool acts on (found with CPython's own parser), and one of
them holds a construct libcst does not know yet, or is nested too deeply for it.  The
same construct elsewhere in the file is not read and not said.

## Why is this bad?
The job itself is fine; but its calls (`subprocess`, `os.system`, submitit) were not
checked, so nothing in its Python code was migrated or reported (its `#SBATCH` lines
still are).  The finding says so, so that a clean report is not taken for a checked file.

## Example
```python
#!/usr/bin/env python3
#SBATCH -p gtest
import subprocess
subprocess.run(["sbatch", "job.sh"], timeout=1 + 1 + 1 + ...)   # hundreds of terms: deeper than libcst goes
```

## Fix safety
Nothing to fix: check the file's launches by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class PythonNotRead(Rule):
    code = "SM909"
    name = "python-not-read"
    severity = Severity.WARNING
    summary = "valid Python the tool's reader (libcst) cannot read: its calls are not checked"

    def check(self, ctx: Context) -> Iterator[Finding]:
        py = ctx.facts.python
        if py is None or py.unread is None:
            return
        offset, why = py.unread
        line = ctx.source.line_of(min(offset, len(ctx.source.parse_bytes)))
        start, end = ctx.source.line_span(line)
        yield self.finding(start, end, f"valid Python, but {why}: its calls were not checked")
