"""The work list's stored items (workitems): kept equal to their records by triggers.

Every CLI test also checks, after it has run, that the stored items still equal what
their records make (the ``run`` fixture in conftest). These tests take each kind of change
in turn, hand edits by SQL included, the day-dependent parts of an item, bulk writes and
the check that repairs a damaged table.

World: C001 Amy Ash (team North, IRO1), looked after from Fri 22 May 2026; her first review
is due by Mon 22 Jun 2026 (R-SCH-1).
"""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from conftest import Cli, work_items_drift
from reviewcli import derived, records, workitems
from reviewcli.store import Store

TODAY = date(2026, 7, 1)


def _sql(cli: Cli, *statements: str) -> None:
    conn = sqlite3.connect(cli.db)
    with conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()


def _items(cli: Cli, on: str, within: int = 30, **filters) -> list[dict]:
    args = ["due", "--on", on, "--within", str(within)]
    for key, value in filters.items():
        args += [f"--{key}", value]
    return cli.json(*args)


def _of(items: list[dict], kind: str) -> list[dict]:
    return [i for i in items if i["kind"] == kind]


def test_a_new_period_lists_its_first_review(world: Cli):
    [review] = _of(_items(world, "2026-06-01"), "review")
    assert (review["due"], review["rule"], review["name"], review["iro"], review["team"]) == (
        "2026-06-22",
        "R-SCH-1",
        "Amy Ash",
        "IRO1",
        "North",
    )
    assert review["detail"] == "first review not yet booked"


