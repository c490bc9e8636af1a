"""A review's life through the CLI: its steps, decisions, events, disputes and IRO rules.

DOMAIN.md §3 (R-PRE-1..4, R-POST-1..7), §4 (decisions), §5 (R-IRO-3/4, R-EVT-1/2), §6
(disputes); CLI.md. Every date is worked out by hand in a comment.

England bank holidays in 2026: Thu 1 Jan, Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May,
Mon 31 Aug, Fri 25 Dec, Mon 28 Dec.

The ``world`` fixture (tests/conftest.py): IRO1, and C001 (born 2015-03-02) looked after
from Fri 22 May 2026, IRO1 named on 26 May; her first review is due by Mon 22 Jun 2026
(R-SCH-1). "Today" is Wed 1 Jul 2026 unless a command says otherwise.

C002, built by ``held_22_may``, is looked after from Fri 1 May 2026, so her first review is
due by Tue 2 Jun 2026 (R-SCH-1: Tue 5 May (1; Mon 4 May is a bank holiday), 6-8 May (2-4),
11-15 May (5-9), 18-22 May (10-14), 26-29 May (15-18; Mon 25 May is a bank holiday),
Mon 1 Jun (19), Tue 2 Jun (20)). It is booked for, and held on, Fri 22 May 2026.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

from reviewcli.events import KINDS as EVENT_KINDS
from reviewcli.steps import STEPS
from reviewcli.worklist import KINDS as DUE_KINDS

PRE = ("consultation", "sw-conversation", "invitations", "reports", "iro-visit")
ACTION_KEYS = {"id", "review_id", "child_id", "text", "owner", "due", "starred", "status"}
ACTION_KEYS |= {"overdue"}


# --- helpers -----------------------------------------------------------------------------------


def steps(run, review_id, today=None) -> dict[str, dict]:
    """``review steps`` as {step: row}."""
    return {r["step"]: r for r in run.json("review", "steps", review_id, today=today)}


def dues(run, review_id, today=None) -> dict[str, str]:
    return {name: r["due"] for name, r in steps(run, review_id, today).items()}


def statuses(run, review_id, today=None) -> dict[str, str]:
    return {name: r["status"] for name, r in steps(run, review_id, today).items()}


def due_list(run, on, *kinds, within=30) -> list[dict]:
    args = ["due", "--on", on, "--within", str(within)]
    for kind in kinds:
        args += ["--kind", kind]
    return run.json(*args)


def book(run, child_id, on, today=None) -> int:
    return run.json("review", "schedule", child_id, "--date", on, today=today)["id"]


def book_c001(world, today="2026-05-26") -> int:
    """C001's first review booked for Mon 22 Jun 2026, her deadline."""
    return book(world, "C001", "2026-06-22", today=today)


def held_22_may(world, new_child, *policy: str) -> int:
    """C002's first review, booked for and held on Fri 22 May 2026 (see the module doc)."""
    new_child("C002", "2012-06-15", start="2026-05-01", iro="IRO1")
    for key in policy:
        world.ok("policy", "set", key, "on")
    review_id = book(world, "C002", "2026-05-22", today="2026-05-01")
    world.ok("review", "hold", review_id, "--participation", "PN1", today="2026-05-22")
    return review_id


def add_decision(run, review_id, text, due, *extra, today="2026-05-22") -> dict:
    return run.json(
        "decision", "add", review_id, text, "--owner", "Sam Social Worker", "--due", due, *extra,
        today=today,
    )  # fmt: skip


def db_row(run, sql, params=()) -> tuple:
    conn = sqlite3.connect(run.db)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


# --- R-PRE-1..4: preparation steps, counted back from the booked date --------------------------


def test_first_review_preparation_steps(world):
    # Booked Mon 22 Jun 2026, a first review. Back from 22 Jun: Fri 19 (1) … Mon 15 (5),
    # 12-8 Jun (6-10), 5-1 Jun (11-15), Fri 29 May (16) … Tue 26 May (19), [Mon 25 May bank
    # holiday], Fri 22 May (20).
    # consultation (R-PRE-1, 20th) Fri 22 May; invitations (R-PRE-2, 10th) Mon 8 Jun;
    # reports (R-PRE-3, first review: 3rd) Wed 17 Jun; iro-visit (R-PRE-4) the day itself;
    # sw-conversation (R-PRE-4, 15th working day back, IRO Handbook 3.9) Mon 1 Jun.
    review_id = book_c001(world)
    rows = steps(world, review_id)
    assert {name: (r["due"], r["rule"], r["status"]) for name, r in rows.items()} == {
        "consultation": ("2026-05-22", "R-PRE-1", "open"),
        "sw-conversation": ("2026-06-01", "R-PRE-4", "open"),
        "invitations": ("2026-06-08", "R-PRE-2", "open"),
        "reports": ("2026-06-17", "R-PRE-3", "open"),
        "iro-visit": ("2026-06-22", "R-PRE-4", "open"),
    }
    # The steps are on the work list as their own kinds.
    items = due_list(world, "2026-06-01", *PRE)
    assert [(i["kind"], i["due"], i["overdue"]) for i in items] == [
        ("consultation", "2026-05-22", True),
        ("sw-conversation", "2026-06-01", False),
        ("invitations", "2026-06-08", False),
        ("reports", "2026-06-17", False),
        ("iro-visit", "2026-06-22", False),
    ]
    assert {i["review_id"] for i in items} == {review_id}
    assert {i["rule"] for i in items} == {"R-PRE-1", "R-PRE-2", "R-PRE-3", "R-PRE-4"}


def test_social_worker_conversation_is_a_handbook_duty(world):
    # R-PRE-4 (IRO Handbook 3.9): 15 working days before Mon 22 Jun 2026 = Mon 1 Jun, with
    # no policy setting; listed in 'due' until done.
    review_id = book_c001(world)
    assert dues(world, review_id)["sw-conversation"] == "2026-06-01"
    [item] = due_list(world, "2026-05-26", "sw-conversation")
    assert (item["due"], item["rule"]) == ("2026-06-01", "R-PRE-4")
    world.ok("review", "done", review_id, "sw-conversation", "--date", "2026-05-29")
    assert due_list(world, "2026-05-29", "sw-conversation") == []
    # A local procedure's number of working days; it cannot be turned off.
    world.ok("policy", "set", "social-worker-conversation", "20")
    other = world.json("policy", "show")
    assert {r["key"]: r["value"] for r in other}["social-worker-conversation"] == 20
    message = world.refused("policy", "set", "social-worker-conversation", "off")
    assert "duty of the IRO Handbook (3.9)" in message


