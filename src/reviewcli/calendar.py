"""Working days and calendar months (DOMAIN.md R-CAL-1..6).

Pure date arithmetic: no "today". Bank holidays come from the ``holidays`` package for
England (country GB, subdivision ENG), never the all-UK set, cached in a small file per
release of the package (its only I/O); the authority's own closure days are added on top
(R-CAL-1).
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from calendar import monthrange  # the standard library's (this module shares its name)
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

MONTHS = "months"
DAYS = "days"


# Years worked out together when one is missing, so a run rarely asks the library twice.
_SPAN = 10


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(_BANK_HOLIDAYS.year(year))


def bank_holidays(year: int) -> dict[date, str]:
    """England and Wales bank holidays of one year, with their names."""
    return dict(sorted(_BANK_HOLIDAYS.year(year).items()))


class _BankHolidayCache:
    """England's bank holidays from the ``holidays`` package, kept in a small file.

    Importing ``holidays`` loads every country it knows (about 0.3 s), so the days it
    gives are written to ``bank-holidays-GB-ENG-<release>.json`` in the user's cache
    folder and read from there afterwards. The file is named after the installed release
    of ``holidays`` (read from its ``.dist-info`` folder's name), so an upgrade that
    adds or moves a bank holiday is never answered from an older file. Anything wrong with
    the cache (no folder, no version, a damaged file) only means asking the library.
    """

    def __init__(self):
        self._years: dict[int, dict[date, str]] = {}
        self._path: Path | None = None
        self._loaded = False

    def year(self, year: int) -> dict[date, str]:
        if year not in self._years and not self._loaded:
            self._loaded = True
            self._path = cache_file()
            self._years.update(_read_cache(self._path))
        if year not in self._years:
            self._compute(year)
        return self._years[year]

    def _compute(self, year: int) -> None:
        import holidays  # slow to import: only when the cache lacks the year

        lo, hi = max(1, year - _SPAN), min(9999, year + _SPAN)
        days = holidays.country_holidays("GB", subdiv="ENG", years=range(lo, hi + 1))
        computed: dict[int, dict[date, str]] = {y: {} for y in range(lo, hi + 1)}
        for day, name in days.items():
            computed[day.year][day] = name
        for y, found in computed.items():
            self._years.setdefault(y, found)
        if self._path is not None:
            _write_cache(self._path, self._years)


def holidays_release() -> str | None:
    """The installed release of ``holidays`` (None when it cannot be told)."""
    return _holidays_version()


def forget_bank_holidays() -> None:
    """Read the bank holidays again (from the cache file of the installed release, else the
    library): after ``holidays`` was upgraded in a running process, and in tests."""
    global _BANK_HOLIDAYS
    _BANK_HOLIDAYS = _BankHolidayCache()
    _bank_holidays.cache_clear()


def cache_file() -> Path | None:
    """Where England's bank holidays are cached for the installed ``holidays``, or None."""
    version = _holidays_version()
    folder = _cache_folder()
    if version is None or folder is None:
        return None
    return folder / f"bank-holidays-GB-ENG-{version}.json"


def _cache_folder() -> Path | None:
    if os.environ.get("REVIEWCLI_CACHE_DIR"):
        return Path(os.environ["REVIEWCLI_CACHE_DIR"])
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "reviewcli" if base else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reviewcli" if os.path.isabs(base) else None


def _holidays_version() -> str | None:
    """The installed release of ``holidays``, from the name of its ``.dist-info`` folder
    beside the package (importing ``holidays`` or ``importlib.metadata`` costs more than
    the cache saves). None when there is not exactly one: nothing is then cached."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("holidays")
        if spec is None or spec.origin is None:
            return None
        with os.scandir(Path(spec.origin).parent.parent) as entries:
            found = [
                e.name[len("holidays-") : -len(".dist-info")]
                for e in entries
                if e.name.startswith("holidays-") and e.name.endswith(".dist-info")
            ]
    except (ImportError, OSError, ValueError):
        return None
    return found[0] if len(found) == 1 and found[0] else None


def _read_cache(path: Path | None) -> dict[int, dict[date, str]]:
    if path is None:
        return {}
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            int(year): {date.fromisoformat(day): str(name) for day, name in days.items()}
            for year, days in data["years"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # missing or damaged: the library is asked again and the file rewritten


def _write_cache(path: Path, years: dict[int, dict[date, str]]) -> None:
    import json
    import tempfile

    data = {
        "source": "holidays.country_holidays('GB', subdiv='ENG')",
        "years": {
            str(y): {day.isoformat(): name for day, name in sorted(days.items())}
            for y, days in sorted(years.items())
        },
    }
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".bank-holidays-", dir=path.parent)
    except OSError:
        return  # a read-only home: the days are still right, only not kept for next time
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=0)
        os.replace(tmp, path)  # whole or not at all, even with several runs at once
    except OSError:
        Path(tmp).unlink(missing_ok=True)


_BANK_HOLIDAYS = _BankHolidayCache()


def months_as_days(months: int) -> int:
    """Fixed-days reading of a number of months (a local rule: 3 → 91, 6 → 183)."""
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

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day (R-CAL-1), or None when it is one: "weekend",
        "bank holiday: Good Friday" or "closure day" (the authority's own). ``explain``
        names every day it passes over with this."""
        if day.weekday() >= 5:
            return "weekend"
        if self.is_bank_holiday(day):
            return f"bank holiday: {_BANK_HOLIDAYS.year(day.year).get(day, 'bank holiday')}"
        if day in self.closures:
            return "closure day"
        return None

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
        return add_calendar_months(start, months)

    @staticmethod
    def add_weeks(start: date, weeks: int) -> date:
        """R-CAL-5: N weeks = 7·N calendar days."""
        return start + timedelta(days=7 * weeks)

    @staticmethod
    def add_hours(start: date, hours: int) -> date:
        """R-CAL-5: 72 hours = 3 calendar days (whole days, rounded up)."""
        return start + timedelta(days=-(-hours // 24))


def add_calendar_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months on (or back), or the last day of that month
    when it is shorter: 31 August + 6 months = 28 (29) February. As dateutil's
    ``relativedelta(months=…)`` counts, without its cost (a deadline of every review)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


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
