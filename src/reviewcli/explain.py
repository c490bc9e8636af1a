"""The working behind every open deadline of a child, and "what if" (``reviewcli explain``).

Nothing here computes a date of its own. Each deadline is worked out again by the very
functions that set it (``rules``, ``steps``, ``disputes`` …) through a ``TracingCalendar``,
which hands every sum to the authority's ``WorkingCalendar`` and keeps a note of it: the
anchor, how many working days, months or weeks, and the result. The explanation is read
from those notes: each day between the anchor and the result is named by the calendar
itself (``WorkingCalendar.non_working_reason``), and the count of the days it calls
working is checked against the sum.

The candidates of the next review are the rules' own (``rules.candidates``): the earliest
wins (R-SCH-10). A rule already met is found the same way, by asking the rules what was
due before the latest review (or before an IRO direction was met); a rule the policy
turns off, by asking them with the setting on.

A what-if (``what_if``) runs the real command (``records.schedule_review`` …) inside a
transaction that is always rolled back, so its answer (the new dates, or the command's
refusal) is the command's own.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import codes, rules, wording
from .calendar import age_on
from .errors import ReviewError, RuleViolation
from .steps import STEPS

# The rule book's sentences (DOMAIN.md), for the working of each date: ``wording``'s.
SENTENCES = wording.SENTENCES

_ROUTINE = {rules.FIRST, rules.SECOND, rules.LATER, rules.LONG_TERM, rules.SHORT_BREAKS}
_REVIEW_ANCHORED = {
    rules.SECOND,
    rules.LATER,
    rules.LONG_TERM,
    rules.PLACED,
    rules.AUTHORISED,
    rules.SHORT_BREAKS,
}
_EVENT_ANCHORED = {rules.DIRECTION, rules.DISRUPTION, rules.LOCAL_PLACEMENT}


# --- tracing the arithmetic -------------------------------------------------------------


@dataclass(frozen=True)
class Sum:
    """One sum the calendar did: ``result`` is ``n`` units ``method`` ``start``."""

    method: str  # "working days after", "working days before", "months", "weeks", "hours"
    start: date
    n: int
    result: date
    month_mode: str = "months"


class TracingCalendar:
    """The authority's calendar, keeping a note of every sum asked of it."""

    def __init__(self, cal):
        self.cal = cal
        self.log: list[Sum] = []

    def __getattr__(self, name):
        return getattr(self.cal, name)

    def _note(self, method: str, start: date, n: int, result: date) -> date:
        self.log.append(Sum(method, start, n, result, self.cal.month_mode))
        return result

    def add_working_days(self, start: date, n: int) -> date:
        return self._note("working days after", start, n, self.cal.add_working_days(start, n))

    def subtract_working_days(self, start: date, n: int) -> date:
        r = self.cal.subtract_working_days(start, n)
        return self._note("working days before", start, n, r)

    def add_months(self, start: date, months: int) -> date:
        return self._note("months", start, months, self.cal.add_months(start, months))

    def add_weeks(self, start: date, weeks: int) -> date:
        return self._note("weeks", start, weeks, self.cal.add_weeks(start, weeks))

    def add_hours(self, start: date, hours: int) -> date:
        return self._note("hours", start, hours, self.cal.add_hours(start, hours))


