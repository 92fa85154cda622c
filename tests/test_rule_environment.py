"""SM301-SM304 (fabric variables) and SM401-SM403 (Apptainer)."""

from __future__ import annotations

import pytest

from sbatch_migrate.profile import load
from sbatch_migrate.record import replace

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
    result = run(H + 'export UCX_NET_DEVICES="mlx5_0:1"\nexport UCX_TLS=rc\n', prof, unsafe_fixes=True)
    assert result.output.decode() == H + 'export UCX_NET_DEVICES="mlx5_2:1"\nexport UCX_TLS=rc\n'
    assert [f.fixed for f in result.findings] == [True, False]
    # another device changes how the job runs: an unsafe fix, withheld unless asked for
    held = run(H + 'export UCX_NET_DEVICES="mlx5_0:1"\nexport UCX_TLS=rc\n', prof)
    assert not held.changed and [f.unsafe_fix for f in held.findings] == [True, False]


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


@pytest.mark.parametrize(
    "image", ["docker://nvcr.io/nvidia/pytorch:24.07-py3", "oras://ghcr.io/u/img:1", "docker-daemon:img:latest"]
)
def test_running_a_registry_image_pulls_it_in_the_job(image: str) -> None:
    result = run(H + f"IMG={image}\nsrun singularity exec --nv $IMG python x.py\n")
    [f] = [f for f in result.findings if f.code == "SM402"]
    assert f"`singularity exec` on {image} pulls and converts the image at every run" in f.message


def test_running_a_sif_is_no_pull() -> None:
    assert "SM402" not in codes(run(H + "srun singularity exec /work/TWCC_cntr/a.sif x\n"))


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


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "mpirun -x UCX_NET_DEVICES=mlx5_0:1 -np 2 ./a.out\n",
            [("SM301", "`mpirun -x` passes UCX_NET_DEVICES=mlx5_0:1")],
        ),
        (
            "mpirun --mca btl ^vader,tcp,openib ./a.out\n",
            [("SM304", "`mpirun --mca` passes OMPI_MCA_btl=^vader,tcp,openib")],
        ),
        ("mpiexec -mca pml ucx -np 4 ./a.out\n", [("SM304", "OMPI_MCA_pml=ucx")]),
        ("mpirun -genv NCCL_SOCKET_IFNAME ib0 ./a.out\n", [("SM302", "`mpirun -genv` passes NCCL_SOCKET_IFNAME=ib0")]),
        (
            "srun --export=ALL,UCX_TLS=rc,NCCL_IB_HCA=mlx5_0 ./a.out\n",
            [("SM301", "UCX_TLS=rc"), ("SM302", "NCCL_IB_HCA")],
        ),
        ("env NCCL_IB_DISABLE=1 python x.py\n", [("SM302", "`env` passes NCCL_IB_DISABLE=1")]),
        ("time srun mpirun -x UCX_TLS=rc ./a.out\n", [("SM301", "UCX_TLS=rc")]),
        ("mpirun -x UCX_IB_PKEY=$PKEY ./a.out\n", [("SM301", "UCX_IB_PKEY=$PKEY:")]),
        ("mpirun -x UCX_TLS ./a.out\n", []),  # forwards the caller's value: reported where it is set
        ("srun --export=ALL ./a.out\n", []),
        ("#SBATCH --export=ALL,UCX_TLS=rc\nsrun x\n", [("SM301", "`#SBATCH --export` passes UCX_TLS=rc")]),
        ('#SBATCH --export="NCCL_IB_HCA=mlx5_0"\nsrun x\n', [("SM302", "passes NCCL_IB_HCA=mlx5_0:")]),
    ],
)
def test_fabric_variables_a_launcher_passes(text: str, found: list[tuple[str, str]]) -> None:
    result = run(H + text)
    assert codes(result) == [code for code, _ in found]
    for finding, (_, want) in zip(result.findings, found, strict=True):
        assert want in finding.message
    assert not result.changed


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("env SINGULARITY_BIND=/work/u1 srun x\n", "env APPTAINER_BIND=/work/u1 srun x\n"),
        ("mpirun -x SINGULARITYENV_FOO=1 ./a.out\n", "mpirun -x APPTAINERENV_FOO=1 ./a.out\n"),
        ("srun --export=ALL,SINGULARITY_BIND=/work x\n", "srun --export=ALL,APPTAINER_BIND=/work x\n"),
        ("#SBATCH --export=ALL,SINGULARITY_BIND=/work\n", "#SBATCH --export=ALL,APPTAINER_BIND=/work\n"),
        # quoted: reported, not renamed (the name is not where a plain word would hold it)
        ('mpirun -x "SINGULARITY_BIND=/work" ./a.out\n', 'mpirun -x "SINGULARITY_BIND=/work" ./a.out\n'),
    ],
)
def test_singularity_variables_a_launcher_passes_are_renamed_where_written_plainly(before: str, after: str) -> None:
    result = run(H + before)
    assert result.output.decode() == H + after
    assert codes(result) == ["SM401"]


