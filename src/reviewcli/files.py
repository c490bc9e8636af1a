"""The one way reviewcli writes a file: whole or not at all, private, and never over the
database.

Every output (reports, ``due --out``, exports, rejects, letters, calendars, backups) is
written to a new temporary file in the target folder, created with ``O_EXCL`` and
``O_NOFOLLOW`` (so nothing planted there is followed or reused), flushed to disk, and
only then renamed over the final name. A failure or an interrupt leaves the old file (if
any) as it was, and the temporary file is removed; one left by a killed run is removed by
the next run that writes into the same folder.

The final name is refused when it is a symbolic link (a link planted in a shared export
folder must not redirect an export onto the database), when it resolves to the open
database or its ``-wal``/``-shm``/``-journal`` files (the store registers them when it
opens the database), when it is another SQLite database such as a backup (unless the
caller replaces one on purpose), and when it is not a regular file.

Files are created readable and writable by their owner only (0600), folders 0700; in
group mode (``init --group``) files are 0660 and folders 2770, owned by the unit's group.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import sys
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import ReviewError

# Real paths the tool must never write over: the open database and its companions (a
# hard link to one of them is found by comparing device and inode when checking).
_PROTECTED: dict[str, tuple[str, str]] = {}
# The unit's group id in group mode (``init --group``), else None.
GROUP: int | None = None

# Companion files of a SQLite database, and the file naming who holds the write lock.
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal", ".writer")

_TEMP_TAG = ".reviewcli-"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_cleaned: set[str] = set()


def protect_database(path: str | os.PathLike) -> None:
    """Register the database this run opened (and its -wal/-shm/-journal files): no output
    may be written over them for the rest of the run."""
    real = os.path.realpath(path)
    for suffix in DATABASE_SUFFIXES:
        _PROTECTED[real + suffix] = (str(path), suffix)


def unprotect_database(path: str | os.PathLike) -> None:
    """The database was closed."""
    real = os.path.realpath(path)
    for suffix in DATABASE_SUFFIXES:
        _PROTECTED.pop(real + suffix, None)


def set_group(gid: int | None) -> None:
    """Group mode: files and folders the tool creates belong to ``gid`` and are
    group-readable and writable."""
    global GROUP
    GROUP = gid


def file_mode() -> int:
    return 0o660 if GROUP is not None else 0o600


def folder_mode() -> int:
    return 0o2770 if GROUP is not None else 0o700


def _protected_name(real: str, st: os.stat_result | None) -> tuple[str, str] | None:
    if real in _PROTECTED:
        return _PROTECTED[real]
    if st is not None and st.st_nlink > 1:  # a hard link: compare with each protected file
        for name, shown in _PROTECTED.items():
            try:
                other = os.stat(name)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return shown
    return None


def check_target(path: str | os.PathLike, *, replace_database: bool = False) -> Path:
    """``path`` as a file reviewcli may (re)write, or ``ReviewError`` saying why not.

    Nothing is created or changed here."""
    path = Path(path)
    shown = str(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise ReviewError(f"cannot use {shown!r}: {e.strerror}") from None
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise ReviewError(
            f"{shown!r} is a symbolic link; reviewcli never writes through one (it could "
            "point at the database or another file). Remove the link or choose another name"
        )
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ReviewError(f"{shown!r} is a folder; give a file name")
    parent = path.parent
    if not parent.is_dir():
        raise ReviewError(f"folder {str(parent)!r} does not exist")
    real = os.path.join(os.path.realpath(parent), path.name)
    protected = _protected_name(real, st)
    if protected is not None:
        database, suffix = protected
        what = f"the database {database!r}" if suffix else "the database itself"
        if suffix:
            what = f"the {suffix.lstrip('.-')} file of {what}"
        raise ReviewError(
            f"{shown!r} is {what}, in use; an output must not replace it. Choose another "
            "file name; nothing was written"
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ReviewError(f"{shown!r} is not a regular file; choose another name")
    if st is not None and not replace_database and _is_sqlite(path):
        raise ReviewError(
            f"{shown!r} is a SQLite database (a backup or another database); reviewcli does "
            "not write other output over one. Choose another file name; nothing was written"
        )
    return path


def _is_sqlite(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        return os.read(fd, len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True


def leftovers(folder: str | os.PathLike) -> list[Path]:
    """Temporary files and staging folders in ``folder`` left by reviewcli runs that
    were killed (their process is gone)."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if not name.startswith(".") or _TEMP_TAG not in name:
            continue
        try:
            pid = int(name.split(_TEMP_TAG, 1)[1].split("-", 1)[0])
        except (ValueError, IndexError):
            continue
        if not _pid_alive(pid):
            found.append(Path(entry.path))
    return found