def test_later_review_preparation_steps_across_bank_holidays(world, new_child):
    # C003 looked after from Mon 2 Mar 2026: first review due by the 20th working day,
    # 3-6 Mar (1-4), 9-13 (5-9), 16-20 (10-14), 23-27 (15-19), Mon 30 Mar (20).
    # Held Fri 27 Mar 2026, so the second is due by 27 Jun 2026 (R-SCH-2).
    new_child("C003", "2013-09-09", start="2026-03-02", iro="IRO1")
    first = book(world, "C003", "2026-03-27", today="2026-03-02")
    world.ok("review", "hold", first, "--participation", "PN1", today="2026-03-27")
    # Second review booked for Thu 28 May 2026. Back from 28 May: Wed 27 (1), Tue 26 (2),
    # [Mon 25 May], Fri 22 (3), Thu 21 (4), Wed 20 (5) -> reports (later review: 5th)
    # Wed 20 May; Tue 19 (6), Mon 18 (7), Fri 15 (8), Thu 14 (9), Wed 13 (10) -> invitations
    # Wed 13 May; Tue 12 (11), Mon 11 (12), 8-5 May (13-16), [Mon 4 May], Fri 1 May (17),
    # Thu 30 Apr (18), Wed 29 Apr (19), Tue 28 Apr (20) -> consultation Tue 28 Apr.
    second = book(world, "C003", "2026-05-28", today="2026-04-01")
    # The 15th working day back, Wed 6 May -> sw-conversation.
    assert dues(world, second) == {
        "consultation": "2026-04-28",
        "sw-conversation": "2026-05-06",
        "invitations": "2026-05-13",
        "reports": "2026-05-20",
        "iro-visit": "2026-05-28",
    }
    # The first review's steps were never marked done: holding it made them 'missed'.
    # (First review on Fri 27 Mar: reports 3 working days back, Tue 24 Mar.)
    first_rows = steps(world, first)
    assert first_rows["reports"]["due"] == "2026-03-24"
    assert {first_rows[s]["status"] for s in PRE} == {"missed"}


def test_reschedule_moves_open_steps_and_keeps_done_ones(world):
    world.ok("policy", "set", "social-worker-conversation", "on")
    review_id = book_c001(world)
    world.ok("review", "done", review_id, "invitations", "--date", "2026-06-05", today="2026-06-05")
    world.ok("review", "reschedule", review_id, "--date", "2026-06-18", today="2026-06-05")
    # Moved to Thu 18 Jun 2026. Back: Wed 17 (1), Tue 16 (2), Mon 15 (3) -> reports Mon 15 Jun;
    # 12-8 Jun (4-8), 5-1 Jun (9-13), 29-26 May (14-17), [Mon 25 May], Fri 22 (18),
    # Thu 21 (19), Wed 20 May (20) -> consultation Wed 20 May, before C001 came into care on
    # Fri 22 May, so it is due on 22 May (nothing falls due before the period began).
    # sw-conversation, 15 working days back: 12-8 Jun (4-8), 5-1 Jun (9-13), Fri 29 (14),
    # Thu 28 May (15). The invitations were done on 5 Jun: that step keeps its date, 8 Jun.
    rows = steps(world, review_id, today="2026-06-05")
    assert {name: (r["due"], r["status"]) for name, r in rows.items()} == {
        "consultation": ("2026-05-22", "open"),
        "sw-conversation": ("2026-05-28", "open"),
        "invitations": ("2026-06-08", "done"),
        "reports": ("2026-06-15", "open"),
        "iro-visit": ("2026-06-18", "open"),
    }
    assert rows["invitations"]["done_on"] == "2026-06-05"
    assert rows["invitations"]["late"] is False
    items = due_list(world, "2026-06-05", *PRE)
    assert [(i["kind"], i["due"]) for i in items] == [
        ("consultation", "2026-05-22"),
        ("sw-conversation", "2026-05-28"),
        ("reports", "2026-06-15"),
        ("iro-visit", "2026-06-18"),
    ]


def test_reschedule_after_the_setting_changes_leaves_no_stale_step(world):
    world.ok("policy", "set", "social-worker-conversation", "20")
    review_id = book_c001(world)  # 20 working days before 22 Jun 2026: Fri 22 May
    assert dues(world, review_id)["sw-conversation"] == "2026-05-22"
    world.ok("policy", "set", "social-worker-conversation", "15")
    world.ok("review", "reschedule", review_id, "--date", "2026-06-18", today="2026-06-01")
    # The step moves with the review and the setting: 15 working days before Thu 18 Jun
    # 2026 = Thu 28 May (see above).
    assert dues(world, review_id)["sw-conversation"] == "2026-05-28"


def test_hold_marks_open_preparation_steps_missed(world):
    review_id = book_c001(world)
    world.ok(
        "review", "done", review_id, "consultation", "--date", "2026-05-22", today="2026-05-26"
    )
    world.ok("review", "hold", review_id, "--participation", "PN1")
    assert statuses(world, review_id) == {
        "consultation": "done",
        "sw-conversation": "missed",
        "invitations": "missed",
        "reports": "missed",
        "iro-visit": "missed",
        # Recording steps from Mon 22 Jun 2026: Tue 23 (1) … Mon 29 Jun (5) decisions,
        # … Mon 6 Jul (10) care plan, … Mon 13 Jul (15) record, … Mon 20 Jul (20).
        "decisions": "open",
        "care-plan": "open",
        "record": "open",
        "distribution": "open",
    }
    assert dues(world, review_id)["decisions"] == "2026-06-29"
    # Missed steps are no longer on the work list …
    assert due_list(world, "2026-06-23", *PRE) == []
    # … but can still be recorded, late: reports were due Wed 17 Jun (3 working days before).
    line = world.line("review", "done", review_id, "reports", "--date", "2026-06-19")
    assert line == (
        f"Review {review_id}: social worker's reports to the IRO done on 2026-06-19, late "
        "(due 2026-06-17, R-PRE-3)."
    )
    row = steps(world, review_id)["reports"]
    assert (row["status"], row["done_on"], row["late"]) == ("done", "2026-06-19", True)
    # The visit on the day itself is not late.
    done = world.json("review", "done", review_id, "iro-visit", "--date", "2026-06-22")
    assert (done["due"], done["done_on"], done["late"]) == ("2026-06-22", "2026-06-22", False)


def test_cancel_marks_open_preparation_steps_cancelled(world):
    review_id = book_c001(world)
    world.ok("review", "done", review_id, "invitations", "--date", "2026-06-08", today="2026-06-08")
    world.ok("review", "cancel", review_id, "--reason", "Carer unwell", today="2026-06-10")
    assert statuses(world, review_id) == {
        "consultation": "cancelled",
        "sw-conversation": "cancelled",
        "invitations": "done",
        "reports": "cancelled",
        "iro-visit": "cancelled",
    }
    assert due_list(world, "2026-06-10", *PRE) == []
    message = world.refused("review", "done", review_id, "reports", today="2026-06-10")
    assert message == f"Error: the reports step of review {review_id} is cancelled"
    # A new booking gets its own, open steps.
    again = book(world, "C001", "2026-06-22", today="2026-06-10")
    assert again != review_id
    assert set(statuses(world, again).values()) == {"open"}
    assert dues(world, again)["reports"] == "2026-06-17"


