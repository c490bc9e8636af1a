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
# Migrations after which the stored deadlines must be recomputed (they change what the
# schedule rules read).
REFRESH_AFTER = {"m002_review_process", "m009_corrected_rules", "m010_whole_return"}


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


@migration
def m002_review_process(db) -> None:
    """Steps around each review, decisions, significant events, disputes, R-IRO-3 links."""
    _run(
        db,
        """
ALTER TABLE children ADD COLUMN parent_id TEXT REFERENCES children(id);
ALTER TABLE allocations ADD COLUMN sibling_reason TEXT;
ALTER TABLE directions ADD COLUMN reviews_before INTEGER;
ALTER TABLE reviews ADD COLUMN manager_response TEXT;
ALTER TABLE reviews ADD COLUMN manager_disagreement TEXT;
CREATE TABLE review_steps (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    child_id TEXT NOT NULL REFERENCES children(id),
    step TEXT NOT NULL,
    rule TEXT NOT NULL,
    due TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'done', 'missed', 'cancelled')),
    done_on TEXT,
    late INTEGER,
    note TEXT,
    UNIQUE (review_id, step)
);
CREATE INDEX review_steps_open ON review_steps(due) WHERE status = 'open';
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    child_id TEXT NOT NULL REFERENCES children(id),
    text TEXT NOT NULL,
    owner TEXT NOT NULL,
    due TEXT NOT NULL,
    starred INTEGER NOT NULL DEFAULT 0,
    star_category TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    done_on TEXT,
    cancel_reason TEXT,
    forward_due TEXT,
    forwarded_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX decisions_open ON decisions(due) WHERE status = 'open';
CREATE INDEX decisions_review ON decisions(review_id);
CREATE INDEX decisions_child ON decisions(child_id);
CREATE INDEX decisions_forward ON decisions(forward_due)
    WHERE starred = 1 AND forwarded_on IS NULL AND status != 'cancelled';
CREATE TABLE decision_changes (
    id INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    old_due TEXT,
    new_due TEXT,
    reason TEXT
);
CREATE INDEX decision_changes_decision ON decision_changes(decision_id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    period_id INTEGER NOT NULL REFERENCES periods(id),
    kind TEXT NOT NULL,
    event_date TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    note TEXT,
    requires_review INTEGER NOT NULL DEFAULT 0,
    decision TEXT CHECK (decision IN ('review', 'no-review')),
    decision_reason TEXT,
    decided_on TEXT,
    direction_id INTEGER REFERENCES directions(id),
    reviews_before INTEGER NOT NULL DEFAULT 0,
    decision_due TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX events_child ON events(child_id);
CREATE INDEX events_open ON events(event_date) WHERE decision IS NULL OR requires_review = 1;
CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    decision_id INTEGER REFERENCES decisions(id),
    issue TEXT NOT NULL,
    stage INTEGER NOT NULL,
    stage_started TEXT NOT NULL,
    awaiting_response INTEGER NOT NULL DEFAULT 1,
    response_due TEXT,
    opened_on TEXT NOT NULL,
    total_due TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    outcome TEXT,
    resolved_on TEXT,
    cafcass_referred_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX disputes_open ON disputes(status, stage_started);
CREATE INDEX disputes_child ON disputes(child_id);
CREATE TABLE dispute_log (
    id INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL REFERENCES disputes(id),
    on_date TEXT NOT NULL,
    action TEXT NOT NULL,
    stage INTEGER,
    note TEXT,
    at TEXT NOT NULL
);
CREATE INDEX dispute_log_dispute ON dispute_log(dispute_id)
""",
    )


# --- the audit trail ------------------------------------------------------------------------

