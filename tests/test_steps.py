"""The deadlines around each review (DOMAIN.md §3: R-PRE-1..4, R-POST-1..7), worked by hand.

Pure tests of ``reviewcli.steps``: no database, no "today".

England bank holidays used below (R-CAL-1, never the all-UK set):
2026: Thu 1 Jan, Fri 3 Apr (Good Friday), Mon 6 Apr (Easter Monday), Mon 4 May (Early May),
      Mon 25 May (Spring), Mon 31 Aug (Summer), Fri 25 Dec, Mon 28 Dec (Boxing Day,
      substitute for Sat 26 Dec).
2027: Fri 1 Jan.

"N working days before D" (R-CAL-3) is the N-th working day counting back from D, D itself
not counted; "N working days after D" (R-CAL-2) the N-th counting forward.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewcli.calendar import WorkingCalendar
from reviewcli.steps import (
    STEPS,
    manager_response_due,
    post_steps,
    pre_steps,
    starred_forward_due,
)

CAL = WorkingCalendar()
OFF: dict = {}
QMF_ON = {"quality-monitoring-form": True}


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- the catalogue -----------------------------------------------------------------------------


def test_every_step_names_its_rule_and_phase():
    assert {name: (s.rule, s.phase) for name, s in STEPS.items()} == {
        "consultation": ("R-PRE-1", "pre"),
        "invitations": ("R-PRE-2", "pre"),
        "reports": ("R-PRE-3", "pre"),
        "sw-conversation": ("R-PRE-4", "pre"),
        "iro-visit": ("R-PRE-4", "pre"),
        "monitoring-form": ("R-POST-1", "post"),
        "decisions": ("R-POST-2", "post"),
        "manager-response": ("R-POST-3", "post"),
        "care-plan": ("R-POST-4", "post"),
        "record": ("R-POST-5", "post"),
        "distribution": ("R-POST-6", "post"),
    }
    assert all(name == s.name and s.label for name, s in STEPS.items())


# --- before the meeting: counted back from the booked date -----------------------------------


def test_first_review_on_monday_22_june_2026():
    # Booked Mon 22 Jun 2026, a first review.
    # Working days back from 22 Jun: Fri 19 (1), Thu 18 (2), Wed 17 (3), Tue 16 (4),
    # Mon 15 (5), 12-8 Jun (6-10), 5-1 Jun (11-15), Fri 29 May (16), Thu 28 (17), Wed 27 (18),
    # Tue 26 (19), [Mon 25 May Spring bank holiday], Fri 22 May (20).
    # R-PRE-1 consultation, 20th: Fri 22 May.  R-PRE-2 invitations, 10th: Mon 8 Jun.
    # R-PRE-3 reports, first review so 3rd: Wed 17 Jun.  R-PRE-4 iro-visit: the booked day;
    # sw-conversation, 15th working day back: Mon 1 Jun.
    assert pre_steps(d("2026-06-22"), True, CAL, OFF) == {
        "consultation": d("2026-05-22"),
        "sw-conversation": d("2026-06-01"),
        "invitations": d("2026-06-08"),
        "reports": d("2026-06-17"),
        "iro-visit": d("2026-06-22"),
    }


def test_later_review_reports_five_working_days_before():
    # Same day, a later review: reports on the 5th working day back, Mon 15 Jun.
    dues = pre_steps(d("2026-06-22"), False, CAL, OFF)
    assert dues["reports"] == d("2026-06-15")
    assert dues["consultation"] == d("2026-05-22")
    assert dues["invitations"] == d("2026-06-08")


def test_later_review_across_the_spring_and_early_may_bank_holidays():
    # Booked Thu 28 May 2026, a later review.
    # Back from 28 May: Wed 27 (1), Tue 26 (2), [Mon 25 May bank holiday], Fri 22 (3),
    # Thu 21 (4), Wed 20 (5) -> reports Wed 20 May;
    # Tue 19 (6), Mon 18 (7), Fri 15 (8), Thu 14 (9), Wed 13 (10) -> invitations Wed 13 May;
    # Tue 12 (11), Mon 11 (12), 8-5 May (13-16), [Mon 4 May bank holiday], Fri 1 May (17),
    # Thu 30 Apr (18), Wed 29 Apr (19), Tue 28 Apr (20) -> consultation Tue 28 Apr;
    # the 15th, Wed 6 May -> sw-conversation.
    assert pre_steps(d("2026-05-28"), False, CAL, OFF) == {
        "consultation": d("2026-04-28"),
        "sw-conversation": d("2026-05-06"),
        "invitations": d("2026-05-13"),
        "reports": d("2026-05-20"),
        "iro-visit": d("2026-05-28"),
    }
    # A first review that day: reports on the 3rd working day back, Fri 22 May.
    assert pre_steps(d("2026-05-28"), True, CAL, OFF)["reports"] == d("2026-05-22")


def test_later_review_across_easter():
    # Booked Thu 9 Apr 2026, a later review.
    # Back: Wed 8 (1), Tue 7 (2), [Mon 6 Easter Monday, Fri 3 Good Friday], Thu 2 (3),
    # Wed 1 Apr (4), Tue 31 Mar (5) -> reports Tue 31 Mar;
    # Mon 30 (6), Fri 27 (7), Thu 26 (8), Wed 25 (9), Tue 24 (10) -> invitations Tue 24 Mar;
    # Mon 23 (11), Fri 20 (12) … Mon 16 (16), Fri 13 (17), Thu 12 (18), Wed 11 (19),
    # Tue 10 (20) -> consultation Tue 10 Mar.
    # The IRO's conversation with the social worker, 15 working days before (IRO Handbook
    # 3.9): Mon 16 (16), so Tue 17 Mar (15).
    assert pre_steps(d("2026-04-09"), False, CAL, OFF) == {
        "consultation": d("2026-03-10"),
        "invitations": d("2026-03-24"),
        "reports": d("2026-03-31"),
        "iro-visit": d("2026-04-09"),
        "sw-conversation": d("2026-03-17"),
    }


def test_later_review_across_christmas_and_new_year():
    # Booked Mon 4 Jan 2027, a later review.
    # Back: [Fri 1 Jan 2027 bank holiday], Thu 31 Dec (1), Wed 30 (2), Tue 29 (3),
    # [Mon 28 Dec substitute Boxing Day, Sat 26, Sun 27, Fri 25 Christmas Day], Thu 24 (4),
    # Wed 23 (5) -> reports Wed 23 Dec 2026;
    # Tue 22 (6), Mon 21 (7), Fri 18 (8), Thu 17 (9), Wed 16 (10) -> invitations Wed 16 Dec;
    # Tue 15 (11), Mon 14 (12), 11-7 Dec (13-17), Fri 4 (18), Thu 3 (19), Wed 2 Dec (20)
    # -> consultation Wed 2 Dec.
    # Social worker conversation, the 15th working day back: Tue 15 (11), Mon 14 (12),
    # Fri 11 (13), Thu 10 (14), Wed 9 Dec 2026 (15).
    assert pre_steps(d("2027-01-04"), False, CAL, OFF) == {
        "consultation": d("2026-12-02"),
        "invitations": d("2026-12-16"),
        "reports": d("2026-12-23"),
        "iro-visit": d("2027-01-04"),
        "sw-conversation": d("2026-12-09"),
    }


def test_social_worker_conversation_is_a_handbook_duty_with_a_local_number_of_days():
    # Statutory default (IRO Handbook 3.9): 15 working days before, always a step.
    # Booked Mon 22 Jun 2026: 19-15 Jun (1-5), 12-8 Jun (6-10), 5-1 Jun (11-15) -> Mon 1 Jun.
    assert pre_steps(d("2026-06-22"), True, CAL, OFF)["sw-conversation"] == d("2026-06-01")
    # A stored on/off from an older release reads as the default.
    for legacy in (True, False):
        dues = pre_steps(d("2026-06-22"), True, CAL, {"social-worker-conversation": legacy})
        assert dues["sw-conversation"] == d("2026-06-01")
    # A local procedure's own number: 20 working days -> Fri 29 May (16), Thu 28 (17),
    # Wed 27 (18), Tue 26 (19), [Mon 25 May], Fri 22 May (20).
    local = {"social-worker-conversation": 20}
    assert pre_steps(d("2026-06-22"), True, CAL, local)["sw-conversation"] == d("2026-05-22")


def test_review_booked_on_a_bank_holiday():
    # Booked Mon 25 May 2026 (Spring bank holiday: allowed with a warning, R-CAL-6).
    # The booked day is never counted: Fri 22 (1), Thu 21 (2), Wed 20 (3) -> first-review
    # reports Wed 20 May; Tue 19 (4), Mon 18 (5) -> later-review reports Mon 18 May.
    assert pre_steps(d("2026-05-25"), True, CAL, OFF)["reports"] == d("2026-05-20")
    assert pre_steps(d("2026-05-25"), False, CAL, OFF)["reports"] == d("2026-05-18")
    assert pre_steps(d("2026-05-25"), False, CAL, OFF)["iro-visit"] == d("2026-05-25")


def test_local_closure_days_move_the_preparation_steps():
    # A closure day on Wed 17 Jun 2026: back from Mon 22 Jun, Fri 19 (1), Thu 18 (2),
    # [Wed 17 closed], Tue 16 (3) -> first-review reports Tue 16 Jun.
    cal = WorkingCalendar(closures=[d("2026-06-17")])
    assert pre_steps(d("2026-06-22"), True, cal, OFF)["reports"] == d("2026-06-16")
    # Invitations: ... Tue 16 (3), Mon 15 (4), 12-8 Jun (5-9), Fri 5 Jun (10).
    assert pre_steps(d("2026-06-22"), True, cal, OFF)["invitations"] == d("2026-06-05")


# --- after the meeting: counted forward from the day the review was completed -------------------


def test_review_recorded_on_friday_22_may_2026_before_the_spring_bank_holiday():
    # Recorded Fri 22 May 2026. Forward: [Mon 25 May bank holiday], Tue 26 (1), Wed 27 (2),
    # Thu 28 (3), Fri 29 (4), Mon 1 Jun (5) -> decisions (R-POST-2) Mon 1 Jun;
    # 2-5 Jun (6-9), Mon 8 Jun (10) -> care plan (R-POST-4) Mon 8 Jun;
    # 9-12 Jun (11-14), Mon 15 Jun (15) -> record (R-POST-5) Mon 15 Jun;
    # 16-19 Jun (16-19), Mon 22 Jun (20) -> distribution (R-POST-6) Mon 22 Jun.
    # No monitoring form unless the policy asks for one.
    assert post_steps(d("2026-05-22"), CAL, OFF) == {
        "decisions": d("2026-06-01"),
        "care-plan": d("2026-06-08"),
        "record": d("2026-06-15"),
        "distribution": d("2026-06-22"),
    }


def test_monitoring_form_only_with_the_policy_setting():
    # R-POST-1: 1 working day after Fri 22 May 2026 -> Tue 26 May (Mon 25 is a holiday).
    assert "monitoring-form" not in post_steps(d("2026-05-22"), CAL, OFF)
    off = {"quality-monitoring-form": False}
    assert "monitoring-form" not in post_steps(d("2026-05-22"), CAL, off)
    assert post_steps(d("2026-05-22"), CAL, QMF_ON)["monitoring-form"] == d("2026-05-26")


def test_post_steps_never_include_the_manager_response():
    # R-POST-3 opens only when the decisions are circulated.
    assert "manager-response" not in post_steps(d("2026-05-22"), CAL, QMF_ON)


def test_review_recorded_on_a_saturday_counts_from_the_next_working_day():
    # Recorded Sat 23 May 2026 (R-CAL-2: the recording day is never counted): Tue 26 (1) …
    # Mon 1 Jun (5), the same as from Fri 22 May.
    assert post_steps(d("2026-05-23"), CAL, OFF) == post_steps(d("2026-05-22"), CAL, OFF)


def test_review_recorded_before_christmas():
    # Recorded Wed 23 Dec 2026. Forward: Thu 24 Dec (1) -> monitoring form Thu 24 Dec;
    # [Fri 25, Sat 26, Sun 27, Mon 28 Dec], Tue 29 (2), Wed 30 (3), Thu 31 (4),
    # [Fri 1 Jan 2027], Mon 4 Jan (5) -> decisions Mon 4 Jan 2027;
    # 5-8 Jan (6-9), Mon 11 Jan (10) -> care plan; 12-15 (11-14), Mon 18 Jan (15) -> record;
    # 19-22 (16-19), Mon 25 Jan (20) -> distribution.
    assert post_steps(d("2026-12-23"), CAL, QMF_ON) == {
        "monitoring-form": d("2026-12-24"),
        "decisions": d("2027-01-04"),
        "care-plan": d("2027-01-11"),
        "record": d("2027-01-18"),
        "distribution": d("2027-01-25"),
    }


def test_local_closure_day_moves_the_recording_steps():
    # Closed Tue 26 May 2026 as well as the bank holiday on Mon 25: after Fri 22 May,
    # Wed 27 (1), Thu 28 (2), Fri 29 (3), Mon 1 Jun (4), Tue 2 Jun (5) -> decisions Tue 2 Jun;
    # monitoring form Wed 27 May.
    cal = WorkingCalendar(closures=[d("2026-05-26")])
    dues = post_steps(d("2026-05-22"), cal, QMF_ON)
    assert dues["decisions"] == d("2026-06-02")
    assert dues["monitoring-form"] == d("2026-05-27")


# --- R-POST-3 and R-POST-7 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("circulated", "due"),
    [
        # Fri 22 May 2026: Tue 26 (1), Wed 27 (2), Thu 28 (3), Fri 29 (4), Mon 1 Jun (5).
        ("2026-05-22", "2026-06-01"),
        # Mon 1 Jun 2026: Tue 2 (1) … Fri 5 (4), Mon 8 Jun (5).
        ("2026-06-01", "2026-06-08"),
        # Thu 24 Dec 2026: [25, 26, 27, 28 Dec], Tue 29 (1), Wed 30 (2), Thu 31 (3),
        # [Fri 1 Jan 2027], Mon 4 Jan (4), Tue 5 Jan 2027 (5).
        ("2026-12-24", "2027-01-05"),
        # Thu 2 Apr 2026: [Good Friday 3 Apr, weekend, Easter Monday 6 Apr], Tue 7 (1),
        # Wed 8 (2), Thu 9 (3), Fri 10 (4), Mon 13 Apr (5).
        ("2026-04-02", "2026-04-13"),
    ],
)
def test_manager_response_due_five_working_days_after_the_decisions(circulated, due):
    assert manager_response_due(d(circulated), CAL) == d(due)


@pytest.mark.parametrize(
    ("recording", "due"),
    [
        # 72 hours = 3 calendar days (R-CAL-5), kept even on a non-working day (R-CAL-6):
        ("2026-05-22", "2026-05-25"),  # Fri -> Mon 25 May, the Spring bank holiday
        ("2026-12-23", "2026-12-26"),  # Wed -> Sat 26 Dec
        ("2026-06-22", "2026-06-25"),  # Mon -> Thu
        ("2028-02-27", "2028-03-01"),  # Sun 27 Feb 2028 -> Wed 1 Mar (29 Feb, a leap year)
    ],
)
def test_starred_decisions_forwarded_within_72_hours(recording, due):
    assert starred_forward_due(d(recording)) == d(due)


# --- properties ----------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))


def _working_days_strictly_between(a: date, b: date) -> int:
    return sum(CAL.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days))


@settings(max_examples=60, deadline=None)
@given(booked=DAYS, first=st.booleans(), sw=st.integers(min_value=1, max_value=40))
def test_preparation_steps_are_the_nth_working_day_before(booked, first, sw):
    dues = pre_steps(booked, first, CAL, {"social-worker-conversation": sw})
    counts = {"consultation": 20, "invitations": 10, "reports": 3 if first else 5}
    counts["sw-conversation"] = sw
    for name, n in counts.items():
        assert CAL.is_working_day(dues[name])
        assert dues[name] < booked
        assert _working_days_strictly_between(dues[name], booked) == n - 1
    assert dues["consultation"] < dues["invitations"] < dues["reports"] < booked
    assert dues["iro-visit"] == booked


@settings(max_examples=60, deadline=None)
@given(recording=DAYS, qmf=st.booleans())
def test_recording_steps_are_the_nth_working_day_after(recording, qmf):
    dues = post_steps(recording, CAL, {"quality-monitoring-form": qmf})
    counts = {"decisions": 5, "care-plan": 10, "record": 15, "distribution": 20}
    if qmf:
        counts["monitoring-form"] = 1
    assert set(dues) == set(counts)
    for name, n in counts.items():
        assert CAL.is_working_day(dues[name])
        assert _working_days_strictly_between(recording, dues[name]) == n - 1
    assert dues["decisions"] < dues["care-plan"] < dues["record"] < dues["distribution"]
    assert manager_response_due(dues["decisions"], CAL) > dues["decisions"]
