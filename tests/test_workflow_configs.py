"""Submission configs of workflow managers and launchers: recognised by what they are, read
with their own grammars (never as bash), migrated by the same rules where the same meaning
appears; the formats the tool does not read are said, and count against readiness."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read import configs
from sbatch_migrate.read.formats import config_format
from sbatch_migrate.read.kind import is_job_script
from sbatch_migrate.read.source import Source

from .test_bulk import cli

SNAKEMAKE = """executor: slurm
jobs: 100
default-resources:
  slurm_partition: gp2d
  runtime: 1440
set-resources:
  train:
    slurm_partition: "gtest"
    slurm_extra: "'--gres=gpu:1 --partition=gp1d'"
"""
DASK = """jobqueue:
  slurm:
    queue: gp1d
    cores: 4
    memory: 16GB
    job-extra-directives: ["--gres=gpu:1"]
    job-script-prologue:
      - module load singularity
      - source activate env
"""
HYDRA = """defaults:
  - override hydra/launcher: submitit_slurm
hydra:
  launcher:
    _target_: hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher
    partition: gtest
    gres: gpu:1
    setup:
      - module load cuda/11.8
"""
NEXTFLOW = """process {
  executor = 'slurm'
  queue = 'gp1d'
  beforeScript = 'module load singularity; module load cuda/11.8'
  withLabel: gpu {
    clusterOptions = '--gres=gpu:1 -p gtest'
  }
}
singularity {
  enabled = true
  runOptions = '--nv'
}
"""
MAKEFILE = (
    "PARTITION ?= gtest\nrun:\n\tmkdir -p logs && sbatch -p $(PARTITION) job.sh\n\tsrun --partition=gp1d hostname\n"
)
CROMWELL = 'backend {\n  default = SLURM\n  providers {\n    SLURM {\n      actor-factory = "cromwell.backend.impl.sfs.config.ConfigBackendLifecycleActorFactory"\n      config {\n        submit = "sbatch -p gp1d -J ${job_name} ${script}"\n      }\n    }\n  }\n}\n'  # noqa: E501


@pytest.mark.parametrize(
    ("path", "text", "fmt"),
    [
        ("/home/u1/.config/snakemake/slurm/config.yaml", SNAKEMAKE, "snakemake-profile"),
        ("/home/u1/proj/profiles/twcc/config.v8+.yaml", SNAKEMAKE, "snakemake-profile"),
        ("/home/u1/.config/dask/jobqueue.yaml", DASK, "dask-jobqueue"),
        ("/home/u1/proj/conf/hydra/launcher/twcc.yaml", HYDRA, "hydra-submitit"),
        ("/home/u1/proj/nextflow.config", NEXTFLOW, "nextflow"),
        ("/home/u1/proj/conf/twcc.config", NEXTFLOW, "nextflow"),
        ("/home/u1/proj/Makefile", MAKEFILE, "makefile"),
        ("/home/u1/proj/Snakefile", 'rule a:\n    resources: slurm_partition="gp1d"\n', "snakefile"),
        ("/home/u1/cromwell/slurm.conf", CROMWELL, "cromwell"),
        # not submission configs: nothing about Slurm, or not this kind of file
        ("/home/u1/proj/docker-compose.yml", "services:\n  web:\n    image: nginx\n", None),
        ("/home/u1/proj/config.yaml", "learning_rate: 0.1\nepochs: 10\n", None),
        ("/home/u1/proj/Makefile", "all:\n\tgcc -o a a.c\n", None),
        ("/home/u1/proj/app.config", "[server]\nport = 80\n", None),
        ("/home/u1/proj/nextflow.config", "params.reads = 'data/*.fq'\n", None),
    ],
)
def test_formats_are_recognised_by_what_they_are(path: str, text: str, fmt: str | None) -> None:
    assert config_format(path, text.encode()) == fmt
    if fmt is not None:
        assert is_job_script(path, text.encode())  # bulk reads it (with its own grammar)


def _migrate(path: str, text: str) -> tuple[str, list[str], list[str]]:
    result = migrate(Source.from_bytes(text.encode(), path), load())
    return result.output.decode(), [f.code for f in result.findings], [f.code for f in result.findings if f.fixed]


@pytest.mark.parametrize(
    ("path", "before", "after", "codes"),
    [
        (
            "/h/profiles/slurm/config.yaml",
            SNAKEMAKE,
            SNAKEMAKE.replace("gp2d", "slinky").replace('"gtest"', '"slinky"').replace("=gp1d", "=slinky"),
            ["SM101", "SM101", "SM101"],
        ),
        (
            "/h/.config/dask/jobqueue.yaml",
            DASK,
            DASK.replace("gp1d", "slinky").replace("      - module load singularity\n", ""),  # the item goes
            ["SM101", "SM201"],
        ),
        ("/h/conf/hydra/launcher/twcc.yaml", HYDRA, HYDRA.replace("gtest", "slinky"), ["SM101", "SM203"]),
        (
            "/h/nextflow.config",
            NEXTFLOW,
            NEXTFLOW.replace("'gp1d'", "'slinky'").replace("-p gtest", "-p slinky"),
            ["SM101", "SM201", "SM203", "SM101"],
        ),
        ("/h/Makefile", MAKEFILE, MAKEFILE.replace("gtest", "slinky").replace("=gp1d", "=slinky"), ["SM101", "SM101"]),
        ("/h/cromwell/slurm.conf", CROMWELL, CROMWELL, ["SM911"]),
    ],
)
def test_the_same_rules_where_the_same_meaning_appears(path: str, before: str, after: str, codes: list[str]) -> None:
    out, found, _ = _migrate(path, before)
    assert out == after
    assert found == codes


def test_a_config_is_never_read_as_bash() -> None:
    """A Nextflow `singularity { runOptions '--nv' }` scope is no container launch, and its
    Groovy is no bash that does not parse."""
    _, found, _ = _migrate("/h/nextflow.config", NEXTFLOW)
    assert not {"SM901", "SM908", "SM403", "SM504", "SM006"} & set(found)
    _, found, _ = _migrate("/h/profiles/x/config.yaml", SNAKEMAKE)
    assert not {"SM901", "SM908", "SM006"} & set(found)


def test_mkdir_p_is_not_a_partition_and_variables_are_not_renamed() -> None:
    text = "run:\n\tmkdir -p gtest && sbatch --partition=$$PART job.sh\n"
    out, found, _ = _migrate("/h/Makefile", text)
    assert out == text and "SM101" not in found


def test_a_config_that_does_not_parse_is_said_and_left_alone() -> None:
    text = "executor: slurm\ndefault-resources:\n  slurm_partition: [gp2d\n"
    out, found, _ = _migrate("/h/profiles/p/config.yaml", text)
    assert out == text and "SM911" in found


def test_python_launchers_submit_too() -> None:
    """dask-jobqueue's SLURMCluster and Parsl's SlurmProvider write the job script
    themselves: their partition, option strings and prologue lines are the script's."""
    text = (
        "from dask_jobqueue import SLURMCluster\nfrom parsl.providers import SlurmProvider\n"
        'c = SLURMCluster(queue="gp1d", cores=4, memory="8GB", job_extra_directives=["-p gtest"],\n'
        '                 job_script_prologue=["module load singularity", "source activate env"])\n'
        'p = SlurmProvider(partition="gp2d", scheduler_options="#SBATCH --gres=gpu:2",\n'
        '                  worker_init="module load cuda")\n'
    )
    out, found, fixed = _migrate("/h/run.py", text)
    assert 'queue="slinky"' in out and '["-p slinky"]' in out and 'partition="slinky"' in out
    assert 'job_script_prologue=["source activate env"]' in out  # the singularity module line goes
    assert "SM006" not in found  # Parsl's '#SBATCH ...' options are no job script without a #!
    assert found.count("SM203") == 1 and fixed.count("SM101") == 3


