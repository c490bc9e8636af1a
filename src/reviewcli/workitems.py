"""The work list's two large kinds, stored ready to list: written by ``derived`` only.

Every open period's next review (and that of a series of short breaks between stays)
and every open step of a review (invitations, reports,
record …) is a row of ``work_items``: due date, child, rule, detail, name, IRO and team,
stored in the order of the list (due date, then child). At national scale these are
nine items in ten, and building each from four tables was most of the time ``due``
took; now the list reads them in order from one table.

The rows are made here, in Python, from the derived dates and the facts (the wording of
each item, its ordinal and its JSON, once); ``derived`` stores them for the children a
write touched before the write commits, and for everyone when the stamp of the derived
data changes. What depends on the day the list is asked for is worked out when it is
read (see ``worklist``): whether an item is overdue, whether a booked review's date has
passed (record the outcome), whether the child has turned 18 (``adult_on``, worked out
here) and whether a manager's window is still open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from json.encoder import encode_basestring as _string

from . import rules, wording
from .steps import STEPS

# The keys of an item, in order (CLI.md); reviews add booked and number, actions decision_id.
ITEM_KEYS = (
    "kind",
    "child_id",
    "due",
    "overdue",
    "review_id",
    "rule",
    "detail",
    "name",
    "iro",
    "team",
)
EXTRA_KEYS = {"review": ("booked", "number"), "action": ("decision_id",)}

# The table's columns, in the order of its definition.
COLUMNS = (
    "due",
    "child_id",
    "kind",
    "seq",
    "review_id",
    "rule",
    "detail",
    "detail_end",
    "name",
    "iro",
    "team",
    "booked",
    "number",
    "adult_on",
    "outcome_from",
    "json",
    "cut_overdue",
    "cut_outcome",
)
# The kinds stored: reviews and every step around them but the manager's response (whose
# window closes by itself: the list reads those still open from their index).
KINDS = frozenset(("review", *(k for k in STEPS if k != "manager-response")))

# Put between a booked review's detail and detail_end once its date has passed (the
# words are ``wording``'s).
RECORD_OUTCOME = wording.RECORD_OUTCOME

# An item's JSON object (``due --format json``) is stored with "overdue":0 and the detail
# without RECORD_OUTCOME; cut_overdue is the number of characters before that 0 and
# cut_outcome before where RECORD_OUTCOME goes, so the list puts in what the day decides.

SCHEMA = """
CREATE TABLE work_items (
    due TEXT NOT NULL,
    child_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    review_id INTEGER,
    rule TEXT,
    detail TEXT,
    detail_end TEXT,
    name TEXT,
    iro TEXT,
    team TEXT,
    booked TEXT,
    number INTEGER,
    adult_on TEXT,
    outcome_from TEXT,
    json TEXT NOT NULL,
    cut_overdue INTEGER NOT NULL,
    cut_outcome INTEGER NOT NULL,
    PRIMARY KEY (due, child_id, kind, seq)
) WITHOUT ROWID"""
# By the row an item is made from, by child, and an IRO's items in date order.
INDEXES = {
    "work_items_source": "CREATE UNIQUE INDEX work_items_source ON work_items(seq, kind)",
    "work_items_child": "CREATE INDEX work_items_child ON work_items(child_id)",
    "work_items_iro": "CREATE INDEX work_items_iro ON work_items(iro, due)",
}

_IRO = "LEFT JOIN allocations a ON a.child_id = {}.child_id AND a.end_date IS NULL"


def _q(conn, sql: str, params=()):
    """A cursor of plain tuples, whatever the connection's row factory."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _j(value) -> str:
    """``value`` (text, a whole number or None) as JSON, as ``_dump`` writes it."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string(value)
    if type(value) is int:
        return str(value)
    return _dump(value)


def _row(
    due, child, kind, seq, review_id, rule, detail, detail_end, name, iro, team,
    booked=None, number=None, adult_on=None, outcome_from=None,
) -> tuple:  # fmt: skip
    """One stored item, with its JSON and where to cut it."""
    full = None if detail is None else detail + detail_end
    # The object of ITEM_KEYS (and a review's extra keys) as json.dumps would write it
    # compactly, built directly: a national list has 300,000 of them.
    text = (
        f'{{"kind":{_j(kind)},"child_id":{_j(child)},"due":{_j(due)},"overdue":0,'
        f'"review_id":{_j(review_id)},"rule":{_j(rule)},"detail":{_j(full)},'
        f'"name":{_j(name)},"iro":{_j(iro)},"team":{_j(team)}'
    )
    if kind == "review":
        text += f',"booked":{_j(booked)},"number":{_j(number)}'
    text += "}"
    # Where "overdue":0 holds its 0, and where the detail ends (before detail_end): the
    # first such key in the text is the key itself, as a quote within a value is escaped.
    cut_overdue = text.index('"overdue":0') + len('"overdue":')
    if detail is None:
        cut_outcome = text.index('"detail":null') + len('"detail":')
    else:
        end = text.index(',"name":', cut_overdue) - 1
        cut_outcome = end - (len(_dump(detail_end)) - 2 if detail_end else 0)
    return (
        due, child, kind, seq, review_id, rule, detail, detail_end, name, iro, team, booked,
        number, adult_on, outcome_from, text, cut_overdue, cut_outcome,
    )  # fmt: skip


# The text of each item is ``wording``'s.
review_detail = wording.review
step_detail = wording.step


def items(conn, children: Iterable[str] | None = None) -> list[tuple]:
    """The stored items of ``children`` (None: everyone), as rows of ``COLUMNS``, in the
    table's order."""
    return sorted(_items(conn, children), key=lambda r: r[:4])


