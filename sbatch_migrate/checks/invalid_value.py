"""## What it does
Reports option values sbatch or its controller refuses, in `#SBATCH` lines and in the
options of `srun`, `salloc` and `sbatch` commands of the script: an empty value
(`--ntasks-per-node=`), a template placeholder left in a count
(`--ntasks-per-node=<# of processes>`), a count that is not a whole positive number
(`--cpus-per-task=0`, `--ntasks=1.5`), a malformed time (`--time=1:2:3:4`), memory size
(`--mem=1.5G`, `--mem=5GiB`) or node count (`--nodes=2-1`), an `--exclusive` mode that
does not exist, a `--gres` that is not `name[:type][:count]` or names a GRES the target
lacks (its GresTypes, `[target] gres_types` in the profile), a GPU count that is not a
number.  Each is read the way Slurm reads it (`parse_int`, `verify_node_count`,
`time_str2mins`, `str_to_mbytes`; see `read/optvalues.py`), and the tests hold every value
this check passes against the real sbatch.

## Why is this bad?
sbatch stops before submitting (`Invalid numeric value "" for --ntasks-per-node.`,
`Invalid --mem specification`), or the controller refuses the job (`Requested node
configuration is not available`, `Invalid generic resource (gres) specification`).

## Example
```bash
#SBATCH --ntasks-per-node=<# of processes>
#SBATCH --mem=1.5G
```
Use instead:
```bash
#SBATCH --ntasks-per-node=4
#SBATCH --mem=1536M
```

## Fix safety
No fix: the value the job needs is the user's to choose.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.gpurequest import refusals
from ..read.optvalues import problem
from .rule import Finding, Rule, Severity


class InvalidValue(Rule):
    code = "SM010"
    name = "invalid-value"
    severity = Severity.ERROR
    summary = "option value sbatch (or its controller) refuses"

    def check(self, ctx: Context) -> Iterator[Finding]:
        types = ctx.profile.gres_types
        for unit in ctx.units():
            where = " (in the job script written by this heredoc)" if unit.embedded else ""
            # each directive's value judged once (for the GPU options together, and alone)
            judged = [(u, problem(u.name, u.value, types)) for u in unit.directives.options if u.in_block]
            if not any(why for _, why in judged):
                for said, use in refusals(unit.directives):
                    yield self.finding(use.start, use.end, f"sbatch refuses these GPU options together: {said}{where}")
            for use, why in judged:
                if use.kind not in ("SBATCH", "SLURM") or use.value is None:
                    continue
                if "$" in use.value or "`" in use.value:
                    continue  # directive-variable reports it
                if why is not None:
                    yield self.finding(
                        use.start,
                        use.end,
                        f"`{ctx.source.span_text(use.start, use.end)}`: sbatch refuses it: {why}{where}",
                    )
            if unit.shell is None:
                continue
            for cmd in unit.shell.commands:
                call = ctx.slurm_call(cmd)
                if call is None:
                    continue
                for opt in call.options:
                    arg = opt.value_arg
                    if arg is None or not arg.known or opt.value is None or "$" in opt.value:
                        continue
                    why = problem(opt.name, opt.value, types)
                    if why is not None:
                        start, end = opt.name_arg.word.start, arg.word.end
                        said = f"`{call.program} {ctx.source.span_text(start, end)}`: {call.program} refuses it: {why}"
                        yield self.finding(start, end, said)