def d(day: date) -> str:
    """'Fri 26 Mar 2027'."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def working(cal, s: Sum | None) -> dict:
    """The arithmetic of one sum, as data: method, anchor, count, result, the days skipped
    (every non-working day passed over, named by the calendar) and a sentence."""
    if s is None:
        return {"method": "given", "skipped": [], "text": "the date itself, as recorded"}
    out = {
        "method": s.method,
        "from": s.start.isoformat(),
        "count": s.n,
        "result": s.result.isoformat(),
        "skipped": [],
    }
    if s.method.startswith("working days"):
        forward = s.method.endswith("after")
        if forward:
            days = [s.start + timedelta(days=i) for i in range(1, (s.result - s.start).days + 1)]
        else:
            days = [s.start - timedelta(days=i) for i in range(1, (s.start - s.result).days + 1)]
        counted = [day for day in days if cal.non_working_reason(day) is None]
        out["skipped"] = [
            {"date": day.isoformat(), "why": cal.non_working_reason(day)}
            for day in sorted(days)
            if cal.non_working_reason(day) is not None
        ]
        if len(counted) != s.n:  # the calendar's sum and its own day names disagree
            raise AssertionError(f"{s}: {len(counted)} working days counted, not {s.n}")
        where = "after" if forward else "before"
        text = (
            f"{s.n} working days {where} {d(s.start)} (the day itself never counts, "
            f"{'R-CAL-2' if forward else 'R-CAL-3'})"
        )
        if counted:
            first, last = (counted[0], counted[-1])
            text += (
                f": day 1 is {d(first)}, day {s.n} is {d(last)}"
                if forward
                else f": day 1 back is {d(first)}, day {s.n} back is {d(last)}"
            )
        out["counted"] = [day.isoformat() for day in counted]
        out["text"] = text
    elif s.method == "months":
        if s.month_mode == "days":
            from .calendar import months_as_days

            days = months_as_days(s.n)
            out["days"] = days
            out["text"] = (
                f"{d(s.start)} + {s.n} months, counted as {days} days (policy month-mode "
                f"days, R-CAL-4) = {d(s.result)}"
            )
        else:
            clamped = s.result.day != s.start.day
            out["clamped"] = clamped
            text = f"{d(s.start)} + {s.n} calendar months = {d(s.result)} (R-CAL-4)"
            if clamped:
                text += (
                    f"; {s.result:%B} has no {_nth(s.start.day)}, so the deadline is its last "
                    f"day (end-of-month clamping)"
                )
            out["text"] = text
    elif s.method == "weeks":
        out["text"] = (
            f"{d(s.start)} + {s.n} weeks ({7 * s.n} calendar days, R-CAL-5) = {d(s.result)}"
        )
    else:
        out["text"] = f"{d(s.start)} + {s.n} hours (whole calendar days, R-CAL-5) = {d(s.result)}"
    return out


def _nth(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


@dataclass
class Traced:
    """A candidate deadline with the sums that produced its date (and earliest date)."""

    deadline: rules.Deadline
    sum: Sum | None
    earliest_sum: Sum | None

    @property
    def key(self) -> tuple:
        dl = self.deadline
        return (dl.rule, self.sum.start if self.sum else dl.due)


def traced_candidates(period: rules.Period, cal, policy) -> list[Traced]:
    """``rules.candidates`` with the sums behind each candidate."""
    tcal = TracingCalendar(cal)
    made: list[tuple[rules.Deadline, list[Sum]]] = []
    mark = 0

    def hook(deadline):
        nonlocal mark
        made.append((deadline, tcal.log[mark:]))
        mark = len(tcal.log)

    token = rules.TRACE.set(hook)
    try:
        found = rules.candidates(period, tcal, policy)
    finally:
        rules.TRACE.reset(token)
    out = []
    for dl in found:
        sums = next((s for x, s in made if x is dl), [])
        out.append(
            Traced(
                dl,
                next((s for s in reversed(sums) if s.result == dl.due), None),
                next((s for s in reversed(sums) if s.result == dl.earliest), None)
                if dl.earliest
                else None,
            )
        )
    return out


def _with(period: rules.Period, **changes) -> rules.Period:
    return dataclasses.replace(period, **changes)


# --- the next review ----------------------------------------------------------------------


def _episode_text(e: rules.Episode) -> str:
    parts = []
    if e.legal_status:
        parts.append(f"legal status {e.legal_status}")
    if e.placement:
        parts.append(f"placement {e.placement}")
    return ", ".join(parts) or "new episode"


def _fact(rule: str, day: date, period: rules.Period) -> str:
    """What happened on ``day`` that the rule counts from."""
    held = {r.recording_date: i for i, r in enumerate(period.reviews, 1)}
    if rule == rules.ADJOURNMENT:
        return "adjourned meeting (the review's recording date)"
    if rule in _REVIEW_ANCHORED and day in held:
        return f"{rules.ordinal(held[day])} review recorded"
    starts = {e.start: e for e in period.episodes}
    if day == period.start and rule in (rules.FIRST, rules.SHORT_BREAKS):
        return "became looked after"
    e = starts.get(day)
    if e is not None:
        if rule == rules.PLACED:
            return f"placed for adoption (placement {e.placement})"
        if rule == rules.AUTHORISED:
            return f"authorised for adoption (legal status {e.legal_status})"
        if rule == rules.DISRUPTION:
            return f"placement for adoption ended (now {_episode_text(e)})"
        if rule == rules.LOCAL_PLACEMENT:
            reason = rules.local_trigger(e)
            return f"new placement ({rules.LOCAL_REASONS.get(reason, reason)})"
        if rule == rules.FIRST:
            return "short breaks ended: full care began"
        if rule == rules.SHORT_BREAKS:
            return "first short-break placement day"
        return f"new episode: {_episode_text(e)}"
    if day == period.start:
        return "became looked after"
    return "anchor date"


def _anchor(t: Traced, period: rules.Period) -> dict:
    dl = t.deadline
    if dl.rule == rules.DIRECTION:
        for x in period.directions:
            if x.by == dl.due and not x.satisfied_by(period.reviews):
                why = f": {x.reason}" if x.reason else ""
                return {"date": x.made_on.isoformat(), "fact": f"IRO direction made{why}"}
    if t.sum is None:
        return {"date": dl.due.isoformat(), "fact": "date given"}
    return {"date": t.sum.start.isoformat(), "fact": _fact(dl.rule, t.sum.start, period)}


def _candidate(cal, t: Traced, period, outcome: str, why: str) -> dict:
    dl = t.deadline
    work = working(cal, t.sum)
    skipped = work.pop("skipped")
    out = {
        "rule": dl.rule,
        "due": dl.due.isoformat(),
        "outcome": outcome,
        "why": why,
        "detail": dl.detail,
        "sentence": wording.sentence(dl.rule),
        "anchor": _anchor(t, period),
        "arithmetic": work,
        "skipped": skipped,
    }
    if dl.earliest:
        out["earliest"] = dl.earliest.isoformat()
        out["earliest_arithmetic"] = working(cal, t.earliest_sum)
    return out


def review_working(period: rules.Period, cal, policy, *, recorded=None) -> dict | None:
    """The next review of an open period: the winner's working and every other candidate."""
    found = traced_candidates(period, cal, policy)
    if not found:
        return None
    best = rules.next_review(period, cal, policy)
    win = next(t for t in found if (t.deadline.rule, t.deadline.due) == (best.rule, best.due))
    cands = [_candidate(cal, win, period, "won", _won_why(win, found))]
    for t in found:
        if t is win:
            continue
        if t.deadline.due == best.due:
            why = (
                f"the same date as {best.rule}, which names the deadline as the more "
                "specific rule (R-SCH-10)"
            )
        else:
            why = f"due {d(t.deadline.due)}, after {d(best.due)} (R-SCH-10: the earliest wins)"
        cands.append(_candidate(cal, t, period, "later", why))
    cands += _satisfied(period, cal, policy, {t.key for t in found}, recorded or {})
    cands += _policy_off(period, cal, policy, {t.deadline.rule for t in found})
    cands += _no_longer(period, cal, policy, cands)
    work = cands[0]
    out = {
        "kind": "review",
        "id": "review",
        "label": f"{rules.ordinal(best.number)} review",
        "number": best.number,
        "due": best.due.isoformat(),
        "rule": best.rule,
        "detail": best.detail,
        "sentence": wording.sentence(best.rule),
        "anchor": work["anchor"],
        "arithmetic": work["arithmetic"],
        "skipped": work["skipped"],
        "candidates": cands,
    }
    if best.earliest:
        out["earliest"] = best.earliest.isoformat()
    return out


def _won_why(win: Traced, found: list[Traced]) -> str:
    others = len(found) - 1
    if not others:
        return "the only rule that applies"
    return f"the earliest of {len(found)} dates (R-SCH-10)"


