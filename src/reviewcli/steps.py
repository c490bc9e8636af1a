"""Deadlines around each review (DOMAIN.md §3: R-PRE-1..4, R-POST-1..7).

Preparation steps count back from the booked date; recording steps count forward from
the recording date. Pure functions: the caller passes the calendar and policy values.
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


def pre_steps(
    booked: date, first_review: bool, cal: WorkingCalendar, policy: dict
) -> dict[str, date]:
    """Latest dates of the preparation steps of a review booked for ``booked``."""
    out = {
        "consultation": cal.subtract_working_days(booked, 20),  # R-PRE-1
        "invitations": cal.subtract_working_days(booked, 10),  # R-PRE-2
        "reports": cal.subtract_working_days(booked, 3 if first_review else 5),  # R-PRE-3
        "iro-visit": booked,  # R-PRE-4: before every review, no fixed day
    }
    if policy.get("social-worker-conversation"):
        out["sw-conversation"] = booked - timedelta(days=15)  # R-PRE-4, a local rule
    return out


def post_steps(recording: date, cal: WorkingCalendar, policy: dict) -> dict[str, date]:
    """Latest dates of the recording steps of a review recorded on ``recording``.

    The manager's response (R-POST-3) is not here: its window opens when the decisions
    are circulated (see ``manager_response_due``).
    """
    out = {
        "decisions": cal.add_working_days(recording, 5),  # R-POST-2
        "care-plan": cal.add_working_days(recording, 10),  # R-POST-4
        "record": cal.add_working_days(recording, 15),  # R-POST-5
        "distribution": cal.add_working_days(recording, 20),  # R-POST-6
    }
    if policy.get("quality-monitoring-form"):
        out["monitoring-form"] = cal.add_working_days(recording, 1)  # R-POST-1
    return out


def manager_response_due(decisions_circulated: date, cal: WorkingCalendar) -> date:
    """R-POST-3: 5 working days after the manager receives the decisions; then deemed agreed."""
    return cal.add_working_days(decisions_circulated, 5)


def starred_forward_due(recording: date) -> date:
    """R-POST-7: starred decisions forwarded within 72 hours (3 calendar days, R-CAL-5)."""
    return recording + timedelta(days=3)
