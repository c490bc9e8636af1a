"""Tests of the working-day calendar (DOMAIN.md R-CAL-1..6).

Every expected date below was worked out by hand from DOMAIN.md and a printed calendar.
England bank holidays used (GB, subdivision ENG):
  2026: Thu 1 Jan, Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May, Mon 31 Aug, Fri 25 Dec,
        Mon 28 Dec (Boxing Day falls on Sat 26 Dec)
  2027: Fri 1 Jan, Fri 26 Mar, Mon 29 Mar, Mon 3 May, Mon 31 May, Mon 30 Aug,
        Mon 27 Dec and Tue 28 Dec (Christmas and Boxing Day fall on Sat/Sun)
  2028: Mon 3 Jan (1 Jan is a Saturday), Fri 14 Apr, Mon 17 Apr, Mon 1 May, Mon 29 May,
        Mon 28 Aug, Mon 25 Dec, Tue 26 Dec
"""

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reviewcli.calendar import (
    DAYS,
    MONTHS,
    WorkingCalendar,
    add_years,
    age_on,
    bank_holidays,
    months_as_days,
)

d = date.fromisoformat

CAL = WorkingCalendar()
FIXED = WorkingCalendar(month_mode=DAYS)


# R-CAL-1: working days ----------------------------------------------------------------


def test_r_cal_1_monday_to_friday_are_working_days():
    # Mon 12 Jan 2026 .. Fri 16 Jan 2026: an ordinary week with no bank holiday.
    for day in range(12, 17):
        assert CAL.is_working_day(date(2026, 1, day))


def test_r_cal_1_weekends_are_not_working_days():
    assert not CAL.is_working_day(d("2026-01-10"))  # Saturday
    assert not CAL.is_working_day(d("2026-01-11"))  # Sunday


@pytest.mark.parametrize(
    "holiday",
    [
        "2026-01-01",  # New Year's Day (Thu)
        "2026-04-03",  # Good Friday
        "2026-04-06",  # Easter Monday
        "2026-05-04",  # Early May bank holiday
        "2026-05-25",  # Spring bank holiday (last Monday of May)
        "2026-08-31",  # Summer bank holiday (last Monday of August)
        "2026-12-25",  # Christmas Day (Fri)
    ],
)
def test_r_cal_1_england_bank_holidays_2026_are_not_working_days(holiday):
    assert not CAL.is_working_day(d(holiday))
    assert CAL.is_bank_holiday(d(holiday))


def test_r_cal_1_boxing_day_2026_on_saturday_gives_monday_28_december():
    assert d("2026-12-26").weekday() == 5
    assert CAL.is_bank_holiday(d("2026-12-26"))
    assert not CAL.is_working_day(d("2026-12-28"))  # substitute day
    assert CAL.is_working_day(d("2026-12-29"))
    assert CAL.is_working_day(d("2026-12-24"))  # Christmas Eve is not a bank holiday


def test_r_cal_1_christmas_2027_on_weekend_gives_27_and_28_december():
    # Christmas Day Sat 25 Dec 2027, Boxing Day Sun 26 Dec 2027.
    assert not CAL.is_working_day(d("2027-12-27"))
    assert not CAL.is_working_day(d("2027-12-28"))
    assert CAL.is_working_day(d("2027-12-24"))
    assert CAL.is_working_day(d("2027-12-29"))


def test_r_cal_1_new_year_2028_on_saturday_gives_monday_3_january():
    assert not CAL.is_working_day(d("2028-01-03"))
    assert CAL.is_working_day(d("2028-01-04"))


def test_r_cal_1_easter_2026_and_2027():
    # Easter Sunday 5 Apr 2026 and 28 Mar 2027.
    assert not CAL.is_working_day(d("2026-04-03"))
    assert not CAL.is_working_day(d("2026-04-06"))
    assert CAL.is_working_day(d("2026-04-02"))  # Maundy Thursday
    assert CAL.is_working_day(d("2026-04-07"))
    assert not CAL.is_working_day(d("2027-03-26"))
    assert not CAL.is_working_day(d("2027-03-29"))
    assert CAL.is_working_day(d("2027-03-30"))


