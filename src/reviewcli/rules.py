"""The statutory review schedule (DOMAIN.md R-SCH-1..16, R-IRO-2).

Pure functions over plain data: no database, no clock. The caller passes a period of
care (its episodes, held reviews and IRO directions), a ``WorkingCalendar`` and the
authority's ``Policy``; every result carries the rule id that produced it, so a printed
deadline can always say why.

How the next deadline is found (R-SCH-10, "earliest wins"): each rule that applies to
the period proposes a candidate ``Deadline``; the earliest candidate is the next
deadline. A rule anchored on an event (an IRO direction, a placement for adoption, a
local placement trigger) is satisfied by any review recorded on or after that event; the
window rule (R-SCH-8, an adoption disruption) only by one recorded once its window has
opened. All "after the previous review" rules count from that review's *recording
date* — the date of its first meeting, or the originally scheduled date when the IRO
adjourned it (IRO Handbook 3.24, 3.27).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date

from .calendar import WorkingCalendar, add_years
from .codes import (
    AUTHORISED_FOR_ADOPTION_STATUSES,
    LONG_TERM_FOSTER,
    PLACED_FOR_ADOPTION,
    SHORT_BREAK_STATUSES,
)

# Rule ids, as DOMAIN.md names them.
FIRST = "R-SCH-1"
SECOND = "R-SCH-2"
LATER = "R-SCH-3"
DIRECTION = "R-SCH-4"
SHORT_BREAKS = "R-SCH-5"
AUTHORISED = "R-SCH-6"
PLACED = "R-SCH-7"
DISRUPTION = "R-SCH-8"
LOCAL_PLACEMENT = "R-SCH-9"
END_OF_CARE = "R-SCH-11"
LONG_TERM = "R-SCH-12"
REARRANGE = "R-SCH-13"
ADJOURNMENT = "R-SCH-14"
OUT_OF_TIME = "R-SCH-15"
APPROACHING_18 = "R-SCH-16"
ALLOCATION = "R-IRO-2"

# When two rules give the same date, the more specific one names the deadline: an event
# the IRO or the placement created explains a date better than the routine sequence.
_SPECIFICITY = {
    DIRECTION: 0,
    ADJOURNMENT: 0,
    DISRUPTION: 1,
    PLACED: 2,
    AUTHORISED: 3,
    LOCAL_PLACEMENT: 4,
    LONG_TERM: 5,
    SHORT_BREAKS: 6,
    FIRST: 7,
    SECOND: 7,
    LATER: 7,
}

# Local placement rule triggers (R-SCH-9, a local rule). An episode change can name one
# with ``--local-reason``; some follow from the SSDA903 codes themselves.
LOCAL_REASONS = {
    "unplanned": "unplanned move",
    "out-of-borough": "move out of borough",
    "return-home": "return home on rehabilitation while still looked after",
    "care-plan-change": "change of care plan",
    "secure": "secure accommodation",
    "mental-health": "detention under the Mental Health Act",
}
_LOCAL_REASON_FROM_PLACEMENT = {"K1": "secure", "P1": "return-home"}
_LOCAL_REASON_FROM_CHANGE = {"CARPL": "care-plan-change"}
_PLACEMENT_CHANGES = frozenset({"P", "T", "B", "U"})


@dataclass(frozen=True)
class Policy:
    """The authority's settings that change the schedule (defaults = statutory rules)."""

    month_mode: str = "months"
    local_placement_rule: bool = False
    local_placement_reasons: frozenset[str] = frozenset(LOCAL_REASONS)
    long_term_annual: bool = False


@dataclass(frozen=True)
class Episode:
    start: date
    legal_status: str | None = None
    placement: str | None = None
    rne: str | None = None
    reason_place_change: str | None = None
    local_reason: str | None = None


@dataclass(frozen=True)
class HeldReview:
    recording_date: date
    meeting: bool = True


