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


# A TWCC-shaped old cluster, as its admins would save it (written here by hand: the real
# Taiwania2 cannot be reached from this lab).
TWCC_CONFIG = (
    "Configuration data as of 2026-12-01T00:00:00\nClusterName = twcc\nSLURM_VERSION = 21.08.8\n"
    "GresTypes = gpu\nAccountingStorageType = accounting_storage/slurmdbd\n"
)
TWCC_PARTITIONS = "\n".join(
    f"PartitionName={name} Default={'YES' if name == 'gtest' else 'NO'} DefaultTime=NONE MaxNodes={mx} "
    f"MaxTime={limit} Nodes={nodes} State=UP TotalCPUs=36 TotalNodes=4"
    for name, limit, mx, nodes in [
        ("gtest", "00:30:00", "1", "gn[1201-1204]"),
        ("gp1d", "1-00:00:00", "UNLIMITED", "gn[1201-1204]"),
        ("gp4d", "4-00:00:00", "UNLIMITED", "gn[1201-1204]"),
        ("ctest", "00:30:00", "1", "cn[0001-0004]"),
    ]
)
TWCC_NODES = "\n".join(
    [
        f"NodeName=gn120{i} CPUTot=36 RealMemory=772000 Gres=gpu:v100:8 AvailableFeatures=v100 "
        "Partitions=gtest,gp1d,gp4d State=IDLE"
        for i in range(1, 5)
    ]
    + [f"NodeName=cn000{i} CPUTot=56 RealMemory=192000 Gres=(null) Partitions=ctest State=IDLE" for i in range(1, 5)]
)
SLINKY_CONFIG = (
    "ClusterName = slinky\nSLURM_VERSION = 25.11.2\nGresTypes = gpu\nAccountingStorageType = accounting_storage/none\n"
)
SLINKY_PARTITIONS = (
    "PartitionName=all Default=YES MaxTime=UNLIMITED Nodes=slinky-[0-1],cpu-0 TotalNodes=3\n"
    "PartitionName=slinky Default=NO MaxTime=2-00:00:00 Nodes=slinky-[0-1] TotalNodes=2\n"
    "PartitionName=cpu Default=NO MaxTime=UNLIMITED Nodes=cpu-0 TotalNodes=1\n"
)
SLINKY_NODES = (
    "NodeName=slinky-0 CPUTot=32 RealMemory=737280 Gres=gpu:8 Partitions=all,slinky State=IDLE\n"
    "NodeName=slinky-1 CPUTot=32 RealMemory=737280 Gres=gpu:8 Partitions=all,slinky State=IDLE\n"
    "NodeName=cpu-0 CPUTot=64 RealMemory=256000 Gres=(null) Partitions=all,cpu State=IDLE\n"
)


def test_profile_init_proposes_a_map_with_reasons_and_the_old_limits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sbatch_migrate.profile import parse
    from sbatch_migrate.site.profilegen import render

    old = build(TWCC_CONFIG, TWCC_PARTITIONS, TWCC_NODES, None)
    new = build(SLINKY_CONFIG, SLINKY_PARTITIONS, SLINKY_NODES, None)
    text = render(old, new, "site")
    profile = parse(text.encode(), "<test>")
    assert profile.name == "site"
    # GPU partitions go to the GPU partition (not the default `all`), CPU ones to the default
    assert profile.partition_map == {"gtest": "slinky", "gp1d": "slinky", "gp4d": "slinky", "ctest": "all"}
    assert profile.implicit_time == {
        "gtest": "00:30:00",
        "gp1d": "1-00:00:00",
        "gp4d": "4-00:00:00",
        "ctest": "00:30:00",
    }
    assert (profile.nodeset, profile.gpus_per_node, profile.cpus_per_node) == ("slinky", 8, 32)
    assert profile.memory_per_node_mb == 737280 // 1024 * 1024
    assert str(profile.slurm_version) in ("25.11", "(25, 11)") or "25" in str(profile.slurm_version)
    assert "#   gtest -> slinky: GPU nodes to the new cluster's GPU partition\n" in text
    assert "gp4d -> slinky: GPU nodes to the new cluster's GPU partition; NOTE: slinky's MaxTime 2-00:00:00" in text
    assert profile.target_nodes == {"slinky-0", "slinky-1"} and profile.node_count == 2
    assert profile.target_features == frozenset() and profile.gpu_types == frozenset()  # untyped gpu:8
    assert "module" in text  # the template's other sections are kept


