"""The work list's two large kinds, kept ready to list as the records change.

Every open period's next review and every open step of a review (invitations, reports,
record …) is a row of ``work_items``: due date, child, rule, detail, name, IRO and team,
stored in the order of the list (due date, then child). At national scale these are
nine items in ten, and building each from four tables was most of the time ``due``
took; now the list reads them in order from one table.

SQL triggers on every table an item is made from (periods, reviews, review steps,
children, allocations) replace the items of a changed row in the same transaction, so
no write path can leave them stale, a direct SQL edit included. What depends on the day
the list is asked for is worked out when it is read (see ``worklist``): whether an item
is overdue, whether a booked review's date has passed (record the outcome), and whether
the child has turned 18 (``adult_on``).

Bulk writes (the demo, an import, recomputing every schedule) switch the triggers off
with ``deferred`` and rebuild the table once at the end. ``drift`` compares
the table with its definition; ``reviewcli check`` runs it and ``--repair`` rebuilds.

The triggers are installed by a migration from the definitions below. A change to what
an item holds therefore needs a new migration calling ``install`` (a test holds a hash
of the generated SQL to say so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The table's columns, in the order of its definition and of ``source``.
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

# Put between a booked review's detail and detail_end once its date has passed.
RECORD_OUTCOME = ": record the outcome (held, adjourned or cancelled)"

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

_KEY = "work-items"
_ON = f"(SELECT value FROM _context WHERE key = '{_KEY}') IS NOT 'off'"

_NAME = "c.first_name || ' ' || c.last_name"
_IRO = "LEFT JOIN allocations a ON a.child_id = {}.child_id AND a.end_date IS NULL"


def _rendered(source: str) -> str:
    """``source`` (the columns up to outcome_from) with the item's JSON and where to cut it,
    written by SQLite's json_object (so every value is escaped as in the other kinds)."""
    from .worklist import EXTRA_KEYS, ITEM_KEYS

    def obj(keys, detail="COALESCE(detail, '') || COALESCE(detail_end, '')") -> str:
        pairs = {"overdue": "0", "detail": detail}
        return "json_object(" + ", ".join(f"'{k}', {pairs.get(k, k)}" for k in keys) + ")"

    item = f"CASE kind WHEN 'review' THEN {obj((*ITEM_KEYS, *EXTRA_KEYS['review']))}"
    item += f" ELSE {obj(ITEM_KEYS)} END"
    # {"kind":…,"child_id":…,"due":…} less its "}", then ,"overdue": (10 more characters);
    # the object up to the detail, less the detail's closing quote and the "}".
    keys = list(ITEM_KEYS)
    head = obj(keys[: keys.index("overdue")])
    to_detail = obj(keys[: keys.index("detail") + 1], detail="COALESCE(detail, '')")
    return (
        f"SELECT {', '.join(COLUMNS[:-3])}, {item} AS json, length({head}) + 10 AS cut_overdue,"
        f" length({to_detail}) - 2 AS cut_outcome FROM ({source})"
    )


def _aliased(*exprs: str) -> str:
    return ", ".join(f"{e} AS {c}" for e, c in zip(exprs, COLUMNS[:-3], strict=True))


def review_source(scope: str = "1") -> str:
    """The review item of each open period of care matching ``scope`` (on ``p``)."""
    from . import rules
    from .worklist import _lit, _ordinal_sql

    detail = (
        f"{_ordinal_sql('p.next_number')} || ' review' || CASE"
        " WHEN r.id IS NULL THEN ' not yet booked'"
        " WHEN r.status = 'adjourned' THEN ' adjourned on ' || r.original_date"
        " || ', reconvenes ' || r.booked_date"
        " ELSE ' booked for ' || r.booked_date"
        " || CASE WHEN r.booked_time != '' THEN ' at ' || r.booked_time ELSE '' END"
        " || CASE WHEN r.booked_date > p.next_due THEN ', after the deadline' ELSE '' END END"
    )
    detail_end = (
        "CASE WHEN p.next_earliest != '' THEN '; not before ' || p.next_earliest ELSE '' END"
        f" || CASE WHEN p.next_rule = {_lit(rules.DIRECTION)}"
        " THEN ' (directed by the IRO)' ELSE '' END"
    )
    columns = _aliased(
        "p.next_due",
        "p.child_id",
        "'review'",
        "p.id",
        "r.id",
        "p.next_rule",
        detail,
        detail_end,
        _NAME,
        "a.iro_id",
        "c.team",
        "r.booked_date",
        "p.next_number",
        "date(c.dob, '+18 years')",
        "CASE WHEN r.status = 'booked' THEN r.booked_date END",
    )
    return _rendered(
        f"SELECT {columns} FROM periods p JOIN children c ON c.id = p.child_id "
        + _IRO.format("p")
        + " LEFT JOIN reviews r ON r.period_id = p.id AND r.status IN ('booked', 'adjourned')"
        f" WHERE p.end_date IS NULL AND p.next_due IS NOT NULL AND {scope}"
    )


