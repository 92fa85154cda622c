"""What a job asks for on each node it uses, read from its directives (first het component).

The numbers follow how Slurm turns options into an allocation (checked against the local
lab's controller: ``tests/test_slurm.py`` runs generated option sets and compares with
``scontrol show job -d``):

- tasks per node: ``--ntasks-per-node``; else ``--ntasks`` over ``--nodes`` (the most
  nodes a range allows): Slurm packs the first nodes, so the busiest node holds at least
  ``ceil(ntasks / nodes)`` (and the job fits exactly when that many fit on a node);
  without ``--nodes`` it takes as many nodes as it needs, so only one task per node is
  certain, but no more nodes than tasks (``--ntasks=1`` is one node); ``--ntasks-per-node``
  without ``--ntasks`` makes that many tasks per node of the minimum node count, and those
  tasks bound the nodes too (``--nodes=1-2 --ntasks-per-node=1`` is one node);
- CPUs per node: tasks per node times ``--cpus-per-task``, or ``--cpus-per-gpu`` times the
  node's GPUs, or ``--mincpus``;
- GPUs per node: ``--gres=gpu[:type]:N`` and ``--gpus-per-node`` per node;
  ``--gpus-per-task`` (and ``--tres-per-task=gres/gpu:N``) times tasks per node;
  ``--gpus-per-socket`` times ``--sockets-per-node``; ``--gpus=N`` spread over ``--nodes``
  (without them Slurm fills a node before the next, so only one GPU per node is certain);
- memory per node: ``--mem``, or ``--mem-per-cpu`` times the node's CPUs, or
  ``--mem-per-gpu`` times its GPUs (``--mem=0``: the whole node, no figure).

Each figure is a lower bound of what a node must hold (``exact`` says when Slurm's own
allocation is that figure), with the option that decides it: a finding points there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from ..profile import memory_mb
from ..read.directives import Directives, OptionUse
from ..record import NamedTuple
from .launch import SlurmCall


class JobShape(NamedTuple):
    nodes: int | None  # the minimum node count asked for
    gpus_per_node: int | None  # None: no GPU requested
    gpu_source: OptionUse | None
    cpus_per_node: int | None
    cpu_source: OptionUse | None
    mem_per_node_mb: int | None
    mem_source: OptionUse | None
    gpus_exact: bool = False  # Slurm gives each node exactly this many (else: at least)
    cpus_exact: bool = False
    tasks_per_node: int | None = None


_LEADING_INT = re.compile(r"\s*\+?(\d+)")


def leading_int(text: str | None) -> int | None:
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
        if len(parts) > 1 and parts[-1].split("(")[0].lstrip("+").isdigit():
            count = int(parts[-1].split("(")[0].lstrip("+"))
        total = (total or 0) + count
    return total


def count_of(value: str | None) -> int | None:
    """``[type:]N`` as in --gpus-per-node=v100:8 (a list adds up: ``v100:1,a100:1``)."""
    if value is None:
        return None
    counts = [leading_int(entry.rsplit(":", 1)[-1]) for entry in value.split(",")]
    return sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None


def tres_gpus(value: str | None) -> int | None:
    """GPUs in a --tres-per-task value: ``gres/gpu:2``, ``gres/gpu:a100:2``, ``cpu=4,gres/gpu:1``."""
    if value is None:
        return None
    for entry in value.split(","):
        if entry.startswith(("gres/gpu", "gres:gpu")):
            return leading_int(entry.split(":")[-1].split("=")[-1]) or 1
    return None


_NODES = re.compile(r"\s*\+?(\d+)([kKmM]?)")


def node_min(value: str | None) -> int | None:
    """The minimum of a --nodes value: ``2``, ``2-4``, ``-4`` (1), ``1k``, a size list ``1,2,4``."""
    if value is None:
        return None
    first = re.split(r"[-,:]", value, maxsplit=1)[0]
    if not first.strip():
        return 1
    m = _NODES.match(first)
    if m is None:
        return None
    return int(m.group(1)) * {"k": 1024, "m": 1 << 20}.get(m.group(2).lower(), 1)


def node_max(value: str | None) -> int | None:
    """The most nodes a --nodes value allows (``2-4``: 4; ``2``: 2; ``2-``: None, any)."""
    if value is None:
        return None
    parts = [p for p in re.split(r"[-,:]", value) if p.strip()]
    if "-" in value and value.rstrip().endswith("-"):
        return None
    counts = [node_min(p) for p in parts]
    known = [c for c in counts if c is not None]
    return max(known) if known else None


def shape(d: Directives) -> JobShape:
    """The job's shape from its directives (the last use of each option wins)."""
    return shape_of(d.last)