def test_profile_init_without_a_target_snapshot_uses_the_builtin_target(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from sbatch_migrate.cli import main
    from sbatch_migrate.profile import parse

    folder = tmp_path / "twcc"
    folder.mkdir()
    for name, text in {"cfg": TWCC_CONFIG, "p": TWCC_PARTITIONS, "n": TWCC_NODES}.items():
        (folder / name).write_text(text)
    r = CliRunner().invoke(main, ["profile", "init", "--from", str(folder)])
    assert r.exit_code == 0, r.stderr
    profile = parse(r.stdout.encode(), "<test>")
    assert set(profile.partition_map.values()) == {"slinky"} and profile.gpus_per_node == 8
    assert profile.implicit_time["gp4d"] == "4-00:00:00"


def test_a_release_without_option_tables_falls_back_to_the_newest_before_it() -> None:
    from sbatch_migrate.profile import parse
    from sbatch_migrate.site.profilegen import render

    newer = SLINKY_CONFIG.replace("25.11.2", "26.05.0")
    text = render(
        build(TWCC_CONFIG, TWCC_PARTITIONS, TWCC_NODES, None), build(newer, SLINKY_PARTITIONS, SLINKY_NODES, None)
    )
    assert "the cluster runs 26.05: no option tables for it yet, 25.11's apply" in text
    assert parse(text.encode(), "<test>").slurm_version == "25.11"


def test_accounting_lists_are_read_and_reach_the_profile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sbatch_migrate.profile import parse
    from sbatch_migrate.site.profilegen import render
    from sbatch_migrate.site.snapshot import from_folder

    config = SLINKY_CONFIG.replace("accounting_storage/none", "accounting_storage/slurmdbd")
    config += "AccountingStorageEnforce = associations,limits\nEnforcePartLimits = ALL\n"
    folder = tmp_path / "new"
    folder.mkdir()
    files = {
        "config": config,
        "parts": SLINKY_PARTITIONS,
        "nodes": SLINKY_NODES,
        "q": "Name|MaxWall\nnormal|2-00:00:00\nlong|\n",  # `sacctmgr -P`: header first
        "accts": "Account|Descr\nroot|default root account\nmst108xxx|a TWCC project\n",
        "clusters": "Cluster|ControlHost\nslinky|10.0.0.1\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    new = from_folder(str(folder))
    assert new["accounts"] == ["mst108xxx", "root"] and new["clusters"] == ["slinky"]
    assert [q["name"] for q in new["qos"]] == ["normal", "long"] and new["lacks"] == []
    assert recognise(files["accts"]) == "accounts" and recognise("normal|2-00:00:00\n") == "qos"
    profile = parse(render(build(TWCC_CONFIG, TWCC_PARTITIONS, TWCC_NODES, None), new).encode(), "<test>")
    assert profile.accounting is True and profile.enforces("associations") and not profile.enforces("qos")
    assert profile.target_accounts == {"root", "mst108xxx"} and profile.target_qos == {"normal", "long"}
    assert profile.target_clusters == {"slinky"} and profile.enforce_part_limits is True
    assert profile.partition_limits["slinky"].max_time == "2-00:00:00"
    assert profile.partition_limits["all"].max_time is None and profile.default_partition == "all"
    # a list the folder lacks is said, and left out of the profile (its rule then warns)
    (folder / "accts").unlink()
    partial = from_folder(str(folder))
    assert partial["accounts"] is None and any(lack.startswith("accounts:") for lack in partial["lacks"])
    text = render(build(TWCC_CONFIG, TWCC_PARTITIONS, TWCC_NODES, None), partial)
    assert parse(text.encode(), "<test>").target_accounts is None and "# not known: accounts:" in text
