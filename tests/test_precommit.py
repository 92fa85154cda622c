"""End to end with the real pre-commit: `pre-commit try-repo` against this checkout, in a
temporary git repository of job scripts, for both hooks, passing and failing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

SEED = (ROOT / "examples" / "hello_twcc.sh").read_text()
MIGRATED = (ROOT / "corpus" / "seed_hello_twcc" / "expected.sh").read_text()

pytest.importorskip("pre_commit", reason="pre-commit is a test dependency: pip install -e '.[test]'")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    e = dict(os.environ)
    e.update(
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@x",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@x",
        PRE_COMMIT_COLOR="never",
    )
    return e


def git(repo: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_repo(tmp_path: Path, env: dict[str, str], job: str) -> Path:
    repo = tmp_path / "scripts"
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "train.sh").write_text(job)
    (repo / "ok.slurm").write_text(MIGRATED)
    (repo / "README.md").write_text("#SBATCH -p gtest is how we used to do it\n")
    (repo / "tool.py").write_text("print('not a job script: gtest')\n")
    (repo / ".sbatch-migrate.toml").write_text('ignore = ["SM303"]\n')
    git(repo, "add", "-A", env=env)
    return repo


def try_repo(repo: Path, hook: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_check_hook_fails_then_passes(tmp_path: Path, env: dict[str, str]) -> None:
    repo = make_repo(tmp_path, env, SEED)
    p = try_repo(repo, "sbatch-migrate", env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "train.sh:9:9: SM101 [error]" in p.stdout
    assert "(fixable)" in p.stdout
    assert "README.md" not in p.stdout and "tool.py" not in p.stdout
    assert "SM303" not in p.stdout  # the repository's configuration applies
    assert (repo / "train.sh").read_text() == SEED  # the check hook writes nothing
    (repo / "train.sh").write_text(MIGRATED)
    git(repo, "add", "-A", env=env)
    p = try_repo(repo, "sbatch-migrate", env)
    assert p.returncode == 0, p.stdout + p.stderr


def test_fix_hook_rewrites_and_fails_once(tmp_path: Path, env: dict[str, str]) -> None:
    repo = make_repo(tmp_path, env, SEED)
    p = try_repo(repo, "sbatch-migrate-fix", env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert (repo / "train.sh").read_text() == MIGRATED
    assert (repo / "README.md").read_text().startswith("#SBATCH -p gtest")
    assert (repo / "tool.py").read_text() == "print('not a job script: gtest')\n"
    git(repo, "add", "-A", env=env)
    p = try_repo(repo, "sbatch-migrate-fix", env)
    assert p.returncode == 0, p.stdout + p.stderr


def test_hooks_select_job_scripts_by_content_not_suffix(tmp_path: Path, env: dict[str, str]) -> None:
    """`run.SH` (an upper-case suffix), a non-executable shebang script with an odd suffix, a
    directive-only `.sbatch`, each in a folder with its own configuration: all are checked,
    each with its nearest configuration; documents are not."""
    repo = make_repo(tmp_path, env, MIGRATED)
    (repo / "run.SH").write_text(SEED)
    (repo / "exp").mkdir()
    (repo / "exp" / ".sbatch-migrate.toml").write_text('partition-map = { gtest = "long" }\n')
    (repo / "exp" / "train.run").write_text(SEED)
    (repo / "exp" / "job.sbatch").write_text("#SBATCH -p gtest\nsrun hostname\n")
    (repo / "notes.txt").write_text("#SBATCH -p gtest\n")
    git(repo, "add", "-A", env=env)
    p = try_repo(repo, "sbatch-migrate", env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "run.SH:9:9: SM101 [error] partition gtest does not exist on the target cluster" in p.stdout
    assert "rename it to slinky" in p.stdout  # run.SH: the repository's configuration
    assert "exp/train.run:9:9: SM101" in p.stdout and "exp/job.sbatch:1:9: SM101" in p.stdout
    assert p.stdout.count("rename it to long") == 2  # exp/: its own
    assert "notes.txt" not in p.stdout and "README.md" not in p.stdout
