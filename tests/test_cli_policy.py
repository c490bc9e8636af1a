"""``reviewcli policy show/set`` and how settings move deadlines (R-CAL-1, R-CAL-4, R-SCH-9).

The ``world`` fixture: C001 looked after from Fri 22 May 2026, first review due by
Mon 22 Jun 2026 (R-SCH-1; Mon 25 May 2026 is the Spring bank holiday).
"""

from __future__ import annotations

import pytest

from reviewcli.policy import SETTINGS


def next_review(run, today="2026-07-01"):
    nxt = run.json("child", "show", "C001", today=today)["next_review"]
    return nxt["number"], nxt["due"], nxt["rule"]


@pytest.fixture
def first_held(world):
    """C001's first review held on Thu 18 Jun 2026."""
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    return world


def test_policy_show(initialised):
    rows = {r["key"]: r for r in initialised.json("policy", "show")}
    assert set(rows) == set(SETTINGS)
    assert rows["month-mode"]["value"] == "months"
    assert rows["month-mode"]["default"] == "months"
    assert rows["month-mode"]["rule"] == "R-CAL-4"
    assert rows["closure-days"]["value"] == []
    assert rows["local-placement-rule"]["value"] is False
    table = initialised.ok("policy", "show").stdout
    assert "month-mode" in table and "R-CAL-4" in table


def test_policy_set_is_stored(world):
    line = world.line("policy", "set", "authority-name", "Northshire County Council")
    assert line == "Policy authority-name = Northshire County Council."
    rows = {r["key"]: r for r in world.json("policy", "show")}
    assert rows["authority-name"]["value"] == "Northshire County Council"
    out = world.json("policy", "set", "social-worker-conversation", "10")
    assert (out["key"], out["value"], out["rule"]) == (
        "social-worker-conversation",
        10,
        "R-PRE-4",
    )


def test_month_mode_days_moves_the_second_review(first_held):
    # Statutory months: 18 Jun 2026 + 3 months = Fri 18 Sep 2026.
    assert next_review(first_held) == (2, "2026-09-18", "R-SCH-2")
    line = first_held.line("policy", "set", "month-mode", "days")
    assert line == ("Policy month-mode = days; deadlines recomputed for 1 open period of care.")
    # Fixed days (Coventry LAR): 18 Jun 2026 + 91 days: 12 days to 30 Jun, 31 in July
    # (43), 31 in August (74), then 17 more = Thu 17 Sep 2026.
    assert next_review(first_held) == (2, "2026-09-17", "R-SCH-2")


def test_month_mode_days_six_months_is_183_days(first_held):
    first_held.ok("policy", "set", "month-mode", "days")
    first_held.ok("review", "schedule", "C001", "--date", "2026-09-17", today="2026-09-01")
    first_held.ok("review", "hold", "2", "--participation", "PN1", today="2026-09-17")
    # 17 Sep 2026 + 183 days: 13 to 30 Sep, +31 Oct (44), +30 Nov (74), +31 Dec (105),
    # +31 Jan (136), +28 Feb (164), then 19 more = Fri 19 Mar 2027 (R-SCH-3).
    assert next_review(first_held, today="2026-09-17") == (3, "2027-03-19", "R-SCH-3")
    first_held.ok("policy", "set", "month-mode", "months")
    # Back to calendar months: 17 Sep 2026 + 6 months = Wed 17 Mar 2027.
    assert next_review(first_held, today="2026-09-17") == (3, "2027-03-17", "R-SCH-3")


def test_closure_days_move_a_working_day_deadline(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    # A local closure on Mon 1 Jun 2026 is one working day fewer before 22 Jun, so the
    # 20th working day after 22 May is Tue 23 Jun 2026.
    world.ok("policy", "set", "closure-days", "2026-06-01")
    assert next_review(world) == (1, "2026-06-23", "R-SCH-1")
    [review] = world.json("review", "list")
    assert review["deadline"] == "2026-06-23"
    # Two closure days (and a closure on a Saturday counts for nothing): Wed 24 Jun 2026.
    world.ok("policy", "set", "closure-days", "2026-06-02, 2026-06-01;2026-06-06")
    assert next_review(world) == (1, "2026-06-24", "R-SCH-1")
    rows = {r["key"]: r for r in world.json("policy", "show")}
    assert rows["closure-days"]["value"] == ["2026-06-01", "2026-06-02", "2026-06-06"]
    # Cleared: back to the statutory 22 Jun.
    assert world.line("policy", "set", "closure-days", "") == (
        "Policy closure-days = (none); deadlines recomputed for 1 open period of care."
    )
    assert next_review(world) == (1, "2026-06-22", "R-SCH-1")


def test_local_placement_rule(first_held):
    # An unplanned move on Wed 1 Jul 2026. Off by default: second review still due
    # 18 Sep 2026 (R-SCH-2).
    first_held.ok(
        "episode",
        "change",
        "C001",
        "--date",
        "2026-07-01",
        "--placement",
        "U4",
        "--local-reason",
        "unplanned",
    )
    assert next_review(first_held) == (2, "2026-09-18", "R-SCH-2")
    first_held.ok("policy", "set", "local-placement-rule", "on")
    # R-SCH-9: within 20 working days of 1 Jul 2026: 2–3 Jul (1–2), 6–10 (3–7),
    # 13–17 (8–12), 20–24 (13–17), 27, 28, 29 Jul (18–20) = Wed 29 Jul 2026.
    assert next_review(first_held) == (2, "2026-07-29", "R-SCH-9")
    # Not a listed reason any more: back to R-SCH-2.
    first_held.ok("policy", "set", "local-placement-reasons", "secure,mental-health")
    assert next_review(first_held) == (2, "2026-09-18", "R-SCH-2")


def test_unknown_policy_key_is_refused(world):
    message = world.refused("policy", "set", "colour", "blue")
    assert message == "Error: unknown policy setting 'colour'; settings: " + ", ".join(SETTINGS)


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("month-mode", "weeks", "invalid value for month-mode: use one of: months, days"),
        (
            "closure-days",
            "2026-13-01",
            "invalid value for closure-days: '2026-13-01' is not a date",
        ),
        ("local-placement-rule", "maybe", "invalid value for local-placement-rule: use on or off"),
        ("local-placement-reasons", "bored", "unknown reason 'bored'"),
        ("long-term-reviews", "never", "invalid value for long-term-reviews"),
    ],
)
def test_bad_policy_value_is_refused(world, key, value, expected):
    assert expected in world.refused("policy", "set", key, value)


def test_policy_set_json_has_an_id(world):
    assert "id" in world.json("policy", "set", "month-mode", "days")