# Columns the tool derives (the materialised schedule): recomputed, not entered, so their
# changes are not audited.
DERIVED = {
    "periods": {
        "next_number",
        "next_due",
        "next_rule",
        "next_earliest",
        "next_detail",
        "allocation_due",
        "pathway_due",
        "adult_on",
    },
    "reviews": {"number", "deadline", "rule", "earliest"},
    "review_steps": {"due", "rule"},
}
# Rows the tool creates itself (each review's steps): only their changes are audited.
NO_INSERT_AUDIT = {"review_steps"}
# Writes are audited unless the running command switched it off (the fictional demo).
AUDIT_ON = "(SELECT value FROM _context WHERE key = 'audit') IS NOT 'off'"
# Where a row's child is found, for tables without a child_id column.
CHILD_OF = {
    "children": "NEW.id",
    "review_changes": "(SELECT child_id FROM reviews WHERE id = NEW.review_id)",
    "decision_changes": "(SELECT child_id FROM decisions WHERE id = NEW.decision_id)",
    "dispute_log": "(SELECT child_id FROM disputes WHERE id = NEW.dispute_id)",
}
NOT_AUDITED = {
    "_migrations",
    "_context",
    "audit",
    "audit_chain",
    "audit_switches",
    "work_items",
    "_dirty",
    "_derived",
}


def install_audit_triggers(db) -> None:
    """(Re)create the audit triggers of every table, from its current columns.

    Run by every migration that adds a table or a column, so the trail stays complete.
    """
    triggers = audit_trigger_sql(db)
    for prefix in {name.rsplit("_", 1)[0] for name in triggers}:  # audit_<table>
        for action in ("insert", "update", "delete"):
            db.execute(f"DROP TRIGGER IF EXISTS {prefix}_{action}")
    for sql in triggers.values():
        db.execute(sql)


def audit_trigger_sql(db) -> dict[str, str]:
    """The audit triggers of every audited table as this release creates them: name -> SQL
    (``check`` compares them with the database's)."""
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        if r[0] not in NOT_AUDITED
    ]
    triggers: dict[str, str] = {}
    for table in tables:
        info = db.execute(f"PRAGMA table_info({table})").fetchall()
        cols = [r[1] for r in info]
        pk = next((r[1] for r in info if r[5]), "rowid")
        tracked = [c for c in cols if c not in DERIVED.get(table, set())]
        child = "NEW.child_id" if "child_id" in cols else CHILD_OF.get(table, "NULL")

        def obj(prefix: str, tracked=tracked) -> str:
            return "json_object(" + ", ".join(f"'{c}', {prefix}.{c}" for c in tracked) + ")"

        def insert(action, ref, before, after, table=table, pk=pk, child=child) -> str:
            who = "(SELECT value FROM _context WHERE key = '{}')"
            return (
                "INSERT INTO audit (at, user, command, table_name, row_key, child_id, action, "
                "before, after) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
                f"{who.format('user')}, {who.format('command')}, '{table}', {ref}.{pk}, "
                f"{child.replace('NEW.', ref + '.')}, '{action}', {before}, {after});"
            )

        if table not in NO_INSERT_AUDIT:
            triggers[f"audit_{table}_insert"] = (
                f"CREATE TRIGGER audit_{table}_insert AFTER INSERT ON {table} WHEN {AUDIT_ON} "
                "BEGIN " + insert("insert", "NEW", "NULL", obj("NEW")) + " END"
            )
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in tracked)
        triggers[f"audit_{table}_update"] = (
            f"CREATE TRIGGER audit_{table}_update AFTER UPDATE ON {table} "
            f"WHEN ({changed}) AND {AUDIT_ON} BEGIN "
            + insert("update", "NEW", obj("OLD"), obj("NEW"))
            + " END"
        )
        triggers[f"audit_{table}_delete"] = (
            f"CREATE TRIGGER audit_{table}_delete AFTER DELETE ON {table} WHEN {AUDIT_ON} BEGIN "
            + insert("delete", "OLD", obj("OLD"), "NULL")
            + " END"
        )
    return triggers


@migration
def m003_audit_trail(db) -> None:
    """An append-only audit trail of every write: when, who, which command, before/after."""
    _run(
        db,
        """
CREATE TABLE _context (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user TEXT,
    command TEXT,
    table_name TEXT NOT NULL,
    row_key TEXT,
    child_id TEXT,
    action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    before TEXT,
    after TEXT
);
CREATE INDEX audit_child ON audit(child_id, id);
CREATE INDEX audit_at ON audit(at);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END
""",
    )
    install_audit_triggers(db)