def test_r_cal_1_may_and_august_bank_holidays_2027_and_2028():
    for day in ["2027-05-03", "2027-05-31", "2027-08-30", "2028-05-01", "2028-05-29"]:
        assert not CAL.is_working_day(d(day)), day
    assert not CAL.is_working_day(d("2028-08-28"))
    # The Monday before the last Monday of August is an ordinary working day.
    assert CAL.is_working_day(d("2027-08-23"))


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-02",  # 2 January (Scotland), Fri
        "2027-01-04",  # 2 January 2027 observed in Scotland, Mon
        "2026-03-17",  # St Patrick's Day (Northern Ireland), Tue
        "2026-07-13",  # Battle of the Boyne observed (Northern Ireland), Mon
        "2027-07-12",  # Battle of the Boyne (Northern Ireland), Mon
        "2026-08-03",  # Summer bank holiday in Scotland (first Monday of August)
        "2026-11-30",  # St Andrew's Day (Scotland), Mon
        "2027-11-30",  # St Andrew's Day (Scotland), Tue
    ],
)
def test_r_cal_1_scottish_and_northern_irish_days_are_working_days(day):
    assert CAL.is_working_day(d(day))
    assert not CAL.is_bank_holiday(d(day))


@pytest.mark.parametrize(
    "day",
    [
        "2020-05-08",  # Early May bank holiday moved to Fri 8 May 2020 (VE Day)
        "2022-06-03",  # Platinum Jubilee
        "2022-09-19",  # State funeral of Queen Elizabeth II
        "2023-05-08",  # Coronation of King Charles III
    ],
)
def test_r_cal_1_one_off_england_bank_holidays(day):
    assert not CAL.is_working_day(d(day))


def test_r_cal_1_moved_early_may_2020_leaves_first_monday_a_working_day():
    assert CAL.is_working_day(d("2020-05-04"))


def test_r_cal_1_bank_holidays_2026_lists_exactly_the_england_days():
    assert list(bank_holidays(2026)) == [
        d("2026-01-01"),
        d("2026-04-03"),
        d("2026-04-06"),
        d("2026-05-04"),
        d("2026-05-25"),
        d("2026-08-31"),
        d("2026-12-25"),
        d("2026-12-26"),
        d("2026-12-28"),
    ]


# R-CAL-1: the bank holidays of the holidays package, cached per release --------------------


def _fresh_cache(monkeypatch, folder):
    from reviewcli import calendar

    monkeypatch.setenv("REVIEWCLI_CACHE_DIR", str(folder))
    return calendar._BankHolidayCache()


def test_r_cal_1_cached_bank_holidays_are_the_librarys(monkeypatch, tmp_path):
    import holidays

    first = _fresh_cache(monkeypatch, tmp_path)
    again = _fresh_cache(monkeypatch, tmp_path)  # reads the file the first one wrote
    for year in range(1990, 2061):
        library = dict(holidays.country_holidays("GB", subdiv="ENG", years=year))
        assert first.year(year) == library, year
        assert again.year(year) == library, year
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_r_cal_1_the_cache_is_named_after_the_installed_holidays_release(monkeypatch, tmp_path):
    from importlib.metadata import version

    from reviewcli import calendar

    monkeypatch.setenv("REVIEWCLI_CACHE_DIR", str(tmp_path))
    assert calendar.cache_file() == tmp_path / f"bank-holidays-GB-ENG-{version('holidays')}.json"


