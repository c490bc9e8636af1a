"""Review decisions and the actions that follow them (DOMAIN.md §4, R-POST-7).

Every decision has its text, the person responsible, a due date and a status. A
decision past its due date and not done is an overdue action: what admins chase.
"""

from __future__ import annotations

from datetime import date

from .errors import ReviewError
from .migrations import now_iso
from .records import Outcome, _text, get_by_id, get_review, parse_date
from .steps import starred_forward_due

# The three categories of a starred decision (local procedure).
STAR_CATEGORIES = {
    "care-plan": "significant action in the care plan",
    "resources": "accessing resources",
    "practice": "poor practice",
}


def get_decision(store, decision_id) -> dict:
    return get_by_id(store, "decisions", "decision", decision_id, "actions")


def _log(store, decision_id, action, old_due=None, new_due=None, reason=None) -> None:
    store.conn.execute(
        "INSERT INTO decision_changes (decision_id, at, action, old_due, new_due, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [decision_id, now_iso(), action, old_due, new_due, reason],
    )


def add_decision(
    store,
    review_id,
    text,
    *,
    owner,
    due,
    today,
    starred=False,
    star_category=None,
    child_text=None,
) -> Outcome:
    review = get_review(store, review_id)
    if review["status"] != "held":
        raise ReviewError(
            f"review {review['id']} is {review['status']}; decisions are recorded for a held "
            "review ('reviewcli review hold' first)"
        )
    text = _text(text, "decision text", required=True, limit=4000)
    owner = _text(owner, "owner", required=True, limit=200)
    child_text = _text(child_text, "child-friendly text", limit=1000)
    due_d = parse_date(due, "due date")
    recording = date.fromisoformat(review["recording_date"])
    if due_d < recording:
        raise ReviewError(f"due date {due_d} is before the review ({recording})")
    if star_category is not None:
        star_category = star_category.strip().lower()
        if star_category not in STAR_CATEGORIES:
            raise ReviewError(
                f"unknown star category {star_category!r}; use {', '.join(STAR_CATEGORIES)}"
            )
        starred = True
    # R-POST-7 counts from the review's completion (its reconvened meeting if adjourned).
    completed = date.fromisoformat(review["held_date"] or review["recording_date"])
    forward_due = starred_forward_due(completed).isoformat() if starred else None
    stamp = now_iso()
    with store.write():
        decision_id = (
            store.db["decisions"]
            .insert(
                {
                    "review_id": review["id"],
                    "child_id": review["child_id"],
                    "text": text,
                    "owner": owner,
                    "due": due_d.isoformat(),
                    "starred": int(bool(starred)),
                    "star_category": star_category,
                    "status": "open",
                    "forward_due": forward_due,
                    "child_text": child_text,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            .last_pk
        )
        _log(store, decision_id, "add", None, due_d.isoformat(), None)
    warnings = []
    if due_d < today:
        warnings.append(f"due date {due_d} has already passed: the action is overdue")
    msg = f"Decision {decision_id} for {review['child_id']}: {owner}, due {due_d}"
    if starred:
        msg += f"; starred, to be forwarded by {forward_due} (R-POST-7)"
    return Outcome(decision_row(store, decision_id, today), msg + ".", warnings)


def _open(store, decision_id) -> dict:
    row = get_decision(store, decision_id)
    if row["status"] != "open":
        raise ReviewError(f"decision {row['id']} is {row['status']}")
    return row


def _action_date(store, row: dict, on, today: date) -> date:
    """The date something was done about a decision: not in the future, nor before the
    review that made it."""
    day = parse_date(on, "--date") if on else today
    if day > today:
        raise ReviewError(f"{day} is in the future")
    recording = store.value("SELECT recording_date FROM reviews WHERE id = ?", [row["review_id"]])
    if day.isoformat() < recording:
        raise ReviewError(f"{day} is before the review that made the decision ({recording})")
    return day


def complete_decision(store, decision_id, *, on=None, today) -> Outcome:
    row = _open(store, decision_id)
    day = _action_date(store, row, on, today)
    with store.write():
        store.conn.execute(
            "UPDATE decisions SET status = 'done', done_on = ?, updated_at = ? WHERE id = ?",
            [day.isoformat(), now_iso(), row["id"]],
        )
        _log(store, row["id"], "done", row["due"], None, None)
    late = day.isoformat() > row["due"]
    return Outcome(
        decision_row(store, row["id"], today),
        f"Decision {row['id']} done on {day}"
        + (f", after its due date {row['due']}." if late else "."),
    )


def edit_decision(
    store, decision_id, *, due=None, owner=None, text=None, reason, today, child_text=None
):
    row = _open(store, decision_id)
    reason = _text(reason, "reason", required=True, limit=1000)
    new_due = parse_date(due, "due date") if due else None
    owner = _text(owner, "owner", limit=200)
    text = _text(text, "decision text", limit=4000)
    child_text = _text(child_text, "child-friendly text", limit=1000)
    if new_due is None and owner is None and text is None and child_text is None:
        raise ReviewError("nothing to change: give --due, --owner, --text and/or --child-text")
    recording = store.value("SELECT recording_date FROM reviews WHERE id = ?", [row["review_id"]])
    if new_due and new_due.isoformat() < recording:
        raise ReviewError(f"due date {new_due} is before the review ({recording})")
    with store.write():
        store.conn.execute(
            "UPDATE decisions SET due = COALESCE(?, due), owner = COALESCE(?, owner), "
            "text = COALESCE(?, text), child_text = COALESCE(?, child_text), updated_at = ? "
            "WHERE id = ?",
            [
                new_due.isoformat() if new_due else None,
                owner,
                text,
                child_text,
                now_iso(),
                row["id"],
            ],
        )
        _log(store, row["id"], "edit", row["due"], new_due.isoformat() if new_due else None, reason)
    msg = f"Decision {row['id']} changed"
    if new_due:
        msg += f": due {row['due']} → {new_due}"
    return Outcome(decision_row(store, row["id"], today), msg + f" ({reason}).")


def cancel_decision(store, decision_id, *, reason, today) -> Outcome:
    row = _open(store, decision_id)
    reason = _text(reason, "reason", required=True, limit=1000)
    with store.write():
        store.conn.execute(
            "UPDATE decisions SET status = 'cancelled', cancel_reason = ?, updated_at = ? "
            "WHERE id = ?",
            [reason, now_iso(), row["id"]],
        )
        _log(store, row["id"], "cancel", row["due"], None, reason)
    return Outcome(decision_row(store, row["id"], today), f"Decision {row['id']} cancelled.")


def forward_decision(store, decision_id, *, on=None, today) -> Outcome:
    """R-POST-7: a starred decision forwarded to the social worker and managers."""
    row = get_decision(store, decision_id)
    if not row["starred"]:
        raise ReviewError(f"decision {row['id']} is not starred; only starred ones are forwarded")
    if row["forwarded_on"]:
        raise ReviewError(f"decision {row['id']} was forwarded on {row['forwarded_on']}")
    if row["status"] == "cancelled":
        raise ReviewError(f"decision {row['id']} was cancelled")
    day = _action_date(store, row, on, today)
    with store.write():
        store.conn.execute(
            "UPDATE decisions SET forwarded_on = ?, updated_at = ? WHERE id = ?",
            [day.isoformat(), now_iso(), row["id"]],
        )
        _log(store, row["id"], "forward", None, None, None)
    late = day.isoformat() > row["forward_due"]
    return Outcome(
        decision_row(store, row["id"], today),
        f"Starred decision {row['id']} forwarded on {day}"
        + (f", late (due {row['forward_due']}, R-POST-7)." if late else " (R-POST-7)."),
    )


_COLUMNS = """
d.id, d.review_id, d.child_id, d.text, d.owner, d.due, d.starred, d.star_category,
d.status, d.done_on, d.cancel_reason, d.forward_due, d.forwarded_on,
c.first_name || ' ' || c.last_name AS name, a.iro_id AS iro"""
_FROM = """
FROM decisions d
JOIN children c ON c.id = d.child_id
LEFT JOIN allocations a ON a.child_id = d.child_id AND a.end_date IS NULL
"""
_SELECT = "SELECT" + _COLUMNS + _FROM


def _shape(row: dict, today: date) -> dict:
    row["starred"] = bool(row["starred"])
    row["overdue"] = row["status"] == "open" and row["due"] < today.isoformat()
    return row


def decision_row(store, decision_id: int, today: date) -> dict:
    row = store.row(_SELECT + " WHERE d.id = ?", [decision_id])
    out = _shape(row, today)
    out["history"] = store.rows(
        "SELECT at, action, old_due, new_due, reason FROM decision_changes "
        "WHERE decision_id = ? ORDER BY id",
        [decision_id],
    )
    return out


def decision_lines(decision: dict, width: int) -> list[str]:
    """``decision_row`` as the lines of a page ``width`` cells wide: each field on its own
    line, long text wrapped at word boundaries beside its label (the history follows as a
    table; see ``history_rows``)."""
    from .output import wrap

    state = decision["status"]
    if state == "done":
        state = f"done on {decision['done_on']}"
    elif state == "cancelled":
        state = "cancelled" + (
            f": {decision['cancel_reason']}" if decision.get("cancel_reason") else ""
        )
    elif decision["overdue"]:
        state = f"open, overdue since {decision['due']}"
    starred = "no"
    if decision["starred"]:
        starred = "yes" + (
            f" ({decision['star_category']})" if decision.get("star_category") else ""
        )
    child = f"{decision['child_id']} {decision['name']}".strip()
    fields = [
        ("Child", child + (f" (IRO {decision['iro']})" if decision.get("iro") else "")),
        ("Review", str(decision["review_id"])),
        ("Decision", decision["text"]),
    ]
    if decision.get("child_text"):
        fields.append(("For child", decision["child_text"]))
    fields += [
        ("Owner", decision["owner"] or ""),
        ("Due", decision["due"]),
        ("Starred", starred),
        ("Status", state),
    ]
    if decision.get("forwarded_on"):
        fields.append(
            (
                "Forwarded",
                f"to the managers on {decision['forwarded_on']} (R-POST-7: by "
                f"{decision['forward_due']})",
            )
        )
    elif decision["starred"] and decision.get("forward_due"):
        fields.append(
            ("Forwarded", f"not yet: to the managers by {decision['forward_due']} (R-POST-7)")
        )
    label_w = len("Forwarded: ")  # the longest label: the values line up on every page
    room = max(20, width - label_w)
    lines = [f"Decision {decision['id']}"]
    for label, value in fields:
        parts = wrap(str(value), room) or [""]
        lines.append(f"{label + ':':<{label_w}}{parts[0]}")
        lines += [" " * label_w + part for part in parts[1:]]
    return lines


def history_rows(decision: dict) -> list[dict]:
    """The decision's changes for the history table: when (to the minute), what, the due
    date before and after, and why."""
    return [
        {
            "at": (h["at"] or "")[:16].replace("T", " "),
            "action": h["action"],
            "old_due": h["old_due"],
            "new_due": h["new_due"],
            "reason": h["reason"],
        }
        for h in decision["history"]
    ]


def action_rows(
    store,
    today: date,
    *,
    overdue=False,
    owner=None,
    child=None,
    starred=False,
    status="open",
    review=None,
):
    """Decisions as actions, for ``reviewcli actions`` (JSON keys of CLI.md), read as
    they are iterated (a ``store.Listing``)."""
    from .store import Listing

    sql = _FROM + " WHERE 1 = 1"
    params: list = []
    if status != "all":
        sql += " AND d.status = ?"
        params.append(status)
    if overdue:
        sql += " AND d.status = 'open' AND d.due < ?"
        params.append(today.isoformat())
    if owner:
        sql += " AND d.owner = ? COLLATE NOCASE"
        params.append(owner)
    if child:
        sql += " AND d.child_id = ?"
        params.append(child)
    if starred:
        sql += " AND d.starred = 1"
    if review is not None:
        sql += " AND d.review_id = ?"
        params.append(review)
    return Listing(
        store,
        _COLUMNS,
        sql,
        params,
        tail="ORDER BY d.due, d.child_id, d.id",
        shape=lambda row: _shape(row, today),
    )
