"""``profile init``: a profile made from two cluster snapshots (old and new), for a user to
read and edit.

The built-in profile is the template: its module, variable, Apptainer, storage and host
sections stay as they are; ``[target]``, ``[partitions]`` and ``[nodeset]`` are written
from the snapshots, every value with a comment saying where it comes from.  What a snapshot
could not learn (the accounts where sacctmgr was refused, say) is left out, never guessed:
the rules that need it then stay silent or warn.
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..model.timelimit import seconds
from ..profile import DEFAULT_PROFILE, _builtin_dir


def _gpus(node: dict[str, Any]) -> int:
    return sum(g["count"] or 0 for g in node["gres"] if g["name"] == "gpu")


def _gpu_types(nodes: list[dict[str, Any]]) -> set[str]:
    return {g["type"] for n in nodes for g in n["gres"] if g["name"] == "gpu" and g["type"]}


def _nodes_of(snapshot: dict[str, Any], partition: str) -> list[dict[str, Any]]:
    return [n for n in snapshot["nodes"] if partition in n["partitions"]]


def _known_release(release: str | None) -> tuple[str | None, str]:
    """The release whose option tables apply: the snapshot's, else the newest known before it."""
    from ..read.options import releases

    known = sorted(releases())
    if release is None or release in known:
        return release, ""
    earlier = [k for k in known if k <= release]
    chosen = earlier[-1] if earlier else known[0]
    return chosen, f"  # the cluster runs {release}: no option tables for it yet, {chosen}'s apply"


def from_profile(profile: Any) -> dict[str, Any]:
    """A snapshot-shaped picture of a profile's target (``profile init`` without ``--to``)."""
    ns = profile.nodeset
    gres = [{"name": "gpu", "type": None, "count": profile.gpus_per_node}] if profile.gpus_per_node else []
    return {
        "cluster": f"the {profile.name} profile's target",
        "slurm_version": profile.slurm_version,
        "gres_types": sorted(profile.gres_types),
        "partitions": [
            {"name": t, "default": t == ns, "max_time": None, "default_time": None, "max_nodes": None}
            for t in sorted(profile.partition_targets | {ns})
        ],
        "nodes": [
            {
                "name": f"{ns} (profile)",
                "cpus": profile.cpus_per_node,
                "memory_mb": profile.memory_per_node_mb,
                "gres": gres,
                "features": [],
                "partitions": [ns],
            }
        ],
        "qos": None,
        "nodes_known": False,  # a profile knows the node shape, not the node names
    }


def _shorter(a: str, b: str) -> bool:
    sa, sb = seconds(a), seconds(b)
    return sa is not None and sb is not None and sa < sb


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _release(version: str | None) -> str | None:
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return f"{int(m.group(1)):02d}.{int(m.group(2)):02d}" if m else None


