"""The shipped profiles' parsed snapshots (rules/NAME.toml.py): current, used only for
the exact TOML they were made from, and the same profile as parsing the TOML."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sbatch_migrate import profile

from .conftest import ROOT


def test_every_shipped_profile_has_a_current_snapshot() -> None:
    p = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "profile_snapshots.py"), "--check"], capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    tomls = sorted((ROOT / "rules").glob("*.toml"))
    assert tomls and all(t.with_name(t.name + ".py").is_file() for t in tomls)


def test_the_profile_from_its_snapshot_is_the_profile_from_its_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    for toml in sorted((ROOT / "rules").glob("*.toml")):
        raw = toml.read_bytes()
        assert profile._parsed_snapshot(str(toml), raw) is not None  # it is used
        from_snapshot = profile.load(toml.stem)
        monkeypatch.setattr(profile, "_parsed_snapshot", lambda ref, raw: None)
        from_toml = profile.load(toml.stem)
        monkeypatch.undo()
        assert from_snapshot == from_toml
        assert from_snapshot.digest_parts == from_toml.digest_parts == (raw,)


def test_a_snapshot_is_not_used_for_another_text_or_when_it_is_broken(tmp_path: Path) -> None:
    shutil.copy(ROOT / "rules" / "twcc-to-slinky.toml", tmp_path / "p.toml")
    shutil.copy(ROOT / "rules" / "twcc-to-slinky.toml.py", tmp_path / "p.toml.py")
    ref = str(tmp_path / "p.toml")
    raw = (tmp_path / "p.toml").read_bytes()
    assert profile._parsed_snapshot(ref, raw) is not None
    edited = raw.replace(b"gtest", b"gtext", 1)
    assert edited != raw and profile._parsed_snapshot(ref, edited) is None  # made from another text
    source = f"SOURCE = {raw.decode()!r}\n"
    for broken in ("DOC = {", "DOC = []", source, source + "DOC = [1]\n", source + "DOC = {}\n1 / 0\n", "\xff"):
        (tmp_path / "p.toml.py").write_text(broken, encoding="latin-1")
        assert profile._parsed_snapshot(ref, raw) is None
    (tmp_path / "p.toml.py").write_text(source + "DOC = {'name': 'x'}\n")
    assert profile._parsed_snapshot(ref, raw) == {"name": "x"}  # what decides: its SOURCE is this text
    (tmp_path / "p.toml.py").unlink()
    assert profile._parsed_snapshot(ref, raw) is None
