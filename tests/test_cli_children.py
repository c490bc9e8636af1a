"""IROs, children, periods and episodes of care, IRO allocation (CLI.md; DOMAIN.md §2, §5).

Dates worked out by hand (England bank holidays 2026: 1 Jan, 3 Apr, 6 Apr, 4 May, 25 May,
31 Aug, 25 Dec, 28 Dec).

The ``world`` fixture: C001 (born 2015-03-02) looked after from Fri 22 May 2026, so her
first review is due by Mon 22 Jun 2026 (R-SCH-1: working days after 22 May are Tue 26 May
(1, Mon 25 May is the Spring bank holiday) … Fri 29 May (4), 1–5 Jun (5–9), 8–12 Jun
(10–14), 15–19 Jun (15–19), Mon 22 Jun (20)).
"""

from __future__ import annotations

import csv
import io

import pytest

from reviewcli.codes import LEGAL_STATUS, PLACEMENT, REASON_CEASED, REASON_PLACE_CHANGE

CHILD_KEYS = {"id", "first_name", "last_name", "dob", "looked_after", "iro", "next_review"}
NEXT_REVIEW_KEYS = {"number", "due", "rule", "booked"}


def add(run, child_id="C002", dob="2014-01-09", *extra, **kw):
    """Register a child (Ben Bell) and check it succeeded."""
    return run.ok(*add_args(child_id, dob), *extra, **kw)


# --- iro add / list --------------------------------------------------------------------------


def test_iro_add(initialised):
    line = initialised.line(
        "iro",
        "add",
        "Raj Patel",
        "--id",
        "IRO2",
        "--email",
        "raj@example.org",
        "--phone",
        "01234 567890",
        "--fte",
        "0.5",
        "--team",
        "South",
    )
    assert line == "Added IRO IRO2 (Raj Patel)."
    [iro] = initialised.json("iro", "list")
    assert iro["id"] == "IRO2"
    assert iro["name"] == "Raj Patel"
    assert iro["email"] == "raj@example.org"
    assert iro["fte"] == 0.5
    assert iro["team"] == "South"
    assert iro["caseload"] == 0


def test_iro_add_json(initialised):
    iro = initialised.json("iro", "add", "Raj Patel", "--id", "IRO2")
    assert iro["id"] == "IRO2"
    assert iro["name"] == "Raj Patel"
    assert iro["fte"] == 1.0


def test_iro_list_counts_the_open_caseload(world):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    iros = {i["id"]: i for i in world.json("iro", "list")}
    assert iros["IRO1"]["caseload"] == 1
    assert iros["IRO2"]["caseload"] == 0
    table = world.ok("iro", "list").stdout
    assert "Jane Smith" in table and "Raj Patel" in table
    rows = list(csv.DictReader(io.StringIO(world.ok("iro", "list", "--format", "csv").stdout)))
    assert [r["id"] for r in rows] == ["IRO1", "IRO2"]


def test_iro_list_empty(initialised):
    assert initialised.json("iro", "list") == []
    assert "No IROs yet" in initialised.ok("iro", "list").stdout


def test_csv_header_does_not_depend_on_whether_there_are_rows(initialised):
    empty = initialised.ok("iro", "list", "--format", "csv").stdout.splitlines()[0]
    initialised.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    full = initialised.ok("iro", "list", "--format", "csv").stdout.splitlines()[0]
    assert empty == full


def test_iro_add_duplicate_id_is_refused(world):
    message = world.refused("iro", "add", "Someone Else", "--id", "IRO1")
    assert "IRO1" in message and "already exists" in message


@pytest.mark.parametrize("fte", ["0", "-1", "2"])
def test_iro_add_bad_fte_is_refused(initialised, fte):
    assert "FTE" in initialised.refused("iro", "add", "Raj Patel", "--id", "IRO2", "--fte", fte)


def test_iro_add_id_with_spaces_is_refused(initialised):
    assert "spaces" in initialised.refused("iro", "add", "Raj Patel", "--id", "IRO 2")


# --- child add / list / show ------------------------------------------------------------------