@migration
def m004_contacts_and_invitees(db) -> None:
    """Each child's contacts, and who is invited to each review (letters)."""
    _run(
        db,
        """
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    address TEXT,
    email TEXT,
    phone TEXT,
    language TEXT,
    format_notes TEXT,
    no_full_record INTEGER NOT NULL DEFAULT 0,
    notes TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE INDEX contacts_child ON contacts(child_id);
CREATE TABLE review_invitees (
    id INTEGER PRIMARY KEY,
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    contact_id INTEGER REFERENCES contacts(id),
    child_id TEXT NOT NULL REFERENCES children(id),
    invited INTEGER NOT NULL DEFAULT 1,
    wishes TEXT,
    letter_sent_on TEXT,
    UNIQUE (review_id, contact_id)
);
CREATE INDEX review_invitees_review ON review_invitees(review_id)
""",
    )
    install_audit_triggers(db)


@migration
def m005_step_indexes(db) -> None:
    """Index steps for the work list and the monthly report.

    Open steps are indexed apart from the manager's response, whose window closes by itself.

    A manager's response left unanswered is deemed agreed once its window passes (R-POST-3)
    but its row stays open; the work list must not scan every such row on each run.
    """
    _run(
        db,
        """
DROP INDEX IF EXISTS review_steps_open;
CREATE INDEX review_steps_open_tasks ON review_steps(due)
    WHERE status = 'open' AND step != 'manager-response';
CREATE INDEX review_steps_open_responses ON review_steps(due)
    WHERE status = 'open' AND step = 'manager-response';
CREATE INDEX review_steps_step_due ON review_steps(step, due)
""",
    )


@migration
def m006_work_list_indexes(db) -> None:
    """Indexes for the work list, so ``due`` reads open rows only at national scale.

    Open periods by child (with ``end_date`` in the key, so a scan of open periods needs
    only the index) and current allocations by child find the children with no IRO; open
    periods by pathway-plan date find those approaching or past 18; the open steps index
    carries what the list shows, so the steps table itself is not read. Open periods, steps
    and decisions by child let the whole list be read child by child: each child's, IRO's
    and review's row is then looked up next to the last one, several times faster than in
    date order at national scale. Reviews by deadline serve the monthly report.
    """
    _run(
        db,
        """
CREATE INDEX periods_open_child ON periods(end_date, child_id, next_due) WHERE end_date IS NULL;
CREATE INDEX periods_open_pathway ON periods(pathway_due) WHERE end_date IS NULL;
CREATE INDEX allocations_open_child ON allocations(end_date, child_id, iro_id)
    WHERE end_date IS NULL;
DROP INDEX review_steps_open_tasks;
CREATE INDEX review_steps_open_tasks ON review_steps(due, step, status, child_id, review_id, rule)
    WHERE status = 'open' AND step != 'manager-response';
CREATE INDEX review_steps_open_child ON review_steps(child_id, due, step, status, review_id, rule)
    WHERE status = 'open' AND step != 'manager-response';
CREATE INDEX decisions_open_child ON decisions(child_id, due) WHERE status = 'open';
CREATE INDEX reviews_deadline ON reviews(deadline)
""",
    )


@migration
def m007_work_items(db) -> None:
    """The work list's reviews and steps, stored in its order and kept up to date by
    triggers (see ``workitems``): ``due`` reads them instead of joining four tables for
    each item."""
    from . import workitems

    workitems.install(db)