def _items(conn, children: Iterable[str] | None = None) -> Iterator[tuple]:
    """The rows of ``items``, one at a time, in no order."""
    scope = "" if children is None else " AND {}.child_id IN (SELECT value FROM json_each(:scope))"
    params = {"scope": json.dumps(list(children or ()))}
    adult: dict[str, str] = {}
    for (
        pid,
        child,
        due,
        rule,
        number,
        earliest,
        rid,
        status,
        booked,
        time,
        original,
        first,
        last,
        dob,
        team,
        iro,
        ended,
    ) in _q(  # fmt: skip
        conn,
        "SELECT p.id, p.child_id, p.next_due, p.next_rule, p.next_number, p.next_earliest,"
        " r.id, r.status, r.booked_date, r.booked_time, r.original_date,"
        " c.first_name, c.last_name, c.dob, c.team, a.iro_id, p.end_date"
        " FROM periods p JOIN children c ON c.id = p.child_id "
        + _IRO.format("p")
        + " LEFT JOIN reviews r ON r.period_id = p.id AND r.status IN ('booked', 'adjourned')"
        # (a closed period has a next review only as the last stay of a series of short
        # breaks still running, R-SCH-5)
        " WHERE p.next_due IS NOT NULL" + scope.format("p"),
        params,
    ):
        detail, end = review_detail(
            number, status, booked, time, original, due, earliest, rule, between_stays=ended
        )
        if dob not in adult:
            adult[dob] = rules.eighteenth_birthday(date.fromisoformat(dob)).isoformat()
        yield (
            _row(
                due,
                child,
                "review",
                pid,
                rid,
                rule,
                detail,
                end,
                f"{first} {last}",
                iro,
                team,
                booked,
                number,
                adult[dob],
                booked if status == "booked" else None,
            )  # fmt: skip
        )
    for sid, child, step, rid, rule, due, number, booked, recording, first, last, team, iro in _q(
        conn,
        "SELECT s.id, s.child_id, s.step, s.review_id, s.rule, s.due, r.number,"
        " r.booked_date, r.recording_date, c.first_name, c.last_name, c.team, a.iro_id"
        " FROM review_steps s JOIN children c ON c.id = s.child_id"
        " JOIN reviews r ON r.id = s.review_id "
        + _IRO.format("s")
        + " WHERE s.status = 'open' AND s.step != 'manager-response'"
        + scope.format("s"),
        params,
    ):
        if step not in KINDS:
            continue
        detail = step_detail(step, number, booked, recording)
        yield _row(due, child, step, sid, rid, rule, detail, "", f"{first} {last}", iro, team)


