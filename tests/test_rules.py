"""Tests of the review schedule engine (DOMAIN.md R-SCH-1..16, R-IRO-2).

Every expected date was worked out by hand from DOMAIN.md and a printed calendar; the
working is in the comment above each assertion. England bank holidays used:
  2026: Thu 1 Jan, Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May, Mon 31 Aug, Fri 25 Dec,
        Mon 28 Dec (Boxing Day on a Saturday)
  2027: Fri 1 Jan, Fri 26 Mar, Mon 29 Mar, Mon 3 May, Mon 31 May, Mon 30 Aug,
        Mon 27 Dec, Tue 28 Dec (Christmas on a weekend)
  2028: Mon 3 Jan, Fri 14 Apr, Mon 17 Apr, Mon 1 May, Mon 29 May, Mon 28 Aug, 25-26 Dec
"""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewcli.calendar import WorkingCalendar
from reviewcli.rules import (
    ADJOURNMENT,
    ALLOCATION,
    AUTHORISED,
    DIRECTION,
    DISRUPTION,
    FIRST,
    LATER,
    LOCAL_PLACEMENT,
    LONG_TERM,
    PLACED,
    SECOND,
    SHORT_BREAKS,
    Deadline,
    Direction,
    Episode,
    HeldReview,
    Period,
    Policy,
    Stay,
    adjournment_limit,
    allocation_due,
    candidates,
    check_no_meeting,
    eighteenth_birthday,
    local_trigger,
    long_term_since,
    next_review,
    ordinal,
    pathway_plan_due,
    short_break_series,
)

d = date.fromisoformat

CAL = WorkingCalendar()
LOCAL_ON = Policy(local_placement_rule=True)


def held(*days: str) -> tuple[HeldReview, ...]:
    return tuple(HeldReview(d(day)) for day in days)


def care(start: str = "2026-01-05", *changes: Episode, end: str | None = None, **kw) -> Period:
    """A period of care starting on a full care order in an ordinary foster placement."""
    first = Episode(d(start), legal_status="C2", placement="U6", rne="S")
    return Period(start=d(start), end=d(end) if end else None, episodes=(first, *changes), **kw)


# R-SCH-1: first review within 20 working days ------------------------------------------