# --- R-POST-1..6: recording steps, counted from the recording date ------------------------------


def test_recording_steps_of_a_review_held_before_the_spring_bank_holiday(world, new_child):
    review_id = held_22_may(world, new_child)
    # Recorded Fri 22 May 2026: [Mon 25 May], Tue 26 (1) … Fri 29 (4), Mon 1 Jun (5)
    # -> decisions; 2-5 Jun (6-9), Mon 8 Jun (10) -> care plan; 9-12 Jun (11-14),
    # Mon 15 Jun (15) -> record; 16-19 Jun (16-19), Mon 22 Jun (20) -> distribution.
    rows = steps(world, review_id, today="2026-05-22")
    post = {n: (r["due"], r["rule"], r["status"]) for n, r in rows.items() if n not in PRE}
    assert post == {
        "decisions": ("2026-06-01", "R-POST-2", "open"),
        "care-plan": ("2026-06-08", "R-POST-4", "open"),
        "record": ("2026-06-15", "R-POST-5", "open"),
        "distribution": ("2026-06-22", "R-POST-6", "open"),
    }
    items = due_list(world, "2026-05-26", "decisions", "care-plan", "record", "distribution")
    assert [(i["kind"], i["due"], i["rule"]) for i in items] == [
        ("decisions", "2026-06-01", "R-POST-2"),
        ("care-plan", "2026-06-08", "R-POST-4"),
        ("record", "2026-06-15", "R-POST-5"),
        ("distribution", "2026-06-22", "R-POST-6"),
    ]
    # Without the West Sussex setting there is no monitoring form to record.
    message = world.refused("review", "done", review_id, "monitoring-form", today="2026-05-26")
    assert message == (
        f"Error: review {review_id} has no monitoring-form step (it is not required by the "
        "current policy)"
    )


def test_monitoring_form_with_the_policy(world, new_child):
    review_id = held_22_may(world, new_child, "quality-monitoring-form")
    # R-POST-1: 1 working day after Fri 22 May 2026 is Tue 26 May (Mon 25 is a bank holiday).
    row = steps(world, review_id, today="2026-05-22")["monitoring-form"]
    assert (row["due"], row["rule"]) == ("2026-05-26", "R-POST-1")
    [item] = due_list(world, "2026-05-22", "monitoring-form")
    assert (item["due"], item["rule"], item["overdue"]) == ("2026-05-26", "R-POST-1", False)


def test_adjourned_review_records_from_the_reconvened_meeting(world, new_child):
    new_child("C002", "2012-06-15", start="2026-05-01", iro="IRO1")
    review_id = book(world, "C002", "2026-05-22", today="2026-05-01")
    world.ok(
        "review", "adjourn", review_id, "--to", "2026-05-28", "--reason", "Mother unwell",
        today="2026-05-22",
    )  # fmt: skip
    # The preparation steps follow the reconvened meeting on Thu 28 May (still a first
    # review): reports 3 working days back, Wed 27 (1), Tue 26 (2), Fri 22 May (3).
    assert dues(world, review_id, today="2026-05-22")["reports"] == "2026-05-22"
    world.ok("review", "hold", review_id, "--participation", "PN1", today="2026-05-28")
    [review] = world.json("review", "list", "--child", "C002")
    assert (review["recording_date"], review["held_date"]) == ("2026-05-22", "2026-05-28")
    # The recording date stays Fri 22 May (IRO Handbook 3.27), but the recording steps count
    # from the completion of the review, Thu 28 May (IRO Handbook 3.69): Fri 29 (1),
    # 1-4 Jun (2-5) -> decisions Thu 4 Jun; Fri 5 (6), 8-11 Jun (7-10) -> care plan Thu
    # 11 Jun; Fri 12 (11), 15-18 (12-15) -> record Thu 18 Jun; Fri 19 (16), 22-25 (17-20)
    # -> distribution Thu 25 Jun.
    got = {n: d for n, d in dues(world, review_id, today="2026-05-28").items() if n not in PRE}
    assert got == {
        "decisions": "2026-06-04",
        "care-plan": "2026-06-11",
        "record": "2026-06-18",
        "distribution": "2026-06-25",
    }
    # Nothing is overdue the moment it is held (the bug of counting from 22 May would have
    # made the decisions due Mon 1 Jun, three working days after the meeting).
    assert [i for i in due_list(world, "2026-05-28", "decisions") if i["overdue"]] == []
    # A recording step cannot be done before the review was completed.
    assert (
        world.refused(
            "review", "done", review_id, "decisions", "--date", "2026-05-27", today="2026-05-28"
        )
        == "Error: 2026-05-27 is before the review was completed (2026-05-28)"
    )


# --- R-POST-3: the manager's response ----------------------------------------------------------


def test_manager_response_window_opens_with_the_decisions(world, new_child):
    review_id = held_22_may(world, new_child)
    assert "manager-response" not in steps(world, review_id, today="2026-05-22")
    assert due_list(world, "2026-05-22", "manager-response") == []
    message = world.refused("review", "done", review_id, "manager-response", today="2026-05-22")
    assert message == (
        "Error: the manager's response follows the decisions: mark 'decisions' done first"
    )
    line = world.line(
        "review", "done", review_id, "decisions", "--date", "2026-05-22", today="2026-05-22"
    )
    assert line == (
        f"Review {review_id}: decisions and recommendations written and circulated done on "
        "2026-05-22 (R-POST-2)."
    )
    # Circulated Fri 22 May 2026: 5 working days later, Tue 26 (1) … Fri 29 (4), Mon 1 Jun (5).
    row = steps(world, review_id, today="2026-05-22")["manager-response"]
    assert (row["due"], row["rule"], row["status"]) == ("2026-06-01", "R-POST-3", "open")
    # On the work list while the window is open, including its last day …
    for on in ("2026-05-26", "2026-06-01"):
        [item] = due_list(world, on, "manager-response")
        assert (item["due"], item["overdue"], item["rule"]) == ("2026-06-01", False, "R-POST-3")
        assert item["review_id"] == review_id
        assert "deemed agreed" in item["detail"]
    # … then silence means agreed: not overdue, simply gone.
    assert due_list(world, "2026-06-02", "manager-response") == []
    everything = due_list(world, "2026-06-02")
    assert not [i for i in everything if i["kind"] == "manager-response"]
    assert steps(world, review_id, today="2026-06-01")["manager-response"]["status"] == "open"
    deemed = steps(world, review_id, today="2026-06-02")["manager-response"]
    assert deemed["status"] == "deemed agreed"
    assert "deemed agreed" in world.ok("review", "steps", review_id, today="2026-06-02").stdout