@dataclass(frozen=True)
class Direction:
    """An IRO direction (R-SCH-4). ``reviews_before`` is how many reviews of the period had
    been held when it was made: a review held earlier the same day does not satisfy it."""

    made_on: date
    by: date
    reason: str = ""
    reviews_before: int | None = None

    def satisfied_by(self, reviews: tuple[HeldReview, ...]) -> bool:
        later = reviews if self.reviews_before is None else reviews[self.reviews_before :]
        return any(r.recording_date >= self.made_on for r in later)


@dataclass(frozen=True)
class Stay:
    """An earlier period of care of the same child: a stay of a series of short breaks
    (R-SCH-5) when its episodes were V3/V4."""

    start: date
    end: date
    episodes: tuple[Episode, ...] = ()
    reviews: tuple[HeldReview, ...] = ()


@dataclass(frozen=True)
class Period:
    """A period of care with what the schedule needs to know about it.

    ``consent_on``: the date the parents formally consented to placement for adoption
    (R-SCH-6; no SSDA903 code carries it). ``earlier``: the child's earlier periods of
    care, which a series of short breaks may continue (R-SCH-5); ``breaks_ended``: the
    dates the admin recorded that a short-break arrangement ended.
    """

    start: date
    end: date | None = None
    episodes: tuple[Episode, ...] = ()
    reviews: tuple[HeldReview, ...] = ()
    directions: tuple[Direction, ...] = ()
    adjourned_on: date | None = None  # original date of an adjourned review not yet held
    consent_on: date | None = None
    earlier: tuple[Stay, ...] = ()
    breaks_ended: tuple[date, ...] = ()
    # Reviews held before the earliest record of a *continuing* period (care began before
    # the earliest SSDA903 return); None while the admin has not recorded how many: the
    # first review found then counts as a later review (R-SCH-3).
    earlier_reviews: int | None = 0

    def __post_init__(self):
        object.__setattr__(self, "episodes", tuple(sorted(self.episodes, key=lambda e: e.start)))
        object.__setattr__(
            self, "reviews", tuple(sorted(self.reviews, key=lambda r: r.recording_date))
        )
        object.__setattr__(self, "earlier", tuple(sorted(self.earlier, key=lambda s: s.start)))


# When set (by ``explain``), called with every ``Deadline`` as it is made, so the date
# arithmetic done since the previous one can be told to belong to it. None otherwise.
TRACE: ContextVar = ContextVar("reviewcli_rules_trace", default=None)


@dataclass(frozen=True)
class Deadline:
    """The next review of a period: its number, latest date and the rule that set it."""

    number: int
    due: date
    rule: str
    detail: str
    earliest: date | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self):
        # explain: tells the working behind each deadline apart (see TRACE).
        hook = TRACE.get()
        if hook is not None:
            hook(self)

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "due": self.due.isoformat(),
            "rule": self.rule,
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "detail": self.detail,
        }


def _ordinal_words() -> dict[int, str]:
    """1 → 'first' … 99 → 'ninety-ninth': every review of a childhood, in words."""
    first = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ]
    words = dict(enumerate(first, start=1))
    tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    for i, ten in enumerate(tens, start=2):
        words[10 * i] = ten[:-1] + "ieth"
        for unit in range(1, 10):
            words[10 * i + unit] = f"{ten}-{words[unit]}"
    return words


_ORDINALS = _ordinal_words()


def ordinal(n: int) -> str:
    """'first', 'second' … 'ninety-ninth', in words; then '100th', '101st'."""
    if n in _ORDINALS:
        return _ORDINALS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _since(reviews: tuple[HeldReview, ...], anchor: date) -> list[HeldReview]:
    return [r for r in reviews if r.recording_date >= anchor]


def _run_start(episodes: tuple[Episode, ...], test) -> date | None:
    """Start of the latest unbroken run of episodes, ending with the current one, passing test."""
    start = None
    for episode in reversed(episodes):
        if not test(episode):
            break
        start = episode.start
    return start


def _short_break(episode: Episode) -> bool:
    return episode.legal_status in SHORT_BREAK_STATUSES


def short_break_start(episodes: tuple[Episode, ...]) -> bool:
    """Whether a period of care begins in short breaks (V3/V4): a stay that may continue
    a series (R-SCH-5)."""
    return bool(episodes) and _short_break(min(episodes, key=lambda e: e.start))


