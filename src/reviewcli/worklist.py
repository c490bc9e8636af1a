"""The daily work list (``reviewcli due``) and the read-only views behind listings.

Everything here reads the store and returns plain dicts in the shapes of CLI.md; the
CLI only formats them. Deadlines come from the schedule materialised on each open
period, so the list is a handful of indexed queries over open periods only.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import rules
from .calendar import age_on
from .store import Store

KINDS = (
    "review",
    "allocation",
    "consultation",
    "invitations",
    "reports",
    "sw-conversation",
    "iro-visit",
    "monitoring-form",
    "decisions",
    "manager-response",
    "care-plan",
    "record",
    "distribution",
    "starred",
    "action",
    "event",
    "dispute",
    "pathway-plan",
    "data",
)
STEP_KINDS = KINDS[2:13]


def latest_dob_for_age(on: date, years: int) -> date:
    """The latest date of birth of someone who is at least ``years`` old on ``on``."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February: someone born 28 February has had the birthday
        return date(on.year - years, 2, 28)


_OPEN = """
SELECT p.id AS period_id, p.child_id, p.start_date, p.next_number, p.next_due, p.next_rule,
       p.next_earliest, p.next_detail, p.allocation_due, p.pathway_due, p.pathway_plan_received,
       c.first_name, c.last_name, c.dob, c.team, a.iro_id, a.start_date AS allocated_on
FROM periods p
JOIN children c ON c.id = p.child_id
LEFT JOIN allocations a ON a.child_id = p.child_id AND a.end_date IS NULL
WHERE p.end_date IS NULL
"""


def _item(kind, row, due: str, on: date, rule: str, detail: str, review_id=None) -> dict:
    return {
        "kind": kind,
        "child_id": row["child_id"],
        "due": due,
        "overdue": date.fromisoformat(due) < on,
        "review_id": review_id,
        "rule": rule,
        "detail": detail,
        "name": f"{row['first_name']} {row['last_name']}",
        "iro": row["iro_id"],
        "team": row["team"],
    }