def test_r_cal_1_a_cache_of_another_release_or_a_damaged_one_is_not_believed(monkeypatch, tmp_path):
    from reviewcli import calendar

    monkeypatch.setenv("REVIEWCLI_CACHE_DIR", str(tmp_path))
    wrong = '{"years": {"2026": {"2026-07-01": "Not a bank holiday"}}}'
    (tmp_path / "bank-holidays-GB-ENG-0.0.json").write_text(wrong)
    assert d("2026-07-01") not in _fresh_cache(monkeypatch, tmp_path).year(2026)
    path = calendar.cache_file()
    for damaged in ("{not json", '{"years": {"2026": ["2026-07-01"]}}', '{"years": 3}', ""):
        path.write_text(damaged)
        days = _fresh_cache(monkeypatch, tmp_path).year(2026)
        assert sorted(days) == list(bank_holidays(2026))
        assert _fresh_cache(monkeypatch, tmp_path).year(2026) == days  # the file was rewritten


def test_r_cal_1_no_writable_cache_folder_still_gives_the_right_days(monkeypatch, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    cache = _fresh_cache(monkeypatch, blocked / "cache")
    assert sorted(cache.year(2026)) == list(bank_holidays(2026))
    assert list(tmp_path.iterdir()) == [blocked]  # no stray temporary files


def test_r_cal_1_a_cached_calendar_does_not_import_the_holidays_package(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from datetime import date\n"
        "from reviewcli.calendar import WorkingCalendar\n"
        "print(WorkingCalendar().add_working_days(date(2026, 12, 24), 2), "
        "'holidays' in sys.modules)\n"
    )
    env = {**os.environ, "REVIEWCLI_CACHE_DIR": str(tmp_path)}
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    # Thu 24 Dec 2026 + 2 working days: Fri 25 (Christmas), Mon 28 (Boxing Day observed)
    # are not working days, so Tue 29 and Wed 30 December.
    assert first.stdout.split() == ["2026-12-30", "True"]
    assert second.stdout.split() == ["2026-12-30", "False"]


def test_r_cal_1_local_closure_days_are_not_working_days():
    cal = WorkingCalendar(closures=[d("2026-12-29"), d("2026-12-30"), d("2026-12-31")])
    for day in ["2026-12-29", "2026-12-30", "2026-12-31"]:
        assert not cal.is_working_day(d(day))
        assert CAL.is_working_day(d(day))  # statutory calendar unaffected
        assert not cal.is_bank_holiday(d(day))  # a closure is not a bank holiday
    assert cal.is_working_day(d("2027-01-04"))


def test_r_cal_1_closure_days_change_working_day_counts():
    cal = WorkingCalendar(closures=[d("2026-12-29")])
    # From Thu 24 Dec 2026: 25 Dec and 28 Dec bank holidays, 29 Dec closed → Wed 30 Dec.
    assert cal.add_working_days(d("2026-12-24"), 1) == d("2026-12-30")
    assert CAL.add_working_days(d("2026-12-24"), 1) == d("2026-12-29")


def test_r_cal_1_closure_on_a_weekend_changes_nothing():
    cal = WorkingCalendar(closures=[d("2026-01-10")])  # Saturday
    assert cal.add_working_days(d("2026-01-05"), 20) == d("2026-02-02")


def test_r_cal_1_unknown_month_mode_is_rejected():
    with pytest.raises(ValueError):
        WorkingCalendar(month_mode="weeks")


# R-CAL-2: "within N working days of D" ------------------------------------------------


def test_r_cal_2_worked_example_monday_start():
    # Mon 5 Jan 2026: Jan 6-9 (4), 12-16 (9), 19-23 (14), 26-30 (19), Mon 2 Feb (20).
    assert CAL.add_working_days(d("2026-01-05"), 20) == d("2026-02-02")


def test_r_cal_2_worked_example_saturday_start():
    # Sat 10 Jan 2026: Jan 12-16 (5), 19-23 (10), 26-30 (15), Feb 2-6 (20).
    assert CAL.add_working_days(d("2026-01-10"), 20) == d("2026-02-06")


def test_r_cal_2_start_day_is_never_counted():
    assert CAL.add_working_days(d("2026-01-09"), 1) == d("2026-01-12")  # Fri → Mon
    assert CAL.add_working_days(d("2026-01-06"), 1) == d("2026-01-07")  # Tue → Wed


def test_r_cal_2_start_on_bank_holiday_counts_the_next_day():
    # Thu 1 Jan 2026 is a bank holiday; Fri 2 Jan is a working day in England.
    assert CAL.add_working_days(d("2026-01-01"), 1) == d("2026-01-02")


def test_r_cal_2_zero_working_days_is_the_start_date():
    assert CAL.add_working_days(d("2026-01-10"), 0) == d("2026-01-10")


def test_r_cal_2_across_easter():
    # Thu 2 Apr 2026; Good Friday and Easter Monday skipped → Tue 7 Apr.
    assert CAL.add_working_days(d("2026-04-02"), 1) == d("2026-04-07")


def test_r_cal_2_across_spring_bank_holiday():
    # Fri 22 May 2026; Mon 25 May skipped: May 26-29 (4), Jun 1-5 (9), 8-12 (14),
    # 15-19 (19), Mon 22 Jun (20).
    assert CAL.add_working_days(d("2026-05-22"), 20) == d("2026-06-22")


def test_r_cal_2_across_christmas_2026():
    # Thu 24 Dec 2026: 25 Dec, 28 Dec, 1 Jan skipped: Dec 29, 30, 31 (3), Jan 4 (4), 5 (5).
    assert CAL.add_working_days(d("2026-12-24"), 1) == d("2026-12-29")
    assert CAL.add_working_days(d("2026-12-24"), 5) == d("2027-01-05")


def test_r_cal_2_across_christmas_2027_and_new_year_2028():
    # Fri 24 Dec 2027: 27, 28 Dec skipped → 29 (1), 30 (2), 31 (3); Mon 3 Jan 2028 is
    # the New Year substitute day → Tue 4 Jan (4).
    assert CAL.add_working_days(d("2027-12-24"), 1) == d("2027-12-29")
    assert CAL.add_working_days(d("2027-12-24"), 3) == d("2027-12-31")
    assert CAL.add_working_days(d("2027-12-24"), 4) == d("2028-01-04")


def test_r_cal_2_negative_count_goes_backwards():
    assert CAL.add_working_days(d("2026-02-02"), -10) == d("2026-01-19")


# R-CAL-3: "at least N working days before D" ------------------------------------------


def test_r_cal_3_worked_example():
    # Mon 2 Feb 2026: Jan 30-26 (5), Jan 23-19 (10) → Mon 19 Jan.
    assert CAL.subtract_working_days(d("2026-02-02"), 10) == d("2026-01-19")


def test_r_cal_3_back_across_easter():
    assert CAL.subtract_working_days(d("2026-04-07"), 1) == d("2026-04-02")


def test_r_cal_3_back_across_new_year():
    # Mon 4 Jan 2027; Fri 1 Jan skipped → Thu 31 Dec (1), Wed 30 Dec (2).
    assert CAL.subtract_working_days(d("2027-01-04"), 2) == d("2026-12-30")


def test_r_cal_3_from_a_sunday():
    assert CAL.subtract_working_days(d("2026-02-08"), 1) == d("2026-02-06")


def test_r_cal_3_negative_count_goes_forwards():
    assert CAL.subtract_working_days(d("2026-01-05"), -20) == d("2026-02-02")


# working_days_between ------------------------------------------------------------------


def test_working_days_between_worked_example():
    assert CAL.working_days_between(d("2026-01-05"), d("2026-02-02")) == 20


def test_working_days_between_counts_end_not_start():
    assert CAL.working_days_between(d("2026-01-09"), d("2026-01-12")) == 1


def test_working_days_between_empty_or_reversed_is_zero():
    assert CAL.working_days_between(d("2026-01-05"), d("2026-01-05")) == 0
    assert CAL.working_days_between(d("2026-02-02"), d("2026-01-05")) == 0


def test_working_days_between_christmas_2027():
    # Fri 24 Dec → Fri 31 Dec 2027: only 29, 30, 31 Dec.
    assert CAL.working_days_between(d("2027-12-24"), d("2027-12-31")) == 3


# R-CAL-4: months ------------------------------------------------------------------------


def test_r_cal_4_worked_example_31_august_plus_6_months_common_year():
    assert CAL.add_months(d("2025-08-31"), 6) == d("2026-02-28")


def test_r_cal_4_worked_example_31_august_plus_6_months_leap_year():
    assert CAL.add_months(d("2027-08-31"), 6) == d("2028-02-29")


def test_r_cal_4_30_november_plus_3_months():
    assert CAL.add_months(d("2026-11-30"), 3) == d("2027-02-28")
    assert CAL.add_months(d("2027-11-30"), 3) == d("2028-02-29")


def test_r_cal_4_month_end_clamping_to_30_day_months():
    assert CAL.add_months(d("2026-03-31"), 3) == d("2026-06-30")
    assert CAL.add_months(d("2026-03-31"), 6) == d("2026-09-30")


def test_r_cal_4_31_may_plus_3_months_is_31_august():
    assert CAL.add_months(d("2026-05-31"), 3) == d("2026-08-31")


def test_r_cal_4_29_february_plus_months():
    assert CAL.add_months(d("2028-02-29"), 6) == d("2028-08-29")
    assert CAL.add_months(d("2028-02-29"), 12) == d("2029-02-28")


def test_r_cal_4_ordinary_dates_and_year_rollover():
    assert CAL.add_months(d("2026-01-15"), 3) == d("2026-04-15")
    assert CAL.add_months(d("2026-11-15"), 3) == d("2027-02-15")
    assert CAL.add_months(d("2026-10-01"), 6) == d("2027-04-01")


def test_r_cal_4_months_are_counted_as_dateutil_counts_them():
    """add_months does its own arithmetic; every day of 1999-2032 (four leap years, the
    century rule's 2000 included), months back and forth, agrees with relativedelta."""
    from dateutil.relativedelta import relativedelta

    day = date(1999, 1, 1)
    while day <= date(2032, 12, 31):
        for months in (-25, -13, -12, -6, -3, -1, 0, 1, 2, 3, 6, 11, 12, 13, 24, 61):
            assert CAL.add_months(day, months) == day + relativedelta(months=months)
        day += timedelta(days=1)
    assert CAL.add_months(date(2100, 1, 31), 1) == date(2100, 2, 28)
    assert CAL.add_months(date(2400, 1, 31), 1) == date(2400, 2, 29)


def test_r_cal_4_default_mode_is_calendar_months():
    assert CAL.month_mode == MONTHS


def test_r_cal_4_fixed_days_reading():
    assert months_as_days(3) == 91
    assert months_as_days(6) == 183


def test_r_cal_4_fixed_days_mode_3_months_is_91_days():
    # 1 Jan 2026 + 90 days = 1 Apr (31 + 28 + 31), + 91 days = 2 Apr.
    assert FIXED.add_months(d("2026-01-01"), 3) == d("2026-04-02")


def test_r_cal_4_fixed_days_mode_6_months_is_183_days():
    # 1 Jan 2026 + 181 days = 1 Jul (31+28+31+30+31+30), + 183 days = 3 Jul.
    assert FIXED.add_months(d("2026-01-01"), 6) == d("2026-07-03")


def test_r_cal_4_fixed_days_mode_ignores_month_ends():
    # 31 Aug 2025 + 181 days = 28 Feb 2026 (30+31+30+31+31+28), + 183 = 2 Mar 2026.
    assert FIXED.add_months(d("2025-08-31"), 6) == d("2026-03-02")
    assert CAL.add_months(d("2025-08-31"), 6) == d("2026-02-28")


# R-CAL-5: weeks and hours ----------------------------------------------------------------


def test_r_cal_5_weeks_are_seven_calendar_days():
    assert CAL.add_weeks(d("2026-02-02"), 4) == d("2026-03-02")
    assert CAL.add_weeks(d("2026-11-02"), 6) == d("2026-12-14")


def test_r_cal_5_four_weeks_across_leap_february():
    # 15 Feb 2028 + 28 days; February 2028 has 29 days → 14 Mar 2028.
    assert CAL.add_weeks(d("2028-02-15"), 4) == d("2028-03-14")


def test_r_cal_5_72_hours_is_three_calendar_days():
    # Fri 30 Jan 2026 + 72 hours = Mon 2 Feb: calendar days, weekends included.
    assert CAL.add_hours(d("2026-01-30"), 72) == d("2026-02-02")


def test_r_cal_5_part_days_of_hours_round_up():
    assert CAL.add_hours(d("2026-01-05"), 24) == d("2026-01-06")
    assert CAL.add_hours(d("2026-01-05"), 25) == d("2026-01-07")
    assert CAL.add_hours(d("2026-01-05"), 0) == d("2026-01-05")


# R-CAL-6: statutory deadlines stay on the computed date ------------------------------------


def test_r_cal_6_month_deadline_on_bank_holiday_is_not_moved():
    # 31 May 2026 + 3 months = Mon 31 Aug 2026, the Summer bank holiday.
    due = CAL.add_months(d("2026-05-31"), 3)
    assert due == d("2026-08-31")
    assert not CAL.is_working_day(due)


def test_r_cal_6_month_deadline_on_weekend_is_not_moved():
    # Mon 9 Feb 2026 + 3 months = Sat 9 May 2026.
    assert CAL.add_months(d("2026-02-09"), 3) == d("2026-05-09")


def test_r_cal_6_week_deadline_on_bank_holiday_is_not_moved():
    # Mon 27 Apr 2026 + 4 weeks = Mon 25 May 2026, the Spring bank holiday.
    assert CAL.add_weeks(d("2026-04-27"), 4) == d("2026-05-25")


# Birthdays ------------------------------------------------------------------------------


def test_add_years_ordinary_birthday():
    assert add_years(d("2008-06-15"), 18) == d("2026-06-15")


def test_add_years_29_february_in_common_year_is_1_march():
    assert add_years(d("2008-02-29"), 18) == d("2026-03-01")


def test_add_years_29_february_in_leap_year_stays():
    assert add_years(d("2008-02-29"), 20) == d("2028-02-29")


def test_age_on_ordinary_birthday():
    assert age_on(d("2008-06-15"), d("2026-06-14")) == 17
    assert age_on(d("2008-06-15"), d("2026-06-15")) == 18


def test_age_on_29_february_birthday_agrees_with_add_years():
    dob = d("2008-02-29")
    assert age_on(dob, d("2026-02-28")) == 17
    assert age_on(dob, d("2026-03-01")) == 18
    assert age_on(dob, add_years(dob, 18)) == 18
    assert age_on(dob, d("2028-02-28")) == 19
    assert age_on(dob, d("2028-02-29")) == 20


# Properties --------------------------------------------------------------------------------

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))
counts = st.integers(min_value=1, max_value=80)
months = st.integers(min_value=1, max_value=24)