def step_source(scope: str | None = None) -> str:
    """The item of each open step matching ``scope`` (on ``s``; None for all), but the
    manager's response, whose window closes by itself (the list reads those from their
    index)."""
    from .worklist import STEP_KINDS, _lit, step_detail_sql

    tasks = ", ".join(_lit(k) for k in STEP_KINDS if k != "manager-response")
    # All of them from the index of open steps (else SQLite reads every step by kind).
    steps = "review_steps s" if scope else "review_steps s INDEXED BY review_steps_open_child"
    columns = _aliased(
        "s.due",
        "s.child_id",
        "s.step",
        "s.id",
        "s.review_id",
        "s.rule",
        step_detail_sql(),
        "''",
        _NAME,
        "a.iro_id",
        "c.team",
        "NULL",
        "NULL",
        "NULL",
        "NULL",
    )
    return _rendered(
        f"SELECT {columns} FROM {steps} JOIN children c ON c.id = s.child_id"
        " JOIN reviews r ON r.id = s.review_id "
        + _IRO.format("s")
        + " WHERE s.status = 'open' AND s.step != 'manager-response'"
        f" AND s.step IN ({tasks}) AND {scope or 1}"
    )


def _insert(source: str) -> str:
    return f"INSERT INTO work_items ({', '.join(COLUMNS)}) {source};"


# The items of one period, of one review's steps, of one step and of one child. An
# update refreshes the row it was (``OLD``) only when its key changed, ``moved``.
def _period(ref: str, moved: str = "1") -> str:
    return f"DELETE FROM work_items WHERE seq = {ref} AND kind = 'review' AND {moved};" + _insert(
        review_source(f"p.id = {ref} AND {moved}")
    )


def _review_steps(ref: str, moved: str = "1") -> str:
    return (
        "DELETE FROM work_items WHERE kind != 'review' AND seq IN"
        f" (SELECT id FROM review_steps WHERE review_id = {ref}) AND {moved};"
        + _insert(step_source(f"s.review_id = {ref} AND {moved}"))
    )


def _step(ref: str, moved: str = "1") -> str:
    return f"DELETE FROM work_items WHERE seq = {ref} AND kind != 'review' AND {moved};" + _insert(
        step_source(f"s.id = {ref} AND {moved}")
    )


def _child(ref: str, moved: str = "1") -> str:
    return (
        f"DELETE FROM work_items WHERE child_id = {ref} AND {moved};"
        + _insert(review_source(f"p.child_id = {ref} AND {moved}"))
        + _insert(step_source(f"s.child_id = {ref} AND {moved}"))
    )


def _moved(column: str) -> str:
    return f"OLD.{column} IS NOT NEW.{column}"


