"""The words of every deadline, once: each rule's sentence and each work-list item's text.

A rule's sentence (the rule book's, DOMAIN.md) is in ``SENTENCES``; the text of each kind
of item on the work list (``reviewcli due``) is made by one function here, from plain
values. The stored work items (``workitems``), the kinds the list builds as it reads
(``worklist``, which calls these functions from its SQL), ``child show`` and ``explain``
all take their words from here, so a sentence changed here changes every output; the
stamp of the derived data hashes this module, so stored items are made again on the next
open. Pure functions: no database, no clock.
"""

from __future__ import annotations

from .codes import EVENT_KINDS
from .rules import DIRECTION, ordinal
from .steps import STEPS

# The rule book's sentences (DOMAIN.md), by rule id.
SENTENCES = {
    "R-SCH-1": "first review within 20 working days of the start of the period of care",
    "R-SCH-2": "second review no more than 3 months after the first",
    "R-SCH-3": "later reviews no more than 6 months after the previous one",
    "R-SCH-4": "the IRO may direct a review earlier than the routine schedule; the "
    "directed date stands until a review is recorded on or after the direction",
    "R-SCH-5": "short breaks: first review within 3 months of the first placement day, "
    "later ones no more than 6 months apart",
    "R-SCH-6": "authorised for adoption but not yet placed: a review within 3 months of "
    "authorisation, then no more than 6 months apart",
    "R-SCH-7": "placed for adoption: first review no more than 4 weeks after placement, the "
    "second no more than 3 months after that, then 6-monthly",
    "R-SCH-8": "adoption disruption: a review between 4 and 6 weeks after the placement for "
    "adoption ended",
    "R-SCH-9": "local placement rule: a review within 20 working days of a new placement "
    "for a listed reason",
    "R-SCH-11": "a period of care ends at the latest on the 18th birthday",
    "R-SCH-12": "long-term foster placements over 12 months: reviews may become annual (policy)",
    "R-SCH-14": "an adjourned review reconvenes no more than 20 working days after the "
    "original date, which stays its recording date",
    "R-SCH-16": "the final pathway plan must reach the IRO 20 working days before the 18th "
    "birthday",
    "R-IRO-2": "a named IRO within 5 working days of becoming looked after, and always "
    "before the first review",
    "R-PRE-1": "the social worker consults the child at least 20 working days before the review",
    "R-PRE-2": "invitations and consultation documents sent at least 10 working days before",
    "R-PRE-3": "the social worker's reports reach the IRO 3 working days before a first "
    "review, 5 before any later one",
    "R-PRE-4": "the IRO speaks with the child before every review (no fixed day: by the "
    "meeting itself), and with the social worker at least 15 working days before",
    "R-POST-1": "quality monitoring form within 1 working day",
    "R-POST-2": "decisions and recommendations written and circulated within 5 working days",
    "R-POST-3": "the manager considers the decisions within 5 working days of receiving "
    "them; silence means agreed",
    "R-POST-4": "care plan updated within 10 working days",
    "R-POST-5": "full record of the review within 15 working days",
    "R-POST-6": "record distributed to participants within 20 working days",
    "R-POST-7": "starred decisions forwarded within 72 hours",
    "R-EVT-1": "the IRO decides whether a reported significant event needs a review "
    "(local timescale: policy event-decision-days)",
    "R-EVT-2": "a review must be held before this change is implemented",
    "§4": "each decision has a person responsible and a due date",
    "§6": "each escalation stage has a response deadline; the whole internal process "
    "should take no more than 20 working days",
}


def sentence(rule: str | None) -> str:
    """The rule book's sentence of ``rule`` ('' when it has none)."""
    return SENTENCES.get(rule or "", "")


def why(rule: str | None, applied: str | None) -> str | None:
    """Why a deadline is what it is: its rule id, the rule's sentence, and how the rule
    applied to this child (``applied``, the rules' own words for the case)."""
    if not rule:
        return None
    text = rule
    if sentence(rule):
        text += f": {sentence(rule)}"
    if applied:
        text += f" (here: {applied})"
    return text


# --- the text of each kind of work-list item ------------------------------------------------

# Put between a booked review's detail and its end once its date has passed.
RECORD_OUTCOME = ": record the outcome (held, adjourned or cancelled)"
# After the manager's response's detail.
DEEMED = "; silence after this date means the decisions are deemed agreed"


