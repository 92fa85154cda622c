"""## What it does
Flags Open MPI transport selection through the environment: `OMPI_MCA_btl=openib,self`,
`OMPI_MCA_btl_openib_*`, `OMPI_MCA_pml=ucx`, and the others the profile lists with
`code = "SM304"`; also on the `mpirun` command line, where `--mca btl ^openib` is read by
Open MPI as `OMPI_MCA_btl=^openib`.

## Why is this bad?
These pick InfiniBand transports, which need the HCA inside the pod (hostNetwork or an
RDMA device plugin).  The `openib` BTL no longer exists in current Open MPI releases
inside newer images; UCX replaces it.

## Example
```bash
export OMPI_MCA_btl=openib,self,vader
```
Use UCX (`OMPI_MCA_pml=ucx`) where the pod sees InfiniBand, or leave the choice to Open MPI.

## Fix safety
No fix by default; a profile entry with `set = { NAME = "value" }` rewrites the value.
The rewrite is unsafe (it changes the transport): applied only with `--unsafe-fixes`.
"""

from __future__ import annotations

from ._variables import VariableRule
from .rule import Severity


class OpenmpiTransport(VariableRule):
    fix = "sometimes"
    fix_safety = "unsafe"
    code = "SM304"
    name = "openmpi-transport-variable"
    severity = Severity.WARNING
    summary = "Open MPI InfiniBand transport setting: needs the HCA in the pod"
