"""Domain operations: validate everything, then write in one transaction.

Each function takes an open ``Store`` and ``today`` (never reads the clock), raises
``ReviewError`` with a message the admin can act on before anything is written, and
returns a dict describing what it did, plus any warnings for stderr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from . import codes, rules
from .calendar import add_years, age_on
from .errors import NotFound, ReviewError, RuleViolation
from .migrations import now_iso
from .store import Store
from .typed import _text, unsafe_character  # noqa: F401 (used by other modules too)


@dataclass
class Outcome:
    """What a write command did: the object, a one-line message, and warnings."""

    obj: dict
    message: str
    warnings: list[str] = field(default_factory=list)


def parse_date(value: str | date | None, what: str = "date") -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    # Exactly YYYY-MM-DD: date.fromisoformat also reads 20260701 and 2026-W27-3, which
    # an admin would not mean and a record should not silently turn into another form.
    if len(text) == 10 and text[4] == text[7] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ReviewError(f"invalid {what} {value!r}: use YYYY-MM-DD")


def parse_time(value: str | None) -> str | None:
    if value is None:
        return None
    parts = value.strip().split(":")
    if len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts):
        hh, mm = int(parts[0]), int(parts[1])
        if hh < 24 and mm < 60:
            return f"{hh:02d}:{mm:02d}"
    raise ReviewError(f"invalid time {value!r}: use HH:MM (24-hour)")


def _ident(value: str, what: str) -> str:
    cleaned = _text(value, what, required=True, limit=64)
    if any(ch.isspace() for ch in cleaned):
        raise ReviewError(f"{what} {value!r} must not contain spaces")
    if cleaned[0] in FORMULA_START:
        raise ReviewError(
            f"{what} {value!r} begins with {cleaned[0]!r}, which a spreadsheet would read as "
            "a formula; use an id that begins with a letter or a digit"
        )
    return cleaned


# A cell beginning with one of these is read as a formula by spreadsheets.
FORMULA_START = frozenset("=+-@")


# --- lookups -----------------------------------------------------------------------------


def get_child(store: Store, child_id: str) -> dict:
    child = store.row("SELECT * FROM children WHERE id = ?", [child_id])
    if child is None:
        raise NotFound(f"no child with id {child_id!r}; see 'reviewcli child list'")
    return child


def get_iro(store: Store, iro_id: str) -> dict:
    iro = store.row("SELECT * FROM iros WHERE id = ?", [iro_id])
    if iro is None:
        raise NotFound(f"no IRO with id {iro_id!r}; see 'reviewcli iro list'")
    return iro


def open_period(store: Store, child_id: str) -> dict | None:
    return store.row("SELECT * FROM periods WHERE child_id = ? AND end_date IS NULL", [child_id])


def require_open_period(store: Store, child_id: str) -> dict:
    period = open_period(store, child_id)
    if period is None:
        raise ReviewError(
            f"child {child_id} is not looked after (no open period of care); "
            f"start one with 'reviewcli episode start {child_id} --date D'"
        )
    return period


def series_period(store: Store, child_id: str) -> dict | None:
    """R-SCH-5: between the stays of a series of short breaks still running, its last
    stay's period (closed, with the series' next review derived on it), else None."""
    return store.row(
        "SELECT * FROM periods WHERE child_id = ? AND end_date IS NOT NULL "
        "AND next_due IS NOT NULL AND NOT EXISTS (SELECT 1 FROM periods o "
        "WHERE o.child_id = periods.child_id AND o.end_date IS NULL) "
        "ORDER BY start_date DESC LIMIT 1",
        [child_id],
    )


def review_period(store: Store, child_id: str) -> dict:
    """The period a review of the child is booked in: the open period of care, or between
    the stays of a series of short breaks its last stay's (R-SCH-5)."""
    period = open_period(store, child_id) or series_period(store, child_id)
    if period is None:
        return require_open_period(store, child_id)
    return period


def get_by_id(store: Store, table: str, what: str, value, listing: str) -> dict:
    """The row of ``table`` with integer id ``value``, or a NotFound naming ``listing``."""
    try:
        row_id = int(value)
    except (TypeError, ValueError):
        raise ReviewError(f"{what} id must be a number, not {value!r}") from None
    row = store.row(f"SELECT * FROM {table} WHERE id = ?", [row_id]) if 0 < row_id < 2**63 else None
    if row is None:
        raise NotFound(f"no {what} with id {row_id}; see 'reviewcli {listing}'")
    return row


def get_review(store: Store, review_id: int | str) -> dict:
    return get_by_id(store, "reviews", "review", review_id, "review list")


def current_episode(store: Store, period_id: int) -> dict:
    return store.row(
        "SELECT * FROM episodes WHERE period_id = ? ORDER BY start_date DESC, id DESC LIMIT 1",
        [period_id],
    )


def last_held(store: Store, period_id: int) -> dict | None:
    return store.row(
        "SELECT * FROM reviews WHERE period_id = ? AND status = 'held' "
        "ORDER BY recording_date DESC LIMIT 1",
        [period_id],
    )


def pending_review(store: Store, period_id: int) -> dict | None:
    return store.row(
        "SELECT * FROM reviews WHERE period_id = ? AND status IN ('booked', 'adjourned')",
        [period_id],
    )


def _working_day_warning(store: Store, day: date) -> list[str]:
    if store.calendar.is_working_day(day):
        return []
    what = "a weekend" if day.weekday() >= 5 else "a bank holiday or closure day"
    return [f"{day.isoformat()} ({day:%A}) is {what}, not a working day (R-CAL-6)"]


# --- IROs --------------------------------------------------------------------------------


def add_iro(store, iro_id, name, *, email=None, phone=None, fte=1.0, team=None) -> Outcome:
    iro_id = _ident(iro_id, "IRO id")
    name = _text(name, "name", required=True, limit=200)
    if fte is None or not (0 < fte <= 1.5):
        raise ReviewError(f"FTE must be above 0 and at most 1.5, not {fte}")
    if store.row("SELECT 1 FROM iros WHERE id = ?", [iro_id]):
        raise ReviewError(f"an IRO with id {iro_id!r} already exists")
    row = {
        "id": iro_id,
        "name": name,
        "email": _text(email, "email", limit=200),
        "phone": _text(phone, "phone", limit=50),
        "fte": float(fte),
        "team": _text(team, "team", limit=100),
        "active": 1,
        "created_at": now_iso(),
    }
    with store.write():
        store.db["iros"].insert(row)
    return Outcome(row, f"Added IRO {iro_id} ({name}).")


# --- children ----------------------------------------------------------------------------