YAML_NAMES = st.sampled_from(["gtest", "gp1d", "gp2d", "gp4d", "slinky"])
OTHER = st.dictionaries(
    st.sampled_from(["jobs", "latency-wait", "printshellcmds", "use-singularity", "retries"]),
    st.one_of(st.integers(0, 999), st.booleans(), st.sampled_from(["yes", "'quoted'", '"x y"'])),
    max_size=4,
)


@st.composite
def snakemake_profile(draw: st.DrawFn) -> str:
    lines = ["executor: slurm"]
    for key, value in draw(OTHER).items():
        lines.append(f"{key}: {str(value).lower() if isinstance(value, bool) else value}")
    lines.append("default-resources:")
    style = draw(st.sampled_from(["map", "list", "quoted"]))
    name = draw(YAML_NAMES)
    if style == "map":
        lines.append(f"  slurm_partition: {name}")
    elif style == "list":
        lines.append(f"  - slurm_partition={name}")
    else:
        lines.append(f"  slurm_partition: '{name}'")
    if draw(st.booleans()):
        lines += ["set-resources:", "  big:", f'    slurm_extra: "--gres=gpu:1 -p {draw(YAML_NAMES)}"']
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(snakemake_profile())
def test_migrated_profiles_still_parse_and_a_second_pass_is_a_fixed_point(text: str) -> None:
    path = "/h/profiles/p/config.yaml"
    once, _, _ = _migrate(path, text)
    tree = configs.parser("yaml").parse(once.encode())
    assert not configs.errors_of(tree)
    assert not any(old in once for old in ("gtest", "gp1d", "gp2d", "gp4d"))
    twice, found, _ = _migrate(path, once)
    assert twice == once and "SM101" not in found
    import yaml

    assert yaml.safe_load(once)["executor"] == "slurm"  # a YAML loader reads it as before