# sbatch's input environment for resources (its man page, "INPUT ENVIRONMENT VARIABLES"):
# set in the submitting shell, they override the job script's directives, and the command
# line overrides them
SBATCH_RESOURCE_ENV = {
    "SBATCH_GRES": "gres",
    "SBATCH_GPUS": "gpus",
    "SBATCH_GPUS_PER_NODE": "gpus-per-node",
    "SBATCH_GPUS_PER_TASK": "gpus-per-task",
    "SBATCH_CPUS_PER_GPU": "cpus-per-gpu",
    "SBATCH_MEM_PER_NODE": "mem",
    "SBATCH_MEM_PER_CPU": "mem-per-cpu",
    "SBATCH_MEM_PER_GPU": "mem-per-gpu",
    "SBATCH_TRES_PER_TASK": "tres-per-task",
}


def env_use(name: str, value: str | None, start: int, end: int, line: int) -> OptionUse | None:
    """An ``SBATCH_*`` resource variable of the submitting shell as the option it stands for."""
    option = SBATCH_RESOURCE_ENV.get(name)
    if option is None or value is None or "$" in value:
        return None
    return OptionUse("SBATCH", option, name, "long=", value, start, end, start, end, line, False)


def call_shape(
    call: SlurmCall, line_of: Callable[[int], int], env: dict[str, OptionUse] | None = None
) -> JobShape | None:
    """The shape an ``srun``/``salloc``/``sbatch`` command of the script asks for, from its
    own options and, for ``sbatch``, the ``SBATCH_*`` resource variables it inherits
    (``env``: option name -> the variable's use; the command line wins).  None: it names
    no resource, or one whose value is not known."""
    uses: dict[str, OptionUse] = dict(env or {})
    for opt in call.options:
        if opt.name not in RESOURCE_OPTIONS:
            continue
        arg = opt.value_arg
        if arg is None or not arg.known or opt.value is None or "$" in opt.value:
            return None  # a value the script computes: the figure is not known
        start, end = opt.name_arg.word.start, arg.word.end
        uses[opt.name] = OptionUse(
            "SBATCH",
            opt.name,
            opt.written,
            opt.form,  # type: ignore[arg-type]
            opt.value,
            arg.word.start,
            arg.word.end,
            start,
            end,
            line_of(start),
            False,
        )
    if not uses:
        return None
    return shape_of(uses.get)


RESOURCE_OPTIONS = frozenset(
    "nodes ntasks ntasks-per-node cpus-per-task cpus-per-gpu mincpus gres gpus gpus-per-node "
    "gpus-per-task gpus-per-socket sockets-per-node tres-per-task mem mem-per-cpu mem-per-gpu".split()
)


