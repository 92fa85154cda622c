"""## What it does
Flags NCCL network settings: `NCCL_IB_HCA`, `NCCL_IB_DISABLE`, `NCCL_NET_GDR_LEVEL`,
`NCCL_SOCKET_IFNAME`, `NCCL_P2P_*` and the others the profile lists with `code = "SM302"`,
set or exported by the script or passed by a launcher (`mpirun -x`, `mpirun -genv`,
`srun --export`, `#SBATCH --export`, `env`).

## Why is this bad?
NCCL picks InfiniBand only when the pod sees the HCA (hostNetwork or an RDMA device
plugin); otherwise it falls back to TCP sockets on the pod network, much slower, or
fails with `NCCL WARN: peer mapping failed`.  Interface names differ in pods (`eth0`,
`net1` instead of `ib0`), so `NCCL_SOCKET_IFNAME=ib0` can match nothing.

## Example
```bash
export NCCL_SOCKET_IFNAME=ib0
```
Check the interface names inside a job (`ip -br link`) and set the variable to match.

## Fix safety
No fix by default: the right value depends on the cluster. A profile entry with
`set = { NAME = "value" }` rewrites the value once the site knows it. The rewrite is
unsafe (it changes how NCCL talks): applied only with `--unsafe-fixes`.
"""

from __future__ import annotations

from ._variables import VariableRule
from .rule import Severity


class NcclFabric(VariableRule):
    fix = "sometimes"
    fix_safety = "unsafe"
    code = "SM302"
    name = "nccl-fabric-variable"
    severity = Severity.WARNING
    summary = "NCCL network setting: depends on what the pod can see"
