"""The inventory's Helm values rendered with Helm's own engine (PyPI ``helm-python-sdk``,
Helm's Go SDK) through fixture charts shaped like the two Slinky chart layouts
(tests/fixtures/charts: written for these tests, not the real chart, which is rendered by
hand: docs/inventory.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from .test_bulk import cli

helm = pytest.importorskip("helm_python", reason="helm-python-sdk renders the charts (pip install helm-python-sdk)")

CHARTS = Path(__file__).resolve().parent / "fixtures" / "charts"
SEED = Path(__file__).resolve().parent.parent / "examples" / "hello_twcc.sh"


def render(chart: str, values_text: str) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHARTS / f"slurm-{chart}")) as c:
        out = c.render(yaml.safe_load(values_text), name="slurm", namespace="slurm")
    docs = []
    for text in out.values():
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    for user, partition in (("u1", "gtest"), ("u2", "gp4d"), ("u3", "gtest")):
        (root / user).mkdir(parents=True)
        (root / user / "job.sh").write_text(SEED.read_text().replace("--partition=gtest", f"--partition={partition}"))
    return root


def values_for(site: Path, tmp_path: Path, chart: str, *args: str) -> str:
    out = tmp_path / f"values-{chart}.yaml"
    p = cli("inventory", str(site), "--no-cache", "--chart-version", chart, "--helm-values", str(out), *args)
    assert p.returncode == 0, p.stderr
    return out.read_text()


@pytest.mark.parametrize("chart", ["0.4", "1.3"])
def test_the_nodeset_is_the_partition_the_migrated_scripts_use(site: Path, tmp_path: Path, chart: str) -> None:
    text = values_for(site, tmp_path, chart, "--partition-map", "gtest=gpu", "--partition-map", "gp4d=long")
    docs = render(chart, text)
    nodesets = of_kind(docs, "NodeSet")
    assert list(nodesets) == ["gpu"], nodesets  # not the chart's sample `slinky`
    gpu = nodesets["gpu"]
    assert gpu["extraConf"] == "Gres=gpu:8" and gpu["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert gpu["pod"]["hostNetwork"] is True and gpu["pod"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert gpu["nodeSelector"] == {"kubernetes.io/os": "linux"}
    partitions = of_kind(docs, "Partition")
    # the other target the scripts name: a partition over the same NodeSet, with gp4d's 4 days
    assert partitions["long"]["nodesets"] == ["gpu"] and "MaxTime=4-00:00:00" in partitions["long"]["config"]
    assert "State=UP" in gpu["partition"]
    if chart == "1.3":  # no default partition in this chart unless the values name one
        assert "all" not in partitions and "Default=YES" in gpu["partition"]
    else:
        assert "Default=YES" in partitions["all"]["config"] and "Default" not in gpu["partition"]
    controller = of_kind(docs, "Controller")["slurm"]
    assert controller["extraConf"] == "GresTypes=gpu" and controller["files"] == ["gres.conf"]
    assert of_kind(docs, "LoginSet")["slinky"]["volumes"]


def test_a_partial_nodeset_under_another_name_does_not_render_in_the_0_4_layout(tmp_path: Path, site: Path) -> None:
    """The fixture fails as the real chart 0.4 does (`<$nodeset.logfile>`), so the test above
    can fail: the fragment for chart 1.3 (no 0.4 keys) is refused by the 0.4 layout."""
    text = values_for(site, tmp_path, "1.3", "--partition-map", "gtest=gpu", "--partition-map", "gp4d=gpu")
    with pytest.raises(Exception, match="logfile"):
        render("0.4", text)


@pytest.mark.parametrize("chart", ["0.4", "1.3"])
def test_the_builtin_nodeset_name_renders_in_both_layouts(site: Path, tmp_path: Path, chart: str) -> None:
    docs = render(chart, values_for(site, tmp_path, chart))
    [name] = of_kind(docs, "NodeSet")
    assert name == "slinky"
    part = of_kind(docs, "NodeSet")["slinky"]["partition"]
    assert "MaxTime=4-00:00:00" in part  # gp4d's limit, the longest the old partitions gave


def test_partition_settings_come_from_the_target_snapshot(site: Path, tmp_path: Path) -> None:
    from sbatch_migrate.site.profilegen import render as render_profile
    from sbatch_migrate.site.snapshot import build

    from .test_snapshot import SLINKY_NODES, SLINKY_PARTITIONS, TWCC_CONFIG, TWCC_NODES, TWCC_PARTITIONS

    parts = SLINKY_PARTITIONS.replace("MaxTime=2-00:00:00", "MaxTime=2-00:00:00 DefaultTime=01:00:00")
    new = build("ClusterName = slinky\nSLURM_VERSION = 25.11.2\nGresTypes = gpu\n", parts, SLINKY_NODES, None)
    profile = tmp_path / "site.toml"
    profile.write_text(render_profile(build(TWCC_CONFIG, TWCC_PARTITIONS, TWCC_NODES, None), new))
    docs = render("1.3", values_for(site, tmp_path, "1.3", "--profile", str(profile)))
    part = of_kind(docs, "NodeSet")["slinky"]["partition"]
    assert "MaxTime=2-00:00:00" in part and "DefaultTime=01:00:00" in part
