"""Derived data: every date the tool works out from the facts, and the one writer of it.

What happened is fact (children, episodes, reviews booked and held, directions, steps
done, policy settings). Every date the tool shows is derived from the facts, the rules
(``rules``, ``steps``), the policy settings and the working calendar (bank holidays of the
installed ``holidays`` release plus closure days). The derived rows are stored so the
daily list is one indexed read, and this module alone writes them:

- each period's next review and its other deadlines (``periods.next_*``,
  ``allocation_due``, ``pathway_due``);
- the booked review's deadline, number, rule and earliest date;
- the due date and rule of every *open* step around a review (a done step keeps the date
  it was judged against, and a held review the deadline it was recorded against: those
  are facts);
- the work list's stored items (``workitems``).

``derive`` recomputes them for some children (or all) in one pass and writes only the rows
that differ. Writes reach it two ways: ``Store.refresh_period`` within an operation (which
reads the new dates before it commits), and triggers that only mark which children a write
touched (``_dirty``); ``Store.write`` derives those before it commits, and opening a
database derives any marked by a hand edit.

The derived rows carry a stamp of what they were computed from: a hash of the rules'
definitions and wording, of the policy settings they read, and of the calendar. Opening a
database whose stamp differs recomputes everything in one transaction (``ensure_current``)
and says why; a database stamped by a newer release is refused, never rewritten.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path

from . import calendar, policy, rules, steps, wording, workitems
from .codes import SHORT_BREAK_STATUSES
from .errors import ReviewError

# The format of the stamp and of the derived rows. A database stamped with a higher
# number was written by a newer release: it is refused, never rewritten.
VERSION = 1

# The settings the derived rows read (policy.SETTINGS marks them affects_schedule).
_STAMP_KEY = "stamp"
# Bank holidays are hashed for these years around the data (see _years).
_YEARS_AHEAD = 5

PRE = ("consultation", "invitations", "reports", "sw-conversation", "iro-visit")


def _q(conn, sql: str, params=()):
    """A cursor of plain tuples, whatever the connection's row factory."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params)


# --- the stamp -----------------------------------------------------------------------------


def _canon(value, depth: int = 0):
    """A value's description that is the same in every process (sets sorted)."""
    if depth > 6:
        return repr(type(value).__name__)
    if isinstance(value, str | int | float | bool | type(None) | date):
        return repr(value)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                sorted(f"{_canon(k, depth + 1)}:{_canon(v, depth + 1)}" for k, v in value.items())
            )
            + "}"
        )
    if isinstance(value, set | frozenset):
        return "{" + ",".join(sorted(_canon(v, depth + 1) for v in value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canon(v, depth + 1) for v in value) + "]"
    if is_dataclass(value) and not isinstance(value, type):
        inner = ",".join(
            f"{f.name}={_canon(getattr(value, f.name), depth + 1)}" for f in fields(value)
        )
        return f"{type(value).__name__}({inner})"
    # Functions, classes, modules: their source is hashed instead.
    return None if depth == 0 else type(value).__name__


# The modules whose definitions, wording and code make the derived rows.
_DEFINING = (rules, steps, wording, calendar, workitems)


def _hash(data: bytes) -> str:
    """A 64-bit checksum of ``data`` (CRC-32 and Adler-32: zlib is part of every Python
    and loads at once, where hashlib's OpenSSL would add to every command's start-up)."""
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def rules_hash() -> str:
    """A hash of the rules' definitions and wording: the source of the modules that derive
    the dates and items, and the values of their constants as loaded (rule ids, steps and
    their wording, parameters)."""
    parts = []
    for module in (*_DEFINING, sys.modules[__name__]):
        parts.append(Path(module.__file__).read_bytes())
        for name, value in sorted(vars(module).items()):
            if name.startswith("__"):
                continue
            text = _canon(value)
            if text is not None:
                parts.append(f"{module.__name__}.{name}={text}\n".encode())
    return _hash(b"".join(parts))


def _policy_part(values: dict) -> dict:
    return {k: values[k] for k, s in policy.SETTINGS.items() if s.affects_schedule}


def stamp(values: dict, years: tuple[int, int]) -> dict:
    """What the derived rows are computed from, now."""
    lo, hi = years
    days = []
    for year in range(lo, hi + 1):
        days.extend(d.isoformat() for d in sorted(calendar.bank_holidays(year)))
    settings = _policy_part(values)
    return {
        "version": VERSION,
        "rules": rules_hash(),
        "policy": _hash(json.dumps(settings, sort_keys=True).encode()),
        "holidays": calendar.holidays_release() or "unknown",
        "bank_holidays": _hash(" ".join(days).encode()),
        "years": [lo, hi],
    }


def _years(conn) -> tuple[int, int]:
    """The years whose bank holidays the open derived dates read: from the earliest open
    period to a few years past the latest deadline."""
    lo, hi = _q(
        conn, "SELECT MIN(start_date), MAX(next_due) FROM periods WHERE end_date IS NULL"
    ).fetchone()
    lo = int(lo[:4]) if lo else 2000
    hi = int(hi[:4]) if hi else lo
    return lo, max(hi, lo) + _YEARS_AHEAD


def stored_stamp(conn) -> dict | None:
    try:
        row = _q(conn, "SELECT value FROM _derived WHERE key = ?", [_STAMP_KEY]).fetchone()
    except Exception:  # no table yet (before m008)
        return None
    return json.loads(row[0]) if row else None


def _write_stamp(conn, value: dict) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO _derived (key, value) VALUES (?, ?)",
        [_STAMP_KEY, json.dumps(value, sort_keys=True)],
    )


