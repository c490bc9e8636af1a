"""Facts the IRO service's annual report counts (IRO Handbook 7.11) that no other record
holds: parents' participation at each review, the IRO's contacts with the child between
reviews, the theme and result of each dispute, why a child's IRO changed, and whether a
placement is outside the authority's area.

Each is a short list of codes, so a year's figures add up; an unknown code is refused with
the list of valid ones.
"""

from __future__ import annotations

from datetime import date

from .errors import ReviewError
from .factcodes import (  # noqa: F401 (the codes, read from here too)
    DISPUTE_RESULTS,
    DISPUTE_THEMES,
    IRO_CHANGE_REASONS,
    IRO_CONTACT_KINDS,
    PARENT_PARTICIPATION,
    PARENTS_TOOK_PART,
    SEEN_BEFORE_STEP,
    check,
)
from .migrations import now_iso
from .records import Outcome, _text, get_by_id, get_child, get_iro, get_review, parse_date


def set_parent_participation(store, review_id, code, *, today: date) -> Outcome:
    """Record how the parents took part in a held review (``review parents``)."""
    code = check("parents' participation", code, PARENT_PARTICIPATION, "PARTICIPATION")
    if code is None:
        raise ReviewError("give the parents' participation: " + ", ".join(PARENT_PARTICIPATION))
    review = get_review(store, review_id)
    if review["status"] != "held":
        raise ReviewError(
            f"review {review['id']} is {review['status']}; parents' participation is recorded "
            "for a held review"
        )
    with store.write():
        store.conn.execute(
            "UPDATE reviews SET parent_participation = ?, updated_at = ? WHERE id = ?",
            [code, now_iso(), review["id"]],
        )
    return Outcome(
        {"id": review["id"], "child_id": review["child_id"], "parent_participation": code},
        f"Review {review['id']}: parents' participation recorded as {code} "
        f"({PARENT_PARTICIPATION[code]}).",
    )


def add_iro_contact(store, child_id, *, kind, today: date, on=None, iro=None, note=None):
    """Record a contact between the IRO and the child between reviews (``iro contact``)."""
    child = get_child(store, child_id)
    kind = check("contact kind", kind, IRO_CONTACT_KINDS, "--kind")
    if kind is None:
        raise ReviewError("give --kind: " + ", ".join(IRO_CONTACT_KINDS))
    day = parse_date(on, "--date") if on else today
    if day > today:
        raise ReviewError(f"{day} is in the future; record a contact once it has happened")
    note = _text(note, "note", limit=2000)
    period = store.row(
        "SELECT * FROM periods WHERE child_id = ? AND start_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?) ORDER BY start_date DESC LIMIT 1",
        [child["id"], day.isoformat(), day.isoformat()],
    )
    if period is None:
        raise ReviewError(f"{child['id']} was not looked after on {day}")
    if iro is not None:
        iro = get_iro(store, iro)["id"]
    else:
        iro = store.value(
            "SELECT iro_id FROM allocations WHERE child_id = ? AND start_date <= ? "
            "AND (end_date IS NULL OR end_date > ?) ORDER BY start_date DESC LIMIT 1",
            [child["id"], day.isoformat(), day.isoformat()],
        )
        if iro is None:
            raise ReviewError(
                f"{child['id']} had no IRO on {day}; name the IRO with --iro, or allocate one"
            )
    with store.write():
        contact_id = (
            store.db["iro_contacts"]
            .insert(
                {
                    "child_id": child["id"],
                    "period_id": period["id"],
                    "iro_id": iro,
                    "kind": kind,
                    "on_date": day.isoformat(),
                    "note": note,
                    "created_at": now_iso(),
                }
            )
            .last_pk
        )
    obj = {
        "id": contact_id,
        "child_id": child["id"],
        "iro_id": iro,
        "kind": kind,
        "on_date": day.isoformat(),
        "note": note,
    }
    return Outcome(obj, f"Contact {contact_id}: {kind} of {child['id']} by {iro} on {day}.")


def iro_contact_rows(store, *, child=None, start=None, end=None) -> list[dict]:
    sql = "SELECT id, child_id, iro_id, kind, on_date, note FROM iro_contacts WHERE 1 = 1"
    params: list = []
    if child:
        get_child(store, child)
        sql += " AND child_id = ?"
        params.append(child)
    if start:
        sql += " AND on_date >= ?"
        params.append(parse_date(start, "--from").isoformat())
    if end:
        sql += " AND on_date <= ?"
        params.append(parse_date(end, "--to").isoformat())
    return store.rows(sql + " ORDER BY on_date, id", params)


def set_dispute_theme(store, dispute_id, theme, *, today: date) -> Outcome:
    code = check("dispute theme", theme, DISPUTE_THEMES, "THEME")
    row = get_by_id(store, "disputes", "dispute", dispute_id, "dispute list")
    with store.write():
        store.conn.execute("UPDATE disputes SET theme = ? WHERE id = ?", [code, row["id"]])
    return Outcome(
        {"id": row["id"], "child_id": row["child_id"], "theme": code},
        f"Dispute {row['id']}: theme {code} ({DISPUTE_THEMES[code]}).",
    )


def set_out_of_area(store, child_id, *, out_of_area: bool, today: date) -> Outcome:
    """Whether the child's current placement is outside the authority's area."""
    from .records import current_episode, require_open_period

    child = get_child(store, child_id)
    period = require_open_period(store, child["id"])
    episode = current_episode(store, period["id"])
    with store.write():
        store.conn.execute(
            "UPDATE episodes SET out_of_area = ? WHERE id = ?", [int(out_of_area), episode["id"]]
        )
    where = "outside" if out_of_area else "inside"
    return Outcome(
        {
            "id": episode["id"],
            "child_id": child["id"],
            "episode_start": episode["start_date"],
            "out_of_area": out_of_area,
        },
        f"{child['id']}: the placement from {episode['start_date']} is {where} the authority's "
        "area.",
    )
