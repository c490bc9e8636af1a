"""Backups, checks of the database and the audit trail's read side."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date
from pathlib import Path

from . import derived
from .calendar import age_on
from .codes import PARTICIPATION
from .errors import ReviewError
from .store import Store

# Tables whose row counts a verified backup must reproduce.
_COUNTED = ("children", "periods", "episodes", "reviews", "decisions", "audit")


def backup(store: Store, dest: str | os.PathLike, *, force: bool = False) -> dict:
    """SQLite's online backup into a new private file, then verified.

    Safe while other admins use the database: the backup API copies a consistent
    snapshot. The copy is checked with ``integrity_check`` and its row counts compared.
    """
    from . import auditchain, files

    dest = Path(dest)
    if (dest.exists() or dest.is_symlink()) and not force:
        raise ReviewError(f"{str(dest)!r} already exists; choose a new name or add --force")
    # A new private file beside the backup, renamed over it once verified: never the
    # database or its -wal/-shm, never through a symbolic link; a killed backup leaves a
    # temporary file the next run in that folder removes.
    with files.private_path(dest, replace_database=force) as tmp:
        target = sqlite3.connect(tmp)
        try:
            # One read transaction on the source: the copy and the counts it is checked
            # against come from the same snapshot, whatever other admins commit meanwhile.
            store.conn.execute("BEGIN")
            try:
                source = {t: _count(store.conn, t) for t in _COUNTED}
                chain = auditchain.head(store.conn) if auditchain.has_chain(store.conn) else None
                store.conn.backup(target)
            finally:
                store.conn.execute("COMMIT")
            target.execute("PRAGMA journal_mode = DELETE")
            ok = target.execute("PRAGMA integrity_check").fetchone()[0]
            copied = {t: _count(target, t) for t in _COUNTED}
        except sqlite3.DatabaseError as e:
            from .dbfile import describe

            raise describe(e, dest, "the backup failed") from None
        finally:
            target.close()
        if ok != "ok":
            raise ReviewError(f"the backup failed its integrity check: {ok}")
        if copied != source:
            raise ReviewError(
                "the backup's row counts differ from the database (it changed while copying); "
                "run the backup again"
            )
    return {
        "path": str(dest),
        "bytes": dest.stat().st_size,
        "rows": copied,
        "verified": True,
        "audit_head": {"id": chain[0], "hash": chain[1]} if chain else None,
    }


def _count(conn, table: str) -> int | None:
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return None


def check(store: Store, today: date, progress=None) -> list[dict]:
    """Every problem found, each as {"check": …, "problem": …}; an empty list is healthy.

    ``progress(done, total, description)`` is told as each stage starts: at national scale
    SQLite's own integrity check alone reads the whole file (about 40 s for 1 GB).
    """
    problems: list[dict] = []

    def add(check_name: str, message: str) -> None:
        problems.append({"check": check_name, "problem": message})

    stages = [
        ("the file's integrity", _check_integrity),
        ("foreign keys", _check_foreign_keys),
        ("periods of care", _check_periods),
        ("reviews", _check_reviews),
        ("review numbering", _check_numbering),
        ("participation codes", _check_participation),
        ("episodes", _check_episodes),
        ("allocations", _check_allocations),
        ("the derived dates and the stored work list", _check_derived),
        ("letters marked sent", _check_letter_batches),
        ("the audit trail", _check_audit),
    ]
    for done, (label, stage) in enumerate(stages):
        if progress:
            progress(done, len(stages), f"Checking {label}")
        stage(store, add)
    if progress:
        progress(len(stages), len(stages), "Checked")
    return problems


def _check_letter_batches(store, add) -> None:
    """A batch of letters marked sent whose files a stopped run did not move into place
    (see ``batches``): the next ``letters due`` or ``letters invite`` finishes it."""
    import json

    for batch in store.rows(
        "SELECT id, folder, staging, files, sent_on FROM letter_batches "
        "WHERE finished_at IS NULL ORDER BY id"
    ):
        add(
            "letters",
            f"letters batch {batch['id']} (marked sent on {batch['sent_on']}) was "
            f"interrupted: {len(json.loads(batch['files']))} files wait in "
            f"{batch['folder']}/{batch['staging']}; the next 'reviewcli letters due' or "
            "'letters invite' moves them into place",
        )


def _check_integrity(store, add) -> None:
    for (result,) in store.conn.execute("PRAGMA integrity_check"):
        if result != "ok":
            add("integrity", result)


def _check_foreign_keys(store, add) -> None:
    for row in store.conn.execute("PRAGMA foreign_key_check"):
        add("foreign keys", f"{row[0]} row {row[1]} points at a missing {row[2]} row")


def _check_periods(store, add) -> None:
    for r in store.rows(
        "SELECT child_id, COUNT(*) AS n FROM periods WHERE end_date IS NULL "
        "GROUP BY child_id HAVING n > 1"
    ):
        add("periods", f"child {r['child_id']} has {r['n']} open periods of care")
    for r in store.rows(
        "SELECT a.child_id, a.id AS a_id, b.id AS b_id FROM periods a JOIN periods b "
        "ON a.child_id = b.child_id AND a.id < b.id "
        "AND a.start_date <= COALESCE(b.end_date, '9999-12-31') "
        "AND b.start_date <= COALESCE(a.end_date, '9999-12-31')"
    ):
        add("periods", f"child {r['child_id']}: periods {r['a_id']} and {r['b_id']} overlap")
    for r in store.rows(
        "SELECT p.id, p.child_id, p.start_date, c.dob FROM periods p "
        "JOIN children c ON c.id = p.child_id WHERE p.start_date < c.dob"
    ):
        add("periods", f"child {r['child_id']}: period {r['id']} starts before birth")


def _check_reviews(store, add) -> None:
    for r in store.rows(
        "SELECT r.id, r.child_id, r.recording_date, p.start_date, p.end_date FROM reviews r "
        "JOIN periods p ON p.id = r.period_id WHERE r.status = 'held' AND "
        "(r.recording_date < p.start_date OR r.recording_date > COALESCE(p.end_date, "
        "'9999-12-31'))"
    ):
        add(
            "reviews",
            f"review {r['id']} of {r['child_id']} was recorded on {r['recording_date']}, outside "
            f"its period of care ({r['start_date']} to {r['end_date'] or 'now'})",
        )
    for r in store.rows(
        "SELECT period_id, COUNT(*) AS n FROM reviews WHERE status IN ('booked', 'adjourned') "
        "GROUP BY period_id HAVING n > 1"
    ):
        add("reviews", f"period {r['period_id']} has {r['n']} reviews booked at once")


def _check_allocations(store, add) -> None:
    for r in store.rows(
        "SELECT child_id, COUNT(*) AS n FROM allocations WHERE end_date IS NULL "
        "GROUP BY child_id HAVING n > 1"
    ):
        add("allocations", f"child {r['child_id']} has {r['n']} current IROs")


def _check_audit(store, add) -> None:
    """Every audit trigger and append-only guard present with the text reviewcli creates,
    the hash chain unbroken, and no switch-off of the audit outside the commands allowed
    to (see auditchain)."""
    from . import auditchain, migrations

    def say(message: str) -> None:
        add("audit", message)

    auditchain.verify_triggers(store.conn, say, migrations.audit_trigger_sql(store.conn))
    auditchain.verify(store.conn, say)
    if store.value("SELECT 1 FROM sqlite_master WHERE name = 'audit_switches'"):
        auditchain.verify_switch_offs(store.conn, say)


def _check_numbering(store, add) -> None:
    current = None
    expected = 0
    for r in store.conn.execute(
        "SELECT r.id, r.period_id, r.number, r.child_id, p.earlier_reviews FROM reviews r "
        "JOIN periods p ON p.id = r.period_id WHERE r.status = 'held' "
        "ORDER BY r.period_id, r.recording_date, r.id"
    ):
        if r["period_id"] != current:
            # Reviews held before a continuing period's earliest record come first.
            current, expected = r["period_id"], r["earlier_reviews"] or 0
        expected += 1
        if r["number"] != expected:
            add(
                "numbering",
                f"review {r['id']} of {r['child_id']} is numbered {r['number']}, but is review "
                f"{expected} of its period",
            )


def _check_participation(store, add) -> None:
    for r in store.conn.execute(
        "SELECT r.id, r.child_id, r.recording_date, r.participation, c.dob FROM reviews r "
        "JOIN children c ON c.id = r.child_id WHERE r.status = 'held' "
        "AND r.participation IS NOT NULL"
    ):
        pn = r["participation"]
        if pn not in PARTICIPATION:
            add("participation", f"review {r['id']} has unknown code {pn}")
            continue
        age = age_on(date.fromisoformat(r["dob"]), date.fromisoformat(r["recording_date"]))
        if (pn == "PN0") != (age < 4):
            add("participation", f"review {r['id']} has {pn} for a child aged {age}")


def _check_episodes(store, add) -> None:
    previous = None
    for r in store.conn.execute(
        "SELECT e.*, p.start_date AS p_start, p.end_date AS p_end FROM episodes e "
        "JOIN periods p ON p.id = e.period_id ORDER BY e.period_id, e.start_date, e.id"
    ):
        first = previous is None or previous["period_id"] != r["period_id"]
        if first and r["start_date"] != r["p_start"]:
            add("episodes", f"period {r['period_id']}: the first episode does not start with it")
        if not first and previous["end_date"] != r["start_date"]:
            add(
                "episodes",
                f"period {r['period_id']}: episode {previous['id']} ends on "
                f"{previous['end_date']} but the next starts on {r['start_date']}",
            )
        if r["p_end"] and r["start_date"] > r["p_end"]:
            add("episodes", f"episode {r['id']} starts after its period ended")
        previous = r


def _check_derived(store, add) -> None:
    """Every derived row (deadlines, the booked reviews' deadlines, open steps' dates, the
    stored work list) must equal a fresh computation from the facts (see ``derived``)."""
    old = derived.stored_stamp(store.conn)
    if old is None:
        add("derived data", "the derived dates carry no stamp; run 'reviewcli check --repair'")
    for kind, n in derived.stale(store.conn, store.policy_values, store.calendar).items():
        add(
            "derived data",
            f"{n} stored {_STALE[kind]} differ from a fresh computation; run "
            "'reviewcli check --repair'",
        )


_STALE = {
    "periods": "next-review deadlines of periods of care",
    "reviews": "deadlines of booked reviews",
    "steps": "dates of open review steps",
    "events": "decision dates of undecided events",
    "disputes": "response and completion dates of open disputes",
    "work items": "items of the work list",
}


def _hide_secret(values: dict | None) -> dict | None:
    if not values or "value" not in values:
        return values
    return {**values, "value": "(secret, not shown)"}


def audit_rows(store: Store, *, child=None, since=None, limit=None) -> list[dict]:
    sql = "SELECT * FROM audit WHERE 1 = 1"
    params: list = []
    if child:
        sql += " AND child_id = ?"
        params.append(child)
    if since:
        sql += " AND at >= ?"
        params.append(since.isoformat())
    if limit:
        # The newest ``limit`` rows, still listed oldest first (as `tail` would).
        sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT ?) ORDER BY id"
        params.append(limit)
    else:
        sql += " ORDER BY id"
    from .policy import SECRETS

    rows = store.rows(sql, params)
    for r in rows:
        before = json.loads(r["before"]) if r["before"] else None
        after = json.loads(r["after"]) if r["after"] else None
        if r["table_name"] == "policy" and r["row_key"] in SECRETS:  # never printed
            before, after = _hide_secret(before), _hide_secret(after)
        r["before"], r["after"] = before, after
        if before and after:
            r["changes"] = {
                k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)
            }
        else:
            r["changes"] = None
    return rows
