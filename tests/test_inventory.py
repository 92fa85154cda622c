"""Site inventory and the Helm values fragment (key paths checked against the chart's)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from .test_bulk import cli

SEED = Path(__file__).resolve().parent.parent / "examples" / "hello_twcc.sh"

# The chart's value keys (shared/facts/target-cluster.md: SlinkyProject/slurm-operator
# helm/slurm/values.yaml at commit 42e10f7).  `podSpec` extends a corev1 PodSpec.
NODESET_KEYS = {
    "enabled",
    "replicas",
    "slurmd.image.repository",
    "slurmd.image.tag",
    "slurmd.args",
    "slurmd.resources",
    "slurmd.volumeMounts",
    "slurmd.env",
    "logfile.image",
    "logfile.resources",
    "extraConf",
    "extraConfMap",
    "partition.enabled",
    "partition.config",
    "partition.configMap",
    "useResourceLimits",
    "updateStrategy",
    "metadata",
    "podSpec.initContainers",
    "podSpec.nodeSelector",
    "podSpec.affinity",
    "podSpec.tolerations",
    "podSpec.volumes",
    "podSpec.hostNetwork",
    "podSpec.dnsPolicy",
    "taintKubeNodes",
}
LOGINSET_KEYS = {
    "enabled",
    "replicas",
    "login.image.repository",
    "login.image.tag",
    "login.env",
    "login.securityContext",
    "login.resources",
    "login.volumeMounts",
    "rootSshAuthorizedKeys",
    "extraSshdConfig",
    "sssdConf",
    "podSpec.volumes",
    "podSpec.nodeSelector",
    "podSpec.affinity",
    "podSpec.tolerations",
    "service.spec",
}


def leaf_paths(tree: Any, prefix: str = "") -> list[str]:
    if isinstance(tree, dict) and tree:
        out = []
        for k, v in tree.items():
            out += leaf_paths(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [prefix]


TOP_KEYS = {"controller.extraConfMap", "controller.extraConf"}
PARTITION_KEYS = {"enabled", "nodesets", "config", "configMap"}  # partitions.<name> (both layouts)


def allowed(path: str) -> bool:
    parts = path.split(".")
    if parts[0] == "configFiles" and len(parts) > 1:
        return True  # a file name (gres.conf), its content the value
    if any(path == k or path.startswith(k + ".") for k in TOP_KEYS):
        return True
    if parts[0] == "nodesets" and len(parts) > 2:
        rest = ".".join(parts[2:])
        return any(rest == k or rest.startswith(k + ".") for k in NODESET_KEYS)
    if parts[0] == "partitions" and len(parts) > 2:
        return parts[2] in PARTITION_KEYS
    if parts[0] == "loginsets" and len(parts) > 2:
        rest = ".".join(parts[2:])
        return any(rest == k or rest.startswith(k + ".") for k in LOGINSET_KEYS)
    return False


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    a = root / "home" / "u1000001" / "jobs"
    b = root / "work" / "u1000002" / "runs"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (a / "seed.sh").write_bytes(SEED.read_bytes())
    (b / "tf.sh").write_text(
        "#!/bin/bash\n#SBATCH -p gp1d -N 1 --gres=gpu:4\nmodule load cuda/11.0\n"
        "IMG=/work/TWCC_cntr/tensorflow_21.11-tf2-py3.sif\n"
        "srun singularity exec --nv -B /work/u1000002/data:/data:ro $IMG python t.py > /work/u1000002/out.log\n"
        'srun singularity exec --nv "$MY_IMAGE" python eval.py\n'
    )
    (b / "notes.txt").write_text("not a job script\n")
    if os.geteuid() == 0:
        os.chown(a / "seed.sh", 40001, 40001)
        os.chown(b / "tf.sh", 40002, 40002)
    return root


def test_inventory_json(site: Path) -> None:
    p = cli("inventory", str(site), "--format", "json", "--no-cache")
    assert p.returncode == 0, p.stderr
    inv = json.loads(p.stdout)
    assert inv["scripts"] == 2 and inv["users"] == 2
    assert [i["image"] for i in inv["images"]] == [
        "/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif",
        "/work/TWCC_cntr/tensorflow_21.11-tf2-py3.sif",
    ]
    [unresolved] = inv["unresolved_images"]
    assert unresolved["from"] == '"$MY_IMAGE"' and unresolved["examples"][0].endswith("tf.sh:6")
    assert {(p["partition"], p["target"]) for p in inv["partitions"]} == {("gtest", "slinky"), ("gp1d", "slinky")}
    assert inv["gpus_per_node"] == {"max": 8, "distribution": {"4": 1, "8": 1}}
    assert inv["nodes"]["max"] == 2
    assert inv["fabric"]["variables"] == {"UCX_IB_GPU_DIRECT_RDMA": ["u1000001"], "UCX_NET_DEVICES": ["u1000001"]}
    assert [m["module"] for m in inv["modules"]] == ["cuda/11.0"]
    paths = {p["prefix"]: p for p in inv["host_paths"]}
    assert paths["/work/TWCC_cntr"]["access"] == "read-only" and paths["/work/TWCC_cntr"]["mounted"]
    assert paths["/work/u1000002"]["mounted"] is False
    assert "/work/u1000002/data:/data:ro" in [b["bind"] for b in inv["binds"]]


def test_inventory_markdown_totals_first_then_blocking(site: Path) -> None:
    p = cli("inventory", str(site), "--no-cache")
    md = p.stdout
    assert md.splitlines()[0] == "# Readiness of the job scripts for the new cluster"
    assert md.index("job scripts of") < md.index("## Blocking") < md.index("## Images")
    assert "host path `/work/u1000002`" in md and "module `cuda/11.0`" in md


def test_helm_values_use_the_charts_keys(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "values.yaml"
    p = cli("inventory", str(site), "--helm-values", str(out), "--no-cache")
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    assert "42e10f7" in text.splitlines()[0]
    doc = yaml.safe_load(text)
    bad = [path for path in leaf_paths(doc) if not allowed(path)]
    assert not bad, bad
    ns = doc["nodesets"]["slinky"]
    assert ns["slurmd"]["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert ns["podSpec"]["hostNetwork"] is True
    # Slurm must know the GPUs as well as Kubernetes, or --gres=gpu:8 is refused
    assert doc["controller"]["extraConfMap"]["GresTypes"] == ["gpu"]
    assert ns["extraConfMap"]["Gres"] == ["gpu:8"]
    assert doc["configFiles"]["gres.conf"] == "Name=gpu File=/dev/nvidia[0-7]\n"
    # a host-network pod resolves the controller's Service name only with this policy
    assert ns["podSpec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    mounts = {m["mountPath"]: m for m in ns["slurmd"]["volumeMounts"]}
    assert mounts["/work/TWCC_cntr"]["readOnly"] is True
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in ns["podSpec"]["volumes"]}
    assert {m["name"] for m in ns["slurmd"]["volumeMounts"]} == set(claims) == {"twcc-cntr-pvc"}
    login = doc["loginsets"]["slinky"]
    assert login["login"]["volumeMounts"] == ns["slurmd"]["volumeMounts"]
    assert login["podSpec"]["volumes"] == ns["podSpec"]["volumes"]
    assert "NOT MOUNTED: /work/u1000002" in text
    assert "post-render" not in text and "builds the slurmd container privileged itself" in text


def test_no_host_network_without_fabric_variables(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "job.sh").write_text(SEED.read_text().replace("export UCX", "# export UCX"))
    out = tmp_path / "values.yaml"
    assert cli("inventory", str(root), "--helm-values", str(out), "--no-cache").returncode == 0
    doc = yaml.safe_load(out.read_text())
    assert "hostNetwork" not in doc["nodesets"]["slinky"]["podSpec"]
    assert "dnsPolicy" not in doc["nodesets"]["slinky"]["podSpec"]


def test_no_gres_without_gpu_jobs(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest -N 1\nsrun hostname\n")
    out = tmp_path / "values.yaml"
    assert cli("inventory", str(root), "--helm-values", str(out), "--no-cache").returncode == 0
    doc = yaml.safe_load(out.read_text())
    assert "configFiles" not in doc and "controller" not in doc
    assert "extraConfMap" not in doc["nodesets"]["slinky"]


def test_inventory_markdown_keeps_script_strings_in_their_cells(tmp_path: Path) -> None:
    """Image paths and binds come from the users' scripts: a pipe or a backtick in one
    must not split a table row or end a code span (rendered here as CommonMark + tables)."""
    from markdown_it import MarkdownIt

    root = tmp_path / "home" / "u1"
    root.mkdir(parents=True)
    odd_image = "/work/TWCC_cntr/a|b`c.sif"
    (root / "job.sh").write_text(
        f"#!/bin/bash\n#SBATCH -p gtest\nsrun singularity exec --nv -B '/work/x|y:/data' '{odd_image}' python t.py\n"
    )
    p = cli("inventory", str(tmp_path / "home"))
    assert p.returncode == 0, p.stderr
    tokens = MarkdownIt("commonmark").enable("table").parse(p.stdout)
    assert not [t for t in tokens if t.type.startswith("html")]
    rows: list[list[str]] = []
    cells: list[str] | None = None
    for t in tokens:
        if t.type == "tr_open":
            cells = []
        elif t.type == "inline" and cells is not None:
            cells.append("".join(c.content for c in t.children or [] if c.type in ("code_inline", "text")))
        elif t.type == "tr_close" and cells is not None:
            rows.append(cells)
            cells = None
    assert [odd_image, "1", "1"] in rows  # one row of three cells, the path whole
    spans = [c.content for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "code_inline"]
    assert "/work/x|y:/data" in spans


@pytest.mark.parametrize(
    ("line", "modules"),
    [
        ("module load cuda/11.0 singularity", ["cuda/11.0"]),
        ("module try-add gcc/9", ["gcc/9"]),
        ("ml cuda/11.0 -intel", ["cuda/11.0"]),  # ml's -name unloads
        ("module swap intel gcc/10", ["gcc/10"]),  # swap loads its second name
        ("module unload cuda", []),
        ("module avail cuda", []),
        ("module purge", []),
    ],
)
def test_inventory_modules_are_the_rules_reading(line: str, modules: list[str]) -> None:
    """The inventory reads module commands as the module rules do (model/modules.py)."""
    from sbatch_migrate.model.context import Context
    from sbatch_migrate.model.facts import collect
    from sbatch_migrate.model.needs import script_needs
    from sbatch_migrate.profile import load
    from sbatch_migrate.read.source import Source

    source = Source.from_bytes(f"#!/bin/bash\n#SBATCH -p gtest\n{line}\n".encode(), "job.sh")
    assert script_needs(Context(collect(source), load(None)))["modules"] == modules


def test_the_report_leads_with_the_mount_that_settles_most(tmp_path: Path) -> None:
    """TWCC users' paths are /work/$USER and /home/$USER, which the profile's sample claims
    (/work/users, /home/users) do not cover: one decision, not one error per path."""
    root = tmp_path / "site"
    for user in ("u1", "u2", "u3"):
        d = root / "home" / user
        d.mkdir(parents=True)
        (d / "job.sh").write_text(
            f"#!/bin/bash\n#SBATCH -p gtest\ncd /work/{user}/run\npython /home/{user}/train.py > /work/{user}/out.log\n"
            "ls /work/shared/data\n"
        )
    p = cli("inventory", str(root), "--no-cache", "--format", "json")
    assert p.returncode == 0, p.stderr
    decisions = json.loads(p.stdout)["decisions"]
    assert [d["mount"] for d in decisions] == ["/work", "/home"]
    assert decisions[0]["paths"] == 4 and decisions[0]["users"] == 3 and decisions[1]["paths"] == 3
    assert 'path = "/work"' in decisions[0]["profile"] and "read_only" not in decisions[0]["profile"]
    paths = json.loads(p.stdout)["host_paths"]
    for d in decisions:  # read-only exactly when every path under it is only read
        only_read = all(h["access"] == "read-only" for h in paths if h["prefix"].startswith(d["mount"] + "/"))
        assert ("read_only = true" in d["profile"]) is only_read
    md = cli("inventory", str(root), "--no-cache").stdout
    assert md.index("## Decisions first") < md.index("## Blocking")
    assert "**mount a claim at `/work`**: it covers 4 unmounted host paths" in md


def test_helm_values_can_carry_the_transitional_job_submit_lua(site: Path, tmp_path: Path) -> None:
    from sbatch_migrate.profile import load
    from sbatch_migrate.site.jobsubmit import render

    out = tmp_path / "values.yaml"
    p = cli("inventory", str(site), "--helm-values", str(out), "--with-job-submit-lua", "--no-cache")
    assert p.returncode == 0, p.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["configFiles"]["job_submit.lua"] == render(load())  # byte for byte (the lab runs this text)
    assert doc["controller"]["extraConfMap"]["JobSubmitPlugins"] == ["lua"]
    assert doc["controller"]["extraConfMap"]["GresTypes"] == ["gpu"]  # beside the GPU settings
    assert not [path for path in leaf_paths(doc) if not allowed(path)]


@pytest.mark.parametrize("chart", ["0.4", "1.3"])
def test_helm_values_for_a_nodeset_of_another_name_use_the_charts_keys(site: Path, tmp_path: Path, chart: str) -> None:
    out = tmp_path / "values.yaml"
    maps = ("--partition-map", "gtest=gpu", "--partition-map", "gp1d=gpu")
    args = (*maps, "--chart-version", chart, "--helm-values", str(out), "--no-cache")
    p = cli("inventory", str(site), *args)
    assert p.returncode == 0, p.stderr
    doc = yaml.safe_load(out.read_text())
    assert not [path for path in leaf_paths(doc) if not allowed(path)]
    assert doc["nodesets"]["gpu"]["enabled"] is True and "partitions" not in doc
    # chart 0.4 defines the sample NodeSet `slinky` itself: turned off, not left beside `gpu`
    assert (doc["nodesets"].get("slinky") == {"enabled": False}) is (chart == "0.4")
