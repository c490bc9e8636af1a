"""The store: opening, migrations from blank and from older files, privacy, transactions."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from reviewcli import migrations
from reviewcli.errors import ReviewError
from reviewcli.records import add_child, start_episode
from reviewcli.store import Store, resolve_path

FIXTURES = Path(__file__).parent / "fixtures"

# The schema a blank database must have after every migration: table -> columns.
EXPECTED = {
    "_migrations": ["name", "applied_at"],
    "policy": ["key", "value"],
    "iros": ["id", "name", "email", "phone", "fte", "team", "active", "created_at"],
    "children": [
        "id",
        "first_name",
        "last_name",
        "dob",
        "gender",
        "sibling_group",
        "social_worker",
        "team",
        "created_at",
        "parent_id",
        "ethnic",
        "upn",
        "mother",
        "mc_dob",
    ],
    "periods": [
        "id",
        "child_id",
        "start_date",
        "end_date",
        "reason_ceased",
        "next_number",
        "next_due",
        "next_rule",
        "next_earliest",
        "next_detail",
        "allocation_due",
        "pathway_due",
        "pathway_plan_received",
        "adult_on",
        "adoption_consent",
        "care_started",
        "earlier_reviews",
    ],
    "episodes": [
        "id",
        "period_id",
        "child_id",
        "start_date",
        "end_date",
        "rne",
        "legal_status",
        "placement",
        "reason_place_change",
        "local_reason",
        "reason_ceased",
        "cin",
        "place_provider",
        "home_post",
        "pl_post",
        "urn",
        "rpc_returned",
        "out_of_area",
    ],
    "allocations": [
        "id",
        "child_id",
        "iro_id",
        "start_date",
        "end_date",
        "reason",
        "sibling_reason",
    ],
    "directions": ["id", "child_id", "period_id", "made_on", "by_date", "reason", "reviews_before"],
    "reviews": [
        "id",
        "child_id",
        "period_id",
        "number",
        "deadline",
        "rule",
        "earliest",
        "status",
        "booked_date",
        "booked_time",
        "venue",
        "original_date",
        "recording_date",
        "held_date",
        "participation",
        "meeting",
        "late_reason",
        "reschedule_reason",
        "adjourn_reason",
        "cancel_reason",
        "direction_id",
        "created_at",
        "updated_at",
        "manager_response",
        "manager_disagreement",
        "no_iro_reason",
        "parent_participation",
    ],
    "review_changes": ["id", "review_id", "at", "action", "from_date", "to_date", "reason"],
    "review_steps": [
        "id",
        "review_id",
        "child_id",
        "step",
        "rule",
        "due",
        "status",
        "done_on",
        "late",
        "note",
    ],
    "decisions": [
        "id",
        "review_id",
        "child_id",
        "text",
        "owner",
        "due",
        "starred",
        "star_category",
        "status",
        "done_on",
        "cancel_reason",
        "forward_due",
        "forwarded_on",
        "created_at",
        "updated_at",
        "child_text",
    ],
    "decision_changes": ["id", "decision_id", "at", "action", "old_due", "new_due", "reason"],
    "events": [
        "id",
        "child_id",
        "period_id",
        "kind",
        "event_date",
        "recorded_on",
        "note",
        "requires_review",
        "decision",
        "decision_reason",
        "decided_on",
        "direction_id",
        "reviews_before",
        "decision_due",
        "created_at",
    ],
    "disputes": [
        "id",
        "child_id",
        "decision_id",
        "issue",
        "stage",
        "stage_started",
        "awaiting_response",
        "response_due",
        "opened_on",
        "total_due",
        "status",
        "outcome",
        "resolved_on",
        "cafcass_referred_on",
        "created_at",
        "theme",
        "result",
    ],
    "contacts": [
        "id",
        "child_id",
        "name",
        "role",
        "address",
        "email",
        "phone",
        "language",
        "format_notes",
        "no_full_record",
        "notes",
        "active",
        "created_at",
    ],
    "review_invitees": [
        "id",
        "review_id",
        "contact_id",
        "child_id",
        "invited",
        "wishes",
        "letter_sent_on",
    ],
    "short_break_ends": ["id", "child_id", "end_date", "reason", "created_at"],
    "_context": ["key", "value"],
    "audit_chain": ["id", "hash"],
    "audit_switches": ["id", "at", "user", "command"],
    "_dirty": ["child_id"],
    "_derived": ["key", "value"],
    "audit": [
        "id",
        "at",
        "user",
        "command",
        "table_name",
        "row_key",
        "child_id",
        "action",
        "before",
        "after",
    ],
    "dispute_log": ["id", "dispute_id", "on_date", "action", "stage", "note", "at"],
    "iro_contacts": [
        "id",
        "child_id",
        "period_id",
        "iro_id",
        "kind",
        "on_date",
        "note",
        "created_at",
    ],
    "letter_batches": [
        "id",
        "folder",
        "staging",
        "files",
        "reviews",
        "sent_on",
        "pid",
        "created_at",
        "finished_at",
        "missing",
    ],
    "work_items": [
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
    ],
}


def columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


def test_blank_database_has_the_expected_schema(tmp_path):
    with Store(tmp_path / "new.db", create=True) as s:
        assert columns(s.conn) == EXPECTED
        applied = [r[0] for r in s.conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert applied == [name for name, _ in migrations.MIGRATIONS]


def test_reopening_applies_nothing(tmp_path):
    Store(tmp_path / "a.db", create=True).close()
    with Store(tmp_path / "a.db") as s:
        assert s.applied_migrations == []


def test_foreign_keys_wal_and_busy_timeout_are_on(tmp_path):
    with Store(tmp_path / "a.db", create=True) as s:
        assert s.value("PRAGMA foreign_keys") == 1
        assert s.value("PRAGMA journal_mode") == "wal"
        assert s.value("PRAGMA busy_timeout") >= 5000


def _v1_copy(tmp_path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema-v1.db", path)
    path.chmod(0o600)
    return path


def test_upgrade_from_schema_v1_keeps_every_row(tmp_path):
    path = _v1_copy(tmp_path)
    before = sqlite3.connect(path)
    old = {
        t: before.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
        for t in ("children", "periods", "episodes", "reviews", "iros", "allocations", "policy")
    }
    old_cols = columns(before)
    before.close()
    with Store(path) as s:
        # Every migration after the first, in order (later ones too).
        assert s.applied_migrations[:6] == [
            "m002_review_process",
            "m003_audit_trail",
            "m004_contacts_and_invitees",
            "m005_step_indexes",
            "m006_work_list_indexes",
            "m007_work_items",
        ]
        assert s.applied_migrations == [name for name, _ in migrations.MIGRATIONS[1:]]
        assert columns(s.conn) == EXPECTED
        for table, rows in old.items():
            width = len(old_cols[table])
            now = [tuple(r)[:width] for r in s.conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
            if table == "periods":  # the materialised schedule is recomputed on upgrade
                now = [r[:5] for r in now]
                rows = [r[:5] for r in rows]
            assert now == [tuple(r) for r in rows], table
        # The recomputed schedule of the v1 child: third review directed by 2026-07-15.
        p = s.row("SELECT next_number, next_due, next_rule FROM periods WHERE child_id = 'C001'")
        assert p == {"next_number": 3, "next_due": "2026-07-15", "next_rule": "R-SCH-4"}
        assert s.policy_values["authority-name"] == "Example Council"
        # The work list's stored items are made from the upgraded records (m007).
        from reviewcli import workitems

        assert workitems.drift(s.conn) == (0, 0)
        assert s.value("SELECT COUNT(*) FROM work_items WHERE kind = 'review'") == s.value(
            "SELECT COUNT(*) FROM periods WHERE end_date IS NULL"
        )


def test_upgrade_is_all_or_nothing(tmp_path, monkeypatch):
    path = _v1_copy(tmp_path)

    def broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("simulated failure")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m999_broken", broken)])
    with pytest.raises(ReviewError, match="could not upgrade"):
        Store(path)
    conn = sqlite3.connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names
    assert "m999_broken" not in {r[0] for r in conn.execute("SELECT name FROM _migrations")}


def test_new_database_is_private_to_its_owner(tmp_path):
    Store(tmp_path / "p.db", create=True).close()
    assert stat.S_IMODE((tmp_path / "p.db").stat().st_mode) == 0o600


def test_a_database_others_can_read_gives_a_warning(tmp_path):
    Store(tmp_path / "p.db", create=True).close()
    (tmp_path / "p.db").chmod(0o644)
    with Store(tmp_path / "p.db") as s:
        assert any("chmod 600" in w for w in s.warnings)


def test_missing_database_is_an_error_not_a_new_file(tmp_path):
    with pytest.raises(ReviewError, match="reviewcli init"):
        Store(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite, just some notes" * 100)
    bad.chmod(0o600)
    with pytest.raises(ReviewError, match="not a database at all"):
        Store(bad)


def test_database_location(monkeypatch, tmp_path):
    monkeypatch.delenv("REVIEWCLI_DB", raising=False)
    assert resolve_path(None) == Path("reviews.db")
    monkeypatch.setenv("REVIEWCLI_DB", str(tmp_path / "env.db"))
    assert resolve_path(None) == tmp_path / "env.db"
    assert resolve_path(tmp_path / "flag.db") == tmp_path / "flag.db"


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with Store(tmp_path / "t.db", create=True) as s:
        add_child(s, "C1", first_name="A", last_name="B", dob="2015-01-01", today=date(2026, 7, 1))
        with pytest.raises(RuntimeError), s.write():
            s.conn.execute("UPDATE children SET last_name = 'Changed' WHERE id = 'C1'")
            raise RuntimeError("crash in the middle")
        assert s.value("SELECT last_name FROM children WHERE id = 'C1'") == "B"


def test_one_open_period_per_child_is_enforced_by_the_schema(tmp_path):
    with Store(tmp_path / "t.db", create=True) as s:
        add_child(s, "C1", first_name="A", last_name="B", dob="2015-01-01", today=date(2026, 7, 1))
        start_episode(
            s, "C1", on="2026-06-01", today=date(2026, 7, 1), legal_status="C2", placement="U6"
        )
        with pytest.raises(sqlite3.IntegrityError):
            s.conn.execute("INSERT INTO periods (child_id, start_date) VALUES ('C1', '2026-06-20')")
