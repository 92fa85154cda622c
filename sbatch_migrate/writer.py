"""Writing files safely: temporary file in the same folder, fsync, atomic rename."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, data: bytes, like: os.stat_result | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode (and owner when root)."""
    target = Path(path)
    if like is None:
        try:
            like = target.stat()
        except FileNotFoundError:
            like = None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".sbatch-migrate", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if like is not None:
            os.chmod(tmp, stat.S_IMODE(like.st_mode))
            if os.geteuid() == 0:
                os.chown(tmp, like.st_uid, like.st_gid)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dirfd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dirfd)
    except OSError:
        pass
    finally:
        os.close(dirfd)