def short_break_series(period: Period) -> tuple[date, tuple[HeldReview, ...]]:
    """R-SCH-5: the first placement day of the series of short breaks the period's opening
    run of V3/V4 episodes belongs to, and the reviews held in the series' earlier stays.

    Each stay is its own period of care, with gaps between them; the gaps do not start a
    new series. An earlier stay continues the series when it ended in short breaks and no
    end of the arrangement was recorded between it and the next stay. A stay that ended
    in full care, or began after the arrangement ended, starts a new series.
    """
    start = period.start
    earlier: list[HeldReview] = []
    for stay in reversed(period.earlier):
        if stay.start >= start or any(stay.start <= e < start for e in period.breaks_ended):
            break
        episodes = stay.episodes or (Episode(stay.start),)
        run = _run_start(episodes, _short_break)
        if run is None:
            break
        earlier = [r for r in stay.reviews if r.recording_date >= run] + earlier
        start = run
        if run != episodes[0].start:
            break  # the series began within that stay, when it switched to short breaks
    return start, tuple(earlier)


def _sequence(
    anchor: date,
    reviews: list[HeldReview],
    cal: WorkingCalendar,
    first: tuple[str, date],
    second_months: int,
    second_rule: str,
    later_rule: str,
    later_months: int = 6,
    prior: int = 0,
) -> tuple[str, date, str]:
    """A first / second / later sequence counted from ``anchor``; returns rule, date, step.
    ``prior`` reviews were held before the first of ``reviews`` (their dates unknown: the
    next is then counted from ``anchor``)."""
    count = prior + len(reviews)
    last = reviews[-1].recording_date if reviews else anchor
    if count == 0:
        return first[0], first[1], "first"
    if count == 1:
        return second_rule, cal.add_months(last, second_months), "second"
    return later_rule, cal.add_months(last, later_months), "later"