def test_child_add(world):
    result = add(
        world,
        "C002",
        "2014-01-09",
        "--gender",
        "M",
        "--sibling-group",
        "G1",
        "--social-worker",
        "Sam Sow",
        "--team",
        "South",
    )
    assert result.stdout == "Added child C002.\n"
    child = world.json("child", "show", "C002")
    assert child["first_name"] == "Ben"
    assert child["last_name"] == "Bell"
    assert child["dob"] == "2014-01-09"
    assert child["team"] == "South"
    assert child["social_worker"] == "Sam Sow"
    assert child["sibling_group"] == "G1"


def test_child_add_json(world):
    child = world.json(
        "child", "add", "C002", "--first-name", "Ben", "--last-name", "Bell", "--dob", "2014-01-09"
    )
    assert child["id"] == "C002"
    assert child["dob"] == "2014-01-09"


def test_child_add_duplicate_id_is_refused(world):
    message = world.refused(*add_args("C001"))
    assert "C001" in message and "already exists" in message


def add_args(child_id, dob="2014-01-09"):
    return ["child", "add", child_id, "--first-name", "Ben", "--last-name", "Bell", "--dob", dob]


@pytest.mark.parametrize("dob", ["2014-02-30", "09/01/2014", "2014-1-9x", ""])
def test_child_add_invalid_dob_is_refused(world, dob):
    message = world.refused(*add_args("C002", dob))
    assert "date of birth" in message


def test_child_add_dob_in_the_future_is_refused(world):
    # Today is 2026-07-01.
    assert "future" in world.refused(*add_args("C002", "2026-07-02"))


def test_child_list(world):
    add(world, "C002", "2014-01-09", "--team", "South")
    children = {c["id"]: c for c in world.json("child", "list")}
    assert children["C001"]["looked_after"] is True
    assert children["C001"]["iro"] == "IRO1"
    assert children["C001"]["next_due"] == "2026-06-22"
    assert children["C001"]["next_rule"] == "R-SCH-1"
    assert children["C002"]["looked_after"] is False
    assert children["C002"]["next_due"] is None
    table = world.ok("child", "list").stdout
    assert "C001" in table and "2026-06-22" in table and "R-SCH-1" in table
    rows = list(csv.DictReader(io.StringIO(world.ok("child", "list", "--format", "csv").stdout)))
    assert [r["id"] for r in rows] == ["C001", "C002"]
    only_north = world.json("child", "list", "--team", "North")
    assert [c["id"] for c in only_north] == ["C001"]
    assert [c["id"] for c in world.json("child", "list", "--not-looked-after")] == ["C002"]


def test_child_show_json_contract(world):
    child = world.json("child", "show", "C001")
    assert child.keys() >= CHILD_KEYS
    assert child["id"] == "C001"
    assert child["first_name"] == "Amy"
    assert child["last_name"] == "Ash"
    assert child["dob"] == "2015-03-02"
    assert child["looked_after"] is True
    assert child["iro"] == "IRO1"
    nxt = child["next_review"]
    assert nxt.keys() >= NEXT_REVIEW_KEYS
    assert nxt["number"] == 1
    assert nxt["due"] == "2026-06-22"
    assert nxt["rule"] == "R-SCH-1"
    assert nxt["booked"] is None