def test_bulk_lists_what_it_could_not_read_and_never_calls_that_user_ready(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "u1" / "cromwell").mkdir(parents=True)
    (home / "u1" / "cromwell" / "slurm.conf").write_text(CROMWELL)
    (home / "u2" / "profiles" / "slurm").mkdir(parents=True)
    (home / "u2" / "profiles" / "slurm" / "config.yaml").write_text(SNAKEMAKE)
    report = tmp_path / "r"
    p = cli("bulk", str(home), "--report-dir", str(report), "--no-cache", "-q")
    assert p.returncode == 0, p.stderr
    md = (report / "report.md").read_text()
    assert "Nothing: every error was fixed" not in md
    assert "slurm.conf`: SM911" in md
    import json

    summary = json.loads((report / "summary.json").read_text())
    users = summary["users"]
    blocked = [name for name, u in users.items() if not u["ready"]]
    assert blocked  # the one whose only submission is a Cromwell config is not ready
    records = [json.loads(line) for line in (report / "files.jsonl").read_text().splitlines()]
    formats = {Path(r["path"]).name: r.get("format") for r in records}
    assert formats == {"slurm.conf": "cromwell", "config.yaml": "snakemake-profile"}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            'import subprocess\nargv = ["-p", "gtest", "--gres=gpu:1"]\nsubprocess.run(["sbatch", *argv, "job.sh"])\n',
            'import subprocess\nargv = ["-p", "slinky", "--gres=gpu:1"]\nsubprocess.run(["sbatch", *argv, "job.sh"])\n',
        ),
        (
            'import subprocess\nopts = ["--partition=gp1d"]\ncmd = ["sbatch"] + opts + ["job.sh"]\n'
            "subprocess.run(cmd, check=True)\n",
            'import subprocess\nopts = ["--partition=slinky"]\ncmd = ["sbatch"] + opts + ["job.sh"]\n'
            "subprocess.run(cmd, check=True)\n",
        ),
        # bound twice: which list runs is not known here, nothing is changed
        (
            'import subprocess\na = ["-p", "gp1d"]\na = ["-p", "gp2d"]\nsubprocess.run(["sbatch", *a])\n',
            'import subprocess\na = ["-p", "gp1d"]\na = ["-p", "gp2d"]\nsubprocess.run(["sbatch", *a])\n',
        ),
    ],
)
def test_argv_built_in_a_variable_and_passed_to_sbatch_is_read(before: str, after: str) -> None:
    out, _, _ = _migrate("/h/submit.py", before)
    assert out == after


def test_container_settings_and_resources_are_checked_against_the_pod() -> None:
    text = (
        "process {\n  executor = 'slurm'\n  queue = 'slinky'\n  container = '/home/u1/images/tf.sif'\n"
        "  clusterOptions = '--gres=gpu:16'\n}\nsingularity {\n  runOptions = '--nv -B /work/u1/data:/data'\n"
        "  cacheDir = '/work/TWCC_cntr/cache'\n}\n"
    )
    result = migrate(Source.from_bytes(text.encode(), "/h/nextflow.config"), load())
    found = [(f.code, f.subject) for f in result.findings]
    assert ("SM501", None) in found  # 16 GPUs per node: a pod has 8
    assert ("SM601", "/home/u1/images/tf.sif") in found and ("SM601", "/work/u1/data") in found
    assert not [s for c, s in found if c == "SM601" and s and s.startswith("/work/TWCC_cntr")]  # mounted
    assert "SM504" not in [c for c, _ in found]  # GPUs are asked for: --nv is right
    bare = migrate(
        Source.from_bytes(b"process.executor = 'slurm'\nsingularity.runOptions = '--nv'\n", "/h/nextflow.config"),
        load(),
    )
    assert [f.code for f in bare.findings] == ["SM504"]
    yaml_text = (
        'executor: slurm\nsingularity-args: "--nv -B /work/u9/x"\ndefault-resources:\n  slurm_partition: slinky\n'
    )
    codes = [
        f.code for f in migrate(Source.from_bytes(yaml_text.encode(), "/h/profiles/p/config.yaml"), load()).findings
    ]
    assert codes == ["SM504", "SM601"]


