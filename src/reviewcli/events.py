"""Significant events (DOMAIN.md §5, R-EVT-1 and R-EVT-2).

R-EVT-1: the social worker reports an event; the IRO decides whether a review is needed,
and records the decision with its reason when it is not (IRO Handbook 3.74–3.76).
R-EVT-2: for some changes a review must be held *before* the change is implemented
(IRO Handbook 3.77): such an event stays on the work list until a review is held.
"""

from __future__ import annotations

from datetime import date

from .codes import EVENT_KIND_ALIASES, REPORTABLE, REVIEW_FIRST  # noqa: F401 (listed by 'event kinds')
from .codes import EVENT_KINDS as KINDS
from .errors import ReviewError
from .migrations import now_iso
from .records import (
    Outcome,
    _text,
    direct_review,
    get_by_id,
    get_child,
    parse_date,
    require_open_period,
)
from .rules import event_decision_due


def get_event(store, event_id) -> dict:
    return get_by_id(store, "events", "event", event_id, "event list")


def add_event(store, child_id, kind, *, on, today, note=None) -> Outcome:
    get_child(store, child_id)
    kind = (kind or "").strip().lower()
    kind = EVENT_KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ReviewError(f"unknown event kind {kind!r}; kinds: {', '.join(KINDS)}")
    day = parse_date(on)
    note = _text(note, "note", limit=4000)
    period = require_open_period(store, child_id)
    if day < date.fromisoformat(period["start_date"]):
        raise ReviewError(f"{day} is before the period of care began ({period['start_date']})")
    review_first = kind in REVIEW_FIRST
    if not review_first and day > today:
        raise ReviewError(f"{day} is in the future; record an event once it has happened")
    held = store.value(
        "SELECT COUNT(*) FROM reviews WHERE period_id = ? AND status = 'held'", [period["id"]]
    )
    with store.write():
        event_id = (
            store.db["events"]
            .insert(
                {
                    "child_id": child_id,
                    "period_id": period["id"],
                    "kind": kind,
                    "event_date": day.isoformat(),
                    "recorded_on": today.isoformat(),
                    "note": note,
                    "requires_review": int(review_first),
                    "reviews_before": held,
                    "decision_due": None
                    if review_first
                    else event_decision_due(
                        today, store.policy_values["event-decision-days"], store.calendar
                    ).isoformat(),
                    "created_at": now_iso(),
                }
            )
            .last_pk
        )
    if review_first:
        msg = (
            f"Event {event_id} for {child_id}: {KINDS[kind]} planned for {day}; a review must be "
            "held before it is implemented (R-EVT-2)."
        )
    else:
        msg = (
            f"Event {event_id} for {child_id}: {KINDS[kind]} on {day}; the IRO decides whether a "
            "review is needed (R-EVT-1)."
        )
    return Outcome(event_row(store, event_id), msg)


def decide_event(store, event_id, *, review: bool, reason, today, by=None) -> Outcome:
    """The IRO's decision on a reported event: a directed review, or no review and why."""
    event = get_event(store, event_id)
    if event["decision"]:
        raise ReviewError(f"event {event['id']} was decided on {event['decided_on']}")
    if event["requires_review"] and not review:
        raise ReviewError(
            f"a review must be held before the {KINDS[event['kind']]} (R-EVT-2); it cannot be "
            "decided 'no review'"
        )
    reason = _text(reason, "reason", required=True, limit=2000)
    if review and not by:
        raise ReviewError("a directed review needs --by DATE")
    if not review and by:
        raise ReviewError("--by belongs to a directed review (--review)")
    with store.write():
        direction = None
        if review:
            direction = direct_review(
                store,
                event["child_id"],
                by=by,
                today=today,
                reason=f"{KINDS[event['kind']]}: {reason}",
            )
        store.conn.execute(
            "UPDATE events SET decision = ?, decision_reason = ?, decided_on = ?, "
            "direction_id = ? WHERE id = ?",
            [
                "review" if review else "no-review",
                reason,
                today.isoformat(),
                direction.obj["id"] if direction else None,
                event["id"],
            ],
        )
    if review:
        msg = f"Event {event['id']}: review directed by {by} (R-SCH-4)."
        warnings = direction.warnings
    else:
        msg = f"Event {event['id']}: no review needed, reason recorded (R-EVT-1)."
        warnings = []
    return Outcome(event_row(store, event["id"]), msg, warnings)


def event_row(store, event_id: int) -> dict:
    return next(iter(event_rows(store, event_id=event_id)))


# Whether a review has been held since the event was recorded (R-EVT-2).
_REVIEW_HELD = """(
    (SELECT COUNT(*) FROM reviews r WHERE r.period_id = e.period_id AND r.status = 'held')
        > e.reviews_before
    AND (SELECT MAX(recording_date) FROM reviews r
         WHERE r.period_id = e.period_id AND r.status = 'held') >= e.recorded_on)"""


def _shape(r: dict) -> dict:
    r["requires_review"] = bool(r["requires_review"])
    r["review_held"] = bool(r["review_held"])
    r["label"] = KINDS.get(r["kind"], r["kind"])
    r["rule"] = "R-EVT-2" if r["requires_review"] else "R-EVT-1"
    r["open"] = (not r["review_held"]) if r["requires_review"] else r["decision"] is None
    return r


def event_rows(store, *, child=None, event_id=None, open_only=False):
    """Events, read as they are iterated (a ``store.Listing``)."""
    from .store import Listing

    source = "FROM events e WHERE 1 = 1"
    params: list = []
    if child:
        source += " AND e.child_id = ?"
        params.append(child)
    if event_id is not None:
        source += " AND e.id = ?"
        params.append(event_id)
    if open_only:
        # The SQL of _shape's "open", so the listing can be counted without building it.
        source += (
            f" AND CASE WHEN e.requires_review THEN NOT COALESCE({_REVIEW_HELD}, 0) "
            "ELSE e.decision IS NULL END"
        )
    return Listing(
        store,
        "e.id, e.child_id, e.kind, e.event_date, e.recorded_on, e.note, e.requires_review, "
        "e.decision_due, e.decision, e.decision_reason, e.decided_on, e.direction_id, "
        f"{_REVIEW_HELD} AS review_held",
        source,
        params,
        tail="ORDER BY e.event_date, e.id",
        shape=_shape,
    )