def _last_day_of_month(day: date) -> bool:
    return (day + timedelta(days=1)).month != day.month


@settings(deadline=None)
@given(dates, counts)
def test_r_cal_2_property_result_is_a_working_day_strictly_after(start, n):
    due = CAL.add_working_days(start, n)
    assert due > start
    assert CAL.is_working_day(due)


@settings(deadline=None)
@given(dates, counts)
def test_r_cal_2_property_exactly_n_working_days_are_counted(start, n):
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@settings(deadline=None)
@given(dates, counts)
def test_r_cal_2_property_the_day_before_the_deadline_is_too_early(start, n):
    due = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, due - timedelta(days=1)) == n - 1


@settings(deadline=None)
@given(dates, dates, counts)
def test_r_cal_2_property_monotonic_in_start(a, b, n):
    a, b = sorted((a, b))
    assert CAL.add_working_days(a, n) <= CAL.add_working_days(b, n)


@settings(deadline=None)
@given(dates, counts)
def test_r_cal_2_property_strictly_increasing_in_n(start, n):
    assert CAL.add_working_days(start, n) < CAL.add_working_days(start, n + 1)


@settings(deadline=None)
@given(dates, counts)
def test_r_cal_3_property_result_is_a_working_day_strictly_before(start, n):
    latest = CAL.subtract_working_days(start, n)
    assert latest < start
    assert CAL.is_working_day(latest)
    # n - 1 working days strictly between, plus the end day itself if it is one.
    expected = n - 1 + CAL.is_working_day(start)
    assert CAL.working_days_between(latest, start) == expected


