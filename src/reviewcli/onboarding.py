"""Onboarding after an SSDA903 import: edit a child, record what came before the earliest
return (a *continuing* period of care), and allocate IROs in bulk.

Each function validates everything before writing, in one transaction; the bulk ones
are all or nothing, with every rejected row listed.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from .calendar import age_on
from .errors import ReviewError
from .records import (
    Outcome,
    _text,
    allocate,
    get_child,
    parse_date,
)
from .ssda903 import (  # noqa: F401 (rejudge: read from here too)
    CHILD_EXTRA_COLUMNS,
    EPISODE_EXTRA_COLUMNS,
    LATE_IMPORTED,
    Reject,
    child_id_problem,
    parse_903_date,
    rejudge,
)

# `child edit` options: column, what it is, longest value.
PERSON_FIELDS = {
    "first_name": ("first name", 100),
    "last_name": ("last name", 100),
    "gender": ("gender", 20),
    "team": ("team", 100),
    "social_worker": ("social worker", 200),
    "sibling_group": ("sibling group", 64),
}
# The return's own fields of a child (codes.md): column, longest value.
RETURN_FIELDS = {"ethnic": 8, "upn": 13, "mother": 1}


class _Refused(Exception):
    pass


def edit_child(store, child_id: str, *, today: date, **changes) -> Outcome:
    """Change a child's recorded details; only the fields given. Audited by the triggers."""
    child = get_child(store, child_id)
    values: dict = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key in PERSON_FIELDS:
            what, limit = PERSON_FIELDS[key]
            required = key in ("first_name", "last_name")
            values[key] = _text(value, what, required=required, limit=limit)
        elif key in RETURN_FIELDS:
            cleaned = _text(value, key.upper(), limit=RETURN_FIELDS[key])
            if key == "mother" and cleaned not in (None, "0", "1"):
                raise ReviewError(f"MOTHER {value!r} must be 1, 0 or empty")
            values[key] = cleaned
        elif key in ("dob", "mc_dob"):
            if key == "mc_dob" and not value.strip():
                values[key] = None
                continue
            day = parse_date(value, "date of birth" if key == "dob" else "MC_DOB")
            if day > today:
                raise ReviewError(f"{day} is in the future")
            values[key] = day.isoformat()
        else:
            raise ReviewError(f"{key} cannot be edited")
    if "dob" in values:
        dob = date.fromisoformat(values["dob"])
        if age_on(dob, today) >= 25:
            raise ReviewError(f"date of birth {dob} makes the child {age_on(dob, today)}")
        first = store.value("SELECT MIN(start_date) FROM periods WHERE child_id = ?", [child_id])
        if first and values["dob"] > first:
            raise ReviewError(f"date of birth {dob} is after care began ({first})")
    changed = {k: v for k, v in values.items() if child.get(k) != v}
    if not changed:
        return Outcome({"id": child_id, "changed": {}}, f"Child {child_id}: nothing to change.")
    sets = ", ".join(f"{k} = ?" for k in changed)
    with store.write():
        store.conn.execute(
            f"UPDATE children SET {sets} WHERE id = ?", [*changed.values(), child_id]
        )
        if "dob" in changed:
            for (period_id,) in store.conn.execute(
                "SELECT id FROM periods WHERE child_id = ? AND end_date IS NULL", [child_id]
            ).fetchall():
                store.refresh_period(period_id)
    what = ", ".join(f"{k} {v if v is not None else '(none)'}" for k, v in changed.items())
    return Outcome({"id": child_id, "changed": changed}, f"Child {child_id}: {what}.")


# The return's own fields of an episode: column, longest value (as the import takes them).
EPISODE_FIELDS = {"cin": 8, "place_provider": 8, "home_post": 10, "pl_post": 10, "urn": 16}