def add_child(
    store,
    child_id,
    *,
    first_name,
    last_name,
    dob,
    today,
    gender=None,
    sibling_group=None,
    social_worker=None,
    team=None,
    parent=None,
) -> Outcome:
    child_id = _ident(child_id, "child id")
    dob_d = parse_date(dob, "date of birth")
    if dob_d > today:
        raise ReviewError(f"date of birth {dob_d} is in the future")
    if age_on(dob_d, today) >= 25:
        raise ReviewError(f"date of birth {dob_d} makes the child {age_on(dob_d, today)}; check it")
    if store.row("SELECT 1 FROM children WHERE id = ?", [child_id]):
        raise ReviewError(f"a child with id {child_id!r} already exists")
    if parent is not None:
        parent_row = get_child(store, parent)
        if parent_row["dob"] >= dob_d.isoformat():
            raise ReviewError(f"{parent} is not older than the child, so cannot be the parent")
    row = {
        "id": child_id,
        "first_name": _text(first_name, "first name", required=True, limit=100),
        "last_name": _text(last_name, "last name", required=True, limit=100),
        "dob": dob_d.isoformat(),
        "gender": _text(gender, "gender", limit=20),
        "sibling_group": _text(sibling_group, "sibling group", limit=64),
        "social_worker": _text(social_worker, "social worker", limit=200),
        "team": _text(team, "team", limit=100),
        "parent_id": parent,
        "created_at": now_iso(),
    }
    with store.write():
        store.db["children"].insert(row)
    return Outcome(row, f"Added child {child_id}.")


# --- episodes and periods of care ----------------------------------------------------------


def start_episode(store, child_id, *, on, today, legal_status=None, placement=None) -> Outcome:
    """Start a period of care (the child becomes looked after): RNE S."""
    child = get_child(store, child_id)
    start = parse_date(on)
    ls = codes.check_code("legal status", legal_status)
    place = codes.check_code("placement", placement, start, start)
    if start > today:
        raise ReviewError(f"{start} is in the future; record the period when it has begun")
    dob = date.fromisoformat(child["dob"])
    if start < dob:
        raise ReviewError(f"{start} is before the child's date of birth ({dob})")
    if age_on(dob, start) >= 18:
        raise ReviewError(
            f"child {child_id} is 18 or over on {start}; a period of care cannot start"
        )
    if open_period(store, child_id):
        raise ReviewError(
            f"child {child_id} already has an open period of care; record a change with "
            "'reviewcli episode change' or end it with 'reviewcli episode end'"
        )
    last_end = store.value("SELECT MAX(end_date) FROM periods WHERE child_id = ?", [child_id])
    if last_end and start <= date.fromisoformat(last_end):
        raise ReviewError(
            f"{start} overlaps the previous period of care, which ended on {last_end}; "
            "a new period must start after it"
        )
    # R-SCH-5: a review booked between the stays of a series of short breaks is the review
    # of the child's next stay (or, coming into full care, of the new period).
    series = series_period(store, child_id)
    moved = pending_review(store, series["id"]) if series else None
    if moved and date.fromisoformat(moved["booked_date"]) < start:
        raise ReviewError(
            f"review {moved['id']} was booked for {moved['booked_date']}, before this stay "
            f"begins; record it first ('review hold {moved['id']}' or 'review cancel "
            f"{moved['id']} --reason …')"
        )
    with store.write():
        period_id = (
            store.db["periods"]
            .insert({"child_id": child_id, "start_date": start.isoformat()})
            .last_pk
        )
        store.db["episodes"].insert(
            {
                "period_id": period_id,
                "child_id": child_id,
                "start_date": start.isoformat(),
                "rne": "S",
                "legal_status": ls,
                "placement": place,
            }
        )
        if moved:
            store.conn.execute(
                "UPDATE reviews SET period_id = ?, updated_at = ? WHERE id = ?",
                [period_id, now_iso(), moved["id"]],
            )
        store.refresh_period(period_id)
    nxt = store.row("SELECT * FROM periods WHERE id = ?", [period_id])
    return Outcome(
        {
            "id": period_id,
            "child_id": child_id,
            "start_date": start.isoformat(),
            "next_review": nxt["next_due"],
            "rule": nxt["next_rule"],
        },
        f"Child {child_id} looked after from {start}; first review due by "
        f"{nxt['next_due']} ({nxt['next_rule']}).",
    )


def _derive_rne(old: dict, ls: str | None, place: str | None) -> str:
    ls_changed = ls is not None and ls != old["legal_status"]
    place_changed = place is not None and place != old["placement"]
    if ls_changed and place_changed:
        return "B"
    if ls_changed:
        return "L"
    return "P"


def change_episode(
    store,
    child_id,
    *,
    on,
    today,
    legal_status=None,
    placement=None,
    reason_place_change=None,
    rne=None,
    local_reason=None,
) -> Outcome:
    """A change of legal status and/or placement within the open period: a new episode."""
    get_child(store, child_id)
    day = parse_date(on)
    ls = codes.check_code("legal status", legal_status)
    place = codes.check_code("placement", placement, day, day)
    why = codes.check_code("reason for placement change", reason_place_change)
    rne = codes.check_code("reason for new episode", rne)
    if rne == "S":
        raise ReviewError("RNE S starts a period of care; use 'reviewcli episode start'")
    if local_reason is not None:
        local_reason = local_reason.strip().lower()
        if local_reason not in rules.LOCAL_REASONS:
            raise ReviewError(
                f"unknown local reason {local_reason!r}; valid: {', '.join(rules.LOCAL_REASONS)}"
            )
    if ls is None and place is None:
        raise ReviewError("give --legal-status and/or --placement for the new episode")
    period = require_open_period(store, child_id)
    if day > today:
        raise ReviewError(f"{day} is in the future; record the change when it has happened")
    current = current_episode(store, period["id"])
    if day <= date.fromisoformat(current["start_date"]):
        raise ReviewError(
            f"{day} is not after the current episode, which started on {current['start_date']}; "
            "changes are recorded in date order"
        )
    same = (ls or current["legal_status"]) == current["legal_status"] and (
        place or current["placement"]
    ) == current["placement"]
    # A move between two carers of the same placement type is a new episode too (RNE P or
    # T), so a same-code change stands when it says it is a move.
    if same and rne not in ("P", "T") and why is None:
        raise ReviewError(
            "nothing changes: the legal status and placement are already those; for a move "
            "to another carer of the same type give --rne P (or T) or --reason-place-change"
        )
    new_place = place or current["placement"]
    rne = rne or _derive_rne(current, ls, place)
    with store.write():
        store.conn.execute(
            "UPDATE episodes SET end_date = ?, reason_ceased = 'X1' WHERE id = ?",
            [day.isoformat(), current["id"]],
        )
        episode_id = (
            store.db["episodes"]
            .insert(
                {
                    "period_id": period["id"],
                    "child_id": child_id,
                    "start_date": day.isoformat(),
                    "rne": rne,
                    "legal_status": ls or current["legal_status"],
                    "placement": new_place,
                    "reason_place_change": why,
                    "local_reason": local_reason,
                }
            )
            .last_pk
        )
        store.refresh_period(period["id"])
    nxt = store.row("SELECT * FROM periods WHERE id = ?", [period["id"]])
    return Outcome(
        {
            "id": episode_id,
            "child_id": child_id,
            "start_date": day.isoformat(),
            "rne": rne,
            "legal_status": ls or current["legal_status"],
            "placement": new_place,
            "next_review": nxt["next_due"],
            "rule": nxt["next_rule"],
        },
        f"New episode for {child_id} from {day} (RNE {rne}); next review due by "
        f"{nxt['next_due']} ({nxt['next_rule']}).",
    )


