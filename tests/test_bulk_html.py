"""The bulk HTML report, rendered by a real headless Chromium (Debian's), checked in the DOM
after the page's script ran."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.gen_homes import generate

from .test_bulk import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def render(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_html_report_renders_chart_and_user_table(tmp_path: Path) -> None:
    root = tmp_path / "site"
    owners = os.geteuid() == 0
    generate(root, users=4, files=60, seed=5, owners=owners)
    report = tmp_path / "r"
    assert cli("bulk", str(root), "--report-dir", str(report), "--no-cache", "-q").returncode == 0
    page = report / "report.html"
    html = page.read_text()
    assert "<script src=" not in html and "<link " not in html and "http" not in html.split("<script")[0]
    p = render(page, tmp_path / "profile", "--dump-dom")
    assert p.returncode == 0, p.stderr
    dom = p.stdout
    bars = re.findall(r'<rect[^>]*class="bar"[^>]*data-code="(SM\d{3})"', dom)
    assert "SM101" in bars and "SM201" in bars and len(bars) == len(set(bars))
    users = re.findall(r'<tr data-user="([^"]+)">', dom)
    if owners:
        assert users == [f"u{1000001 + i}" for i in range(4)]
    else:
        assert users
    assert "job scripts:" in dom and "users ready:" in dom
    shot = tmp_path / "report.png"
    render(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,1200")
    assert shot.exists() and shot.stat().st_size > 10_000


def test_partial_merge_says_first_what_it_lacks(tmp_path: Path) -> None:
    from sbatch_migrate.bulk.ownfolder import OwnFolder
    from sbatch_migrate.bulk.reports import write_reports

    root = tmp_path / "site"
    generate(root, users=2, files=20, seed=6)
    shard = tmp_path / "r" / "shard-0"
    assert cli("bulk", str(root), "--report-dir", str(shard), "--no-cache", "-q").returncode == 0
    gap = "shard 1 of 2 is missing (did its array task run?)"
    with OwnFolder.open(tmp_path / "r", create=False) as top, OwnFolder.open(shard, create=False) as one:
        write_reports(top, [(one, "files.jsonl")], incomplete=[gap])
    p = render(tmp_path / "r" / "report.html", tmp_path / "profile", "--dump-dom")
    assert p.returncode == 0, p.stderr
    banner = re.search(r'<p class="incomplete" id="incomplete">(.*?)</p>', p.stdout, re.S)
    assert banner is not None and f"<span>Incomplete: {gap}</span>" in banner.group(1)
    assert p.stdout.index('id="incomplete"') < p.stdout.index('id="totals"')