def candidates(period: Period, cal: WorkingCalendar, policy: Policy = Policy()) -> list[Deadline]:
    """Every rule's proposal for the next review deadline of an open period."""
    if period.end is not None:
        return []
    unknown = period.earlier_reviews is None
    # A stay of a series of short breaks counts the reviews held in the series' earlier
    # stays (R-SCH-5): the series is one plan, its reviews one sequence.
    in_series = (
        len(short_break_series(period)[1])
        if period.earlier and short_break_start(period.episodes or (Episode(period.start),))
        else 0
    )
    number = len(period.reviews) + 1 + (period.earlier_reviews or 0) + in_series
    label = f"{ordinal(number)} review"
    if period.adjourned_on is not None:
        return [
            Deadline(
                number,
                cal.add_working_days(period.adjourned_on, 20),
                ADJOURNMENT,
                f"{label} adjourned on {period.adjourned_on.isoformat()}: reconvene within "
                "20 working days",
            )
        ]
    episodes = period.episodes or (Episode(period.start),)
    current = episodes[-1]
    out: list[Deadline] = []

    # The routine sequence: short breaks (R-SCH-5) or the ordinary one (R-SCH-1..3),
    # counted from the start of the current regime (a switch between the two is a new
    # regime within the same period of care).
    short_break = _short_break(current)
    regime_start = _run_start(episodes, lambda e: _short_break(e) == short_break)
    regime_start = period.start if regime_start == episodes[0].start else regime_start
    since = _since(period.reviews, regime_start)
    if short_break and regime_start == period.start:
        # A stay of a series of short breaks: the clock runs from the series' first day.
        regime_start, before = short_break_series(period)
        since = [*before, *since]
    if short_break:
        rule, due, step = _sequence(
            regime_start,
            since,
            cal,
            (SHORT_BREAKS, cal.add_months(regime_start, 3)),
            6,
            SHORT_BREAKS,
            SHORT_BREAKS,
        )
        what = {
            "first": "first short-breaks review: within 3 months of the first placement day"
            + (
                f" of the series, {regime_start.isoformat()}" if regime_start < period.start else ""
            ),
            "second": "short-breaks review: no more than 6 months after the previous one",
            "later": "short-breaks review: no more than 6 months after the previous one",
        }[step]
        out.append(Deadline(number, due, rule, f"{label} ({what})"))
    else:
        later_months = 6
        later_rule = LATER
        long_term_since = _run_start(episodes, lambda e: e.placement in LONG_TERM_FOSTER)
        if (
            policy.long_term_annual
            and long_term_since is not None
            and len(since) >= 2
            and cal.add_months(long_term_since, 12) < since[-1].recording_date
        ):
            later_months, later_rule = 12, LONG_TERM
        restarted = regime_start != period.start
        # A continuing period counts the reviews held before its earliest record.
        prior = 0 if restarted else 2 if unknown else period.earlier_reviews
        rule, due, step = _sequence(
            max(regime_start, episodes[0].start) if prior else regime_start,
            since,
            cal,
            (FIRST, cal.add_working_days(regime_start, 20)),
            3,
            SECOND,
            later_rule,
            later_months,
            prior,
        )
        what = {
            "first": "within 20 working days of becoming looked after"
            if not restarted
            else "within 20 working days of short breaks ending",
            "second": "no more than 3 months after the first",
            "later": f"no more than {later_months} months after the previous one",
        }[step]
        if prior and not since:
            what += (
                f" (counted from {episodes[0].start.isoformat()}, the earliest record held: the "
                "date of the review before is not held)"
            )
        if unknown and not restarted:
            what += (
                "; care began before the earliest return held and its history is incomplete "
                "(record it with 'reviewcli child history')"
            )
        out.append(Deadline(number, due, rule, f"{label}: {what}"))

    # R-SCH-4: IRO directions not yet satisfied by a review recorded on/after them.
    for d in period.directions:
        if not d.satisfied_by(period.reviews):
            why = f": {d.reason}" if d.reason else ""
            out.append(Deadline(number, d.by, DIRECTION, f"{label} directed by the IRO{why}"))

    # R-SCH-7: placed for adoption (A3–A6), counted from the placement date.
    placed_since = _run_start(episodes, lambda e: e.placement in PLACED_FOR_ADOPTION)
    if placed_since is not None:
        since_placed = _since(period.reviews, placed_since)
        rule, due, step = _sequence(
            placed_since,
            since_placed,
            cal,
            (PLACED, cal.add_weeks(placed_since, 4)),
            3,
            PLACED,
            PLACED,
        )
        what = {
            "first": f"within 4 weeks of placement for adoption on {placed_since.isoformat()}",
            "second": "no more than 3 months after the first since placement for adoption",
            "later": "placed for adoption: no more than 6 months after the previous one",
        }[step]
        out.append(Deadline(number, due, rule, f"{label}: {what}"))
    else:
        # R-SCH-6: authorised for adoption (E1/D1, or the parents' formal consent) but not
        # placed.
        authorised_since = _run_start(
            episodes, lambda e: e.legal_status in AUTHORISED_FOR_ADOPTION_STATUSES
        )
        how = "placement order" if authorised_since is not None else ""
        if authorised_since is not None and current.legal_status == "D1":
            how = "freeing order"
        consent = period.consent_on
        if (
            consent is not None
            and consent >= period.start
            and (authorised_since is None or consent < authorised_since)
        ):
            authorised_since, how = consent, "parental consent"
        if authorised_since is not None:
            since_auth = _since(period.reviews, authorised_since)
            if not since_auth:
                due = cal.add_months(authorised_since, 3)
                what = (
                    f"within 3 months of authorisation for adoption ({how}) on "
                    f"{authorised_since.isoformat()}"
                )
            else:
                due = cal.add_months(since_auth[-1].recording_date, 6)
                what = "authorised for adoption: no more than 6 months after the previous one"
            out.append(Deadline(number, due, AUTHORISED, f"{label}: {what}"))

        # R-SCH-8: a placement for adoption that ended with the child still looked after.
        # Only a review recorded once the window has opened satisfies it (one after the
        # window has closed is out of time, R-SCH-15); one held earlier is an additional
        # review and the window stays due.
        disrupted_on = _disruption(episodes)
        if disrupted_on is not None:
            opens = cal.add_weeks(disrupted_on, 4)
            if not _since(period.reviews, opens):
                early = len(_since(period.reviews, disrupted_on))
                note = (
                    f" (the review{'s' if early > 1 else ''} held since, before the window "
                    "opened, did not satisfy it)"
                    if early
                    else ""
                )
                out.append(
                    Deadline(
                        number,
                        cal.add_weeks(disrupted_on, 6),
                        DISRUPTION,
                        f"{label}: between 4 and 6 weeks after the adoptive placement ended on "
                        f"{disrupted_on.isoformat()}{note}",
                        earliest=opens,
                    )
                )

    # R-SCH-9: the local placement rule, when the authority has turned it on.
    if policy.local_placement_rule:
        for e in reversed(episodes[1:]):
            reason = local_trigger(e)
            if reason in policy.local_placement_reasons:
                if not _since(period.reviews, e.start):
                    out.append(
                        Deadline(
                            number,
                            cal.add_working_days(e.start, 20),
                            LOCAL_PLACEMENT,
                            f"{label}: within 20 working days of a new placement "
                            f"({LOCAL_REASONS[reason]}) on {e.start.isoformat()}",
                        )
                    )
                break
    return out


