"""GPU requests sbatch refuses as a whole, though each option is fine alone.

sbatch checks that a job's GPU options agree with each other and with its task and node
counts before it submits (Slurm's ``gres.c``, the job-spec validation of 22.05 and
25.11): ``--gpus`` a multiple of the GPUs per node and within the node range, GPUs per
node a multiple of ``--gpus-per-task`` and of ``--gpus-per-socket``, ``--gpus-per-task``
only with ``--gpus`` or ``--ntasks``, ``--cpus-per-gpu`` not with ``--cpus-per-task``,
``--gpus`` not below the node count.  :func:`refusals` lists what it would refuse, with
sbatch's own words and the option to point at.
"""

from __future__ import annotations

from ..read.directives import Directives, OptionUse
from .jobshape import count_of, gres_gpus, leading_int, node_max, node_min, tres_gpus


def refusals(d: Directives) -> list[tuple[str, OptionUse]]:
    """What sbatch refuses in these GPU options (its first complaint, as it stops there),
    with the option to point at; [] when it takes them."""
    get = d.last
    out: list[tuple[str, OptionUse]] = []
    gres, gpn, gpus, gpt, tpt, gps = (
        get(n) for n in ("gres", "gpus-per-node", "gpus", "gpus-per-task", "tres-per-task", "gpus-per-socket")
    )
    per_node_opt = gpn if gpn is not None else gres
    per_node = None
    if gpn is not None:
        per_node = count_of(gpn.value)
    elif gres is not None and gres.value:
        per_node = gres_gpus(gres.value)
    per_job = count_of(gpus.value) if gpus is not None else None
    per_task_opt = gpt if gpt is not None else tpt
    per_task = count_of(gpt.value) if gpt is not None else (tres_gpus(tpt.value) if tpt is not None else None)
    per_socket = count_of(gps.value) if gps is not None else None
    nodes_opt, ntasks_opt, ntpn_opt = get("nodes"), get("ntasks"), get("ntasks-per-node")
    lo = node_min(nodes_opt.value) if nodes_opt else None
    hi = node_max(nodes_opt.value) if nodes_opt else None
    ntasks = leading_int(ntasks_opt.value) if ntasks_opt else None
    ntpn = leading_int(ntpn_opt.value) if ntpn_opt else None
    if ntasks is None and ntpn and (hi is None or lo == hi):
        # sbatch sets the task count from --ntasks-per-node, for a fixed node count only
        # (src/sbatch/opt.c: max_nodes == 0 || min_nodes == max_nodes)
        ntasks = ntpn * (lo or 1)
    elif ntasks is None and nodes_opt is not None and lo is not None and lo == hi and get("cpus-per-task") is None:
        # and one task per node for a fixed --nodes (src/sbatch/opt.c, "1 proc / node
        # default"), as the lab's sbatch (22.05) behaves: --nodes=1 --gpus-per-task=1 is
        # accepted; --nodes=1-2, or --cpus-per-task beside it, and it is refused
        ntasks = max(lo, 1)
    elif ntasks is not None and lo is not None and ntasks < lo:
        lo = hi = ntasks  # fewer tasks than nodes: sbatch asks for only as many nodes
    if gps is not None and get("sockets-per-node") is None:
        out.append(("--gpus-per-socket option requires --sockets-per-node specification", gps))
    cpg = get("cpus-per-gpu")
    if cpg is not None and get("cpus-per-task") is not None:
        out.append(("--cpus-per-gpu is mutually exclusive with --cpus-per-task", cpg))
    if per_job and per_node and gpus is not None and per_node_opt is not None:
        if per_job % per_node:
            out.append(("Failed to validate job spec, --gpus is not multiple of --gres=gpu/--gpus-per-node", gpus))
        else:
            need = per_job // per_node
            if (lo is not None and need < lo) or (hi is not None and need > hi):
                out.append(
                    (
                        f"Failed to validate job spec. Based on --gpu and --gres=gpu/--gpus-per-node required nodes "
                        f"({need}) doesn't fall between min_nodes ({lo}) and max_nodes ({hi}) boundaries",
                        gpus,
                    )
                )
    if per_node and per_socket and per_node % per_socket and per_node_opt is not None:
        out.append(
            ("Failed to validate job spec, --gres=gpu/--gpus-per-node not multiple of --gpus-per-socket", per_node_opt)
        )
    if per_task and per_task_opt is not None:
        if per_job:
            if per_job % per_task:
                out.append(("Failed to validate job spec, --gpus not multiple of --gpus-per-task", per_task_opt))
            elif ntasks is not None and per_job // per_task != ntasks:
                out.append(
                    (
                        "Failed to validate job spec. Based on --gpus and --gpus-per-task number of requested tasks "
                        "differ from -n/--ntasks",
                        per_task_opt,
                    )
                )
        elif ntasks is None:
            out.append(
                (
                    "Failed to validate job spec. --gpus-per-task or --tres-per-task used without either --gpus or "
                    "-n/--ntasks is not allowed",
                    per_task_opt,
                )
            )
        if per_node and per_node_opt is not None:
            if per_node % per_task:
                out.append(
                    (
                        "Failed to validate job spec, --gres=gpu/--gpus-per-node not multiple of --gpus-per-task",
                        per_task_opt,
                    )
                )
            elif ntpn and per_node // per_task != ntpn:
                out.append(
                    (
                        "Failed to validate job spec. Based on --gres=gpu/--gpus-per-node and --gpus-per-task "
                        "requested number of tasks per node differ from --ntasks-per-node",
                        per_task_opt,
                    )
                )
    if per_job and gpus is not None and lo is not None and per_job < lo:
        out.append(("Failed to validate job spec, --gpus < -N", gpus))
    return out[:1]  # sbatch stops at the first
