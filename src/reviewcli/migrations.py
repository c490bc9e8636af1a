"""Ordered, named schema migrations, applied whenever the database is opened.

Each migration is a function that receives the ``sqlite_utils.Database`` inside one
transaction, together with the row recording it in ``_migrations``: either it all
applies or none of it does. Migrations never drop user data. Add new ones at the end
of ``MIGRATIONS``; never edit or reorder one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

MIGRATIONS: list[tuple[str, Callable]] = []


def migration(fn: Callable) -> Callable:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _run(db, script: str) -> None:
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_initial(db) -> None:
    _run(
        db,
        """
CREATE TABLE policy (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE iros (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    fte REAL NOT NULL DEFAULT 1.0 CHECK (fte > 0 AND fte <= 1.5),
    team TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE children (
    id TEXT PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    dob TEXT NOT NULL,
    gender TEXT,
    sibling_group TEXT,
    social_worker TEXT,
    team TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX children_team ON children(team);
CREATE INDEX children_sibling_group ON children(sibling_group);
CREATE TABLE periods (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    reason_ceased TEXT,
    next_number INTEGER,
    next_due TEXT,
    next_rule TEXT,
    next_earliest TEXT,
    next_detail TEXT,
    allocation_due TEXT,
    pathway_due TEXT,
    pathway_plan_received TEXT,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX periods_child ON periods(child_id, start_date);
CREATE UNIQUE INDEX periods_one_open ON periods(child_id) WHERE end_date IS NULL;
CREATE INDEX periods_open_due ON periods(next_due) WHERE end_date IS NULL;
CREATE TABLE episodes (
    id INTEGER PRIMARY KEY,
    period_id INTEGER NOT NULL REFERENCES periods(id),
    child_id TEXT NOT NULL REFERENCES children(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    rne TEXT NOT NULL,
    legal_status TEXT,
    placement TEXT,
    reason_place_change TEXT,
    local_reason TEXT,
    reason_ceased TEXT
);
CREATE INDEX episodes_period ON episodes(period_id, start_date);
CREATE INDEX episodes_child ON episodes(child_id, start_date);
CREATE TABLE allocations (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    iro_id TEXT NOT NULL REFERENCES iros(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    reason TEXT
);
CREATE INDEX allocations_child ON allocations(child_id, start_date);
CREATE INDEX allocations_current_iro ON allocations(iro_id) WHERE end_date IS NULL;
CREATE UNIQUE INDEX allocations_one_current ON allocations(child_id) WHERE end_date IS NULL;
CREATE TABLE directions (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    period_id INTEGER NOT NULL REFERENCES periods(id),
    made_on TEXT NOT NULL,
    by_date TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX directions_period ON directions(period_id);
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    period_id INTEGER NOT NULL REFERENCES periods(id),
    number INTEGER,
    deadline TEXT,
    rule TEXT,
    earliest TEXT,
    status TEXT NOT NULL CHECK (status IN ('booked', 'adjourned', 'held', 'cancelled')),
    booked_date TEXT,
    booked_time TEXT,
    venue TEXT,
    original_date TEXT,
    recording_date TEXT,
    held_date TEXT,
    participation TEXT,
    meeting INTEGER NOT NULL DEFAULT 1,
    late_reason TEXT,
    reschedule_reason TEXT,
    adjourn_reason TEXT,
    cancel_reason TEXT,
    direction_id INTEGER REFERENCES directions(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX reviews_period ON reviews(period_id, status);
CREATE INDEX reviews_child ON reviews(child_id);
CREATE INDEX reviews_recording ON reviews(recording_date) WHERE status = 'held';
CREATE UNIQUE INDEX reviews_one_pending ON reviews(period_id)
    WHERE status IN ('booked', 'adjourned');
CREATE TABLE review_changes (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    from_date TEXT,
    to_date TEXT,
    reason TEXT
);
CREATE INDEX review_changes_review ON review_changes(review_id)
""",
    )


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def applied(db) -> set[str]:
    if "_migrations" not in db.table_names():
        return set()
    return {row["name"] for row in db.query("SELECT name FROM _migrations")}


def pending(db) -> list[str]:
    done = applied(db)
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(db) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = applied(db)
    ran = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have applied it while we waited for the lock.
            if db.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone():
                db.execute("COMMIT")
                continue
            fn(db)
            db.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now_iso()]
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        ran.append(name)
    return ran