def test_child_show_next_review_booked(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    nxt = world.json("child", "show", "C001", today="2026-06-01")["next_review"]
    assert nxt == {
        **nxt,
        "number": 1,
        "due": "2026-06-22",
        "rule": "R-SCH-1",
        "booked": "2026-06-18",
    }


def test_child_show_not_looked_after(world):
    add(world, "C002")
    child = world.json("child", "show", "C002")
    assert child.keys() >= CHILD_KEYS
    assert child["looked_after"] is False
    assert child["iro"] is None
    assert child["next_review"] is None


def test_child_show_table(world):
    out = world.ok("child", "show", "C001").stdout
    assert "Amy Ash (C001)" in out
    assert "Born 2015-03-02, age 11; 18 on 2033-03-02." in out
    assert "Status: looked after" in out
    assert "IRO: Jane Smith (IRO1)" in out
    # In the words of its `due` item (wording.review), with the rule's sentence.
    assert "Next review: first review not yet booked (due by 2026-06-22, overdue)." in out
    assert "Why: R-SCH-1: " in out


def test_names_are_shown_as_typed_and_safe_in_csv(world):
    world.ok(*add_args("C002"))
    world.ok(
        "child",
        "add",
        "C003",
        "--first-name",
        "[red]Zoe",
        "--last-name",
        "=SUM(A1)",
        "--dob",
        "2014-01-09",
    )
    # Rich markup in a name is printed literally, not interpreted.
    assert "[red]Zoe =SUM(A1) (C003)" in world.ok("child", "show", "C003").stdout
    assert world.json("child", "show", "C003")["last_name"] == "=SUM(A1)"
    # A CSV cell starting with "=" is neutralised for spreadsheets.
    rows = list(csv.DictReader(io.StringIO(world.ok("child", "list", "--format", "csv").stdout)))
    assert {r["id"]: r["last_name"] for r in rows}["C003"] == "'=SUM(A1)"


def test_child_show_unknown_child_is_refused(world):
    message = world.refused("child", "show", "C999")
    assert message == "Error: no child with id 'C999'; see 'reviewcli child list'"
    world.refused("child", "show", "C999", "--format", "json")


# --- episode start ----------------------------------------------------------------------------


def test_episode_start(world):
    add(world, "C002")
    line = world.line(
        "episode",
        "start",
        "C002",
        "--date",
        "2026-06-01",
        "--legal-status",
        "c1",
        "--placement",
        "u6",
        today="2026-06-01",
    )
    # 20 working days after Mon 1 Jun 2026: 2–5 Jun (1–4), 8–12 (5–9), 15–19 (10–14),
    # 22–26 (15–19), Mon 29 Jun (20). No bank holiday in June.
    assert (
        line == "Child C002 looked after from 2026-06-01; first review due by 2026-06-29 (R-SCH-1)."
    )
    child = world.json("child", "show", "C002")
    assert child["looked_after"] is True
    assert child["next_review"]["due"] == "2026-06-29"
    [episode] = child["episodes"]
    assert (episode["rne"], episode["legal_status"], episode["placement"]) == ("S", "C1", "U6")


def test_episode_start_json(world):
    add(world, "C002")
    period = world.json("episode", "start", "C002", "--date", "2026-06-01", today="2026-06-01")
    assert isinstance(period["id"], int)
    assert period["child_id"] == "C002"
    assert period["start_date"] == "2026-06-01"


def test_episode_start_short_breaks_uses_r_sch_5(world):
    add(world, "C002")
    world.ok("episode", "start", "C002", "--date", "2026-05-22", "--legal-status", "V3")
    # R-SCH-5: first short-breaks review within 3 months of the first placement day:
    # 22 May 2026 + 3 calendar months = 22 Aug 2026.
    nxt = world.json("child", "show", "C002")["next_review"]
    assert (nxt["due"], nxt["rule"]) == ("2026-08-22", "R-SCH-5")


def test_episode_start_unknown_child_is_refused(world):
    assert "no child with id 'C999'" in world.refused(
        "episode", "start", "C999", "--date", "2026-06-01"
    )


def test_episode_start_unknown_legal_status_lists_the_codes(world):
    add(world, "C002")
    message = world.refused(
        "episode", "start", "C002", "--date", "2026-06-01", "--legal-status", "C9"
    )
    assert "unknown legal status code 'C9'" in message
    assert message.endswith("valid codes: " + ", ".join(LEGAL_STATUS))


def test_episode_start_unknown_placement_lists_the_codes(world):
    add(world, "C002")
    message = world.refused("episode", "start", "C002", "--date", "2026-06-01", "--placement", "U9")
    assert "unknown placement code 'U9'" in message
    # The codes valid on that day: H5, P2 and Z1 were retired by 2025-26 (codes.md).
    valid = [c for c in PLACEMENT if c not in ("H5", "P2", "Z1")]
    assert message.endswith("valid codes on 2026-06-01: " + ", ".join(valid))


def test_episode_start_with_a_retired_code_lists_the_current_ones(world):
    add(world, "C002")
    message = world.refused("episode", "start", "C002", "--date", "2026-06-01", "--placement", "Z1")
    assert message.startswith("Error: placement code Z1 is retired after 2025-03-31; valid codes")
    assert "Z11, Z12, Z13, Z14" in message and " H5," not in message
    world.ok("episode", "start", "C002", "--date", "2026-06-01", "--placement", "K3")


@pytest.mark.parametrize(
    "bad", ["2026-06-31", "1/6/2026", "June 1st", "2026-06", "20260601", "2026-W23-1", "2026-152"]
)
def test_episode_start_invalid_date_is_refused(world, bad):
    add(world, "C002")
    message = world.refused("episode", "start", "C002", "--date", bad)
    assert f"invalid date {bad!r}" in message and "YYYY-MM-DD" in message


def test_episode_start_in_the_future_is_refused(world):
    add(world, "C002")
    assert "future" in world.refused("episode", "start", "C002", "--date", "2026-07-02")


def test_episode_start_before_birth_is_refused(world):
    add(world, "C002", "2026-06-10", today="2026-06-10")
    assert "before the child's date of birth" in world.refused(
        "episode", "start", "C002", "--date", "2026-06-09"
    )


def test_episode_start_while_a_period_is_open_is_refused(world):
    message = world.refused("episode", "start", "C001", "--date", "2026-06-10")
    assert "already has an open period of care" in message


def test_episode_start_overlapping_the_previous_period_is_refused(world):
    world.ok(
        "episode", "end", "C001", "--date", "2026-06-05", "--reason", "E4A", today="2026-06-05"
    )
    # Before the end of the previous period, and on its last day: both overlap it.
    for start in ("2026-06-04", "2026-06-05", "2026-05-01"):
        message = world.refused("episode", "start", "C001", "--date", start)
        assert "overlaps the previous period of care, which ended on 2026-06-05" in message


def test_a_new_period_starts_a_new_review_sequence(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-03", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-03")
    world.ok(
        "episode", "end", "C001", "--date", "2026-06-05", "--reason", "E4A", today="2026-06-05"
    )
    world.ok("episode", "start", "C001", "--date", "2026-06-08", today="2026-06-08")
    # A new period: first review again, 20 working days after Mon 8 Jun 2026:
    # 9–12 Jun (1–4), 15–19 (5–9), 22–26 (10–14), 29 Jun–3 Jul (15–19), Mon 6 Jul (20).
    child = world.json("child", "show", "C001", today="2026-06-08")
    assert child["next_review"]["number"] == 1
    assert child["next_review"]["due"] == "2026-07-06"
    assert child["next_review"]["rule"] == "R-SCH-1"
    # The end of care ended the allocation: no IRO until one is named again.
    assert child["iro"] is None
    assert len(child["periods"]) == 2


# --- episode change ---------------------------------------------------------------------------


def test_episode_change(world):
    line = world.line(
        "episode",
        "change",
        "C001",
        "--date",
        "2026-06-10",
        "--placement",
        "U4",
        "--reason-place-change",
        "carpl",
        today="2026-06-10",
    )
    # A new episode does not restart the review sequence: still due 2026-06-22.
    assert line == (
        "New episode for C001 from 2026-06-10 (RNE P); next review due by 2026-06-22 (R-SCH-1)."
    )
    episodes = world.json("child", "show", "C001")["episodes"]
    assert [(e["start_date"], e["end_date"], e["rne"], e["placement"]) for e in episodes] == [
        ("2026-05-22", "2026-06-10", "S", "U6"),
        ("2026-06-10", None, "P", "U4"),
    ]
    assert episodes[0]["reason_ceased"] == "X1"
    assert episodes[1]["reason_place_change"] == "CARPL"
    assert episodes[1]["legal_status"] == "C2"


def test_episode_change_json(world):
    episode = world.json(
        "episode",
        "change",
        "C001",
        "--date",
        "2026-06-10",
        "--legal-status",
        "E1",
        "--placement",
        "U4",
    )
    assert isinstance(episode["id"], int)
    assert episode["rne"] == "B"
    assert (episode["legal_status"], episode["placement"]) == ("E1", "U4")


def test_episode_change_outside_an_open_period_is_refused(world):
    add(world, "C002")
    message = world.refused(
        "episode", "change", "C002", "--date", "2026-06-10", "--placement", "U4"
    )
    assert "not looked after" in message


def test_episode_change_after_the_end_of_care_is_refused(world):
    world.ok("episode", "end", "C001", "--date", "2026-06-05", today="2026-06-05")
    message = world.refused(
        "episode", "change", "C001", "--date", "2026-06-10", "--placement", "U4"
    )
    assert "not looked after" in message


@pytest.mark.parametrize("day", ["2026-05-22", "2026-05-21", "2026-01-01"])
def test_episode_change_not_after_the_current_episode_is_refused(world, day):
    message = world.refused("episode", "change", "C001", "--date", day, "--placement", "U4")
    assert "not after the current episode, which started on 2026-05-22" in message


def test_episode_change_not_after_the_latest_change_is_refused(world):
    world.ok("episode", "change", "C001", "--date", "2026-06-10", "--placement", "U4")
    message = world.refused(
        "episode", "change", "C001", "--date", "2026-06-09", "--placement", "U5"
    )
    assert "started on 2026-06-10" in message


def test_episode_change_in_the_future_is_refused(world):
    assert "future" in world.refused(
        "episode", "change", "C001", "--date", "2026-07-02", "--placement", "U4"
    )


def test_episode_change_unknown_codes_are_refused(world):
    message = world.refused(
        "episode",
        "change",
        "C001",
        "--date",
        "2026-06-10",
        "--placement",
        "U4",
        "--reason-place-change",
        "BORED",
    )
    assert "unknown reason for placement change code 'BORED'" in message
    assert message.endswith(", ".join(REASON_PLACE_CHANGE))
    message = world.refused(
        "episode", "change", "C001", "--date", "2026-06-10", "--legal-status", "Q1"
    )
    assert message.endswith("valid codes: " + ", ".join(LEGAL_STATUS))


def test_episode_change_with_nothing_changing_is_refused(world):
    assert "give --legal-status and/or --placement" in world.refused(
        "episode", "change", "C001", "--date", "2026-06-10"
    )
    assert "nothing changes" in world.refused(
        "episode", "change", "C001", "--date", "2026-06-10", "--placement", "U6"
    )


# --- episode end ------------------------------------------------------------------------------


def test_episode_end(world):
    line = world.line("episode", "end", "C001", "--date", "2026-06-05", "--reason", "e4a")
    assert line == "Child C001 ceased to be looked after on 2026-06-05 (E4A)."
    child = world.json("child", "show", "C001")
    assert child["looked_after"] is False
    assert child["next_review"] is None
    assert child["periods"][0]["end_date"] == "2026-06-05"
    assert child["periods"][0]["reason_ceased"] == "E4A"


def test_episode_end_json(world):
    ended = world.json("episode", "end", "C001", "--date", "2026-06-05")
    assert isinstance(ended["id"], int)
    assert ended["end_date"] == "2026-06-05"
    assert ended["cancelled_review"] is None


def test_episode_end_unknown_reason_lists_the_codes(world):
    message = world.refused("episode", "end", "C001", "--date", "2026-06-05", "--reason", "E99")
    assert "unknown reason ceased code 'E99'" in message
    assert message.endswith("valid codes: " + ", ".join(REASON_CEASED))


def test_episode_end_refusals(world):
    add(world, "C002")
    assert "not looked after" in world.refused("episode", "end", "C002", "--date", "2026-06-05")
    assert "future" in world.refused("episode", "end", "C001", "--date", "2026-07-02")
    assert "before the current episode began" in world.refused(
        "episode", "end", "C001", "--date", "2026-05-21"
    )
    assert "invalid date" in world.refused("episode", "end", "C001", "--date", "2026-02-29")
    assert "episode change" in world.refused(
        "episode", "end", "C001", "--date", "2026-06-05", "--reason", "X1"
    )


def test_episode_end_before_the_last_review_is_refused(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-10", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-10")
    message = world.refused("episode", "end", "C001", "--date", "2026-06-09")
    assert "review was held on 2026-06-10" in message


def test_episode_end_with_a_review_booked_on_or_before_the_end_is_refused(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    message = world.refused("episode", "end", "C001", "--date", "2026-06-18")
    assert "review 1 was booked for 2026-06-18" in message


# --- allocate ---------------------------------------------------------------------------------


def test_allocate(world):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    line = world.line("allocate", "C001", "IRO2", "--date", "2026-06-10")
    assert line == "Raj Patel (IRO2) is the IRO for C001 from 2026-06-10."
    child = world.json("child", "show", "C001")
    assert child["iro"] == "IRO2"
    assert [(a["iro_id"], a["start_date"], a["end_date"]) for a in child["allocations"]] == [
        ("IRO1", "2026-05-26", "2026-06-10"),
        ("IRO2", "2026-06-10", None),
    ]


def test_allocate_defaults_to_today_and_prints_json(world):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    allocation = world.json("allocate", "C001", "IRO2")
    assert isinstance(allocation["id"], int)
    assert allocation["start_date"] == "2026-07-01"
    assert allocation["previous_iro"] == "IRO1"


def test_allocate_late_warns(world):
    add(world, "C002")
    world.ok("episode", "start", "C002", "--date", "2026-06-01")
    # R-IRO-2: within 5 working days of Mon 1 Jun 2026 = Mon 8 Jun 2026.
    result = world.ok("allocate", "C002", "IRO1", "--date", "2026-06-09")
    assert "Warning: IRO named after the R-IRO-2 deadline of 2026-06-08" in result.stderr


def test_allocate_refusals(world):
    add(world, "C002")
    assert "no IRO with id 'IRO9'" in world.refused("allocate", "C001", "IRO9")
    assert "no child with id 'C999'" in world.refused("allocate", "C999", "IRO1")
    assert "already the IRO" in world.refused("allocate", "C001", "IRO1")
    assert "not looked after" in world.refused("allocate", "C002", "IRO1")
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    assert "invalid date" in world.refused("allocate", "C001", "IRO2", "--date", "2026-13-01")
    assert "future" in world.refused("allocate", "C001", "IRO2", "--date", "2026-07-02")
    assert "before the period of care began" in world.refused(
        "allocate", "C001", "IRO2", "--date", "2026-05-21"
    )
    assert "before the current allocation began" in world.refused(
        "allocate", "C001", "IRO2", "--date", "2026-05-25"
    )


# --- child pathway-plan (R-SCH-16) ------------------------------------------------------------


def test_pathway_plan_received(world):
    add(world, "Y001", "2009-03-15")
    world.ok("episode", "start", "Y001", "--date", "2026-06-01")
    # 18 on Mon 15 Mar 2027; 20 working days before (R-CAL-3): Fri 12 Mar (1) … Mon 8 Mar
    # (5), Fri 5 Mar (6) … Mon 1 Mar (10), 26–22 Feb (11–15), 19–15 Feb (16–20): Mon 15 Feb.
    line = world.line("child", "pathway-plan", "Y001", "--received", "2026-06-30")
    assert line == "Final pathway plan for Y001 received 2026-06-30."
    done = world.json("child", "pathway-plan", "Y001", "--received", "2026-07-01")
    assert done["due"] == "2027-02-15"
    assert done["late"] is False


def test_pathway_plan_refusals(world):
    add(world, "C002")
    assert "future" in world.refused("child", "pathway-plan", "C001", "--received", "2026-07-02")
    assert "not looked after" in world.refused("child", "pathway-plan", "C002")
    assert "no child" in world.refused("child", "pathway-plan", "C999")
    assert "invalid date" in world.refused("child", "pathway-plan", "C001", "--received", "x")


def test_pathway_plan_json_has_an_id(world):
    assert "id" in world.json("child", "pathway-plan", "C001")


def test_a_long_table_shows_its_first_rows_and_says_how_many_more(initialised, monkeypatch):
    """The terminal table stops after output.TABLE_ROWS rows; csv and json carry them all."""
    from reviewcli import output

    monkeypatch.setattr(output, "TABLE_ROWS", 2)
    for n in range(1, 5):
        initialised.ok(
            "child",
            "add",
            f"C00{n}",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--dob",
            "2015-01-01",
        )
    table = initialised.ok("child", "list").stdout
    assert "C001" in table and "C002" in table and "C004" not in table
    assert "2 more rows (4 in all)" in table
    assert len(initialised.json("child", "list", "--format", "json")) == 4