def test_booking_moving_and_cancelling_a_review_update_it_and_its_steps(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    items = _items(world, "2026-06-01")
    assert _of(items, "review")[0]["detail"] == "first review booked for 2026-06-18"
    # R-PRE-2: 10 working days before Thu 18 June is Thu 4 June.
    [invitations] = _of(items, "invitations")
    assert invitations["due"] == "2026-06-04"
    assert invitations["detail"].endswith("first review on 2026-06-18")

    world.ok("review", "reschedule", "1", "--date", "2026-06-19", today="2026-06-01")
    items = _items(world, "2026-06-01")
    assert _of(items, "review")[0]["booked"] == "2026-06-19"
    # Fri 19 June: invitations by Fri 5 June; the IRO sees the child by the day itself.
    assert _of(items, "invitations")[0]["due"] == "2026-06-05"
    assert _of(items, "iro-visit")[0]["due"] == "2026-06-19"

    world.ok("review", "done", "1", "invitations", "--date", "2026-06-03", today="2026-06-03")
    assert _of(_items(world, "2026-06-03"), "invitations") == []

    world.ok("review", "cancel", "1", "--reason", "Child unwell", today="2026-06-04")
    items = _items(world, "2026-06-04")
    assert _of(items, "review")[0]["detail"] == "first review not yet booked"
    assert [i for i in items if i["kind"] in ("iro-visit", "reports", "consultation")] == []


def test_holding_a_review_moves_the_list_to_the_next_one_and_the_record(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    items = _items(world, "2026-06-18", within=120)
    [review] = _of(items, "review")
    assert (review["number"], review["rule"]) == (2, "R-SCH-2")
    # R-POST-5: the full record 15 working days after Thu 18 June is Thu 9 July.
    [record] = _of(items, "record")
    assert (record["due"], record["review_id"]) == ("2026-07-09", 1)
    assert record["detail"] == "full record of the review: first review of 2026-06-18"


def test_a_new_iro_is_on_every_item_of_the_child(world: Cli):
    world.ok("iro", "add", "Bob Brown", "--id", "IRO2", "--team", "South")
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok("allocate", "C001", "IRO2", "--date", "2026-06-02", today="2026-06-02")
    items = _items(world, "2026-06-02")
    assert len(items) > 3 and {i["iro"] for i in items} == {"IRO2"}
    assert _items(world, "2026-06-02", iro="IRO2") == items
    assert _items(world, "2026-06-02", iro="IRO1") == []


def test_a_hand_edit_of_the_child_reaches_the_list(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    _sql(world, "UPDATE children SET first_name = 'Zoe', team = 'South' WHERE id = 'C001'")
    items = _items(world, "2026-06-01")
    assert {(i["name"], i["team"]) for i in items} == {("Zoe Ash", "South")}
    assert _items(world, "2026-06-01", team="North") == []


def test_hand_deleted_rows_take_their_items_with_them(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    # A booked review's preparation steps are derived from it: one deleted by hand is
    # derived again, with its date, on the next open.
    _sql(world, "DELETE FROM review_steps WHERE step = 'invitations'")
    [again] = _of(_items(world, "2026-06-01"), "invitations")
    assert again["due"] == "2026-06-04"
    _sql(world, "PRAGMA foreign_keys = OFF", "DELETE FROM reviews")
    assert {i["kind"] for i in _items(world, "2026-06-01")} == {"review"}
    _sql(world, "PRAGMA foreign_keys = OFF", "DELETE FROM periods")
    assert _items(world, "2026-06-01") == []


def test_the_end_of_care_ends_the_childs_items(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok(
        "episode", "end", "C001", "--date", "2026-06-05", "--reason", "E13", today="2026-06-05"
    )
    assert _items(world, "2026-06-05") == []


@pytest.mark.parametrize(
    ("on", "listed"),
    [
        # Born 29 February 2008: 18 on 1 March 2026, a common year (calendar.add_years).
        ("2026-02-28", True),
        ("2026-03-01", False),
    ],
)
def test_a_review_is_listed_until_the_18th_birthday(initialised: Cli, on, listed):
    cli = initialised
    cli.ok(
        "child", "add", "C9", "--first-name", "Lee", "--last-name", "Leap", "--dob", "2008-02-29"
    )
    cli.ok(
        "episode", "start", "C9", "--date", "2026-01-05", "--legal-status", "C2", today="2026-01-05"
    )
    items = _items(cli, on)
    # R-SCH-1: the first review was due 20 working days after Mon 5 January: Mon 2 February.
    assert bool(_of(items, "review")) is listed
    if listed:
        assert _of(items, "review")[0]["due"] == "2026-02-02"
    else:
        [data] = _of(items, "data")
        assert "past the 18th birthday (2026-03-01)" in data["detail"]


def test_a_booked_review_asks_for_its_outcome_from_the_day_after(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    on_the_day = _of(_items(world, "2026-06-18"), "review")[0]
    after = _of(_items(world, "2026-06-19"), "review")[0]
    assert on_the_day["detail"] == "first review booked for 2026-06-18"
    assert after["detail"] == (
        "first review booked for 2026-06-18: record the outcome (held, adjourned or cancelled)"
    )


def test_bulk_writes_leave_the_triggers_still_and_rebuild_once(world: Cli):
    with Store(world.db) as s:
        before = s.value("SELECT COUNT(*) FROM work_items")
        with s.write(), derived.deferred(s.conn):
            records.add_child(
                s, "C002", first_name="Ben", last_name="Bell", dob="2014-04-05", today=TODAY
            )
            records.start_episode(s, "C002", on="2026-06-01", today=TODAY, legal_status="C2")
            assert s.value("SELECT COUNT(*) FROM work_items") == before
        assert s.value("SELECT COUNT(*) FROM work_items") == before + 1
        assert workitems.drift(s.conn) == (0, 0)
        # A bulk write that fails leaves the table, like everything else, as it was.
        with pytest.raises(RuntimeError), s.write(), derived.deferred(s.conn):
            records.add_child(
                s, "C003", first_name="Cy", last_name="Cole", dob="2014-04-05", today=TODAY
            )
            records.start_episode(s, "C003", on="2026-06-01", today=TODAY, legal_status="C2")
            raise RuntimeError("interrupted")
        assert s.value("SELECT COUNT(*) FROM work_items") == before + 1
        assert s.value("SELECT value FROM _context WHERE key = 'derive-later'") is None


def test_check_finds_a_damaged_work_list_and_repair_rebuilds_it(world: Cli):
    _sql(world, "UPDATE work_items SET due = '2030-01-01'")
    assert work_items_drift(world.db) == (1, 1)
    result = world("check", "--format", "json")
    assert result.exit_code == 1
    assert "2 stored items of the work list differ from a fresh computation" in result.stdout
    world.ok("check", "--repair")
    assert work_items_drift(world.db) == (0, 0)
    assert _of(_items(world, "2026-06-01"), "review")[0]["due"] == "2026-06-22"