def _satisfied(period, cal, policy, current: set, recorded: dict) -> list[dict]:
    """Candidates met by a review: present before it was recorded, gone after (asked of the
    rules themselves). Shown: those the latest review met, and every met direction,
    disruption window and local placement trigger of the period."""
    out = []
    reviews = period.reviews
    base = _with(period, adjourned_on=None)
    seen = set()
    for k in range(len(reviews) - 1, -1, -1):
        before = traced_candidates(_with(base, reviews=reviews[:k]), cal, policy)
        after = _with(base, reviews=reviews[: k + 1])
        after = {t.key for t in traced_candidates(after, cal, policy)}
        for t in before:
            if t.key in after or t.key in current or t.key in seen:
                continue
            if k + 1 != len(reviews) and t.deadline.rule not in _EVENT_ANCHORED:
                continue
            seen.add(t.key)
            r = reviews[k]
            on_time = "on time" if r.recording_date <= t.deadline.due else "out of time"
            why = (
                f"due {d(t.deadline.due)}, met by the {rules.ordinal(k + 1)} review, recorded "
                f"on {d(r.recording_date)} ({on_time})"
            )
            out.append(_candidate(cal, t, _with(base, reviews=reviews[:k]), "satisfied", why))
    if period.adjourned_on is not None:
        # The adjourned meeting is the review's recording date (IRO Handbook 3.24).
        for t in traced_candidates(base, cal, policy):
            on_time = "on time" if period.adjourned_on <= t.deadline.due else "out of time"
            why = (
                f"due {d(t.deadline.due)}, met by the meeting of {d(period.adjourned_on)}, "
                "which the IRO adjourned: it "
                f"stays the recording date ({on_time}); what remains is to reconvene"
            )
            out.append(_candidate(cal, t, base, "satisfied", why))
    return out


def _policy_off(period, cal, policy, current_rules: set) -> list[dict]:
    """Rules a policy setting keeps out: asked of the rules with the setting turned."""
    out = []
    variants = []
    if not policy.local_placement_rule or policy.local_placement_reasons != frozenset(
        rules.LOCAL_REASONS
    ):
        why = (
            "the local placement rule is off (policy local-placement-rule)"
            if not policy.local_placement_rule
            else "the reason is not among the policy's local-placement-reasons"
        )
        variants.append(
            (
                dataclasses.replace(
                    policy,
                    local_placement_rule=True,
                    local_placement_reasons=frozenset(rules.LOCAL_REASONS),
                ),
                rules.LOCAL_PLACEMENT,
                why,
            )
        )
    variants.append(
        (
            dataclasses.replace(policy, long_term_annual=not policy.long_term_annual),
            rules.LONG_TERM if not policy.long_term_annual else rules.LATER,
            "policy long-term-reviews is "
            + ("six-monthly" if not policy.long_term_annual else "annual (R-SCH-12)"),
        )
    )
    for variant, rule, why in variants:
        if rule in current_rules:
            continue
        for t in traced_candidates(period, cal, variant):
            if t.deadline.rule == rule:
                out.append(
                    _candidate(
                        cal,
                        t,
                        period,
                        "not applicable",
                        f"{why}; with it, this would be due {d(t.deadline.due)}",
                    )
                )
    return out


def _no_longer(period, cal, policy, shown: list[dict]) -> list[dict]:
    """Rules that applied under an earlier episode of the period and no longer do (asked
    of the rules with the period as it stood before each change)."""
    have = {c["rule"] for c in shown}
    ordinary = _ROUTINE - {rules.SHORT_BREAKS}
    if have & ordinary:  # the ordinary sequence's steps follow one another
        have |= ordinary
    out, found = [], {}
    episodes = period.episodes
    for j in range(1, len(episodes)):
        change = episodes[j].start
        earlier = _with(
            period,
            episodes=episodes[:j],
            reviews=tuple(r for r in period.reviews if r.recording_date < change),
            directions=tuple(x for x in period.directions if x.made_on < change),
            adjourned_on=None,
        )
        for t in traced_candidates(earlier, cal, policy):
            if t.deadline.rule not in have and t.deadline.rule != rules.DIRECTION:
                found[t.deadline.rule] = (t, earlier, episodes[j])
    current = episodes[-1] if episodes else None
    for rule, (t, earlier, e) in found.items():
        why = f"no longer applies since {d(e.start)} ({_episode_text(e)})"
        if rule == rules.AUTHORISED and current and current.placement in codes.PLACED_FOR_ADOPTION:
            why += ": placed for adoption, so R-SCH-7 applies instead"
        elif rule == rules.PLACED:
            why += ": the placement for adoption ended"
        elif rule == rules.SHORT_BREAKS:
            why += ": no longer on short breaks"
        out.append(_candidate(cal, t, earlier, "not applicable", why))
    return out


# --- other deadlines ----------------------------------------------------------------------


def _single(cal, kind, ident, label, due, rule, sum_, anchor, **extra) -> dict:
    work = working(cal, sum_)
    skipped = work.pop("skipped")
    if sum_ is not None and sum_.result != due:
        extra.setdefault("notes", []).append(
            f"the sum gives {d(sum_.result)}; the date is {d(due)} (see the notes)"
        )
    return {
        "kind": kind,
        "id": ident,
        "label": label,
        "due": due.isoformat(),
        "rule": rule,
        "sentence": wording.sentence(rule),
        "anchor": anchor,
        "arithmetic": work,
        "skipped": skipped,
        "candidates": [
            {
                "rule": rule,
                "due": due.isoformat(),
                "outcome": "won",
                "why": "the only rule for this date",
                "anchor": anchor,
            }
        ],
        **extra,
    }


def _last(log: list[Sum], result: date) -> Sum | None:
    return next((s for s in reversed(log) if s.result == result), None)