@st.composite
def nextflow_config(draw: st.DrawFn) -> str:
    """A Nextflow config: process settings in plain, selector and dotted forms, quotes of
    both kinds, other settings and comments among them."""
    q = draw(st.sampled_from(["'", '"']))
    lines = ["// generated", f"process.executor = {q}slurm{q}"]
    body = [f"    queue = {q}{draw(YAML_NAMES)}{q}"]
    if draw(st.booleans()):
        body.append(f"    clusterOptions = {q}--gres=gpu:1 -p {draw(YAML_NAMES)}{q}")
    if draw(st.booleans()):
        body.append(f"    withLabel: big {{\n        queue = {q}{draw(YAML_NAMES)}{q}\n    }}")
    if draw(st.booleans()):
        body.append(f"    memory = {q}8 GB{q}")
    lines += ["process {", *body, "}"]
    if draw(st.booleans()):
        lines.append(f"process.queue = {q}{draw(YAML_NAMES)}{q}")
    if draw(st.booleans()):
        lines.append("params.outdir = 'results'")
    return "\n".join(lines) + "\n"


@st.composite
def makefile(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["=", "?=", ":="]))
    lines = [f"PART {op} {draw(YAML_NAMES)}", "", "run:"]
    if draw(st.booleans()):
        lines.append("\tmkdir -p logs")
    lines.append("\tsbatch -p $(PART) job.sh")
    if draw(st.booleans()):
        lines.append(f"\tsrun --partition={draw(YAML_NAMES)} hostname")
    return "\n".join(lines) + "\n"


@settings(max_examples=50, deadline=None)
@given(st.one_of(nextflow_config().map(lambda t: ("nextflow.config", "groovy", t)),
                 makefile().map(lambda t: ("Makefile", "make", t))))  # fmt: skip
def test_migrated_nextflow_and_make_still_parse_and_are_a_fixed_point(case: tuple[str, str, str]) -> None:
    name, grammar, text = case
    path = f"/h/proj/{name}"
    before = configs.errors_of(configs.parser(grammar).parse(text.encode()))
    once, _, _ = _migrate(path, text)
    assert len(configs.errors_of(configs.parser(grammar).parse(once.encode()))) <= len(before)
    assert not before and not any(old in once for old in ("gtest", "gp1d", "gp2d", "gp4d"))
    twice, found, _ = _migrate(path, once)
    assert twice == once and "SM101" not in found


def test_a_prologue_that_pulls_the_image_is_reported() -> None:
    text = (
        "jobqueue:\n  slurm:\n    queue: slinky\n    job-script-prologue:\n      - singularity pull x.sif docker://x\n"
    )
    _, found, _ = _migrate("/h/.config/dask/jobqueue.yaml", text)
    assert found == ["SM402"]


def test_shapes_seen_in_public_nextflow_site_configs() -> None:
    """Read with the tool from public nf-core site configs: a queue chosen per task by a
    closure, a beforeScript in a triple-quoted string with .stripIndent(), the executor
    scope's default queue."""
    text = (
        "process {\n    executor = 'slurm'\n"
        "    queue = { task.time <= 2.h ? 'gtest' : 'gp1d' }\n"
        '    beforeScript = """\n    module load singularity/3.1\n    module load squashfs-tools/4.3\n'
        "    \"\"\".stripIndent()\n}\nexecutor {\n    name = 'slurm'\n    queue = 'gp2d'\n}\n"
    )
    result = migrate(Source.from_bytes(text.encode(), "/h/nextflow.config"), load())
    found = [f.code for f in result.findings]
    assert found == ["SM104", "SM201", "SM203", "SM101"], found
    assert "queue = 'slinky'" in result.output.decode()  # the executor's default queue
    assert "'gtest' : 'gp1d'" in result.output.decode()  # chosen per task: left for a person


def test_a_multi_line_yaml_command_is_one_command() -> None:
    """As a public Snakemake profile writes `cluster:` (smk-simple-slurm): sbatch on one line,
    its options on the next ones; `mkdir -p` before it is no partition."""
    text = (
        "cluster:\n  mkdir -p logs/{rule} &&\n  sbatch\n    --partition=gtest\n    --qos={resources.qos}\n"
        "default-resources:\n  - partition=gp1d\n  - mem_mb=1000\njobs: 500\n"
    )
    out, _, fixed = _migrate("/h/smk-simple/config.yaml", text)
    assert "--partition=slinky" in out and "partition=slinky\n" in out and "mkdir -p logs" in out
    assert fixed == ["SM101", "SM101"]