def _insert(conn, rows: list[tuple]) -> None:
    conn.executemany(
        f"INSERT OR IGNORE INTO work_items ({', '.join(COLUMNS)})"
        f" VALUES ({', '.join('?' * len(COLUMNS))})",
        rows,
    )


def store(conn, children: Iterable[str] | None = None) -> int:
    """Make the stored items of ``children`` (None: everyone) equal to what they should be;
    returns how many rows differed (missing, changed or no longer current)."""
    if children is None:
        return _store_all(conn)
    children = list(children)
    fresh = items(conn, children)
    where = " WHERE child_id IN (SELECT value FROM json_each(:scope))"
    params = {"scope": json.dumps(children)}
    stored = _q(conn, f"SELECT {', '.join(COLUMNS)} FROM work_items{where}", params).fetchall()
    new, old = set(fresh), set(stored)
    differ = len(new - old) + len(old - new)
    if differ:
        conn.execute(f"DELETE FROM work_items{where}", params)
        _insert(conn, fresh)
    return differ


def _store_all(conn) -> int:
    """``store`` for everyone, in bounded memory: the items are made once, into a temporary
    table, and compared with the stored ones by a hash of each row (a national list has
    460,000); only if they differ are they copied over in the table's order (each row
    beside the last, the other indexes built afterwards from the whole table)."""
    columns = ", ".join(COLUMNS)
    empty = _q(conn, "SELECT 1 FROM work_items LIMIT 1").fetchone() is None
    fresh: dict[int, int] = {}

    def counted():
        for row in _items(conn):
            key = hash(row)
            fresh[key] = fresh.get(key, 0) + 1
            yield row

    conn.execute("DROP TABLE IF EXISTS temp.fresh_items")
    conn.execute("CREATE TEMP TABLE fresh_items AS SELECT * FROM work_items WHERE 0")
    conn.executemany(
        f"INSERT INTO temp.fresh_items ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})",
        counted(),
    )
    differ = 0
    if not empty:  # (an empty table, after an import into a new database: all differ)
        for row in _q(conn, f"SELECT {columns} FROM work_items"):
            key = hash(row)
            if fresh.get(key):
                fresh[key] -= 1
            else:
                differ += 1  # stored, no longer current
        differ += sum(fresh.values())  # missing or changed
    if differ or empty:
        conn.execute("DELETE FROM work_items")
        for name in INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute(
            f"INSERT OR IGNORE INTO work_items ({columns})"
            f" SELECT {columns} FROM temp.fresh_items ORDER BY 1, 2, 3, 4"
        )
        for statement in INDEXES.values():
            conn.execute(statement)
        if empty:
            differ = _q(conn, "SELECT COUNT(*) FROM temp.fresh_items").fetchone()[0]
    conn.execute("DROP TABLE temp.fresh_items")
    return differ


def rebuild(conn) -> None:
    """Every item again, from the stored dates and the records."""
    conn.execute("DELETE FROM work_items")
    _store_all(conn)


def install(conn) -> None:
    """Create (or re-create) the table, empty: the derived data's first computation fills
    it. Within a migration."""
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'work\\_items\\_%'"
        " ESCAPE '\\'"
    ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE IF EXISTS work_items")
    conn.execute(SCHEMA)
    for statement in INDEXES.values():
        conn.execute(statement)


# What a progress bar says while the table is rebuilt.
REBUILDING = "Storing the work list"


def drift(conn) -> tuple[int, int]:
    """How many stored items differ from the stored dates and records: (missing or
    wrong, stale)."""
    fresh = set(items(conn))
    stored = set(_q(conn, f"SELECT {', '.join(COLUMNS)} FROM work_items").fetchall())
    return len(fresh - stored), len(stored - fresh)