def due_items(
    store: Store,
    on: date,
    within: int = 30,
    *,
    iro: str | None = None,
    team: str | None = None,
    kinds: set[str] | None = None,
) -> list[dict]:
    """Every outstanding item due on or before ``on + within`` days, overdue ones included."""
    limit = (on + timedelta(days=within)).isoformat()
    adult_dob = latest_dob_for_age(on, 18).isoformat()
    filters, params = [], []
    if iro:
        filters.append("a.iro_id = ?")
        params.append(iro)
    if team:
        filters.append("c.team = ?")
        params.append(team)
    where = "".join(f" AND {f}" for f in filters)
    want = set(kinds) if kinds else set(KINDS)
    items: list[dict] = []

    if "review" in want:
        sql = _OPEN + where + " AND p.next_due <= ? AND c.dob > ?"
        rows = store.rows(sql, [*params, limit, adult_dob])
        pending = _pending_reviews(store, [r["period_id"] for r in rows])
        for r in rows:
            items.append(_review_item(r, pending.get(r["period_id"]), on))

    if "allocation" in want:
        sql = (
            _OPEN.replace(
                "FROM periods p",
                ", (SELECT MAX(x.end_date) FROM allocations x WHERE x.child_id = p.child_id "
                "AND x.start_date >= p.start_date) AS ended FROM periods p",
            )
            + where
            + " AND a.id IS NULL AND c.dob > ?"
        )
        for r in store.rows(sql, [*params, adult_dob]):
            ended = r["ended"]
            if ended:
                due, detail = ended, f"no named IRO since {ended}: allocate one now"
            else:
                due = r["allocation_due"]
                detail = (
                    f"name an IRO: looked after since {r['start_date']}, within 5 working days "
                    "and before the first review"
                )
            if due <= limit:
                items.append(_item("allocation", r, due, on, rules.ALLOCATION, detail))

    if "pathway-plan" in want:
        sql = (
            _OPEN + where + " AND p.pathway_due <= ? AND c.dob > ? "
            "AND p.pathway_plan_received IS NULL"
        )
        for r in store.rows(sql, [*params, limit, adult_dob]):
            eighteen = rules.eighteenth_birthday(date.fromisoformat(r["dob"]))
            detail = f"final pathway plan to the IRO, 20 working days before 18 on {eighteen}"
            if r["next_due"] and date.fromisoformat(r["next_due"]) > eighteen:
                detail += "; no review falls due before then: consider an additional review"
            items.append(
                _item("pathway-plan", r, r["pathway_due"], on, rules.APPROACHING_18, detail)
            )

    if "data" in want:
        sql = _OPEN + where + " AND c.dob <= ?"
        for r in store.rows(sql, [*params, adult_dob]):
            eighteen = rules.eighteenth_birthday(date.fromisoformat(r["dob"]))
            items.append(
                _item(
                    "data",
                    r,
                    eighteen.isoformat(),
                    on,
                    rules.END_OF_CARE,
                    f"period of care still open past the 18th birthday ({eighteen}): record "
                    f"the end of care with 'reviewcli episode end {r['child_id']}'",
                )
            )

    child_filter = "".join(f" AND {f}" for f in filters)
    cp = params
    _CHILD = (
        " JOIN children c ON c.id = {t}.child_id"
        " LEFT JOIN allocations a ON a.child_id = {t}.child_id AND a.end_date IS NULL"
    )
    _NAMES = "c.first_name, c.last_name, c.team, a.iro_id"

    step_kinds = want & set(STEP_KINDS)
    if step_kinds:
        from .steps import STEPS

        tasks = sorted(step_kinds - {"manager-response"})
        marks = ",".join("?" * len(tasks))
        select = (
            f"SELECT s.*, r.booked_date, r.recording_date, r.number, {_NAMES} FROM review_steps s "
            "{hint} JOIN reviews r ON r.id = s.review_id" + _CHILD.format(t="s")
        )
        rows = []
        if tasks:
            # The partial index of open steps: an index on every step by kind and date would
            # read the done ones too, millions of rows in a national database.
            rows += store.rows(
                select.format(hint="INDEXED BY review_steps_open_tasks")
                + " WHERE s.status = 'open' AND s.step != 'manager-response' "
                f"AND s.due <= ? AND s.step IN ({marks})" + child_filter,
                [limit, *tasks, *cp],
            )
        if "manager-response" in step_kinds:
            # Only while the window is open: after it the decisions are deemed agreed.
            rows += store.rows(
                select.format(hint="INDEXED BY review_steps_open_responses")
                + " WHERE s.status = 'open' AND s.step = 'manager-response' "
                "AND s.due <= ? AND s.due >= ?" + child_filter,
                [limit, on.isoformat(), *cp],
            )
        for r in rows:
            step = STEPS[r["step"]]
            label = f"{rules.ordinal(r['number'])} review" if r["number"] else "review"
            if step.phase == "pre":
                detail = f"{step.label}: {label} on {r['booked_date']}"
            else:
                detail = f"{step.label}: {label} of {r['recording_date']}"
            if r["step"] == "manager-response":
                detail += "; silence after this date means the decisions are deemed agreed"
            items.append(_item(r["step"], r, r["due"], on, r["rule"], detail, r["review_id"]))

    if "starred" in want:
        sql = (
            f"SELECT d.*, {_NAMES} FROM decisions d"
            + _CHILD.format(t="d")
            + " WHERE d.starred = 1 AND d.forwarded_on IS NULL AND d.status != 'cancelled'"
            " AND d.forward_due <= ?" + child_filter
        )
        for r in store.rows(sql, [limit, *cp]):
            items.append(
                _item(
                    "starred",
                    r,
                    r["forward_due"],
                    on,
                    "R-POST-7",
                    f"forward starred decision {r['id']} to the social worker and managers: "
                    f"{_short(r['text'])}",
                    r["review_id"],
                )
            )

    if "action" in want:
        lead = store.policy_values["action-reminder-days"]
        action_limit = min(limit, (on + timedelta(days=lead)).isoformat())
        sql = (
            f"SELECT d.*, {_NAMES} FROM decisions d"
            + _CHILD.format(t="d")
            + " WHERE d.status = 'open' AND d.due <= ?"
            + child_filter
        )
        for r in store.rows(sql, [action_limit, *cp]):
            star = "starred " if r["starred"] else ""
            item = _item(
                "action",
                r,
                r["due"],
                on,
                "§4",
                f"{star}decision {r['id']} ({r['owner']}): {_short(r['text'])}",
                r["review_id"],
            )
            item["decision_id"] = r["id"]
            items.append(item)

    if "event" in want:
        from .events import KINDS as EVENT_KINDS

        sql = (
            f"SELECT e.*, {_NAMES}, "
            "(SELECT COUNT(*) FROM reviews r WHERE r.period_id = e.period_id "
            " AND r.status = 'held' AND r.recording_date >= e.recorded_on) AS later_reviews, "
            "(SELECT COUNT(*) FROM reviews r WHERE r.period_id = e.period_id "
            " AND r.status = 'held') AS held "
            "FROM events e JOIN periods p ON p.id = e.period_id AND p.end_date IS NULL"
            + _CHILD.format(t="e")
            + " WHERE ((e.requires_review = 0 AND e.decision IS NULL AND e.decision_due <= ?)"
            " OR (e.requires_review = 1 AND e.event_date <= ?))" + child_filter
        )
        for r in store.rows(sql, [limit, limit, *cp]):
            what = EVENT_KINDS.get(r["kind"], r["kind"])
            if r["requires_review"]:
                if r["later_reviews"] and r["held"] > r["reviews_before"]:
                    continue
                items.append(
                    _item(
                        "event",
                        r,
                        r["event_date"],
                        on,
                        "R-EVT-2",
                        f"hold a review before the {what} (planned "
                        f"{r['event_date']}) is implemented; event {r['id']}",
                    )
                )
            else:
                items.append(
                    _item(
                        "event",
                        r,
                        r["decision_due"],
                        on,
                        "R-EVT-1",
                        f"IRO to decide whether the {what} of {r['event_date']} "
                        f"needs a review; event {r['id']}",
                    )
                )

    if "dispute" in want:
        from .disputes import stage_name

        sql = (
            f"SELECT d.*, {_NAMES} FROM disputes d"
            + _CHILD.format(t="d")
            + " WHERE d.status = 'open' AND ((d.awaiting_response = 1 AND d.response_due <= ?)"
            " OR d.total_due < ?)" + child_filter
        )
        for r in store.rows(sql, [limit, on.isoformat(), *cp]):
            over = r["total_due"] < on.isoformat()
            if r["awaiting_response"] and r["response_due"]:
                due = r["response_due"]
                detail = (
                    f"dispute {r['id']} at stage {r['stage']} ({stage_name(store, r['stage'])}): "
                    f"response due"
                )
            else:
                due = r["total_due"]
                detail = f"dispute {r['id']} at stage {r['stage']}: unresolved"
            if over:
                detail += (
                    f"; the internal process has passed 20 working days (since {r['opened_on']})"
                )
            items.append(_item("dispute", r, due, on, "§6", detail))

    items.sort(key=lambda i: (i["due"], i["child_id"], i["kind"]))
    return items


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pending_reviews(store: Store, period_ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for chunk in range(0, len(period_ids), 500):
        ids = period_ids[chunk : chunk + 500]
        marks = ",".join("?" * len(ids))
        for r in store.rows(
            f"SELECT * FROM reviews WHERE status IN ('booked', 'adjourned') "
            f"AND period_id IN ({marks})",
            ids,
        ):
            out[r["period_id"]] = r
    return out


def _review_item(row: dict, pending: dict | None, on: date) -> dict:
    label = f"{rules.ordinal(row['next_number'])} review"
    due = row["next_due"]
    if pending is None:
        detail = f"{label} not yet booked"
    elif pending["status"] == "adjourned":
        detail = (
            f"{label} adjourned on {pending['original_date']}, reconvenes {pending['booked_date']}"
        )
    else:
        booked = pending["booked_date"]
        detail = f"{label} booked for {booked}"
        if pending["booked_time"]:
            detail += f" at {pending['booked_time']}"
        if booked > due:
            detail += ", after the deadline"
        if date.fromisoformat(booked) < on:
            detail += ": record the outcome (held, adjourned or cancelled)"
    if row["next_earliest"]:
        detail += f"; not before {row['next_earliest']}"
    if row["next_rule"] == rules.DIRECTION:
        detail += " (directed by the IRO)"
    item = _item(
        "review", row, due, on, row["next_rule"], detail, pending["id"] if pending else None
    )
    item["booked"] = pending["booked_date"] if pending else None
    item["number"] = row["next_number"]
    return item


# --- read-only views -----------------------------------------------------------------------


def child_summary(store: Store, child_id: str, on: date) -> dict:
    from .records import get_child

    child = get_child(store, child_id)
    period = store.row("SELECT * FROM periods WHERE child_id = ? AND end_date IS NULL", [child_id])
    iro = store.row(
        "SELECT a.iro_id, a.start_date, i.name FROM allocations a JOIN iros i ON i.id = a.iro_id "
        "WHERE a.child_id = ? AND a.end_date IS NULL",
        [child_id],
    )
    next_review = None
    if period:
        pending = store.row(
            "SELECT * FROM reviews WHERE period_id = ? AND status IN ('booked', 'adjourned')",
            [period["id"]],
        )
        next_review = {
            "number": period["next_number"],
            "due": period["next_due"],
            "rule": period["next_rule"],
            "booked": pending["booked_date"] if pending else None,
            "review_id": pending["id"] if pending else None,
            "earliest": period["next_earliest"],
            "detail": period["next_detail"],
            "overdue": period["next_due"] < on.isoformat(),
        }
    dob = date.fromisoformat(child["dob"])
    out = {
        "id": child["id"],
        "first_name": child["first_name"],
        "last_name": child["last_name"],
        "dob": child["dob"],
        "age": age_on(dob, on),
        "gender": child["gender"],
        "sibling_group": child["sibling_group"],
        "social_worker": child["social_worker"],
        "team": child["team"],
        "looked_after": period is not None,
        "iro": iro["iro_id"] if iro else None,
        "iro_name": iro["name"] if iro else None,
        "next_review": next_review,
        "periods": store.rows(
            "SELECT id, start_date, end_date, reason_ceased FROM periods WHERE child_id = ? "
            "ORDER BY start_date",
            [child_id],
        ),
        "episodes": store.rows(
            "SELECT id, period_id, start_date, end_date, rne, legal_status, placement, "
            "reason_place_change, reason_ceased FROM episodes WHERE child_id = ? "
            "ORDER BY start_date, id",
            [child_id],
        ),
        "reviews": review_rows(store, child_id=child_id),
        "allocations": store.rows(
            "SELECT iro_id, start_date, end_date FROM allocations WHERE child_id = ? "
            "ORDER BY start_date, id",
            [child_id],
        ),
        "directions": store.rows(
            "SELECT id, made_on, by_date, reason FROM directions WHERE child_id = ? "
            "ORDER BY made_on, id",
            [child_id],
        ),
    }
    return out


def child_rows(store: Store, on: date, *, team=None, iro=None, looked_after=None) -> list[dict]:
    sql = """
SELECT c.id, c.first_name, c.last_name, c.dob, c.team, c.social_worker,
       p.id IS NOT NULL AS looked_after, p.start_date AS looked_after_since,
       a.iro_id AS iro, p.next_number, p.next_due, p.next_rule
FROM children c
LEFT JOIN periods p ON p.child_id = c.id AND p.end_date IS NULL
LEFT JOIN allocations a ON a.child_id = c.id AND a.end_date IS NULL
WHERE 1 = 1"""
    params: list = []
    if team:
        sql += " AND c.team = ?"
        params.append(team)
    if iro:
        sql += " AND a.iro_id = ?"
        params.append(iro)
    if looked_after is not None:
        sql += " AND p.id IS NOT NULL" if looked_after else " AND p.id IS NULL"
    sql += " ORDER BY c.id"
    rows = store.rows(sql, params)
    for r in rows:
        r["looked_after"] = bool(r["looked_after"])
        r["overdue"] = bool(r["next_due"] and r["next_due"] < on.isoformat())
    return rows


def iro_rows(store: Store) -> list[dict]:
    rows = store.rows(
        """
SELECT i.id, i.name, i.email, i.phone, i.fte, i.team, i.active,
       COUNT(p.id) AS caseload
FROM iros i
LEFT JOIN allocations a ON a.iro_id = i.id AND a.end_date IS NULL
LEFT JOIN periods p ON p.child_id = a.child_id AND p.end_date IS NULL
GROUP BY i.id ORDER BY i.id"""
    )
    for r in rows:
        r["active"] = bool(r["active"])
        r["per_fte"] = round(r["caseload"] / r["fte"], 1) if r["fte"] else None
        r["over_caseload"] = bool(r["per_fte"] and r["per_fte"] > 70)  # R-IRO-4
    return rows


def review_rows(store: Store, *, child_id=None, status=None) -> list[dict]:
    sql = (
        "SELECT id, child_id, period_id, number, status, deadline, rule, booked_date, "
        "booked_time, venue, original_date, recording_date, held_date, participation, meeting, "
        "late_reason, reschedule_reason, adjourn_reason, cancel_reason FROM reviews WHERE 1 = 1"
    )
    params: list = []
    if child_id:
        sql += " AND child_id = ?"
        params.append(child_id)
    if status:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY child_id, COALESCE(recording_date, booked_date), id"
    rows = store.rows(sql, params)
    for r in rows:
        r["meeting"] = bool(r["meeting"])
        r["on_time"] = (
            r["recording_date"] <= r["deadline"]
            if r["status"] == "held" and r["deadline"]
            else None
        )
    return rows
