"""Reading Slurm's own outputs into a snapshot (the live lab is in test_slurm.py)."""

from __future__ import annotations

from sbatch_migrate.site.snapshot import build, recognise, records

NODE = (
    "NodeName=gn1201 Arch=x86_64 CoresPerSocket=18 CPUAlloc=0 CPUTot=36 CPULoad=0.01 "
    "AvailableFeatures=v100,ib ActiveFeatures=v100,ib Gres=gpu:v100:8(S:0-1) NodeAddr=gn1201 "
    "RealMemory=772000 Sockets=2 ThreadsPerCore=1 Partitions=gtest,gp1d State=DOWN+DRAIN "
    "Reason=Not responding [slurm@2026-11-30T10:00:00] OS=Linux 4.18.0 #1 SMP"
)
PART = (
    "PartitionName=gp1d AllowGroups=ALL Default=NO QoS=N/A DefaultTime=NONE MaxNodes=UNLIMITED "
    "MaxTime=1-00:00:00 Nodes=gn[1201-1260] State=UP TotalCPUs=2160 TotalNodes=60"
)


def test_a_value_runs_to_the_next_key() -> None:
    [node] = records(NODE)
    assert node["Reason"] == "Not responding [slurm@2026-11-30T10:00:00]"
    assert node["OS"] == "Linux 4.18.0 #1 SMP" and node["Gres"] == "gpu:v100:8(S:0-1)"


def test_build_reads_shapes_limits_and_gres() -> None:
    doc = build(
        "SLURM_VERSION = 22.05.8\nGresTypes = gpu\nAccountingStorageType = accounting_storage/slurmdbd\n",
        PART,
        NODE,
        "normal|2-00:00:00\nlong|\n",
    )
    [p] = doc["partitions"]
    assert (p["name"], p["max_time"], p["default_time"], p["max_nodes"], p["total_nodes"]) == (
        "gp1d",
        "1-00:00:00",
        None,
        None,
        60,
    )
    [n] = doc["nodes"]
    assert n["gres"] == [{"name": "gpu", "type": "v100", "count": 8}]
    assert (n["cpus"], n["memory_mb"], n["features"], n["partitions"]) == (
        36,
        772000,
        ["v100", "ib"],
        ["gtest", "gp1d"],
    )
    assert doc["slurm_version"] == "22.05.8" and doc["gres_types"] == ["gpu"]
    assert doc["qos"] == [{"name": "normal", "max_wall": "2-00:00:00"}, {"name": "long", "max_wall": None}]


def test_outputs_are_recognised_by_content() -> None:
    assert recognise(NODE) == "nodes" and recognise(PART) == "partitions"
    assert recognise("Configuration data as of 2026-12-01T00:00:00\nSLURM_VERSION = 22.05.8\n") == "config"
    assert recognise("normal|2-00:00:00\n") == "qos" and recognise("# notes\n") is None
