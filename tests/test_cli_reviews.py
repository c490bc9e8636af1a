"""Reviews through the CLI: schedule, reschedule, hold, adjourn, cancel, direct, list.

Every date was worked out by hand from DOMAIN.md (England bank holidays 2026: 1 Jan,
3 Apr, 6 Apr, 4 May, 25 May, 31 Aug, 25 Dec, 28 Dec; 2027: 1 Jan, 26 Mar, 29 Mar, …).

The ``world`` fixture: C001 Amy Ash (born 2015-03-02, so 11 in 2026), looked after from
Fri 22 May 2026. First review due by Mon 22 Jun 2026 (R-SCH-1): Mon 25 May is the Spring
bank holiday, so the working days after 22 May run Tue 26 May (1) … Fri 29 May (4),
1–5 Jun (5–9), 8–12 Jun (10–14), 15–19 Jun (15–19), Mon 22 Jun (20).
"""

from __future__ import annotations

import pytest

from reviewcli.codes import PARTICIPATION


def book(run, day="2026-06-18", *extra, today="2026-06-01", child="C001"):
    return run.line("review", "schedule", child, "--date", day, *extra, today=today)


def next_review(run, child="C001", today="2026-07-01"):
    return run.json("child", "show", child, today=today)["next_review"]


def reviews(run, child="C001"):
    return {r["id"]: r for r in run.json("review", "list", "--child", child)}


# --- schedule ---------------------------------------------------------------------------------


def test_schedule(world):
    line = book(world, "2026-06-18", "--time", "10:00", "--venue", "Town Hall")
    assert line == (
        "Booked review 1 (first review) for C001 on 2026-06-18 at 10:00; "
        "deadline 2026-06-22 (R-SCH-1)."
    )
    review = reviews(world)[1]
    assert review["status"] == "booked"
    assert review["number"] == 1
    assert review["deadline"] == "2026-06-22"
    assert review["rule"] == "R-SCH-1"
    assert review["booked_date"] == "2026-06-18"
    assert review["booked_time"] == "10:00"
    assert review["venue"] == "Town Hall"