def test_manager_disagreement_is_stored(world, new_child):
    review_id = held_22_may(world, new_child)
    world.ok("review", "done", review_id, "decisions", "--date", "2026-05-22", today="2026-05-22")
    done = world.json(
        "review", "done", review_id, "manager-response", "--date", "2026-05-29",
        "--disagree", "The contact plan is not agreed", today="2026-05-29",
    )  # fmt: skip
    assert (done["step"], done["manager_response"], done["late"]) == (
        "manager-response",
        "disagreed",
        False,
    )
    assert db_row(
        world, "SELECT manager_response, manager_disagreement FROM reviews WHERE id = ?",
        [review_id],
    ) == ("disagreed", "The contact plan is not agreed")  # fmt: skip
    row = steps(world, review_id, today="2026-06-10")["manager-response"]
    assert (row["status"], row["done_on"]) == ("done", "2026-05-29")
    assert due_list(world, "2026-05-29", "manager-response") == []


def test_manager_agreement_after_the_window_says_it_was_already_deemed_agreed(world, new_child):
    review_id = held_22_may(world, new_child)
    world.ok("review", "done", review_id, "decisions", "--date", "2026-05-22", today="2026-05-22")
    line = world.line(
        "review", "done", review_id, "manager-response", "--date", "2026-06-03", today="2026-06-03"
    )
    assert line == (
        f"Review {review_id}: manager's agreement recorded on 2026-06-03; the decisions were "
        "already deemed agreed when the window closed on 2026-06-01 (R-POST-3)."
    )
    assert db_row(world, "SELECT manager_response FROM reviews WHERE id = ?", [review_id]) == (
        "agreed",
    )


# --- review done refusals -------------------------------------------------------------------------


def test_review_done_refusals(world):
    review_id = book_c001(world)
    at = {"today": "2026-05-26"}
    assert world.refused("review", "done", review_id, "minutes", **at) == (
        f"Error: unknown step 'minutes'; steps: {', '.join(STEPS)}"
    )
    message = world.refused(
        "review", "done", review_id, "invitations", "--date", "2026-05-27", **at
    )
    assert message == "Error: 2026-05-27 is in the future; mark a step done once it is done"
    for step in ("decisions", "manager-response", "record"):
        assert world.refused("review", "done", review_id, step, **at) == (
            f"Error: review {review_id} is booked; the {step} step follows a held review"
        )
    assert world.refused("review", "done", review_id, "reports", "--disagree", "No", **at) == (
        "Error: --disagree belongs to the manager-response step"
    )
    assert "no review with id 99" in world.refused("review", "done", "99", "reports", **at)
    world.ok("review", "done", review_id, "invitations", **at)
    assert world.refused("review", "done", review_id, "invitations", **at) == (
        f"Error: the invitations step of review {review_id} was done on 2026-05-26"
    )
    # Held on Mon 22 Jun: a recording step cannot be done before that day.
    world.ok("review", "hold", review_id, "--participation", "PN1")
    assert world.refused("review", "done", review_id, "decisions", "--date", "2026-06-19") == (
        "Error: 2026-06-19 is before the review was completed (2026-06-22)"
    )
    assert world.refused("review", "done", review_id, "invitations") == (
        f"Error: the invitations step of review {review_id} was done on 2026-05-26"
    )


# --- §4 decisions and actions -----------------------------------------------------------------


def test_decisions_only_for_a_held_review_and_not_due_before_it(world, new_child):
    booked = book_c001(world)
    assert world.refused(
        "decision", "add", booked, "Arrange contact", "--owner", "SW", "--due", "2026-07-31"
    ) == (
        f"Error: review {booked} is booked; decisions are recorded for a held review "
        "('reviewcli review hold' first)"
    )
    review_id = held_22_may(world, new_child)
    assert (
        world.refused(
            "decision", "add", review_id, "Arrange contact", "--owner", "SW", "--due", "2026-05-21"
        )
        == "Error: due date 2026-05-21 is before the review (2026-05-22)"
    )
    same_day = add_decision(world, review_id, "Tell the school", "2026-05-22")
    assert (same_day["due"], same_day["status"], same_day["starred"]) == (
        "2026-05-22",
        "open",
        False,
    )
    assert same_day["forward_due"] is None


def test_starred_decision_is_forwarded_within_72_hours(world, new_child):
    review_id = held_22_may(world, new_child)
    assert world.refused(
        "decision", "add", review_id, "x", "--owner", "SW", "--due", "2026-07-31",
        "--star-category", "urgent",
    ) == "Error: unknown star category 'urgent'; use care-plan, resources, practice"  # fmt: skip
    line = world.line(
        "decision", "add", review_id, "Fund the therapeutic placement", "--owner", "Team Manager",
        "--due", "2026-07-31", "--star-category", "resources", today="2026-05-22",
    )  # fmt: skip
    # Recorded Fri 22 May 2026 + 72 hours (3 calendar days) = Mon 25 May, a bank holiday, kept
    # as the statutory date (R-CAL-6).
    assert line.endswith("due 2026-07-31; starred, to be forwarded by 2026-05-25 (R-POST-7).")
    [decision] = world.json("actions", "--on", "2026-05-22")
    assert (decision["starred"], decision["star_category"]) == (True, "resources")
    assert decision["forward_due"] == "2026-05-25"
    [item] = due_list(world, "2026-05-22", "starred")
    assert (item["kind"], item["due"], item["rule"], item["overdue"]) == (
        "starred",
        "2026-05-25",
        "R-POST-7",
        False,
    )
    [item] = due_list(world, "2026-05-26", "starred")
    assert item["overdue"] is True
    line = world.line(
        "decision", "forward", decision["id"], "--date", "2026-05-26", today="2026-05-26"
    )
    assert line == (
        f"Starred decision {decision['id']} forwarded on 2026-05-26, late (due 2026-05-25, "
        "R-POST-7)."
    )
    assert due_list(world, "2026-05-26", "starred") == []
    assert "was forwarded on 2026-05-26" in world.refused("decision", "forward", decision["id"])
    plain = add_decision(world, review_id, "Update the health plan", "2026-07-31")
    assert world.refused("decision", "forward", plain["id"]) == (
        f"Error: decision {plain['id']} is not starred; only starred ones are forwarded"
    )
    # --starred alone gives the same 72 hours, without a category.
    starred = add_decision(world, review_id, "Secure a school place", "2026-07-31", "--starred")
    assert (starred["starred"], starred["forward_due"]) == (True, "2026-05-25")


