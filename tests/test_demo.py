"""Tests of the demo authority (``reviewcli demo``, ``reviewcli.demo.build``).

The demo is built by replaying each child's history through the validated operations of
``records``, so these tests check what the demo is for: it is deterministic, it covers
every regime and stage of DOMAIN.md §2, its data obey the rules (participation by age,
on-time rate, IRO caseloads, siblings sharing an IRO), and on its "today" the work list
has the items an admin meets on a real morning.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from reviewcli.calendar import age_on
from reviewcli.demo import build
from reviewcli.store import Store
from reviewcli.worklist import STEP_KINDS, due_items

TODAY = date(2026, 3, 16)  # a Monday
CHILDREN = 220

# Columns stamped from the clock by ``records`` (audit fields), not part of the demo.
CLOCK_COLUMNS = {"created_at", "updated_at", "at"}
DUMPED = (
    "iros",
    "children",
    "periods",
    "episodes",
    "allocations",
    "directions",
    "reviews",
    "review_changes",
    "review_steps",
)


def make(path, *, children=CHILDREN, seed=1, today=TODAY, progress=None):
    store = Store(path, create=True)
    summary = build(store, children=children, seed=seed, today=today, progress=progress)
    return store, summary


def dump(store: Store) -> dict[str, list[tuple]]:
    out = {}
    for table in DUMPED:
        rows = store.rows(f"SELECT * FROM {table} ORDER BY rowid")
        out[table] = [tuple((k, v) for k, v in r.items() if k not in CLOCK_COLUMNS) for r in rows]
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    progress: list[tuple[int, int]] = []
    store, summary = make(
        tmp_path_factory.mktemp("demo") / "demo.db", progress=lambda d, t: progress.append((d, t))
    )
    yield store, summary, progress
    store.close()


def rows(store, sql, params=()):
    return store.rows(sql, params)


def value(store, sql, params=()):
    return store.value(sql, params)


# --- determinism ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Seed 7 twice and seed 8 once, on a "today" across the Christmas bank holidays."""
    folder = tmp_path_factory.mktemp("seeds")
    today = date(2025, 12, 24)
    out = {}
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        store, _ = make(folder / f"{name}.db", children=60, seed=seed, today=today)
        out[name] = dump(store)
        store.close()
    return out


def test_same_seed_gives_the_same_database(builds):
    assert builds["a"]["reviews"], "the demo has reviews"
    for table in DUMPED:
        assert builds["a"][table] == builds["b"][table], table


def test_a_different_seed_gives_a_different_database(builds):
    assert builds["a"]["children"] != builds["c"]["children"]
    assert builds["a"]["reviews"] != builds["c"]["reviews"]


def test_build_writes_nothing_dated_after_today(demo):
    store, _, _ = demo
    t = TODAY.isoformat()
    assert value(store, "SELECT MAX(start_date) FROM periods") <= t
    assert value(store, "SELECT MAX(end_date) FROM periods") <= t
    assert value(store, "SELECT MAX(start_date) FROM episodes") <= t
    assert value(store, "SELECT MAX(recording_date) FROM reviews") < t
    assert value(store, "SELECT MAX(held_date) FROM reviews") < t
    assert value(store, "SELECT MAX(done_on) FROM review_steps") <= t
    assert value(store, "SELECT MAX(made_on) FROM directions") <= t


# --- the summary -----------------------------------------------------------------------------


def test_counts_returned_match_the_tables(demo):
    store, summary, _ = demo
    assert summary == {
        "children": value(store, "SELECT COUNT(*) FROM children"),
        "iros": value(store, "SELECT COUNT(*) FROM iros"),
        "looked_after": value(store, "SELECT COUNT(*) FROM periods WHERE end_date IS NULL"),
        "reviews": value(store, "SELECT COUNT(*) FROM reviews"),
    }
    assert summary["children"] == CHILDREN


def test_progress_is_reported_after_each_child(demo):
    _, _, progress = demo
    assert len(progress) == CHILDREN
    assert progress[-1] == (CHILDREN, CHILDREN)
    assert [done for done, _ in progress] == list(range(1, CHILDREN + 1))