def why(old: dict | None, new: dict) -> str | None:
    """Why the derived rows must be recomputed (None if they are current)."""
    if old is None:
        return "first computation by this release"
    reasons = []
    if old.get("rules") != new["rules"] or old.get("version") != new["version"]:
        reasons.append("the rules changed (a new release of reviewcli)")
    if old.get("policy") != new["policy"]:
        reasons.append("the policy settings changed")
    if old.get("holidays") != new["holidays"]:
        reasons.append(
            f"bank holidays changed (holidays {old.get('holidays')} → {new['holidays']})"
        )
    elif old.get("bank_holidays") != new["bank_holidays"]:
        reasons.append("bank holidays changed")
    return "; ".join(reasons) or None


def refuse_newer(conn, path) -> None:
    old = stored_stamp(conn)
    if old and int(old.get("version", 0)) > VERSION:
        raise ReviewError(
            f"database {str(path)!r} was written by a newer release of reviewcli (derived data "
            f"format {old['version']}, this release knows {VERSION}); upgrade reviewcli to use it"
        )


def ensure_current(store, progress: Callable | None = None) -> str | None:
    """Recompute every derived row if the stamp differs from what they would be computed
    from now, or derive the children a hand edit marked; returns why it recomputed (None if
    nothing was stale). All of it in one transaction: an interrupted run leaves the database
    as it was. ``progress(description)``, called only when there is something to do, gives
    a context manager yielding a callable ``(done, total)``."""
    conn = store.conn
    refuse_newer(conn, store.path)
    old = stored_stamp(conn)
    new = stamp(store.policy_values, tuple(old["years"]) if old else _years(conn))
    reason = why(old, new)
    if reason is None:
        if _q(conn, "SELECT 1 FROM _dirty LIMIT 1").fetchone():
            with store.write():
                pass  # Store.write derives the marked children before it commits
        return None
    with store.write():
        old = stored_stamp(conn)  # another process may have done it while we waited
        reason = why(old, stamp(store.policy_values, tuple(old["years"]) if old else _years(conn)))
        if reason is None:
            return None
        with progress("Recomputing deadlines") if progress else nullcontext() as bar:
            changes = _recompute(conn, store.policy_values, store.calendar, bar)
        changed = sum(v for k, v in changes.items() if k != "open periods")
        if old is None and not changed:
            return None  # a new database: nothing to say
        after = stored_stamp(conn)
        conn.execute(
            "INSERT INTO audit (at, user, command, table_name, row_key, child_id, action, "
            "before, after) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
            "(SELECT value FROM _context WHERE key = 'user'), "
            "(SELECT value FROM _context WHERE key = 'command'), '_derived', 'stamp', NULL, "
            "'update', ?, ?)",
            [
                json.dumps(old, sort_keys=True) if old else None,
                json.dumps({**after, "why": reason, "changed": changes}, sort_keys=True),
            ],
        )
    return reason


def recompute_all(store, progress: Callable | None = None) -> int:
    """Every derived row again, and the stamp (within the caller's write transaction).
    Returns the number of open periods of care."""
    return _recompute(store.conn, store.policy_values, store.calendar, progress)["open periods"]