def end_episode(store, child_id, *, on, today, reason=None) -> Outcome:
    """The child ceases to be looked after: the period ends (R-SCH-11)."""
    child = get_child(store, child_id)
    day = parse_date(on)
    rec = codes.check_code("reason ceased", reason) if reason else "E8"
    if rec == "X1":
        raise ReviewError("X1 means a new episode begins the same day; use 'episode change'")
    period = require_open_period(store, child_id)
    if day > today:
        raise ReviewError(f"{day} is in the future; record the end of care when it happens")
    current = current_episode(store, period["id"])
    if day < date.fromisoformat(current["start_date"]):
        raise ReviewError(f"{day} is before the current episode began ({current['start_date']})")
    held = last_held(store, period["id"])
    if held and day < date.fromisoformat(held["recording_date"]):
        raise ReviewError(
            f"a review was held on {held['recording_date']}, after {day}; the period cannot "
            "end before its last review"
        )
    dob = date.fromisoformat(child["dob"])
    pending = pending_review(store, period["id"])
    cancelled = None
    if pending:
        booked = date.fromisoformat(pending["booked_date"])
        if booked <= day:
            raise ReviewError(
                f"review {pending['id']} was booked for {booked}, on or before the end of care; "
                f"record it first ('review hold {pending['id']}' or 'review cancel "
                f"{pending['id']} --reason …')"
            )
        # The end of a short-break stay does not end the series (R-SCH-5): its booked
        # review stays booked, held between stays or in the next stay.
        if current["legal_status"] not in codes.SHORT_BREAK_STATUSES:
            cancelled = pending["id"]
    warnings = []
    # Care ends at 18 (R-SCH-11): ending it on the 18th birthday is the ordinary case; only
    # a date after it means the period was left open too long.
    eighteenth = add_years(dob, 18)
    if day > eighteenth and rec not in ("E17",):
        warnings.append(
            f"child {child_id} turned 18 on {eighteenth}, before {day}; care ends at 18 (R-SCH-11)"
        )
    with store.write():
        store.conn.execute(
            "UPDATE episodes SET end_date = ?, reason_ceased = ? WHERE id = ?",
            [day.isoformat(), rec, current["id"]],
        )
        store.conn.execute(
            "UPDATE periods SET end_date = ?, reason_ceased = ? WHERE id = ?",
            [day.isoformat(), rec, period["id"]],
        )
        if cancelled:
            reason_text = f"period of care ended on {day} (R-SCH-11)"
            _change(store, cancelled, "cancel", pending["booked_date"], None, reason_text)
            store.conn.execute(
                "UPDATE reviews SET status = 'cancelled', cancel_reason = ?, updated_at = ? "
                "WHERE id = ?",
                [reason_text, now_iso(), cancelled],
            )
            _close_pre_steps(store, cancelled, "cancelled")
        if current["legal_status"] not in codes.SHORT_BREAK_STATUSES:
            # (the IRO of a series of short breaks stays named between its stays, R-SCH-5,
            # until the arrangement ends)
            store.conn.execute(
                "UPDATE allocations SET end_date = ? WHERE child_id = ? AND end_date IS NULL",
                [day.isoformat(), child_id],
            )
        store.refresh_period(period["id"])
    msg = f"Child {child_id} ceased to be looked after on {day} ({rec})."
    if cancelled:
        msg += f" Review {cancelled} cancelled (R-SCH-11)."
    if current["legal_status"] in codes.SHORT_BREAK_STATUSES:
        warnings.append(
            "a short-break stay: the series' next review stays due between stays and the next "
            f"stay continues the series (R-SCH-5); when the arrangement ends, record "
            f"'reviewcli episode short-breaks-end {child_id} --date D'"
        )
    return Outcome(
        {
            "id": period["id"],
            "child_id": child_id,
            "end_date": day.isoformat(),
            "reason_ceased": rec,
            "cancelled_review": cancelled,
        },
        msg,
        warnings,
    )


# --- IRO allocation -----------------------------------------------------------------------


def _iro_of(store, child_ids: list[str]) -> dict[str, str]:
    if not child_ids:
        return {}
    marks = ",".join("?" * len(child_ids))
    return {
        r["child_id"]: r["iro_id"]
        for r in store.rows(
            f"SELECT child_id, iro_id FROM allocations WHERE end_date IS NULL "
            f"AND child_id IN ({marks})",
            child_ids,
        )
    }