def test_ids_and_names(demo):
    store, _, _ = demo
    ids = [r["id"] for r in rows(store, "SELECT id FROM children ORDER BY id")]
    assert ids == [f"C{n:05d}" for n in range(1, CHILDREN + 1)]
    iros = rows(store, "SELECT * FROM iros ORDER BY CAST(SUBSTR(id, 4) AS INTEGER)")
    assert [i["id"] for i in iros] == [f"IRO{n}" for n in range(1, len(iros) + 1)]
    assert all(i["name"] and i["team"] and i["email"] for i in iros)
    assert {i["fte"] for i in iros} <= {1.0, 0.8, 0.6}
    kids = rows(store, "SELECT * FROM children")
    assert all(k["first_name"] and k["last_name"] and k["social_worker"] for k in kids)
    assert len({k["last_name"] for k in kids}) > 40, "varied surnames"


def test_not_looked_after_is_about_one_child_in_eight(demo):
    store, summary, _ = demo
    share = 1 - summary["looked_after"] / summary["children"]
    assert 0.07 <= share <= 0.2


# --- every regime and stage of DOMAIN.md §2 --------------------------------------------------


def count(store, sql, params=()):
    return value(store, f"SELECT COUNT(*) FROM ({sql})", params)


def test_every_regime_appears(demo):
    store, _, _ = demo
    episode = "SELECT * FROM episodes WHERE {}"
    # R-SCH-5 short breaks, both kinds.
    assert count(store, episode.format("legal_status = 'V3'"))
    assert count(store, episode.format("legal_status = 'V4'"))
    # R-SCH-6 authorised for adoption: placement order and freeing order.
    assert count(store, episode.format("legal_status = 'E1'"))
    assert count(store, episode.format("legal_status = 'D1'"))
    # R-SCH-7 placed for adoption (with consent and with a placement order).
    assert count(store, episode.format("placement IN ('A3', 'A4')"))
    assert count(store, episode.format("placement IN ('A5', 'A6')"))
    # R-SCH-12 designated long-term foster placements, held for over a year.
    assert count(
        store,
        episode.format(
            "placement IN ('U1', 'U4') AND COALESCE(end_date, ?) > date(start_date, '+1 year')"
        ),
        [TODAY.isoformat()],
    )
    # R-SCH-8 an adoption disruption: a placement for adoption followed by another placement.
    assert count(
        store,
        "SELECT 1 FROM episodes a JOIN episodes b ON b.period_id = a.period_id "
        "AND b.start_date = a.end_date AND b.id > a.id "
        "WHERE a.placement IN ('A3','A4','A5','A6') AND b.placement NOT IN ('A3','A4','A5','A6')",
    )
    # The ordinary sequence and its legal statuses.
    for ls in ("C1", "C2", "V2", "L2"):
        assert count(store, episode.format("legal_status = ?"), [ls]), ls
    # Every rule that sets a deadline shows up on some review.
    rules = {r["rule"] for r in rows(store, "SELECT DISTINCT rule FROM reviews")}
    for rule in ("R-SCH-1", "R-SCH-2", "R-SCH-3", "R-SCH-4", "R-SCH-5", "R-SCH-6", "R-SCH-7"):
        assert rule in rules, rule


def test_every_stage_of_a_review_appears(demo):
    store, _, _ = demo
    review = "SELECT * FROM reviews WHERE {}"
    assert count(store, review.format("status = 'held' AND recording_date <= deadline"))
    # R-SCH-15: held out of time, with the reason recorded.
    late = rows(store, review.format("status = 'held' AND recording_date > deadline"))
    assert late and all(r["late_reason"] for r in late)
    assert len({r["late_reason"] for r in late}) >= 4
    # R-SCH-14: adjourned, some held after reconvening, one waiting to reconvene.
    assert count(store, review.format("status = 'held' AND original_date IS NOT NULL"))
    assert count(store, review.format("status = 'adjourned'"))
    # R-SCH-13: rearranged (some past the deadline, with the exceptional reason).
    assert count(store, "SELECT 1 FROM review_changes WHERE action = 'reschedule'")
    assert count(store, review.format("reschedule_reason IS NOT NULL"))
    assert count(store, review.format("status = 'cancelled' AND cancel_reason IS NOT NULL"))
    # R-SCH-11: a review booked after the end of care was cancelled with the end.
    assert count(store, "SELECT 1 FROM periods WHERE end_date IS NOT NULL")
    # R-SCH-4: IRO directions.
    assert count(store, "SELECT 1 FROM directions")
    # R-SCH-12: reviews without a meeting.
    assert count(store, review.format("meeting = 0"))
    # Booked reviews still to come.
    assert count(store, review.format("status = 'booked' AND booked_date > ?"), [TODAY.isoformat()])