def review(
    number, status, booked, time, original, due, earliest, rule, *, between_stays=None
) -> tuple[str, str]:
    """A period's next review: its detail, and the end put after ``RECORD_OUTCOME``.
    ``between_stays``: the day the last stay of a series of short breaks ended, when the
    child is between stays (R-SCH-5)."""
    detail = f"{ordinal(number)} review"
    if status is None:
        detail += " not yet booked"
    elif status == "adjourned":
        detail += f" adjourned on {original}, reconvenes {booked}"
    else:
        detail += f" booked for {booked}" + (f" at {time}" if time else "")
        if booked > due:
            detail += ", after the deadline"
    end = f"; not before {earliest}" if earliest else ""
    if rule == DIRECTION:
        end += " (directed by the IRO)"
    if between_stays:
        end += f"; short breaks: not in a stay since {between_stays}, the series continues"
    return detail, end


def step(name: str, number, booked, recording) -> str | None:
    """An open step of a review (None while its review has no date to name)."""
    s = STEPS[name]
    what = f"{ordinal(number)} review" if number else "review"
    when = booked if s.phase == "pre" else recording
    if when is None:
        return None
    text = f"{s.label}: {what} {'on' if s.phase == 'pre' else 'of'} {when}"
    return text + (DEEMED if name == "manager-response" else "")


def allocation(start: str, ended: str | None) -> str:
    """R-IRO-2: an open period with no named IRO (``ended``: when the last one's ended)."""
    if ended is not None:
        return f"no named IRO since {ended}: allocate one now"
    return (
        f"name an IRO: looked after since {start}, within 5 working days and before the "
        "first review"
    )


def pathway_plan(eighteen: str, next_due: str | None) -> str:
    """R-SCH-16: the final pathway plan, due before the 18th birthday ``eighteen``."""
    text = f"final pathway plan to the IRO, 20 working days before 18 on {eighteen}"
    if next_due is not None and next_due > eighteen:
        text += "; no review falls due before then: consider an additional review"
    return text


def past_eighteen(eighteen: str, child_id: str) -> str:
    """R-SCH-11: a period of care still open past the 18th birthday."""
    return (
        f"period of care still open past the 18th birthday ({eighteen}): record the end of "
        f"care with 'reviewcli episode end {child_id}'"
    )


def short(text: str | None, limit: int = 80) -> str | None:
    """A decision's text on one line, cut to ``limit`` characters."""
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def starred(decision_id: int, text: str | None) -> str:
    """R-POST-7: a starred decision to forward."""
    return (
        f"forward starred decision {decision_id} to the social worker and managers: {short(text)}"
    )


def action(is_starred, decision_id: int, owner: str | None, text: str | None) -> str:
    """§4: an open decision of a review."""
    return f"{'starred ' if is_starred else ''}decision {decision_id} ({owner}): {short(text)}"


def event_label(kind: str) -> str:
    return EVENT_KINDS.get(kind, kind)


def event(requires_review, kind: str, event_date: str, event_id: int) -> str:
    """R-EVT-2 (a review before a planned change) or R-EVT-1 (the IRO's decision)."""
    what = event_label(kind)
    if requires_review:
        return (
            f"hold a review before the {what} (planned {event_date}) is implemented; "
            f"event {event_id}"
        )
    return f"IRO to decide whether the {what} of {event_date} needs a review; event {event_id}"


def stage_name(names, stage: int) -> str:
    """A dispute stage's name from the policy's list (beyond it: 'stage N')."""
    return names[stage - 1] if 1 <= stage <= len(names) else f"stage {stage}"


def dispute(
    dispute_id: int,
    stage: int,
    awaiting: bool,
    names,
    opened_on: str,
    over_time: bool,
    total_days: int = 20,
) -> str:
    """§6: an open dispute, awaiting a response at its stage or past the whole process's
    time (``over_time``: more than ``total_days`` working days since ``opened_on``)."""
    text = f"dispute {dispute_id} at stage {stage}"
    text += f" ({stage_name(names, stage)}): response due" if awaiting else ": unresolved"
    if over_time:
        text += f"; the internal process has passed {total_days} working days (since {opened_on})"
    return text