def test_r_sch_1_first_review_worked_example():
    # Mon 5 Jan 2026: Jan 6-9 (4), 12-16 (9), 19-23 (14), 26-30 (19), Mon 2 Feb (20).
    nxt = next_review(care("2026-01-05"), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (1, d("2026-02-02"), FIRST)
    assert nxt.earliest is None


def test_r_sch_1_period_without_episodes_counts_from_its_start():
    nxt = next_review(Period(start=d("2026-01-05")), CAL)
    assert (nxt.due, nxt.rule) == (d("2026-02-02"), FIRST)


def test_r_sch_1_weekend_start():
    # Sat 10 Jan 2026 (not counted): Jan 12-16 (5), 19-23 (10), 26-30 (15), Feb 2-6 (20).
    assert next_review(care("2026-01-10"), CAL).due == d("2026-02-06")


def test_r_sch_1_spring_bank_holiday():
    # Fri 22 May 2026; Mon 25 May is the Spring bank holiday: May 26-29 (4), Jun 1-5 (9),
    # 8-12 (14), 15-19 (19), Mon 22 Jun (20).
    assert next_review(care("2026-05-22"), CAL).due == d("2026-06-22")


def test_r_sch_1_easter():
    # Wed 25 Mar 2026: Mar 26-27 (2), Mar 30-Apr 2 (6), Good Friday 3 Apr and Easter
    # Monday 6 Apr skipped, Apr 7-10 (10), 13-17 (15), 20-24 (20) → Fri 24 Apr.
    assert next_review(care("2026-03-25"), CAL).due == d("2026-04-24")


def test_r_sch_1_start_on_a_bank_holiday():
    # Mon 31 Aug 2026 (Summer bank holiday, not counted): Sep 1-4 (4), 7-11 (9),
    # 14-18 (14), 21-25 (19), Mon 28 Sep (20).
    assert next_review(care("2026-08-31"), CAL).due == d("2026-09-28")


def test_r_sch_1_christmas_2026():
    # Mon 14 Dec 2026: Dec 15-18 (4), 21-24 (8), 25 and 28 Dec skipped, 29-31 (11),
    # Fri 1 Jan skipped, Jan 4-8 (16), 11-14 (20) → Thu 14 Jan 2027.
    assert next_review(care("2026-12-14"), CAL).due == d("2027-01-14")


def test_r_sch_1_christmas_2027_substitute_days():
    # Thu 23 Dec 2027: Fri 24 (1), Mon 27 and Tue 28 skipped, Dec 29-31 (4), Mon 3 Jan
    # 2028 skipped, Jan 4-7 (8), 10-14 (13), 17-21 (18), 24, 25 (20) → Tue 25 Jan 2028.
    assert next_review(care("2027-12-23"), CAL).due == d("2028-01-25")


def test_r_sch_1_local_closure_days_push_the_first_review():
    # As the worked example, but the authority is closed Fri 16 Jan 2026: Mon 2 Feb is
    # the 19th working day, Tue 3 Feb the 20th.
    cal = WorkingCalendar(closures=[d("2026-01-16")])
    assert next_review(care("2026-01-05"), cal).due == d("2026-02-03")


def test_r_sch_1_placement_change_before_first_review_does_not_restart():
    # A new episode (change of placement) on Mon 19 Jan 2026 is still the same period.
    move = Episode(d("2026-01-19"), legal_status="C2", placement="U3", rne="P")
    assert next_review(care("2026-01-05", move), CAL).due == d("2026-02-02")


# R-SCH-2: second review no more than 3 months after the first ---------------------------


def test_r_sch_2_second_review_three_months_after_the_first():
    # First held Mon 2 Feb 2026 → second by Sat 2 May 2026 (R-CAL-6: not moved).
    nxt = next_review(care("2026-01-05", reviews=held("2026-02-02")), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-05-02"), SECOND)


def test_r_sch_2_31_may_gives_31_august():
    # Period from Thu 3 May 2029; first review Thu 31 May 2029 → second by Fri 31 Aug 2029.
    period = care("2029-05-03", reviews=held("2029-05-31"))
    assert next_review(period, CAL).due == d("2029-08-31")


def test_r_sch_2_30_november_clamps_to_28_february():
    # Mon 2 Nov 2026: Nov 3-6 (4), 9-13 (9), 16-20 (14), 23-27 (19), Mon 30 Nov (20).
    assert next_review(care("2026-11-02"), CAL).due == d("2026-11-30")
    # First held Mon 30 Nov 2026 → 30 Feb 2027 does not exist → Sun 28 Feb 2027.
    nxt = next_review(care("2026-11-02", reviews=held("2026-11-30")), CAL)
    assert (nxt.due, nxt.rule) == (d("2027-02-28"), SECOND)


def test_r_sch_2_30_november_leap_year_clamps_to_29_february():
    # Tue 2 Nov 2027: Nov 3-5 (3), 8-12 (8), 15-19 (13), 22-26 (18), 29, 30 (20).
    assert next_review(care("2027-11-02"), CAL).due == d("2027-11-30")
    # First held Tue 30 Nov 2027 → Tue 29 Feb 2028 (2028 is a leap year).
    assert next_review(care("2027-11-02", reviews=held("2027-11-30")), CAL).due == d("2028-02-29")


def test_r_sch_2_deadline_on_a_bank_holiday_is_kept():
    # First held Thu 1 Oct 2026 → second by Fri 1 Jan 2027, New Year's Day (R-CAL-6).
    period = care("2026-09-07", reviews=held("2026-10-01"))
    assert next_review(period, CAL).due == d("2027-01-01")


def test_r_sch_2_late_first_review_counts_from_when_it_was_held():
    # First due Mon 2 Feb 2026 but held late on Tue 10 Feb → second by Sun 10 May 2026,
    # not 2 May.
    nxt = next_review(care("2026-01-05", reviews=held("2026-02-10")), CAL)
    assert (nxt.due, nxt.rule) == (d("2026-05-10"), SECOND)


def test_r_sch_2_fixed_days_policy_second_review_is_91_days():
    # Coventry reading: Mon 2 Feb 2026 + 91 days (26 to 28 Feb, 31 Mar, 30 Apr = 87,
    # + 4) = Mon 4 May 2026.
    cal = WorkingCalendar(month_mode="days")
    assert next_review(care("2026-01-05", reviews=held("2026-02-02")), cal).due == d("2026-05-04")


# R-SCH-3: later reviews no more than 6 months after the previous one ---------------------


def test_r_sch_3_third_review_six_months_after_the_second():
    # Second held Thu 30 Apr 2026 → third by Fri 30 Oct 2026.
    nxt = next_review(care("2026-01-05", reviews=held("2026-02-02", "2026-04-30")), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-10-30"), LATER)


def test_r_sch_3_fourth_review_counts_from_the_third():
    period = care("2026-01-05", reviews=held("2026-02-02", "2026-04-30", "2026-10-20"))
    nxt = next_review(period, CAL)
    # Third held Tue 20 Oct 2026 → fourth by Tue 20 Apr 2027.
    assert (nxt.number, nxt.due, nxt.rule) == (4, d("2027-04-20"), LATER)
    assert nxt.detail.startswith("fourth review")


def test_r_sch_3_31_august_into_leap_february():
    # Third held Tue 31 Aug 2027 → 31 Feb 2028 clamps to Tue 29 Feb 2028.
    period = care("2027-02-01", reviews=held("2027-03-01", "2027-05-28", "2027-08-31"))
    assert next_review(period, CAL).due == d("2028-02-29")


def test_r_sch_3_31_august_into_common_february():
    # Review held Thu 31 Aug 2028 → Wed 28 Feb 2029.
    period = care("2028-06-05", reviews=held("2028-07-03", "2028-08-31"))
    assert next_review(period, CAL).due == d("2029-02-28")


def test_r_sch_3_late_review_counts_from_when_it_was_held():
    # Second due Sun 10 May 2026, held a day late on Mon 11 May → third by Wed 11 Nov.
    period = care("2026-01-05", reviews=held("2026-02-10", "2026-05-11"))
    assert next_review(period, CAL).due == d("2026-11-11")


def test_r_sch_3_fixed_days_policy_later_review_is_183_days():
    # Mon 4 May 2026 + 183 days: to 31 May 27, 30 Jun 57, 31 Jul 88, 31 Aug 119,
    # 30 Sep 149, 31 Oct 180, + 3 = Tue 3 Nov 2026 (calendar months would give 4 Nov).
    cal = WorkingCalendar(month_mode="days")
    period = care("2026-01-05", reviews=held("2026-02-02", "2026-05-04"))
    assert next_review(period, cal).due == d("2026-11-03")
    assert next_review(period, CAL).due == d("2026-11-04")


def test_r_sch_3_legal_status_change_does_not_restart_the_sequence():
    # Interim (C1) to full care order (C2) is a new episode, not a new period.
    period = Period(
        start=d("2026-01-05"),
        episodes=(
            Episode(d("2026-01-05"), legal_status="C1", placement="U6", rne="S"),
            Episode(d("2026-03-16"), legal_status="C2", placement="U6", rne="L"),
        ),
        reviews=held("2026-02-02", "2026-04-30"),
    )
    assert next_review(period, CAL).due == d("2026-10-30")


def test_reviews_and_episodes_given_out_of_order_are_sorted():
    period = care("2026-01-05", reviews=held("2026-04-30", "2026-02-02"))
    assert next_review(period, CAL).due == d("2026-10-30")


# Adjourned reviews (R-SCH-14 and recording dates) -----------------------------------------


def test_r_sch_14_adjournment_limit_is_20_working_days():
    # Mon 2 Feb 2026: Feb 3-6 (4), 9-13 (9), 16-20 (14), 23-27 (19), Mon 2 Mar (20).
    assert adjournment_limit(d("2026-02-02"), CAL) == d("2026-03-02")


def test_r_sch_14_adjournment_limit_across_easter():
    # Wed 25 Mar 2026 → Fri 24 Apr 2026 (Good Friday and Easter Monday skipped).
    assert adjournment_limit(d("2026-03-25"), CAL) == d("2026-04-24")


def test_r_sch_14_adjourned_review_must_reconvene_within_20_working_days():
    # Second review adjourned on Thu 30 Apr 2026: May 1 (1), Mon 4 May skipped,
    # 5-8 (5), 11-15 (10), 18-22 (15), Mon 25 May skipped, 26-29 (19), Mon 1 Jun (20).
    period = care("2026-01-05", reviews=held("2026-02-02"), adjourned_on=d("2026-04-30"))
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-06-01"), ADJOURNMENT)


def test_r_sch_14_reconvened_review_is_recorded_on_the_original_date():
    # Adjourned Thu 30 Apr 2026, reconvened Wed 20 May: recording date 30 Apr, so the
    # third review is due Fri 30 Oct 2026, not Fri 20 Nov.
    period = care("2026-01-05", reviews=held("2026-02-02", "2026-04-30"))
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-10-30"), LATER)


def test_r_sch_14_adjourned_first_review():
    # First review adjourned on Mon 2 Feb 2026 → reconvene by Mon 2 Mar; once held it
    # is recorded on 2 Feb and the second is due Sat 2 May.
    adjourned = care("2026-01-05", adjourned_on=d("2026-02-02"))
    assert next_review(adjourned, CAL).due == d("2026-03-02")
    assert next_review(care("2026-01-05", reviews=held("2026-02-02")), CAL).due == d("2026-05-02")


# R-SCH-4 and R-SCH-10: IRO directions, earliest wins --------------------------------------


def test_r_sch_4_direction_earlier_than_routine_deadline_wins():
    # Routine second by Sat 2 May 2026; IRO directs on Mon 2 Mar a review by Fri 20 Mar.
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02"),
        directions=(Direction(d("2026-03-02"), d("2026-03-20"), "placement at risk"),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-03-20"), DIRECTION)
    assert "placement at risk" in nxt.detail


def test_r_sch_4_direction_before_the_first_review():
    # First due Mon 2 Feb 2026; directed on Fri 9 Jan for a review by Fri 23 Jan.
    period = care("2026-01-05", directions=(Direction(d("2026-01-09"), d("2026-01-23")),))
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (1, d("2026-01-23"), DIRECTION)


def test_r_sch_10_direction_later_than_routine_deadline_loses():
    # Directed by Fri 29 May 2026, but the second review is due by Sat 2 May anyway.
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02"),
        directions=(Direction(d("2026-03-02"), d("2026-05-29")),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-05-02"), SECOND)
    assert {c.rule for c in candidates(period, CAL)} == {SECOND, DIRECTION}


def test_r_sch_10_direction_on_the_routine_date_names_the_direction():
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02"),
        directions=(Direction(d("2026-03-02"), d("2026-05-02")),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-05-02"), DIRECTION)


def test_r_sch_4_sequence_continues_from_the_directed_review():
    # Directed review held Fri 20 Mar 2026 (the second) → third by Sun 20 Sep 2026.
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02", "2026-03-20"),
        directions=(Direction(d("2026-03-02"), d("2026-03-20")),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-09-20"), LATER)


def test_r_sch_10_direction_satisfied_by_any_review_on_or_after_it():
    # Directed on Mon 2 Mar for a review by Fri 27 Mar; a review held on Mon 9 Mar
    # satisfies it even though the direction's date was later.
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02", "2026-03-09"),
        directions=(Direction(d("2026-03-02"), d("2026-03-27")),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-09-09"), LATER)


def test_r_sch_10_review_before_the_direction_does_not_satisfy_it():
    # Direction made Tue 3 Feb 2026, the day after the first review.
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02"),
        directions=(Direction(d("2026-02-03"), d("2026-02-27")),),
    )
    assert next_review(period, CAL).rule == DIRECTION


def test_r_sch_10_direction_made_on_a_review_day_is_satisfied_by_that_review():
    # DOMAIN.md R-SCH-10: "satisfied by any review recorded on or after that event".
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02"),
        directions=(Direction(d("2026-02-02"), d("2026-02-16")),),
    )
    assert next_review(period, CAL).rule == SECOND


def test_r_sch_10_earliest_of_two_open_directions():
    period = care(
        "2026-01-05",
        reviews=held("2026-02-02"),
        directions=(
            Direction(d("2026-03-02"), d("2026-04-10")),
            Direction(d("2026-03-09"), d("2026-03-27")),
        ),
    )
    assert next_review(period, CAL).due == d("2026-03-27")


# R-SCH-5: short breaks -------------------------------------------------------------------


def short_breaks(start: str, status: str = "V3") -> Episode:
    return Episode(d(start), legal_status=status, placement="U6", rne="S")


def test_r_sch_5_first_short_breaks_review_within_3_months():
    # First placement day Mon 5 Jan 2026 → by Sun 5 Apr 2026 (3 months, not 20 days).
    period = Period(start=d("2026-01-05"), episodes=(short_breaks("2026-01-05"),))
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (1, d("2026-04-05"), SHORT_BREAKS)


def test_r_sch_5_v4_month_end_clamping():
    # Mon 30 Nov 2026 + 3 months → Sun 28 Feb 2027.
    period = Period(start=d("2026-11-30"), episodes=(short_breaks("2026-11-30", "V4"),))
    assert next_review(period, CAL).due == d("2027-02-28")


def test_r_sch_5_second_short_breaks_review_is_6_months_later():
    # First held Wed 1 Apr 2026 → next by Thu 1 Oct 2026 (6 months, not 3).
    period = Period(
        start=d("2026-01-05"), episodes=(short_breaks("2026-01-05"),), reviews=held("2026-04-01")
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-10-01"), SHORT_BREAKS)


def test_r_sch_5_switch_to_full_care_order_restarts_with_r_sch_1():
    # Short breaks from Mon 5 Jan 2026, reviewed Wed 1 Apr; full care order from Mon
    # 11 May. 20 working days from 11 May: May 12-15 (4), 18-22 (9), Mon 25 May skipped,
    # 26-29 (13), Jun 1-5 (18), 8, 9 (20) → Tue 9 Jun 2026. Numbering continues (2nd).
    period = Period(
        start=d("2026-01-05"),
        episodes=(
            short_breaks("2026-01-05"),
            Episode(d("2026-05-11"), legal_status="C2", placement="U6", rne="L"),
        ),
        reviews=held("2026-04-01"),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-06-09"), FIRST)
    assert "short breaks ending" in nxt.detail


def test_r_sch_5_after_switch_second_review_is_3_months_after_the_restart():
    # Continuing: the first review under the care order held Mon 8 Jun 2026 → next by
    # Tue 8 Sep 2026 (R-SCH-2 counted from the new sequence).
    period = Period(
        start=d("2026-01-05"),
        episodes=(
            short_breaks("2026-01-05"),
            Episode(d("2026-05-11"), legal_status="C2", placement="U6", rne="L"),
        ),
        reviews=held("2026-04-01", "2026-06-08"),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-09-08"), SECOND)


def test_r_sch_5_switch_into_short_breaks_starts_a_short_breaks_sequence():
    # Accommodated (V2) from Mon 5 Jan 2026, first review Mon 2 Feb; short breaks from
    # Mon 2 Mar → first short-breaks review within 3 months: Tue 2 Jun 2026.
    period = Period(
        start=d("2026-01-05"),
        episodes=(
            Episode(d("2026-01-05"), legal_status="V2", placement="U6", rne="S"),
            Episode(d("2026-03-02"), legal_status="V3", placement="U6", rne="L"),
        ),
        reviews=held("2026-02-02"),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-06-02"), SHORT_BREAKS)


# R-SCH-5: a series of short breaks is one plan (IRO Handbook 4.1) -------------------------


def stay(start: str, end: str, *reviews: str, status: str = "V3", then=()) -> Stay:
    """An earlier stay: its own period of care, ended, in short breaks unless ``then``."""
    return Stay(d(start), d(end), (short_breaks(start, status), *then), held(*reviews))


def test_r_sch_5_a_new_stay_does_not_restart_the_first_review_clock():
    # Stays Mon 5-Wed 7 Jan 2026 and, now, from Mon 2 Feb 2026. The series began on
    # 5 Jan: first review by 5 Jan + 3 months = Sun 5 Apr 2026 (not 2 Feb + 3 months).
    period = Period(
        start=d("2026-02-02"),
        episodes=(short_breaks("2026-02-02"),),
        earlier=(stay("2026-01-05", "2026-01-07"),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (1, d("2026-04-05"), SHORT_BREAKS)
    assert "of the series, 2026-01-05" in nxt.detail
    assert short_break_series(period) == (d("2026-01-05"), ())


def test_r_sch_5_monthly_stays_leave_the_first_review_overdue():
    # Stays 5-7 Jan, 2-4 Feb, 2-4 Mar 2026; the fourth begins Mon 6 Apr (Easter Monday).
    # Still due Sun 5 Apr 2026: overdue on the day the fourth stay starts.
    period = Period(
        start=d("2026-04-06"),
        episodes=(short_breaks("2026-04-06"),),
        earlier=(
            stay("2026-03-02", "2026-03-04"),
            stay("2026-01-05", "2026-01-07"),
            stay("2026-02-02", "2026-02-04"),
        ),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-04-05"), SHORT_BREAKS)
    assert nxt.due < period.start


def test_r_sch_5_review_in_an_earlier_stay_counts():
    # Reviewed Wed 1 Apr 2026 during the stay of 30 Mar-2 Apr; the next stay begins
    # Mon 4 May (Early May bank holiday). Next: 1 Apr + 6 months = Thu 1 Oct 2026.
    period = Period(
        start=d("2026-05-04"),
        episodes=(short_breaks("2026-05-04", "V4"),),
        earlier=(
            stay("2026-01-05", "2026-01-07", status="V4"),
            stay("2026-03-30", "2026-04-02", "2026-04-01", status="V4"),
        ),
    )
    nxt = next_review(period, CAL)
    # The series' second review: the first was held in the earlier stay.
    assert (nxt.number, nxt.due, nxt.rule) == (2, d("2026-10-01"), SHORT_BREAKS)
    assert short_break_series(period) == (d("2026-01-05"), held("2026-04-01"))


def test_r_sch_5_a_stay_after_the_arrangement_ended_starts_a_new_series():
    # Stay 5-7 Jan 2026; the arrangement recorded as ended Fri 30 Jan; a new stay from
    # Mon 2 Mar 2026 starts a new series: 2 Mar + 3 months = Tue 2 Jun 2026.
    period = Period(
        start=d("2026-03-02"),
        episodes=(short_breaks("2026-03-02"),),
        earlier=(stay("2026-01-05", "2026-01-07"),),
        breaks_ended=(d("2026-01-30"),),
    )
    assert next_review(period, CAL).due == d("2026-06-02")
    # An end recorded before the earlier stay does not part them.
    before = Period(
        start=d("2026-03-02"),
        episodes=(short_breaks("2026-03-02"),),
        earlier=(stay("2026-01-05", "2026-01-07"),),
        breaks_ended=(d("2025-12-31"),),
    )
    assert next_review(before, CAL).due == d("2026-04-05")


def test_r_sch_5_full_care_ends_the_series():
    # Short breaks from Mon 5 Jan 2026, full care order (C2) from Mon 2 Feb, care ended
    # Fri 27 Feb. A short-break stay from Mon 6 Apr 2026 is a new series:
    # 6 Apr + 3 months = Mon 6 Jul 2026.
    full_care = Episode(d("2026-02-02"), legal_status="C2", placement="U6", rne="L")
    period = Period(
        start=d("2026-04-06"),
        episodes=(short_breaks("2026-04-06"),),
        earlier=(stay("2026-01-05", "2026-02-27", then=(full_care,)),),
    )
    assert next_review(period, CAL).due == d("2026-07-06")


def test_r_sch_5_series_begun_within_an_earlier_period():
    # Accommodated (V2) from Mon 5 Jan 2026, reviewed Mon 2 Feb; short breaks from Mon
    # 2 Mar; care ended Tue 10 Mar. Next stay from Mon 13 Apr: the series began on 2 Mar,
    # so the first short-breaks review is due 2 Mar + 3 months = Tue 2 Jun 2026, and the
    # review of 2 Feb (before the series) does not count.
    earlier = Stay(
        d("2026-01-05"),
        d("2026-03-10"),
        (
            Episode(d("2026-01-05"), legal_status="V2", placement="U6", rne="S"),
            Episode(d("2026-03-02"), legal_status="V3", placement="U6", rne="L"),
        ),
        held("2026-02-02"),
    )
    period = Period(
        start=d("2026-04-13"), episodes=(short_breaks("2026-04-13"),), earlier=(earlier,)
    )
    assert next_review(period, CAL).due == d("2026-06-02")
    assert short_break_series(period) == (d("2026-03-02"), ())


def test_r_sch_5_series_across_a_leap_day():
    # Series began Tue 30 Nov 2027 (stay 30 Nov-2 Dec, V4); the next stay from Mon 10 Jan
    # 2028. 30 Nov + 3 months = 30 Feb, clamped to Tue 29 Feb 2028 (a leap year).
    period = Period(
        start=d("2028-01-10"),
        episodes=(short_breaks("2028-01-10", "V4"),),
        earlier=(stay("2027-11-30", "2027-12-02", status="V4"),),
    )
    assert next_review(period, CAL).due == d("2028-02-29")


def test_r_sch_5_ordinary_period_after_short_breaks_is_not_a_series():
    # A period that begins in full care follows R-SCH-1 whatever came before:
    # Mon 2 Feb 2026 + 20 working days = Mon 2 Mar 2026.
    period = care("2026-02-02", earlier=(stay("2026-01-05", "2026-01-07"),))
    assert (next_review(period, CAL).due, next_review(period, CAL).rule) == (
        d("2026-03-02"),
        FIRST,
    )


def test_r_sch_10_direction_beats_short_breaks_sequence():
    # Short-breaks review due Sun 5 Apr 2026; IRO directs one by Fri 20 Feb.
    period = Period(
        start=d("2026-01-05"),
        episodes=(short_breaks("2026-01-05"),),
        directions=(Direction(d("2026-02-02"), d("2026-02-20")),),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-02-20"), DIRECTION)


# R-SCH-6, 7, 8: adoption -----------------------------------------------------------------

START = Episode(d("2026-01-05"), legal_status="C2", placement="U6", rne="S")
AUTHORISED_E1 = Episode(d("2026-05-18"), legal_status="E1", placement="U6", rne="L")
PLACED_A5 = Episode(d("2026-09-07"), legal_status="E1", placement="A5", rne="P")
DISRUPTED = Episode(d("2026-11-02"), legal_status="E1", placement="U6", rne="P")


def adoption(*episodes: Episode, reviews=(), directions=()) -> Period:
    return Period(
        start=d("2026-01-05"),
        episodes=(START, *episodes),
        reviews=held(*reviews),
        directions=directions,
    )


def test_r_sch_6_first_review_after_placement_order_within_3_months():
    # Reviews Mon 2 Feb and Thu 30 Apr 2026 (routine third by Fri 30 Oct); placement
    # order Mon 18 May → review by Tue 18 Aug 2026, which is earlier.
    nxt = next_review(adoption(AUTHORISED_E1, reviews=("2026-02-02", "2026-04-30")), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-08-18"), AUTHORISED)


def test_r_sch_6_freeing_order_counts_as_authorisation():
    freeing = Episode(d("2026-05-18"), legal_status="D1", placement="U6", rne="L")
    nxt = next_review(adoption(freeing, reviews=("2026-02-02", "2026-04-30")), CAL)
    assert (nxt.due, nxt.rule) == (d("2026-08-18"), AUTHORISED)


def test_r_sch_6_then_six_monthly():
    # Review after authorisation held Tue 11 Aug 2026 → next by Thu 11 Feb 2027 (the
    # routine R-SCH-3 date is the same; the adoption rule names it).
    period = adoption(AUTHORISED_E1, reviews=("2026-02-02", "2026-04-30", "2026-08-11"))
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (4, d("2027-02-11"), AUTHORISED)


def test_r_sch_6_month_end_clamping():
    # Reviews to Fri 30 Oct 2026 (routine next by Fri 30 Apr 2027); placement order on
    # Mon 30 Nov 2026 → 30 Feb 2027 does not exist → Sun 28 Feb 2027.
    e1 = Episode(d("2026-11-30"), legal_status="E1", placement="U6", rne="L")
    nxt = next_review(adoption(e1, reviews=("2026-02-02", "2026-04-30", "2026-10-30")), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (4, d("2027-02-28"), AUTHORISED)


def test_r_sch_10_routine_second_review_earlier_than_authorisation_rule():
    # First review Mon 2 Feb 2026 → second by Sat 2 May; placement order Mon 16 Feb →
    # R-SCH-6 would allow until Sat 16 May. Earliest wins: 2 May, R-SCH-2.
    e1 = Episode(d("2026-02-16"), legal_status="E1", placement="U6", rne="L")
    period = adoption(e1, reviews=("2026-02-02",))
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-05-02"), SECOND)
    assert {c.rule: c.due for c in candidates(period, CAL)}[AUTHORISED] == d("2026-05-16")


def test_r_sch_6_parental_consent_authorises_like_a_placement_order():
    # Care order from Mon 5 Jan 2026, reviews Mon 2 Feb and Thu 30 Apr (routine third by
    # Fri 30 Oct). Parents consent to placement for adoption Mon 18 May: review by
    # 18 May + 3 months = Tue 18 Aug 2026.
    period = adoption(reviews=("2026-02-02", "2026-04-30"))
    consented = Period(
        start=period.start,
        episodes=period.episodes,
        reviews=period.reviews,
        consent_on=d("2026-05-18"),
    )
    nxt = next_review(consented, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-08-18"), AUTHORISED)
    assert "parental consent" in nxt.detail
    assert next_review(period, CAL).rule == LATER


def test_r_sch_6_consent_before_a_placement_order_counts_from_the_consent():
    # Consent Mon 18 May 2026, placement order (E1) Mon 7 Sep. Authorised since 18 May;
    # a review Tue 11 Aug after it → next by Thu 11 Feb 2027 (6 months).
    e1 = Episode(d("2026-09-07"), legal_status="E1", placement="U6", rne="L")
    period = Period(
        start=d("2026-01-05"),
        episodes=(START, e1),
        reviews=held("2026-02-02", "2026-04-30", "2026-08-11"),
        consent_on=d("2026-05-18"),
    )
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (4, d("2027-02-11"), AUTHORISED)


def test_r_sch_6_consent_over_a_leap_day():
    # Care order from Mon 7 Jun 2027; reviews Mon 5 Jul and Mon 4 Oct 2027 (routine third
    # by Tue 4 Apr 2028). Consent Tue 30 Nov 2027: + 3 months = 30 Feb, clamped to
    # Tue 29 Feb 2028 (a leap year).
    period = Period(
        start=d("2027-06-07"),
        episodes=(Episode(d("2027-06-07"), legal_status="C2", placement="U6", rne="S"),),
        reviews=held("2027-07-05", "2027-10-04"),
        consent_on=d("2027-11-30"),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2028-02-29"), AUTHORISED)


def test_r_sch_6_consent_then_placement_follows_r_sch_7():
    # Consent Mon 18 May 2026, placed for adoption (A3, with consent) Mon 7 Sep: R-SCH-7,
    # 7 Sep + 28 days = Mon 5 Oct 2026.
    placed = Episode(d("2026-09-07"), legal_status="C2", placement="A3", rne="P")
    period = Period(
        start=d("2026-01-05"),
        episodes=(START, placed),
        reviews=held("2026-02-02", "2026-04-30", "2026-08-11"),
        consent_on=d("2026-05-18"),
    )
    assert (next_review(period, CAL).due, next_review(period, CAL).rule) == (
        d("2026-10-05"),
        PLACED,
    )


def test_r_sch_7_first_review_within_4_weeks_of_placement_for_adoption():
    # Placed Mon 7 Sep 2026 → Mon 5 Oct 2026 (28 days); routine fourth by Thu 11 Feb 2027.
    period = adoption(AUTHORISED_E1, PLACED_A5, reviews=("2026-02-02", "2026-04-30", "2026-08-11"))
    nxt = next_review(period, CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (4, d("2026-10-05"), PLACED)


def test_r_sch_7_second_review_3_months_after_the_first_since_placement():
    # First since placement Thu 1 Oct 2026 → Fri 1 Jan 2027 (New Year's Day, kept:
    # R-CAL-6), earlier than the routine Thu 1 Apr 2027.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, reviews=reviews), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (5, d("2027-01-01"), PLACED)


def test_r_sch_7_then_six_monthly():
    # Second since placement Wed 30 Dec 2026 → Wed 30 Jun 2027.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01", "2026-12-30")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, reviews=reviews), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (6, d("2027-06-30"), PLACED)


def test_r_sch_7_placed_with_consent_without_placement_order():
    # A3 (with consent) under a care order; placed Mon 31 Jan 2028: 31 Jan + 28 days =
    # Mon 28 Feb 2028 (four weeks, not one month).
    period = Period(
        start=d("2027-11-01"),
        episodes=(
            Episode(d("2027-11-01"), legal_status="C2", placement="U6", rne="S"),
            Episode(d("2028-01-31"), legal_status="C2", placement="A3", rne="P"),
        ),
        reviews=held("2027-11-29"),
    )
    nxt = next_review(period, CAL)
    # Routine second: Mon 29 Nov 2027 + 3 months = Tue 29 Feb 2028, one day later.
    assert (nxt.due, nxt.rule) == (d("2028-02-28"), PLACED)


def test_r_sch_8_disruption_gives_a_4_to_6_week_window():
    # Placed Mon 7 Sep 2026, reviewed Thu 1 Oct, back to foster care Mon 2 Nov 2026:
    # earliest 2 Nov + 28 days = Mon 30 Nov, deadline 2 Nov + 42 days = Mon 14 Dec.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (5, d("2026-12-14"), DISRUPTION)
    assert nxt.earliest == d("2026-11-30")
    assert nxt.as_dict()["earliest"] == "2026-11-30"


def test_r_sch_8_disruption_satisfied_by_a_review_after_it():
    # Review held Tue 8 Dec 2026 after the disruption → next by Tue 8 Jun 2027 (R-SCH-6:
    # still authorised; same date as R-SCH-3), with no window any more.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01", "2026-12-08")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (6, d("2027-06-08"), AUTHORISED)
    assert nxt.earliest is None


def test_r_sch_8_window_earliest_kept_when_a_direction_inside_it_wins():
    # Directed on Mon 2 Nov 2026 for a review by Mon 7 Dec: earlier than the 14 Dec
    # deadline, but not before the window opens on 30 Nov.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01")
    direction = (Direction(d("2026-11-02"), d("2026-12-07")),)
    period = adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews, directions=direction)
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule, nxt.earliest) == (d("2026-12-07"), DIRECTION, d("2026-11-30"))


def test_r_sch_8_no_window_when_a_rule_before_it_wins():
    # Directed for Mon 16 Nov 2026, before the window opens: no earliest date attached.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01")
    direction = (Direction(d("2026-11-02"), d("2026-11-16")),)
    period = adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews, directions=direction)
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule, nxt.earliest) == (d("2026-11-16"), DIRECTION, None)


def test_r_sch_8_review_before_the_window_opens_does_not_satisfy_it():
    # Handbook 3.56: "between four weeks and six weeks after the disruption". A review held
    # Mon 9 Nov 2026, one week after the disruption on Mon 2 Nov, is an additional review:
    # the window (earliest Mon 30 Nov, deadline Mon 14 Dec) stays due, and it is earlier
    # than the 6-monthly R-SCH-6 date counted from 9 Nov (Sun 9 May 2027).
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01", "2026-11-09")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    assert (nxt.number, nxt.due, nxt.rule, nxt.earliest) == (
        6,
        d("2026-12-14"),
        DISRUPTION,
        d("2026-11-30"),
    )
    assert "did not satisfy it" in nxt.detail
    found = {
        c.rule: c.due
        for c in candidates(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    }
    assert found[AUTHORISED] == d("2027-05-09")


def test_r_sch_8_review_on_the_day_the_window_opens_satisfies_it():
    # Recorded Mon 30 Nov 2026 = 2 Nov + 28 days, the first day of the window: satisfied.
    # Next: 30 Nov + 6 months = Sun 30 May 2027 (R-SCH-6, still authorised, not placed).
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01", "2026-11-30")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    assert (nxt.due, nxt.rule, nxt.earliest) == (d("2027-05-30"), AUTHORISED, None)


def test_r_sch_8_review_the_day_before_the_window_opens_does_not():
    # Sun 29 Nov 2026 is day 27: one day early, so the window stays due.
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01", "2026-11-29")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    assert (nxt.due, nxt.rule, nxt.earliest) == (d("2026-12-14"), DISRUPTION, d("2026-11-30"))


def test_r_sch_8_review_after_the_window_closes_is_out_of_time_and_closes_it():
    # Recorded Tue 15 Dec 2026, a day after the deadline of Mon 14 Dec: out of time
    # (R-SCH-15), and the window is no longer due. Next: Tue 15 Jun 2027 (R-SCH-6).
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01", "2026-12-15")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, reviews=reviews), CAL)
    assert (nxt.due, nxt.rule, nxt.earliest) == (d("2027-06-15"), AUTHORISED, None)


def test_r_sch_8_window_over_a_leap_day():
    # Placed for adoption (A4) Mon 3 Jan 2028, back to foster care Mon 31 Jan 2028:
    # 31 Jan + 28 days = Mon 28 Feb 2028 (earliest); + 42 days = Mon 13 Mar 2028
    # (February 2028 has 29 days: 31 Jan + 29 = 29 Feb, + 13 more = 13 Mar).
    period = Period(
        start=d("2027-06-07"),
        episodes=(
            Episode(d("2027-06-07"), legal_status="E1", placement="U6", rne="S"),
            Episode(d("2028-01-03"), legal_status="E1", placement="A4", rne="P"),
            Episode(d("2028-01-31"), legal_status="E1", placement="U6", rne="P"),
        ),
        reviews=held("2027-07-05", "2027-10-04", "2028-01-28"),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule, nxt.earliest) == (d("2028-03-13"), DISRUPTION, d("2028-02-28"))


def test_r_sch_8_disruption_then_another_move_still_counts_from_disruption():
    # Moved again on Mon 16 Nov 2026 (to a children's home): the window is still counted
    # from the disruption on 2 Nov.
    move = Episode(d("2026-11-16"), legal_status="E1", placement="K2", rne="P")
    reviews = ("2026-02-02", "2026-04-30", "2026-08-11", "2026-10-01")
    nxt = next_review(adoption(AUTHORISED_E1, PLACED_A5, DISRUPTED, move, reviews=reviews), CAL)
    assert (nxt.due, nxt.earliest) == (d("2026-12-14"), d("2026-11-30"))


# R-SCH-9: local placement rule -----------------------------------------------------------


def test_r_sch_9_off_by_default():
    # New placement in secure accommodation on Fri 22 May 2026; routine third by
    # Fri 30 Oct 2026 applies when the local rule is off.
    secure = Episode(d("2026-05-22"), legal_status="C2", placement="K1", rne="P")
    period = care("2026-01-05", secure, reviews=held("2026-02-02", "2026-04-30"))
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2026-10-30"), LATER)
    assert LOCAL_PLACEMENT not in {c.rule for c in candidates(period, CAL)}


def test_r_sch_9_secure_placement_review_within_20_working_days():
    # Fri 22 May 2026, Spring bank holiday Mon 25 May skipped → Mon 22 Jun 2026.
    secure = Episode(d("2026-05-22"), legal_status="C2", placement="K1", rne="P")
    period = care("2026-01-05", secure, reviews=held("2026-02-02", "2026-04-30"))
    nxt = next_review(period, CAL, LOCAL_ON)
    assert (nxt.number, nxt.due, nxt.rule) == (3, d("2026-06-22"), LOCAL_PLACEMENT)
    assert "secure accommodation" in nxt.detail


def test_r_sch_9_unplanned_move_over_christmas():
    # Unplanned move Mon 14 Dec 2026 → Thu 14 Jan 2027 (25, 28 Dec and 1 Jan skipped);
    # routine fourth by Fri 30 Apr 2027.
    move = Episode(
        d("2026-12-14"), legal_status="C2", placement="U6", rne="P", local_reason="unplanned"
    )
    period = care("2026-01-05", move, reviews=held("2026-02-02", "2026-04-30", "2026-10-30"))
    nxt = next_review(period, CAL, LOCAL_ON)
    assert (nxt.number, nxt.due, nxt.rule) == (4, d("2027-01-14"), LOCAL_PLACEMENT)


def test_r_sch_9_reason_not_listed_by_the_authority_is_ignored():
    move = Episode(
        d("2026-12-14"), legal_status="C2", placement="U6", rne="P", local_reason="unplanned"
    )
    period = care("2026-01-05", move, reviews=held("2026-02-02", "2026-04-30", "2026-10-30"))
    policy = Policy(local_placement_rule=True, local_placement_reasons=frozenset({"secure"}))
    assert next_review(period, CAL, policy).rule == LATER


def test_r_sch_9_satisfied_by_a_review_after_the_placement():
    # Secure placement Fri 22 May 2026, review held Mon 15 Jun → next routine: Tue 15 Dec.
    secure = Episode(d("2026-05-22"), legal_status="C2", placement="K1", rne="P")
    period = care("2026-01-05", secure, reviews=held("2026-02-02", "2026-04-30", "2026-06-15"))
    nxt = next_review(period, CAL, LOCAL_ON)
    assert (nxt.due, nxt.rule) == (d("2026-12-15"), LATER)


def test_r_sch_9_routine_deadline_earlier_than_local_rule_wins():
    # Secure placement Mon 20 Apr 2026 → local rule by Tue 19 May (Mon 4 May skipped:
    # Apr 21-24 (4), 27-May 1 (9), 5-8 (13), 11-15 (18), 18, 19 (20)); routine second
    # by Sat 2 May wins.
    secure = Episode(d("2026-04-20"), legal_status="C2", placement="K1", rne="P")
    period = care("2026-01-05", secure, reviews=held("2026-02-02"))
    found = {c.rule: c.due for c in candidates(period, CAL, LOCAL_ON)}
    assert found[LOCAL_PLACEMENT] == d("2026-05-19")
    assert next_review(period, CAL, LOCAL_ON).rule == SECOND


def test_r_sch_9_starting_placement_is_not_a_trigger():
    # Becoming looked after in secure accommodation: the first review rule applies.
    period = Period(
        start=d("2026-01-05"),
        episodes=(Episode(d("2026-01-05"), legal_status="C2", placement="K1", rne="S"),),
    )
    nxt = next_review(period, CAL, LOCAL_ON)
    assert (nxt.due, nxt.rule) == (d("2026-02-02"), FIRST)


def test_r_sch_9_local_trigger_reasons():
    day = d("2026-05-22")
    assert local_trigger(Episode(day, placement="K1", rne="P")) == "secure"
    assert local_trigger(Episode(day, placement="K1")) == "secure"
    assert local_trigger(Episode(day, placement="P1", rne="T")) == "return-home"
    assert local_trigger(Episode(day, placement="U6", rne="P", reason_place_change="CARPL")) == (
        "care-plan-change"
    )
    assert local_trigger(Episode(day, placement="U6", rne="P", local_reason="mental-health")) == (
        "mental-health"
    )


def test_r_sch_9_no_trigger_without_a_new_placement_or_reason():
    day = d("2026-05-22")
    assert local_trigger(Episode(day, placement="K1", rne="L")) is None  # legal status only
    assert local_trigger(Episode(day, placement="U6", rne="P")) is None
    assert local_trigger(Episode(day, placement="U6", rne="P", reason_place_change="CHILD")) is None


# R-SCH-11: end of care -----------------------------------------------------------------


def test_r_sch_11_ended_period_has_nothing_due():
    period = care("2026-01-05", end="2026-03-13", reviews=held("2026-02-02"))
    assert next_review(period, CAL) is None
    assert candidates(period, CAL) == []


def test_r_sch_11_ended_period_ignores_open_directions_and_adjournments():
    period = care(
        "2026-01-05",
        end="2026-03-13",
        reviews=held("2026-02-02"),
        directions=(Direction(d("2026-03-02"), d("2026-03-20")),),
        adjourned_on=d("2026-03-10"),
    )
    assert next_review(period, CAL) is None


def test_r_sch_11_return_to_care_starts_a_new_sequence():
    # Left care Fri 13 Mar 2026, back on Mon 1 Jun 2026: a new period, first review
    # again within 20 working days: Jun 2-5 (4), 8-12 (9), 15-19 (14), 22-26 (19),
    # Mon 29 Jun (20).
    nxt = next_review(care("2026-06-01"), CAL)
    assert (nxt.number, nxt.due, nxt.rule) == (1, d("2026-06-29"), FIRST)


# R-SCH-12: long-term foster placements ---------------------------------------------------

LONG_TERM_EPISODES = (
    Episode(d("2026-01-05"), legal_status="C2", placement="U6", rne="S"),
    Episode(d("2026-06-01"), legal_status="C2", placement="U4", rne="T"),
)
MEETINGS = held("2026-02-02", "2026-04-30", "2026-10-30")


def test_r_sch_12_long_term_since_is_the_start_of_the_current_placement():
    assert long_term_since(LONG_TERM_EPISODES) == d("2026-06-01")
    assert long_term_since(LONG_TERM_EPISODES[:1]) is None


def test_r_sch_12_no_meeting_refused_before_12_months_in_placement():
    # U4 since Mon 1 Jun 2026; on Tue 1 Jun 2027 it is exactly 12 months, not over.
    why = check_no_meeting(LONG_TERM_EPISODES, MEETINGS, d("2027-06-01"), CAL)
    assert why is not None and "12 months" in why


def test_r_sch_12_no_meeting_allowed_after_over_12_months():
    # Wed 2 Jun 2027: over 12 months in U4; last meeting Fri 30 Oct 2026 (< 12 months).
    assert check_no_meeting(LONG_TERM_EPISODES, MEETINGS, d("2027-06-02"), CAL) is None


def test_r_sch_12_no_meeting_refused_outside_long_term_placement():
    why = check_no_meeting(LONG_TERM_EPISODES[:1], MEETINGS, d("2027-06-02"), CAL)
    assert why is not None and "U1/U4" in why


def test_r_sch_12_long_term_relative_placement_u1_counts():
    episodes = (
        Episode(d("2026-01-05"), legal_status="C2", placement="U3", rne="S"),
        Episode(d("2026-06-01"), legal_status="C2", placement="U1", rne="T"),
    )
    assert check_no_meeting(episodes, MEETINGS, d("2027-06-02"), CAL) is None


def test_r_sch_12_move_out_of_long_term_placement_restarts_the_12_months():
    # U4 from 1 Jun 2026, a temporary move to U6 on 1 Feb 2027, back to U4 on 1 Mar 2027:
    # on 2 Jun 2027 the current long-term placement is only 3 months old.
    episodes = (
        *LONG_TERM_EPISODES,
        Episode(d("2027-02-01"), legal_status="C2", placement="U6", rne="P"),
        Episode(d("2027-03-01"), legal_status="C2", placement="U4", rne="P"),
    )
    assert long_term_since(episodes) == d("2027-03-01")
    assert check_no_meeting(episodes, MEETINGS, d("2027-06-02"), CAL) is not None


def test_r_sch_12_meeting_needed_at_least_every_12_months():
    # Long-term since period start Mon 5 Jan 2026; meetings to Fri 30 Oct 2026, then a
    # review without a meeting on Fri 30 Apr 2027. Fri 29 Oct 2027 is within 12 months
    # of the last meeting; Mon 1 Nov 2027 is not.
    episodes = (Episode(d("2026-01-05"), legal_status="C2", placement="U4", rne="S"),)
    reviews = (*MEETINGS, HeldReview(d("2027-04-30"), meeting=False))
    assert check_no_meeting(episodes, reviews, d("2027-10-29"), CAL) is None
    assert check_no_meeting(episodes, reviews, d("2027-10-30"), CAL) is None
    why = check_no_meeting(episodes, reviews, d("2027-11-01"), CAL)
    assert why is not None and "2026-10-30" in why


def test_r_sch_12_last_meeting_is_the_latest_whatever_the_order_given():
    # Same as above with the reviews listed newest first: the last meeting is still
    # Fri 30 Oct 2026, so a review on Wed 2 Jun 2027 may be held without one.
    reviews = tuple(reversed(MEETINGS))
    assert check_no_meeting(LONG_TERM_EPISODES, reviews, d("2027-06-02"), CAL) is None


def test_r_sch_12_no_meeting_refused_when_no_meeting_held_in_period():
    episodes = (Episode(d("2026-01-05"), legal_status="C2", placement="U4", rne="S"),)
    reviews = (HeldReview(d("2026-02-02"), meeting=False),)
    why = check_no_meeting(episodes, reviews, d("2027-02-02"), CAL)
    assert why is not None and "none in this period" in why


def test_r_sch_12_reviews_stay_six_monthly_by_default():
    # Long-term placement since Mon 5 Jan 2026, last review Fri 30 Apr 2027 → next by
    # Sat 30 Oct 2027 (R-SCH-3), even after over 12 months in the placement.
    period = Period(
        start=d("2026-01-05"),
        episodes=(Episode(d("2026-01-05"), legal_status="C2", placement="U4", rne="S"),),
        reviews=(*MEETINGS, HeldReview(d("2027-04-30"), meeting=False)),
    )
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (d("2027-10-30"), LATER)


def test_r_sch_12_annual_reviews_policy():
    # West Sussex setting: last review Fri 30 Apr 2027, over 12 months after the
    # long-term placement began (5 Jan 2026) → next by Sun 30 Apr 2028.
    period = Period(
        start=d("2026-01-05"),
        episodes=(Episode(d("2026-01-05"), legal_status="C2", placement="U4", rne="S"),),
        reviews=(*MEETINGS, HeldReview(d("2027-04-30"), meeting=False)),
    )
    nxt = next_review(period, CAL, Policy(long_term_annual=True))
    assert (nxt.due, nxt.rule) == (d("2028-04-30"), LONG_TERM)


def test_r_sch_12_annual_reviews_only_after_12_months_in_placement():
    # Last review Fri 30 Oct 2026 is under 12 months into the placement (5 Jan 2026):
    # still 6-monthly → Fri 30 Apr 2027.
    period = Period(
        start=d("2026-01-05"),
        episodes=(Episode(d("2026-01-05"), legal_status="C2", placement="U4", rne="S"),),
        reviews=MEETINGS,
    )
    nxt = next_review(period, CAL, Policy(long_term_annual=True))
    assert (nxt.due, nxt.rule) == (d("2027-04-30"), LATER)


# R-SCH-16: approaching 18 ------------------------------------------------------------------


def test_r_sch_16_eighteenth_birthday():
    assert eighteenth_birthday(d("2010-06-15")) == d("2028-06-15")
    assert eighteenth_birthday(d("2008-02-29")) == d("2026-03-01")


def test_r_sch_16_pathway_plan_20_working_days_before_18():
    # 18 on Thu 15 Jun 2028: Jun 14-12 (3), 9-5 (8), 2, 1, May 31, 30 (12), Mon 29 May
    # (Spring bank holiday) skipped, May 26-22 (17), 19, 18, 17 (20) → Wed 17 May 2028.
    assert pathway_plan_due(d("2010-06-15"), CAL) == d("2028-05-17")


def test_r_sch_16_pathway_plan_29_february_birthday():
    # Born 29 Feb 2008 → 18 on Sun 1 Mar 2026: Feb 27-23 (5), 20-16 (10), 13-9 (15),
    # 6-2 (20) → Mon 2 Feb 2026.
    assert pathway_plan_due(d("2008-02-29"), CAL) == d("2026-02-02")


def test_r_sch_16_pathway_plan_across_christmas():
    # 18 on Mon 11 Jan 2027: Jan 8-4 (5), Fri 1 Jan skipped, Dec 31-29 (8), 28 and 25 Dec
    # skipped, Dec 24-21 (12), 18-14 (17), 11, 10, 9 (20) → Wed 9 Dec 2026.
    assert pathway_plan_due(d("2009-01-11"), CAL) == d("2026-12-09")


def test_the_schedule_stored_on_a_period_names_every_deadline():
    """What refresh_period and the import both store on a period (SCHEDULE_COLUMNS).

    Looked after from Fri 22 May 2026, born 2 Mar 2015 (18 on Wed 2 Mar 2033):
    - R-IRO-2: 5 working days, skipping Mon 25 May (Spring bank holiday): Tue 26 … Mon 1 Jun;
      with the first review booked for Thu 28 May, the working day before: Wed 27 May.
    - R-SCH-16: Mar 1, Feb 28 (2), Feb 25-21 (7), 18-14 (12), 11-7 (17), 4-2 (20): Wed
      2 Feb 2033.
    """
    from reviewcli.rules import SCHEDULE_COLUMNS, period_schedule

    first = Deadline(due=d("2026-06-19"), rule=FIRST, number=1, detail="first review")
    open_ = period_schedule(first, d("2026-05-22"), d("2015-03-02"), CAL)
    assert list(open_) == list(SCHEDULE_COLUMNS)
    assert open_ == {
        "next_number": 1,
        "next_due": "2026-06-19",
        "next_rule": FIRST,
        "next_earliest": None,
        "next_detail": "first review",
        "allocation_due": "2026-06-01",
        "pathway_due": "2033-02-02",
    }
    booked = period_schedule(first, d("2026-05-22"), d("2015-03-02"), CAL, d("2026-05-28"))
    assert booked["allocation_due"] == "2026-05-27"
    ended = period_schedule(None, d("2026-05-22"), d("2015-03-02"), CAL)
    assert [ended[k] for k in SCHEDULE_COLUMNS[:5]] == [None] * 5


# R-IRO-2: named IRO ---------------------------------------------------------------------


def test_r_iro_2_named_iro_within_5_working_days():
    # Mon 5 Jan 2026: Jan 6, 7, 8, 9, 12 → Mon 12 Jan.
    assert allocation_due(d("2026-01-05"), CAL, None) == d("2026-01-12")
    assert ALLOCATION == "R-IRO-2"


def test_r_iro_2_over_christmas():
    # Wed 23 Dec 2026: Dec 24 (1), 29, 30, 31 (4), Fri 1 Jan skipped, Mon 4 Jan 2027 (5).
    assert allocation_due(d("2026-12-23"), CAL, None) == d("2027-01-04")


def test_r_iro_2_start_on_good_friday():
    # Fri 3 Apr 2026: Easter Monday skipped, Apr 7, 8, 9, 10, 13 → Mon 13 Apr.
    assert allocation_due(d("2026-04-03"), CAL, None) == d("2026-04-13")


def test_r_iro_2_before_an_early_first_review():
    # First review booked Fri 9 Jan 2026, before the 5-day limit → named by Thu 8 Jan.
    assert allocation_due(d("2026-01-05"), CAL, d("2026-01-09")) == d("2026-01-08")


def test_r_iro_2_first_review_on_the_fifth_working_day():
    # Booked Mon 12 Jan 2026, the limit itself → must be named the working day before.
    assert allocation_due(d("2026-01-05"), CAL, d("2026-01-12")) == d("2026-01-09")


def test_r_iro_2_later_first_review_leaves_the_limit():
    assert allocation_due(d("2026-01-05"), CAL, d("2026-01-13")) == d("2026-01-12")


def test_r_iro_2_working_day_before_review_skips_bank_holiday():
    # Thu 21 May 2026: 22 (1), Mon 25 skipped, 26-29 (5) → Fri 29 May; review booked
    # Tue 26 May → the working day before is Fri 22 May.
    assert allocation_due(d("2026-05-21"), CAL, None) == d("2026-05-29")
    assert allocation_due(d("2026-05-21"), CAL, d("2026-05-26")) == d("2026-05-22")


# Numbering and labels ----------------------------------------------------------------------


def test_number_is_held_reviews_plus_one():
    reviews = ("2026-02-02", "2026-04-30", "2026-10-30", "2027-04-29", "2027-10-28", "2028-04-27")
    nxt = next_review(care("2026-01-05", reviews=held(*reviews)), CAL)
    # Sixth held Thu 27 Apr 2028 → seventh by Fri 27 Oct 2028.
    assert (nxt.number, nxt.due) == (7, d("2028-10-27"))
    assert nxt.detail.startswith("seventh review")


def test_ordinal_labels_are_words_throughout_a_childhood():
    # "seventh review" beside "sixth review", never "7th" beside "sixth".
    assert [ordinal(n) for n in (1, 2, 3, 6, 7, 11, 12, 13, 20)] == [
        "first",
        "second",
        "third",
        "sixth",
        "seventh",
        "eleventh",
        "twelfth",
        "thirteenth",
        "twentieth",
    ]
    assert [ordinal(n) for n in (21, 22, 23, 40, 99)] == [
        "twenty-first",
        "twenty-second",
        "twenty-third",
        "fortieth",
        "ninety-ninth",
    ]
    assert [ordinal(n) for n in (100, 101, 111, 112, 122)] == [
        "100th",
        "101st",
        "111th",
        "112th",
        "122nd",
    ]


def test_deadline_as_dict():
    nxt = next_review(care("2026-01-05"), CAL)
    assert nxt.as_dict() == {
        "number": 1,
        "due": "2026-02-02",
        "rule": FIRST,
        "earliest": None,
        "detail": nxt.detail,
    }
    assert isinstance(nxt, Deadline)


# Properties -------------------------------------------------------------------------------

starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@settings(deadline=None)
@given(starts)
def test_r_sch_1_property_first_review_is_20_working_days_after_start(start):
    due = next_review(Period(start=start), CAL).due
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(start, due) == 20
    assert 26 <= (due - start).days <= 36


@settings(deadline=None)
@given(starts, st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=40))
def test_r_sch_3_property_later_reviews_never_exceed_six_months(start, count, gap):
    # Reviews every 100 days from the start; the next is within 181-184 days of the last.
    reviews = tuple(HeldReview(start + timedelta(days=gap + 100 * i)) for i in range(count + 1))
    nxt = next_review(Period(start=start, reviews=reviews), CAL)
    last = reviews[-1].recording_date
    span = (nxt.due - last).days
    assert nxt.number == count + 2
    if count == 0:
        assert 89 <= span <= 92
    else:
        assert 181 <= span <= 184


@settings(deadline=None)
@given(starts, st.integers(min_value=1, max_value=60))
def test_r_sch_10_property_a_direction_never_makes_the_deadline_later(start, days):
    plain = next_review(Period(start=start), CAL)
    directed = Period(start=start, directions=(Direction(start, start + timedelta(days=days)),))
    nxt = next_review(directed, CAL)
    assert nxt.due == min(plain.due, start + timedelta(days=days))
    assert nxt.due == min(c.due for c in candidates(directed, CAL))


@settings(max_examples=60, deadline=None)
@given(
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    gaps=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=8),
)
def test_r_sch_5_any_number_of_stays_keeps_the_series_first_review(first, gaps):
    # However many stays follow, with no review and no end of the arrangement recorded,
    # the first review stays due 3 months after the series' first placement day.
    stays, start = [], first
    for gap in gaps:
        end = start + timedelta(days=2)
        stays.append(Stay(start, end, (short_breaks(start.isoformat()),)))
        start = end + timedelta(days=gap)
    period = Period(start=start, episodes=(short_breaks(start.isoformat()),), earlier=tuple(stays))
    nxt = next_review(period, CAL)
    assert (nxt.due, nxt.rule) == (CAL.add_months(first, 3), SHORT_BREAKS)
    # An end recorded between the last two stays starts a new series with the current stay.
    ended = Period(
        start=start,
        episodes=period.episodes,
        earlier=period.earlier,
        breaks_ended=(stays[-1].end,),
    )
    assert next_review(ended, CAL).due == CAL.add_months(start, 3)