def test_periods_of_care_come_in_every_shape(demo):
    store, _, _ = demo
    # Left care and came back: two periods of care.
    assert count(store, "SELECT child_id FROM periods GROUP BY child_id HAVING COUNT(*) > 1")
    # Ended for varied reasons, adoption among them.
    reasons = {r["reason_ceased"] for r in rows(store, "SELECT reason_ceased FROM periods")}
    assert len(reasons - {None}) >= 5
    assert reasons & {"E11", "E12"}
    # Newly looked after: first review not yet booked.
    assert count(
        store,
        "SELECT 1 FROM periods p WHERE p.end_date IS NULL AND p.next_number = 1 AND NOT EXISTS "
        "(SELECT 1 FROM reviews r WHERE r.period_id = p.id)",
    )
    # First review booked but not yet held.
    assert count(
        store,
        "SELECT 1 FROM reviews WHERE number = 1 AND status = 'booked' AND booked_date >= ?",
        [TODAY.isoformat()],
    )


def test_changes_of_placement_carry_a_reason(demo):
    store, _, _ = demo
    moves = rows(store, "SELECT * FROM episodes WHERE rne IN ('P', 'T', 'B', 'U')")
    assert moves and all(m["reason_place_change"] for m in moves)


# --- the data obey the rules ----------------------------------------------------------------


def test_participation_matches_the_age_at_the_review(demo):
    store, _, _ = demo
    held = rows(
        store,
        "SELECT r.participation, r.recording_date, c.dob FROM reviews r "
        "JOIN children c ON c.id = r.child_id WHERE r.status = 'held'",
    )
    assert held
    codes = {"PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"}
    for r in held:
        assert r["participation"] in codes
        age = age_on(date.fromisoformat(r["dob"]), date.fromisoformat(r["recording_date"]))
        assert (r["participation"] == "PN0") == (age < 4), r
    seen = {r["participation"] for r in held}
    assert seen == codes
    older = [r["participation"] for r in held if r["participation"] != "PN0"]
    assert max(set(older), key=older.count) == "PN1"


def test_most_reviews_are_held_on_time(demo):
    store, _, _ = demo
    held = value(store, "SELECT COUNT(*) FROM reviews WHERE status = 'held'")
    on_time = value(
        store, "SELECT COUNT(*) FROM reviews WHERE status = 'held' AND recording_date <= deadline"
    )
    assert 0.8 <= on_time / held <= 0.95


def test_reviews_are_booked_on_working_days_at_set_times(demo):
    store, _, _ = demo
    cal = store.calendar
    booked = rows(store, "SELECT booked_date, booked_time, venue FROM reviews")
    assert all(cal.is_working_day(date.fromisoformat(r["booked_date"])) for r in booked)
    assert {r["booked_time"] for r in booked} <= {"09:30", "10:00", "13:30", "14:00", "15:30"}
    assert all(r["venue"] for r in booked)


def test_caseloads_and_siblings_share_an_iro(demo):
    store, summary, _ = demo
    iros = rows(
        store,
        "SELECT i.id, i.fte, COUNT(p.id) AS caseload FROM iros i "
        "LEFT JOIN allocations a ON a.iro_id = i.id AND a.end_date IS NULL "
        "LEFT JOIN periods p ON p.child_id = a.child_id AND p.end_date IS NULL GROUP BY i.id",
    )
    assert len(iros) >= 3
    per_iro = summary["looked_after"] / len(iros)
    assert 40 <= per_iro <= 70
    assert all(i["caseload"] / i["fte"] <= 75 for i in iros)  # R-IRO-4 warns above 70
    groups = rows(
        store,
        "SELECT c.sibling_group, COUNT(DISTINCT a.iro_id) AS n FROM children c "
        "JOIN allocations a ON a.child_id = c.id AND a.end_date IS NULL "
        "WHERE c.sibling_group IS NOT NULL GROUP BY c.sibling_group",
    )
    assert groups and all(g["n"] == 1 for g in groups)  # R-IRO-3
    # Some children changed IRO within a period of care.
    assert count(
        store,
        "SELECT a.child_id FROM allocations a JOIN periods p ON p.child_id = a.child_id "
        "AND a.start_date >= p.start_date AND (p.end_date IS NULL OR a.start_date <= p.end_date) "
        "GROUP BY p.id HAVING COUNT(*) > 1",
    )


