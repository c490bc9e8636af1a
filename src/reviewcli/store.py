"""The SQLite store: opening, migrating, transactions, and the materialised schedule.

Reads go through the plain ``sqlite3`` connection (fast to import, which keeps the
daily ``due`` list instant); writes and schema changes go through ``sqlite_utils``.
Every derived date (the next review of each period, the booked review's deadline, the
open steps' dates, the stored work list) is computed and written by ``derived``: within
an operation through ``refresh_period``, for every child a transaction touched before it
commits, and for everyone when the database's stamp of what they were computed from
(rules, policy, calendar) differs from now, on opening it.
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

from . import derived, migrations, policy, rules
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

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        create: bool = False,
        command: str = "",
        progress: Callable[[str], object] | None = None,
    ):
        """``progress(description)`` gives a context manager yielding a callable
        ``(done, total)``, for a recomputation of the derived data on opening."""
        from . import dbfile, files, sharing

        self.path = Path(path)
        self.command = command or "reviewcli"
        # Only the fictional demo turns the audit trail off (it records one summary row).
        self.audit_off = False
        self.warnings: list[str] = []
        # Called with a message when the write lock is held by someone else (the CLI
        # prints it, so a waiting admin sees who holds it).
        self.on_wait: Callable[[str], None] | None = None
        # What opening the database did that its user should know (one line each).
        self.notices: list[str] = []
        if not self.path.exists():
            if not create:
                raise ReviewError(
                    f"database {str(self.path)!r} not found; run 'reviewcli init' to create "
                    "it, or point --db / REVIEWCLI_DB at the existing one"
                )
            sharing.refuse_network_filesystem(self.path)
            try:
                _create_private(self.path)
            except FileExistsError:
                pass  # another admin's init created it a moment ago: open theirs
            except OSError as e:
                raise files.describe_os_error(e, self.path) from None
        elif self.path.is_dir():
            raise ReviewError(f"{str(self.path)!r} is a folder, not a database file")
        else:
            sharing.refuse_network_filesystem(self.path)
            dbfile.check_header(self.path)
        files.protect_database(self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.DatabaseError as e:
            raise dbfile.describe(e, self.path) from None
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
            # Nothing is written before the file is known to be ours and not newer.
            self.kind = dbfile.classify(self.conn, self.path, init=create)
            self.conn.execute("PRAGMA foreign_keys = ON")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # Large sorts (the national work list: 153,500 items) are merged by two helper
            # threads of SQLite's sorter: about 10 % off a whole `due --format json`.
            self.conn.execute("PRAGMA threads = 2")
        except (sqlite3.DatabaseError, ReviewError) as e:
            self.conn.close()
            if isinstance(e, ReviewError):
                raise
            raise dbfile.describe(e, self.path) from None
        if mode.lower() != "wal":
            self.warnings.append(f"database is in {mode} mode, not WAL")
        derived.refuse_newer(self.conn, self.path)
        self._check_migrations()
        files.protect_database(self.path)  # its -wal and -shm files exist now
        self._apply_group()
        self._check_derived(progress)

    def _apply_group(self) -> None:
        """Group mode (policy 'group', set by ``init --group``): files the tool creates
        belong to the unit's group; otherwise a database others can read is warned about."""
        from . import files, sharing

        name = str(self.policy_values.get("group") or "") if self._has_policy else ""
        gid = None
        if name:
            try:
                gid = sharing.group_id(name)
            except ReviewError as e:
                self.warnings.append(str(e))
        files.set_group(gid)
        mode = self.path.stat().st_mode
        if gid is not None and self.path.stat().st_gid == gid and not mode & stat.S_IRWXO:
            return
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            self.warnings.append(
                f"database {str(self.path)!r} can be read by other users "
                f"(mode {stat.filemode(mode)}); run: chmod 600 {self.path}"
            )

    @cached_property
    def _has_policy(self) -> bool:
        return bool(
            self.value("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'policy'")
        )

    def _check_derived(self, progress) -> None:
        """Recompute the derived data if what it was computed from has changed."""
        if not self._has_context:
            return
        try:
            why = derived.ensure_current(self, progress)
        except sqlite3.DatabaseError as e:
            raise ReviewError(
                f"could not recompute the deadlines of {str(self.path)!r}: {e}"
            ) from None
        if why:
            self.notices.append(f"deadlines recomputed: {why}")

    def _check_migrations(self) -> None:
        try:
            names = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        except sqlite3.OperationalError:
            names = set()
        if any(name not in names for name, _ in migrations.MIGRATIONS):
            try:
                self.applied_migrations = migrations.migrate(self.db)
            except sqlite3.DatabaseError as e:
                from . import dbfile

                raise dbfile.describe(
                    e, self.path, f"could not upgrade {str(self.path)!r}"
                ) from None
            if set(self.applied_migrations) & migrations.REFRESH_AFTER:
                derived.forget_stamp(self.conn)
        else:
            self.applied_migrations = []

    def close(self) -> None:
        # The database stays registered with ``files`` after it is closed: other admins
        # may still have it (and its -wal/-shm files) open while this command writes.
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
        on the busy timeout instead of failing half-way. The audit rows the transaction
        added are sealed into the hash chain just before it commits. A failed commit
        (a full disk) rolls back and raises; nothing is reported as done.
        """
        from . import dbfile

        if self.conn.in_transaction:
            yield self
            return
        self._begin()
        try:
            self._set_context()
            yield self
            if self._has_context:
                derived.flush(self)
            self._seal_audit()
            self.conn.execute("DELETE FROM _context")
        except BaseException:
            if self.conn.in_transaction:  # SQLite may have rolled back already (disk full)
                self.conn.execute("ROLLBACK")
            dbfile.clear_holder(self.path)
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as e:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise dbfile.describe(e, self.path) from None
        finally:
            dbfile.clear_holder(self.path)

    def _begin(self) -> None:
        """Take the write lock; if another admin holds it, say who and since when, then
        wait for the rest of the busy timeout."""
        from . import dbfile

        timeout = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        first = min(timeout, 1000)
        self.conn.execute(f"PRAGMA busy_timeout = {first}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise dbfile.describe(e, self.path) from None
            holder = dbfile.describe_holder(self.path)
            if self.on_wait and timeout > first:
                self.on_wait(f"waiting for the database: {holder or 'another admin is writing'}")
            self.conn.execute(f"PRAGMA busy_timeout = {max(timeout - first, 0)}")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise dbfile.describe(e, self.path) from None
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {timeout}")
        dbfile.record_holder(self.path, os_user(), self.command)

    def _seal_audit(self) -> None:
        from . import auditchain

        if self._has_chain:
            auditchain.seal(self.conn)

    @cached_property
    def _has_chain(self) -> bool:
        from . import auditchain

        return auditchain.has_chain(self.conn)

    def _set_context(self) -> None:
        """Who and which command: read by the audit triggers within this transaction."""
        if not self._has_context:
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO _context (key, value) VALUES ('user', ?), ('command', ?), "
            "('audit', ?)",
            [audit_user(self), self.command, "off" if self.audit_off else "on"],
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
        return policy.load(self.conn)

    @cached_property
    def calendar(self):
        return policy.calendar(self.policy_values)

    @cached_property
    def schedule_policy(self):
        return policy.schedule_policy(self.policy_values)

    def forget_policy(self) -> None:
        for name in ("policy_values", "calendar", "schedule_policy"):
            self.__dict__.pop(name, None)

    # --- the materialised schedule ------------------------------------------------------

    def period_input(self, period_id: int):
        """The rules' view of one period of care."""
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
        earlier: tuple = ()
        ended: tuple = ()
        if episodes and rules.short_break_start(episodes):
            earlier, ended = derived.short_break_history(self.conn, p["child_id"], p["start_date"])
        consent = p.get("adoption_consent")
        return rules.Period(
            start=date.fromisoformat(p.get("care_started") or p["start_date"]),
            end=date.fromisoformat(p["end_date"]) if p["end_date"] else None,
            episodes=episodes,
            reviews=held,
            directions=directions,
            adjourned_on=date.fromisoformat(adjourned) if adjourned else None,
            consent_on=date.fromisoformat(consent) if consent else None,
            earlier=earlier,
            breaks_ended=ended,
            earlier_reviews=derived.earlier_reviews(p.get("earlier_reviews"), episodes),
        )

    def refresh_period(self, period_id: int) -> None:
        """Recompute and store the derived dates of the child of one period (its next review,
        the booked review's deadline, the open steps' dates and its work items) now, so the
        operation reads them before it commits."""
        child = self.value("SELECT child_id FROM periods WHERE id = ?", [period_id])
        if child is not None:
            derived.derive(self.conn, [child], self.policy_values, self.calendar)

    def refresh_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Recompute every derived row (after a policy change, or by ``check --repair``)."""
        with self.write():
            return derived.recompute_all(self, progress)


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


def busy_timeout_ms() -> int:
    """How long a write waits for another admin's (REVIEWCLI_BUSY_TIMEOUT seconds, default
    30)."""
    raw = os.environ.get("REVIEWCLI_BUSY_TIMEOUT")
    if not raw:
        return 30000
    try:
        seconds = float(raw)
    except ValueError:
        raise ReviewError(f"REVIEWCLI_BUSY_TIMEOUT={raw!r} is not a number of seconds") from None
    if not 0 <= seconds <= 3600:
        raise ReviewError("REVIEWCLI_BUSY_TIMEOUT must be from 0 to 3600 seconds")
    return int(seconds * 1000)


def open_store(
    path: str | os.PathLike | None = None,
    *,
    create: bool = False,
    command: str = "",
    progress: Callable[[str], object] | None = None,
) -> Store:
    return Store(resolve_path(path), create=create, command=command, progress=progress)


def os_user() -> str:
    """The operating-system account running this process, for the audit trail: from the
    effective user id, never from an environment variable anyone can set."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):  # no passwd entry (some containers)
        return f"uid {os.geteuid()}" if hasattr(os, "geteuid") else "unknown"


PERSON_VARIABLE = "REVIEWCLI_PERSON"


def audit_user(store: Store | None = None) -> str:
    """The account, and the named person of this session when given (``REVIEWCLI_PERSON``):
    'alice (Alice Smith)'. With the policy 'require-person' on, a write without a named
    person is refused."""
    account = os_user()
    person = " ".join((os.environ.get(PERSON_VARIABLE) or "").split())
    if person:
        from .typed import _text

        person = _text(person, f"{PERSON_VARIABLE}", limit=100)
        return f"{account} ({person})"
    if store is not None and store._has_policy and store.policy_values.get("require-person"):
        raise ReviewError(
            f"the policy requires a named person for each session: set {PERSON_VARIABLE} to "
            f"your name (e.g. export {PERSON_VARIABLE}='Alice Smith') and run it again"
        )
    return account