def remove_leftovers(folder: str | os.PathLike) -> list[Path]:
    """Remove what killed runs left in ``folder`` (once per folder and run); returns what
    was removed."""
    key = os.path.realpath(folder)
    if key in _cleaned:
        return []
    _cleaned.add(key)
    removed = []
    for path in leftovers(folder):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            continue
    return removed


def _temp_name(final_name: str) -> str:
    return f".{final_name[:80]}{_TEMP_TAG}{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _create_temp(final: Path) -> tuple[int, Path]:
    """A new, empty, private file next to ``final``, opened for writing."""
    remove_leftovers(final.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = final.parent / _temp_name(final.name)
        try:
            fd = os.open(tmp, flags, file_mode())
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise describe_os_error(e, tmp, writing=str(final)) from None
    try:
        os.fchmod(fd, file_mode())
        if GROUP is not None:
            os.fchown(fd, -1, GROUP)
    except OSError:
        pass  # a filesystem without owners (FAT): the mode is what it can be
    return fd, tmp


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _install(tmp: Path, final: Path, replace_database: bool) -> None:
    """Rename ``tmp`` over ``final``, checking ``final`` again first (a link may have been
    planted while the file was written). rename(2) replaces a name, never follows it."""
    check_target(final, replace_database=replace_database)
    os.replace(tmp, final)
    _sync_folder(final.parent)


class PrivateFile:
    """A file being written by ``open_private``: a context manager, and file-like.

    Leaving the ``with`` block normally (or ``close()`` when no exception is being
    handled) puts the file in place; an exception discards it."""

    def __init__(
        self, path, mode: str = "w", encoding: str | None = "utf-8", *, replace_database=False
    ):
        if "r" in mode or "a" in mode or "+" in mode:
            raise ValueError("open_private writes new files only (mode 'w' or 'wb')")
        self.path = check_target(path, replace_database=replace_database)
        self.replace_database = replace_database
        fd, self.tmp = _create_temp(self.path)
        binary = "b" in mode
        try:
            self.file = os.fdopen(
                fd,
                "wb" if binary else "w",
                encoding=None if binary else (encoding or "utf-8"),
                newline=None if binary else "",
            )
        except BaseException:
            os.close(fd)
            self.tmp.unlink(missing_ok=True)
            raise
        self.closed = False

    def __getattr__(self, name):
        return getattr(self.file, name)

    def write(self, data):
        return self.file.write(data)

    def __enter__(self):
        return self.file

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def __iter__(self):
        return iter(self.file)

    def close(self) -> None:
        """Put the file in place, unless an exception is being handled (then discard)."""
        if sys.exc_info()[1] is not None:
            self.discard()
        else:
            self.commit()

    def commit(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            _install(self.tmp, self.path, self.replace_database)
        except BaseException as e:
            self._drop()
            if isinstance(e, OSError):
                raise describe_os_error(e, self.path) from None
            raise

    def discard(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._drop()

    def _drop(self) -> None:
        with suppress(OSError):
            self.file.close()
        self.tmp.unlink(missing_ok=True)


def open_private(
    path: str | os.PathLike,
    mode: str = "w",
    encoding: str | None = "utf-8",
    *,
    replace_database: bool = False,
) -> PrivateFile:
    """Write ``path`` whole or not at all, private to its owner (group in group mode).

    Use as ``with open_private(path) as f: f.write(...)`` (binary: mode "wb",
    encoding=None). Refused before anything is written: a symbolic link, the database or
    its companion files, another SQLite database (unless ``replace_database``), a folder,
    a missing folder.
    """
    return PrivateFile(path, mode, encoding, replace_database=replace_database)


@contextmanager
def private_path(path: str | os.PathLike, *, replace_database: bool = False):
    """A new private temporary file next to ``path``, given by name for a writer that
    opens files itself (SQLite's backup): put in place at the end of the block, removed
    if it raises."""
    final = check_target(path, replace_database=replace_database)
    fd, tmp = _create_temp(final)
    os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _install(tmp, final, replace_database)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        raise


def make_folder(path: str | os.PathLike, *, parents: bool = False) -> bool:
    """Create ``path`` as a private folder (group folder in group mode) unless it exists;
    True when it was created. A symbolic link to a folder is accepted (the admin chose
    it), a file is refused."""
    path = Path(path)
    if path.is_dir():
        return False
    if path.exists() or path.is_symlink():
        raise ReviewError(f"{str(path)!r} is a file, not a folder")
    if not path.parent.is_dir():
        if not parents:
            raise ReviewError(f"folder {str(path.parent)!r} does not exist")
        make_folder(path.parent, parents=True)
    try:
        os.mkdir(path, folder_mode())
        os.chmod(path, folder_mode())
        if GROUP is not None:
            os.chown(path, -1, GROUP)
    except FileExistsError:
        return False
    except OSError as e:
        raise describe_os_error(e, path) from None
    return True


@contextmanager
def staging_folder(folder: str | os.PathLike):
    """A private hidden folder inside ``folder`` to write a batch into before moving each
    file into place; removed at the end, and by the next run if this one is killed."""
    folder = Path(folder)
    remove_leftovers(folder)
    staging = folder / f".staging{_TEMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(staging, 0o700)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into_place(src: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Rename a finished file (from a staging folder on the same filesystem) to ``final``,
    refused as ``open_private`` refuses a name."""
    final = Path(final)
    _install(Path(src), final, False)
    return final


# --- what went wrong, in words an admin can act on ------------------------------------------


def filesystem_read_only(path: str | os.PathLike) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except OSError:
        return False


def describe_os_error(
    e: OSError, path: str | os.PathLike, *, writing: str | None = None
) -> ReviewError:
    """A ReviewError naming the real cause of a failed file write."""
    import errno

    shown = writing or str(path)
    folder = os.path.dirname(os.path.abspath(path)) or "."
    code = e.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        what = "the disk is full" if code == errno.ENOSPC else "your disk quota is used up"
        return ReviewError(
            f"cannot write {shown!r}: {what}; nothing was written. Free some space and run "
            "the command again"
        )
    if code == errno.EROFS or filesystem_read_only(folder):
        return ReviewError(
            f"cannot write {shown!r}: the filesystem holding {folder!r} is mounted read-only; "
            "nothing was written"
        )
    if code in (errno.EACCES, errno.EPERM):
        return ReviewError(
            f"cannot write {shown!r}: permission denied on the folder {folder!r} (you may not "
            "create files there); nothing was written"
        )
    if code == errno.ELOOP:
        return ReviewError(f"{shown!r} is a symbolic link; reviewcli never writes through one")
    return ReviewError(f"cannot write {shown!r}: {e.strerror or e}; nothing was written")


# --- files the tool reads -------------------------------------------------------------------

# The largest file an import reads (REVIEWCLI_MAX_IMPORT_MB overrides): a national SSDA903
# return or list of children is tens of megabytes; a larger file is a mistake (the wrong
# file), and would take gigabytes of memory to parse.
MAX_IMPORT_MB = 100


def check_input_size(path: str | os.PathLike, name: str | None = None) -> None:
    """Refuse an import file larger than the limit, before reading any of it."""
    raw = os.environ.get("REVIEWCLI_MAX_IMPORT_MB")
    try:
        limit = float(raw) if raw else MAX_IMPORT_MB
    except ValueError:
        raise ReviewError(f"REVIEWCLI_MAX_IMPORT_MB={raw!r} is not a number") from None
    try:
        size = os.stat(path).st_size
    except OSError:
        return  # the reader says what is wrong (not found, a folder …)
    if size > limit * 1_000_000:
        raise ReviewError(
            f"{name or Path(path).name} is {size / 1_000_000:,.1f} MB; an import reads files "
            f"of up to {limit:g} MB. Check it is the right file, or split it (or set "
            "REVIEWCLI_MAX_IMPORT_MB)"
        )