def _recompute(conn, values: dict, cal, progress: Callable | None = None) -> dict[str, int]:
    changes = derive(conn, None, values, cal, progress=progress)
    _write_stamp(conn, stamp(values, _years(conn)))
    conn.execute("DELETE FROM _dirty")
    return changes


def plan_recompute(conn, values: dict, cal, progress: Callable | None = None):
    """The writes of a recomputation of everyone's dates under ``values`` (all but the
    work list and the stamp), worked out without writing: read in one snapshot outside the
    write lock, then applied by ``apply_recompute`` in the write transaction. Returns the
    writes (statements with their rows, in order) and the changes counted by kind."""
    ids = [r[0] for r in _q(conn, "SELECT id FROM children ORDER BY id")]
    writes: list[tuple[str, list]] = []
    recorder = _Recorder(conn, writes)
    changes: dict[str, int] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for kind, n in _derive_dates(recorder, chunk, values, cal).items():
            changes[kind] = changes.get(kind, 0) + n
        if progress:
            progress(min(i + _CHUNK, len(ids)), len(ids))
    return writes, changes


def apply_recompute(conn, writes, values: dict, cal) -> None:
    """Within the write transaction: the writes of ``plan_recompute`` (valid only if nothing
    was committed since its snapshot), the work list stored again, and the stamp."""
    for sql, rows in writes:
        conn.executemany(sql, rows)
    workitems.store(conn, None)
    _write_stamp(conn, stamp(values, _years(conn)))
    conn.execute("DELETE FROM _dirty")


class _Recorder:
    """A connection for ``_derive_dates``: its reads go to ``conn``; its writes, all made by
    ``executemany`` once each part is worked out (nothing it reads depends on them), are
    kept to be made later."""

    def __init__(self, conn, writes: list):
        self._conn, self._writes = conn, writes

    def cursor(self):
        return self._conn.cursor()

    def execute(self, sql: str, params=()):
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise RuntimeError(f"a recomputation being planned may not write: {sql[:40]}")
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows) -> None:
        rows = list(rows)
        if rows:
            self._writes.append((sql, rows))


def forget_stamp(conn) -> None:
    """Make the next open recompute everything (after a migration changing the facts the
    rules read)."""
    conn.execute("DELETE FROM _derived WHERE key = ?", [_STAMP_KEY])


# The _context keys of a bulk write, and of one into an empty database (see ``deferred``;
# the second is read by the marking triggers of m008).
_LATER = "derive-later"
_EVERYONE = "derive-everyone"


@contextmanager
def deferred(conn, status: Callable[[str], None] | None = None) -> Iterator[None]:
    """Within a write transaction: a bulk write (the demo, an import). The children it
    touches are marked but not derived as it goes (but for the dates an operation asks
    for through ``Store.refresh_period``); at its end they are derived once, every child
    at once when most are marked. Into a database with no children yet, nobody is marked
    and everyone is derived at the end. ``status(workitems.REBUILDING)`` is told first."""
    everyone = _q(conn, "SELECT 1 FROM children LIMIT 1").fetchone() is None
    keys = [_LATER, _EVERYONE] if everyone else [_LATER]
    conn.executemany(
        "INSERT OR REPLACE INTO _context (key, value) VALUES (?, 'on')", [(k,) for k in keys]
    )
    before = conn.total_changes
    yield
    wrote = conn.total_changes != before
    conn.executemany("DELETE FROM _context WHERE key = ?", [(k,) for k in keys])
    marked = _q(conn, "SELECT COUNT(*) FROM _dirty").fetchone()[0]
    if not marked and not (everyone and wrote):
        return  # an import of unchanged files writes nothing
    if status:
        status(workitems.REBUILDING)
    if everyone or marked * 2 > _q(conn, "SELECT COUNT(*) FROM children").fetchone()[0]:
        _recompute(conn, *_policy(conn, None, None))
    else:
        derive_marked(conn)


def flush(store) -> None:
    """Derive the children the transaction's writes marked, before it commits."""
    derive_marked(store.conn, store.policy_values, store.calendar)


def derive_marked(conn, values: dict | None = None, cal=None) -> int:
    """Derive the children marked by writes (within the caller's transaction); returns
    how many there were."""
    if _off(conn):
        return 0
    ids = [r[0] for r in _q(conn, "SELECT child_id FROM _dirty")]
    if not ids:
        return 0
    values, cal = _policy(conn, values, cal)
    derive(conn, ids, values, cal)
    conn.execute("DELETE FROM _dirty")
    return len(ids)