def local_trigger(episode: Episode) -> str | None:
    """The R-SCH-9 reason an episode carries, if it is a new placement."""
    if episode.local_reason:
        return episode.local_reason
    if episode.rne is not None and episode.rne not in _PLACEMENT_CHANGES:
        return None
    if episode.placement in _LOCAL_REASON_FROM_PLACEMENT:
        return _LOCAL_REASON_FROM_PLACEMENT[episode.placement]
    return _LOCAL_REASON_FROM_CHANGE.get(episode.reason_place_change or "")


def _disruption(episodes: tuple[Episode, ...]) -> date | None:
    """Start of the first placement after the latest placement for adoption, if any."""
    for i in range(len(episodes) - 1, 0, -1):
        if (
            episodes[i - 1].placement in PLACED_FOR_ADOPTION
            and episodes[i].placement not in PLACED_FOR_ADOPTION
        ):
            return episodes[i].start
    return None


def next_review(period: Period, cal: WorkingCalendar, policy: Policy = Policy()) -> Deadline | None:
    """R-SCH-10: the earliest candidate, or None when the period has ended (R-SCH-11)."""
    found = candidates(period, cal, policy)
    if not found:
        return None
    best = min(found, key=lambda d: (d.due, _SPECIFICITY.get(d.rule, 9)))
    # A window's earliest date (R-SCH-8) still applies when another rule won.
    earliest = max((d.earliest for d in found if d.earliest), default=None)
    if earliest is not None and best.earliest is None and earliest <= best.due:
        best = Deadline(best.number, best.due, best.rule, best.detail, earliest=earliest)
    return best


def between_stays(
    period: Period, cal: WorkingCalendar, policy: Policy = Policy()
) -> Deadline | None:
    """R-SCH-5: the next review of a series of short breaks while the child is between
    stays. ``period`` is the series' last stay (ended), with the reviews recorded against it
    (those held since it ended included) and ``breaks_ended``. The series runs until the
    admin records that the arrangement ended (on or after the stay's last day): until then
    its next review is due as if the stay had not ended, and says the child is not in a
    stay. None when the stay did not end in short breaks, or the arrangement has ended."""
    if period.end is None or any(e >= period.end for e in period.breaks_ended):
        return None
    episodes = period.episodes or (Episode(period.start),)
    if not _short_break(episodes[-1]):
        return None
    nxt = next_review(replace(period, end=None), cal, policy)
    if nxt is None:
        return None
    note = (
        f"; not in a stay since {period.end.isoformat()}: the series continues until the "
        "end of the arrangement is recorded"
    )
    return Deadline(nxt.number, nxt.due, nxt.rule, nxt.detail + note, nxt.earliest, nxt.notes)


# R-SCH-12: reviews without a meeting for long-term foster placements.