def edit_episode(store, child_id: str, *, on, **changes) -> Outcome:
    """Change the return's own fields of the episode that began on ``on``; audited."""
    get_child(store, child_id)
    day = parse_date(on, "episode date")
    episode = store.row(
        "SELECT * FROM episodes WHERE child_id = ? AND start_date = ?",
        [child_id, day.isoformat()],
    )
    if episode is None:
        starts = [
            r["start_date"]
            for r in store.rows(
                "SELECT start_date FROM episodes WHERE child_id = ? ORDER BY start_date",
                [child_id],
            )
        ]
        held = ", ".join(starts) if starts else "none"
        raise ReviewError(f"child {child_id} has no episode beginning on {day} (episodes: {held})")
    values = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key not in EPISODE_FIELDS:
            raise ReviewError(f"{key} cannot be edited")
        values[key] = _text(value, key.upper(), limit=EPISODE_FIELDS[key])
    changed = {k: v for k, v in values.items() if episode.get(k) != v}
    if not changed:
        return Outcome({"id": episode["id"], "changed": {}}, "Nothing to change.")
    sets = ", ".join(f"{k} = ?" for k in changed)
    with store.write():
        store.conn.execute(
            f"UPDATE episodes SET {sets} WHERE id = ?", [*changed.values(), episode["id"]]
        )
    what = ", ".join(f"{k} {v if v is not None else '(none)'}" for k, v in changed.items())
    return Outcome(
        {"id": episode["id"], "changed": changed},
        f"Child {child_id}, episode from {day}: {what}.",
    )


def record_history(
    store, child_id: str, *, started, earlier_reviews: int, today: date, period_start=None
) -> Outcome:
    """Record when care really began and how many reviews were held before the earliest
    record of a continuing period; every deadline and judgement of it follows."""
    get_child(store, child_id)
    if period_start is not None:
        period = store.row(
            "SELECT * FROM periods WHERE child_id = ? AND start_date = ?",
            [child_id, parse_date(period_start).isoformat()],
        )
    else:
        period = store.row(
            "SELECT * FROM periods WHERE child_id = ? ORDER BY end_date IS NULL DESC, "
            "start_date DESC LIMIT 1",
            [child_id],
        )
    if period is None:
        raise ReviewError(f"child {child_id} has no such period of care")
    start = parse_date(started, "start of care")
    if start > date.fromisoformat(period["start_date"]):
        raise ReviewError(
            f"care cannot have begun on {start}, after the earliest episode held "
            f"({period['start_date']})"
        )
    if start > today:
        raise ReviewError(f"{start} is in the future")
    before = store.value(
        "SELECT MAX(end_date) FROM periods WHERE child_id = ? AND id != ? AND end_date < ?",
        [child_id, period["id"], period["start_date"]],
    )
    if before and start <= date.fromisoformat(before):
        raise ReviewError(f"{start} is within the period of care that ended on {before}")
    if not isinstance(earlier_reviews, int) or earlier_reviews < 0 or earlier_reviews > 200:
        raise ReviewError("the number of earlier reviews must be a whole number from 0")
    with store.write():
        store.conn.execute(
            "UPDATE periods SET care_started = ?, earlier_reviews = ? WHERE id = ?",
            [start.isoformat(), earlier_reviews, period["id"]],
        )
        rejudge(store, period["id"])
        store.refresh_period(period["id"])
    nxt = store.row("SELECT next_due, next_rule FROM periods WHERE id = ?", [period["id"]])
    due = f"; next review due by {nxt['next_due']} ({nxt['next_rule']})" if nxt["next_due"] else ""
    return Outcome(
        {
            "id": period["id"],
            "child_id": child_id,
            "care_started": start.isoformat(),
            "earlier_reviews": earlier_reviews,
            "next_review": nxt["next_due"],
            "rule": nxt["next_rule"],
        },
        f"Child {child_id}: in care since {start}, {earlier_reviews} reviews before "
        f"{period['start_date']}{due}.",
    )


def history_note(period: dict, first_rne: str | None) -> str | None:
    """Plain words for a continuing period whose history is not recorded, or None."""
    if first_rne in (None, "S") or period.get("earlier_reviews") is not None:
        return None
    return (
        f"care began before {period['start_date']}, the earliest record held (the first "
        "episode is not a start of care): the history is incomplete until its start and "
        "earlier reviews are recorded with 'reviewcli child history'"
    )