def _policy(conn, values: dict | None, cal) -> tuple:
    if values is None:
        values = policy.load(conn)
    if cal is None:
        cal = policy.calendar(values)
    return values, cal


def _off(conn) -> bool:
    """Within a bulk write (``deferred``)."""
    return _q(conn, "SELECT 1 FROM _context WHERE key = ?", [_LATER]).fetchone() is not None


def stale(conn, values: dict | None = None, cal=None) -> dict[str, int]:
    """How many derived rows differ from a fresh computation, by kind (nothing is written:
    within a savepoint rolled back afterwards). ``conn`` is a plain sqlite3 connection."""
    values, cal = _policy(conn, values, cal)
    conn.execute("SAVEPOINT derived_check")
    try:
        changes = derive(conn, None, values, cal)
    finally:
        conn.execute("ROLLBACK TO derived_check")
        conn.execute("RELEASE derived_check")
    return {k: v for k, v in changes.items() if k != "open periods" and v}


# --- the computation ---------------------------------------------------------------------


def _scope(column: str) -> str:
    """The condition keeping the rows of the children named by the :scope parameter (a
    JSON array: no temporary table, whose creation would make SQLite prepare every cached
    statement again)."""
    return f" AND {column} IN (SELECT value FROM json_each(:scope))"


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# Children derived together in a recomputation of everyone (bounded memory).
_CHUNK = 5000


def derive(
    conn,
    children: Iterable[str] | None,
    values: dict,
    cal,
    *,
    items: bool = True,
    progress: Callable | None = None,
) -> dict[str, int]:
    """Recompute the derived rows of ``children`` (None: everyone, a few thousand children
    at a time) and write those that differ; returns how many differed, by kind.
    ``items=False`` leaves the work list (a bulk write stores it once at its end).
    ``progress(done, total, description=None)`` follows the children, then names the
    storing of the work list."""
    changes = {
        "periods": 0,
        "reviews": 0,
        "steps": 0,
        "events": 0,
        "disputes": 0,
        "work items": 0,
        "open periods": 0,
    }
    if children is None:
        ids = [r[0] for r in _q(conn, "SELECT id FROM children ORDER BY id")]
        chunks = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    else:
        ids = list(children)
        chunks = [ids]
    done = 0
    for chunk in chunks:
        for kind, n in _derive_dates(conn, chunk, values, cal).items():
            changes[kind] += n
        done += len(chunk)
        if progress:
            progress(done, len(ids))
    if items and not _off(conn):
        if progress:
            progress(len(ids), len(ids), workitems.REBUILDING)
        changes["work items"] += workitems.store(conn, None if children is None else ids)
    return changes


def earlier_reviews(recorded, episodes) -> int | None:
    """How many reviews were held before the period's earliest record: as the admin
    recorded it, else 0 for a period that starts with its first episode (RNE S), None for a
    *continuing* one (care began before the earliest return held)."""
    if recorded is not None:
        return int(recorded)
    first = episodes[0].rne if episodes else "S"
    return 0 if first in (None, "S") else None


def short_break_history(conn, child_id: str, start: str) -> tuple[tuple, tuple]:
    """R-SCH-5: the child's earlier periods of care before ``start`` (a stay of short
    breaks may continue their series) and the dates the admin recorded that a short-break
    arrangement ended."""
    earlier = []
    for pid, began, ended in _q(
        conn,
        "SELECT id, start_date, end_date FROM periods WHERE child_id = ?"
        " AND end_date IS NOT NULL AND start_date < ? ORDER BY start_date",
        (child_id, start),
    ).fetchall():
        earlier.append(
            rules.Stay(
                start=date.fromisoformat(began),
                end=date.fromisoformat(ended),
                episodes=tuple(
                    rules.Episode(date.fromisoformat(e[0]), legal_status=e[1])
                    for e in _q(
                        conn,
                        "SELECT start_date, legal_status FROM episodes WHERE period_id = ?"
                        " ORDER BY start_date, id",
                        (pid,),
                    )
                ),
                reviews=tuple(
                    rules.HeldReview(date.fromisoformat(r[0]), bool(r[1]))
                    for r in _q(
                        conn,
                        "SELECT recording_date, meeting FROM reviews WHERE period_id = ?"
                        " AND status = 'held' ORDER BY recording_date",
                        (pid,),
                    )
                ),
            )
        )
    ends = tuple(
        date.fromisoformat(r[0])
        for r in _q(conn, "SELECT end_date FROM short_break_ends WHERE child_id = ?", (child_id,))
    )
    return tuple(earlier), ends