def test_parsl_takes_the_partition_first_as_its_site_configs_write_it() -> None:
    text = (
        "from parsl.providers import SlurmProvider\n"
        "provider = SlurmProvider(\n    'gp1d',  # partition\n    account='MST108123',\n    walltime='01:00:00',\n)\n"
    )
    out, _, fixed = _migrate("/h/parsl_config.py", text)
    assert "'slinky',  # partition" in out and fixed == ["SM101"]


def test_a_launcher_without_sbatch_words_or_scripts_is_read() -> None:
    """dask-jobqueue and Parsl configs often hold no subprocess call, no #SBATCH text: they
    are read all the same."""
    text = 'from dask_jobqueue import SLURMCluster\ncluster = SLURMCluster(queue="gp1d", cores=4, memory="8GB")\n'
    out, _, fixed = _migrate("/h/dask_run.py", text)
    assert 'queue="slinky"' in out and fixed == ["SM101"]


@pytest.mark.parametrize(
    ("path", "data", "after"),
    [
        (
            "/h/Makefile",
            b"run:\n\tsbatch --comment=caf\xe9 -p gtest job.sh\n\tsrun -p gp1d hostname\n",
            b"run:\n\tsbatch --comment=caf\xe9 -p slinky job.sh\n\tsrun -p slinky hostname\n",
        ),
        (
            "/h/profiles/p/config.yaml",
            b'executor: slurm\ncluster: "sbatch --comment=caf\xe9 -p gtest"\n'
            b"default-resources:\n  slurm_partition: gp1d\n",
            b'executor: slurm\ncluster: "sbatch --comment=caf\xe9 -p slinky"\n'
            b"default-resources:\n  slurm_partition: slinky\n",
        ),
    ],
)
def test_text_that_is_not_utf8_is_edited_exactly_and_kept_byte_for_byte(path: str, data: bytes, after: bytes) -> None:
    """A Latin-1 byte is two bytes in the UTF-8 the grammars read: the spans are the
    decoded text's and are mapped back (they once landed two bytes early: `-pslinkyd`)."""
    result = migrate(Source.from_bytes(data, path), load())
    assert result.output == after
    assert "SM905" in [f.code for f in result.findings]


def test_a_config_nested_thousands_deep_is_read_without_a_crash() -> None:
    data = b"executor: slurm\nslurm_partition: gtest\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    result = migrate(Source.from_bytes(data, "/h/profiles/p/config.yaml"), load())
    assert b"slurm_partition: slinky" in result.output
    text = b"process { queue = 'gp1d' }\n" + b"a { " * 3000 + b"} " * 3000 + b"\n"
    assert b"queue = 'slinky'" in migrate(Source.from_bytes(text, "/h/nextflow.config"), load()).output


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["/h/profiles/p/config.yaml", "/h/nextflow.config", "/h/Makefile", "/h/.config/dask/jobqueue.yaml"]
    ),
    st.lists(
        st.sampled_from(
            [
                b"executor: slurm\n", b"slurm_partition: gtest\n", b"jobqueue:\n  slurm:\n    queue: gp1d\n",
                b"process {\n", b"}\n", b"queue = 'gp1d'\n", b"clusterOptions = \"-p gtest\"\n", b"run:\n",
                b"\tsbatch -p $(P) x\n", b"P ?= gp2d\n", b"  - module load singularity\n", b"job-script-prologue:\n",
                b"\xe9", b"\r\n", b"[", b"{", b"'", b'"', b"\\", b"${x}", b"\t", b"  ",
            ]
        ),
        max_size=12,
    ),
)  # fmt: skip
def test_any_config_text_is_migrated_without_a_crash_and_parses_no_worse(path: str, pieces: list[bytes]) -> None:
    from sbatch_migrate.read.formats import config_format
    from sbatch_migrate.read.source import InputError

    data = b"".join(pieces)
    try:
        source = Source.from_bytes(data, path)
    except InputError:
        return
    result = migrate(source, load())  # never raises
    fmt = config_format(path, data)
    if fmt is not None and result.changed:
        grammar = configs.parser(configs.GRAMMAR[fmt])
        before = configs.errors_of(grammar.parse(source.parse_bytes))
        again = Source.from_bytes(result.output, path)
        assert len(configs.errors_of(grammar.parse(again.parse_bytes))) <= len(before)
