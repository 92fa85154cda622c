"""A Helm values fragment for the Slinky ``slurm`` chart, sized from the inventory.

Written for the chart's real value keys (SlinkyProject/slurm-operator ``helm/slurm``) in
one of two layouts the user names (:data:`CHARTS`):

- ``0.4``: chart 0.4.0, commit 42e10f7, images 25.11-ubuntu24.04.  Its defaults define one
  sample NodeSet, ``slinky``; a NodeSet under another name gets nothing from them, so the
  fragment then carries every key the chart's templates read for a NodeSet, and turns
  the sample off.
- ``1.3``: chart 1.3.0-rc1, commit f2ed3fc5, images 26.05-ubuntu26.04.  Per-set defaults
  live in ``nodesetDefaults``/``loginsetDefaults`` and merge under every named set; the
  NodeSet partition is off by default there, and so is the sample partition ``all``.

The NodeSet is named after the partition the migrated scripts use (the profile's map;
``--partition-map gtest=gpu`` makes it ``gpu``); every other target partition becomes a
chart partition over the same NodeSet.  Partition settings (MaxTime, DefaultTime) come from
the profile when it knows them.  Every entry carries a comment saying why it is there.
Emitted as text (YAML cannot carry comments through a serializer); the tests parse it back
and render it with Helm's own engine.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..model.timelimit import seconds
from ..profile import Mount, Profile
from ..record import record


@record(frozen=True)
class Chart:
    version: str
    label: str
    set_defaults: bool  # nodesetDefaults/loginsetDefaults merge under every named set
    sample_nodeset: str | None  # the NodeSet the chart's own defaults define
    partition_default_on: bool  # nodesets.<name>.partition.enabled defaults to true
    sample_partition_default: bool  # the sample partition `all` is on and Default=YES


CHARTS = {
    "0.4": Chart(
        "0.4",
        "SlinkyProject/slurm-operator helm/slurm 0.4.0 (values layout of commit 42e10f7, images 25.11-ubuntu24.04)",
        set_defaults=False,
        sample_nodeset="slinky",
        partition_default_on=True,
        sample_partition_default=True,
    ),
    "1.3": Chart(
        "1.3",
        "SlinkyProject/slurm-operator helm/slurm 1.3.0-rc1 (commit f2ed3fc5, nodesetDefaults, "
        "images 26.05-ubuntu26.04)",
        set_defaults=True,
        sample_nodeset=None,
        partition_default_on=False,
        sample_partition_default=False,
    ),
}
DEFAULT_CHART = "0.4"
LOGINSET = "slinky"  # the login pods' set: its name is no partition, the chart's sample name serves


def _image(ref: str) -> tuple[str, str]:
    repo, _, tag = ref.rpartition(":")
    if not repo or "/" in tag:
        return ref, "latest"
    return repo, tag


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nodeset_names(summary: dict[str, Any], profile: Profile) -> tuple[str, list[tuple[str, int]]]:
    """The NodeSet to create (the target partition most scripts use after migration; the
    profile's NodeSet when they name none, or when it is among them) and the other target
    partitions with their script counts."""
    targets: Counter[str] = Counter()
    for p in summary["partitions"]:
        if p["target"]:
            targets[p["target"]] += p["scripts"]
    if not targets or profile.nodeset in targets:
        ns = profile.nodeset
    else:
        ns = sorted(targets.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return ns, sorted((t, n) for t, n in targets.items() if t != ns)


def partition_settings(summary: dict[str, Any], profile: Profile, partition: str) -> list[tuple[str, str, str]]:
    """(key, value, why) for a target partition's configMap: MaxTime and DefaultTime as the
    profile knows them (from the new cluster's snapshot), else MaxTime as the longest limit
    the old partitions mapped to it gave their jobs."""
    out = []
    known = profile.partition_limits.get(partition)
    if known is not None:
        out.append(
            ("MaxTime", known.max_time or "UNLIMITED", "the target's MaxTime, from its snapshot (profile [target])")
        )
        if known.default_time:
            out.append(("DefaultTime", known.default_time, "the target's DefaultTime, from its snapshot"))
        return out
    old = [
        (limit, name)
        for name, limit in profile.implicit_time.items()
        if profile.target_of(name) == partition and seconds(limit) is not None
    ]
    used = {p["partition"] for p in summary["partitions"]}
    if old:
        limit, name = max(old, key=lambda lp: (seconds(lp[0]) or 0, lp[1]))
        scripts = "its scripts" if name in used else "the old cluster"
        out.append(("MaxTime", limit, f"the longest limit the old partitions gave ({name}, as {scripts} knew it)"))
    return out


def values(
    summary: dict[str, Any], profile: Profile, job_submit_lua: str | None = None, chart: str = DEFAULT_CHART
) -> str:
    """The values text; ``job_submit_lua``: the transitional script to ship to the
    controller (``configFiles`` + ``JobSubmitPlugins=lua``); ``chart``: a key of CHARTS."""
    layout = CHARTS[chart]
    ns, other_partitions = nodeset_names(summary, profile)
    standalone = not layout.set_defaults and ns != layout.sample_nodeset  # no chart defaults reach it
    used = list(summary["host_paths"])
    mounts: list[tuple[Mount, bool, str]] = []  # (mount, read_only, why)
    for m in profile.mounts:
        users = [p for p in used if m.covers(p["prefix"])]
        images = [i for i in summary["images"] if m.covers(i["image"])]
        if not users and not images:
            continue
        writes = any(p["access"] == "read-write" for p in users)
        ro = m.read_only or not writes
        n = sum(p["scripts"] for p in users) or sum(i["scripts"] for i in images)
        why = f"{n} job scripts use {m.path}" + (" and only read it" if ro else "")
        mounts.append((m, ro, why))
    missing = [p for p in used if not p["mounted"]]
    gpus = summary["gpus_per_node"]["max"]
    nodes = summary["nodes"]["max"] or 1
    fabric = summary["fabric"]["users"]
    slurmd_repo, slurmd_tag = _image(profile.slurmd_image)
    login_repo, login_tag = _image(profile.login_image)
    base_tag = "25.11-ubuntu24.04" if chart == "0.4" else "26.05-ubuntu26.04"
    out = [
        f"# Helm values for the Slinky `slurm` chart: {layout.label}.",
        f"# Generated by sbatch-migrate inventory from {summary['scripts']} job scripts of {summary['users']} users",
        f"# with profile {profile.name}. Key paths differ between chart versions: this fragment is for chart "
        f"{layout.version} (--chart-version).",
    ]
    node_gpus = profile.gpus_per_node or gpus
    gres = bool(gpus and node_gpus)
    if gres or job_submit_lua:
        out.append("configFiles:")
    if gres:
        # Kubernetes gives the pod its GPUs (the limits below); Slurm must know them too, or
        # every --gres=gpu:N job is refused ("Invalid generic resource", Gres=(null) on the node)
        out += [
            "  gres.conf: |  # the devices by name: NVML autodetection needs a slurmd built with NVML",
            f"    Name=gpu File=/dev/nvidia[0-{node_gpus - 1}]" if node_gpus > 1 else "    Name=gpu File=/dev/nvidia0",
        ]
    if job_submit_lua:
        out.append("  job_submit.lua: |  # the transition: old partition names keep working (see job-submit-lua)")
        out += [f"    {line}" if line else "" for line in job_submit_lua.rstrip("\n").split("\n")]
    if gres or job_submit_lua:
        out += ["controller:", "  extraConfMap:"]
    if gres:
        out.append("    GresTypes: [gpu]  # slurm.conf: GresTypes=gpu")
    if job_submit_lua:
        out.append("    JobSubmitPlugins: [lua]  # slurm.conf: JobSubmitPlugins=lua (runs job_submit.lua)")
    out.append("nodesets:")
    if standalone and layout.sample_nodeset:
        out += [
            f"  {layout.sample_nodeset}:",
            f"    enabled: false  # the chart's sample NodeSet: the migrated scripts use {ns}",
        ]
    out += [
        f"  {ns}:  # NodeSet name = partition name the migrated scripts use",
        "    enabled: true",
        f"    replicas: {max(nodes, 1)}  # the largest job asks for {nodes} node(s)",
        "    slurmd:",
        "      image:",
        f"        repository: {_q(slurmd_repo)}  # FROM ghcr.io/slinkyproject/slurmd:{base_tag} with Apptainer",
        f"        tag: {_q(slurmd_tag)}",
    ]
    if standalone:
        out += ["      args: []", "      env: []"]
    if gpus:
        cap = min(gpus, profile.gpus_per_node) if profile.gpus_per_node else gpus
        note = f"jobs ask for up to {gpus} GPUs per node" + (
            f" (more than the {profile.gpus_per_node} a node has: see SM501)" if cap < gpus else ""
        )
        out += [
            "      resources:",
            "        limits:",
            f'          nvidia.com/gpu: "{cap}"  # {note}; `--nv` needs the devices in the pod',
        ]
    elif standalone:
        out.append("      resources: {}")
    if mounts:
        out.append("      volumeMounts:")
        for m, ro, why in mounts:
            out += [f"        - name: {m.claim}  # {why}", f"          mountPath: {_q(m.path)}"]
            if ro:
                out.append("          readOnly: true")
    elif standalone:
        out.append("      volumeMounts: []")
    if standalone:
        out += [
            f"    # {ns} is not the chart's sample NodeSet, so none of the chart's defaults reach it:",
            "    # these are the keys its templates read for every NodeSet (chart 0.4 values).",
            "    logfile:",
            "      image:",
            '        repository: "docker.io/library/alpine"',
            '        tag: "latest"',
            "      resources: {}",
            "    extraConf: null",
            "    useResourceLimits: true",
            "    updateStrategy:",
            "      type: RollingUpdate",
            "      rollingUpdate:",
            "        maxUnavailable: 25%",
            "    metadata: {}",
            "    taintKubeNodes: false",
        ]
    if gpus and node_gpus:
        out += [
            "    extraConfMap:",
            f'      Gres: ["gpu:{node_gpus}"]  # the NodeSet\'s nodes in slurm.conf: Gres=gpu:{node_gpus}',
        ]
    elif standalone:
        out.append("    extraConfMap: {}")
    out += [
        "    # Apptainer needs a privileged slurmd container (loop-mounting .sif images, namespaces,",
        "    # GPU devices): the operator builds the slurmd container privileged itself, so nothing",
        "    # is needed here (nodesets.<name>.slurmd.securityContext passes through if a site",
        "    # wants to say more).",
        "    podSpec:",
    ]
    pod: list[str] = []
    if standalone:
        pod += [
            "      initContainers: []",
            "      nodeSelector:",
            "        kubernetes.io/os: linux",
            "      affinity: {}",
            "      tolerations: []",
        ]
    if fabric:
        shown = ", ".join(fabric[:8]) + (" …" if len(fabric) > 8 else "")
        pod.append(
            f"      hostNetwork: true  # {len(fabric)} users set UCX/NCCL InfiniBand variables ({shown}); "
            "or use an RDMA device plugin with Multus instead"
        )
        pod.append(
            "      dnsPolicy: ClusterFirstWithHostNet  # with hostNetwork, slurmd resolves the controller's "
            "Service name only with this (the operator's hybrid-network doc sets both)"
        )
    if mounts:
        pod.append("      volumes:")
        pod += _volumes(m for m, _, _ in mounts)
    elif standalone:
        pod.append("      volumes: []")
    out += pod or ["      {}"]
    for p in missing:
        out.append(
            f"      # NOT MOUNTED: {p['prefix']} ({p['access']}, {p['scripts']} scripts): no claim in the "
            "profile covers it; add one to [[storage.mounts]] and run inventory again"
        )
    settings = partition_settings(summary, profile, ns)
    out += [
        "    partition:",
        "      enabled: true  # the NodeSet's own partition, named like the NodeSet"
        + ("" if layout.partition_default_on else " (off by default in this chart)"),
    ]
    if standalone:
        out.append("      config: null")
    out += _config_map(settings, default=not layout.sample_partition_default, indent="      ")
    if other_partitions:
        out.append("partitions:")
        for name, n in other_partitions:
            out += [
                f"  {name}:  # {n} migrated scripts name it: a partition over the same NodeSet",
                "    enabled: true",
                f"    nodesets: [{ns}]",
                "    config: null",
            ]
            out += _config_map(partition_settings(summary, profile, name), default=False, indent="    ")
    out += [
        "loginsets:",
        f"  {LOGINSET}:  # where users run sbatch/srun and `singularity pull`",
        "    enabled: true",
        "    login:",
        "      image:",
        f"        repository: {_q(login_repo)}  # FROM ghcr.io/slinkyproject/login:{base_tag} with Apptainer",
        f"        tag: {_q(login_tag)}",
        "      securityContext:",
        "        privileged: true  # only if users run Apptainer containers on the login pod (pull/build/test)",
    ]
    if mounts:
        out.append("      volumeMounts:")
        for m, ro, _ in mounts:
            out += [f"        - name: {m.claim}", f"          mountPath: {_q(m.path)}"]
            if ro:
                out.append("          readOnly: true")
        out += ["    podSpec:", "      volumes:  # the same claims as the NodeSet, so paths match on both"]
        out += _volumes(m for m, _, _ in mounts)
    return "\n".join(out) + "\n"


def _config_map(settings: list[tuple[str, str, str]], default: bool, indent: str) -> list[str]:
    """A partition's ``configMap``: State, Default where the chart has no default partition,
    and the settings with why."""
    out = [f"{indent}configMap:", f"{indent}  State: UP"]
    if default:
        out.append(f'{indent}  Default: "YES"  # this chart defines no default partition: jobs without -p land here')
    out += [f"{indent}  {key}: {_q(value)}  # {why}" for key, value, why in settings]
    return out


def _volumes(mounts: Any) -> list[str]:
    out = []
    for m in mounts:
        out += [f"        - name: {m.claim}", "          persistentVolumeClaim:", f"            claimName: {m.claim}"]
    return out