def _allocation(store, period_row, cal) -> dict | None:
    child_id = period_row["child_id"]
    if store.value("SELECT 1 FROM allocations WHERE child_id = ? AND end_date IS NULL", [child_id]):
        return None
    start = date.fromisoformat(period_row["start_date"])
    ended = store.value(
        "SELECT MAX(end_date) FROM allocations WHERE child_id = ? AND start_date >= ?",
        [child_id, period_row["start_date"]],
    )
    if ended:
        day = date.fromisoformat(ended)
        return _single(
            cal,
            "allocation",
            "allocation",
            "named IRO",
            day,
            rules.ALLOCATION,
            None,
            {"date": ended, "fact": "the previous IRO's allocation ended"},
            notes=["never without a named IRO after the first (R-IRO-2): allocate one now"],
            detail=wording.allocation(period_row["start_date"], ended),
        )
    pending = store.row(
        "SELECT booked_date FROM reviews WHERE period_id = ? AND status IN ('booked', 'adjourned')",
        [period_row["id"]],
    )
    first_booked = None
    if pending and not store.value(
        "SELECT 1 FROM reviews WHERE period_id = ? AND status = 'held'", [period_row["id"]]
    ):
        first_booked = date.fromisoformat(pending["booked_date"])
    tcal = TracingCalendar(cal)
    due = rules.allocation_due(start, tcal, first_booked)
    notes = []
    if first_booked is not None and len(tcal.log) > 1:
        notes.append(
            f"5 working days after would be {d(tcal.log[0].result)}, but the first review is "
            f"booked for {d(first_booked)}: the IRO must be named the working day before it"
        )
    return _single(
        cal,
        "allocation",
        "allocation",
        "named IRO",
        due,
        rules.ALLOCATION,
        _last(tcal.log, due),
        {"date": start.isoformat(), "fact": "became looked after"}
        if len(tcal.log) == 1
        else {"date": first_booked.isoformat(), "fact": "first review booked"},
        notes=notes,
        detail=wording.allocation(start.isoformat(), None),
    )


def _pathway(store, period_row, child, cal, next_due: str | None) -> dict | None:
    if period_row["pathway_plan_received"]:
        return None
    dob = date.fromisoformat(child["dob"])
    tcal = TracingCalendar(cal)
    due = rules.pathway_plan_due(dob, tcal)
    eighteen = rules.eighteenth_birthday(dob)
    notes = []
    if next_due and next_due > eighteen.isoformat():
        notes.append("no review falls due before the 18th birthday: consider an additional review")
    return _single(
        cal,
        "pathway-plan",
        "pathway-plan",
        "final pathway plan to the IRO",
        due,
        rules.APPROACHING_18,
        _last(tcal.log, due),
        {"date": eighteen.isoformat(), "fact": "18th birthday"},
        notes=notes,
        detail=wording.pathway_plan(eighteen.isoformat(), next_due),
    )


def _steps(store, child_id: str, cal, on: date) -> list[dict]:
    from .steps import manager_response_due, post_steps, pre_steps

    out = []
    # The child's reviews first (CROSS JOIN keeps that order), then their steps.
    rows = store.rows(
        "SELECT s.*, r.number, r.booked_date, r.recording_date, r.held_date, r.status AS "
        "review_status, p.start_date AS period_start FROM reviews r "
        "CROSS JOIN review_steps s ON s.review_id = r.id JOIN periods p ON p.id = r.period_id "
        "WHERE r.child_id = ? AND s.status = 'open' ORDER BY s.due, s.id",
        [child_id],
    )
    for row in rows:
        step = STEPS.get(row["step"])
        if step is None or (row["step"] == "manager-response" and row["due"] < on.isoformat()):
            continue  # (a manager's silence past the window: the decisions are deemed agreed)
        due = date.fromisoformat(row["due"])
        what = f"{rules.ordinal(row['number'])} review" if row["number"] else "review"
        tcal = TracingCalendar(cal)
        notes = []
        if row["step"] == "manager-response":
            done = store.value(
                "SELECT done_on FROM review_steps WHERE review_id = ? AND step = 'decisions'",
                [row["review_id"]],
            )
            anchor_day = date.fromisoformat(done)
            manager_response_due(anchor_day, tcal)
            anchor = {"date": done, "fact": f"decisions of the {what} circulated"}
            notes.append("silence after this date means the decisions are deemed agreed")
        elif step.phase == "pre":
            anchor_day = date.fromisoformat(row["booked_date"])
            got = pre_steps(anchor_day, row["number"] == 1, tcal, store.policy_values)
            anchor = {"date": row["booked_date"], "fact": f"{what} booked for this date"}
            computed = got.get(row["step"])
            if computed is not None and computed < due:
                notes.append(
                    f"{d(computed)} falls before care began: nothing is due before "
                    f"{d(date.fromisoformat(row['period_start']))}"
                )
        else:
            # Counted from the day the review was completed or recorded: whichever the
            # stored date was worked out from.
            anchor_day = None
            for label, day in (
                ("recorded", row["recording_date"]),
                ("completed", row["held_date"]),
            ):
                if not day:
                    continue
                trial = TracingCalendar(cal)
                if (
                    post_steps(date.fromisoformat(day), trial, store.policy_values).get(row["step"])
                    == due
                ):
                    tcal, anchor_day = trial, date.fromisoformat(day)
                    anchor = {"date": day, "fact": f"{what} {label}"}
                    break
            if anchor_day is None:
                day = row["recording_date"]
                post_steps(date.fromisoformat(day), tcal, store.policy_values)
                anchor = {"date": day, "fact": f"{what} recorded"}
        s = _last(tcal.log, due)
        if s is None and row["step"] not in ("iro-visit", "sw-conversation"):
            notes.append("the stored date was not reproduced by the current rules")
        item = _single(
            cal,
            row["step"],
            f"{row['step']}:{row['review_id']}",
            f"{step.label} ({what})",
            due,
            row["rule"],
            s,
            anchor,
            review_id=row["review_id"],
            notes=notes,
            detail=wording.step(
                row["step"], row["number"], row["booked_date"], row["recording_date"]
            ),
        )
        if row["step"] == "iro-visit":
            item["arithmetic"]["text"] = "no fixed day: by the meeting itself"
        elif row["step"] == "sw-conversation":
            item["arithmetic"]["text"] = f"15 calendar days before {d(anchor_day)}"
        out.append(item)
    return out


def _events(store, child_id: str, cal) -> list[dict]:
    from .events import event_rows

    out = []
    for e in event_rows(store, child=child_id, open_only=True):
        if e["requires_review"]:
            out.append(
                _single(
                    cal,
                    "event",
                    f"event:{e['id']}",
                    f"review before the {e['label']} (event {e['id']})",
                    date.fromisoformat(e["event_date"]),
                    "R-EVT-2",
                    None,
                    {"date": e["event_date"], "fact": f"{e['label']} planned"},
                    detail=wording.event(True, e["kind"], e["event_date"], e["id"]),
                )
            )
        else:
            tcal = TracingCalendar(cal)
            recorded = date.fromisoformat(e["recorded_on"])
            tcal.add_working_days(recorded, store.policy_values["event-decision-days"])
            due = date.fromisoformat(e["decision_due"])
            out.append(
                _single(
                    cal,
                    "event",
                    f"event:{e['id']}",
                    f"IRO's decision on the {e['label']} (event {e['id']})",
                    due,
                    "R-EVT-1",
                    _last(tcal.log, due),
                    {"date": e["recorded_on"], "fact": "event recorded"},
                    detail=wording.event(False, e["kind"], e["event_date"], e["id"]),
                )
            )
    return out


