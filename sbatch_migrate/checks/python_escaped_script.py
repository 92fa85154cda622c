"""## What it does
Reports a job script embedded in a Python string literal written with escapes
(`"#!/bin/bash\\n#SBATCH -p gtest\\n..."`): the tool reads such a string's value but
cannot map its edits back to the source text safely, so it does not migrate it.

## Why is this bad?
The rendered job script still names TWCC partitions and loads modules.

## Example
```python
script = "#!/bin/bash\\n#SBATCH -p gtest\\nsrun hostname\\n"
```
Use a triple-quoted string with real line breaks; then the tool migrates it in place.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class PythonEscapedScript(Rule):
    code = "SM907"
    name = "python-escaped-script"
    severity = Severity.WARNING
    summary = "job script in a Python string with escapes: not migrated"

    def check(self, ctx: Context) -> Iterator[Finding]:
        py = ctx.facts.python
        if py is None:
            return
        for s in py.scripts:
            if not s.editable:
                yield self.finding(
                    s.start,
                    s.end,
                    "this string embeds a job script but is written with escapes: "
                    "not migrated; write it as a triple-quoted string with real line breaks",
                )