def _triggers() -> dict[str, tuple[str, str]]:
    """Name: (event, body) of every trigger keeping the items up to date."""
    return {
        "periods_insert": ("AFTER INSERT ON periods", _period("NEW.id")),
        "periods_update": (
            "AFTER UPDATE OF id, child_id, end_date, next_due, next_number, next_rule,"
            " next_earliest ON periods",
            _period("OLD.id", _moved("id")) + _period("NEW.id"),
        ),
        "periods_delete": (
            "AFTER DELETE ON periods",
            "DELETE FROM work_items WHERE seq = OLD.id AND kind = 'review';",
        ),
        "reviews_insert": ("AFTER INSERT ON reviews", _period("NEW.period_id")),
        "reviews_update": (
            "AFTER UPDATE OF id, period_id, status, number, booked_date, booked_time,"
            " original_date, recording_date ON reviews",
            _period("OLD.period_id", _moved("period_id"))
            + _period("NEW.period_id")
            + _review_steps("OLD.id", _moved("id"))
            + _review_steps("NEW.id"),
        ),
        "reviews_delete": (
            "AFTER DELETE ON reviews",
            _period("OLD.period_id") + _review_steps("OLD.id"),
        ),
        "review_steps_insert": ("AFTER INSERT ON review_steps", _step("NEW.id")),
        "review_steps_update": (
            "AFTER UPDATE OF id, review_id, child_id, step, rule, due, status ON review_steps",
            _step("OLD.id", _moved("id")) + _step("NEW.id"),
        ),
        "review_steps_delete": (
            "AFTER DELETE ON review_steps",
            "DELETE FROM work_items WHERE seq = OLD.id AND kind != 'review';",
        ),
        "children_update": (
            "AFTER UPDATE OF id, first_name, last_name, dob, team ON children",
            _child("OLD.id", _moved("id")) + _child("NEW.id"),
        ),
        "children_delete": (
            "AFTER DELETE ON children",
            "DELETE FROM work_items WHERE child_id = OLD.id;",
        ),
        "allocations_insert": ("AFTER INSERT ON allocations", _child("NEW.child_id")),
        "allocations_update": (
            "AFTER UPDATE OF child_id, iro_id, end_date ON allocations",
            _child("OLD.child_id", _moved("child_id")) + _child("NEW.child_id"),
        ),
        "allocations_delete": ("AFTER DELETE ON allocations", _child("OLD.child_id")),
    }


def statements() -> list[str]:
    """The SQL creating the table's triggers, in order."""
    return [
        f"CREATE TRIGGER work_items_{name} {event} WHEN {_ON} BEGIN {body} END"
        for name, (event, body) in _triggers().items()
    ]


def definition_hash() -> str:
    """A hash of what the table holds and how it is kept (see the module's docstring)."""
    import hashlib

    text = "\n".join([SCHEMA, *INDEXES.values(), review_source(), step_source(), *statements()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def install(conn) -> None:
    """Create (or re-create) the table and its triggers, and fill it. Within a migration."""
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'work\\_items\\_%'"
        " ESCAPE '\\'"
    ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE IF EXISTS work_items")
    conn.execute(SCHEMA)
    for statement in INDEXES.values():
        conn.execute(statement)
    for statement in statements():
        conn.execute(statement)
    rebuild(conn)


def rebuild(conn) -> None:
    """Every item again, from the records (in one transaction with the caller's writes).

    The rows go in in the table's order, each beside the last, and the other indexes are
    built afterwards from the whole table: 4.5 s for 270,000 items, against 7 s row by row.
    """
    conn.execute("DELETE FROM work_items")
    for name in INDEXES:
        conn.execute(f"DROP INDEX {name}")
    for source in (review_source(), step_source()):
        conn.execute(_insert(f"{source} ORDER BY 1, 2, 3, 4").rstrip(";"))
    for statement in INDEXES.values():
        conn.execute(statement)


# What a progress bar says while the table is rebuilt (4.5 s at 100,000 children).
REBUILDING = "Storing the work list"


@contextmanager
def deferred(conn, status: Callable[[str], None] | None = None) -> Iterator[None]:
    """Within a write transaction: the triggers stand still while the block writes, and
    the table is rebuilt once at its end (millions of rows), if the block wrote anything
    (an import of unchanged files writes nothing). ``status(REBUILDING)`` is told first."""
    conn.execute("INSERT OR REPLACE INTO _context (key, value) VALUES (?, 'off')", [_KEY])
    before = conn.total_changes
    yield
    if conn.total_changes != before:
        if status:
            status(REBUILDING)
        rebuild(conn)
    conn.execute("DELETE FROM _context WHERE key = ?", [_KEY])


def drift(conn) -> tuple[int, int]:
    """How many stored items differ from the records: (missing or wrong, stale)."""
    stored = f"SELECT {', '.join(COLUMNS)} FROM work_items"
    source = f"SELECT * FROM ({review_source()} UNION ALL {step_source()})"
    missing = conn.execute(f"SELECT COUNT(*) FROM ({source} EXCEPT {stored})").fetchone()[0]
    stale = conn.execute(f"SELECT COUNT(*) FROM ({stored} EXCEPT {source})").fetchone()[0]
    return missing, stale