def test_ages_spread_from_babies_to_care_leavers(demo):
    store, _, _ = demo
    ages = [
        age_on(date.fromisoformat(r["dob"]), TODAY)
        for r in rows(
            store,
            "SELECT c.dob FROM children c JOIN periods p ON p.child_id = c.id "
            "AND p.end_date IS NULL",
        )
    ]
    assert min(ages) == 0
    assert 17 in ages
    assert sum(a >= 10 for a in ages) > len(ages) / 2  # most children in care are 10+
    assert 1 <= sum(a >= 18 for a in ages) <= 2  # the data error the work list shows


def test_every_record_passes_the_integrity_check(demo):
    store, _, _ = demo
    assert store.value("PRAGMA integrity_check") == "ok"
    assert not store.rows("PRAGMA foreign_key_check")
    # The work list's stored items, made once at the end, are those of the records.
    from reviewcli import workitems

    assert store.value("SELECT COUNT(*) FROM work_items") > 0
    assert workitems.drift(store.conn) == (0, 0)


# --- the morning's work on the demo's today -------------------------------------------------


def test_the_work_list_has_a_realistic_morning(demo):
    store, _, _ = demo
    items = due_items(store, TODAY)
    kinds = {i["kind"] for i in items}
    assert {"review", "allocation", "pathway-plan", "data"} <= kinds
    reviews = [i for i in items if i["kind"] == "review"]
    overdue = [i for i in reviews if i["overdue"]]
    week = [
        i
        for i in reviews
        if not i["overdue"] and date.fromisoformat(i["due"]) <= TODAY + timedelta(days=6)
    ]
    later = [i for i in reviews if date.fromisoformat(i["due"]) > TODAY + timedelta(days=6)]
    assert 1 <= len(overdue) <= len(reviews) / 3
    assert week, "reviews due this week"
    assert len(later) > len(week), "many more later in the 30-day window"
    assert any(i["booked"] and i["booked"] >= TODAY.isoformat() for i in reviews)
    assert any(i["booked"] is None for i in reviews), "some not yet booked"
    rules = {i["rule"] for i in reviews}
    assert "R-SCH-1" in rules and "R-SCH-3" in rules
    # The steps around reviews are mostly done: what is left is recent or coming up.
    old = (TODAY - timedelta(days=120)).isoformat()
    steps = [i for i in items if i["kind"] in STEP_KINDS]
    assert all(i["due"] >= old for i in steps)


def test_open_period_past_18_is_shown_as_a_data_item(demo):
    store, _, _ = demo
    data = [i for i in due_items(store, TODAY) if i["kind"] == "data"]
    assert data
    for item in data:
        dob = value(store, "SELECT dob FROM children WHERE id = ?", [item["child_id"]])
        assert age_on(date.fromisoformat(dob), TODAY) >= 18


def test_small_demo_still_builds(tmp_path):
    store, summary = make(tmp_path / "small.db", children=5, seed=3)
    try:
        assert summary["children"] == 5
        assert summary["iros"] == 3
    finally:
        store.close()


def test_the_last_step_storing_the_work_list_is_told(tmp_path):
    said: list[str] = []
    store = Store(tmp_path / "told.db", create=True)
    try:
        build(store, children=3, seed=1, today=TODAY, status=said.append)
        assert said == ["Storing the work list"]
        assert store.value("SELECT COUNT(*) FROM work_items") > 0
    finally:
        store.close()


def test_build_refuses_nothing_across_many_seeds(tmp_path):
    # Any refusal from records would raise here: the simulation follows every rule.
    for seed in range(3):
        store, summary = make(tmp_path / f"s{seed}.db", children=25, seed=100 + seed)
        store.close()
        assert summary["children"] == 25


def test_database_file_is_a_plain_sqlite_database(tmp_path):
    store, _ = make(tmp_path / "plain.db", children=10, seed=2)
    store.close()
    conn = sqlite3.connect(tmp_path / "plain.db")
    try:
        assert conn.execute("SELECT COUNT(*) FROM children").fetchone()[0] == 10
    finally:
        conn.close()


