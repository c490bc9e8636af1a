"""Working days and calendar months (DOMAIN.md R-CAL-1..6).

Pure date arithmetic: no I/O, no "today". Bank holidays come from the ``holidays``
package for England (country GB, subdivision ENG), never the all-UK set; the
authority's own closure days are added on top (R-CAL-1).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

MONTHS = "months"
DAYS = "days"


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays  # imported lazily: it is slow to import and only needed here

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def bank_holidays(year: int) -> dict[date, str]:
    """England and Wales bank holidays of one year, with their names."""
    import holidays

    return dict(sorted(holidays.country_holidays("GB", subdiv="ENG", years=year).items()))


def months_as_days(months: int) -> int:
    """Fixed-days reading of a number of months (Coventry LAR: 3 → 91, 6 → 183)."""
    return round(months * 365.25 / 12)


class WorkingCalendar:
    """Working days (R-CAL-1) and month arithmetic (R-CAL-4) for one authority.

    ``closures`` are the authority's extra non-working days; ``month_mode`` is
    ``"months"`` (calendar months with end-of-month clamping, the statutory default)
    or ``"days"`` (fixed days, 3 months = 91 days, 6 months = 183 days).
    """

    def __init__(self, closures: Iterable[date] = (), month_mode: str = MONTHS):
        if month_mode not in (MONTHS, DAYS):
            raise ValueError(f"month_mode must be {MONTHS!r} or {DAYS!r}")
        self.closures = frozenset(closures)
        self.month_mode = month_mode
        # Working days as sorted ordinals, built a few years at a time when first needed,
        # so counting N working days is a binary search rather than a day-by-day walk.
        self._ordinals: list[int] = []
        self._years: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"WorkingCalendar(closures={len(self.closures)}, month_mode={self.month_mode!r})"

    def is_bank_holiday(self, day: date) -> bool:
        return day in _bank_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """R-CAL-1: Monday–Friday, not a bank holiday in England, not a closure day."""
        return day.weekday() < 5 and not self.is_bank_holiday(day) and day not in self.closures

    def _cover(self, first_year: int, last_year: int) -> list[int]:
        """The working-day table, extended to cover the years given (and one either side)."""
        lo, hi = max(1, first_year - 1), min(9998, last_year + 1)
        if self._years is None or lo < self._years[0] or hi > self._years[1]:
            if self._years is not None:
                lo, hi = min(lo, self._years[0]), max(hi, self._years[1])
            day, end = date(lo, 1, 1), date(hi, 12, 31)
            ordinals = []
            while day <= end:
                if self.is_working_day(day):
                    ordinals.append(day.toordinal())
                day += timedelta(days=1)
            self._ordinals, self._years = ordinals, (lo, hi)
        return self._ordinals

    def add_working_days(self, start: date, n: int) -> date:
        """R-CAL-2 "within N working days of D": the N-th working day after D.

        D itself is never counted, whether or not it is a working day.
        """
        if n < 0:
            return self.subtract_working_days(start, -n)
        if n == 0:
            return start
        # n working days lie within 2n calendar days plus the longest run of closures.
        ordinals = self._cover(start.year, start.year + 1 + n // 200)
        i = bisect_right(ordinals, start.toordinal()) + n - 1
        if i >= len(ordinals):
            ordinals = self._cover(start.year, start.year + 2 + n // 100)
            i = bisect_right(ordinals, start.toordinal()) + n - 1
        return date.fromordinal(ordinals[i])

    def subtract_working_days(self, start: date, n: int) -> date:
        """R-CAL-3 "at least N working days before D": the N-th working day before D."""
        if n < 0:
            return self.add_working_days(start, -n)
        if n == 0:
            return start
        ordinals = self._cover(start.year - 1 - n // 200, start.year)
        i = bisect_left(ordinals, start.toordinal()) - n
        if i < 0:
            ordinals = self._cover(start.year - 2 - n // 100, start.year)
            i = bisect_left(ordinals, start.toordinal()) - n
        return date.fromordinal(ordinals[i])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def add_months(self, start: date, months: int) -> date:
        """R-CAL-4 "no more than M months after D"."""
        if self.month_mode == DAYS:
            return start + timedelta(days=months_as_days(months))
        from dateutil.relativedelta import relativedelta

        return start + relativedelta(months=months)

    @staticmethod
    def add_weeks(start: date, weeks: int) -> date:
        """R-CAL-5: N weeks = 7·N calendar days."""
        return start + timedelta(days=7 * weeks)

    @staticmethod
    def add_hours(start: date, hours: int) -> date:
        """R-CAL-5: 72 hours = 3 calendar days (whole days, rounded up)."""
        return start + timedelta(days=-(-hours // 24))


def add_years(day: date, years: int) -> date:
    """The ``years``-th anniversary of ``day``.

    A 29 February birthday falls on 1 March in a common year, which agrees with
    ``age_on`` (a person attains an age at the start of the anniversary of their birth).
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def age_on(dob: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
