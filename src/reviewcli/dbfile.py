"""What a database file is before reviewcli touches it, and what went wrong when SQLite
fails, in words an admin can act on.

A file given to ``--db`` is opened for writing only once it is known to be a reviewcli
database of this release or an older one (or a new, empty file): a SQLite file of another
program, or one written by a newer release, is refused before anything (not even the
switch to WAL) is written to it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from pathlib import Path

from .errors import ReviewError

SQLITE_MAGIC = b"SQLite format 3\x00"


class DatabaseIncident(ReviewError):
    """The database cannot be used as it is: the message says why and what to do."""


def known_migrations() -> list[str]:
    from . import migrations

    return [name for name, _ in migrations.MIGRATIONS]


def user_version() -> int:
    """The ``PRAGMA user_version`` this release stamps: the number of its migrations."""
    return len(known_migrations())


def classify(conn: sqlite3.Connection, path: Path, *, init: bool = False) -> str:
    """'new' (no tables yet) or 'reviewcli'; otherwise a ``DatabaseIncident``.

    Reads only: run on a fresh connection before any pragma that writes."""
    shown = str(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise describe(e, path) from None
    if not tables:
        if version > user_version():
            raise newer_release(path)
        return "new"
    if "_migrations" not in tables:
        what = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        hint = (
            "init creates a database only in a new or empty file"
            if init
            else "check --db / REVIEWCLI_DB"
        )
        raise DatabaseIncident(
            f"{shown!r} is a SQLite database of another program (tables: {what}), not a "
            f"reviewcli database; it was left untouched ({hint})"
        )
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    except sqlite3.DatabaseError as e:
        raise describe(e, path) from None
    unknown = sorted(names - set(known_migrations()))
    if unknown or version > user_version():
        raise newer_release(path, unknown)
    return "reviewcli"


def newer_release(path: Path, unknown: list[str] | None = None) -> DatabaseIncident:
    from . import __version__

    detail = f" (it has {', '.join(unknown[:3])})" if unknown else ""
    return DatabaseIncident(
        f"{str(path)!r} was written by a newer release of reviewcli{detail}; this is "
        f"reviewcli {__version__}. Upgrade reviewcli to use it; nothing was changed"
    )


def check_header(path: Path) -> None:
    """Refuse a file that is not SQLite at all, before SQLite opens it."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except PermissionError:
        raise DatabaseIncident(
            f"permission denied reading {str(path)!r}: your account may not read the "
            "database. Ask its owner to add you to the unit's group (see 'init --group')"
        ) from None
    except OSError as e:
        raise DatabaseIncident(f"cannot read {str(path)!r}: {e.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise DatabaseIncident(
            f"{str(path)!r} is not a database at all (not a SQLite file); it was left "
            "untouched. Check --db / REVIEWCLI_DB"
        )


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def read_only_filesystem(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except OSError:
        return False


def describe(
    e: BaseException, path: Path | None, doing: str = "database error"
) -> DatabaseIncident:
    """The real cause of a SQLite failure on ``path``, as one actionable message.

    None of these says the data is damaged unless SQLite itself says the file is
    malformed."""
    text = str(e)
    low = text.lower()
    shown = repr(str(path)) if path is not None else "the database"
    folder = Path(path).resolve().parent if path is not None else None
    code = getattr(e, "sqlite_errorcode", None)
    name = getattr(e, "sqlite_errorname", "") or ""
    if "full" in low or name == "SQLITE_FULL" or getattr(e, "errno", None) == errno.ENOSPC:
        return DatabaseIncident(
            f"the disk holding {shown} is full: nothing was saved and the database is as it "
            "was. Free some space and run the command again"
        )
    if "readonly" in low or "read-only" in low or name.startswith("SQLITE_READONLY"):
        if folder is not None and read_only_filesystem(folder):
            return DatabaseIncident(
                f"the filesystem holding {shown} is mounted read-only: nothing was saved. "
                "Remount it read-write, or work on a copy"
            )
        if path is not None and Path(path).exists() and not _writable(Path(path)):
            return DatabaseIncident(
                f"the database file {shown} is read-only for your account: nothing was saved. "
                f"Ask its owner to give you write access (chmod or 'init --group')"
            )
        if folder is not None and not _writable(folder):
            return DatabaseIncident(
                f"the folder {str(folder)!r} holding the database is read-only for your "
                "account (SQLite needs to create its -wal and -shm files there): nothing was "
                "saved. Ask its owner for write access to the folder"
            )
        return DatabaseIncident(f"{shown} could not be written ({text}); nothing was saved")
    if "locked" in low or "busy" in low or name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        holder = describe_holder(path) if path is not None else ""
        who = f": {holder}" if holder else " (another admin is writing)"
        return DatabaseIncident(
            f"the database is busy{who}; nothing was changed. Try again when it finishes "
            "(REVIEWCLI_BUSY_TIMEOUT=SECONDS waits longer)"
        )
    if "unable to open" in low or name == "SQLITE_CANTOPEN" or isinstance(e, PermissionError):
        if path is not None and Path(path).exists() and not os.access(path, os.R_OK):
            return DatabaseIncident(
                f"permission denied: your account may not read {shown}. Ask its owner to add "
                "you to the unit's group (see 'init --group')"
            )
        if folder is not None and not _writable(folder):
            return DatabaseIncident(
                f"permission denied: the folder {str(folder)!r} does not let your account "
                "create the database's -wal/-shm files. Ask its owner for write access"
            )
        return DatabaseIncident(f"cannot open {shown}: {text}")
    if "malformed" in low or name == "SQLITE_CORRUPT" or code == 11:
        return DatabaseIncident(
            f"{shown} is damaged ({text}). Run 'reviewcli check'; restore the latest "
            "backup if it confirms the damage"
        )
    if "not a database" in low or name == "SQLITE_NOTADB":
        return DatabaseIncident(
            f"{shown} is not a SQLite database (or is encrypted); it was left untouched. "
            "Check --db / REVIEWCLI_DB"
        )
    if "disk i/o" in low or name.startswith("SQLITE_IOERR"):
        return DatabaseIncident(
            f"the disk holding {shown} reported an input/output error ({text}); nothing was "
            "saved. Check the disk or the network share, then run the command again"
        )
    return DatabaseIncident(f"{doing}: {text}")


# --- who holds the write lock -----------------------------------------------------------------


def holder_path(path: Path) -> Path:
    return Path(f"{path}.writer")


def record_holder(path: Path, user: str, command: str) -> None:
    """Say who holds the write lock, for an admin left waiting (best effort)."""
    import json
    from datetime import datetime, timezone

    target = holder_path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    data = {
        "user": user,
        "command": command,
        "pid": os.getpid(),
        "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    try:
        from . import files

        fd = os.open(
            tmp,
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
            files.file_mode(),
        )
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def clear_holder(path: Path) -> None:
    import json

    target = holder_path(path)
    try:
        with open(target, encoding="utf-8") as f:
            if json.load(f).get("pid") != os.getpid():
                return
        target.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def read_holder(path: Path) -> dict | None:
    """Who holds the write lock (user, command, pid, since), if that process still runs."""
    import json

    from .files import _pid_alive

    try:
        with open(holder_path(path), encoding="utf-8") as f:
            data = json.load(f)
        pid = int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not _pid_alive(pid):
        return None
    return data


def describe_holder(path: Path) -> str:
    data = read_holder(path)
    if not data:
        return ""
    return (
        f"{data.get('user')} has been writing since {data.get('since')} "
        f"({data.get('command')}, process {data.get('pid')})"
    )