@pytest.mark.parametrize("option", ["--mca btl ^openib", "-mca btl self", "-genv I_MPI_FABRICS shm:ofi"])
def test_container_launch_behind_mpi_options_with_two_values_is_seen(option: str) -> None:
    """`--mca NAME VALUE` and `-genv NAME VALUE` take two words: the value was read as the
    command, and the container launch behind it (its image, --nv, mounts) went unseen."""
    result = run(
        "#!/bin/bash\n#SBATCH --gres=gpu:1\n" + f"mpirun {option} -np 2 singularity exec --nv /work/u1234567/a.sif x\n"
    )
    assert "SM403" in codes(result) and "SM601" in codes(result)


@pytest.mark.parametrize(
    "text",
    [
        "srun --container-image=nvcr.io#nvidia/pytorch:24.01-py3 python train.py\n",
        "srun --container-image=/work/u1/x.sqsh --container-mounts=/work/u1:/data python t.py\n",
        "srun -N 1 --container-name=pt --container-workdir=/w ./run.sh\n",
    ],
)
def test_pyxis_options_on_a_cluster_without_pyxis(text: str) -> None:
    [f] = [f for f in run("#!/bin/bash\n#SBATCH -N 1\n" + text).findings if f.code == "SM404"]
    assert "Pyxis (enroot) options" in f.message and "singularity exec" in f.message


def test_pyxis_directive_is_a_pyxis_finding_not_an_unknown_option() -> None:
    result = run("#!/bin/bash\n#SBATCH --container-image=x.sqsh\nhostname\n")
    assert "SM404" in codes(result) and "SM002" not in codes(result)


def test_pyxis_options_are_fine_where_the_nodesets_run_pyxis() -> None:
    from sbatch_migrate.profile import load
    from sbatch_migrate.record import replace

    script = "#!/bin/bash\n#SBATCH --container-image=x.sqsh\nsrun --container-image=y.sqsh true\n"
    assert "SM404" not in codes(run(script, replace(load(), pyxis=True)))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("source /opt/intel/oneapi/setvars.sh\n", "/opt/intel"),
        (". /opt/intel/oneapi/setvars.sh --force\n", "/opt/intel"),
        ("/usr/local/cuda/bin/nvcc -o a a.cu\n", "/usr/local/cuda"),
        ("/opt/nvidia/hpc_sdk/Linux_x86_64/21.7/compilers/bin/nvc a.c\n", "/opt/nvidia"),
        ("export PATH=/usr/local/cuda-11.3/bin:$PATH\n", "/usr/local/cuda-*"),
        ("export LD_LIBRARY_PATH=/opt/ohpc/pub/lib:$LD_LIBRARY_PATH\n", "/opt/ohpc"),
        ("CUDA=/usr/local/cuda\n$CUDA/bin/nvcc a.cu\n", "/usr/local/cuda"),
    ],
)
def test_host_software_trees_are_not_in_the_pod(text: str, tree: str) -> None:
    [f] = [f for f in run("#!/bin/bash\n#SBATCH -N 1\n" + text).findings if f.code == "SM602"]
    assert f"the old hosts' {tree} tree" in f.message


@pytest.mark.parametrize(
    "text",
    [
        "singularity exec --nv x.sif /usr/local/cuda/bin/nvcc a.cu\n",  # the image's own CUDA
        "srun singularity exec x.sif bash -c 'source /opt/intel/oneapi/setvars.sh && ./a'\n",
        "source /etc/profile\n",
        "export PATH=/work/users/u1/bin:$PATH\n",
        ". /opt/ohpc/admin/lmod/lmod/init/bash\n",  # module-init says it
    ],
)
def test_what_is_not_host_software(text: str) -> None:
    assert "SM602" not in codes(run("#!/bin/bash\n#SBATCH -N 1\n" + text))


def test_host_software_the_pod_has_is_not_reported() -> None:
    from sbatch_migrate.profile import load
    from sbatch_migrate.record import replace

    profile = replace(load(), host_software_present=("/opt/intel",))
    assert "SM602" not in codes(run("#!/bin/bash\nsource /opt/intel/oneapi/setvars.sh\n", profile))
