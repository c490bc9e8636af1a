"""Files the tool writes: created readable and writable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ReviewError


def open_private(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"):
    """Open ``path`` for writing, readable and writable by its owner only (mode 0600)."""
    path = Path(path)
    if path.is_dir():
        raise ReviewError(f"{str(path)!r} is a folder; give a file name")
    if not path.parent.exists():
        raise ReviewError(f"folder {str(path.parent)!r} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an existing file others could read is made private too
    binary = "b" in mode
    return os.fdopen(
        fd,
        "wb" if binary else "w",
        encoding=None if binary else encoding,
        newline=None if binary else "",
    )
