"""Deadlines around each review (DOMAIN.md §3: R-PRE-1..4, R-POST-1..7).

Preparation steps count back from the booked date. Recording steps count forward from
the day the review was *completed*: its meeting, or for an adjourned review the day it
reconvened and finished (IRO Handbook 3.69); the recording date of an adjourned review
stays the original date for the schedule and the on-time figures. Pure functions: the
caller passes the calendar and the policy values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .calendar import WorkingCalendar


@dataclass(frozen=True)
class Step:
    name: str  # the STEP argument of `review done`, and the `kind` of its `due` item
    rule: str
    label: str
    phase: str  # "pre" (before the meeting) or "post" (after it)


STEPS: dict[str, Step] = {
    s.name: s
    for s in [
        Step("consultation", "R-PRE-1", "social worker consults the child about the review", "pre"),
        Step("invitations", "R-PRE-2", "invitations and consultation documents sent", "pre"),
        Step("reports", "R-PRE-3", "social worker's reports to the IRO", "pre"),
        Step("sw-conversation", "R-PRE-4", "IRO speaks with the social worker", "pre"),
        Step("iro-visit", "R-PRE-4", "IRO speaks with the child in private", "pre"),
        Step("monitoring-form", "R-POST-1", "quality monitoring form", "post"),
        Step(
            "decisions", "R-POST-2", "decisions and recommendations written and circulated", "post"
        ),
        Step("manager-response", "R-POST-3", "manager's consideration of the decisions", "post"),
        Step("care-plan", "R-POST-4", "care plan updated by the social worker", "post"),
        Step("record", "R-POST-5", "full record of the review", "post"),
        Step("distribution", "R-POST-6", "record distributed to participants", "post"),
    ]
}


# R-PRE-4: the IRO should speak to the social worker at least 15 working days before the
# review (IRO Handbook 3.9); a local procedure may set another number (policy setting).
SOCIAL_WORKER_DAYS = 15


def social_worker_days(policy: dict) -> int:
    """Working days before a review by which the IRO speaks with the social worker."""
    value = policy.get("social-worker-conversation", SOCIAL_WORKER_DAYS)
    # A stored on/off from before the Handbook duty was the default reads as the default.
    return SOCIAL_WORKER_DAYS if isinstance(value, bool) or value is None else int(value)


def pre_steps(
    booked: date,
    first_review: bool,
    cal: WorkingCalendar,
    policy: dict,
    not_before: date | None = None,
) -> dict[str, date]:
    """Latest dates of the preparation steps of a review booked for ``booked``.

    ``not_before`` is the start of the period of care: nothing falls due before the child
    was in care (a first review comes within 20 working days of it, so R-PRE-1 would
    otherwise fall before the period began)."""
    out = {
        "consultation": cal.subtract_working_days(booked, 20),  # R-PRE-1
        "sw-conversation": cal.subtract_working_days(booked, social_worker_days(policy)),  # R-PRE-4
        "invitations": cal.subtract_working_days(booked, 10),  # R-PRE-2
        "reports": cal.subtract_working_days(booked, 3 if first_review else 5),  # R-PRE-3
        "iro-visit": booked,  # R-PRE-4: the IRO speaks with the child before the meeting
    }
    if not_before is not None:
        out = {name: max(due, not_before) for name, due in out.items()}
    return out


def post_steps(completed: date, cal: WorkingCalendar, policy: dict) -> dict[str, date]:
    """Latest dates of the recording steps of a review completed on ``completed`` (the day
    of its meeting, or of the reconvened meeting of an adjourned review: IRO Handbook 3.69).

    The manager's response (R-POST-3) is not here: its window opens when the decisions
    are circulated (see ``manager_response_due``).
    """
    out = {
        "decisions": cal.add_working_days(completed, 5),  # R-POST-2
        "care-plan": cal.add_working_days(completed, 10),  # R-POST-4
        "record": cal.add_working_days(completed, 15),  # R-POST-5
        "distribution": cal.add_working_days(completed, 20),  # R-POST-6
    }
    if policy.get("quality-monitoring-form"):
        out["monitoring-form"] = cal.add_working_days(completed, 1)  # R-POST-1
    return out


def manager_response_due(decisions_circulated: date, cal: WorkingCalendar) -> date:
    """R-POST-3: 5 working days after the manager receives the decisions; then deemed agreed."""
    return cal.add_working_days(decisions_circulated, 5)


def starred_forward_due(completed: date) -> date:
    """R-POST-7: starred decisions forwarded within 72 hours of the review's completion
    (3 calendar days, R-CAL-5)."""
    return completed + timedelta(days=3)
