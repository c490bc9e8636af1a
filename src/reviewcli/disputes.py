"""The dispute resolution (escalation) log (DOMAIN.md §6; IRO Handbook chapter 6).

When the IRO's concern is not resolved informally it is escalated by stages, each with a
response deadline (policy: six stages by default, 5 working days at stages 1–3); the
whole internal process should take no more than 20 working days. A Cafcass referral may
be made at any stage. Every step is logged (an "outcome resolution log").
"""

from __future__ import annotations

from datetime import date

from . import wording
from .errors import ReviewError
from .migrations import now_iso
from .records import Outcome, _text, get_by_id, get_child, parse_date
from .rules import dispute_response_due, dispute_total_due

RULE = "§6"


def stage_name(store, stage: int) -> str:
    return wording.stage_name(store.policy_values["dispute-stages"], stage)


def response_due(store, stage: int, started: date) -> date | None:
    return dispute_response_due(
        stage, started, store.policy_values["dispute-response-days"], store.calendar
    )


def _stage(store, stage) -> int:
    names = store.policy_values["dispute-stages"]
    try:
        n = int(stage)
    except (TypeError, ValueError):
        raise ReviewError(f"stage must be a number from 1 to {len(names)}") from None
    if not 1 <= n <= len(names):
        raise ReviewError(
            f"stage must be from 1 to {len(names)}: "
            + ", ".join(f"{i} {name}" for i, name in enumerate(names, 1))
        )
    return n


def get_dispute(store, dispute_id) -> dict:
    return get_by_id(store, "disputes", "dispute", dispute_id, "dispute list")


def _open(store, dispute_id) -> dict:
    row = get_dispute(store, dispute_id)
    if row["status"] != "open":
        raise ReviewError(f"dispute {row['id']} was resolved on {row['resolved_on']}")
    return row


def _log(store, dispute_id, on: date, action, stage=None, note=None) -> None:
    store.conn.execute(
        "INSERT INTO dispute_log (dispute_id, on_date, action, stage, note, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [dispute_id, on.isoformat(), action, stage, note, now_iso()],
    )


def _day(value, today: date) -> date:
    day = parse_date(value, "--date") if value else today
    if day > today:
        raise ReviewError(f"{day} is in the future")
    return day


def open_dispute(
    store, child_id, *, issue, today, decision=None, stage=1, on=None, theme=None
) -> Outcome:
    from .casefacts import DISPUTE_THEMES, check

    get_child(store, child_id)
    issue = _text(issue, "issue", required=True, limit=4000)
    theme = check("dispute theme", theme, DISPUTE_THEMES, "--theme")
    n = _stage(store, stage)
    day = _day(on, today)
    if decision is not None:
        from .decisions import get_decision

        d = get_decision(store, decision)
        if d["child_id"] != child_id:
            raise ReviewError(f"decision {d['id']} belongs to {d['child_id']}, not {child_id}")
        decision = d["id"]
    with store.write():
        dispute_id = (
            store.db["disputes"]
            .insert(
                {
                    "child_id": child_id,
                    "decision_id": decision,
                    "issue": issue,
                    "stage": n,
                    "stage_started": day.isoformat(),
                    "awaiting_response": 1,
                    "response_due": _iso(response_due(store, n, day)),
                    "opened_on": day.isoformat(),
                    "total_due": dispute_total_due(
                        day, store.policy_values["dispute-total-days"], store.calendar
                    ).isoformat(),
                    "status": "open",
                    "theme": theme,
                    "created_at": now_iso(),
                }
            )
            .last_pk
        )
        _log(store, dispute_id, day, "open", n, issue)
    due = response_due(store, n, day)
    msg = f"Dispute {dispute_id} opened at stage {n} ({stage_name(store, n)})"
    msg += f"; response due by {due}." if due else "."
    return Outcome(dispute_row(store, dispute_id, today), msg)


def escalate(store, dispute_id, *, stage, today, note=None, on=None) -> Outcome:
    row = _open(store, dispute_id)
    n = _stage(store, stage)
    if n <= row["stage"]:
        raise ReviewError(
            f"dispute {row['id']} is at stage {row['stage']}; escalate to a later stage "
            "(the IRO may skip stages)"
        )
    day = _day(on, today)
    if day.isoformat() < row["stage_started"]:
        raise ReviewError(f"{day} is before the current stage began ({row['stage_started']})")
    note = _text(note, "note", limit=4000)
    with store.write():
        store.conn.execute(
            "UPDATE disputes SET stage = ?, stage_started = ?, awaiting_response = 1, "
            "response_due = ? WHERE id = ?",
            [n, day.isoformat(), _iso(response_due(store, n, day)), row["id"]],
        )
        _log(store, row["id"], day, "escalate", n, note)
    due = response_due(store, n, day)
    msg = f"Dispute {row['id']} escalated to stage {n} ({stage_name(store, n)})"
    msg += f"; response due by {due}." if due else "."
    return Outcome(dispute_row(store, row["id"], today), msg)


