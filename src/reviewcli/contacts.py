"""Each child's contacts, and who is invited to each review (DOMAIN.md §3, R-PRE-2).

The invitation list of a review is the child (always, with or without a contact row:
``contact_id`` NULL in ``review_invitees``, where the child's own wishes are kept) and
every active contact of the child, less those removed from that review. A row in
``review_invitees`` records only what departs from that default: a contact removed
(``invited = 0``), a contact put back, the child's wishes, and when a letter was sent.
So a contact added after the review was booked is invited without another step, and a
contact marked inactive drops off the lists of reviews not yet written to.

Contacts are never deleted: ``contact remove`` marks them inactive (the audit trail and
past invitation lists keep pointing at them).
"""

from __future__ import annotations

import re
from datetime import date

from .calendar import age_on
from .errors import ReviewError
from .migrations import now_iso
from .records import Outcome, _text, get_by_id, get_child, get_review
from .store import Store

# role: (label, audience). The audience picks the wording of a letter: "child" (simple,
# warm, for the child's age), "family" (parents, carers and other people in the child's
# life) or "professional".
ROLES: dict[str, tuple[str, str]] = {
    "child": ("the child", "child"),
    "parent": ("parent", "family"),
    "parental-responsibility": ("person with parental responsibility", "family"),
    "carer": ("carer", "family"),
    "supervising-social-worker": ("supervising social worker", "professional"),
    "link-worker": ("link worker", "professional"),
    "designated-teacher": ("designated teacher", "professional"),
    "personal-adviser": ("personal adviser", "professional"),
    "independent-visitor": ("independent visitor", "professional"),
    "interpreter": ("interpreter", "professional"),
    "health": ("health professional", "professional"),
    "virtual-school": ("virtual school", "professional"),
    "other": ("other person with an interest in the child", "family"),
}
ROLE_ORDER = {role: i for i, role in enumerate(ROLES)}
PERSONAL_ADVISER_AGE = 16  # a Personal Adviser if the child is over 16 (local procedure)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"[0-9+() .\-]+")

CHILD = "child"  # the invitee id of the child on the command line


def role_label(role: str) -> str:
    return ROLES[role][0] if role in ROLES else role


def audience(role: str) -> str:
    return ROLES[role][1] if role in ROLES else "family"


def _role(value: str | None) -> str:
    role = (value or "").strip().lower()
    if role not in ROLES:
        raise ReviewError(f"unknown role {value!r}; roles: {', '.join(ROLES)}")
    return role


def _email(value: str | None) -> str | None:
    email = _text(value, "email", limit=200)
    if email is not None and not _EMAIL.fullmatch(email):
        raise ReviewError(f"{email!r} is not an email address (name@example.org)")
    return email


def _phone(value: str | None) -> str | None:
    phone = _text(value, "phone", limit=50)
    if phone is not None and not _PHONE.fullmatch(phone):
        raise ReviewError(f"{phone!r} is not a phone number (digits, spaces, + ( ) -)")
    return phone


def _check_role_for_child(store: Store, role: str, child: dict, today: date, ignore=None) -> None:
    if role == "personal-adviser":
        age = age_on(date.fromisoformat(child["dob"]), today)
        if age < PERSONAL_ADVISER_AGE:
            raise ReviewError(
                f"{child['id']} is {age}: a personal adviser is for a young person of 16 or over"
            )
    if role == "child":
        other = store.value(
            "SELECT id FROM contacts WHERE child_id = ? AND role = 'child' AND active = 1 "
            "AND id IS NOT ?",
            [child["id"], ignore],
        )
        if other:
            raise ReviewError(
                f"{child['id']} already has their own contact details (contact {other}); "
                f"change them with 'reviewcli contact edit {other}'"
            )


def get_contact(store: Store, contact_id) -> dict:
    return get_by_id(store, "contacts", "contact", contact_id, "contact list")


def _shape(row: dict) -> dict:
    row = dict(row)
    row["active"] = bool(row["active"])
    row["no_full_record"] = bool(row["no_full_record"])
    row["role_label"] = role_label(row["role"])
    return row


def contact_row(store: Store, contact_id: int) -> dict:
    return _shape(get_contact(store, contact_id))


def contact_rows(store: Store, *, child: str | None = None, include_inactive=False) -> list[dict]:
    sql = "SELECT * FROM contacts WHERE 1 = 1"
    params: list = []
    if child:
        get_child(store, child)
        sql += " AND child_id = ?"
        params.append(child)
    if not include_inactive:
        sql += " AND active = 1"
    rows = [_shape(r) for r in store.rows(sql, params)]
    rows.sort(key=lambda r: (r["child_id"], ROLE_ORDER.get(r["role"], 99), r["id"]))
    return rows


