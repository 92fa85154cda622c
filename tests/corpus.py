"""The corpus: ``corpus/<case>/input.*`` with ``expected.*`` (migrated) and ``report.json``
(and ``path.txt``: the name the input is read under, where its format goes by name).

``python -m tests.corpus`` rewrites the golden files from the current code; review the
diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.output.report import file_dict, json_report
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def cases() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir())


def input_of(case: Path) -> Path:
    [found] = [p for p in case.iterdir() if p.name.startswith("input.")]
    return found


def expected_of(case: Path) -> Path:
    return case / ("expected" + input_of(case).suffix)


def profile_of(case: Path):  # type: ignore[no-untyped-def]
    """The case's own ``profile.toml`` (a profile made by ``profile init``), else the built-in one."""
    own = case / "profile.toml"
    return load(str(own)) if own.is_file() else load()


def path_of(case: Path) -> str:
    """The name the input is read under: a case's ``path.txt`` when its format is known by
    its name and place (``profiles/slurm/config.yaml``), else the input's own path."""
    named = case / "path.txt"
    if named.is_file():
        return f"{case.relative_to(ROOT).as_posix()}/{named.read_text().strip()}"
    return input_of(case).relative_to(ROOT).as_posix()


def render(case: Path) -> tuple[bytes, str]:
    src = input_of(case)
    rel = path_of(case)
    result = migrate(Source.from_bytes(src.read_bytes(), rel), profile_of(case))
    return result.output, json_report([file_dict(result, rel)])


def update() -> None:
    for case in cases():
        output, report = render(case)
        expected_of(case).write_bytes(output)
        (case / "report.json").write_text(report)
        summary = json.loads(report)["summary"]
        print(f"{case.name}: changed={summary['changed']} findings={summary['findings']}")


if __name__ == "__main__":
    update()