def test_decision_done_edit_cancel(world, new_child):
    review_id = held_22_may(world, new_child)
    first = add_decision(world, review_id, "Book the dentist", "2026-06-30")
    second = add_decision(world, review_id, "Life story work", "2026-06-30")
    third = add_decision(world, review_id, "Apply for a passport", "2026-06-30")
    done = world.json("decision", "done", first["id"], "--date", "2026-06-10", today="2026-06-10")
    assert (done["status"], done["done_on"], done["overdue"]) == ("done", "2026-06-10", False)
    assert world.refused("decision", "done", first["id"]) == (
        f"Error: decision {first['id']} is done"
    )
    line = world.line(
        "decision", "edit", second["id"], "--due", "2026-08-14", "--reason",
        "Waiting for the CAMHS appointment", today="2026-06-10",
    )  # fmt: skip
    assert line == (
        f"Decision {second['id']} changed: due 2026-06-30 → 2026-08-14 (Waiting for the CAMHS "
        "appointment)."
    )
    shown = world.ok("decision", "show", second["id"], "--format", "json").stdout
    history = json.loads(shown)["history"]
    assert [(h["action"], h["old_due"], h["new_due"], h["reason"]) for h in history] == [
        ("add", None, "2026-06-30", None),
        ("edit", "2026-06-30", "2026-08-14", "Waiting for the CAMHS appointment"),
    ]
    assert json.loads(shown)["due"] == "2026-08-14"
    assert world.refused("decision", "edit", second["id"], "--reason", "x") == (
        "Error: nothing to change: give --due, --owner, --text and/or --child-text"
    )
    assert (
        world.refused("decision", "edit", second["id"], "--due", "2026-05-01", "--reason", "x")
        == "Error: due date 2026-05-01 is before the review (2026-05-22)"
    )
    cancelled = world.json(
        "decision", "cancel", third["id"], "--reason", "Passport no longer needed"
    )
    assert (cancelled["status"], cancelled["cancel_reason"]) == (
        "cancelled",
        "Passport no longer needed",
    )
    assert cancelled["history"][-1]["action"] == "cancel"
    assert world.refused("decision", "done", third["id"]) == (
        f"Error: decision {third['id']} is cancelled"
    )
    # Only the edited one is still open.
    assert [a["id"] for a in world.json("actions", "--on", "2026-07-01")] == [second["id"]]
    statuses_all = {a["id"]: a["status"] for a in world.json("actions", "--status", "all")}
    assert statuses_all == {first["id"]: "done", second["id"]: "open", third["id"]: "cancelled"}


def test_overdue_actions_are_exactly_the_open_decisions_past_due(world, new_child):
    review_id = held_22_may(world, new_child)
    late_a = add_decision(world, review_id, "A: visit the new school", "2026-06-10")
    on_day = add_decision(world, review_id, "C: due on the day itself", "2026-07-01")
    late_b = add_decision(world, review_id, "B: complete the health assessment", "2026-06-30")
    done = add_decision(world, review_id, "D: done already", "2026-06-05")
    cancelled = add_decision(world, review_id, "E: cancelled", "2026-06-01")
    starred = add_decision(world, review_id, "F: starred, late", "2026-06-20", "--starred")
    later = add_decision(world, review_id, "G: not yet due", "2026-09-01")
    world.ok("decision", "done", done["id"], "--date", "2026-06-04", today="2026-06-04")
    world.ok("decision", "cancel", cancelled["id"], "--reason", "Not needed")
    rows = world.json("actions", "--overdue", "--on", "2026-07-01")
    assert [r["id"] for r in rows] == [late_a["id"], starred["id"], late_b["id"]]
    for r in rows:
        assert set(r) >= ACTION_KEYS
        assert (r["child_id"], r["review_id"], r["status"], r["overdue"]) == (
            "C002",
            review_id,
            "open",
            True,
        )
        assert r["owner"] == "Sam Social Worker"
    assert [r["starred"] for r in rows] == [False, True, False]
    assert [r["due"] for r in rows] == ["2026-06-10", "2026-06-20", "2026-06-30"]
    assert rows[0]["text"] == "A: visit the new school"
    # Without --overdue: every open decision, with its overdue flag on that day.
    open_rows = world.json("actions", "--on", "2026-07-01")
    assert [(r["id"], r["overdue"]) for r in open_rows] == [
        (late_a["id"], True),
        (starred["id"], True),
        (late_b["id"], True),
        (on_day["id"], False),
        (later["id"], False),
    ]
    # A day earlier, B (due 30 Jun) is not yet overdue.
    earlier = world.json("actions", "--overdue", "--on", "2026-06-30")
    assert [r["id"] for r in earlier] == [late_a["id"], starred["id"]]
    assert "invalid --on date" in world.refused("actions", "--on", "2026-13-01")


def test_actions_appear_in_due_from_the_reminder_days(world, new_child):
    review_id = held_22_may(world, new_child)
    soon = add_decision(world, review_id, "Review contact", "2026-07-15")
    late = add_decision(world, review_id, "Health assessment", "2026-06-01")

    def action_ids(on, within=30):
        items = due_list(world, on, "action", within=within)
        assert {i["rule"] for i in items} <= {"§4"}
        return [(i["decision_id"], i["overdue"]) for i in items]

    # Default 14 days ahead: 1 Jul + 14 = 15 Jul, so the 15 Jul action shows; on 30 Jun
    # (+14 = 14 Jul) it does not yet. The overdue one always shows.
    assert action_ids("2026-07-01") == [(late["id"], True), (soon["id"], False)]
    assert action_ids("2026-06-30") == [(late["id"], True)]
    # --within narrower than the reminder: 1 Jul + 5 = 6 Jul.
    assert action_ids("2026-07-01", within=5) == [(late["id"], True)]
    assert action_ids("2026-07-01", within=0) == [(late["id"], True)]
    # A shorter reminder: 3 days, so from 12 Jul (12 + 3 = 15).
    world.ok("policy", "set", "action-reminder-days", "3")
    assert action_ids("2026-07-11") == [(late["id"], True)]
    assert action_ids("2026-07-12") == [(late["id"], True), (soon["id"], False)]
    # Done: gone.
    world.ok("decision", "done", late["id"], "--date", "2026-06-20", today="2026-06-20")
    assert action_ids("2026-07-12") == [(soon["id"], False)]


# --- R-EVT-1 / R-EVT-2 significant events ------------------------------------------------------


def test_reportable_event_until_the_iro_decides_no_review(world):
    line = world.line("event", "add", "C001", "missing", "--date", "2026-05-22", today="2026-05-22")
    assert line == (
        "Event 1 for C001: missing from placement on 2026-05-22; the IRO decides whether a "
        "review is needed (R-EVT-1)."
    )
    # Decision due 5 working days after it was recorded (Fri 22 May 2026): Tue 26 (1) …
    # Fri 29 (4), Mon 1 Jun (5).
    [item] = due_list(world, "2026-05-22", "event")
    assert (item["kind"], item["rule"], item["due"], item["overdue"]) == (
        "event",
        "R-EVT-1",
        "2026-06-01",
        False,
    )
    assert "event 1" in item["detail"]
    [item] = due_list(world, "2026-06-02", "event")
    assert item["overdue"] is True
    line = world.line(
        "event", "decide", "1", "--no-review", "--reason", "Back within hours; plan unchanged",
        today="2026-06-02",
    )  # fmt: skip
    assert line == "Event 1: no review needed, reason recorded (R-EVT-1)."
    assert due_list(world, "2026-06-02", "event") == []
    [event] = world.json("event", "list")
    assert (event["decision"], event["decided_on"], event["open"]) == (
        "no-review",
        "2026-06-02",
        False,
    )
    assert event["decision_reason"] == "Back within hours; plan unchanged"
    assert world.refused("event", "decide", "1", "--reason", "again") == (
        "Error: event 1 was decided on 2026-06-02"
    )
    # The child's review deadline is untouched.
    assert world.json("child", "show", "C001")["next_review"]["rule"] == "R-SCH-1"


