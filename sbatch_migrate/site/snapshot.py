"""``cluster snapshot``: what a cluster is, read from its own Slurm.

One JSON document of facts, from the commands every Slurm release has: ``scontrol show
config``, ``scontrol show partition -o``, ``scontrol show node -o`` and, where accounting
runs, ``sacctmgr -P show qos|account|cluster`` (QOS, accounts and the clusters ``-M`` can
name).  The same outputs saved as files in a folder (where the
tool is not installed on a cluster) give the same document: each file is recognised by its
content, whatever its name (:func:`from_folder`).

What a snapshot could not learn is said in ``lacks`` (no accounting: no QOS; a command the
user may not run), never guessed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

SNAPSHOT_VERSION = 1

_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_:/.\[\]]*)=")
_NO_CONTROLLER = ("Unable to contact slurm controller", "Socket timed out", "Connection refused", "Zero Bytes")


class SnapshotError(Exception):
    """The cluster could not be read at all (one line for the user)."""


def records(text: str) -> list[dict[str, str]]:
    """``scontrol show ... -o`` output: one record per line, ``Key=value`` pairs; a value
    runs up to the next key (values hold spaces: ``Reason=Not responding [slurm@...]``)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        keys = list(_KEY.finditer(line))
        record = {}
        for i, m in enumerate(keys):
            end = keys[i + 1].start() if i + 1 < len(keys) else len(line)
            record[m.group(1)] = line[m.end() : end].strip()
        if record:
            out.append(record)
    return out


def config_map(text: str) -> dict[str, str]:
    """``scontrol show config``: ``Key = value`` lines (the header and blank lines skipped)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and " " not in key.strip():
            out[key.strip()] = value.strip()
    return out


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.match(r"\d+", value)
    return int(m.group()) if m else None


def _limit(value: str | None) -> str | None:
    return None if value in (None, "", "UNLIMITED", "NONE", "n/a") else value


def _gres(value: str | None) -> list[dict[str, Any]]:
    """``gpu:v100:8(S:0-1),gpu:a100:2`` -> [{name, type, count}]."""
    out: list[dict[str, Any]] = []
    if not value or value == "(null)":
        return out
    for entry in re.split(r",(?![^(]*\))", value):
        parts = entry.split("(")[0].split(":")
        count = _int(parts[-1]) if len(parts) > 1 and parts[-1][:1].isdigit() else 1
        kind = parts[1] if len(parts) > 2 else None
        out.append({"name": parts[0], "type": kind, "count": count})
    return out


def _features(value: str | None) -> list[str]:
    return [] if not value or value == "(null)" else [f for f in value.split(",") if f]


SACCTMGR = {  # what each accounting list is read with, and the header its output starts with
    "qos": (["sacctmgr", "-P", "show", "qos", "format=Name,MaxWall"], "Name|MaxWall"),
    "accounts": (["sacctmgr", "-P", "show", "account", "format=Account,Descr"], "Account|Descr"),
    "clusters": (["sacctmgr", "-P", "show", "cluster", "format=Cluster,ControlHost"], "Cluster|ControlHost"),
}


def _sacctmgr_rows(text: str | None, header: str) -> list[list[str]] | None:
    """``sacctmgr -P`` rows (its header line dropped; ``-nP`` output has none)."""
    if text is None:
        return None
    rows = [line.split("|") for line in text.splitlines() if line.strip()]
    if rows and "|".join(rows[0][: header.count("|") + 1]).lower() == header.lower():
        rows = rows[1:]
    return [r for r in rows if r and r[0]]


def build(
    config_text: str,
    partitions_text: str,
    nodes_text: str,
    qos_text: str | None,
    lacks: list[str] | None = None,
    accounts_text: str | None = None,
    clusters_text: str | None = None,
) -> dict[str, Any]:
    """The snapshot document from the commands' outputs."""
    config = config_map(config_text)
    partitions = []
    for p in records(partitions_text):
        partitions.append(
            {
                "name": p.get("PartitionName"),
                "nodes": p.get("Nodes"),
                "total_nodes": _int(p.get("TotalNodes")),
                "total_cpus": _int(p.get("TotalCPUs")),
                "max_time": _limit(p.get("MaxTime")),
                "default_time": _limit(p.get("DefaultTime")),
                "max_nodes": _int(_limit(p.get("MaxNodes"))),
                "default": p.get("Default") == "YES",
                "state": p.get("State"),
                "qos": _limit(p.get("QoS")),
                "allow_accounts": p.get("AllowAccounts"),
                "tres": p.get("TRES"),
            }
        )
    nodes = []
    for n in records(nodes_text):
        nodes.append(
            {
                "name": n.get("NodeName"),
                "cpus": _int(n.get("CPUTot")),
                "sockets": _int(n.get("Sockets")),
                "cores_per_socket": _int(n.get("CoresPerSocket")),
                "threads_per_core": _int(n.get("ThreadsPerCore")),
                "memory_mb": _int(n.get("RealMemory")),
                "gres": _gres(n.get("Gres")),
                "features": _features(n.get("AvailableFeatures") or n.get("Features")),
                "active_features": _features(n.get("ActiveFeatures")),
                "partitions": [x for x in (n.get("Partitions") or "").split(",") if x],
                "state": n.get("State"),
            }
        )
    qos_rows = _sacctmgr_rows(qos_text, SACCTMGR["qos"][1])
    qos = (
        None
        if qos_rows is None
        else [{"name": r[0], "max_wall": _limit(r[1]) if len(r) > 1 else None} for r in qos_rows]
    )
    account_rows = _sacctmgr_rows(accounts_text, SACCTMGR["accounts"][1])
    cluster_rows = _sacctmgr_rows(clusters_text, SACCTMGR["clusters"][1])
    version = config.get("SLURM_VERSION")
    return {
        "version": SNAPSHOT_VERSION,
        "cluster": config.get("ClusterName"),
        "slurm_version": version,
        "gres_types": [t for t in (config.get("GresTypes") or "").split(",") if t and t != "(null)"],
        "accounting": config.get("AccountingStorageType"),
        # NO: a job over a partition's MaxTime/MaxNodes is accepted and pends for ever
        # (Reason=PartitionTimeLimit); ALL/ANY: sbatch refuses it
        "enforce_part_limits": config.get("EnforcePartLimits"),
        "partitions": partitions,
        "nodes": nodes,
        "qos": qos,
        "accounts": None if account_rows is None else sorted({r[0] for r in account_rows}),
        "clusters": None if cluster_rows is None else sorted({r[0] for r in cluster_rows}),
        "lacks": lacks or [],
        "config": config,
    }


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, env=os.environ.copy())


