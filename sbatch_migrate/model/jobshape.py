"""What a job asks for per node, read from its directives (first het component)."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from ..profile import memory_mb
from ..read.directives import Directives, OptionUse


class JobShape(NamedTuple):
    nodes: int | None
    gpus_per_node: int | None  # None: no GPU requested
    gpu_source: OptionUse | None
    cpus_per_node: int | None
    cpu_source: OptionUse | None
    mem_per_node_mb: int | None
    mem_source: OptionUse | None


_LEADING_INT = re.compile(r"\s*(\d+)")


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    m = _LEADING_INT.match(text)
    return int(m.group(1)) if m else None


def gres_gpus(value: str) -> int | None:
    """GPUs in a --gres value: ``gpu:8``, ``gpu:v100:8``, ``gpu`` (1), list entries."""
    total = None
    for entry in value.split(","):
        parts = entry.split(":")
        if parts[0] != "gpu":
            continue
        count = 1
        if len(parts) > 1 and parts[-1].split("(")[0].isdigit():
            count = int(parts[-1].split("(")[0])
        total = (total or 0) + count
    return total


def _count(value: str | None) -> int | None:
    """``[type:]N`` as in --gpus-per-node=v100:8."""
    if value is None:
        return None
    return _int(value.rsplit(":", 1)[-1])


def shape(d: Directives) -> JobShape:
    def get(name: str) -> OptionUse | None:
        return d.last(name)

    nodes_opt = get("nodes")
    nodes = _int(nodes_opt.value) if nodes_opt else None
    gpus = None
    gpu_src = None
    gres = get("gres")
    if gres is not None and gres.value:
        n = gres_gpus(gres.value)
        if n is not None:
            gpus, gpu_src = n, gres
    gpn = get("gpus-per-node")
    if gpn is not None and _count(gpn.value) is not None:
        gpus, gpu_src = _count(gpn.value), gpn
    total = get("gpus")
    if total is not None and _count(total.value) is not None and gpus is None:
        g = _count(total.value) or 0
        gpus, gpu_src = math.ceil(g / (nodes or 1)), total
    ntpn_opt = get("ntasks-per-node") or get("tasks-per-node")
    ntpn = _int(ntpn_opt.value) if ntpn_opt else None
    gpt = get("gpus-per-task")
    if gpt is not None and gpus is None and ntpn:
        gpus, gpu_src = (_count(gpt.value) or 0) * ntpn, gpt
    cpt_opt = get("cpus-per-task")
    cpt = _int(cpt_opt.value) if cpt_opt else None
    cpus = None
    cpu_src = None
    if ntpn is not None:
        cpus, cpu_src = ntpn * (cpt or 1), cpt_opt or ntpn_opt
    else:
        ntasks_opt = get("ntasks")
        ntasks = _int(ntasks_opt.value) if ntasks_opt else None
        if ntasks is not None and nodes:
            cpus, cpu_src = math.ceil(ntasks / nodes) * (cpt or 1), cpt_opt or ntasks_opt
        elif cpt is not None:
            cpus, cpu_src = cpt, cpt_opt
    mem = None
    mem_src = None
    mem_opt = get("mem")
    try:
        if mem_opt is not None and mem_opt.value and mem_opt.value != "0":
            mem, mem_src = memory_mb(mem_opt.value), mem_opt
        elif (mpc := get("mem-per-cpu")) is not None and mpc.value and cpus:
            mem, mem_src = memory_mb(mpc.value) * cpus, mpc
        elif (mpg := get("mem-per-gpu")) is not None and mpg.value and gpus:
            mem, mem_src = memory_mb(mpg.value) * gpus, mpg
    except ValueError:
        mem = None
    return JobShape(nodes, gpus, gpu_src, cpus, cpu_src, mem, mem_src)