class _PolicyView:
    """What ``disputes.response_due`` reads of a store, with a tracing calendar."""

    def __init__(self, store, tcal):
        self.policy_values = store.policy_values
        self.calendar = tcal


def _disputes(store, child_id: str, cal) -> list[dict]:
    from .disputes import response_due, stage_name

    out = []
    for row in store.rows(
        "SELECT * FROM disputes WHERE child_id = ? AND status = 'open' ORDER BY id", [child_id]
    ):
        if row["awaiting_response"] and row["response_due"]:
            tcal = TracingCalendar(cal)
            response_due(
                _PolicyView(store, tcal), row["stage"], date.fromisoformat(row["stage_started"])
            )
            due = date.fromisoformat(row["response_due"])
            out.append(
                _single(
                    cal,
                    "dispute",
                    f"dispute:{row['id']}:response",
                    f"response at stage {row['stage']} ({stage_name(store, row['stage'])}), "
                    f"dispute {row['id']}",
                    due,
                    "§6",
                    _last(tcal.log, due),
                    {"date": row["stage_started"], "fact": f"stage {row['stage']} began"},
                    notes=["policy dispute-response-days"],
                )
            )
        tcal = TracingCalendar(cal)
        tcal.add_working_days(
            date.fromisoformat(row["opened_on"]), store.policy_values["dispute-total-days"]
        )
        due = date.fromisoformat(row["total_due"])
        out.append(
            _single(
                cal,
                "dispute",
                f"dispute:{row['id']}:total",
                f"whole internal process, dispute {row['id']}",
                due,
                "§6",
                _last(tcal.log, due),
                {"date": row["opened_on"], "fact": "dispute opened"},
                notes=["policy dispute-total-days (IRO Handbook 6.2)"],
            )
        )
    return out


def _actions(store, child_id: str, cal) -> list[dict]:
    from .steps import starred_forward_due

    out = []
    for row in store.rows(
        "SELECT d.*, r.recording_date FROM decisions d JOIN reviews r ON r.id = d.review_id "
        "WHERE d.child_id = ? AND d.status != 'cancelled' ORDER BY d.due, d.id",
        [child_id],
    ):
        anchor = {"date": row["recording_date"], "fact": "decision made at the review"}
        if row["status"] == "open":
            item = _single(
                cal,
                "action",
                f"action:{row['id']}",
                f"decision {row['id']} ({row['owner']})",
                date.fromisoformat(row["due"]),
                "§4",
                None,
                anchor,
                decision_id=row["id"],
            )
            item["arithmetic"]["text"] = "the due date set for the decision at the review"
            out.append(item)
        if row["starred"] and not row["forwarded_on"] and row["forward_due"]:
            recorded = date.fromisoformat(row["recording_date"])
            due = date.fromisoformat(row["forward_due"])
            s = Sum("hours", recorded, 72, starred_forward_due(recorded))
            out.append(
                _single(
                    cal,
                    "starred",
                    f"starred:{row['id']}",
                    f"forward starred decision {row['id']}",
                    due,
                    "R-POST-7",
                    s,
                    {"date": row["recording_date"], "fact": "review recorded"},
                    decision_id=row["id"],
                )
            )
    return out


# --- a child's whole working --------------------------------------------------------------


def policy_in_force(store) -> dict:
    """The settings that change the dates."""
    from .policy import SETTINGS

    keys = [
        "month-mode",
        "closure-days",
        "local-placement-rule",
        "local-placement-reasons",
        "long-term-reviews",
        "social-worker-conversation",
        "quality-monitoring-form",
        "event-decision-days",
        "dispute-response-days",
        "dispute-total-days",
    ]
    values = store.policy_values
    return {
        k: {
            "value": values[k],
            "default": values[k] == SETTINGS[k].default,
            "rule": SETTINGS[k].rule,
        }
        for k in keys
    }


def explain(store, child_id: str, on: date) -> dict:
    """Every open deadline of the child with its working (the JSON of ``explain``)."""
    from .records import get_child

    child = get_child(store, child_id)
    cal = store.calendar
    period_row = store.row(
        "SELECT * FROM periods WHERE child_id = ? AND end_date IS NULL", [child_id]
    )
    deadlines: list[dict] = []
    notes: list[str] = []
    out = {
        "child_id": child["id"],
        "on": on.isoformat(),
        "looked_after": period_row is not None,
    }
    if period_row is not None:
        info = store.period_input(period_row["id"])
        review = review_working(info, cal, store.schedule_policy)
        if review is not None:
            pending = store.row(
                "SELECT id, booked_date, status, original_date FROM reviews WHERE period_id = ?"
                " AND status IN ('booked', 'adjourned')",
                [period_row["id"]],
            )
            review["review_id"] = pending["id"] if pending else None
            review["booked"] = pending["booked_date"] if pending else None
            if pending and pending["status"] == "adjourned":
                review["notes"] = [
                    f"adjourned from {pending['original_date']} to {pending['booked_date']}"
                ]
            if period_row["next_due"] and period_row["next_due"] != review["due"]:
                notes.append(
                    f"the stored next-review date {period_row['next_due']} differs from the "
                    f"rules' {review['due']}: run 'reviewcli check --repair'"
                )
            deadlines.append(review)
        alloc = _allocation(store, period_row, cal)
        if alloc:
            deadlines.append(alloc)
        dob = date.fromisoformat(child["dob"])
        if age_on(dob, on) >= 18:
            notes.append(
                f"the period of care is still open past the 18th birthday "
                f"({rules.eighteenth_birthday(dob)}): record the end of care (R-SCH-11)"
            )
        pathway = _pathway(store, period_row, child, cal, review["due"] if review else None)
        if pathway:
            deadlines.append(pathway)
        deadlines += _events(store, child_id, cal)
        out["period"] = {"start": period_row["start_date"], "end": None}
    else:
        out["last_period"] = last_period(store, child_id)
        # R-SCH-5: between the stays of a series of short breaks, the series' next review
        # (derived on its last stay) is still due.
        series = store.row(
            "SELECT * FROM periods WHERE child_id = ? AND end_date IS NOT NULL"
            " AND next_due IS NOT NULL ORDER BY start_date DESC LIMIT 1",
            [child_id],
        )
        if series is not None:
            info = _with(store.period_input(series["id"]), end=None)
            review = review_working(info, cal, store.schedule_policy)
            if review is not None:
                pending = store.row(
                    "SELECT id, booked_date FROM reviews WHERE period_id = ?"
                    " AND status IN ('booked', 'adjourned')",
                    [series["id"]],
                )
                review["review_id"] = pending["id"] if pending else None
                review["booked"] = pending["booked_date"] if pending else None
                review["detail"] = series["next_detail"]
                deadlines.append(review)
            out["between_stays"] = series["end_date"]
    deadlines += _steps(store, child_id, cal, on)
    deadlines += _disputes(store, child_id, cal)
    deadlines += _actions(store, child_id, cal)
    today = on.isoformat()
    for item in deadlines:
        item["overdue"] = item["due"] < today
    deadlines.sort(key=lambda x: (x["due"], x["id"]))
    out["deadlines"] = deadlines
    out["policy"] = policy_in_force(store)
    out["notes"] = notes
    return out


