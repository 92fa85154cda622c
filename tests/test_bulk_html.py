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


def render(page: Path, profile: Path, *extra: str, fragment: str = "") -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri() + fragment],
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


def _site_needing_a_human(root: Path) -> None:
    for user, extra in (("u1", "module load cuda/11.8\n"), ("u2", "export UCX_TLS=rc\n"), ("u3", "")):
        d = root / "home" / user
        d.mkdir(parents=True)
        (d / "job.sh").write_text(
            f"#!/bin/bash\n#SBATCH -p gtest\n{extra}cd /work/{user}/run\nsingularity exec /home/{user}/a.sif true\n"
        )
        (d / "ok.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\nhostname\n")


def _dom(page: Path, profile: Path, fragment: str = "") -> str:
    p = render(page, profile, "--dump-dom", fragment=fragment)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _visible(dom: str, tag: str, cls: str, attr: str) -> list[str]:
    """The ``attr`` values of the elements ``<tag class="cls...">`` not hidden by the filters."""
    out = []
    for m in re.finditer(rf'<{tag} class="{cls}[^"]*"([^>]*)>', dom):
        attrs = m.group(1)
        if "hidden" not in attrs:
            found = re.search(rf'{attr}="([^"]*)"', attrs)
            if found:
                out.append(found.group(1))
    return out


def test_html_drill_down_per_user_with_findings_diff_and_filters(tmp_path: Path) -> None:
    _site_needing_a_human(tmp_path / "site")
    report = tmp_path / "r"
    cli("bulk", str(tmp_path / "site"), "--report-dir", str(report), "--no-cache", "-q")
    page = report / "report.html"
    dom = _dom(page, tmp_path / "profile")
    # the decision first, then per user the files that need a human (ok.sh needs nobody)
    assert dom.index('class="decision" data-mount="/home"') < dom.index('id="chart"') < dom.index('id="files"')
    users = _visible(dom, "details", "user", "data-user")
    assert sorted(users) == ["u1", "u2", "u3"] or len(users) == 1  # one owner when not run as root
    paths = _visible(dom, "div", "file", "data-path")
    assert sorted(os.path.basename(p) for p in paths) == ["job.sh"] * 3
    assert '<span class="del">-#SBATCH -p gtest\n</span><span class="add">+#SBATCH -p slinky\n</span>' in dom
    assert "Showing 3 of the 3 files that need a human" in dom
    # filtered by rule: only the file loading a module; by severity: only the UCX warning's
    only = _visible(_dom(page, tmp_path / "profile", "#rule=SM203"), "div", "file", "data-path")
    assert [os.path.basename(os.path.dirname(p)) for p in only] == ["u1"]
    warned = _dom(page, tmp_path / "profile", "#severity=warning")
    assert [os.path.basename(os.path.dirname(p)) for p in _visible(warned, "div", "file", "data-path")] == ["u2"]
    assert _visible(warned, "tr", "finding", "data-code") == ["SM301"]
    assert "1 file matches" in warned


def test_html_report_layout_in_a_screenshot(tmp_path: Path) -> None:
    """The page as a browser paints it (filtered to errors, which opens the users' files):
    the decision box, then the chart's bars, then a diff's added line, top to bottom, each
    in its own colour."""
    from PIL import Image

    _site_needing_a_human(tmp_path / "site")
    report = tmp_path / "r"
    cli("bulk", str(tmp_path / "site"), "--report-dir", str(report), "--no-cache", "-q")
    shot = tmp_path / "report.png"
    page = report / "report.html"
    p = render(
        page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1100,2400", fragment="#severity=error"
    )
    assert shot.exists(), p.stderr
    image = Image.open(shot).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None

    def first_row(colour: tuple[int, int, int]) -> int | None:
        for y in range(0, height, 2):
            if any(pixels[x, y] == colour for x in range(0, width, 3)):
                return y
        return None

    decision = first_row((0xFF, 0xF8, 0xE1))  # .decision background
    bar = first_row((0x3F, 0x6F, 0xB5))  # a bar of the chart
    added = first_row((0xE6, 0xFF, 0xED))  # an added line of a diff
    assert decision is not None and bar is not None and added is not None, (decision, bar, added)
    assert decision < bar < added


def test_the_drill_down_is_bounded_and_the_same_in_any_order() -> None:
    import random

    from sbatch_migrate.bulk import reports
    from sbatch_migrate.bulk.reports import Aggregate, html_page, tally_of

    def record(user: str, i: int) -> dict[str, object]:
        return {
            "path": f"/home/{user}/job{i:03d}.sh",
            "user": user,
            "status": "would-change",
            "changed": True,
            "findings": [
                {"code": "SM601", "rule": "path-not-mounted", "severity": "error", "line": 3, "column": 1,
                 "end_line": 3, "end_column": 9, "message": "x" * 300, "fixed": False, "subject": f"/work/{user}/d"}
            ] * 60,
            "diff": "-a\n+b\n" * 4000,
        }  # fmt: skip

    records = [record(f"u{u}", i) for u in range(40) for i in range(30)]
    pages = []
    for seed in (1, 2):
        random.Random(seed).shuffle(records)
        agg = Aggregate()
        for r in records:
            agg.add_tally(str(r["status"]), tally_of(r), r)
        drill = agg.drill_down()
        assert drill["needing"] == 1200 and drill["shown"] == reports.DETAIL_FILES
        assert max(len(v) for v in drill["users"].values()) == reports.DETAIL_PER_USER
        pages.append(html_page(agg.summary(), drill))
    assert pages[0] == pages[1]  # which files are shown does not depend on the order they came in
    assert len(pages[0]) < 12_000_000  # one file, bounded whatever the number of files


def test_a_placeholder_in_a_users_path_is_not_filled_in() -> None:
    from sbatch_migrate.bulk.reports import Aggregate, html_page

    agg = Aggregate()
    record = {
        "path": "/home/u1/__DETAILS__/__DATA__.sh",
        "user": "u1",
        "status": "would-change",
        "changed": True,
        "findings": [{"code": "SM203", "rule": "module-load-other", "severity": "error", "line": 3, "fixed": False,
                      "message": "`module load __DETAILS__`"}],
    }  # fmt: skip
    agg.add(record)
    page = html_page(agg.summary(), agg.drill_down())
    import json as _json

    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    details = re.search(r'<script id="details" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None and details is not None
    assert _json.loads(details.group(1))["users"]["u1"][0]["path"] == record["path"]
    assert "/home/u1/__DETAILS__/__DATA__.sh" in _json.loads(data.group(1))["users"]["u1"]["blocking"][0]["path"]