def test_casework_in_every_state(demo):
    """Decisions open, done, overdue, starred and cancelled; events decided and not;
    disputes awaiting a response, escalated and resolved; contacts for every child."""
    s = demo[0]
    statuses = {r["status"] for r in s.rows("SELECT DISTINCT status FROM decisions")}
    assert statuses == {"open", "done", "cancelled"}
    assert s.value("SELECT COUNT(*) FROM decisions WHERE starred = 1") > 0
    assert (
        s.value(
            "SELECT COUNT(*) FROM decisions WHERE status = 'open' AND due < ?",
            [TODAY.isoformat()],
        )
        > 0
    )
    assert s.value("SELECT COUNT(*) FROM decision_changes WHERE action = 'edit'") > 0
    assert s.value("SELECT COUNT(*) FROM events WHERE decision IS NULL") > 0
    assert s.value("SELECT COUNT(*) FROM events WHERE decision = 'no-review'") > 0
    assert s.value("SELECT COUNT(*) FROM events WHERE requires_review = 1") > 0
    assert s.value("SELECT COUNT(*) FROM disputes WHERE status = 'resolved'") > 0
    assert s.value("SELECT COUNT(*) FROM disputes WHERE status = 'open'") > 0
    assert s.value("SELECT COUNT(*) FROM disputes WHERE stage > 1") > 0
    assert (
        s.value(
            "SELECT COUNT(*) FROM periods p WHERE p.end_date IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM contacts c WHERE c.child_id = p.child_id)"
        )
        == 0
    )


# --- national scale: copies of the simulated children -------------------------------------------


@pytest.fixture(scope="module")
def cloned(tmp_path_factory):
    """Above ``SIMULATED`` children the demo copies the simulated histories in SQL: here 15
    simulated children copied out to 40, as 1,000 are copied out to 100,000."""
    from reviewcli import demo as demo_module

    patch = pytest.MonkeyPatch()
    patch.setattr(demo_module, "SIMULATED", 15)
    try:
        store, summary = make(tmp_path_factory.mktemp("cloned") / "cloned.db", children=40)
    finally:
        patch.undo()
    yield store, summary
    store.close()


def test_copies_are_whole_children_with_new_ids_and_names(cloned):
    store, summary = cloned
    assert summary["children"] == 40 == value(store, "SELECT COUNT(*) FROM children")
    ids = [r["id"] for r in rows(store, "SELECT id FROM children ORDER BY id")]
    assert ids == [f"C{n:05d}" for n in range(1, 41)]
    # C00016 is the copy of C00001: the same history, day for day, under its own keys.
    for table in ("periods", "episodes", "reviews", "review_steps", "decisions", "contacts"):
        original = value(store, f"SELECT COUNT(*) FROM {table} WHERE child_id = 'C00001'")
        assert value(store, f"SELECT COUNT(*) FROM {table} WHERE child_id = 'C00016'") == original
    first = "SELECT start_date, next_due, next_rule FROM periods WHERE child_id = ? ORDER BY id"
    assert rows(store, first, ["C00016"]) == rows(store, first, ["C00001"])


def test_copies_keep_the_schema_and_pass_every_check(cloned, tmp_path):
    from reviewcli import maintenance

    store, _ = cloned
    fresh = Store(tmp_path / "fresh.db", create=True)
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    assert store.rows(schema) == fresh.rows(schema)
    fresh.close()
    assert maintenance.check(store, TODAY) == []


def test_a_direction_days_after_a_review_leaves_the_booking_where_it_is(demo):
    """An IRO directs a review by a date so soon after the last one that no working day
    lies between: the admin cannot bring the booking forward, and the demo keeps it (it
    once stopped the whole build, for some seeds and days)."""
    import random

    from reviewcli.demo import _Casework

    store, _, _ = demo
    child = store.row(
        "SELECT r.child_id, r.id, r.booked_date, (SELECT MAX(h.recording_date) FROM reviews h"
        " WHERE h.period_id = p.id AND h.status = 'held') AS last_held"
        " FROM reviews r JOIN periods p ON p.id = r.period_id"
        " WHERE p.end_date IS NULL AND r.status = 'booked' AND EXISTS (SELECT 1 FROM reviews h"
        " WHERE h.period_id = p.id AND h.status = 'held') ORDER BY r.id LIMIT 1"
    )
    held = date.fromisoformat(child["last_held"])
    casework = _Casework(store, random.Random(1), TODAY)
    casework.bring_forward(child["child_id"], held + timedelta(days=1), held - timedelta(days=10))
    assert (
        value(store, "SELECT booked_date FROM reviews WHERE id = ?", [child["id"]])
        == (child["booked_date"])
    )