def last_period(store, child_id: str) -> dict | None:
    """A child not in care: the last period's dates, and what was due when it ended."""
    row = store.row(
        "SELECT * FROM periods WHERE child_id = ? ORDER BY start_date DESC LIMIT 1", [child_id]
    )
    if row is None:
        return None
    info = store.period_input(row["id"])
    end = date.fromisoformat(row["end_date"])
    open_then = _with(info, end=None, adjourned_on=None)
    was = rules.next_review(open_then, store.calendar, store.schedule_policy)
    reviews = [
        {
            "id": r["id"],
            "number": r["number"],
            "status": r["status"],
            "deadline": r["deadline"],
            "rule": r["rule"],
            "recording_date": r["recording_date"],
            "on_time": (r["recording_date"] <= r["deadline"])
            if r["status"] == "held" and r["deadline"]
            else None,
            "cancel_reason": r["cancel_reason"],
        }
        for r in store.rows(
            "SELECT * FROM reviews WHERE period_id = ? ORDER BY COALESCE(recording_date, "
            "booked_date), id",
            [row["id"]],
        )
    ]
    return {
        "start": row["start_date"],
        "end": row["end_date"],
        "reason_ceased": row["reason_ceased"],
        "reviews": reviews,
        "next_review_at_end": {
            "number": was.number,
            "due": was.due.isoformat(),
            "rule": was.rule,
        }
        if was and was.due >= end
        else None,
    }


# --- what if ------------------------------------------------------------------------------

WHAT_IFS = ("booked", "held", "adjourned-to", "placement-change", "care-ends")
_WHAT_IF_REASON = "what-if (explain): not recorded"


def _refusal(e: ReviewError) -> dict:
    return {
        "rule": getattr(e, "rule", None),
        "message": str(e),
    }


def what_if(
    store,
    child_id: str,
    on: date,
    action: str,
    day: date,
    *,
    placement=None,
    legal_status=None,
    reason_place_change=None,
) -> dict:
    """The working as it would be after the real command, which runs inside a transaction
    that is rolled back: nothing is written. A refusal is part of the answer."""
    from . import records

    records.get_child(store, child_id)
    before = explain(store, child_id, on)
    period = records.open_period(store, child_id)
    pending = records.pending_review(store, period["id"]) if period else None
    # Commands that record what has happened are asked as on the day it happens: a review
    # held, a placement changed, care ended on that day; an adjournment at the meeting.
    today = on
    if action in ("held", "placement-change", "care-ends"):
        today = max(on, day)
    elif action == "adjourned-to" and pending:
        today = max(on, date.fromisoformat(pending["booked_date"]))

    def run(with_reason: bool) -> tuple[list[str], list]:
        """The real commands of the what-if: (their command lines, their outcomes)."""
        reason = _WHAT_IF_REASON if with_reason else None
        iso = day.isoformat()
        if action == "booked":
            if pending:
                return [f"review reschedule {pending['id']} --date {iso}"], [
                    records.reschedule_review(
                        store, pending["id"], on=day, today=today, reason=reason
                    )
                ]
            return [f"review schedule {child_id} --date {iso}"], [
                records.schedule_review(store, child_id, on=day, today=today)
            ]
        if action == "held":
            lines, outcomes = [], []
            review_id = pending["id"] if pending else None
            if review_id is None:
                booked = records.schedule_review(store, child_id, on=day, today=today)
                lines.append(f"review schedule {child_id} --date {iso}")
                outcomes.append(booked)
                review_id = booked.obj["id"]
            lines.append(f"review hold {review_id} --date {iso}")
            outcomes.append(
                records.hold_review(store, review_id, on=day, today=today, late_reason=reason)
            )
            return lines, outcomes
        if action == "adjourned-to":
            if not pending:
                raise ReviewError(f"child {child_id} has no review booked to adjourn")
            return [f"review adjourn {pending['id']} --to {iso} --reason …"], [
                records.adjourn_review(
                    store, pending["id"], to=day, today=today, reason=_WHAT_IF_REASON
                )
            ]
        if action == "placement-change":
            rne = None if (placement or legal_status or reason_place_change) else "P"
            line = f"episode change {child_id} --date {iso}"
            line += f" --placement {placement}" if placement else ""
            line += f" --legal-status {legal_status}" if legal_status else ""
            line += f" --reason-place-change {reason_place_change}" if reason_place_change else ""
            line += " --rne P" if rne else ""
            return [line], [
                records.change_episode(
                    store,
                    child_id,
                    on=day,
                    today=today,
                    legal_status=legal_status,
                    placement=placement,
                    reason_place_change=reason_place_change,
                    rne=rne,
                )
            ]
        if action == "care-ends":
            return [f"episode end {child_id} --date {iso}"], [
                records.end_episode(store, child_id, on=day, today=today)
            ]
        raise ReviewError(f"unknown what-if {action!r}; use one of {', '.join(WHAT_IFS)}")

    def attempt(with_reason: bool) -> dict:
        result: dict = {"commands": [], "allowed": False}
        store.conn.execute("BEGIN IMMEDIATE")
        try:
            try:
                lines, outcomes = run(with_reason)
            except ReviewError as e:
                result["refusal"] = _refusal(e)
                return result
            result["allowed"] = True
            result["commands"] = lines
            result["messages"] = [o.message for o in outcomes]
            result["warnings"] = [w for o in outcomes for w in o.warnings]
            store.forget_policy()
            result["after"] = explain(store, child_id, on)
            return result
        finally:
            store.conn.execute("ROLLBACK")
            store.forget_policy()

    first = attempt(False)
    info = {
        "action": action,
        "date": day.isoformat(),
        "as_of": today.isoformat(),
        "allowed": first["allowed"],
        "commands": first["commands"],
        "refusal": first.get("refusal"),
        "warnings": first.get("warnings", []),
        "messages": first.get("messages", []),
    }
    if action == "placement-change":
        info.update(
            placement=placement, legal_status=legal_status, reason_place_change=reason_place_change
        )
    result = first
    refusal = first.get("refusal")
    if refusal and refusal["rule"] in (rules.REARRANGE, rules.OUT_OF_TIME):
        # The command would go ahead with a reason recorded: show what it would then do.
        second = attempt(True)
        if second["allowed"]:
            lines = second["commands"]
            info["with_reason"] = {
                "commands": [*lines[:-1], lines[-1] + _reason_flag(action)],
                "messages": second["messages"],
                "warnings": second["warnings"],
            }
            result = second
    after = result.get("after", before)
    out = dict(after)
    out["if"] = info
    out["before"] = before["deadlines"]
    out["changes"] = changes(before, after)
    return out