def _derive_dates(conn, children: list[str], values: dict, cal) -> dict[str, int]:
    """The dates of ``derive`` (all but the work list) for some children."""
    schedule = policy.schedule_policy(values)
    scope = {"scope": json.dumps(children)}
    changes = {"periods": 0, "reviews": 0, "steps": 0, "events": 0, "disputes": 0}
    changes["open periods"] = 0

    # Every period (a closed one keeps its other dates; its next review is None).
    periods = _q(
        conn,
        "SELECT p.id, p.child_id, p.start_date, p.end_date, p.next_number, p.next_due,"
        " p.next_rule, p.next_earliest, p.next_detail, p.allocation_due, p.pathway_due,"
        " p.adult_on, c.dob, p.adoption_consent, p.earlier_reviews"
        " FROM periods p JOIN children c ON c.id = p.child_id WHERE 1" + _scope("p.child_id"),
        scope,
    ).fetchall()
    # R-SCH-5: the last stay of a series of short breaks still running (the child between
    # stays, the end of the arrangement not recorded) has a next review too.
    marks = ",".join("?" * len(SHORT_BREAK_STATUSES))
    resting = {
        r[0]
        for r in _q(
            conn,
            "SELECT p.id FROM periods p WHERE p.end_date IS NOT NULL"
            " AND p.child_id IN (SELECT value FROM json_each(?))"
            " AND NOT EXISTS (SELECT 1 FROM periods q WHERE q.child_id = p.child_id"
            " AND q.start_date > p.start_date)"
            " AND NOT EXISTS (SELECT 1 FROM short_break_ends s WHERE s.child_id = p.child_id"
            " AND s.end_date >= p.end_date)"
            " AND (SELECT e.legal_status FROM episodes e WHERE e.period_id = p.id"
            f" ORDER BY e.start_date DESC, e.id DESC LIMIT 1) IN ({marks})",
            [json.dumps(children), *sorted(SHORT_BREAK_STATUSES)],
        )
    }
    # The facts the rules read, of open periods (and such a last stay) only: a closed one
    # has no next review.
    scope["resting"] = json.dumps(sorted(resting))
    wanted = "(p.end_date IS NULL OR p.id IN (SELECT value FROM json_each(:resting)))" + _scope(
        "p.child_id"
    )
    by_period: dict[int, dict] = {p[0]: {"ep": [], "held": [], "dir": []} for p in periods}
    for row in _q(
        conn,
        "SELECT e.period_id, e.start_date, e.legal_status, e.placement, e.rne,"
        " e.reason_place_change, e.local_reason FROM episodes e JOIN periods p"
        f" ON p.id = e.period_id WHERE {wanted} ORDER BY e.period_id, e.start_date, e.id",
        scope,
    ):
        if row[0] in by_period:
            by_period[row[0]]["ep"].append(
                rules.Episode(
                    start=date.fromisoformat(row[1]),
                    legal_status=row[2],
                    placement=row[3],
                    rne=row[4],
                    reason_place_change=row[5],
                    local_reason=row[6],
                )
            )
    for pid, day, meeting in _q(
        conn,
        "SELECT r.period_id, r.recording_date, r.meeting FROM reviews r JOIN periods p"
        f" ON p.id = r.period_id WHERE r.status = 'held' AND {wanted}"
        " ORDER BY r.period_id, r.recording_date",
        scope,
    ):
        if pid in by_period:
            by_period[pid]["held"].append(rules.HeldReview(date.fromisoformat(day), bool(meeting)))
    for pid, made, by, reason, before in _q(
        conn,
        "SELECT d.period_id, d.made_on, d.by_date, d.reason, d.reviews_before FROM directions d"
        f" JOIN periods p ON p.id = d.period_id WHERE {wanted} ORDER BY d.period_id, d.made_on",
        scope,
    ):
        if pid in by_period:
            by_period[pid]["dir"].append(
                rules.Direction(date.fromisoformat(made), date.fromisoformat(by), reason, before)
            )
    pending: dict[int, tuple] = {}
    for row in _q(
        conn,
        "SELECT r.period_id, r.id, r.status, r.booked_date, r.original_date, r.number,"
        " r.deadline, r.rule, r.earliest, EXISTS (SELECT 1 FROM reviews h"
        " WHERE h.period_id = p.id AND h.status = 'held') FROM reviews r JOIN periods p"
        " ON p.id = r.period_id WHERE r.status IN ('booked', 'adjourned')" + _scope("p.child_id"),
        scope,
    ):
        pending[row[0]] = row

    period_updates, review_updates = [], []
    numbers: dict[int, int] = {}  # the new number of each pending review
    for p in periods:
        pid, end = p[0], p[3]
        data = by_period[pid]
        pend = pending.get(pid)
        nxt = None
        if end is None or pid in resting:
            changes["open periods"] += end is None
            episodes = tuple(data["ep"])
            earlier, breaks_ended = (
                short_break_history(conn, p[1], p[2])
                if episodes and rules.short_break_start(episodes) or end is not None
                else ((), ())
            )
            nxt = (rules.next_review if end is None else rules.between_stays)(
                rules.Period(
                    start=date.fromisoformat(p[2]),
                    end=_d(end),
                    episodes=episodes,
                    reviews=tuple(data["held"]),
                    directions=tuple(data["dir"]),
                    adjourned_on=_d(pend[4]) if pend and pend[2] == "adjourned" else None,
                    consent_on=_d(p[13]),
                    earlier_reviews=earlier_reviews(p[14], episodes),
                    earlier=earlier,
                    breaks_ended=breaks_ended,
                ),
                cal,
                schedule,
            )
        # R-IRO-2: the IRO comes before a first review booked (of a closed period, the
        # reviews held were not read: the query says whether there were any).
        held = data["held"] if end is None or pid in resting else pend and pend[9]
        first_booked = _d(pend[3]) if pend and not held else None
        dob = date.fromisoformat(p[12])
        values_ = rules.period_schedule(nxt, date.fromisoformat(p[2]), dob, cal, first_booked)
        new = (
            *(values_[c] for c in rules.SCHEDULE_COLUMNS),
            rules.eighteenth_birthday(dob).isoformat(),
        )
        if new != tuple(p[4:12]):
            period_updates.append((*new, pid))
        if pend and nxt and pend[2] == "booked":
            fresh = (nxt.number, values_["next_due"], nxt.rule, values_["next_earliest"])
            numbers[pend[1]] = nxt.number
            if fresh != tuple(pend[5:9]):
                review_updates.append((*fresh, pend[1]))
    sets = ", ".join(f"{c} = ?" for c in (*rules.SCHEDULE_COLUMNS, "adult_on"))
    conn.executemany(f"UPDATE periods SET {sets} WHERE id = ?", period_updates)
    conn.executemany(
        "UPDATE reviews SET number = ?, deadline = ?, rule = ?, earliest = ? WHERE id = ?",
        review_updates,
    )
    changes["periods"] += len(period_updates)
    changes["reviews"] += len(review_updates)
    changes["steps"] += _derive_steps(conn, children, values, cal, numbers)
    changes["events"] += _derive_events(conn, children, values, cal)
    changes["disputes"] += _derive_disputes(conn, children, values, cal)
    return changes


