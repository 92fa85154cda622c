"""## What it does
Flags `UCX_*` variables (`UCX_NET_DEVICES=mlx5_0:1`, `UCX_IB_GPU_DIRECT_RDMA=1`,
`UCX_TLS=rc,cuda_copy`) set or exported by the script, or passed by a launcher to what it
runs (`mpirun -x UCX_TLS=rc`, `mpirun -genv`, `srun --export=ALL,UCX_TLS=rc`, `#SBATCH --export`,
`env UCX_TLS=rc cmd`).  The variable list lives in the profile (`[[variables.flag]]` with
`code = "SM301"`).

## Why is this bad?
UCX drives the InfiniBand HCA.  Inside a NodeSet pod the HCA is visible only with
`podSpec.hostNetwork: true` or an RDMA device plugin (with Multus), and device names may
differ.  Without them the job fails with `UCX ERROR: no device` or falls back to TCP.

## Example
```bash
export UCX_NET_DEVICES=mlx5_0:1
```
Ask the administrators whether the NodeSet has hostNetwork or the RDMA plugin, and check
the device name with `ibv_devinfo` inside a job.

## Fix safety
No fix by default: the right value depends on the cluster. A profile entry with
`set = { NAME = "value" }` rewrites the value once the site knows it. The rewrite is
unsafe (it changes which device UCX uses): applied only with `--unsafe-fixes`.
"""

from __future__ import annotations

from ._variables import VariableRule
from .rule import Severity


class UcxFabric(VariableRule):
    fix = "sometimes"
    fix_safety = "unsafe"
    code = "SM301"
    name = "ucx-fabric-variable"
    severity = Severity.WARNING
    summary = "UCX InfiniBand setting: needs hostNetwork or an RDMA device plugin in the pod"
