"""The SQLite store: opening, migrating, transactions, and the materialised schedule.

Reads go through the plain ``sqlite3`` connection (fast to import, which keeps the
daily ``due`` list instant); writes and schema changes go through ``sqlite_utils``.
The next review deadline of every open period is computed by ``rules`` and stored on
the period row whenever anything about that child changes, so the work list is one
indexed query however long the history grows.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path

from . import migrations
from .errors import ReviewError

DEFAULT_DB = "reviews.db"


def resolve_path(path: str | os.PathLike | None) -> Path:
    """--db, else $REVIEWCLI_DB, else reviews.db in the current directory."""
    return Path(path or os.environ.get("REVIEWCLI_DB") or DEFAULT_DB)


def _create_private(path: Path) -> None:
    """Create an empty file readable and writable by its owner only."""
    if path.parent and not path.parent.exists():
        raise ReviewError(f"folder {str(path.parent)!r} does not exist")
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


class Store:
    """One open database. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike, *, create: bool = False, command: str = ""):
        self.path = Path(path)
        self.command = command or "reviewcli"
        # Only the fictional demo turns the audit trail off (it records one summary row).
        self.audit_off = False
        self.warnings: list[str] = []
        if not self.path.exists():
            if not create:
                raise ReviewError(
                    f"database {str(self.path)!r} not found; run 'reviewcli init' to create "
                    "it, or point --db / REVIEWCLI_DB at the existing one"
                )
            _create_private(self.path)
        elif self.path.is_dir():
            raise ReviewError(f"{str(self.path)!r} is a folder, not a database file")
        else:
            mode = self.path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                self.warnings.append(
                    f"database {str(self.path)!r} can be read by other users "
                    f"(mode {stat.filemode(mode)}); run: chmod 600 {self.path}"
                )
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout = 30000")
            self.conn.execute("PRAGMA foreign_keys = ON")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # Large sorts (the national work list: 153,500 items) are merged by two helper
            # threads of SQLite's sorter: about 10 % off a whole `due --format json`.
            self.conn.execute("PRAGMA threads = 2")
        except sqlite3.DatabaseError as e:
            raise ReviewError(f"{str(self.path)!r} is not a reviewcli database ({e})") from None
        if mode.lower() != "wal":
            self.warnings.append(f"database is in {mode} mode, not WAL")
        self._check_migrations()

    def _check_migrations(self) -> None:
        try:
            names = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        except sqlite3.OperationalError:
            names = set()
        if any(name not in names for name, _ in migrations.MIGRATIONS):
            try:
                self.applied_migrations = migrations.migrate(self.db)
            except sqlite3.DatabaseError as e:
                raise ReviewError(f"could not upgrade {str(self.path)!r}: {e}") from None
            if set(self.applied_migrations) & migrations.REFRESH_AFTER:
                self.refresh_all()
        else:
            self.applied_migrations = []

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @cached_property
    def db(self):
        """The same connection through sqlite-utils, for writes."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Store]:
        """One write transaction: all of it lands, or none of it.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so concurrent writers queue
        on the busy timeout instead of failing half-way.
        """
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self._set_context()
            yield self
            self.conn.execute("DELETE FROM _context")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def _set_context(self) -> None:
        """Who and which command: read by the audit triggers within this transaction."""
        if not self._has_context:
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO _context (key, value) VALUES ('user', ?), ('command', ?), "
            "('audit', ?)",
            [os_user(), self.command, "off" if self.audit_off else "on"],
        )

    @cached_property
    def _has_context(self) -> bool:
        return bool(
            self.value("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_context'")
        )

    # --- reads --------------------------------------------------------------------------

    def rows(self, sql: str, params=()) -> list[dict]:
        return list(self.dicts(sql, params))

    def dicts(self, sql: str, params=()) -> Iterator[dict]:
        """The rows of ``sql`` as dicts, one at a time from the cursor. Plain tuples zipped
        with the column names: dict(sqlite3.Row) takes twice as long, which tells in the
        monthly report's and the listings' tens of thousands of rows."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        for r in cursor:
            yield dict(zip(names, r, strict=True))

    def row(self, sql: str, params=()) -> dict | None:
        r = self.conn.execute(sql, params).fetchone()
        return dict(r) if r is not None else None

    def value(self, sql: str, params=()):
        r = self.conn.execute(sql, params).fetchone()
        return r[0] if r is not None else None

    # --- policy and calendar ------------------------------------------------------------

    @cached_property
    def policy_values(self) -> dict[str, object]:
        from . import policy

        return policy.load(self.conn)

    @cached_property
    def calendar(self):
        from . import policy

        return policy.calendar(self.policy_values)

    @cached_property
    def schedule_policy(self):
        from . import policy

        return policy.schedule_policy(self.policy_values)

    def forget_policy(self) -> None:
        for name in ("policy_values", "calendar", "schedule_policy"):
            self.__dict__.pop(name, None)

    # --- the materialised schedule ------------------------------------------------------

    def period_input(self, period_id: int):
        """The rules' view of one period of care."""
        from . import rules

        p = self.row("SELECT * FROM periods WHERE id = ?", [period_id])
        episodes = tuple(
            rules.Episode(
                start=date.fromisoformat(e["start_date"]),
                legal_status=e["legal_status"],
                placement=e["placement"],
                rne=e["rne"],
                reason_place_change=e["reason_place_change"],
                local_reason=e["local_reason"],
            )
            for e in self.conn.execute(
                "SELECT * FROM episodes WHERE period_id = ? ORDER BY start_date, id", [period_id]
            )
        )
        held = tuple(
            rules.HeldReview(date.fromisoformat(r["recording_date"]), bool(r["meeting"]))
            for r in self.conn.execute(
                "SELECT recording_date, meeting FROM reviews "
                "WHERE period_id = ? AND status = 'held' ORDER BY recording_date",
                [period_id],
            )
        )
        directions = tuple(
            rules.Direction(
                date.fromisoformat(d["made_on"]),
                date.fromisoformat(d["by_date"]),
                d["reason"],
                d["reviews_before"],
            )
            for d in self.conn.execute(
                "SELECT * FROM directions WHERE period_id = ? ORDER BY made_on", [period_id]
            )
        )
        adjourned = self.value(
            "SELECT original_date FROM reviews WHERE period_id = ? AND status = 'adjourned'",
            [period_id],
        )
        return rules.Period(
            start=date.fromisoformat(p.get("care_started") or p["start_date"]),
            end=date.fromisoformat(p["end_date"]) if p["end_date"] else None,
            episodes=episodes,
            reviews=held,
            directions=directions,
            adjourned_on=date.fromisoformat(adjourned) if adjourned else None,
            earlier_reviews=earlier_reviews(p, episodes),
        )

    def next_review(self, period_id: int):
        from . import rules

        return rules.next_review(self.period_input(period_id), self.calendar, self.schedule_policy)

    def refresh_period(self, period_id: int) -> None:
        """Recompute and store the next deadline of one period (and its pending review)."""
        from . import rules

        period = self.row(
            "SELECT p.*, c.dob FROM periods p JOIN children c ON c.id = p.child_id WHERE p.id = ?",
            [period_id],
        )
        nxt = None if period["end_date"] else self.next_review(period_id)
        pending = self.row(
            "SELECT id, booked_date, status FROM reviews "
            "WHERE period_id = ? AND status IN ('booked', 'adjourned')",
            [period_id],
        )
        first_booked = None
        if pending and not self.value(
            "SELECT 1 FROM reviews WHERE period_id = ? AND status = 'held'", [period_id]
        ):
            first_booked = date.fromisoformat(pending["booked_date"])
        start = date.fromisoformat(period["start_date"])
        dob = date.fromisoformat(period["dob"])
        values = rules.period_schedule(nxt, start, dob, self.calendar, first_booked)
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(f"UPDATE periods SET {sets} WHERE id = ?", [*values.values(), period_id])
        if pending and nxt and pending["status"] == "booked":
            self.conn.execute(
                "UPDATE reviews SET number = ?, deadline = ?, rule = ?, earliest = ? WHERE id = ?",
                [nxt.number, values["next_due"], nxt.rule, values["next_earliest"], pending["id"]],
            )
        # An adjourned review keeps its statutory deadline: the reconvene limit (R-SCH-14)
        # lives on the period only, and the recording date stays the original one.

    def refresh_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Recompute every open period (after a policy change or an upgrade)."""
        from . import workitems

        ids = [r[0] for r in self.conn.execute("SELECT id FROM periods WHERE end_date IS NULL")]
        with self.write(), workitems.deferred(self.conn):
            for i, period_id in enumerate(ids, 1):
                self.refresh_period(period_id)
                if progress:
                    progress(i, len(ids))
        return len(ids)


class Listing:
    """The rows of a listing, read from the cursor and shaped one at a time as they are
    iterated, and counted in SQL.

    A terminal table draws the first rows and says how many there are in all, so it
    builds a screenful of dicts and one ``COUNT(*)`` (600,000 reviews need not all be
    made into dicts to show 200); JSON and CSV stream the rows in batches.
    ``columns``, ``source`` ("FROM ... WHERE ...") and ``tail`` ("GROUP BY ... ORDER BY
    ...") make the query; ``count`` replaces ``SELECT COUNT(*) source`` where that would
    not count the rows (a GROUP BY).
    """

    def __init__(
        self,
        store: Store,
        columns: str,
        source: str,
        params=(),
        *,
        tail: str = "",
        shape: Callable[[dict], dict] | None = None,
        count: str | None = None,
    ):
        self.store, self.columns, self.source, self.params = store, columns, source, list(params)
        self.tail, self.shape, self.count = tail, shape, count

    def __iter__(self) -> Iterator[dict]:
        shape = self.shape
        for row in self.store.dicts(
            f"SELECT {self.columns} {self.source} {self.tail}", self.params
        ):
            yield shape(row) if shape else row

    def total(self) -> int:
        """How many rows there are in all. Called while a cursor of this listing is still
        open, it reads the same snapshot of the database as that cursor."""
        if self.count is not None:
            return self.store.value(self.count, self.params)
        return self.store.value(f"SELECT COUNT(*) {self.source}", self.params)

    def map(self, fn: Callable[[dict], dict]) -> Listing:
        """The same listing with ``fn`` applied to each row after its own shaping."""
        shape = self.shape
        return Listing(
            self.store,
            self.columns,
            self.source,
            self.params,
            tail=self.tail,
            shape=(lambda row: fn(shape(row))) if shape else fn,
            count=self.count,
        )


def open_store(
    path: str | os.PathLike | None = None, *, create: bool = False, command: str = ""
) -> Store:
    return Store(resolve_path(path), create=create, command=command)


def os_user() -> str:
    """The operating-system user, for the audit trail."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def earlier_reviews(period: dict, episodes) -> int | None:
    """How many reviews were held before the period's earliest record: as the admin
    recorded it, else 0 for a period that starts with its first episode (RNE S), None for a
    *continuing* one (care began before the earliest return held)."""
    if period.get("earlier_reviews") is not None:
        return int(period["earlier_reviews"])
    first = episodes[0].rne if episodes else "S"
    return 0 if first in (None, "S") else None
