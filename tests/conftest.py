from __future__ import annotations

from pathlib import Path

import pytest

from sbatch_migrate.fix.engine import Result, migrate
from sbatch_migrate.profile import Profile, load
from sbatch_migrate.read.source import Source

from .slurm_cluster import IMAGE, LocalCluster

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs that do not name a cache folder use one of this test session, never the
    user's ~/.cache (child processes inherit the variable)."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load()


def run(text: str | bytes, profile: Profile | None = None, unsafe_fixes: bool = False) -> Result:
    data = text.encode() if isinstance(text, str) else text
    return migrate(Source.from_bytes(data, "job.sh"), profile or load(), unsafe_fixes=unsafe_fixes)


def out(text: str | bytes, profile: Profile | None = None, unsafe_fixes: bool = False) -> str:
    return run(text, profile, unsafe_fixes).output.decode()


def codes(result: Result) -> list[str]:
    return [f.code for f in result.findings]


@pytest.fixture
def jobdir(tmp_path: Path) -> Path:
    """A job folder with the benchmark the seed script runs, and the image store."""
    (tmp_path / "pytorch_synthetic_benchmark.py").write_text(
        "import os, sys\n"
        "print(f\"rank {os.environ['SLURM_PROCID']} of {os.environ['SLURM_NTASKS']} on "
        "{os.environ['SLURMD_NODENAME']} args {' '.join(sys.argv[1:])}\", flush=True)\n"
    )
    store = tmp_path / "root" / IMAGE.lstrip("/")
    store.parent.mkdir(parents=True)
    store.write_bytes(b"SIF stand-in image\n")
    return tmp_path


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The local Slurm shaped like the new cluster (tests/slurm_cluster.py), one per session:
    the modules that use it skip themselves where it cannot run (missing_requirements)."""
    c = LocalCluster(tmp_path_factory.mktemp("slurm"))
    try:
        c.start()
        yield c
    finally:
        c.stop()