def propose(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The partition map (old -> new, with why), the implicit time limits, the NodeSet."""
    targets = [p for p in new["partitions"] if p["name"]]
    if not targets:
        raise ValueError("the new cluster's snapshot has no partition")

    def gpu_share(p: dict[str, Any]) -> float:
        nodes = _nodes_of(new, p["name"])
        return sum(1 for n in nodes if _gpus(n)) / len(nodes) if nodes else 0.0

    # GPU partitions, the purest first (all its nodes GPU nodes), a default one last
    gpu_targets = sorted((p for p in targets if gpu_share(p) > 0), key=lambda p: (-gpu_share(p), p["default"]))
    default = next((p for p in targets if p["default"]), targets[0])
    mapping: dict[str, tuple[str, str]] = {}
    implicit: dict[str, str] = {}
    for p in old["partitions"]:
        name = p["name"]
        if not name:
            continue
        nodes = _nodes_of(old, name)
        wants_gpu = any(_gpus(n) for n in nodes)
        types = _gpu_types(nodes)
        if wants_gpu and gpu_targets:
            same = [t for t in gpu_targets if types & _gpu_types(_nodes_of(new, t["name"]))]
            pick = (same or gpu_targets)[0]
            why = (
                f"GPU nodes ({', '.join(sorted(types))}) to GPU nodes of the same type"
                if same
                else "GPU nodes to the new cluster's GPU partition"
            )
        else:
            pick = default
            why = "no GPU nodes: the default partition" if not wants_gpu else "no GPU partition on the new cluster"
        limit = p["default_time"] or p["max_time"]
        if limit and pick["max_time"] and _shorter(pick["max_time"], limit):
            why += f"; NOTE: {pick['name']}'s MaxTime {pick['max_time']} is shorter than {name}'s {limit}"
        if name != pick["name"]:
            mapping[name] = (pick["name"], why)
        if limit:
            implicit[name] = limit
    ns_part = gpu_targets[0] if gpu_targets else default
    ns_nodes = _nodes_of(new, ns_part["name"]) or new["nodes"]
    return {
        "map": mapping,
        "implicit_time": implicit,
        "targets": [t["name"] for t in targets],
        "nodeset": ns_part,
        "gpus_per_node": max((_gpus(n) for n in ns_nodes), default=0),
        "cpus_per_node": max((n["cpus"] or 0 for n in ns_nodes), default=0),
        "memory_mb": max((n["memory_mb"] or 0 for n in ns_nodes), default=0),
        "nodes": ns_nodes,
    }


def render(old: dict[str, Any], new: dict[str, Any], name: str = "generated") -> str:
    """The profile text: the built-in one with [target], [partitions] and [nodeset] made
    from the snapshots."""
    plan = propose(old, new)
    with open(os.path.join(_builtin_dir(), f"{DEFAULT_PROFILE}.toml"), encoding="utf-8") as fh:
        base = fh.read()
    release, release_note = _known_release(_release(new.get("slurm_version")))
    gres = new.get("gres_types") or ["gpu"]
    ns = plan["nodeset"]
    node_names = ", ".join(n["name"] for n in plan["nodes"][:20]) + (" …" if len(plan["nodes"]) > 20 else "")
    features = sorted({f for n in plan["nodes"] for f in n["features"]})
    target = [
        "[target]",
        f"# From the new cluster's snapshot ({new.get('cluster') or 'unnamed'}, Slurm {new.get('slurm_version')}).",
        f"slurm_version = {_q(release)}{release_note}" if release else "# slurm_version: not in the snapshot",
        f"gres_types = [{', '.join(_q(g) for g in gres)}]  # GresTypes",
        "pyxis = false",
        *(
            [
                f"# The inventory of {ns['name']} (-w/-x names, --constraint features, GPU types, --nodes):",
                f"# {node_names} ({len(plan['nodes'])} nodes)",
            ]
            if new.get("nodes_known", True)
            else [f"# {ns['name']}'s node names, features and count are not known from a profile: no such keys"]
        ),
        *(
            [
                f"nodes = [{', '.join(_q(n['name']) for n in plan['nodes'])}]",
                f"features = [{', '.join(_q(f) for f in features)}]",
                f"gpu_types = [{', '.join(_q(t) for t in sorted(_gpu_types(plan['nodes'])))}]"
                + ("  # untyped GRES (gpu:N)" if not _gpu_types(plan["nodes"]) else ""),
                f"node_count = {len(plan['nodes'])}",
            ]
            if new.get("nodes_known", True)
            else []
        ),
        f"# partitions: {', '.join(plan['targets'])}"
        + "".join(
            f"; {p['name']} MaxTime={p['max_time'] or 'UNLIMITED'} MaxNodes={p['max_nodes'] or 'UNLIMITED'}"
            for p in new["partitions"]
        ),
    ]
    target += _limits_and_accounting(new)
    entries = ", ".join(f"{_q(k)} = {_q(v)}" for k, (v, _) in sorted(plan["map"].items()))
    partitions = [
        "[partitions]",
        f"# From the old cluster's partitions ({old.get('cluster') or 'unnamed'}) to the new one's:",
        *[f"#   {k} -> {v}: {why}" for k, (v, why) in sorted(plan["map"].items())],
        f"map = {{ {entries} }}",
        f"targets = [{', '.join(_q(t) for t in plan['targets'])}]",
        "# The old partitions' own limits (DefaultTime, else MaxTime): what a job without --time got.",
        "implicit_time = { " + ", ".join(f"{_q(k)} = {_q(v)}" for k, v in sorted(plan["implicit_time"].items())) + " }",
        "add_time = false",
    ]
    mem_g = max(plan["memory_mb"] // 1024, 1)
    nodeset_lines = [
        "[nodeset]",
        "# The partition GPU jobs land on, and its largest node (from the new cluster's snapshot).",
        f"name = {_q(ns['name'])}",
        f"gpus_per_node = {plan['gpus_per_node']}",
        f"cpus_per_node = {plan['cpus_per_node']}",
        f'memory_per_node = "{mem_g}G"  # RealMemory {plan["memory_mb"]} MB',
    ]
    keep = {"slurmd_image", "login_image"}
    text = _replace_table(base, "target", target)
    text = _replace_table(text, "partitions", partitions)
    text = _replace_table(text, "nodeset", nodeset_lines, keep)
    text = re.sub(r'(?m)^name = ".*"$', f"name = {_q(name)}", text, count=1)
    header = (
        f"# sbatch-migrate profile generated by `profile init` from two cluster snapshots:\n"
        f"# {old.get('cluster') or 'old'} (Slurm {old.get('slurm_version')}) -> "
        f"{new.get('cluster') or 'new'} (Slurm {new.get('slurm_version')}). Read it and edit it.\n"
    )
    return header + text


def _limits_and_accounting(new: dict[str, Any]) -> list[str]:
    """``[target]`` keys for the partitions' limits and the accounting facts."""
    lines = []
    parts = [p for p in new["partitions"] if p["name"]]
    if new.get("nodes_known", True):  # a real snapshot (not the built-in profile's picture)
        entries = []
        for p in parts:
            fields = []
            if p["max_time"]:
                fields.append(f"max_time = {_q(p['max_time'])}")
            if p["max_nodes"]:
                fields.append(f"max_nodes = {p['max_nodes']}")
            if p["default_time"]:
                fields.append(f"default_time = {_q(p['default_time'])}")
            entries.append(f"{_q(p['name'])} = {{ {', '.join(fields)} }}" if fields else f"{_q(p['name'])} = {{}}")
        lines += [
            "# Each partition's MaxTime, MaxNodes and DefaultTime (left out: UNLIMITED; no DefaultTime: MaxTime).",
            f"partitions = {{ {', '.join(entries)} }}",
        ]
        default = next((p["name"] for p in parts if p["default"]), None)
        if default:
            lines.append(f"default_partition = {_q(default)}  # where a job naming no partition runs")
        config = new.get("config") or {}
        enforce = (config.get("EnforcePartLimits") or "NO").upper()
        lines.append(
            f"enforce_part_limits = {'false' if enforce == 'NO' else 'true'}  # EnforcePartLimits={enforce}"
            + (": a job over them is accepted and pends for ever" if enforce == "NO" else ": sbatch refuses it")
        )
        kind = new.get("accounting") or ""
        if kind:
            runs = "none" not in kind
            lines.append(f"accounting = {'true' if runs else 'false'}  # AccountingStorageType={kind}")
            if runs:
                words = [
                    w for w in (config.get("AccountingStorageEnforce") or "").split(",") if w and w.lower() != "none"
                ]
                lines.append(
                    f"accounting_enforce = [{', '.join(_q(w.lower()) for w in words)}]  # AccountingStorageEnforce"
                )
    for key, label in (("clusters", "-M/--clusters"), ("accounts", "--account"), ("qos", "--qos")):
        value = new.get(key)
        if value is None:
            continue
        names = [q["name"] for q in value] if key == "qos" else list(value)
        lines.append(f"{key} = [{', '.join(_q(n) for n in names)}]  # {label}: from sacctmgr")
    lacks = [
        lack
        for lack in new.get("lacks", [])
        if lack.split(":")[0] in ("qos", "accounts", "clusters") and "runs no accounting" not in lack
    ]
    lines += [f"# not known: {lack}" for lack in lacks]
    return lines


def _replace_table(text: str, table: str, lines: list[str], keep: set[str] | None = None) -> str:
    """``[table]`` and its body replaced by ``lines`` (the old body's ``keep`` keys kept)."""
    out: list[str] = []
    skipping = False
    kept: list[str] = []
    for line in text.splitlines():
        if line.startswith("["):
            if skipping:
                out += [*lines, *kept, ""]
                skipping = False
            if line.strip() == f"[{table}]":
                skipping = True
                continue
        if skipping:
            key = line.split("=", 1)[0].strip()
            if keep and key in keep:
                kept.append(line)
            continue
        out.append(line)
    if skipping:
        out += [*lines, *kept]
    return "\n".join(out) + "\n"