@migration
def m008_derived_data(db) -> None:
    """Derived dates apart from the facts (see ``derived``): the work list's triggers, which
    wrote its wording and JSON in SQL, give way to triggers that only mark the children a
    write touched (``_dirty``); Python derives their dates and items before the write
    commits. ``_derived`` holds the stamp of what the derived rows were computed from; the
    first open after this migration computes them all."""
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'work\\_items\\_%'"
        " ESCAPE '\\'"
    ).fetchall():
        db.execute(f"DROP TRIGGER {name}")
    db.execute("CREATE TABLE _dirty (child_id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("CREATE TABLE _derived (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # The 18th birthday of the child of each period (R-SCH-11, R-SCH-16), derived once
    # rather than worked out in the work list's SQL.
    db.execute("ALTER TABLE periods ADD COLUMN adult_on TEXT")
    # A child's open steps, every kind, for deriving one child's dates.
    db.execute(
        "CREATE INDEX review_steps_open_by_child ON review_steps(child_id) WHERE status = 'open'"
    )
    # Table: (its child's column, the columns whose update marks it: None for all). The
    # derived columns are left out, so the derivation's own writes mark nothing again.
    marked = {
        "periods": ("child_id", "child_id, start_date, end_date"),
        "episodes": ("child_id", None),
        "reviews": (
            "child_id",
            "child_id, period_id, status, booked_date, booked_time, original_date,"
            " recording_date, held_date, meeting, number",
        ),
        "review_steps": ("child_id", "review_id, child_id, step, status, done_on"),
        "directions": ("child_id", None),
        "allocations": ("child_id", None),
        "children": ("id", None),
    }
    for table, (column, columns) in marked.items():
        mark_children(db, table, column, columns)


def mark_children(db, table: str, column: str, columns: str | None) -> None:
    """(Re)create the triggers by which a write to ``table`` marks its child (``column``)
    for the derivation before commit; an update marks only when one of ``columns`` (a
    comma-separated list; None for any) changed, so derived columns are left out."""
    # Not while a bulk write into an empty database marks nobody (every child is derived
    # at its end).
    everyone = "(SELECT 1 FROM _context WHERE key = 'derive-everyone') IS NULL"
    # Not INSERT OR IGNORE: the conflict clause of the statement that fired the trigger
    # (an upsert, INSERT OR REPLACE) would override it.
    mark = (
        f"INSERT INTO _dirty (child_id) SELECT {{0}}.{column} WHERE NOT EXISTS"
        f" (SELECT 1 FROM _dirty WHERE child_id = {{0}}.{column});"
    )
    for event, rows in (
        ("INSERT", ("NEW",)),
        ("UPDATE", ("OLD", "NEW")),
        ("DELETE", ("OLD",)),
    ):
        body = " ".join(mark.format(r) for r in rows)
        of = f" OF {columns}" if event == "UPDATE" and columns else ""
        db.execute(f"DROP TRIGGER IF EXISTS dirty_{table}_{event.lower()}")
        db.execute(
            f"CREATE TRIGGER dirty_{table}_{event.lower()} AFTER {event}{of} ON {table}"
            f" WHEN {everyone} BEGIN {body} END"
        )


@migration
def m009_corrected_rules(db) -> None:
    """Facts the corrected rules read (DOMAIN.md, corrected): the parents' formal consent
    to placement for adoption (R-SCH-6), the reason a review was recorded with no named
    IRO (R-IRO-2), and the end of a short-break arrangement (R-SCH-5). The R-EVT-2 kind
    for supported accommodation (K3) replaces "unregulated semi-independent", and the
    IRO's conversation with the social worker (R-PRE-4) is a Handbook duty with a number
    of working days, no longer an on/off setting."""
    _run(
        db,
        """
ALTER TABLE periods ADD COLUMN adoption_consent TEXT;
ALTER TABLE reviews ADD COLUMN no_iro_reason TEXT;
CREATE TABLE short_break_ends (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    end_date TEXT NOT NULL,
    reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX short_break_ends_child ON short_break_ends(child_id, end_date);
UPDATE events SET kind = 'supported-accommodation' WHERE kind = 'unregulated-accommodation';
DELETE FROM policy WHERE key = 'social-worker-conversation' AND value IN ('true', 'false')
""",
    )
    install_audit_triggers(db)


@migration
def m010_whole_return(db) -> None:
    """Every field of the SSDA903 return kept as it came (codes.md), and what the admin
    knows of care before the earliest return (a *continuing* period, DOMAIN.md R-SCH-3)."""
    _run(
        db,
        """
ALTER TABLE children ADD COLUMN ethnic TEXT;
ALTER TABLE children ADD COLUMN upn TEXT;
ALTER TABLE children ADD COLUMN mother TEXT;
ALTER TABLE children ADD COLUMN mc_dob TEXT;
ALTER TABLE episodes ADD COLUMN cin TEXT;
ALTER TABLE episodes ADD COLUMN place_provider TEXT;
ALTER TABLE episodes ADD COLUMN home_post TEXT;
ALTER TABLE episodes ADD COLUMN pl_post TEXT;
ALTER TABLE episodes ADD COLUMN urn TEXT;
ALTER TABLE episodes ADD COLUMN rpc_returned TEXT;
ALTER TABLE periods ADD COLUMN care_started TEXT;
ALTER TABLE periods ADD COLUMN earlier_reviews INTEGER
""",
    )
    # The first review held in a continuing period (its first episode not RNE S) was judged
    # against R-SCH-1 from the earliest episode held: it has no deadline the records can
    # tell, so it is not judged (nor "out of time" for a reason the import made up).
    db.execute(
        "UPDATE reviews SET deadline = NULL, rule = NULL, late_reason = CASE WHEN "
        "late_reason = 'out of time; the reason is not held in the SSDA903 return' THEN NULL "
        "ELSE late_reason END WHERE status = 'held' AND number = 1 AND period_id IN ("
        "SELECT p.id FROM periods p WHERE (SELECT e.rne FROM episodes e WHERE e.period_id = "
        "p.id ORDER BY e.start_date, e.id LIMIT 1) != 'S')"
    )
    install_audit_triggers(db)


@migration
def m011_audit_chain(db) -> None:
    """The audit trail made tamper-evident: a hash chain over its rows (``audit_chain``,
    append-only), and a switch-off of the audit recorded in the trail itself. The audit
    triggers are recreated so every table's match the text ``check`` expects."""
    from . import auditchain

    install_audit_triggers(db)
    auditchain.install(db)


@migration
def m012_allocations_by_iro(db) -> None:
    """Allocations by IRO, ended ones included: ``due --iro`` keeps what is still open for
    a child whose care ended with that IRO (actions, disputes, events) without reading
    every allocation."""
    _run(db, "CREATE INDEX allocations_iro ON allocations(iro_id, child_id)")


@migration
def m013_decision_child_text(db) -> None:
    """A decision's child-friendly sentence, given by the IRO when recording it: the
    child's decisions letter uses it instead of the adult wording."""
    db.execute("ALTER TABLE decisions ADD COLUMN child_text TEXT")
    install_audit_triggers(db)


@migration
def m014_annual_report_facts(db) -> None:
    """What the IRO service's annual report counts (IRO Handbook 7.11) and no other record
    holds: parents' participation at each review, the IRO's contacts with the child between
    reviews, the theme and result of each dispute, why a child's IRO changed (the unused
    ``allocations.reason``), and whether a placement is outside the authority's area."""
    _run(
        db,
        """
ALTER TABLE reviews ADD COLUMN parent_participation TEXT;
ALTER TABLE disputes ADD COLUMN theme TEXT;
ALTER TABLE disputes ADD COLUMN result TEXT;
ALTER TABLE episodes ADD COLUMN out_of_area INTEGER;
CREATE TABLE iro_contacts (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children(id),
    period_id INTEGER NOT NULL REFERENCES periods(id),
    iro_id TEXT REFERENCES iros(id),
    kind TEXT NOT NULL CHECK (kind IN ('visit', 'call', 'midway-review')),
    on_date TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX iro_contacts_date ON iro_contacts(on_date);
CREATE INDEX iro_contacts_child ON iro_contacts(child_id, on_date)
""",
    )
    install_audit_triggers(db)


@migration
def m016_derived_from_new_facts(db) -> None:
    """Facts added since the derived data was set apart that the rules read mark their
    child for the derivation too: the parents' consent to adoption (R-SCH-6), the end of a
    short-break arrangement (R-SCH-5), and what the admin recorded of care before the
    earliest SSDA903 return (a continuing period, R-SCH-3)."""
    mark_children(
        db,
        "periods",
        "child_id",
        "child_id, start_date, end_date, adoption_consent, care_started, earlier_reviews",
    )
    mark_children(db, "short_break_ends", "child_id", None)


@migration
def m018_letter_batches(db) -> None:
    """Each batch of letters marked sent: the output folder, the private folder the
    letters wait in until the transaction marking them sent has committed, and the file
    names, so the next run finishes a batch a killed run left (see ``batches``)."""
    _run(
        db,
        """
CREATE TABLE letter_batches (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    staging TEXT NOT NULL,
    files TEXT NOT NULL,
    reviews TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    pid INTEGER,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    missing TEXT
);
CREATE INDEX letter_batches_pending ON letter_batches(finished_at)
""",
    )
    install_audit_triggers(db)


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
            # The release that wrote the database: a newer one's is refused (dbfile).
            version = db.execute("PRAGMA user_version").fetchone()[0]
            db.execute(f"PRAGMA user_version = {max(version, len(MIGRATIONS))}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        ran.append(name)
    return ran