def _reason_flag(action: str) -> str:
    return " --reason …" if action == "booked" else " --late-reason …"


def changes(before: dict, after: dict) -> list[dict]:
    """Every deadline whose date or rule moves, appears or goes."""
    b = {x["id"]: x for x in before["deadlines"]}
    a = {x["id"]: x for x in after["deadlines"]}
    out = []
    for ident in [*b, *(k for k in a if k not in b)]:
        x, y = b.get(ident), a.get(ident)
        if x and y and (x["due"], x["rule"]) == (y["due"], y["rule"]):
            continue
        ref = y or x
        out.append(
            {
                "kind": ref["kind"],
                "id": ident,
                "label": "next review" if ident == "review" else ref["label"],
                "before": x["due"] if x else None,
                "after": y["due"] if y else None,
                "rule_before": x["rule"] if x else None,
                "rule_after": y["rule"] if y else None,
            }
        )
    return out


def check_what_if(action: str | None, **values) -> None:
    if action != "placement-change" and any(v is not None for v in values.values()):
        raise ReviewError(
            "--placement, --legal-status and --reason-place-change belong to --if-placement-change"
        )


__all__ = ["explain", "what_if", "working", "TracingCalendar", "RuleViolation"]


# --- the terminal's paragraphs ------------------------------------------------------------


def _clean(text: str) -> str:
    """Text someone typed, safe for a terminal: control and bidi characters shown as '?'."""
    import unicodedata

    return "".join(
        "?" if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n" else ch for ch in text
    )


def _short(day: str) -> str:
    x = date.fromisoformat(day)
    return f"{x:%a} {x.day} {x:%b}"


def skipped_text(skipped: list[dict]) -> str:
    """'Sat 13–Sun 14 Mar (weekend), Fri 26 Mar (Good Friday), …'."""
    parts, i = [], 0
    while i < len(skipped):
        s = skipped[i]
        why = s["why"].removeprefix("bank holiday: ")
        if (
            s["why"] == "weekend"
            and i + 1 < len(skipped)
            and skipped[i + 1]["why"] == "weekend"
            and date.fromisoformat(skipped[i + 1]["date"]) - date.fromisoformat(s["date"])
            == timedelta(days=1)
        ):
            a, b = date.fromisoformat(s["date"]), date.fromisoformat(skipped[i + 1]["date"])
            span = f"{a:%a} {a.day}–{b:%a} {b.day} {b:%b}"
            parts.append(f"{span} (weekend)")
            i += 2
            continue
        parts.append(f"{_short(s['date'])} ({why})")
        i += 1
    return ", ".join(parts)


_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DATE = re.compile(rf"{_DAY} \d{{1,2}}(?:–{_DAY} \d{{1,2}})? {_MONTH}(?: \d{{4}})?")


def _para(lines: list[str], width: int, indent: str = "  ") -> list[str]:
    """Lines wrapped to ``width``, never breaking inside a date."""
    import textwrap

    out = []
    for line in lines:
        line = _DATE.sub(lambda m: m.group(0).replace(" ", "\xa0"), _clean(line))
        out += [
            x.replace("\xa0", " ")
            for x in textwrap.wrap(
                line,
                width=width,
                initial_indent=indent,
                subsequent_indent=indent + "  ",
                break_on_hyphens=False,
            )
        ] or [""]
    return out


def _deadline_text(item: dict, width: int) -> list[str]:
    due = date.fromisoformat(item["due"])
    late = ", overdue" if item.get("overdue") else ""
    head = f"{item['label'][:1].upper()}{item['label'][1:]}: due {d(due)} ({item['rule']}{late})"
    lines = []
    if item.get("sentence"):
        lines.append(f"{item['rule']}: {item['sentence']}.")
    if item.get("detail"):
        # A review's: how its rule applied; any other's: its words on the work list.
        said = "Rule applied" if item["kind"] == "review" else "On the work list"
        lines.append(f"{said}: {item['detail']}.")
    anchor = item["anchor"]
    work = item["arithmetic"]
    lines.append(f"From: {anchor['fact']}, {d(date.fromisoformat(anchor['date']))}.")
    lines.append(f"Working: {work['text']}.")
    if item["skipped"]:
        n = len(item["skipped"])
        lines.append(f"Skipped {n} day{'s' if n != 1 else ''}: {skipped_text(item['skipped'])}.")
    if item.get("earliest"):
        lines.append(f"Not before {d(date.fromisoformat(item['earliest']))} (a window).")
    if item.get("booked"):
        lines.append(f"Booked for {d(date.fromisoformat(item['booked']))}.")
    for c in item.get("candidates", [])[1:]:
        text = f"{c['rule']} (from {c['anchor']['fact']}, {_short(c['anchor']['date'])}): "
        text += f"{c['outcome']}: {c['why']}."
        lines.append(text)
    for note in item.get("notes") or []:
        lines.append(f"Note: {note}.")
    return _para([head], width, "") + _para(lines, width)


