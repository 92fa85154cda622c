"""SM301-SM304 (fabric variables) and SM401-SM403 (Apptainer)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sbatch_migrate.profile import load

from .conftest import codes, out, run

H = "#!/bin/bash\n#SBATCH -N 1\n"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("export UCX_NET_DEVICES=mlx5_0:1\n", "SM301"),
        ("UCX_TLS=rc,cuda_copy\n", "SM301"),
        ("export NCCL_IB_HCA=mlx5_0\n", "SM302"),
        ("export NCCL_SOCKET_IFNAME=ib0\n", "SM302"),
        ("NCCL_IB_DISABLE=1 srun x\n", "SM302"),
        ("export NCCL_DEBUG=INFO\n", "SM303"),
        ("export OMPI_MCA_btl=openib,self\n", "SM304"),
        ("if true; then export UCX_TLS=rc; fi\n", "SM301"),
        ("declare -x NCCL_NET_GDR_LEVEL=2\n", "SM302"),
    ],
)
def test_fabric_variables_flagged(text: str, code: str) -> None:
    result = run(H + text)
    assert codes(result) == [code]
    assert not result.changed


def test_fabric_severities() -> None:
    result = run(H + "export UCX_NET_DEVICES=mlx5_0:1\nexport NCCL_DEBUG=INFO\n")
    assert [str(f.severity) for f in result.findings] == ["warning", "info"]


def test_profile_can_rewrite_a_fabric_variable() -> None:
    from sbatch_migrate.profile import VariableRule

    rule = VariableRule(("UCX_NET_DEVICES",), "SM301", "pod device", (("UCX_NET_DEVICES", "mlx5_2:1"),))
    prof = replace(load(), variables=(rule, *load().variables))
    result = run(H + 'export UCX_NET_DEVICES="mlx5_0:1"\nexport UCX_TLS=rc\n', prof)
    assert result.output.decode() == H + 'export UCX_NET_DEVICES="mlx5_2:1"\nexport UCX_TLS=rc\n'
    assert [f.fixed for f in result.findings] == [True, False]


def test_unrelated_variables_not_flagged() -> None:
    assert codes(run(H + "export NCCL_HOME=/opt\nexport UCXX=1\nexport CUDA_VISIBLE_DEVICES=0\n")) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("export SINGULARITY_BINDPATH=/work/users\n", "export APPTAINER_BINDPATH=/work/users\n"),
        ("SINGULARITY_CACHEDIR=/tmp/c\n", "APPTAINER_CACHEDIR=/tmp/c\n"),
        ("export SINGULARITYENV_LD_LIBRARY_PATH=/x\n", "export APPTAINERENV_LD_LIBRARY_PATH=/x\n"),
    ],
)
def test_singularity_env_renamed(before: str, after: str) -> None:
    assert out(H + before) == H + after


def test_singularity_env_not_renamed_when_read_by_the_script() -> None:
    result = run(H + "export SINGULARITY_BIND=/work/users/u1\necho $SINGULARITY_BIND\n")
    assert not result.changed
    [f] = result.findings
    assert f.code == "SM401" and "line 4" in f.message


def test_singularity_env_flag_only_profile() -> None:
    result = run(H + "export SINGULARITY_BIND=/work/users/u1\n", replace(load(), rename_singularity_env=False))
    assert not result.changed and codes(result) == ["SM401"]


def test_singularity_variable_named_exactly_singularity_is_not_renamed() -> None:
    assert "SM401" not in codes(run(H + 'SINGULARITY="singularity run --nv x.sif"\n'))


def test_pull_and_build_in_job() -> None:
    result = run(H + "singularity pull docker://nvcr.io/nvidia/pytorch:24.01-py3\napptainer build a.sif a.def\n")
    assert codes(result) == ["SM402", "SM402"]
    # a plain shell script (no directives) that pulls is not a job
    assert codes(run("#!/bin/bash\nsingularity pull docker://x\n")) == []


def test_container_launch_through_variables() -> None:
    result = run(
        "#!/bin/bash\n#SBATCH --gres=gpu:8\nSIF=/work/TWCC_cntr/a.sif\n"
        'S="singularity exec --nv -B /work/u1:/data $SIF"\nsrun --mpi=pmix $S python t.py\n'
    )
    [f] = [f for f in result.findings if f.code == "SM403"]
    assert "srun runs singularity exec --nv on /work/TWCC_cntr/a.sif" in f.message
    assert "binds /work/u1:/data" in f.message and "8 GPUs per node" in f.message


def test_container_launch_with_unknown_image() -> None:
    result = run("#!/bin/bash\n#SBATCH --gres=gpu:1\nsrun singularity run --nv $1\n")
    [f] = [f for f in result.findings if f.code == "SM403"]
    assert "not known statically" in f.message