def test_reportable_event_decided_with_a_directed_review(world):
    world.ok(
        "event", "add", "C001", "placement-instability", "--date", "2026-05-29", today="2026-06-01"
    )
    at = {"today": "2026-06-01"}
    assert world.refused("event", "decide", "1", "--review", "--reason", "x", **at) == (
        "Error: a directed review needs --by DATE"
    )
    assert (
        world.refused(
            "event", "decide", "1", "--no-review", "--by", "2026-06-12", "--reason", "x", **at
        )
        == "Error: --by belongs to a directed review (--review)"
    )
    line = world.line(
        "event", "decide", "1", "--review", "--by", "2026-06-12", "--reason", "Placement at risk",
        **at,
    )  # fmt: skip
    assert line == "Event 1: review directed by 2026-06-12 (R-SCH-4)."
    # The direction (by Fri 12 Jun) is earlier than R-SCH-1's Mon 22 Jun, so it wins.
    nxt = world.json("child", "show", "C001", **at)["next_review"]
    assert (nxt["due"], nxt["rule"], nxt["number"]) == ("2026-06-12", "R-SCH-4", 1)
    assert due_list(world, "2026-06-01", "event") == []
    [item] = due_list(world, "2026-06-01", "review")
    assert (item["due"], item["rule"]) == ("2026-06-12", "R-SCH-4")
    [event] = world.json("event", "list")
    assert event["decision"] == "review" and event["direction_id"] is not None
    [direction] = world.json("child", "show", "C001", **at)["directions"]
    assert direction["by_date"] == "2026-06-12"
    assert direction["reason"].endswith("Placement at risk")


def test_review_directed_on_the_day_of_a_held_review_sets_the_deadline(world):
    review_id = book_c001(world)
    world.ok("review", "hold", review_id, "--participation", "PN1", today="2026-06-22")
    # Reported after the meeting, the same day; the IRO directs another review by 10 Jul.
    world.ok("event", "add", "C001", "missing", "--date", "2026-06-22", today="2026-06-22")
    world.ok(
        "event", "decide", "1", "--review", "--by", "2026-07-10", "--reason", "Went missing",
        today="2026-06-22",
    )  # fmt: skip
    nxt = world.json("child", "show", "C001", today="2026-06-22")["next_review"]
    assert (nxt["due"], nxt["rule"]) == ("2026-07-10", "R-SCH-4")


def test_review_first_event_stays_until_a_review_is_held_after_it(world):
    # A planned move interrupting Key Stage 4 on Mon 20 Jul 2026, recorded on 10 Jun.
    line = world.line(
        "event", "add", "C001", "key-stage-4-move", "--date", "2026-07-20", today="2026-06-10"
    )
    assert line.endswith("a review must be held before it is implemented (R-EVT-2).")
    [item] = due_list(world, "2026-06-25", "event")
    assert (item["rule"], item["due"], item["overdue"]) == ("R-EVT-2", "2026-07-20", False)
    # It cannot be decided away: a review must be held first (R-EVT-2).
    refused = world.refused(
        "event", "decide", "1", "--no-review", "--reason", "x", today="2026-06-10"
    )
    assert "R-EVT-2" in refused
    assert [i["rule"] for i in due_list(world, "2026-06-25", "event")] == ["R-EVT-2"]
    review_id = book(world, "C001", "2026-06-22", today="2026-06-10")
    world.ok("review", "hold", review_id, "--participation", "PN1", today="2026-06-22")
    assert due_list(world, "2026-06-25", "event") == []
    [event] = world.json("event", "list")
    assert (event["review_held"], event["open"]) == (True, False)


def test_review_first_event_is_not_cleared_by_an_earlier_review(world):
    review_id = book_c001(world)
    # Recorded on Thu 25 Jun; the review of Mon 22 Jun is only entered on 1 Jul.
    world.ok(
        "event", "add", "C001", "settled-carer-move", "--date", "2026-08-03", today="2026-06-25"
    )
    world.ok("review", "hold", review_id, "--participation", "PN1")
    [item] = due_list(world, "2026-07-01", "event", within=60)
    assert (item["rule"], item["due"]) == ("R-EVT-2", "2026-08-03")
    assert world.json("event", "list", "--open")[0]["kind"] == "settled-carer-move"
    # An event recorded after a review already held is not cleared by it either.
    world.ok(
        "event", "add", "C001", "custody-discharge", "--date", "2026-07-27", today="2026-07-01"
    )
    items = due_list(world, "2026-07-01", "event", within=60)
    assert [(i["rule"], i["due"]) for i in items] == [
        ("R-EVT-2", "2026-07-27"),
        ("R-EVT-2", "2026-08-03"),
    ]


def test_event_refusals(world):
    message = world.refused("event", "add", "C001", "fire", "--date", "2026-06-01")
    assert message == f"Error: unknown event kind 'fire'; kinds: {', '.join(EVENT_KINDS)}"
    assert world.refused("event", "add", "C001", "missing", "--date", "2026-07-02") == (
        "Error: 2026-07-02 is in the future; record an event once it has happened"
    )
    assert "before the period of care began" in world.refused(
        "event", "add", "C001", "missing", "--date", "2026-05-21"
    )
    kinds = {k["kind"]: k["rule"] for k in world.json("event", "kinds")}
    assert kinds["missing"] == "R-EVT-1" and kinds["key-stage-4-move"] == "R-EVT-2"
    assert set(kinds) == set(EVENT_KINDS)


# --- §6 disputes ---------------------------------------------------------------------------------


def dispute(run, dispute_id, today=None) -> dict:
    [row] = [r for r in run.json("dispute", "list", today=today) if r["id"] == dispute_id]
    return row