def test_schedule_json(world):
    review = world.json("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    assert review["id"] == 1
    assert review["deadline"] == "2026-06-22"


def test_schedule_after_the_deadline_is_allowed_with_a_warning(world):
    result = world.ok("review", "schedule", "C001", "--date", "2026-06-24", today="2026-06-01")
    assert result.stdout.startswith("Booked review 1")
    assert result.stderr.splitlines() == [
        "Warning: 2026-06-24 is after the deadline of 2026-06-22 (R-SCH-1); the review will be "
        "out of time (R-SCH-15)",
        # Wed 24 Jun less 20 working days is Wed 27 May, before today (R-PRE-1).
        "Warning: consultation (social worker consults the child about the review) was due by "
        "2026-05-27 (R-PRE-1): already late",
    ]


def test_schedule_on_a_bank_holiday_warns(world):
    # Mon 31 Aug 2026 is the Summer bank holiday (R-CAL-6: allowed, with a warning).
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    result = world.ok("review", "schedule", "C001", "--date", "2026-08-31")
    assert "2026-08-31 (Monday) is a bank holiday or closure day" in result.stderr


def test_schedule_a_second_review_while_one_is_booked_is_refused(world):
    book(world)
    message = world.refused("review", "schedule", "C001", "--date", "2026-06-19")
    assert "review 1 is already booked for 2026-06-18" in message


def test_schedule_while_an_adjourned_review_is_pending_is_refused(world):
    book(world, "2026-06-15")
    world.ok("review", "adjourn", "1", "--to", "2026-06-29", "--reason", "ill", today="2026-06-15")
    assert "already booked" in world.refused("review", "schedule", "C001", "--date", "2026-06-30")


def test_schedule_refusals(world):
    world.ok("child", "add", "C002", "--first-name", "B", "--last-name", "C", "--dob", "2014-01-09")
    assert "no child with id 'C999'" in world.refused(
        "review", "schedule", "C999", "--date", "2026-06-18"
    )
    assert "not looked after" in world.refused("review", "schedule", "C002", "--date", "2026-06-18")
    assert "before the period of care began (2026-05-22)" in world.refused(
        "review", "schedule", "C001", "--date", "2026-05-21"
    )
    for bad in ("2026-06-31", "18/06/2026", "soon"):
        assert f"invalid date {bad!r}" in world.refused("review", "schedule", "C001", "--date", bad)
    for bad in ("25:00", "10:60", "10.30", "9:30", "ten"):
        message = world.refused("review", "schedule", "C001", "--date", "2026-06-18", "--time", bad)
        assert message == f"Error: invalid time {bad!r}: use HH:MM (24-hour)"


def test_schedule_not_after_the_last_review_is_refused(world):
    book(world, "2026-06-10")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-10")
    assert "not after the last review, recorded on 2026-06-10" in world.refused(
        "review", "schedule", "C001", "--date", "2026-06-10"
    )


# --- hold: R-SCH-1, R-SCH-2, R-SCH-3, R-SCH-15 ------------------------------------------------


def test_sequence_first_second_third_review(world):
    # First review booked Thu 18 Jun 2026 and held that day: on time (deadline 22 Jun).
    book(world, "2026-06-18", "--time", "10:00")
    line = world.line("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    # R-SCH-2: second review no more than 3 months after the first's recording date:
    # 18 Jun 2026 + 3 months = Fri 18 Sep 2026.
    assert line == (
        "Review 1 held, recording date 2026-06-18, on time; "
        "next review due by 2026-09-18 (R-SCH-2)."
    )
    nxt = next_review(world)
    assert (nxt["number"], nxt["due"], nxt["rule"], nxt["booked"]) == (
        2,
        "2026-09-18",
        "R-SCH-2",
        None,
    )

    # Second review booked a week late, Fri 25 Sep 2026 (allowed, with a warning).
    result = world.ok("review", "schedule", "C001", "--date", "2026-09-25", today="2026-09-01")
    assert "after the deadline of 2026-09-18" in result.stderr
    assert next_review(world, today="2026-09-01")["booked"] == "2026-09-25"

    # Held late without a reason: refused, naming R-SCH-15.
    message = world.refused("review", "hold", "2", "--participation", "PN5", today="2026-09-25")
    assert "(R-SCH-15)" in message
    assert "2026-09-18" in message and "--late-reason" in message

    # With a reason: out of time. R-SCH-3: third review no more than 6 months after the
    # actual recording date, 25 Sep 2026 + 6 months = Thu 25 Mar 2027 (not 18 Mar 2027,
    # which 6 months from the missed deadline would give).
    line = world.line(
        "review",
        "hold",
        "2",
        "--participation",
        "PN5",
        "--late-reason",
        "IRO off sick",
        today="2026-09-25",
    )
    assert line == (
        "Review 2 held, recording date 2026-09-25, out of time (R-SCH-15); "
        "next review due by 2027-03-25 (R-SCH-3)."
    )
    nxt = next_review(world, today="2026-09-25")
    assert (nxt["number"], nxt["due"], nxt["rule"]) == (3, "2027-03-25", "R-SCH-3")

    held = reviews(world)
    assert held[1]["on_time"] is True
    assert held[1]["participation"] == "PN1"
    assert held[2]["on_time"] is False
    assert held[2]["late_reason"] == "IRO off sick"
    assert held[2]["deadline"] == "2026-09-18"
    assert held[2]["rule"] == "R-SCH-2"


def test_hold_with_no_date_records_the_booked_date(world):
    book(world, "2026-06-18")
    review = world.json("review", "hold", "1", "--participation", "pn2", today="2026-06-20")
    assert review["id"] == 1
    assert review["status"] == "held"
    assert review["recording_date"] == "2026-06-18"
    assert review["participation"] == "PN2"


def test_hold_on_another_date(world):
    book(world, "2026-06-18")
    world.ok(
        "review", "hold", "1", "--date", "2026-06-19", "--participation", "PN7", today="2026-06-20"
    )
    assert reviews(world)[1]["recording_date"] == "2026-06-19"
    # 19 Jun 2026 + 3 months = 19 Sep 2026 (R-SCH-2).
    assert next_review(world)["due"] == "2026-09-19"


def test_hold_without_participation_warns(world):
    book(world, "2026-06-18")
    result = world.ok("review", "hold", "1", today="2026-06-18")
    assert "Warning: no participation code recorded" in result.stderr


def test_hold_after_the_deadline_without_a_late_reason_is_refused(world):
    book(world, "2026-06-18")
    # Held on Tue 23 Jun 2026, the day after the deadline.
    message = world.refused(
        "review", "hold", "1", "--date", "2026-06-23", "--participation", "PN1", today="2026-06-23"
    )
    assert message == (
        "Error: recorded on 2026-06-23, after its deadline of 2026-06-22 (R-SCH-1): the review "
        "is out of time; give --late-reason (R-SCH-15)"
    )
    # On the deadline itself it is on time.
    world.ok(
        "review", "hold", "1", "--date", "2026-06-22", "--participation", "PN1", today="2026-06-23"
    )
    assert reviews(world)[1]["on_time"] is True


def test_hold_before_the_period_began_is_refused(world):
    book(world, "2026-06-18")
    message = world.refused("review", "hold", "1", "--date", "2026-05-21", today="2026-06-18")
    assert "before the period of care began (2026-05-22)" in message


def test_hold_in_the_future_is_refused(world):
    book(world, "2026-06-18")
    # The booked date is still ahead.
    assert "future" in world.refused("review", "hold", "1", today="2026-06-17")
    assert "future" in world.refused("review", "hold", "1", "--date", "2026-07-02")


def test_hold_unknown_or_invalid_is_refused(world):
    book(world, "2026-06-18")
    assert world.refused("review", "hold", "99") == (
        "Error: no review with id 99; see 'reviewcli review list'"
    )
    assert "invalid date" in world.refused("review", "hold", "1", "--date", "2026-06-31")
    message = world.refused("review", "hold", "1", "--participation", "PN9")
    assert "unknown participation code 'PN9'" in message
    assert message.endswith("valid codes: " + ", ".join(PARTICIPATION))


def test_hold_a_held_or_cancelled_review_is_refused(world):
    book(world, "2026-06-18")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    assert "review 1 is held, not booked" in world.refused("review", "hold", "1")
    world.ok("review", "schedule", "C001", "--date", "2026-09-01")
    world.ok("review", "cancel", "2", "--reason", "chair ill")
    assert "review 2 is cancelled, not booked" in world.refused("review", "hold", "2")


def test_hold_without_a_meeting_needs_a_long_term_placement(world):
    book(world, "2026-06-18")
    message = world.refused(
        "review", "hold", "1", "--no-meeting", "--participation", "PN1", today="2026-06-18"
    )
    assert message.endswith("(R-SCH-12)")


# Participation on the review date (codes.md data rules): T001 is born 19 Jun 2022, so
# is 3 on Thu 18 Jun 2026 and 4 on Fri 19 Jun 2026.


@pytest.fixture
def toddler(new_child, world):
    new_child("T001", "2022-06-19", start="2026-05-22", iro="IRO1")
    return world


def test_pn0_for_a_child_under_4(toddler):
    book(toddler, "2026-06-18", child="T001")
    message = toddler.refused("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    assert "under 4 on 2026-06-18" in message and "PN0" in message
    toddler.ok("review", "hold", "1", "--participation", "PN0", today="2026-06-18")


def test_pn0_refused_from_the_4th_birthday(toddler):
    book(toddler, "2026-06-19", child="T001")
    message = toddler.refused("review", "hold", "1", "--participation", "PN0", today="2026-06-19")
    assert "PN0 is only for a child under 4" in message and "2026-06-19" in message
    toddler.ok("review", "hold", "1", "--participation", "PN3", today="2026-06-19")


@pytest.mark.parametrize("code", [f"PN{n}" for n in range(1, 8)])
def test_pn1_to_pn7_refused_for_a_child_under_4(toddler, code):
    book(toddler, "2026-06-18", child="T001")
    toddler.refused("review", "hold", "1", "--participation", code, today="2026-06-18")


def test_pn0_refused_for_an_older_child(world):
    book(world, "2026-06-18")
    message = world.refused("review", "hold", "1", "--participation", "PN0", today="2026-06-18")
    assert "PN0 is only for a child under 4; the child was 11 on 2026-06-18" in message


# --- reschedule: R-SCH-13 ---------------------------------------------------------------------


def test_reschedule(world):
    book(world, "2026-06-18")
    line = world.line("review", "reschedule", "1", "--date", "2026-06-19", "--time", "14:30")
    assert line == "Review 1 moved from 2026-06-18 to 2026-06-19."
    review = reviews(world)[1]
    assert (review["booked_date"], review["booked_time"]) == ("2026-06-19", "14:30")
    assert world.json("review", "reschedule", "1", "--date", "2026-06-17")["id"] == 1


def test_reschedule_past_the_deadline_needs_a_reason(world):
    book(world, "2026-06-18")
    message = world.refused("review", "reschedule", "1", "--date", "2026-06-23")
    assert message.startswith("Error: 2026-06-23 is after the deadline of 2026-06-22")
    assert message.endswith("add --reason (R-SCH-13)")
    result = world.ok(
        "review", "reschedule", "1", "--date", "2026-06-23", "--reason", "child in hospital"
    )
    assert "out of time (deadline 2026-06-22, R-SCH-15)" in result.stderr
    review = reviews(world)[1]
    assert review["booked_date"] == "2026-06-23"
    assert review["reschedule_reason"] == "child in hospital"


def test_reschedule_refusals(world):
    book(world, "2026-06-18")
    assert "no review with id 7" in world.refused(
        "review", "reschedule", "7", "--date", "2026-06-19"
    )
    assert "already booked for 2026-06-18" in world.refused(
        "review", "reschedule", "1", "--date", "2026-06-18"
    )
    assert "not after the previous review or the start of care" in world.refused(
        "review", "reschedule", "1", "--date", "2026-05-20"
    )
    assert "invalid date" in world.refused("review", "reschedule", "1", "--date", "tomorrow")
    assert "invalid time" in world.refused(
        "review", "reschedule", "1", "--date", "2026-06-19", "--time", "24:00"
    )


# --- adjourn: R-SCH-14 and the recording date -------------------------------------------------


def test_adjourned_review_keeps_its_original_recording_date(world):
    book(world, "2026-06-15")  # Mon 15 Jun 2026
    line = world.line(
        "review",
        "adjourn",
        "1",
        "--to",
        "2026-06-29",
        "--reason",
        "parent unwell",
        today="2026-06-15",
    )
    assert line == "Review 1 adjourned to 2026-06-29; recording date stays 2026-06-15 (R-SCH-14)."
    review = reviews(world)[1]
    assert review["status"] == "adjourned"
    assert review["original_date"] == "2026-06-15"
    assert review["booked_date"] == "2026-06-29"
    nxt = next_review(world, today="2026-06-15")
    assert (nxt["number"], nxt["booked"]) == (1, "2026-06-29")

    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-29")
    review = reviews(world)[1]
    assert review["recording_date"] == "2026-06-15"
    assert review["held_date"] == "2026-06-29"
    # R-SCH-2 counts from the recording date: 15 Jun 2026 + 3 months = Tue 15 Sep 2026.
    nxt = next_review(world)
    assert (nxt["number"], nxt["due"], nxt["rule"]) == (2, "2026-09-15", "R-SCH-2")


def test_adjourn_json(world):
    book(world, "2026-06-15")
    review = world.json(
        "review", "adjourn", "1", "--to", "2026-06-29", "--reason", "ill", today="2026-06-15"
    )
    assert review["id"] == 1
    assert review["status"] == "adjourned"


def test_adjourn_within_20_working_days(world):
    book(world, "2026-06-15")
    # 20 working days after Mon 15 Jun 2026: 16–19 Jun (1–4), 22–26 (5–9),
    # 29 Jun–3 Jul (10–14), 6–10 Jul (15–19), Mon 13 Jul (20).
    message = world.refused(
        "review", "adjourn", "1", "--to", "2026-07-14", "--reason", "ill", today="2026-06-15"
    )
    assert message == (
        "Error: an adjourned review must reconvene within 20 working days of 2026-06-15, "
        "by 2026-07-13 (R-SCH-14)"
    )
    world.ok("review", "adjourn", "1", "--to", "2026-07-13", "--reason", "ill", today="2026-06-15")


def test_a_second_adjournment_is_refused(world):
    book(world, "2026-06-15")
    world.ok("review", "adjourn", "1", "--to", "2026-06-22", "--reason", "ill", today="2026-06-15")
    message = world.refused(
        "review", "adjourn", "1", "--to", "2026-06-29", "--reason", "again", today="2026-06-22"
    )
    assert message == "Error: review 1 has already been adjourned once (R-SCH-14)"


def test_an_adjourned_review_moves_only_within_20_working_days(world):
    book(world, "2026-06-15")
    world.ok("review", "adjourn", "1", "--to", "2026-06-22", "--reason", "ill", today="2026-06-15")
    world.ok("review", "reschedule", "1", "--date", "2026-07-13", today="2026-06-22")
    message = world.refused(
        "review",
        "reschedule",
        "1",
        "--date",
        "2026-07-14",
        "--reason",
        "exceptional",
        today="2026-06-22",
    )
    assert message.endswith("(R-SCH-14)") and "by 2026-07-13" in message


def test_adjourn_refusals(world):
    book(world, "2026-06-15")
    assert "not after the original date of 2026-06-15" in world.refused(
        "review", "adjourn", "1", "--to", "2026-06-15", "--reason", "ill"
    )
    assert "no review with id 5" in world.refused(
        "review", "adjourn", "5", "--to", "2026-06-22", "--reason", "ill"
    )
    assert "invalid date" in world.refused(
        "review", "adjourn", "1", "--to", "2026-06-31", "--reason", "ill"
    )
    assert "reason must not be empty" in world.refused(
        "review", "adjourn", "1", "--to", "2026-06-22", "--reason", "  "
    )


def test_an_adjourned_review_first_met_after_its_deadline_is_out_of_time(world):
    # Booked after the deadline of 22 Jun (allowed with a warning), met on Thu 25 Jun and
    # adjourned to Thu 2 Jul. Its recording date is 25 Jun, after 22 Jun: out of time, so
    # R-SCH-15 must ask for a reason.
    book(world, "2026-06-25")
    world.ok("review", "adjourn", "1", "--to", "2026-07-02", "--reason", "ill", today="2026-06-25")
    message = world.refused("review", "hold", "1", "--participation", "PN1", today="2026-07-02")
    assert "(R-SCH-15)" in message


def test_adjourning_keeps_the_reviews_statutory_deadline(world):
    book(world, "2026-06-25")
    world.ok("review", "adjourn", "1", "--to", "2026-07-02", "--reason", "ill", today="2026-06-25")
    review = reviews(world)[1]
    assert (review["deadline"], review["rule"]) == ("2026-06-22", "R-SCH-1")


# --- cancel -----------------------------------------------------------------------------------


def test_cancel(world):
    book(world, "2026-06-18")
    assert world.line("review", "cancel", "1", "--reason", "chair ill") == "Review 1 cancelled."
    review = reviews(world)[1]
    assert (review["status"], review["cancel_reason"]) == ("cancelled", "chair ill")
    # The deadline still stands, and a new review can be booked.
    nxt = next_review(world, today="2026-06-01")
    assert (nxt["number"], nxt["due"], nxt["booked"]) == (1, "2026-06-22", None)
    assert world.json("review", "schedule", "C001", "--date", "2026-06-19")["id"] == 2


def test_cancel_json_and_refusals(world):
    book(world, "2026-06-18")
    assert world.json("review", "cancel", "1", "--reason", "x")["status"] == "cancelled"
    assert "review 1 is cancelled, not booked" in world.refused(
        "review", "cancel", "1", "--reason", "again"
    )
    assert "no review with id 2" in world.refused("review", "cancel", "2", "--reason", "x")


# --- direct: R-SCH-4 --------------------------------------------------------------------------


@pytest.fixture
def first_held(world):
    """C001's first review held on Thu 18 Jun 2026; second due Fri 18 Sep 2026 (R-SCH-2)."""
    book(world, "2026-06-18")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    return world


def test_a_direction_earlier_than_the_routine_deadline_becomes_the_deadline(first_held):
    run = first_held
    line = run.line(
        "review", "direct", "C001", "--by", "2026-08-14", "--reason", "placement breakdown"
    )
    assert line == (
        "Review for C001 directed by 2026-08-14; next review due by 2026-08-14 (R-SCH-4)."
    )
    nxt = next_review(run)
    assert (nxt["number"], nxt["due"], nxt["rule"]) == (2, "2026-08-14", "R-SCH-4")

    # Held on Mon 10 Aug 2026: the sequence continues from it (R-SCH-4), and it is the
    # third review that follows: 10 Aug 2026 + 6 months = Wed 10 Feb 2027 (R-SCH-3).
    run.ok("review", "schedule", "C001", "--date", "2026-08-10")
    assert reviews(run)[2]["rule"] == "R-SCH-4"
    run.ok("review", "hold", "2", "--participation", "PN1", today="2026-08-10")
    nxt = next_review(run, today="2026-08-10")
    assert (nxt["number"], nxt["due"], nxt["rule"]) == (3, "2027-02-10", "R-SCH-3")


def test_a_direction_later_than_the_routine_deadline_changes_nothing(first_held):
    # R-SCH-10, earliest wins: 18 Sep 2026 (R-SCH-2) is before 1 Oct 2026.
    direction = first_held.json("review", "direct", "C001", "--by", "2026-10-01", "--reason", "x")
    assert isinstance(direction["id"], int)
    assert (direction["next_review"], direction["rule"]) == ("2026-09-18", "R-SCH-2")


def test_a_direction_before_the_first_review(world):
    world.ok("review", "direct", "C001", "--by", "2026-06-05", "--reason", "x", today="2026-06-01")
    nxt = next_review(world, today="2026-06-01")
    assert (nxt["number"], nxt["due"], nxt["rule"]) == (1, "2026-06-05", "R-SCH-4")


def test_a_direction_before_a_booked_review_warns(world):
    book(world, "2026-06-18")
    result = world.ok(
        "review", "direct", "C001", "--by", "2026-06-10", "--reason", "x", today="2026-06-01"
    )
    assert "review 1 is booked for 2026-06-18, after the directed date" in result.stderr
    review = reviews(world)[1]
    assert (review["deadline"], review["rule"]) == ("2026-06-10", "R-SCH-4")


def test_direct_refusals(world):
    world.ok("child", "add", "C002", "--first-name", "B", "--last-name", "C", "--dob", "2014-01-09")
    assert "in the past" in world.refused(
        "review", "direct", "C001", "--by", "2026-06-30", "--reason", "x"
    )
    assert "not looked after" in world.refused(
        "review", "direct", "C002", "--by", "2026-08-01", "--reason", "x"
    )
    assert "no child" in world.refused(
        "review", "direct", "C999", "--by", "2026-08-01", "--reason", "x"
    )
    assert "invalid date" in world.refused(
        "review", "direct", "C001", "--by", "soon", "--reason", "x"
    )
    assert "reason must not be empty" in world.refused(
        "review", "direct", "C001", "--by", "2026-08-01", "--reason", ""
    )


def test_placed_for_adoption_and_disruption(first_held):
    run = first_held
    # Placed for adoption (A6) on Wed 1 Jul 2026: R-SCH-7, first review within 4 weeks:
    # 1 Jul + 28 days = Wed 29 Jul 2026, earlier than 18 Sep (R-SCH-2): earliest wins.
    line = run.line("episode", "change", "C001", "--date", "2026-07-01", "--placement", "A6")
    assert line.endswith("next review due by 2026-07-29 (R-SCH-7).")
    run.ok("review", "schedule", "C001", "--date", "2026-07-20")
    run.ok("review", "hold", "2", "--participation", "PN1", today="2026-07-20")
    # Second since placement: 3 months after 20 Jul 2026 = Tue 20 Oct 2026 (R-SCH-7),
    # earlier than the routine 6 months (20 Jan 2027, R-SCH-3).
    assert next_review(run, today="2026-07-20")["due"] == "2026-10-20"
    # The placement ends on Mon 3 Aug 2026 with the child still looked after: R-SCH-8,
    # a review between 4 weeks (31 Aug 2026) and 6 weeks (Mon 14 Sep 2026) after.
    run.ok(
        "episode", "change", "C001", "--date", "2026-08-03", "--placement", "U6", today="2026-08-03"
    )
    nxt = next_review(run, today="2026-08-03")
    assert (nxt["number"], nxt["due"], nxt["rule"], nxt["earliest"]) == (
        3,
        "2026-09-14",
        "R-SCH-8",
        "2026-08-31",
    )
    result = run.ok("review", "schedule", "C001", "--date", "2026-08-10", today="2026-08-03")
    assert "before the earliest date of 2026-08-31 (R-SCH-8)" in result.stderr


# --- end of care: R-SCH-11 --------------------------------------------------------------------


def test_end_of_care_cancels_a_future_booked_review(world):
    book(world, "2026-06-18")
    line = world.line(
        "episode", "end", "C001", "--date", "2026-06-05", "--reason", "E4A", today="2026-06-05"
    )
    assert line == (
        "Child C001 ceased to be looked after on 2026-06-05 (E4A). Review 1 cancelled (R-SCH-11)."
    )
    review = reviews(world)[1]
    assert review["status"] == "cancelled"
    assert "R-SCH-11" in review["cancel_reason"]
    child = world.json("child", "show", "C001")
    assert child["looked_after"] is False
    assert child["next_review"] is None
    assert [i for i in world.json("due", "--on", "2026-06-05") if i["child_id"] == "C001"] == []


# --- list -------------------------------------------------------------------------------------


def test_review_list(world, new_child):
    new_child("C002", "2014-01-09", start="2026-06-01", iro="IRO1")
    book(world, "2026-06-18")
    world.ok("review", "schedule", "C002", "--date", "2026-06-24", today="2026-06-01")
    everyone = world.json("review", "list")
    assert [(r["id"], r["child_id"]) for r in everyone] == [(1, "C001"), (2, "C002")]
    assert [r["id"] for r in world.json("review", "list", "--child", "C002")] == [2]
    assert world.json("review", "list", "--status", "held") == []
    table = world.ok("review", "list").stdout
    assert "2026-06-18" in table and "R-SCH-1" in table
    header = world.ok("review", "list", "--format", "csv").stdout.splitlines()[0]
    assert header.startswith("id,child_id,")
    assert "no child with id 'C999'" in world.refused("review", "list", "--child", "C999")
    assert (
        "No held reviews for child C002."
        in world.ok("review", "list", "--child", "c002", "--status", "held").stdout
    )


def test_review_list_unknown_status_is_refused(world):
    assert "unknown status 'done'" in world.refused("review", "list", "--status", "done")
