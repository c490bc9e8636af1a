"""Booked review meetings as iCalendar (RFC 5545), with the icalendar library.

One event per meeting, with a UID that stays the same for the life of the review, so a
calendar that imports the file again updates the event rather than adding a second one.
Its SEQUENCE counts the changes recorded for the review (rescheduled, adjourned to a new
date, cancelled: the ``review_changes`` log), so a calendar takes the newest version; a
cancelled meeting is STATUS:CANCELLED.

What an event says: the child's first name and id, the review's number, the time, the
venue and the chair (the IRO). The child's surname and address never go into an event
unless the policy setting ``calendar-personal-details`` is on: a venue that names them is
replaced by "see the invitation letter". Calendars are shared and synchronised far more
widely than letters.

Nothing here imports the command-line framework.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from . import rules
from .errors import ReviewError
from .store import Store

LONDON = ZoneInfo("Europe/London")
MEETING_LENGTH = timedelta(minutes=90)
PRODID = "-//reviewcli//Independent Review Unit//EN"
HIDDEN_VENUE = "see the invitation letter"
# Changes after which a calendar must replace the event it holds.
CHANGES = ("reschedule", "adjourn", "cancel")


def uid(review: dict) -> str:
    """Stable for the life of the review; a second database (a test copy, another
    authority) does not reuse it for another child's meeting."""
    salt = hashlib.sha256(f"{review['child_id']}/{review['period_id']}".encode()).hexdigest()
    return f"review-{review['id']}-{salt[:12]}@reviewcli"


def _sequence(store: Store, review_id: int) -> int:
    placeholders = ", ".join("?" for _ in CHANGES)
    return store.value(
        f"SELECT COUNT(*) FROM review_changes WHERE review_id = ? AND action IN ({placeholders})",
        [review_id, *CHANGES],
    )


def _chair(store: Store, child_id: str, on: str) -> dict | None:
    return store.row(
        "SELECT i.id, i.name, i.email FROM allocations a JOIN iros i ON i.id = a.iro_id "
        "WHERE a.child_id = ? AND a.start_date <= ? AND (a.end_date IS NULL OR a.end_date > ?) "
        "ORDER BY a.start_date DESC LIMIT 1",
        [child_id, on, on],
    ) or store.row(
        "SELECT i.id, i.name, i.email FROM allocations a JOIN iros i ON i.id = a.iro_id "
        "WHERE a.child_id = ? AND a.end_date IS NULL",
        [child_id],
    )


def _personal(store: Store, child: dict) -> list[str]:
    """What must not go into an event: the child's surname and the address lines of the
    child and of their carers (where the child lives)."""
    words = [child["last_name"]]
    for row in store.rows(
        "SELECT address FROM contacts WHERE child_id = ? AND role IN ('child', 'carer') "
        "AND address IS NOT NULL",
        [child["id"]],
    ):
        words += [part.strip() for part in re.split(r"[;\n]", row["address"]) if part.strip()]
    return [w for w in words if len(w) >= 2]


def _mentions(text: str, words: list[str]) -> bool:
    folded = text.casefold()
    return any(w.casefold() in folded for w in words)


def meetings(
    store: Store,
    *,
    iro: str | None = None,
    start: date | None = None,
    end: date | None = None,
    review_ids: list[int] | None = None,
) -> list[dict]:
    """The meetings to put in a calendar: booked, adjourned (to reconvene), held and
    cancelled reviews with a booked date in [start, end], of the IRO's children."""
    where = ["r.booked_date IS NOT NULL"]
    params: list = []
    if start:
        where.append("COALESCE(r.held_date, r.booked_date) >= ?")
        params.append(start.isoformat())
    if end:
        where.append("COALESCE(r.held_date, r.booked_date) <= ?")
        params.append(end.isoformat())
    if review_ids is not None:
        where.append(f"r.id IN ({', '.join('?' for _ in review_ids)})")
        params += review_ids
    rows = store.rows(
        "SELECT r.*, c.first_name, c.last_name FROM reviews r "
        f"JOIN children c ON c.id = r.child_id WHERE {' AND '.join(where)} "
        "ORDER BY COALESCE(r.held_date, r.booked_date), r.booked_time, r.child_id, r.id",
        params,
    )
    out = []
    for row in rows:
        on = row["held_date"] or row["booked_date"]
        chair = _chair(store, row["child_id"], on)
        if iro is not None and (chair is None or chair["id"].casefold() != iro.casefold()):
            continue
        out.append({**row, "chair": chair, "on": on})
    return out


def event(store: Store, meeting: dict, *, stamp: datetime):
    from icalendar import Event, vCalAddress, vText

    allow = bool(store.policy_values.get("calendar-personal-details"))
    child = {"id": meeting["child_id"], "last_name": meeting["last_name"]}
    number = meeting["number"]
    what = f"{rules.ordinal(number)} review" if number else "review"
    who = f"{meeting['first_name']} {meeting['last_name']}" if allow else meeting["first_name"]
    summary = f"Looked after review: {who} ({meeting['child_id']}), {what}"
    venue = meeting["venue"] or ""
    if venue and not allow and _mentions(venue, _personal(store, child)):
        venue = HIDDEN_VENUE
    chair = meeting["chair"]
    day = date.fromisoformat(meeting["on"])
    ev = Event()
    ev.add("uid", uid(meeting))
    ev.add("dtstamp", stamp)
    ev.add("sequence", _sequence(store, meeting["id"]))
    if meeting["booked_time"]:
        hh, mm = (int(p) for p in meeting["booked_time"].split(":"))
        begin = datetime.combine(day, time(hh, mm), tzinfo=LONDON)
        ev.add("dtstart", begin)
        ev.add("dtend", begin + MEETING_LENGTH)
    else:  # no time yet: an all-day event on the day
        ev.add("dtstart", day)
        ev.add("dtend", day + timedelta(days=1))
    ev.add("summary", summary)
    if venue:
        ev.add("location", venue)
    lines = [f"Reference: {meeting['child_id']} review {number or ''}".rstrip()]
    if chair:
        lines.append(f"Chair: {chair['name']}, Independent Reviewing Officer")
        if chair["email"]:
            organizer = vCalAddress(f"mailto:{chair['email']}")
            organizer.params["cn"] = vText(chair["name"])
            ev.add("organizer", organizer)
    else:
        lines.append("Chair: no IRO named yet (R-IRO-2)")
    if meeting["status"] == "cancelled":
        ev.add("status", "CANCELLED")
        lines.append("This meeting is cancelled.")
    else:
        ev.add("status", "CONFIRMED")
    ev.add("description", "\n".join(lines))
    ev.add("class", "CONFIDENTIAL")
    return ev


def calendar_bytes(store: Store, items: list[dict], *, stamp: datetime | None = None) -> bytes:
    from icalendar import Calendar

    stamp = stamp or datetime.now(timezone.utc).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    name = str(store.policy_values.get("authority-name") or "")
    cal.add("x-wr-calname", f"Review meetings{f' — {name}' if name else ''}")
    for item in items:
        cal.add_component(event(store, item, stamp=stamp))
    if items:  # the time zone's rules for the years of these meetings only
        years = [int(item["on"][:4]) for item in items]
        cal.add_missing_timezones(date(min(years), 1, 1), date(max(years) + 2, 1, 1))
    return cal.to_ical()


def review_calendar(store: Store, review_id: int) -> bytes:
    """The one meeting of a review, to attach to an email invitation."""
    items = meetings(store, review_ids=[review_id])
    if not items:
        raise ReviewError(f"review {review_id} has no booked meeting")
    return calendar_bytes(store, items)