def allocate(store, child_id, iro_id, *, on, today, reason=None, change_reason=None) -> Outcome:
    from .factcodes import IRO_CHANGE_REASONS, check

    child = get_child(store, child_id)
    reason = _text(reason, "reason", limit=1000)
    change_reason = check(
        "reason for the change", change_reason, IRO_CHANGE_REASONS, "--change-reason"
    )
    iro = get_iro(store, iro_id)
    day = parse_date(on)
    period = review_period(store, child_id)
    if day > today:
        raise ReviewError(f"{day} is in the future; allocate on or before today")
    if day < date.fromisoformat(period["start_date"]):
        raise ReviewError(f"{day} is before the period of care began ({period['start_date']})")
    current = store.row(
        "SELECT * FROM allocations WHERE child_id = ? AND end_date IS NULL", [child_id]
    )
    if current and current["iro_id"] == iro["id"] and reason:
        # The R-IRO-3 warning said "record why with --reason": the same command with the
        # reason records it on the current allocation.
        return _record_sibling_reason(store, child, current, iro, reason)
    if current and current["iro_id"] == iro["id"]:
        raise ReviewError(f"{iro['id']} is already the IRO for {child_id}")
    if current and day < date.fromisoformat(current["start_date"]):
        raise ReviewError(f"{day} is before the current allocation began ({current['start_date']})")
    if change_reason and not current:
        raise ReviewError(
            f"{child_id} has no IRO now; --change-reason is the reason for a change of IRO"
        )
    warnings = []
    if not iro["active"]:
        raise ReviewError(f"IRO {iro['id']} is no longer active")
    # R-IRO-3: a child whose parent is also looked after has a different IRO from the parent.
    relatives = [child["parent_id"]] if child["parent_id"] else []
    relatives += [
        r["id"] for r in store.rows("SELECT id FROM children WHERE parent_id = ?", [child_id])
    ]
    for relative, their_iro in _iro_of(store, relatives).items():
        if their_iro == iro["id"]:
            raise RuleViolation(
                "R-IRO-3",
                f"{iro['id']} is already the IRO of {relative}; a looked-after parent and child "
                "have different IROs",
            )
    # R-IRO-3: siblings share an IRO unless a reason is recorded.
    siblings = []
    if child["sibling_group"]:
        siblings = [
            r["child_id"]
            for r in store.rows(
                "SELECT p.child_id FROM periods p JOIN children c ON c.id = p.child_id "
                "WHERE p.end_date IS NULL AND c.sibling_group = ? AND c.id != ?",
                [child["sibling_group"], child_id],
            )
        ]
    differ = {c: i for c, i in _iro_of(store, siblings).items() if i != iro["id"]}
    if differ and not reason:
        listed = ", ".join(f"{c} ({i})" for c, i in sorted(differ.items()))
        warnings.append(
            f"siblings {listed} have a different IRO (R-IRO-3); record why with --reason"
        )
    due = date.fromisoformat(period["allocation_due"])
    if (
        not current
        and day > due
        and not store.value(
            "SELECT 1 FROM allocations WHERE child_id = ? AND start_date >= ?",
            [child_id, period["start_date"]],
        )
    ):
        warnings.append(f"IRO named after the R-IRO-2 deadline of {due}")
    with store.write():
        if current:
            store.conn.execute(
                "UPDATE allocations SET end_date = ? WHERE id = ?", [day.isoformat(), current["id"]]
            )
        alloc_id = (
            store.db["allocations"]
            .insert(
                {
                    "child_id": child_id,
                    "iro_id": iro["id"],
                    "start_date": day.isoformat(),
                    "sibling_reason": reason,
                    "reason": change_reason,
                }
            )
            .last_pk
        )
    return Outcome(
        {
            "id": alloc_id,
            "child_id": child_id,
            "iro_id": iro["id"],
            "start_date": day.isoformat(),
            "previous_iro": current["iro_id"] if current else None,
            "change_reason": change_reason,
        },
        f"{iro['name']} ({iro['id']}) is the IRO for {child_id} from {day}.",
        warnings,
    )


def _record_sibling_reason(store, child: dict, current: dict, iro: dict, reason: str) -> Outcome:
    """Why this child's IRO differs from their siblings' (R-IRO-3), on the allocation."""
    if not child["sibling_group"]:
        raise ReviewError(
            f"{child['id']} has no sibling group; --reason records why siblings have "
            "different IROs (R-IRO-3)"
        )
    with store.write():
        store.conn.execute(
            "UPDATE allocations SET sibling_reason = ? WHERE id = ?", [reason, current["id"]]
        )
    return Outcome(
        {
            "id": current["id"],
            "child_id": child["id"],
            "iro_id": iro["id"],
            "start_date": current["start_date"],
            "sibling_reason": reason,
        },
        f"Recorded why {child['id']}'s IRO ({iro['id']}) differs from their siblings' (R-IRO-3).",
    )


# --- steps around each review (R-PRE-*, R-POST-*) ------------------------------------------


def _set_pre_steps(store, review_id: int, child_id: str, booked: date, number: int) -> None:
    """Create or move the open preparation steps of a booked review."""
    from .steps import STEPS, pre_steps

    began = store.value(
        "SELECT p.start_date FROM reviews r JOIN periods p ON p.id = r.period_id WHERE r.id = ?",
        [review_id],
    )
    dues = pre_steps(
        booked,
        number == 1,
        store.calendar,
        store.policy_values,
        date.fromisoformat(began) if began else None,
    )
    # A step the policy no longer asks for is dropped while still open.
    marks = ",".join("?" * len(dues))
    store.conn.execute(
        f"DELETE FROM review_steps WHERE review_id = ? AND status = 'open' AND step IN "
        f"('consultation', 'invitations', 'reports', 'sw-conversation', 'iro-visit') "
        f"AND step NOT IN ({marks})",
        [review_id, *dues],
    )
    for name, due in dues.items():
        store.conn.execute(
            "INSERT INTO review_steps (review_id, child_id, step, rule, due) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(review_id, step) DO UPDATE SET due = excluded.due "
            "WHERE review_steps.status = 'open'",
            [review_id, child_id, name, STEPS[name].rule, due.isoformat()],
        )


def late_preparation(store: Store, review_id: int, today: date) -> list[str]:
    """A warning for each open preparation step of a review whose date has already passed:
    booking (or moving) a review late leaves less time than the rules give."""
    from .steps import STEPS

    rows = store.rows(
        "SELECT step, rule, due FROM review_steps WHERE review_id = ? AND status = 'open' "
        "AND due < ? ORDER BY due, id",
        [review_id, today.isoformat()],
    )
    return [
        f"{r['step']} ({STEPS[r['step']].label if r['step'] in STEPS else r['step']}) "
        f"was due by {r['due']} ({r['rule']}): already late"
        for r in rows
    ]


def _close_pre_steps(store, review_id: int, status: str) -> None:
    store.conn.execute(
        "UPDATE review_steps SET status = ? WHERE review_id = ? AND status = 'open' "
        "AND step IN ('consultation', 'invitations', 'reports', 'sw-conversation', 'iro-visit')",
        [status, review_id],
    )


def _add_post_steps(store, review_id: int, child_id: str, completed: date) -> None:
    from .steps import STEPS, post_steps

    for name, due in post_steps(completed, store.calendar, store.policy_values).items():
        store.conn.execute(
            "INSERT OR IGNORE INTO review_steps (review_id, child_id, step, rule, due) "
            "VALUES (?, ?, ?, ?, ?)",
            [review_id, child_id, name, STEPS[name].rule, due.isoformat()],
        )


