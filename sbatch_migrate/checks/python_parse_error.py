"""## What it does
Reports a Python batch script or launcher that Python cannot parse (libcst).

## Why is this bad?
The job fails at once; and the tool cannot read its calls, so it changes nothing in the
Python code (its `#SBATCH` lines are still migrated).

## Example
```python
#!/usr/bin/env python3
#SBATCH -p gtest
print("unclosed
```

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class PythonParseError(Rule):
    code = "SM902"
    name = "python-parse-error"
    severity = Severity.ERROR
    summary = "Python that does not parse: only its #SBATCH lines are migrated"

    def check(self, ctx: Context) -> Iterator[Finding]:
        py = ctx.facts.python
        if py is None or py.error is None:
            return
        offset, message = py.error
        line = ctx.source.line_of(min(offset, len(ctx.source.parse_bytes)))
        start, end = ctx.source.line_span(line)
        yield self.finding(start, end, f"Python does not parse: {message}; the Python code is left untouched")
