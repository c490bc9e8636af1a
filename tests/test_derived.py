"""Derived dates apart from facts (derived): what moves them, the stamp, check and repair.

World: C001 Amy Ash (IRO1), looked after from Fri 22 May 2026; her first review is due by
Mon 22 Jun 2026 (R-SCH-1: 20 working days, skipping the Spring bank holiday, Mon 25 May).
``booked`` books it for Thu 18 Jun 2026 on Mon 1 Jun; its preparation steps (R-PRE-1..4)
count back from 18 Jun: invitations 10 working days before (Thu 4 Jun), reports 3 before
a first review (Mon 15 Jun), consultation 20 before (Wed 20 May, held at the start of
care, Fri 22 May), the IRO's visit by the day itself.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import date

import pytest

from conftest import Cli, derived_drift
from reviewcli import calendar, derived, rules, steps


def _rows(cli: Cli, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(cli.db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _sql(cli: Cli, *statements: str) -> None:
    conn = sqlite3.connect(cli.db)
    with conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()


def _steps(cli: Cli) -> dict[str, str]:
    return dict(_rows(cli, "SELECT step, due FROM review_steps WHERE status = 'open'"))


def _deadline(cli: Cli) -> tuple:
    return _rows(cli, "SELECT deadline, rule FROM reviews WHERE status = 'booked'")[0]


def _items(cli: Cli, on: str = "2026-06-01") -> dict[str, dict]:
    return {i["kind"]: i for i in cli.json("due", "--on", on, "--within", "200")}


@pytest.fixture
def booked(world: Cli) -> Cli:
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    assert _steps(world) == {
        "consultation": "2026-05-22",
        "invitations": "2026-06-04",
        "reports": "2026-06-15",
        "iro-visit": "2026-06-18",
        "sw-conversation": "2026-05-28",
    }
    assert _deadline(world) == ("2026-06-22", "R-SCH-1")
    return world


# Wed 10 Jun 2026 closed: the first review falls due a working day later (Tue 23 Jun), the
# invitations for the 18th go a working day earlier (Wed 3 Jun), and so does the IRO's
# conversation with the social worker (Wed 27 May); reports (15 Jun) and the visit keep
# their dates.
MOVED_BY_10_JUNE = {
    "consultation": "2026-05-22",
    "invitations": "2026-06-03",
    "reports": "2026-06-15",
    "iro-visit": "2026-06-18",
    "sw-conversation": "2026-05-27",
}


def test_a_closure_day_moves_the_booked_reviews_deadline_and_its_steps(booked: Cli):
    out = booked.line("policy", "set", "closure-days", "2026-06-10", today="2026-06-01")
    assert "deadlines recomputed" in out
    assert _steps(booked) == MOVED_BY_10_JUNE
    assert _deadline(booked) == ("2026-06-23", "R-SCH-1")
    items = _items(booked)
    assert items["review"]["due"] == "2026-06-23"
    assert items["invitations"]["due"] == "2026-06-03"
    # And back again.
    booked.ok("policy", "set", "closure-days", "", today="2026-06-01")
    assert _steps(booked)["invitations"] == "2026-06-04"
    assert _deadline(booked) == ("2026-06-22", "R-SCH-1")


def test_the_conversations_working_days_move_the_booked_reviews_step(booked: Cli):
    booked.ok("policy", "set", "social-worker-conversation", "10", today="2026-06-01")
    # R-PRE-4 with a local procedure's 10 working days before Thu 18 Jun: Thu 4 Jun.
    assert _steps(booked)["sw-conversation"] == "2026-06-04"
    assert _items(booked)["sw-conversation"]["due"] == "2026-06-04"
    booked.ok("policy", "set", "social-worker-conversation", "15", today="2026-06-01")
    assert _steps(booked)["sw-conversation"] == "2026-05-28"


@pytest.fixture
def second(booked: Cli) -> Cli:
    """The first review held on Thu 18 Jun 2026; the second booked for Thu 10 Sep 2026."""
    booked.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    booked.ok("review", "schedule", "C001", "--date", "2026-09-10", today="2026-06-19")
    # R-SCH-2: no more than 3 months after the first: Fri 18 Sep 2026.
    assert _deadline(booked) == ("2026-09-18", "R-SCH-2")
    return booked


def test_month_mode_moves_the_booked_reviews_deadline(second: Cli):
    second.ok("policy", "set", "month-mode", "days", today="2026-06-19")
    # A local procedure: 3 months = 91 days after Thu 18 Jun 2026 is Thu 17 Sep 2026.
    assert _deadline(second) == ("2026-09-17", "R-SCH-2")
    assert _items(second, "2026-06-19")["review"]["due"] == "2026-09-17"
    # The held review keeps the deadline it was recorded against.
    assert _rows(second, "SELECT deadline FROM reviews WHERE status = 'held'") == [("2026-06-22",)]


def test_the_local_placement_rule_moves_the_next_review(second: Cli):
    second.ok(
        "episode", "change", "C001", "--date", "2026-07-01", "--placement", "U4",
        "--local-reason", "unplanned", today="2026-07-01",
    )  # fmt: skip
    assert _deadline(second) == ("2026-09-18", "R-SCH-2")
    second.ok("policy", "set", "local-placement-rule", "on", today="2026-07-01")
    # R-SCH-9: 20 working days after Wed 1 Jul 2026 is Wed 29 Jul 2026.
    assert _deadline(second) == ("2026-07-29", "R-SCH-9")
    assert _items(second, "2026-07-01")["review"]["due"] == "2026-07-29"
    second.ok("policy", "set", "local-placement-rule", "off", today="2026-07-01")
    assert _deadline(second) == ("2026-09-18", "R-SCH-2")


def test_the_recording_steps_of_a_held_review_move_with_a_closure_day(second: Cli):
    before = _rows(second, "SELECT due FROM review_steps WHERE step = 'decisions'")
    # R-POST-2: 5 working days after Thu 18 Jun 2026 is Thu 25 Jun.
    assert before == [("2026-06-25",)]
    second.ok("policy", "set", "closure-days", "2026-06-22", today="2026-06-19")
    assert _rows(second, "SELECT due FROM review_steps WHERE step = 'decisions'") == [
        ("2026-06-26",)
    ]


@pytest.fixture
def new_holiday(run: Cli):
    """A new release of ``holidays`` adding Wed 10 Jun 2026 as a bank holiday, seen through
    the calendar's cache file of that release. Afterwards the release installed is back,
    and the next open recomputes with it."""
    real = {year: calendar.bank_holidays(year) for year in range(2000, 2046)}
    was = calendar.holidays_release()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(calendar, "_holidays_version", lambda: "9.9.9")
        real[2026][date(2026, 6, 10)] = "A new bank holiday"
        calendar._write_cache(calendar.cache_file(), real)
        calendar.forget_bank_holidays()
        yield was
    calendar.forget_bank_holidays()
    assert "bank holidays changed (holidays 9.9.9" in run.ok("due").stderr


def test_a_new_bank_holiday_moves_every_open_date_on_the_next_open(booked: Cli, new_holiday):
    result = booked.ok("due", "--on", "2026-06-01")
    assert (
        f"deadlines recomputed: bank holidays changed (holidays {new_holiday} → 9.9.9)"
        in result.stderr
    )
    assert _steps(booked) == MOVED_BY_10_JUNE
    assert _deadline(booked) == ("2026-06-23", "R-SCH-1")
    assert _items(booked)["invitations"]["due"] == "2026-06-03"
    [(after,)] = _rows(
        booked, "SELECT after FROM audit WHERE table_name = '_derived' ORDER BY id DESC LIMIT 1"
    )
    assert "bank holidays changed" in json.loads(after)["why"]
    # Once only.
    assert "recomputed" not in booked.ok("due").stderr


def test_a_changed_rule_number_and_step_wording_reach_every_output(
    second: Cli, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(rules, "SECOND", "R-SCH-2b")
    label = "invitations and the child's consultation booklet sent"
    monkeypatch.setitem(
        steps.STEPS, "invitations", dataclasses.replace(steps.STEPS["invitations"], label=label)
    )
    result = second.ok("due", "--on", "2026-06-19", "--within", "200")
    assert "deadlines recomputed: the rules changed" in result.stderr
    items = _items(second, "2026-06-19")
    assert (items["review"]["rule"], items["review"]["due"]) == ("R-SCH-2b", "2026-09-18")
    assert items["invitations"]["detail"] == f"{label}: second review on 2026-09-10"
    assert _deadline(second) == ("2026-09-18", "R-SCH-2b")
    shown = second.json("child", "show", "C001")
    assert shown["next_review"]["rule"] == "R-SCH-2b"
    assert derived_drift(second.db) == {}


def test_check_finds_stale_rows_and_repair_fixes_them(booked: Cli):
    # A writer that went round the tool: nothing marked, the dates left stale.
    _sql(
        booked,
        "UPDATE review_steps SET due = '2026-06-30' WHERE step = 'invitations'",
        "UPDATE periods SET next_due = '2026-07-30'",
        "DELETE FROM _dirty",
    )
    result = booked("check", "--format", "json")
    assert result.exit_code == 1
    problems = {p["problem"] for p in json.loads(result.stdout)}
    assert {
        "1 stored next-review deadlines of periods of care differ from a fresh computation;"
        " run 'reviewcli check --repair'",
        "1 stored dates of open review steps differ from a fresh computation;"
        " run 'reviewcli check --repair'",
    } <= problems
    # The stored items, damaged too.
    _sql(booked, "UPDATE work_items SET due = '2026-06-30' WHERE kind = 'reports'")
    problems = {p["problem"] for p in json.loads(booked("check", "--format", "json").stdout)}
    assert (
        "2 stored items of the work list differ from a fresh computation;"
        " run 'reviewcli check --repair'"
    ) in problems
    booked.ok("check", "--repair")
    assert _steps(booked)["invitations"] == "2026-06-04"
    assert booked.ok("check").stdout == "No problems found.\n"


def test_a_hand_edit_is_derived_on_the_next_open(booked: Cli):
    _sql(booked, "UPDATE reviews SET booked_date = '2026-06-17' WHERE status = 'booked'")
    # Invitations 10 working days before Wed 17 Jun: Wed 3 Jun.
    assert _items(booked)["invitations"]["due"] == "2026-06-03"
    assert _steps(booked)["invitations"] == "2026-06-03"


def test_a_database_stamped_by_a_newer_release_is_refused(booked: Cli):
    stamp = json.loads(_rows(booked, "SELECT value FROM _derived")[0][0])
    stamp["version"] = derived.VERSION + 1
    _sql(booked, f"UPDATE _derived SET value = '{json.dumps(stamp)}'")
    message = booked.refused("due")
    assert "written by a newer release of reviewcli" in message
    assert _rows(booked, "SELECT value FROM _derived")[0][0] == json.dumps(stamp)


def test_an_interrupted_recomputation_leaves_the_database_as_it_was(booked: Cli):
    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rules, "SECOND", "R-SCH-2b")  # the stamp now differs
        mp.setattr(derived.workitems, "store", fail)
        message = booked.refused("due")
    assert "could not recompute the deadlines" in message
