"""``--validate``: ask the real Slurm about the migrated script (``sbatch --test-only``).

For users on the Slinky login pod: sbatch checks the script against the live cluster
(partitions, GRES, node shapes, options) without submitting it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ..record import record

_NO_CONTROLLER = (
    "Unable to contact slurm controller",
    "Socket timed out",
    "Connection refused",
    "Unable to establish controller",
    "Zero Bytes were transmitted",
    "Could not establish",
)


@record(frozen=True)
class Verdict:
    ok: bool | None  # None: Slurm could not be asked
    message: str


def test_only(script: bytes, sbatch: str | None = None, timeout: float = 60) -> Verdict:
    exe = sbatch or shutil.which("sbatch")
    if exe is None:
        return Verdict(None, "sbatch is not installed here: run --validate on a login pod of the new cluster")
    fd, path = tempfile.mkstemp(prefix="sbatch-migrate-", suffix=".sh")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(script)
        try:
            p = subprocess.run([exe, "--test-only", path], capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return Verdict(None, f"sbatch --test-only did not answer within {timeout:.0f}s")
        except OSError as exc:
            return Verdict(None, f"cannot run sbatch: {exc.strerror or exc}")
    finally:
        os.unlink(path)
    lines = [line.removeprefix("sbatch: ").strip() for line in p.stderr.splitlines() if line.strip()]
    text = "; ".join(lines) or f"exit status {p.returncode}"
    if p.returncode == 0:
        started = [line for line in lines if "to start at" in line]
        return Verdict(True, started[-1] if started else text)
    if any(marker in p.stderr for marker in _NO_CONTROLLER):
        return Verdict(None, f"no Slurm controller answered: {text}")
    return Verdict(False, text.replace(os.path.basename(path), "the migrated script"))