def incomplete_histories(store) -> list[str]:
    """The children whose open period of care began before the earliest return held and
    whose history has not been recorded."""
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT p.child_id FROM periods p WHERE p.end_date IS NULL "
            "AND p.earlier_reviews IS NULL AND (SELECT e.rne FROM episodes e "
            "WHERE e.period_id = p.id ORDER BY e.start_date, e.id LIMIT 1) != 'S' "
            "ORDER BY p.child_id"
        )
    ]


def incomplete_note(children: list[str]) -> str | None:
    """`check`'s plain words on them (a note, not a problem)."""
    if not children:
        return None
    shown = ", ".join(children[:5]) + (
        f" and {len(children) - 5} more" if len(children) > 5 else ""
    )
    return (
        f"Note: {len(children)} children in care began before the earliest SSDA903 return "
        f"held ({shown}): their history is incomplete, so their first review found is not "
        "judged and later ones follow R-SCH-3. Record when care began and how many reviews "
        "came before with 'reviewcli child history' or the children CSV (care_started, "
        "earlier_reviews)."
    )


def add_to_summary(store, out: dict, child: dict) -> None:
    """The return's fields and the history of continuing periods, for `child show`."""
    out["ssda903"] = {c: child.get(c) for c in CHILD_EXTRA_COLUMNS}
    extra = {
        r["id"]: r
        for r in store.rows(
            f"SELECT id, {', '.join(EPISODE_EXTRA_COLUMNS)} FROM episodes WHERE child_id = ?",
            [child["id"]],
        )
    }
    for e in out.get("episodes", []):
        e.update({c: extra.get(e["id"], {}).get(c) for c in EPISODE_EXTRA_COLUMNS[:-1]})
    notes = []
    for p in out.get("periods", []):
        row = store.row("SELECT * FROM periods WHERE id = ?", [p["id"]])
        first = store.value(
            "SELECT rne FROM episodes WHERE period_id = ? ORDER BY start_date, id LIMIT 1",
            [p["id"]],
        )
        note = history_note(row, first)
        p["care_started"] = row.get("care_started") or row["start_date"]
        p["earlier_reviews"] = row.get("earlier_reviews")
        p["history_incomplete"] = note is not None
        if note:
            notes.append(note)
    out["history_incomplete"] = bool(notes)
    out["history_note"] = notes[-1] if notes else None


def allocate_from_csv(store, path: Path, *, today: date, dry_run: bool = False):
    """Allocate IROs from a CSV of child_id,iro_id[,date] (a header row is optional). All
    or nothing: returns (allocated, rejects)."""
    rows = _csv_rows(path)
    rejects: list[Reject] = []
    done = 0
    try:
        with store.write():
            for line, cells in rows:
                if len(cells) < 2 or not cells[0] or not cells[1]:
                    child = cells[0] if cells else ""
                    rejects.append(Reject(path.name, line, child, "give child_id,iro_id[,date]"))
                    continue
                cid, iro = cells[0], cells[1]
                on = cells[2] if len(cells) > 2 and cells[2] else today.isoformat()
                try:
                    if "/" in on:
                        on = parse_903_date(on).isoformat()
                    allocate(store, cid, iro, on=on, today=today)
                    done += 1
                except ReviewError as e:
                    rejects.append(Reject(path.name, line, cid, str(e)))
                except ValueError:
                    rejects.append(Reject(path.name, line, cid, f"impossible date {on!r}"))
            if rejects or dry_run:
                raise _Refused
    except _Refused:
        pass
    return done, rejects


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    try:
        f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except FileNotFoundError:
        raise ReviewError(f"{str(path)!r} not found") from None
    with f:
        try:
            out = []
            reader = csv.reader(f)
            for record in reader:
                cells = [c.strip() for c in record]
                if not any(cells):
                    continue
                if reader.line_num == 1 and cells[0].lower() in ("child_id", "child", "id"):
                    continue  # a header row
                out.append((reader.line_num, cells))
        except UnicodeDecodeError:
            raise ReviewError(f"{path.name} is not UTF-8 text; save it as UTF-8 CSV") from None
        except csv.Error as e:
            raise ReviewError(f"{path.name} line {reader.line_num}: {e}") from None
    return out


def check_new_child_id(cid: str) -> None:
    why = child_id_problem(cid)
    if why:
        raise ReviewError(why)