def add_contact(
    store: Store,
    child_id: str,
    name: str,
    *,
    role: str,
    today: date,
    address: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    format_notes: str | None = None,
    no_full_record: bool = False,
    notes: str | None = None,
) -> Outcome:
    child = get_child(store, child_id)
    name = _text(name, "name", required=True, limit=200)
    role = _role(role)
    row = {
        "child_id": child["id"],
        "name": name,
        "role": role,
        "address": _text(address, "address", limit=500),
        "email": _email(email),
        "phone": _phone(phone),
        "language": _text(language, "language", limit=50),
        "format_notes": _text(format_notes, "format notes", limit=500),
        "no_full_record": int(bool(no_full_record)),
        "notes": _text(notes, "notes", limit=2000),
        "active": 1,
        "created_at": now_iso(),
    }
    _check_role_for_child(store, role, child, today)
    with store.write():
        contact_id = store.db["contacts"].insert(row).last_pk
    contact = contact_row(store, contact_id)
    msg = f"Added contact {contact_id} for {child['id']}: {name} ({role_label(role)})"
    if no_full_record:
        msg += "; gets the decisions letter, not the full record"
    return Outcome(contact, msg + ".")


# Options of ``contact edit``: None leaves a field alone, "" clears it.
_EDITABLE = ("name", "role", "address", "email", "phone", "language", "format_notes", "notes")


def edit_contact(store: Store, contact_id, *, today: date, no_full_record=None, **fields):
    contact = get_contact(store, contact_id)
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise ReviewError(f"cannot edit {', '.join(sorted(unknown))}")
    changes: dict[str, object] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key == "name":
            changes[key] = _text(value, "name", required=True, limit=200)
        elif key == "role":
            changes[key] = _role(value)
        elif key == "email":
            changes[key] = _email(value)
        elif key == "phone":
            changes[key] = _phone(value)
        else:
            limit = {"address": 500, "language": 50, "format_notes": 500}.get(key, 2000)
            changes[key] = _text(value, key.replace("_", " "), limit=limit)
    if no_full_record is not None:
        changes["no_full_record"] = int(bool(no_full_record))
    changes = {k: v for k, v in changes.items() if contact[k] != v}
    if not changes:
        raise ReviewError(f"nothing to change for contact {contact['id']}")
    if not contact["active"]:
        raise ReviewError(f"contact {contact['id']} is no longer active")
    if "role" in changes:
        child = get_child(store, contact["child_id"])
        _check_role_for_child(store, changes["role"], child, today, ignore=contact["id"])
    sets = ", ".join(f"{k} = ?" for k in changes)
    with store.write():
        store.conn.execute(
            f"UPDATE contacts SET {sets} WHERE id = ?", [*changes.values(), contact["id"]]
        )
    names = ", ".join(k.replace("_", "-") for k in changes)
    return Outcome(contact_row(store, contact["id"]), f"Contact {contact['id']}: changed {names}.")


def remove_contact(store: Store, contact_id, *, today: date) -> Outcome:
    """Mark a contact inactive (never deleted): no longer invited to reviews to come."""
    contact = get_contact(store, contact_id)
    if not contact["active"]:
        raise ReviewError(f"contact {contact['id']} is already inactive")
    with store.write():
        store.conn.execute("UPDATE contacts SET active = 0 WHERE id = ?", [contact["id"]])
    return Outcome(
        contact_row(store, contact["id"]),
        f"Contact {contact['id']} ({contact['name']}) marked inactive; kept on record, no "
        "longer invited.",
    )


# --- the invitation list of a review ---------------------------------------------------------


def _child_contact(store: Store, child_id: str) -> dict | None:
    return store.row(
        "SELECT * FROM contacts WHERE child_id = ? AND role = 'child' AND active = 1 "
        "ORDER BY id LIMIT 1",
        [child_id],
    )


def invitees(store: Store, review_id) -> list[dict]:
    """The invitation list of a review: the child first, then contacts in role order."""
    review = get_review(store, review_id)
    child = get_child(store, review["child_id"])
    marks = {
        r["contact_id"]: r
        for r in store.rows("SELECT * FROM review_invitees WHERE review_id = ?", [review["id"]])
    }
    own = _child_contact(store, child["id"]) or {}
    child_mark = marks.get(None) or {}
    out = [
        {
            "review_id": review["id"],
            "child_id": child["id"],
            "contact_id": None,
            "name": f"{child['first_name']} {child['last_name']}",
            "first_name": child["first_name"],
            "role": "child",
            "role_label": role_label("child"),
            "audience": "child",
            "address": own.get("address"),
            "email": own.get("email"),
            "phone": own.get("phone"),
            "language": own.get("language"),
            "format_notes": own.get("format_notes"),
            "no_full_record": False,
            "wishes": child_mark.get("wishes"),
            "letter_sent_on": child_mark.get("letter_sent_on"),
        }
    ]
    contacts = store.rows(
        "SELECT * FROM contacts WHERE child_id = ? AND role != 'child'", [child["id"]]
    )
    contacts.sort(key=lambda c: (ROLE_ORDER.get(c["role"], 99), c["id"]))
    for c in contacts:
        mark = marks.get(c["id"])
        if mark is not None and not mark["invited"]:
            continue
        if not c["active"] and not (mark and mark["letter_sent_on"]):
            continue
        out.append(
            {
                "review_id": review["id"],
                "child_id": child["id"],
                "contact_id": c["id"],
                "name": c["name"],
                "first_name": None,
                "role": c["role"],
                "role_label": role_label(c["role"]),
                "audience": audience(c["role"]),
                "address": c["address"],
                "email": c["email"],
                "phone": c["phone"],
                "language": c["language"],
                "format_notes": c["format_notes"],
                "no_full_record": bool(c["no_full_record"]),
                "wishes": None,
                "letter_sent_on": mark["letter_sent_on"] if mark else None,
            }
        )
    for number, row in enumerate(out, 1):
        row["number"] = number
    return out