def complete_step(store, review_id, step, *, on=None, today, disagree=None, note=None) -> Outcome:
    """Mark a step around a review done (``review done REVIEW_ID STEP``)."""
    from .steps import STEPS, manager_response_due

    review = get_review(store, review_id)
    if step not in STEPS:
        raise ReviewError(f"unknown step {step!r}; steps: {', '.join(STEPS)}")
    day = parse_date(on, "--date") if on else today
    if day > today:
        raise ReviewError(f"{day} is in the future; mark a step done once it is done")
    disagree = _text(disagree, "disagreement", limit=4000)
    note = _text(note, "note", limit=2000)
    if disagree and step != "manager-response":
        raise ReviewError("--disagree belongs to the manager-response step")
    row = store.row(
        "SELECT * FROM review_steps WHERE review_id = ? AND step = ?", [review["id"], step]
    )
    if row is None:
        if STEPS[step].phase == "post" and review["status"] != "held":
            raise ReviewError(
                f"review {review['id']} is {review['status']}; the {step} step follows a held "
                "review"
            )
        if step == "manager-response":
            raise ReviewError(
                "the manager's response follows the decisions: mark 'decisions' done first"
            )
        raise ReviewError(
            f"review {review['id']} has no {step} step (it is not required by the current policy)"
        )
    if row["status"] == "done":
        raise ReviewError(f"the {step} step of review {review['id']} was done on {row['done_on']}")
    if row["status"] not in ("open", "missed"):  # a missed step may still be recorded late
        raise ReviewError(f"the {step} step of review {review['id']} is {row['status']}")
    completed = review["held_date"] or review["recording_date"]
    if STEPS[step].phase == "post" and day < date.fromisoformat(completed):
        raise ReviewError(f"{day} is before the review was completed ({completed})")
    due = date.fromisoformat(row["due"])
    late = day > due
    with store.write():
        store.conn.execute(
            "UPDATE review_steps SET status = 'done', done_on = ?, late = ?, note = ? WHERE id = ?",
            [day.isoformat(), int(late), note, row["id"]],
        )
        if step == "decisions":
            store.conn.execute(
                "INSERT OR IGNORE INTO review_steps (review_id, child_id, step, rule, due) "
                "VALUES (?, ?, 'manager-response', 'R-POST-3', ?)",
                [
                    review["id"],
                    review["child_id"],
                    manager_response_due(day, store.calendar).isoformat(),
                ],
            )
        if step == "manager-response":
            store.conn.execute(
                "UPDATE reviews SET manager_response = ?, manager_disagreement = ? WHERE id = ?",
                ["disagreed" if disagree else "agreed", disagree, review["id"]],
            )
    what = STEPS[step].label
    msg = f"Review {review['id']}: {what} done on {day}"
    msg += f", late (due {due}, {row['rule']})." if late else f" ({row['rule']})."
    if step == "manager-response" and late and not disagree:
        msg = (
            f"Review {review['id']}: manager's agreement recorded on {day}; the decisions were "
            f"already deemed agreed when the window closed on {due} (R-POST-3)."
        )
    return Outcome(
        {
            "review_id": review["id"],
            "step": step,
            "rule": row["rule"],
            "due": row["due"],
            "done_on": day.isoformat(),
            "late": late,
            "manager_response": ("disagreed" if disagree else "agreed")
            if step == "manager-response"
            else None,
        },
        msg,
    )


def step_rows(store, review_id: int, today: date) -> list[dict]:
    rows = store.rows(
        "SELECT step, rule, due, status, done_on, late, note FROM review_steps "
        "WHERE review_id = ? ORDER BY due, id",
        [review_id],
    )
    for r in rows:
        r["late"] = bool(r["late"]) if r["late"] is not None else None
        if (
            r["step"] == "manager-response"
            and r["status"] == "open"
            and r["due"] < today.isoformat()
        ):
            r["status"] = "deemed agreed"
    return rows


# --- reviews -----------------------------------------------------------------------------


def _change(store, review_id, action, from_date, to_date, reason) -> None:
    store.conn.execute(
        "INSERT INTO review_changes (review_id, at, action, from_date, to_date, reason) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [review_id, now_iso(), action, from_date, to_date, reason],
    )