def respond(store, dispute_id, *, note, today, on=None) -> Outcome:
    row = _open(store, dispute_id)
    if not row["awaiting_response"]:
        raise ReviewError(f"dispute {row['id']} is not awaiting a response")
    note = _text(note, "response", required=True, limit=4000)
    day = _day(on, today)
    if day.isoformat() < row["stage_started"]:
        raise ReviewError(f"{day} is before the current stage began ({row['stage_started']})")
    with store.write():
        store.conn.execute(
            "UPDATE disputes SET awaiting_response = 0, response_due = NULL WHERE id = ?",
            [row["id"]],
        )
        _log(store, row["id"], day, "respond", row["stage"], note)
    due = row["response_due"]
    late = f", late (due {due})" if due and day.isoformat() > due else ""
    return Outcome(
        dispute_row(store, row["id"], today),
        f"Dispute {row['id']}: response at stage {row['stage']} recorded{late}.",
    )


def resolve(store, dispute_id, *, outcome, today, on=None, result=None) -> Outcome:
    from .casefacts import DISPUTE_RESULTS, check

    row = _open(store, dispute_id)
    outcome = _text(outcome, "outcome", required=True, limit=4000)
    result = check("dispute result", result, DISPUTE_RESULTS, "--result")
    day = _day(on, today)
    if day.isoformat() < row["opened_on"]:
        raise ReviewError(f"{day} is before the dispute was opened ({row['opened_on']})")
    with store.write():
        store.conn.execute(
            "UPDATE disputes SET status = 'resolved', outcome = ?, result = ?, resolved_on = ?, "
            "awaiting_response = 0, response_due = NULL WHERE id = ?",
            [outcome, result, day.isoformat(), row["id"]],
        )
        _log(store, row["id"], day, "resolve", row["stage"], outcome)
    took = store.calendar.working_days_between(date.fromisoformat(row["opened_on"]), day)
    return Outcome(
        dispute_row(store, row["id"], today),
        f"Dispute {row['id']} resolved after {took} working days.",
    )


def refer_cafcass(store, dispute_id, *, today, note=None, on=None) -> Outcome:
    row = _open(store, dispute_id)
    if row["cafcass_referred_on"]:
        raise ReviewError(
            f"dispute {row['id']} was referred to Cafcass on {row['cafcass_referred_on']}"
        )
    day = _day(on, today)
    note = _text(note, "note", limit=4000)
    with store.write():
        store.conn.execute(
            "UPDATE disputes SET cafcass_referred_on = ? WHERE id = ?", [day.isoformat(), row["id"]]
        )
        _log(store, row["id"], day, "cafcass", row["stage"], note)
    return Outcome(
        dispute_row(store, row["id"], today), f"Dispute {row['id']} referred to Cafcass on {day}."
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _shape(store, row: dict, today: date) -> dict:
    row["stage_name"] = stage_name(store, row["stage"])
    row["awaiting_response"] = bool(row["awaiting_response"])
    end = date.fromisoformat(row["resolved_on"]) if row["resolved_on"] else today
    row["working_days"] = store.calendar.working_days_between(
        date.fromisoformat(row["opened_on"]), end
    )
    # The same test as the work list: the 20-working-day date has passed unresolved.
    row["over_time"] = (row["resolved_on"] or today.isoformat()) > row["total_due"]
    return row


def dispute_row(store, dispute_id: int, today: date) -> dict:
    row = _shape(store, store.row("SELECT * FROM disputes WHERE id = ?", [dispute_id]), today)
    row["log"] = store.rows(
        "SELECT on_date, action, stage, note FROM dispute_log WHERE dispute_id = ? ORDER BY id",
        [dispute_id],
    )
    return row


def dispute_rows(store, today: date, *, status=None, child=None):
    """Disputes, read as they are iterated (a ``store.Listing``)."""
    from .store import Listing

    source = "FROM disputes WHERE 1 = 1"
    params: list = []
    if status:
        source += " AND status = ?"
        params.append(status)
    if child:
        source += " AND child_id = ?"
        params.append(child)
    return Listing(
        store,
        "*",
        source,
        params,
        tail="ORDER BY opened_on, id",
        shape=lambda r: _shape(store, r, today),
    )
