"""Batches of letters marked sent: never a letter on disk that is not marked sent, never a
letter marked sent that is lost.

``letters due --mark-sent`` (and ``letters invite --mark-sent``) write every letter into a
private batch folder inside the output folder (``.letters-batch-PID-TOKEN``), then, in
one transaction, mark the letters sent and record the batch: the output folder, the batch
folder's name and the file names. Only after that commit are the files moved into place,
and the batch recorded finished.

A run killed at any point leaves one of three states, each put right (and said) by the
next run of ``letters due`` or ``letters invite`` (``recover``):

- before the commit: nothing is marked sent and no letter is in place; the unrecorded
  batch folder is removed, and the letters are written again;
- after the commit, with some files not yet moved: the rest are moved into place, and the
  batch recorded finished;
- after the last move, before the batch is recorded finished: it is recorded finished.

A batch whose folder was removed by hand is reported with the letters that never reached
the output folder, so they can be written again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from . import files
from .store import Store

BATCH_PREFIX = ".letters-batch-"

# Batch folders whose batch this process has committed: kept if the move fails.
_committed: set[str] = set()


def _pid_of(name: str) -> int | None:
    try:
        return int(name[len(BATCH_PREFIX) :].split("-", 1)[0])
    except ValueError:
        return None


def _ours_or_dead(pid: int | None) -> bool:
    """A batch folder of this process, or of one that is gone (not a run in progress)."""
    return pid is None or pid == os.getpid() or not files._pid_alive(pid)


@contextmanager
def batch_folder(folder: str | os.PathLike) -> Iterator[Path]:
    """A private batch folder inside ``folder``: removed if the run fails before its batch
    is committed (``committed``), kept for ``recover`` if it fails after."""
    folder = Path(folder)
    files.remove_leftovers(folder)
    path = folder / f"{BATCH_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    os.mkdir(path, 0o700)
    try:
        yield path
    except BaseException:
        if str(path) not in _committed:
            shutil.rmtree(path, ignore_errors=True)
        raise
    # Every file moved into place: the folder is empty.
    with suppress(OSError):
        os.rmdir(path)


def record(
    store: Store, staging: Path, names: list[str], review_ids: list[int], sent_on: str
) -> int:
    """Record the batch (inside the caller's transaction, the one marking its letters
    sent); returns its id."""
    from .migrations import now_iso

    row = {
        "folder": str(Path(os.path.abspath(staging.parent))),
        "staging": staging.name,
        "files": json.dumps(names),
        "reviews": json.dumps(review_ids),
        "sent_on": sent_on,
        "pid": os.getpid(),
        "created_at": now_iso(),
        "finished_at": None,
        "missing": None,
    }
    return store.db["letter_batches"].insert(row).last_pk


def committed(staging: Path) -> None:
    """Note that ``staging``'s batch is committed: a failure from here on keeps it."""
    _committed.add(str(staging))


def finish(store: Store, batch_id: int, missing: list[str] | None = None) -> None:
    from .migrations import now_iso

    with store.write():
        store.conn.execute(
            "UPDATE letter_batches SET finished_at = ?, missing = ? WHERE id = ?",
            [now_iso(), json.dumps(missing) if missing else None, batch_id],
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def recover(store: Store, out_dir: str | os.PathLike | None = None) -> list[str]:
    """Finish every batch an interrupted run left, and remove the batch folders in
    ``out_dir`` of runs stopped before they marked anything sent. Returns what was done,
    one sentence each, for the admin."""
    said: list[str] = []
    pending = store.rows("SELECT * FROM letter_batches WHERE finished_at IS NULL ORDER BY id")
    for batch in pending:
        if not _ours_or_dead(batch["pid"]):
            continue  # a run in progress
        folder = Path(batch["folder"])
        staging = folder / batch["staging"]
        moved, missing = [], []
        for name in json.loads(batch["files"]):
            src = staging / name
            if src.is_file() and not src.is_symlink():
                files.move_into_place(src, folder / name)
                moved.append(name)
            elif not (folder / name).exists():
                missing.append(name)
        if staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging, ignore_errors=True)
        finish(store, batch["id"], missing)
        reviews = ", ".join(str(r) for r in json.loads(batch["reviews"]))
        what = (
            f"letters batch {batch['id']} (marked sent on {batch['sent_on']} for review"
            f"{'' if ',' not in reviews else 's'} {reviews}) was interrupted"
        )
        if missing:
            said.append(
                f"{what} and its folder {str(staging)!r} is gone: "
                f"{_plural(len(missing), 'letter')} never reached {str(folder)!r} "
                f"({', '.join(missing)}); write them again with "
                "'reviewcli letters invite REVIEW_ID --out DIR'"
            )
        elif moved:
            said.append(
                f"{what}: moved its last {_plural(len(moved), 'file')} into {str(folder)!r}"
            )
        else:
            said.append(f"{what} after every file was in place in {str(folder)!r}: recorded")
    if out_dir is not None:
        said += _remove_unrecorded(store, Path(out_dir))
    return said


def _remove_unrecorded(store: Store, folder: Path) -> list[str]:
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(BATCH_PREFIX)]
    except OSError:
        return []
    said = []
    for entry in entries:
        if entry.is_symlink() or not entry.is_dir():
            continue
        if not _ours_or_dead(_pid_of(entry.name)):
            continue  # a run in progress
        known = store.row(
            "SELECT finished_at FROM letter_batches WHERE staging = ? AND folder = ?",
            [entry.name, str(Path(os.path.abspath(folder)))],
        )
        if known and known["finished_at"] is None:
            continue  # recorded, not finished: recover's
        shutil.rmtree(entry.path, ignore_errors=True)
        if not known:
            said.append(
                f"removed {entry.path!r}, left by a run stopped before it marked its letters "
                "sent (nothing was marked sent; due letters are written again)"
            )
    return said
