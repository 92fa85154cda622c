"""## What it does
Notes `NCCL_DEBUG` (and `NCCL_DEBUG_SUBSYS`, `NCCL_DEBUG_FILE`).

## Why is this bad?
It is not: these only make NCCL print what it does, and they work the same in the pod.
They are worth keeping for the first runs after the migration: the log shows whether NCCL
chose InfiniBand (`NET/IB`) or fell back to sockets (`NET/Socket`).

## Example
```bash
export NCCL_DEBUG=INFO
```

## Fix safety
Nothing to fix.
"""

from __future__ import annotations

from ._variables import VariableRule
from .rule import Severity


class NcclDebug(VariableRule):
    code = "SM303"
    name = "nccl-debug-variable"
    severity = Severity.INFO
    summary = "NCCL diagnostics: unchanged in the pod, useful to check the transport"