def long_term_since(episodes: tuple[Episode, ...]) -> date | None:
    """Start of the current designated long-term foster placement (U1/U4), if any."""
    return _run_start(
        tuple(sorted(episodes, key=lambda e: e.start)), lambda e: e.placement in LONG_TERM_FOSTER
    )


def check_no_meeting(
    episodes: tuple[Episode, ...],
    reviews: tuple[HeldReview, ...],
    on: date,
    cal: WorkingCalendar,
) -> str | None:
    """Why a review on ``on`` may not be held without a meeting (R-SCH-12), or None."""
    since = long_term_since(episodes)
    if since is None or cal.add_months(since, 12) >= on:
        return (
            "a review may be held without a meeting only after more than 12 months in a "
            "designated long-term foster placement (U1/U4)"
        )
    meetings = sorted(r.recording_date for r in reviews if r.meeting and r.recording_date < on)
    if not meetings or cal.add_months(meetings[-1], 12) < on:
        last = meetings[-1].isoformat() if meetings else "none in this period"
        return f"a meeting must be held at least once every 12 months (last meeting: {last})"
    return None


# R-SCH-16 and the age of care.


def eighteenth_birthday(dob: date) -> date:
    return add_years(dob, 18)


def pathway_plan_due(dob: date, cal: WorkingCalendar) -> date:
    """R-SCH-16: the final pathway plan reaches the IRO 20 working days before 18."""
    return cal.subtract_working_days(eighteenth_birthday(dob), 20)


def allocation_due(period_start: date, cal: WorkingCalendar, first_booked: date | None) -> date:
    """R-IRO-2: a named IRO within 5 working days, and always before the first review."""
    due = cal.add_working_days(period_start, 5)
    if first_booked is not None and first_booked <= due:
        due = cal.subtract_working_days(first_booked, 1)
    return due


# The deadlines stored on each period of care, in the order of the periods table.
SCHEDULE_COLUMNS = (
    "next_number",
    "next_due",
    "next_rule",
    "next_earliest",
    "next_detail",
    "allocation_due",
    "pathway_due",
)


def period_schedule(
    nxt: Deadline | None,
    start: date,
    dob: date,
    cal: WorkingCalendar,
    first_booked: date | None = None,
    *,
    pathway: str | None = None,
) -> dict[str, int | str | None]:
    """The stored deadlines of a period (``SCHEDULE_COLUMNS``): its next review (None once
    care has ended), the IRO's allocation (R-IRO-2) and the final pathway plan (R-SCH-16).
    ``pathway`` is the plan's date when already worked out for the child."""
    return {
        "next_number": nxt.number if nxt else None,
        "next_due": nxt.due.isoformat() if nxt else None,
        "next_rule": nxt.rule if nxt else None,
        "next_earliest": nxt.earliest.isoformat() if nxt and nxt.earliest else None,
        "next_detail": nxt.detail if nxt else None,
        "allocation_due": allocation_due(start, cal, first_booked).isoformat(),
        "pathway_due": pathway or pathway_plan_due(dob, cal).isoformat(),
    }


def event_decision_due(recorded_on: date, days: int, cal: WorkingCalendar) -> date:
    """R-EVT-1: the IRO decides whether a reported event needs a review within ``days``
    working days of its being recorded (a local setting; the Handbook sets no day)."""
    return cal.add_working_days(recorded_on, days)


def dispute_response_due(
    stage: int, started: date, days: list[int], cal: WorkingCalendar
) -> date | None:
    """§6: the response at an escalation stage is due ``days[stage - 1]`` working days after
    the stage began (policy dispute-response-days); stages beyond the list have none."""
    if stage > len(days) or not days[stage - 1]:
        return None
    return cal.add_working_days(started, days[stage - 1])


def dispute_total_due(opened: date, days: int, cal: WorkingCalendar) -> date:
    """§6: the whole internal process should take no more than ``days`` working days
    (policy dispute-total-days; IRO Handbook 6.2)."""
    return cal.add_working_days(opened, days)


def adjournment_limit(original: date, cal: WorkingCalendar) -> date:
    """R-SCH-14: an adjourned review reconvenes no more than 20 working days later."""
    return cal.add_working_days(original, 20)