def _derive_events(conn, children, values: dict, cal) -> int:
    """R-EVT-1: the day by which the IRO decides on each undecided event (policy
    event-decision-days after it was recorded). A decided event keeps the date it was
    decided against: a fact."""
    days = values["event-decision-days"]
    updates = []
    for eid, recorded, due in _q(
        conn,
        "SELECT id, recorded_on, decision_due FROM events WHERE decision IS NULL"
        " AND requires_review = 0" + _scope("child_id"),
        {"scope": json.dumps(children)},
    ):
        fresh = rules.event_decision_due(date.fromisoformat(recorded), days, cal).isoformat()
        if fresh != due:
            updates.append((fresh, eid))
    conn.executemany("UPDATE events SET decision_due = ? WHERE id = ?", updates)
    return len(updates)


def _derive_disputes(conn, children, values: dict, cal) -> int:
    """§6: of each open dispute, the response due at its stage (while one is awaited) and
    the end of the whole internal process (policy dispute-response-days and
    dispute-total-days). A resolved dispute keeps its dates: facts."""
    stage_days, total_days = values["dispute-response-days"], values["dispute-total-days"]
    updates = []
    for did, stage, started, awaiting, response, opened, total in _q(
        conn,
        "SELECT id, stage, stage_started, awaiting_response, response_due, opened_on,"
        " total_due FROM disputes WHERE status = 'open'" + _scope("child_id"),
        {"scope": json.dumps(children)},
    ):
        reply = response
        if awaiting:
            due = rules.dispute_response_due(stage, date.fromisoformat(started), stage_days, cal)
            reply = due.isoformat() if due else None
        end = rules.dispute_total_due(date.fromisoformat(opened), total_days, cal).isoformat()
        if (reply, end) != (response, total):
            updates.append((reply, end, did))
    conn.executemany("UPDATE disputes SET response_due = ?, total_due = ? WHERE id = ?", updates)
    return len(updates)


