"""``reviewcli due``: the daily work list and its JSON/CSV contract (CLI.md).

Dates worked out by hand (England bank holidays 2026: 1 Jan, 3 Apr, 6 Apr, 4 May, 25 May,
31 Aug, 25 Dec, 28 Dec; 2027: 1 Jan, 26 Mar, 29 Mar, 3 May, 31 May, 30 Aug, 27–28 Dec).

The ``caseload`` fixture:
- C001 (world fixture, team North, IRO1), looked after from Fri 22 May 2026: first review
  due Mon 22 Jun 2026 (R-SCH-1; Mon 25 May is a bank holiday, so Tue 26 May is working day
  1 and Mon 22 Jun working day 20).
- A009 (team North, IRO1), also from Fri 22 May 2026: due Mon 22 Jun 2026 as well, and sorts
  before C001 on the same day.
- C002 (team South, no IRO), from Mon 1 Jun 2026: first review due Mon 29 Jun 2026 (2–5 Jun
  are working days 1–4, then 5 a week: 12 Jun is 9, 19 Jun 14, 26 Jun 19, 29 Jun 20); an
  IRO is due by Mon 8 Jun 2026 (R-IRO-2: 2, 3, 4, 5, 8 Jun).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

ITEM_KEYS = {"kind", "child_id", "due", "overdue", "review_id", "rule", "detail"}
# The kinds these tests pin down exactly; other kinds (invitations, reports, …) come and go
# with the steps around each review and are only checked against the general contract.
CORE = {"review", "allocation", "pathway-plan", "data"}


@pytest.fixture
def caseload(world, new_child):
    new_child("A009", "2012-04-01", start="2026-05-22", iro="IRO1", team="North")
    new_child("C002", "2014-01-09", start="2026-06-01", team="South")
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2", "--team", "South")
    return world


def due(run, *args, today=None):
    """``due --format json``, checked against the general contract of every item."""
    items = run.json("due", *args, today=today)
    assert isinstance(items, list)
    for item in items:
        assert item.keys() >= ITEM_KEYS, item
        assert isinstance(item["overdue"], bool)
    assert items == sorted(items, key=lambda i: (i["due"], i["child_id"]))
    if "--on" in args:
        on = args[args.index("--on") + 1]
        within = int(args[args.index("--within") + 1]) if "--within" in args else 30
        limit = (date.fromisoformat(on) + timedelta(days=within)).isoformat()
        assert all(i["due"] <= limit for i in items)
        assert all(i["overdue"] == (i["due"] < on) for i in items)
    return items


def core(items):
    return [i for i in items if i["kind"] in CORE]


def brief(items):
    """The core items, in order, as (kind, child_id, due, overdue, rule)."""
    return [(i["kind"], i["child_id"], i["due"], i["overdue"], i["rule"]) for i in core(items)]


def test_due_json_contract(caseload):
    items = core(due(caseload, "--on", "2026-06-10", "--within", "30"))
    assert brief(items) == [
        ("allocation", "C002", "2026-06-08", True, "R-IRO-2"),
        ("review", "A009", "2026-06-22", False, "R-SCH-1"),
        ("review", "C001", "2026-06-22", False, "R-SCH-1"),
        ("review", "C002", "2026-06-29", False, "R-SCH-1"),
    ]
    c001 = items[2]
    assert c001["review_id"] is None
    assert c001["detail"] == "first review not yet booked"
    assert items[0]["review_id"] is None
    assert "name an IRO" in items[0]["detail"]


def test_due_window_is_on_or_before_d_plus_n(caseload):
    # D + 12 = 22 Jun: the 22 Jun reviews are in (on or before), the 29 Jun one is out.
    assert [i["child_id"] for i in core(due(caseload, "--on", "2026-06-10", "--within", "12"))] == [
        "C002",
        "A009",
        "C001",
    ]
    # D + 11 = 21 Jun: only the overdue allocation is left.
    assert brief(due(caseload, "--on", "2026-06-10", "--within", "11")) == [
        ("allocation", "C002", "2026-06-08", True, "R-IRO-2"),
    ]


def test_due_within_defaults_to_30_days(caseload):
    # 23 May + 30 days = 22 Jun: C001's review is in; 22 May + 30 = 21 Jun: it is out.
    assert "C001" in {i["child_id"] for i in core(due(caseload, "--on", "2026-05-23"))}
    assert "C001" not in {i["child_id"] for i in core(due(caseload, "--on", "2026-05-22"))}


def test_due_on_defaults_to_today(caseload):
    assert due(caseload, today="2026-06-10") == due(caseload, "--on", "2026-06-10")


def test_due_includes_every_overdue_item(caseload):
    items = due(caseload, "--on", "2026-07-01", "--within", "0")
    assert brief(items) == [
        ("allocation", "C002", "2026-06-08", True, "R-IRO-2"),
        ("review", "A009", "2026-06-22", True, "R-SCH-1"),
        ("review", "C001", "2026-06-22", True, "R-SCH-1"),
        ("review", "C002", "2026-06-29", True, "R-SCH-1"),
    ]


def test_due_on_the_day_is_not_overdue(caseload):
    items = core(due(caseload, "--on", "2026-06-22", "--within", "0"))
    assert [(i["child_id"], i["overdue"]) for i in items] == [
        ("C002", True),
        ("A009", False),
        ("C001", False),
    ]


def test_due_is_sorted_by_due_then_child_id(caseload, new_child):
    new_child("B005", "2013-05-05", start="2026-06-01", team="South")
    items = core(due(caseload, "--on", "2026-06-10", "--within", "60"))
    assert [(i["due"], i["child_id"]) for i in items[:2]] == [
        ("2026-06-08", "B005"),
        ("2026-06-08", "C002"),
    ]


def test_due_booked_review(caseload):
    caseload.ok(
        "review", "schedule", "C001", "--date", "2026-06-18", "--time", "10:00", today="2026-06-01"
    )
    [item] = [
        i
        for i in due(caseload, "--on", "2026-06-10")
        if i["child_id"] == "C001" and i["kind"] == "review"
    ]
    assert item["kind"] == "review"
    assert item["review_id"] == 1
    assert item["due"] == "2026-06-22"
    assert item["detail"] == "first review booked for 2026-06-18 at 10:00"
    assert item["booked"] == "2026-06-18"
    # The booked date has passed and nothing is recorded: the item asks for the outcome.
    [item] = [
        i
        for i in due(caseload, "--on", "2026-06-19")
        if i["child_id"] == "C001" and i["kind"] == "review"
    ]
    assert item["detail"].endswith(": record the outcome (held, adjourned or cancelled)")


def test_due_second_review_not_yet_booked(caseload):
    caseload.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    caseload.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    # 18 Jun 2026 + 3 months = Fri 18 Sep 2026 (R-SCH-2).
    items = due(caseload, "--on", "2026-09-01", "--within", "30", "--iro", "IRO1")
    [item] = [i for i in items if i["child_id"] == "C001" and i["kind"] == "review"]
    assert item == {
        **item,
        "kind": "review",
        "child_id": "C001",
        "due": "2026-09-18",
        "overdue": False,
        "review_id": None,
        "rule": "R-SCH-2",
        "detail": "second review not yet booked",
    }
    # Not in the list while the deadline is beyond D + N.
    assert "C001" not in {
        i["child_id"] for i in core(due(caseload, "--on", "2026-07-01", "--iro", "IRO1"))
    }


def test_due_adjourned_review(caseload):
    caseload.ok("review", "schedule", "C001", "--date", "2026-06-15", today="2026-06-01")
    caseload.ok(
        "review", "adjourn", "1", "--to", "2026-06-29", "--reason", "ill", today="2026-06-15"
    )
    [item] = [
        i
        for i in due(caseload, "--on", "2026-06-16")
        if i["child_id"] == "C001" and i["kind"] == "review"
    ]
    assert item["review_id"] == 1
    assert item["detail"] == "first review adjourned on 2026-06-15, reconvenes 2026-06-29"


# --- allocation (R-IRO-2) ---------------------------------------------------------------------


def test_allocation_is_due_5_working_days_after_the_start(caseload):
    [item] = [i for i in due(caseload, "--on", "2026-06-01") if i["kind"] == "allocation"]
    assert (item["child_id"], item["due"], item["rule"], item["overdue"]) == (
        "C002",
        "2026-06-08",
        "R-IRO-2",
        False,
    )
    caseload.ok("allocate", "C002", "IRO2", "--date", "2026-06-05", today="2026-06-05")
    assert [i for i in due(caseload, "--on", "2026-06-05") if i["kind"] == "allocation"] == []


def test_allocation_is_due_before_an_early_first_review(caseload):
    # First review booked for Thu 4 Jun, before 8 Jun: the IRO is due the working day
    # before the review, Wed 3 Jun 2026.
    caseload.ok("review", "schedule", "C002", "--date", "2026-06-04", today="2026-06-01")
    [item] = [i for i in due(caseload, "--on", "2026-06-01") if i["kind"] == "allocation"]
    assert item["due"] == "2026-06-03"


# --- pathway plan (R-SCH-16) ------------------------------------------------------------------


@pytest.fixture
def nearly_18(world, new_child):
    # Y001 is 18 on Mon 15 Mar 2027, looked after from Tue 1 Dec 2026 with no IRO.
    new_child("Y001", "2009-03-15", start="2026-12-01")
    return world


def test_pathway_plan_due_20_working_days_before_the_18th_birthday(nearly_18):
    items = [i for i in core(due(nearly_18, "--on", "2027-02-01")) if i["child_id"] == "Y001"]
    # allocation: 5 working days after Tue 1 Dec 2026 = Tue 8 Dec 2026 (2, 3, 4, 7, 8 Dec).
    # review: 20 working days after Tue 1 Dec 2026 = Thu 31 Dec 2026: 2–4 Dec (1–3),
    #   7–11 (4–8), 14–18 (9–13), 21–24 (14–17); Fri 25 and Mon 28 Dec are bank holidays;
    #   29, 30, 31 Dec (18–20).
    # pathway plan: 20 working days before Mon 15 Mar 2027 (R-CAL-3): 12–8 Mar (1–5),
    #   5–1 Mar (6–10), 26–22 Feb (11–15), 19–15 Feb (16–20) = Mon 15 Feb 2027.
    assert brief(items) == [
        ("allocation", "Y001", "2026-12-08", True, "R-IRO-2"),
        ("review", "Y001", "2026-12-31", True, "R-SCH-1"),
        ("pathway-plan", "Y001", "2027-02-15", False, "R-SCH-16"),
    ]
    assert "2027-03-15" in items[2]["detail"]
    # On 15 Jan 2027, 15 Feb is 31 days ahead: not yet listed.
    assert "pathway-plan" not in {i["kind"] for i in due(nearly_18, "--on", "2027-01-15")}


def test_pathway_plan_suggests_an_extra_review_when_none_falls_due_before_18(nearly_18):
    nearly_18.ok("review", "schedule", "Y001", "--date", "2026-12-30", today="2026-12-01")
    nearly_18.ok(
        "review",
        "hold",
        "1",
        "--participation",
        "PN1",
        "--no-iro-reason",
        "IRO off sick, no cover",
        today="2026-12-30",
    )
    # Second review due 30 Dec 2026 + 3 months = 30 Mar 2027, after the 18th birthday.
    [item] = due(nearly_18, "--on", "2027-02-01", "--kind", "pathway-plan")
    assert item["child_id"] == "Y001"
    assert "consider an additional review" in item["detail"]


def test_recording_the_pathway_plan_clears_the_item(nearly_18):
    nearly_18.ok("child", "pathway-plan", "Y001", "--received", "2027-02-10", today="2027-02-10")
    assert due(nearly_18, "--on", "2027-02-10", "--kind", "pathway-plan") == []


# --- data: an open period past the 18th birthday (R-SCH-11) -----------------------------------


@pytest.fixture
def turned_18(world, new_child):
    # Z001 is 18 on Wed 10 Jun 2026; looked after from Mon 5 Jan 2026, never ended.
    new_child("Z001", "2008-06-10", start="2026-01-05")
    return world


def test_open_period_past_18_is_a_data_item_not_a_review(turned_18):
    items = [i for i in core(due(turned_18, "--on", "2026-07-01")) if i["child_id"] == "Z001"]
    assert brief(items) == [("data", "Z001", "2026-06-10", True, "R-SCH-11")]
    assert items[0]["review_id"] is None
    assert "episode end Z001" in items[0]["detail"]


def test_the_day_before_18_the_child_is_still_reviewed(turned_18):
    items = [i for i in due(turned_18, "--on", "2026-06-09") if i["child_id"] == "Z001"]
    # allocation: 5 working days after Mon 5 Jan 2026 = Mon 12 Jan (6, 7, 8, 9, 12 Jan).
    # review: 20 working days after Mon 5 Jan 2026 = Mon 2 Feb 2026 (R-CAL-2 example).
    # pathway plan: 20 working days before Wed 10 Jun 2026: 9–1 Jun (1–7), 29–26 May
    #   (8–11), Mon 25 May is a bank holiday, 22–18 May (12–16), 15–12 May (17–20) =
    #   Tue 12 May 2026.
    assert brief(items) == [
        ("allocation", "Z001", "2026-01-12", True, "R-IRO-2"),
        ("review", "Z001", "2026-02-02", True, "R-SCH-1"),
        ("pathway-plan", "Z001", "2026-05-12", True, "R-SCH-16"),
    ]


# --- filters ----------------------------------------------------------------------------------


def test_due_iro_filter(caseload):
    items = core(due(caseload, "--on", "2026-06-10", "--iro", "IRO1"))
    assert [i["child_id"] for i in items] == ["A009", "C001"]
    assert all(i["iro"] == "IRO1" for i in items)
    assert due(caseload, "--on", "2026-06-10", "--iro", "IRO2") == []
    caseload.ok("allocate", "C002", "IRO2", "--date", "2026-06-10", today="2026-06-10")
    assert brief(due(caseload, "--on", "2026-06-10", "--iro", "IRO2")) == [
        ("review", "C002", "2026-06-29", False, "R-SCH-1"),
    ]


def test_due_team_filter(caseload):
    items = core(due(caseload, "--on", "2026-06-10", "--team", "South"))
    assert [(i["kind"], i["child_id"]) for i in items] == [
        ("allocation", "C002"),
        ("review", "C002"),
    ]
    north = core(due(caseload, "--on", "2026-06-10", "--team", "North"))
    assert {i["child_id"] for i in north} == {"A009", "C001"}
    # A team no child or IRO belongs to is a mistake, not an empty list.
    assert "no team 'East'" in caseload.refused("due", "--on", "2026-06-10", "--team", "East")


def test_due_kind_filter(caseload):
    items = due(caseload, "--on", "2026-06-10", "--kind", "allocation")
    assert [i["kind"] for i in items] == ["allocation"]
    both = due(caseload, "--on", "2026-06-10", "--kind", "allocation", "--kind", "review")
    assert len(both) == 4


def test_due_refusals(caseload):
    assert "unknown kind 'visit'" in caseload.refused("due", "--kind", "visit")
    assert "invalid --on date" in caseload.refused("due", "--on", "2026-06-31")
    assert "invalid --on date" in caseload.refused("due", "--on", "next week")


# --- CSV and table ----------------------------------------------------------------------------


def test_due_csv(caseload):
    out = caseload.ok("due", "--on", "2026-06-10", "--format", "csv").stdout
    header = out.splitlines()[0].split(",")
    assert header[:7] == ["kind", "child_id", "due", "overdue", "review_id", "rule", "detail"]
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["child_id"], r["due"], r["overdue"], r["rule"]) for r in rows] == [
        ("allocation", "C002", "2026-06-08", "true", "R-IRO-2"),
        ("review", "A009", "2026-06-22", "false", "R-SCH-1"),
        ("review", "C001", "2026-06-22", "false", "R-SCH-1"),
        ("review", "C002", "2026-06-29", "false", "R-SCH-1"),
    ]
    assert rows[2]["review_id"] == ""
    assert rows[2]["detail"] == "first review not yet booked"


def test_due_csv_and_json_when_nothing_is_due(initialised):
    assert initialised.json("due") == []
    out = initialised.ok("due", "--format", "csv").stdout
    assert out.splitlines()[0].startswith("kind,child_id,due,overdue,review_id,rule,detail")
    assert len(out.splitlines()) == 1
    assert "Nothing due by 2026-07-31." in initialised.ok("due").stdout


def test_due_table(caseload):
    out = caseload.ok("due", "--on", "2026-06-10").stdout
    assert "Work due on Wednesday 10 June 2026 (looking 30 days ahead)" in out
    assert "Overdue (1)" in out
    assert "Later (3)" in out
    assert "1 overdue, 0 due this week, 3 later; 4 in all." in out
    assert "R-IRO-2" in out and "R-SCH-1" in out


def test_due_on_the_first_day_of_the_calendar_lists_nothing_in_every_format(caseload):
    # Nobody can be 18 on 1 January of year 1: the 18th-birthday bound is the calendar's
    # first day, not an error.
    assert caseload.json("due", "--on", "0001-01-01") == []
    for fmt in ("table", "csv"):
        caseload.ok("due", "--on", "0001-01-01", "--format", fmt)