def test_dispute_escalation_timeline(world):
    at = {"today": "2026-05-22"}
    line = world.line("dispute", "open", "C001", "--issue", "Plan not progressed", **at)
    # Opened Fri 22 May 2026: stage 1 response within 5 working days, Tue 26 (1) … Mon 1 Jun
    # (5); the whole process within 20, … Mon 22 Jun.
    assert line == "Dispute 1 opened at stage 1 (Team Manager); response due by 2026-06-01."
    row = dispute(world, 1, **at)
    assert (row["stage"], row["response_due"], row["total_due"]) == (1, "2026-06-01", "2026-06-22")
    [item] = due_list(world, "2026-05-26", "dispute")
    assert (item["kind"], item["due"], item["rule"], item["overdue"]) == (
        "dispute",
        "2026-06-01",
        "§6",
        False,
    )
    assert "stage 1 (Team Manager)" in item["detail"]
    # Escalated straight to stage 3 on Tue 2 Jun: Wed 3 (1), Thu 4 (2), Fri 5 (3), Mon 8 (4),
    # Tue 9 Jun (5).
    at = {"today": "2026-06-02"}
    line = world.line("dispute", "escalate", "1", "--stage", "3", "--note", "No reply", **at)
    assert line == "Dispute 1 escalated to stage 3 (Strategic Lead); response due by 2026-06-09."
    [item] = due_list(world, "2026-06-02", "dispute")
    assert item["due"] == "2026-06-09"
    for stage in ("2", "3"):
        assert world.refused("dispute", "escalate", "1", "--stage", stage, **at) == (
            "Error: dispute 1 is at stage 3; escalate to a later stage (the IRO may skip stages)"
        )
    # Stage 4 (Director) has no response deadline by default.
    at = {"today": "2026-06-10"}
    line = world.line("dispute", "escalate", "1", "--stage", "4", **at)
    assert line == "Dispute 1 escalated to stage 4 (Director, Children's Social Care)."
    assert dispute(world, 1, **at)["response_due"] is None
    assert due_list(world, "2026-06-10", "dispute") == []
    # 20 working days since opening on Mon 22 Jun: not over yet; on Tue 23 Jun, 21: flagged.
    assert due_list(world, "2026-06-22", "dispute") == []
    row = dispute(world, 1, today="2026-06-22")
    assert (row["working_days"], row["over_time"]) == (20, False)
    [item] = due_list(world, "2026-06-23", "dispute")
    assert (item["due"], item["overdue"]) == ("2026-06-22", True)
    assert "passed 20 working days" in item["detail"]
    row = dispute(world, 1, today="2026-06-23")
    assert (row["working_days"], row["over_time"]) == (21, True)
    # Cafcass, once; every step is in the log.
    at = {"today": "2026-06-23"}
    referred = world.json("dispute", "cafcass", "1", "--note", "Referred", **at)
    assert [(e["on_date"], e["action"], e["stage"]) for e in referred["log"]] == [
        ("2026-05-22", "open", 1),
        ("2026-06-02", "escalate", 3),
        ("2026-06-10", "escalate", 4),
        ("2026-06-23", "cafcass", 4),
    ]
    assert world.refused("dispute", "cafcass", "1", **at) == (
        "Error: dispute 1 was referred to Cafcass on 2026-06-23"
    )
    # Resolved Wed 24 Jun: 20 working days to 22 Jun, Tue 23 (21), Wed 24 (22).
    at = {"today": "2026-06-24"}
    line = world.line("dispute", "resolve", "1", "--outcome", "Plan agreed", **at)
    assert line == "Dispute 1 resolved after 22 working days."
    assert due_list(world, "2026-06-24", "dispute") == []
    row = dispute(world, 1, **at)
    assert (row["status"], row["resolved_on"], row["cafcass_referred_on"]) == (
        "resolved",
        "2026-06-24",
        "2026-06-23",
    )
    assert world.refused("dispute", "escalate", "1", "--stage", "5", **at) == (
        "Error: dispute 1 was resolved on 2026-06-24"
    )


def test_dispute_response_clears_the_due_item(world):
    world.ok("dispute", "open", "C001", "--issue", "Contact", today="2026-05-22")
    line = world.line("dispute", "respond", "1", "--note", "TM agreed", today="2026-05-29")
    assert line == "Dispute 1: response at stage 1 recorded."
    assert due_list(world, "2026-05-29", "dispute") == []
    row = dispute(world, 1, today="2026-05-29")
    assert (row["awaiting_response"], row["response_due"]) == (False, None)
    assert world.refused("dispute", "respond", "1", "--note", "again", today="2026-05-29") == (
        "Error: dispute 1 is not awaiting a response"
    )
    # A later stage waits again; a late response says so.
    world.ok("dispute", "escalate", "1", "--stage", "2", today="2026-05-29")
    # Escalated Fri 29 May: Mon 1 (1) … Thu 4 (4), Fri 5 Jun (5).
    assert dispute(world, 1, today="2026-05-29")["response_due"] == "2026-06-05"
    line = world.line("dispute", "respond", "1", "--note", "SM agreed", today="2026-06-08")
    assert line == "Dispute 1: response at stage 2 recorded, late (due 2026-06-05)."


def test_dispute_opened_at_a_later_stage_without_a_deadline(world):
    line = world.line(
        "dispute", "open", "C001", "--issue", "Serious", "--stage", "4", today="2026-05-22"
    )
    assert line == "Dispute 1 opened at stage 4 (Director, Children's Social Care)."
    assert due_list(world, "2026-05-22", "dispute") == []
    assert "stage must be from 1 to 6" in world.refused(
        "dispute", "open", "C001", "--issue", "x", "--stage", "7"
    )


def test_dispute_response_days_policy(world):
    world.ok("policy", "set", "dispute-response-days", "10,3")
    # Stage 1, opened Fri 22 May 2026: 10 working days, Tue 26 May (1) … Fri 5 Jun (9),
    # Mon 8 Jun (10).
    line = world.line("dispute", "open", "C001", "--issue", "x", today="2026-05-22")
    assert line.endswith("response due by 2026-06-08.")
    # Stage 2 from Tue 9 Jun: Wed 10 (1), Thu 11 (2), Fri 12 Jun (3).
    line = world.line("dispute", "escalate", "1", "--stage", "2", today="2026-06-09")
    assert line.endswith("response due by 2026-06-12.")
    # Stage 3 is beyond the list: no deadline.
    line = world.line("dispute", "escalate", "1", "--stage", "3", today="2026-06-15")
    assert line == "Dispute 1 escalated to stage 3 (Strategic Lead)."
    assert dispute(world, 1, today="2026-06-15")["response_due"] is None


def test_dispute_over_time_agrees_between_due_and_dispute_list(world):
    # Opened Fri 29 May 2026: 20 working days, 1-5 Jun (1-5), 8-12 (6-10), 15-19 (11-15),
    # 22-26 Jun (16-20): the process should end by Fri 26 Jun.
    world.ok("dispute", "open", "C001", "--issue", "x", "--stage", "4", today="2026-05-29")
    for on in ("2026-06-26", "2026-06-27", "2026-06-28", "2026-06-29"):
        flagged = [i for i in due_list(world, on, "dispute") if "passed 20" in i["detail"]]
        assert bool(flagged) == dispute(world, 1, today=on)["over_time"], on


# --- R-IRO-3 / R-IRO-4 ---------------------------------------------------------------------------