_POST = tuple(n for n, s in steps.STEPS.items() if s.phase == "post")


def _derive_steps(conn, children, values: dict, cal, numbers: dict[int, int]) -> int:
    """The open steps of booked reviews (before the meeting, from its date) and of held
    reviews (after it, from the day the review was completed: its meeting, or the day an
    adjourned review reconvened — DOMAIN.md §3; the manager's response from the day the
    decisions were circulated); steps the policy no longer asks for are dropped while open,
    and those it now asks for added to booked reviews."""
    updates, deletes, inserts = [], [], []
    pre: dict[tuple, dict[str, date]] = {}  # (booked, first review, floor): dates
    post: dict[str, dict[str, date]] = {}  # recording date: dates

    def pre_dues(rid: int, booked: str, number, began: str) -> dict[str, date]:
        key = (booked, numbers.get(rid, number) == 1, began)
        if key not in pre:
            dues = steps.pre_steps(date.fromisoformat(booked), key[1], cal, values)
            floor = date.fromisoformat(began)
            pre[key] = {n: max(d, floor) for n, d in dues.items()}
        return pre[key]

    # The open steps, with their review.
    for sid, rid, name, due, rule, status, booked, completed, number, began, decided in _q(
        conn,
        "SELECT s.id, s.review_id, s.step, s.due, s.rule, r.status, r.booked_date,"
        " COALESCE(r.held_date, r.recording_date), r.number, p.start_date,"
        " CASE WHEN s.step = 'manager-response'"
        " THEN (SELECT d.done_on FROM review_steps d WHERE d.review_id = s.review_id"
        " AND d.step = 'decisions' AND d.status = 'done') END"
        " FROM review_steps s JOIN reviews r ON r.id = s.review_id"
        " JOIN periods p ON p.id = r.period_id WHERE s.status = 'open'" + _scope("s.child_id"),
        {"scope": json.dumps(children)},
    ):
        if name in PRE and status in ("booked", "adjourned") and booked:
            dues = pre_dues(rid, booked, number, began)
        elif name in _POST and status == "held" and completed:
            if name == "manager-response":
                if not decided:
                    continue
                dues = {name: steps.manager_response_due(date.fromisoformat(decided), cal)}
            else:
                if completed not in post:
                    post[completed] = steps.post_steps(date.fromisoformat(completed), cal, values)
                dues = post[completed]
        else:
            continue
        if name not in dues:
            deletes.append((sid,))
            continue
        fresh = (dues[name].isoformat(), steps.STEPS[name].rule)
        if fresh != (due, rule):
            updates.append((*fresh, sid))
    # The steps a booked review lacks (one the policy now asks for).
    for rid, child, booked, number, began, have in _q(
        conn,
        "SELECT r.id, r.child_id, r.booked_date, r.number, p.start_date,"
        " (SELECT group_concat(s.step, ' ') FROM review_steps s WHERE s.review_id = r.id)"
        " FROM periods p INDEXED BY periods_open_child JOIN reviews r ON r.period_id = p.id"
        " AND r.status IN ('booked', 'adjourned') WHERE p.end_date IS NULL" + _scope("p.child_id"),
        {"scope": json.dumps(children)},
    ):
        if not booked:
            continue
        mine = set((have or "").split())
        for name, due in pre_dues(rid, booked, number, began).items():
            if name not in mine:
                inserts.append((rid, child, name, steps.STEPS[name].rule, due.isoformat()))
    conn.executemany("UPDATE review_steps SET due = ?, rule = ? WHERE id = ?", updates)
    conn.executemany("DELETE FROM review_steps WHERE id = ?", deletes)
    conn.executemany(
        "INSERT INTO review_steps (review_id, child_id, step, rule, due) VALUES (?, ?, ?, ?, ?)",
        inserts,
    )
    return len(updates) + len(deletes) + len(inserts)