def _policy_text(policy: dict) -> str:
    from .records import show_policy_value

    always = ("month-mode", "closure-days", "local-placement-rule", "long-term-reviews")
    parts = [
        f"{key} {show_policy_value(v['value'])}" + ("" if v["default"] else " (local)")
        for key, v in policy.items()
        if key in always or not v["default"]
    ]
    return "Policy in force: " + "; ".join(parts) + "; the rest at their defaults."


def text(data: dict, width: int = 80, *, name: str = "") -> str:
    """The explanation for a terminal: a short paragraph per date, at most ``width`` wide."""
    out: list[str] = []
    on = d(date.fromisoformat(data["on"]))
    who = f"{data['child_id']}{' ' + name if name else ''}"
    if data["looked_after"]:
        since = d(date.fromisoformat(data["period"]["start"]))
        out += _para([f"{who}: looked after since {since}. As of {on}."], width, "")
    else:
        line = f"{who} is not looked after (no open period of care). As of {on}."
        out += _para([line], width, "")
        last = data.get("last_period")
        if last:
            start, end = d(date.fromisoformat(last["start"])), d(date.fromisoformat(last["end"]))
            lines = [f"Last period of care: {start} to {end} (reason {last['reason_ceased']})."]
            for r in last["reviews"]:
                what = f"{rules.ordinal(r['number'])} review" if r["number"] else "review"
                if r["status"] == "held":
                    timing = "on time" if r["on_time"] else "out of time"
                    lines.append(
                        f"{what[:1].upper()}{what[1:]}: recorded {r['recording_date']}, deadline "
                        f"{r['deadline']} ({r['rule']}), {timing}."
                    )
                else:
                    lines.append(
                        f"{what[:1].upper()}{what[1:]}: {r['status']}"
                        + (f" ({r['cancel_reason']})" if r["cancel_reason"] else "")
                        + "."
                    )
            nxt = last["next_review_at_end"]
            if data.get("between_stays"):
                lines.append(
                    f"Between short-break stays since {data['between_stays']}: the series "
                    "continues until the end of the arrangement is recorded, and its next "
                    "review is due (R-SCH-5)."
                )
            elif nxt:
                lines.append(
                    f"When care ended, the {rules.ordinal(nxt['number'])} review was due by "
                    f"{nxt['due']} ({nxt['rule']}); since care ended nothing further is due "
                    "(R-SCH-11)."
                )
            else:
                lines.append("Since care ended nothing further is due (R-SCH-11).")
            out += _para(lines, width)
        else:
            out += _para(["No period of care is recorded."], width)
    changed = None
    if "if" in data:
        out.append("")
        out += _what_if_text(data, width)
        changed = {c["id"] for c in data["changes"]}
    shown = [x for x in data["deadlines"] if changed is None or x["id"] in changed]
    if changed is not None and shown:
        out += ["", "The working after it:"]
    for item in shown:
        out.append("")
        out += _deadline_text(item, width)
    if not data["deadlines"] and changed is None:
        out += ["", "No open deadlines."]
    for note in data.get("notes") or []:
        out += [""] + _para([f"Note: {note}"], width, "")
    out.append("")
    out += _para([_policy_text(data["policy"])], width, "")
    return "\n".join(out) + "\n"


_ASKED = {
    "booked": "If the review is booked for {}",
    "held": "If the review is held on {}",
    "adjourned-to": "If the review is adjourned to {}",
    "placement-change": "If the placement changes on {}",
    "care-ends": "If care ends on {}",
}


def _what_if_text(data: dict, width: int) -> list[str]:
    info = data["if"]
    asked = _ASKED[info["action"]].format(d(date.fromisoformat(info["date"])))
    if info["as_of"] != data["on"]:
        asked += f" (as recorded on {d(date.fromisoformat(info['as_of']))})"
    if info["action"] == "placement-change":
        what = [
            f"{k.replace('_', ' ')} {info[k]}"
            for k in ("placement", "legal_status", "reason_place_change")
            if info.get(k)
        ]
        asked += f" ({', '.join(what)})" if what else " (another carer, same placement type)"
    lines = []
    if info["allowed"]:
        cmds = "; then ".join(f"reviewcli {c}" for c in info["commands"])
        lines.append(f"{asked}: allowed ({cmds}).")
        lines += [f"Warning: {w}." for w in info["warnings"]]
    else:
        r = info["refusal"]
        lines.append(f"{asked}: refused{' (' + r['rule'] + ')' if r['rule'] else ''}.")
        lines.append(f"The command would say: {r['message']}")
        extra = info.get("with_reason")
        if extra:
            cmds = "; then ".join(f"reviewcli {c}" for c in extra["commands"])
            lines.append(f"With a reason recorded it would go ahead ({cmds}).")
            lines += [f"Warning: {w}." for w in extra["warnings"]]
    out = _para(lines, width, "")
    if data["changes"]:
        out += ["", "What moves:"]
        rows = []
        for c in data["changes"]:
            before = _short(c["before"]) + f" {c['before'][:4]}" if c["before"] else "none"
            after = _short(c["after"]) + f" {c['after'][:4]}" if c["after"] else "none"
            rule = c["rule_after"] or c["rule_before"]
            if c["rule_before"] and c["rule_after"] and c["rule_before"] != c["rule_after"]:
                rule = f"{c['rule_before']} → {c['rule_after']}"
            if not c["before"]:
                rows.append(f"{c['label']}: new, due {after} ({rule})")
            elif not c["after"]:
                rows.append(f"{c['label']}: {before} → no longer due ({rule})")
            else:
                rows.append(f"{c['label']}: {before} → {after} ({rule})")
        out += _para(rows, width)
    elif info["allowed"] or info.get("with_reason"):
        out += ["", "No date moves."]
    return out