def take(run: Runner = _run) -> dict[str, Any]:
    """Read the Slurm this machine reaches (``SLURM_CONF`` honoured)."""
    if shutil.which("scontrol") is None:
        raise SnapshotError("scontrol is not installed here: run the snapshot on a login node (or pod) of the cluster")

    def ask(argv: list[str]) -> str:
        try:
            p = run(argv)
        except subprocess.TimeoutExpired:
            raise SnapshotError(f"`{' '.join(argv)}` did not answer within 60 s") from None
        if p.returncode != 0:
            said = " ".join(p.stderr.split()) or f"exit status {p.returncode}"
            if any(marker in p.stderr for marker in _NO_CONTROLLER):
                raise SnapshotError(f"no Slurm controller answered `{' '.join(argv)}`: {said}")
            raise SnapshotError(f"`{' '.join(argv)}` failed: {said}")
        return p.stdout

    config = ask(["scontrol", "show", "config"])
    partitions = ask(["scontrol", "show", "partition", "-o"])
    nodes = ask(["scontrol", "show", "node", "-o"])
    lacks = []
    lists: dict[str, str | None] = dict.fromkeys(SACCTMGR)
    accounting = config_map(config).get("AccountingStorageType", "")
    for kind, (argv, _) in SACCTMGR.items():
        if "none" in accounting or not accounting:
            lacks.append(f"{kind}: the cluster runs no accounting (AccountingStorageType=none)")
        elif shutil.which("sacctmgr") is None:
            lacks.append(f"{kind}: sacctmgr is not installed here")
        else:
            p = run(argv)
            if p.returncode == 0:
                lists[kind] = p.stdout
            else:
                lacks.append(f"{kind}: sacctmgr failed: {' '.join(p.stderr.split())[:200]}")
    return build(config, partitions, nodes, lists["qos"], lacks, lists["accounts"], lists["clusters"])


def recognise(text: str) -> str | None:
    """Which command's output ``text`` is: config, partitions, nodes, qos, accounts or
    clusters (None: none).  The accounting lists by their ``sacctmgr -P`` header; a
    headerless ``Name|MaxWall`` list (``-nP``) is taken for QOS."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    for kind, (_, header) in SACCTMGR.items():
        if first.lower().startswith(header.lower()):
            return kind
    if first.startswith("PartitionName="):
        return "partitions"
    if first.startswith("NodeName="):
        return "nodes"
    if "Configuration data as of" in first or re.search(r"^SLURM_VERSION\s*=", text, re.M):
        return "config"
    if "|" in first and not first.startswith("#"):
        return "qos"
    return None


def from_folder(folder: str) -> dict[str, Any]:
    """A snapshot from saved outputs of the same commands, files named as the admin likes."""
    found: dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(16 << 20)
        except OSError:
            continue
        kind = recognise(text)
        if kind is not None and kind not in found:
            found[kind] = text
    missing = [k for k in ("config", "partitions", "nodes") if k not in found]
    if missing:
        raise SnapshotError(
            f"{folder}: no output of {', '.join(_COMMANDS[k] for k in missing)} among its files "
            "(each file is recognised by its content)"
        )
    lacks = [f"{k}: no `{' '.join(SACCTMGR[k][0])}` output in the folder" for k in SACCTMGR if k not in found]
    return build(
        found["config"],
        found["partitions"],
        found["nodes"],
        found.get("qos"),
        lacks,
        found.get("accounts"),
        found.get("clusters"),
    )


_COMMANDS = {
    "config": "`scontrol show config`",
    "partitions": "`scontrol show partition -o`",
    "nodes": "`scontrol show node -o`",
}
