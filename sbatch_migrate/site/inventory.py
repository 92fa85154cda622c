"""Site inventory: what the new cluster must provide for the scripts of a tree.

Records come from bulk workers (each carrying the script's ``needs``, see
:mod:`sbatch_migrate.model.needs`); :class:`Inventory` folds them into counters bounded by the
number of distinct images, paths, partitions and users, never by the number of files.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ..output.report import json_text, md_code, md_text
from ..profile import Profile
from ..record import field, record
from .decisions import markdown_lines, mount_claim, top_folder

EXAMPLES = 5  # unresolved images listed with where they come from, per origin


@record
class Inventory:
    profile: Profile
    scripts: int = 0
    users: set[str] = field(default_factory=set)
    images: Counter[str] = field(default_factory=Counter)
    image_users: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unresolved: Counter[str] = field(default_factory=Counter)
    unresolved_where: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    binds: Counter[str] = field(default_factory=Counter)
    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    partitions: Counter[str] = field(default_factory=Counter)
    gpus: Counter[int] = field(default_factory=Counter)
    cpus: Counter[int] = field(default_factory=Counter)
    nodes: Counter[int] = field(default_factory=Counter)
    fabric_users: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    modules: Counter[str] = field(default_factory=Counter)
    module_users: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    per_user: Counter[str] = field(default_factory=Counter)

    def add(self, record: dict[str, Any]) -> None:
        needs = record.get("needs")
        if needs is None:
            return
        user = record.get("user") or "?"
        self.scripts += 1
        self.users.add(user)
        self.per_user[user] += 1
        for image in needs["images"]:
            self.images[image] += 1
            self.image_users[image].add(user)
        for item in needs["unresolved_images"]:
            self.unresolved[item["from"]] += 1
            if len(self.unresolved_where[item["from"]]) < EXAMPLES:
                self.unresolved_where[item["from"]].append(f"{record['path']}:{item['line']}")
        for bind in needs["binds"]:
            self.binds[bind] += 1
        for prefix, use in needs["paths"].items():
            entry = self.paths.setdefault(
                prefix, {"scripts": 0, "users": set(), "write": False, "mounted": use["mounted"]}
            )
            entry["scripts"] += 1
            entry["users"].add(user)
            entry["write"] = entry["write"] or use["access"] == "write"
            entry["mounted"] = entry["mounted"] and use["mounted"]
        for p in needs["partitions"]:
            self.partitions[p] += 1
        if needs["gpus_per_node"] is not None:
            self.gpus[needs["gpus_per_node"]] += 1
        if needs["cpus_per_node"] is not None:
            self.cpus[needs["cpus_per_node"]] += 1
        self.nodes[needs["nodes"] or 1] += 1
        for var in needs["fabric"]:
            self.fabric_users[var].add(user)
        for m in needs["modules"]:
            self.modules[m] += 1
            self.module_users[m].add(user)

    # -- views ---------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        prof = self.profile
        fabric_users = sorted(set().union(*self.fabric_users.values())) if self.fabric_users else []
        return {
            "version": 1,
            "profile": prof.name,
            "scripts": self.scripts,
            "users": len(self.users),
            "images": [
                {"image": k, "scripts": n, "users": len(self.image_users[k])} for k, n in sorted(self.images.items())
            ],
            "unresolved_images": [
                {"from": k, "scripts": n, "examples": self.unresolved_where[k]}
                for k, n in sorted(self.unresolved.items())
            ],
            "binds": [{"bind": k, "scripts": n} for k, n in sorted(self.binds.items())],
            "host_paths": [
                {
                    "prefix": k,
                    "scripts": v["scripts"],
                    "users": sorted(v["users"]),
                    "access": "read-write" if v["write"] else "read-only",
                    "mounted": v["mounted"],
                    "claim": next((m.claim for m in prof.mounts if m.covers(k)), None),
                }
                for k, v in sorted(self.paths.items())
            ],
            "partitions": [
                {"partition": k, "scripts": n, "target": prof.target_of(k)} for k, n in sorted(self.partitions.items())
            ],
            "gpus_per_node": {"max": max(self.gpus, default=0), "distribution": _dist(self.gpus)},
            "cpus_per_node": {"max": max(self.cpus, default=0), "distribution": _dist(self.cpus)},
            "nodes": {"max": max(self.nodes, default=0), "distribution": _dist(self.nodes)},
            "fabric": {
                "users": fabric_users,
                "variables": {k: sorted(v) for k, v in sorted(self.fabric_users.items())},
            },
            "modules": [
                {"module": k, "scripts": n, "users": sorted(self.module_users[k])}
                for k, n in sorted(self.modules.items())
            ],
            "scripts_per_user": dict(sorted(self.per_user.items())),
            "decisions": self.decisions(),
        }

    def decisions(self) -> list[dict[str, Any]]:
        """What one change to the new cluster would settle, most settled first: a claim
        mounted at the top folder (/home, /work) of unmounted host paths covers them all;
        with the profile lines and the Helm values it takes."""
        tops: dict[str, dict[str, Any]] = {}
        for prefix, v in self.paths.items():
            if v["mounted"]:
                continue
            top = top_folder(prefix)
            if top is None:
                continue
            d = tops.setdefault(top, {"paths": 0, "uses": 0, "users": set(), "write": False})
            d["paths"] += 1
            d["uses"] += v["scripts"]
            d["users"] |= v["users"]
            d["write"] = d["write"] or v["write"]
        out = []
        for top, d in sorted(tops.items(), key=lambda kv: (-kv[1]["uses"], kv[0])):
            out.append(
                {
                    "mount": top,
                    "paths": d["paths"],
                    "script_uses": d["uses"],
                    "users": len(d["users"]),
                    **mount_claim(top, read_only=not d["write"]),
                }
            )
        return out


def _dist(c: Counter[int]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(c.items())}


def to_json(summary: dict[str, Any]) -> str:
    return json_text(summary, indent=2) + "\n"


def to_markdown(s: dict[str, Any]) -> str:
    unmounted = [p for p in s["host_paths"] if not p["mounted"]]
    unmapped = [p for p in s["partitions"] if p["target"] is None]
    lines = [
        "# Readiness of the job scripts for the new cluster",
        "",
        f"- **{s['scripts']}** job scripts of **{s['users']}** users (profile {md_code(s['profile'])})",
        f"- **{len(s['images'])}** container images, {len(s['unresolved_images'])} image references not known "
        "statically",
        f"- GPUs per node: up to **{s['gpus_per_node']['max']}**; CPUs per node: up to "
        f"**{s['cpus_per_node']['max']}**; nodes per job: up to **{s['nodes']['max']}**",
        f"- **{len(s['fabric']['users'])}** users rely on InfiniBand settings (hostNetwork or an RDMA device "
        "plugin needed)",
        f"- blocking: {len(unmounted)} host path prefixes not mounted, {len(unmapped)} partitions not mapped, "
        f"{len(s['modules'])} modules still loaded",
        "",
    ]
    if s["decisions"]:
        lines += ["## Decisions first", ""]
        for d in s["decisions"]:
            lead = (
                f"it covers {d['paths']} unmounted host paths, used {d['script_uses']} times in the scripts of "
                f"{d['users']} users. In the profile:"
            )
            lines += markdown_lines(d, lead)
    lines += [
        "## Blocking",
        "",
    ]
    if not (unmounted or unmapped or s["modules"]):
        lines += ["Nothing blocks: every path is mounted, every partition mapped, no module loaded.", ""]
    for p in unmounted:
        lines.append(
            f"- host path {md_code(p['prefix'])} ({p['access']}) is not mounted in the pods: "
            f"{p['scripts']} scripts of {', '.join(md_text(u) for u in p['users'][:10])}"
            + (" …" if len(p["users"]) > 10 else "")
        )
    for p in unmapped:
        lines.append(f"- partition {md_code(p['partition'])} has no target NodeSet: {p['scripts']} scripts")
    for m in s["modules"]:
        lines.append(
            f"- module {md_code(m['module'])} still loaded (no module system in the pod): {m['scripts']} scripts "
            f"of {', '.join(md_text(u) for u in m['users'][:10])}" + (" …" if len(m["users"]) > 10 else "")
        )
    lines += ["", "## Images", "", "| image | scripts | users |", "|---|---:|---:|"]
    lines += [f"| {md_code(i['image'], in_table=True)} | {i['scripts']} | {i['users']} |" for i in s["images"]]
    if s["unresolved_images"]:
        lines += ["", "Not known statically (where they come from):", ""]
        lines += [
            f"- {md_code(u['from'])} in {u['scripts']} scripts, e.g. {', '.join(md_code(e) for e in u['examples'])}"
            for u in s["unresolved_images"]
        ]
    lines += ["", "## Host paths", "", "| prefix | access | scripts | mounted (claim) |", "|---|---|---:|---|"]
    lines += [
        f"| {md_code(p['prefix'], in_table=True)} | {p['access']} | {p['scripts']} | "
        f"{'yes (' + p['claim'] + ')' if p['mounted'] else '**no**'} |"
        for p in s["host_paths"]
    ]
    lines += ["", "## Partitions", "", "| partition | scripts | NodeSet |", "|---|---:|---|"]
    lines += [
        f"| {md_code(p['partition'], in_table=True)} | {p['scripts']} | {p['target'] or '**unmapped**'} |"
        for p in s["partitions"]
    ]
    lines += [
        "",
        "## Resources",
        "",
        f"- GPUs per node: {s['gpus_per_node']['distribution']}",
        f"- CPUs per node: {s['cpus_per_node']['distribution']}",
        f"- nodes per job: {s['nodes']['distribution']}",
        "",
    ]
    if s["fabric"]["users"]:
        lines += [
            "## InfiniBand",
            "",
            "Users whose scripts set UCX/NCCL/Open MPI fabric variables: "
            + ", ".join(md_text(u) for u in s["fabric"]["users"]),
            "",
        ]
        lines += [f"- {md_code(k)}: {', '.join(md_text(x) for x in v)}" for k, v in s["fabric"]["variables"].items()]
        lines.append("")
    if s["binds"]:
        lines += (
            ["## Bind mounts", ""] + [f"- {md_code(b['bind'])} ({b['scripts']} scripts)" for b in s["binds"]] + [""]
        )
    return "\n".join(lines)