def removed_contacts(store: Store, review_id: int) -> list[int]:
    return [
        r["contact_id"]
        for r in store.rows(
            "SELECT contact_id FROM review_invitees WHERE review_id = ? AND invited = 0 "
            "AND contact_id IS NOT NULL ORDER BY contact_id",
            [review_id],
        )
    ]


def _invitee_id(value) -> int | str:
    if isinstance(value, str) and value.strip().lower() == CHILD:
        return CHILD
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ReviewError(f"contact id must be a number (or 'child'), not {value!r}") from None


def edit_invitees(
    store: Store,
    review_id,
    *,
    today: date,
    add: list | tuple = (),
    remove: list | tuple = (),
    child_wishes: str | None = None,
) -> Outcome:
    """Put contacts back on, or take them off, one review's invitation list; record the
    child's wishes about the review (who comes, where, whether they chair it)."""
    review = get_review(store, review_id)
    if review["status"] == "cancelled":
        raise ReviewError(f"review {review['id']} is cancelled")
    if not add and not remove and child_wishes is None:
        raise ReviewError("nothing to change: give --add, --remove and/or --child-wishes")
    wishes = _text(child_wishes, "child's wishes", limit=4000) if child_wishes is not None else None
    current = {r["contact_id"] for r in invitees(store, review["id"])}
    add_ids, remove_ids = [], []
    for value in add:
        cid = _invitee_id(value)
        if cid == CHILD:
            raise ReviewError("the child is always invited")
        contact = get_contact(store, cid)
        if contact["child_id"] != review["child_id"]:
            raise ReviewError(
                f"contact {cid} belongs to {contact['child_id']}, not {review['child_id']}"
            )
        if not contact["active"]:
            raise ReviewError(f"contact {cid} ({contact['name']}) is no longer active")
        if contact["role"] == "child":
            raise ReviewError(f"contact {cid} holds the child's own details; the child is invited")
        if cid in current or cid in add_ids:
            raise ReviewError(f"contact {cid} ({contact['name']}) is already invited")
        add_ids.append(cid)
    for value in remove:
        cid = _invitee_id(value)
        if cid == CHILD:
            raise ReviewError(
                "the child is always invited (a decision not to invite them is the IRO's, "
                "recorded with its reasons); record their wishes with --child-wishes"
            )
        contact = get_contact(store, cid)
        if cid not in current or cid in remove_ids:
            raise ReviewError(f"contact {cid} ({contact['name']}) is not on the list")
        if cid in add_ids:
            raise ReviewError(f"contact {cid} is both added and removed")
        remove_ids.append(cid)
    with store.write():
        for cid in add_ids:
            _mark(store, review, cid, invited=1)
        for cid in remove_ids:
            _mark(store, review, cid, invited=0)
        if child_wishes is not None:
            _mark(store, review, None, wishes=wishes)
    parts = []
    if add_ids:
        parts.append("added " + ", ".join(str(c) for c in add_ids))
    if remove_ids:
        parts.append("removed " + ", ".join(str(c) for c in remove_ids))
    if child_wishes is not None:
        parts.append("child's wishes recorded" if wishes else "child's wishes cleared")
    rows = invitees(store, review["id"])
    return Outcome(
        {"review_id": review["id"], "invitees": rows},
        f"Review {review['id']} invitations: {'; '.join(parts)} ({len(rows)} invited).",
    )


def _mark(store: Store, review: dict, contact_id: int | None, **values) -> None:
    """Create or update the ``review_invitees`` row of one invitee (NULL: the child)."""
    existing = store.value(
        "SELECT id FROM review_invitees WHERE review_id = ? AND contact_id IS ?",
        [review["id"], contact_id],
    )
    if existing is None:
        row = {
            "review_id": review["id"],
            "contact_id": contact_id,
            "child_id": review["child_id"],
            "invited": 1,
        }
        row.update(values)
        store.db["review_invitees"].insert(row)
    else:
        sets = ", ".join(f"{k} = ?" for k in values)
        store.conn.execute(
            f"UPDATE review_invitees SET {sets} WHERE id = ?", [*values.values(), existing]
        )


def mark_letters_sent(store: Store, review: dict, contact_ids: list[int | None], on: date) -> None:
    """Record the day each invitee's letter was sent (inside the caller's transaction)."""
    for contact_id in contact_ids:
        _mark(store, review, contact_id, letter_sent_on=on.isoformat())