def schedule_review(store, child_id, *, on, today, time=None, venue=None) -> Outcome:
    get_child(store, child_id)
    day = parse_date(on)
    time = parse_time(time)
    venue = _text(venue, "venue", limit=500)
    period = review_period(store, child_id)
    pending = pending_review(store, period["id"])
    if pending:
        raise ReviewError(
            f"review {pending['id']} is already booked for {pending['booked_date']}; move it "
            f"with 'reviewcli review reschedule {pending['id']} --date D'"
        )
    if day < date.fromisoformat(period["start_date"]):
        raise ReviewError(f"{day} is before the period of care began ({period['start_date']})")
    held = last_held(store, period["id"])
    if held and day <= date.fromisoformat(held["recording_date"]):
        raise ReviewError(
            f"{day} is not after the last review, recorded on {held['recording_date']}"
        )
    warnings = _working_day_warning(store, day)
    if not store.value(
        "SELECT 1 FROM allocations WHERE child_id = ? AND end_date IS NULL", [child_id]
    ):
        warnings.append(
            f"child {child_id} has no named IRO: name one before the review (R-IRO-2); "
            "a review cannot be recorded without one unless the reason is recorded"
        )
    due = date.fromisoformat(period["next_due"])
    if day > due:
        warnings.append(
            f"{day} is after the deadline of {due} ({period['next_rule']}); the review will be "
            "out of time (R-SCH-15)"
        )
    if period["next_earliest"] and day < date.fromisoformat(period["next_earliest"]):
        warnings.append(
            f"{day} is before the earliest date of {period['next_earliest']} "
            f"({period['next_rule']})"
        )
    stamp = now_iso()
    with store.write():
        review_id = (
            store.db["reviews"]
            .insert(
                {
                    "child_id": child_id,
                    "period_id": period["id"],
                    "number": period["next_number"],
                    "deadline": period["next_due"],
                    "rule": period["next_rule"],
                    "earliest": period["next_earliest"],
                    "status": "booked",
                    "booked_date": day.isoformat(),
                    "booked_time": time,
                    "venue": venue,
                    "meeting": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            .last_pk
        )
        _change(store, review_id, "schedule", None, day.isoformat(), None)
        store.refresh_period(period["id"])
        number = store.value("SELECT number FROM reviews WHERE id = ?", [review_id])
        _set_pre_steps(store, review_id, child_id, day, number)
        warnings += late_preparation(store, review_id, today)
    review = get_review(store, review_id)
    return Outcome(
        review,
        f"Booked review {review_id} ({rules.ordinal(review['number'])} review) for {child_id} "
        f"on {day}{' at ' + time if time else ''}; deadline {review['deadline']} "
        f"({review['rule']}).",
        warnings,
    )


def _pending(store, review_id) -> dict:
    review = get_review(store, review_id)
    if review["status"] not in ("booked", "adjourned"):
        raise ReviewError(f"review {review['id']} is {review['status']}, not booked")
    return review


def reschedule_review(store, review_id, *, on, today, reason=None, time=None, venue=None):
    review = _pending(store, review_id)
    day = parse_date(on)
    reason = _text(reason, "reason", limit=1000)
    time = parse_time(time)
    venue = _text(venue, "venue", limit=500)
    old = date.fromisoformat(review["booked_date"])
    if day == old and time is None and venue is None:
        raise ReviewError(f"review {review['id']} is already booked for {day}")
    period = store.row("SELECT * FROM periods WHERE id = ?", [review["period_id"]])
    held = last_held(store, period["id"])
    if day < date.fromisoformat(period["start_date"]) or (
        held and day <= date.fromisoformat(held["recording_date"])
    ):
        raise ReviewError(f"{day} is not after the previous review or the start of care")
    if review["status"] == "adjourned":
        limit = rules.adjournment_limit(date.fromisoformat(review["original_date"]), store.calendar)
        if day > limit:
            raise RuleViolation(
                rules.ADJOURNMENT,
                f"an adjourned review must reconvene by {limit}, 20 working days after "
                f"{review['original_date']}",
            )
    deadline = date.fromisoformat(review["deadline"])
    if day > deadline and review["status"] == "booked" and not reason:
        raise RuleViolation(
            rules.REARRANGE,
            f"{day} is after the deadline of {deadline} ({review['rule']}); a review may be "
            "moved past its deadline only with an exceptional reason: add --reason",
        )
    warnings = _working_day_warning(store, day)
    if day > deadline and review["status"] == "booked":
        warnings.append(f"the review will be out of time (deadline {deadline}, R-SCH-15)")
    with store.write():
        store.conn.execute(
            "UPDATE reviews SET booked_date = ?, booked_time = COALESCE(?, booked_time), "
            "venue = COALESCE(?, venue), reschedule_reason = COALESCE(?, reschedule_reason), "
            "updated_at = ? WHERE id = ?",
            [day.isoformat(), time, venue, reason, now_iso(), review["id"]],
        )
        _change(store, review["id"], "reschedule", old.isoformat(), day.isoformat(), reason)
        store.refresh_period(period["id"])
        _set_pre_steps(store, review["id"], review["child_id"], day, review["number"])
        warnings += late_preparation(store, review["id"], today)
    return Outcome(
        get_review(store, review["id"]),
        f"Review {review['id']} moved from {old} to {day}.",
        warnings,
    )


def named_iro_on(store, child_id: str, day: date) -> str | None:
    """The child's named IRO on ``day`` (R-IRO-2), or None."""
    return store.value(
        "SELECT iro_id FROM allocations WHERE child_id = ? AND start_date <= ? "
        "AND (end_date IS NULL OR end_date > ?) ORDER BY start_date DESC LIMIT 1",
        [child_id, day.isoformat(), day.isoformat()],
    )


def hold_review(
    store,
    review_id,
    *,
    on=None,
    today,
    participation=None,
    late_reason=None,
    no_meeting=False,
    no_iro_reason=None,
) -> Outcome:
    review = _pending(store, review_id)
    held_on = parse_date(on) or date.fromisoformat(review["booked_date"])
    pn = codes.check_code("participation", participation)
    late_reason = _text(late_reason, "late reason", limit=1000)
    no_iro_reason = _text(no_iro_reason, "reason for no named IRO", limit=1000)
    if held_on > today:
        raise ReviewError(f"{held_on} is in the future; record the review once it has been held")
    period = store.row("SELECT * FROM periods WHERE id = ?", [review["period_id"]])
    if period["end_date"] and not (
        period["next_due"]
        and period["id"] == (series_period(store, period["child_id"]) or {}).get("id")
    ):
        raise ReviewError("the period of care has ended; this review cannot be held")
    if held_on < date.fromisoformat(period["start_date"]):
        raise ReviewError(f"{held_on} is before the period of care began ({period['start_date']})")
    previous = last_held(store, period["id"])
    if previous and held_on <= date.fromisoformat(previous["recording_date"]):
        raise ReviewError(
            f"{held_on} is not after the previous review, recorded on {previous['recording_date']}"
        )
    if review["status"] == "adjourned":
        recording = date.fromisoformat(review["original_date"])
        if held_on < date.fromisoformat(review["original_date"]):
            raise ReviewError(f"{held_on} is before the adjourned meeting of {recording}")
    else:
        recording = held_on
    child = get_child(store, review["child_id"])
    age = age_on(date.fromisoformat(child["dob"]), recording)
    if pn == "PN0" and age >= 4:
        raise ReviewError(f"PN0 is only for a child under 4; the child was {age} on {recording}")
    if pn and pn != "PN0" and age < 4:
        raise ReviewError(
            f"the child was under 4 on {recording}: participation must be PN0 "
            f"({codes.PARTICIPATION['PN0']})"
        )
    deadline = date.fromisoformat(review["deadline"])
    if recording > deadline and not late_reason:
        raise RuleViolation(
            rules.OUT_OF_TIME,
            f"recorded on {recording}, after its deadline of {deadline} ({review['rule']}): "
            "the review is out of time; give --late-reason",
        )
    if no_meeting:
        info = store.period_input(period["id"])
        why = rules.check_no_meeting(info.episodes, info.reviews, recording, store.calendar)
        if why:
            raise RuleViolation(rules.LONG_TERM, why)
    # R-IRO-2 (IRO Handbook 7.2): the IRO is appointed before the first review, and a
    # review is never recorded without a named IRO unless the reason is recorded.
    iro = named_iro_on(store, review["child_id"], recording)
    if iro is None and not no_iro_reason:
        raise RuleViolation(
            rules.ALLOCATION,
            f"child {review['child_id']} had no named IRO on {recording}; name one with "
            f"'reviewcli allocate {review['child_id']} IRO_ID --date D', or record why with "
            "--no-iro-reason",
        )
    if iro is not None and no_iro_reason:
        raise ReviewError(
            f"{iro} was the named IRO on {recording}; --no-iro-reason is only for a review "
            "held with no named IRO"
        )
    warnings = []
    if pn is None:
        warnings.append("no participation code recorded (PN0–PN7); the 903 return needs one")
    early = review["rule"] == rules.DISRUPTION and review["earliest"]
    if early and recording < date.fromisoformat(review["earliest"]):
        warnings.append(
            f"recorded before the window opens on {review['earliest']} (R-SCH-8): an "
            "additional review; the review between 4 and 6 weeks after the disruption is "
            "still due"
        )
    with store.write():
        store.conn.execute(
            "UPDATE reviews SET status = 'held', recording_date = ?, held_date = ?, "
            "participation = ?, meeting = ?, late_reason = ?, no_iro_reason = ?, "
            "updated_at = ? WHERE id = ?",
            [
                recording.isoformat(),
                held_on.isoformat(),
                pn,
                0 if no_meeting else 1,
                late_reason,
                no_iro_reason,
                now_iso(),
                review["id"],
            ],
        )
        _change(
            store, review["id"], "hold", review["booked_date"], held_on.isoformat(), late_reason
        )
        store.refresh_period(period["id"])
        _close_pre_steps(store, review["id"], "missed")
        # The recording steps count from the day the review was completed: the reconvened
        # meeting of an adjourned review (IRO Handbook 3.69).
        _add_post_steps(store, review["id"], review["child_id"], held_on)
    nxt = store.row("SELECT * FROM periods WHERE id = ?", [period["id"]])
    on_time = "on time" if recording <= deadline else "out of time (R-SCH-15)"
    return Outcome(
        get_review(store, review["id"]),
        f"Review {review['id']} held, recording date {recording}, {on_time}; next review due by "
        f"{nxt['next_due']} ({nxt['next_rule']}).",
        warnings,
    )


def adjourn_review(store, review_id, *, to, today, reason) -> Outcome:
    review = get_review(store, review_id)
    if review["status"] == "adjourned":
        raise RuleViolation(
            rules.ADJOURNMENT, f"review {review['id']} has already been adjourned once"
        )
    if review["status"] != "booked":
        raise ReviewError(f"review {review['id']} is {review['status']}, not booked")
    reason = _text(reason, "reason", required=True, limit=1000)
    new = parse_date(to)
    original = date.fromisoformat(review["booked_date"])
    if new <= original:
        raise ReviewError(f"{new} is not after the original date of {original}")
    limit = rules.adjournment_limit(original, store.calendar)
    if new > limit:
        raise RuleViolation(
            rules.ADJOURNMENT,
            f"an adjourned review must reconvene within 20 working days of {original}, by {limit}",
        )
    eighteenth = add_years(date.fromisoformat(get_child(store, review["child_id"])["dob"]), 18)
    if new >= eighteenth:
        # A child stops being looked after at 18: there is no review to reconvene then.
        raise RuleViolation(
            rules.END_OF_CARE,
            f"{review['child_id']} turns 18 on {eighteenth} and is no longer looked after from "
            f"then; reconvene before {eighteenth}, or hold the review as it stands",
        )
    warnings = _working_day_warning(store, new)
    if original > today:
        warnings.append(f"the meeting of {original} is still in the future")
    with store.write():
        store.conn.execute(
            "UPDATE reviews SET status = 'adjourned', original_date = booked_date, "
            "booked_date = ?, adjourn_reason = ?, updated_at = ? WHERE id = ?",
            [new.isoformat(), reason, now_iso(), review["id"]],
        )
        _change(store, review["id"], "adjourn", original.isoformat(), new.isoformat(), reason)
        store.refresh_period(review["period_id"])
        # Everyone invited must now be told of the reconvened meeting: invitations reopen.
        store.conn.execute(
            "UPDATE review_steps SET status = 'open', note = 'first sent ' || done_on || "
            "' for the meeting of ' || ?, done_on = NULL, late = NULL "
            "WHERE review_id = ? AND step = 'invitations' AND status = 'done'",
            [original.isoformat(), review["id"]],
        )
        _set_pre_steps(store, review["id"], review["child_id"], new, review["number"])
        warnings += late_preparation(store, review["id"], today)
    return Outcome(
        get_review(store, review["id"]),
        f"Review {review['id']} adjourned to {new}; recording date stays {original} (R-SCH-14).",
        warnings,
    )


def cancel_review(store, review_id, *, today, reason) -> Outcome:
    review = _pending(store, review_id)
    reason = _text(reason, "reason", required=True, limit=1000)
    with store.write():
        store.conn.execute(
            "UPDATE reviews SET status = 'cancelled', cancel_reason = ?, updated_at = ? "
            "WHERE id = ?",
            [reason, now_iso(), review["id"]],
        )
        _change(store, review["id"], "cancel", review["booked_date"], None, reason)
        store.refresh_period(review["period_id"])
        _close_pre_steps(store, review["id"], "cancelled")
    return Outcome(get_review(store, review["id"]), f"Review {review['id']} cancelled.")


def direct_review(store, child_id, *, by, today, reason) -> Outcome:
    """R-SCH-4: the IRO directs a review by a date."""
    get_child(store, child_id)
    by_d = parse_date(by)
    reason = _text(reason, "reason", required=True, limit=1000)
    period = require_open_period(store, child_id)
    if by_d < today:
        raise ReviewError(f"{by_d} is in the past; a direction needs a date from today on")
    warnings = []
    with store.write():
        direction_id = (
            store.db["directions"]
            .insert(
                {
                    "child_id": child_id,
                    "period_id": period["id"],
                    "made_on": today.isoformat(),
                    "by_date": by_d.isoformat(),
                    "reason": reason,
                    # Reviews already held do not satisfy it, even one held earlier today.
                    "reviews_before": store.value(
                        "SELECT COUNT(*) FROM reviews WHERE period_id = ? AND status = 'held'",
                        [period["id"]],
                    ),
                }
            )
            .last_pk
        )
        store.refresh_period(period["id"])
        pending = pending_review(store, period["id"])
        if pending:
            store.conn.execute(
                "UPDATE reviews SET direction_id = ? WHERE id = ?", [direction_id, pending["id"]]
            )
    if pending and date.fromisoformat(pending["booked_date"]) > by_d:
        warnings.append(
            f"review {pending['id']} is booked for {pending['booked_date']}, after the directed "
            f"date: move it with 'reviewcli review reschedule {pending['id']} --date D'"
        )
    nxt = store.row("SELECT * FROM periods WHERE id = ?", [period["id"]])
    return Outcome(
        {
            "id": direction_id,
            "child_id": child_id,
            "by": by_d.isoformat(),
            "reason": reason,
            "next_review": nxt["next_due"],
            "rule": nxt["next_rule"],
        },
        f"Review for {child_id} directed by {by_d}; next review due by {nxt['next_due']} "
        f"({nxt['next_rule']}).",
        warnings,
    )


def record_pathway_plan(store, child_id, *, on, today) -> Outcome:
    """R-SCH-16: the final pathway plan has reached the IRO."""
    get_child(store, child_id)
    day = parse_date(on)
    if day > today:
        raise ReviewError(f"{day} is in the future")
    period = require_open_period(store, child_id)
    with store.write():
        store.conn.execute(
            "UPDATE periods SET pathway_plan_received = ? WHERE id = ?",
            [day.isoformat(), period["id"]],
        )
    late = day > date.fromisoformat(period["pathway_due"])
    return Outcome(
        {
            "id": period["id"],
            "child_id": child_id,
            "received": day.isoformat(),
            "due": period["pathway_due"],
            "late": late,
        },
        f"Final pathway plan for {child_id} received {day}"
        f"{' (late: due ' + period['pathway_due'] + ')' if late else ''}.",
    )


def record_consent(store, child_id, *, on, today) -> Outcome:
    """R-SCH-6: the parents' formal consent to placement for adoption (no SSDA903 code
    carries it), which authorises the agency to place the child for adoption."""
    get_child(store, child_id)
    day = parse_date(on)
    period = require_open_period(store, child_id)
    if day > today:
        raise ReviewError(f"{day} is in the future; record the consent once it has been given")
    if day < date.fromisoformat(period["start_date"]):
        raise ReviewError(f"{day} is before the period of care began ({period['start_date']})")
    if period.get("adoption_consent"):
        raise ReviewError(
            f"consent to placement for adoption was already recorded for {child_id} on "
            f"{period['adoption_consent']}"
        )
    held = last_held(store, period["id"])
    warnings = []
    if held and day < date.fromisoformat(held["recording_date"]):
        warnings.append(
            f"consent dated before the last review ({held['recording_date']}): that review "
            "counts as the first after authorisation (R-SCH-6)"
        )
    with store.write():
        store.conn.execute(
            "UPDATE periods SET adoption_consent = ? WHERE id = ?", [day.isoformat(), period["id"]]
        )
        store.refresh_period(period["id"])
    nxt = store.row("SELECT * FROM periods WHERE id = ?", [period["id"]])
    return Outcome(
        {
            "id": period["id"],
            "child_id": child_id,
            "consent_date": day.isoformat(),
            "next_review": nxt["next_due"],
            "rule": nxt["next_rule"],
        },
        f"Consent to placement for adoption recorded for {child_id} on {day}; next review due "
        f"by {nxt['next_due']} ({nxt['next_rule']}).",
        warnings,
    )


def end_short_breaks(store, child_id, *, on, today, reason=None) -> Outcome:
    """R-SCH-5: the child's short-break arrangement has ended. A stay that begins after it
    starts a new series, with its own first review within 3 months."""
    from .codes import SHORT_BREAK_STATUSES

    get_child(store, child_id)
    day = parse_date(on)
    reason = _text(reason, "reason", limit=1000)
    if day > today:
        raise ReviewError(f"{day} is in the future; record the end once the arrangement ended")
    marks = ",".join("?" * len(SHORT_BREAK_STATUSES))
    last = store.row(
        "SELECT p.id, p.start_date, p.end_date FROM periods p WHERE p.child_id = ? AND "
        f"EXISTS (SELECT 1 FROM episodes e WHERE e.period_id = p.id AND e.legal_status IN "
        f"({marks})) ORDER BY p.start_date DESC LIMIT 1",
        [child_id, *sorted(SHORT_BREAK_STATUSES)],
    )
    if last is None:
        raise ReviewError(f"child {child_id} has had no short breaks (legal status V3/V4)")
    if last["end_date"] is None:
        raise ReviewError(
            f"child {child_id} is in a short-break stay that began on {last['start_date']}; "
            f"end the stay first with 'reviewcli episode end {child_id} --date D'"
        )
    if day < date.fromisoformat(last["end_date"]):
        raise ReviewError(
            f"{day} is before the last short-break stay ended ({last['end_date']}); the "
            "arrangement ends on or after it"
        )
    already = store.value(
        "SELECT MAX(end_date) FROM short_break_ends WHERE child_id = ?", [child_id]
    )
    if already and already >= last["end_date"]:
        raise ReviewError(
            f"the short-break arrangement of {child_id} was already recorded as ended on {already}"
        )
    # The series' review booked between stays: held or cancelled first if on or before the
    # end, cancelled with the reason if after it (as at the end of care, R-SCH-11).
    pending = pending_review(store, last["id"])
    if pending and date.fromisoformat(pending["booked_date"]) <= day:
        raise ReviewError(
            f"review {pending['id']} was booked for {pending['booked_date']}, on or before the "
            f"end of the arrangement; record it first ('review hold {pending['id']}' or "
            f"'review cancel {pending['id']} --reason …')"
        )
    with store.write():
        if pending:
            reason_text = f"short-break arrangement ended on {day} (R-SCH-5)"
            _change(store, pending["id"], "cancel", pending["booked_date"], None, reason_text)
            store.conn.execute(
                "UPDATE reviews SET status = 'cancelled', cancel_reason = ?, updated_at = ? "
                "WHERE id = ?",
                [reason_text, now_iso(), pending["id"]],
            )
            _close_pre_steps(store, pending["id"], "cancelled")
        # The IRO named for the series stays named until the arrangement ends (unless the
        # child is looked after again, in full care).
        if open_period(store, child_id) is None:
            store.conn.execute(
                "UPDATE allocations SET end_date = MAX(start_date, ?) WHERE child_id = ? "
                "AND end_date IS NULL",
                [day.isoformat(), child_id],
            )
        end_id = (
            store.db["short_break_ends"]
            .insert(
                {
                    "child_id": child_id,
                    "end_date": day.isoformat(),
                    "reason": reason,
                    "created_at": now_iso(),
                }
            )
            .last_pk
        )
    return Outcome(
        {
            "id": end_id,
            "child_id": child_id,
            "end_date": day.isoformat(),
            "reason": reason,
            "cancelled_review": pending["id"] if pending else None,
        },
        f"Short-break arrangement of {child_id} ended on {day}; a later stay starts a new "
        "series (R-SCH-5)." + (f" Review {pending['id']} cancelled." if pending else ""),
    )


# --- policy ------------------------------------------------------------------------------


def plan_policy(store, key: str, value: str, progress=None):
    """The recomputation a change of setting needs, worked out before the write lock is
    taken (in one read snapshot), for ``set_policy`` to apply: other admins' writes wait
    only while it is applied. None when the setting moves no deadline."""
    from . import derived, policy

    parsed = policy.parse_setting(key, value)
    if not policy.SETTINGS[key].affects_schedule:
        return None
    conn = store.conn
    conn.execute("BEGIN")
    try:
        values = {**policy.load(conn), key: parsed}  # (the first read: the snapshot)
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        writes, changes = derived.plan_recompute(conn, values, policy.calendar(values), progress)
    finally:
        conn.execute("ROLLBACK")  # nothing was written: the end of the snapshot
    return {"key": key, "value": parsed, "version": version, "writes": writes, **changes}


def set_policy(store, key: str, value: str, progress=None, plan=None) -> Outcome:
    """Change a setting and recompute what depends on it, in one transaction. A ``plan``
    (``plan_policy``, made on this connection) is applied only if no other write was
    committed since its snapshot; otherwise everything is recomputed here, as without one."""
    import json

    from . import derived, policy

    parsed = policy.parse_setting(key, value)
    setting = policy.SETTINGS[key]
    with store.write():
        # Any other connection's commit since the plan's snapshot changes data_version.
        version = store.conn.execute("PRAGMA data_version").fetchone()[0]
        store.conn.execute(
            "INSERT INTO policy (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(parsed)],
        )
        store.forget_policy()
        refreshed = 0
        if not setting.affects_schedule:
            pass
        elif plan and (plan["key"], plan["value"], plan["version"]) == (key, parsed, version):
            derived.apply_recompute(store.conn, plan["writes"], store.policy_values, store.calendar)
            refreshed = plan["open periods"]
        else:
            refreshed = store.refresh_all(progress)
    msg = f"Policy {key} = {_show(parsed)}"
    if key in policy.SECRETS:
        msg = f"Policy {key} changed (a secret: not shown)"
        parsed = "(set)" if parsed else "(not set)"
    if refreshed:
        periods = "open period" if refreshed == 1 else "open periods"
        msg += f"; deadlines recomputed for {refreshed} {periods} of care"
    return Outcome({"id": key, "key": key, "value": parsed, "rule": setting.rule}, msg + ".")


def _show(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "(none)"
    return str(value)


show_policy_value = _show