@settings(deadline=None)
@given(dates, counts)
def test_r_cal_3_property_subtract_inverts_add_on_working_days(start, n):
    assume(CAL.is_working_day(start))
    assert CAL.subtract_working_days(CAL.add_working_days(start, n), n) == start
    assert CAL.add_working_days(CAL.subtract_working_days(start, n), n) == start


@settings(deadline=None)
@given(dates, dates, dates)
def test_working_days_between_property_is_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    total = CAL.working_days_between(a, b) + CAL.working_days_between(b, c)
    assert total == CAL.working_days_between(a, c)


@settings(deadline=None)
@given(dates)
def test_r_cal_1_property_weekends_are_never_working_days(day):
    if day.weekday() >= 5:
        assert not CAL.is_working_day(day)
    else:
        assert CAL.is_working_day(day) == (not CAL.is_bank_holiday(day))


@settings(deadline=None)
@given(dates, counts, st.lists(dates, max_size=10))
def test_r_cal_1_property_closures_only_push_deadlines_later(start, n, closures):
    local = WorkingCalendar(closures=closures)
    assert local.add_working_days(start, n) >= CAL.add_working_days(start, n)
    assert local.subtract_working_days(start, n) <= CAL.subtract_working_days(start, n)


@settings(deadline=None)
@given(dates, months)
def test_r_cal_4_property_months_mode_lands_in_the_right_month(start, k):
    due = CAL.add_months(start, k)
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == k
    assert due.day <= start.day
    if due.day < start.day:  # clamped: only ever to the last day of a shorter month
        assert _last_day_of_month(due)


@settings(deadline=None)
@given(dates, dates, months)
def test_r_cal_4_property_months_mode_is_monotonic(a, b, k):
    a, b = sorted((a, b))
    assert CAL.add_months(a, k) <= CAL.add_months(b, k)


@settings(deadline=None)
@given(dates)
def test_r_cal_4_property_3_and_6_month_spans(start):
    assert 89 <= (CAL.add_months(start, 3) - start).days <= 92
    assert 181 <= (CAL.add_months(start, 6) - start).days <= 184


@settings(deadline=None)
@given(dates, months)
def test_r_cal_4_property_days_mode_is_a_fixed_span(start, k):
    assert (FIXED.add_months(start, k) - start).days == months_as_days(k)


@settings(deadline=None)
@given(dates, st.integers(min_value=0, max_value=20))
def test_r_cal_5_property_weeks_are_seven_days(start, weeks):
    assert (CAL.add_weeks(start, weeks) - start).days == 7 * weeks


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31)), st.integers(1, 25))
def test_birthday_property_age_changes_on_the_anniversary(dob, years):
    anniversary = add_years(dob, years)
    assert age_on(dob, anniversary) == years
    assert age_on(dob, anniversary - timedelta(days=1)) == years - 1