def test_siblings_share_an_iro_unless_a_reason_is_recorded(world):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    world.ok("iro", "add", "Ann Lee", "--id", "IRO3")
    for child, dob in (("S1", "2016-01-10"), ("S2", "2018-04-02"), ("S3", "2019-09-09")):
        world.ok(
            "child", "add", child, "--first-name", "Sib", "--last-name", child, "--dob", dob,
            "--sibling-group", "G7", today="2026-06-01",
        )  # fmt: skip
    for child in ("S1", "S2"):  # S3 is not looked after
        world.ok("episode", "start", child, "--date", "2026-06-01", today="2026-06-01")
    at = {"today": "2026-06-01"}
    assert world.ok("allocate", "S1", "IRO1", **at).stderr == ""
    result = world.ok("allocate", "S2", "IRO2", **at)
    assert result.stdout.strip() == "Raj Patel (IRO2) is the IRO for S2 from 2026-06-01."
    assert result.stderr.strip() == (
        "Warning: siblings S1 (IRO1) have a different IRO (R-IRO-3); record why with --reason"
    )
    at = {"today": "2026-06-02"}
    result = world.ok("allocate", "S2", "IRO3", "--reason", "Placed 200 miles apart", **at)
    assert result.stderr == ""
    assert db_row(
        world, "SELECT sibling_reason FROM allocations WHERE child_id = 'S2' AND end_date IS NULL"
    ) == ("Placed 200 miles apart",)
    # Back to the sibling's IRO: nothing to explain.
    assert (
        world.ok("allocate", "S2", "IRO1", "--date", "2026-06-03", today="2026-06-03").stderr == ""
    )


def test_a_looked_after_parent_and_child_have_different_iros(world):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    at = {"today": "2026-06-01"}
    world.ok(
        "child", "add", "P1", "--first-name", "Pat", "--last-name", "Parent",
        "--dob", "2009-02-01", **at,
    )  # fmt: skip
    world.ok(
        "child", "add", "K1", "--first-name", "Kit", "--last-name", "Parent",
        "--dob", "2026-01-15", "--parent", "P1", **at,
    )  # fmt: skip
    for child in ("P1", "K1"):
        world.ok("episode", "start", child, "--date", "2026-06-01", **at)
    world.ok("allocate", "P1", "IRO1", **at)
    assert world.refused("allocate", "K1", "IRO1", **at) == (
        "Error: IRO1 is already the IRO of P1; a looked-after parent and child have different "
        "IROs (R-IRO-3)"
    )
    # A reason does not override it.
    assert "R-IRO-3" in world.refused("allocate", "K1", "IRO1", "--reason", "Same team", **at)
    world.ok("allocate", "K1", "IRO2", **at)
    assert world.refused("allocate", "P1", "IRO2", "--date", "2026-06-02", today="2026-06-02") == (
        "Error: IRO2 is already the IRO of K1; a looked-after parent and child have different "
        "IROs (R-IRO-3)"
    )
    assert "not older than the child" in world.refused(
        "child", "add", "K2", "--first-name", "a", "--last-name", "b", "--dob", "2008-01-01",
        "--parent", "P1", **at,
    )  # fmt: skip


def _caseload(db_path, iro_id, fte, count, prefix):
    """``count`` children looked after from 1 Jun 2026, all allocated to a new IRO."""
    from reviewcli import records
    from reviewcli.store import open_store

    day = date(2026, 6, 1)
    with open_store(db_path) as store:
        records.add_iro(store, iro_id, f"IRO {iro_id}", fte=fte)
        for i in range(count):
            child = f"{prefix}{i:03d}"
            records.add_child(
                store, child, first_name="Case", last_name=child, dob="2014-05-05", today=day
            )
            records.start_episode(store, child, on=day, today=day)
            records.allocate(store, child, iro_id, on=day, today=day)


def _end_care(db_path, child):
    from reviewcli import records
    from reviewcli.store import open_store

    with open_store(db_path) as store:
        records.end_episode(store, child, on="2026-06-15", today=date(2026, 6, 15))


def test_caseload_over_70_per_fte_is_flagged(world, db_path):
    _caseload(db_path, "FULL", 1.0, 71, "F")
    _caseload(db_path, "HALF", 0.5, 36, "H")
    iros = {i["id"]: i for i in world.json("iro", "list")}
    assert {k: (v["caseload"], v["per_fte"], v["over_caseload"]) for k, v in iros.items()} == {
        "FULL": (71, 71.0, True),
        "HALF": (36, 72.0, True),
        "IRO1": (1, 1.0, False),
    }
    table = world.ok("iro", "list").stdout
    assert table.count("over 70 per FTE") == 2
    # One child each leaves care: 70 per FTE is still good practice.
    _end_care(db_path, "F000")
    _end_care(db_path, "H000")
    iros = {i["id"]: i for i in world.json("iro", "list")}
    assert (iros["FULL"]["caseload"], iros["FULL"]["per_fte"]) == (70, 70.0)
    assert (iros["HALF"]["caseload"], iros["HALF"]["per_fte"]) == (35, 70.0)
    assert not iros["FULL"]["over_caseload"] and not iros["HALF"]["over_caseload"]
    assert "over 70 per FTE" not in world.ok("iro", "list").stdout


# --- due: --kind and the table's summary line ---------------------------------------------------


def test_due_kind_filter_and_summary_line(world):
    review_id = book_c001(world)
    world.ok("review", "hold", review_id, "--participation", "PN1")
    # Recorded Mon 22 Jun 2026: decisions Mon 29 Jun (overdue on Wed 1 Jul), care plan
    # Mon 6 Jul (within a week: up to Wed 8 Jul), record Mon 13 Jul and distribution Mon 20 Jul
    # (later). The second review (by 22 Sep, R-SCH-2) is beyond 30 days; IRO1 is named.
    items = due_list(world, "2026-07-01")
    assert [(i["kind"], i["due"], i["overdue"]) for i in items] == [
        ("decisions", "2026-06-29", True),
        ("care-plan", "2026-07-06", False),
        ("record", "2026-07-13", False),
        ("distribution", "2026-07-20", False),
    ]
    out = world.ok("due", "--on", "2026-07-01").stdout
    assert out.rstrip().splitlines()[-1] == "1 overdue, 1 due this week, 2 later; 4 in all."
    assert "Work due on Wednesday 1 July 2026" in out
    out = world.ok("due", "--on", "2026-07-01", "--kind", "care-plan").stdout
    assert out.rstrip().splitlines()[-1] == "0 overdue, 1 due this week, 0 later; 1 in all."
    picked = due_list(world, "2026-07-01", "decisions", "record")
    assert [i["kind"] for i in picked] == ["decisions", "record"]
    assert due_list(world, "2026-07-01", "review") == []
    # Looking further ahead brings the second review in: 22 Sep is 83 days after 1 Jul.
    [review] = due_list(world, "2026-07-01", "review", within=83)
    assert (review["due"], review["rule"], review["number"]) == ("2026-09-22", "R-SCH-2", 2)
    assert world.refused("due", "--kind", "bogus") == (
        f"Error: unknown kind 'bogus'; kinds: {', '.join(DUE_KINDS)}"
    )