def shape_of(get: Callable[[str], OptionUse | None]) -> JobShape:
    nodes_opt = get("nodes")
    nodes = node_min(nodes_opt.value) if nodes_opt else None
    most = node_max(nodes_opt.value) if nodes_opt else None  # what the tasks may spread over
    fixed = nodes is not None and nodes == most  # --nodes=2, not a range

    # tasks per node
    ntpn_opt = get("ntasks-per-node")
    ntasks_opt = get("ntasks")
    ntpn = leading_int(ntpn_opt.value) if ntpn_opt else None
    ntasks = leading_int(ntasks_opt.value) if ntasks_opt else None
    if ntasks and nodes and ntasks < nodes and not ntpn:
        nodes = most = ntasks  # Slurm gives fewer tasks than nodes only as many nodes
        fixed = True
    elif ntasks and not ntpn and (most is None or ntasks < most):
        # every node holds a task: n tasks span at most n nodes (-n 1 --gpus=9: one node)
        most = ntasks
        fixed = nodes == most or ntasks == 1
    elif ntpn and not ntasks and (nodes_opt is None or (nodes is not None and not fixed)):
        # sbatch sets --ntasks from --ntasks-per-node times the minimum node count (one
        # without --nodes), and those tasks bound the nodes: at most that many of them
        # (--ntasks-per-node=1 --gpus=9 is refused on 8-GPU nodes, with --nodes=1-2 too;
        # --ntasks-per-node=2 --gpus=9 runs on two)
        nodes = nodes or 1
        most = min(most, nodes * ntpn) if most else nodes * ntpn
        fixed = nodes == most
    tasks_src: OptionUse | None
    if ntpn:
        # without --nodes the ntpn tasks may spread over as many nodes: exact on one only
        tpn, tasks_exact, tasks_src = ntpn, nodes_opt is not None or ntasks is not None or fixed, ntpn_opt
    elif ntasks and most:
        # Slurm packs the first nodes: only one task each is sure, unless there is one per node
        tpn, tasks_exact, tasks_src = math.ceil(ntasks / most), fixed and ntasks == most, ntasks_opt
    else:
        tpn, tasks_exact, tasks_src = 1, ntasks in (None, 1), ntasks_opt

    # GPUs per node
    gpus: int | None = None
    gpu_src: OptionUse | None = None
    gpus_exact = False
    gres = get("gres")
    if gres is not None and gres.value and (n := gres_gpus(gres.value)) is not None:
        gpus, gpu_src, gpus_exact = n, gres, True
    gpn = get("gpus-per-node")
    if gpn is not None and (n := count_of(gpn.value)) is not None:
        gpus, gpu_src, gpus_exact = n, gpn, True
    per_task = None
    gpt = get("gpus-per-task")
    if gpt is not None:
        per_task, per_task_src = count_of(gpt.value), gpt
    tpt = get("tres-per-task")
    if per_task is None and tpt is not None:
        per_task, per_task_src = tres_gpus(tpt.value), tpt
    if gpus is None and per_task:
        gpus, gpu_src, gpus_exact = per_task * tpn, per_task_src, tasks_exact
    gps = get("gpus-per-socket")
    if gpus is None and gps is not None and (n := count_of(gps.value)):
        spn = get("sockets-per-node")
        sockets = leading_int(spn.value) if spn else None
        gpus, gpu_src, gpus_exact = n * (sockets or 1), gps, sockets is not None
    total = get("gpus")
    if gpus is None and total is not None and (n := count_of(total.value)):
        if most:
            gpus, gpu_src, gpus_exact = math.ceil(n / most), total, fixed and (n == most or most == 1)
        else:
            gpus, gpu_src = 1, total  # Slurm fills a node first: at least one per node used

    # CPUs per node
    cpt_opt = get("cpus-per-task")
    cpt = leading_int(cpt_opt.value) if cpt_opt else None
    cpg_opt = get("cpus-per-gpu")
    cpg = leading_int(cpg_opt.value) if cpg_opt else None
    cpus: int | None = None
    cpu_src: OptionUse | None = None
    cpus_exact = False
    # the decider of a CPU finding: the tasks' option when it weighs (not only when exact)
    tasks_weigh = tasks_src if (ntpn or (ntasks and most)) else None
    if cpg and gpus:
        cpus, cpu_src, cpus_exact = cpg * gpus, cpg_opt, gpus_exact
    elif ntpn_opt or ntasks_opt or cpt_opt:
        cpus, cpus_exact = tpn * (cpt or 1), tasks_exact
        cpu_src = _decider(tasks_weigh, tpn, cpt_opt, cpt or 1)
    mincpus_opt = get("mincpus")
    if mincpus_opt is not None and (m := leading_int(mincpus_opt.value)) and (cpus is None or m > cpus):
        cpus, cpu_src = m, mincpus_opt

    # memory per node
    mem: int | None = None
    mem_src: OptionUse | None = None
    mem_opt = get("mem")
    try:
        if mem_opt is not None and mem_opt.value and mem_opt.value not in ("0", "0M", "0G"):
            mem, mem_src = memory_mb(mem_opt.value), mem_opt
        elif (mpc := get("mem-per-cpu")) is not None and mpc.value:
            mem, mem_src = memory_mb(mpc.value) * (cpus or 1), mpc
        elif (mpg := get("mem-per-gpu")) is not None and mpg.value and gpus:
            mem, mem_src = memory_mb(mpg.value) * gpus, mpg
    except ValueError:
        mem = None
    return JobShape(nodes, gpus, gpu_src, cpus, cpu_src, mem, mem_src, gpus_exact, cpus_exact, tpn)


def _decider(tasks: OptionUse | None, tpn: int, cpt_opt: OptionUse | None, cpt: int) -> OptionUse | None:
    """The option a CPU finding points at: the factor that weighs more (56 tasks per node
    with ``-c 1`` is the tasks' line, not ``-c 1``)."""
    if tasks is None:
        return cpt_opt
    if cpt_opt is None:
        return tasks
    return tasks if tpn >= cpt else cpt_opt
