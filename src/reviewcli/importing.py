"""Import a plain list of children with their current episode: for authorities without an
SSDA903 extract. Every row goes through the same validation as the commands, in one
transaction: any rejected row and nothing is imported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .errors import ReviewError
from .onboarding import edit_child, record_history
from .records import add_child, allocate, get_child, start_episode
from .ssda903 import Reject, date_problem, parse_903_date

COLUMNS = ["CHILD_ID", "FIRST_NAME", "LAST_NAME", "DOB"]


class _Refused(Exception):
    pass


# Columns `--update` may change on a child already held, and the `child edit` field each is.
UPDATABLE = {
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "DOB": "dob",
    "GENDER": "gender",
    "TEAM": "team",
    "SOCIAL_WORKER": "social_worker",
    "SIBLING_GROUP": "sibling_group",
    "ETHNIC": "ethnic",
    "UPN": "upn",
    "MOTHER": "mother",
    "MC_DOB": "mc_dob",
}


def _date_reason(e: ValueError) -> str:
    return date_problem(str(e)) if str(e) else "impossible date"


def _add(store, cid, row, today, iso, summary, header) -> None:
    for column in ("FIRST_NAME", "LAST_NAME", "DOB"):
        if column not in header:
            raise ReviewError(f"a new child needs the column {column.lower()}")
    add_child(
        store,
        cid,
        first_name=row["FIRST_NAME"],
        last_name=row["LAST_NAME"],
        dob=iso(row["DOB"]),
        today=today,
        gender=row.get("GENDER") or None,
        team=row.get("TEAM") or None,
        social_worker=row.get("SOCIAL_WORKER") or None,
        sibling_group=row.get("SIBLING_GROUP") or None,
    )
    summary["children_new"] += 1
    extra = {UPDATABLE[c]: row[c] for c in ("ETHNIC", "UPN", "MOTHER", "MC_DOB") if row.get(c)}
    if extra:
        if extra.get("mc_dob"):
            extra["mc_dob"] = iso(extra["mc_dob"])
        edit_child(store, cid, today=today, **extra)
    if row.get("START_DATE"):
        start_episode(
            store,
            cid,
            on=iso(row["START_DATE"]),
            today=today,
            legal_status=row.get("LEGAL_STATUS") or None,
            placement=row.get("PLACEMENT") or None,
        )
        summary["periods_new"] += 1
        if row.get("IRO"):
            allocate(store, cid, row["IRO"], on=iso(row["START_DATE"]), today=today)
            summary["allocations_new"] += 1


def _update(store, cid, row, today, iso, summary, changes) -> None:
    """Change what the row gives (an empty cell leaves the field as it is)."""
    values = {}
    for column, key in UPDATABLE.items():
        if row.get(column):
            values[key] = iso(row[column]) if key in ("dob", "mc_dob") else row[column]
    # The care and IRO columns are for new children: for one held they must say what is
    # held already (the same file may be given again to correct names).
    if row.get("START_DATE"):
        start = iso(row["START_DATE"])
        if not store.row(
            "SELECT 1 FROM periods WHERE child_id = ? AND ? IN (start_date, care_started)",
            [cid, start],
        ):
            raise ReviewError(
                f"child {cid} has no period of care from {start}; --update does not change "
                "care: record it with 'reviewcli episode'"
            )
    if row.get("IRO"):
        current = store.value(
            "SELECT iro_id FROM allocations WHERE child_id = ? AND end_date IS NULL", [cid]
        )
        if current != row["IRO"]:
            raise ReviewError(
                f"child {cid}'s IRO is {current or 'not named'}; --update does not allocate: "
                "use 'reviewcli allocate --from'"
            )
    before = get_child(store, cid)
    outcome = edit_child(store, cid, today=today, **values)
    if outcome.obj["changed"]:
        summary["children_updated"] += 1
        for key, after in outcome.obj["changed"].items():
            changes.append({"child": cid, "field": key, "before": before.get(key), "after": after})


def _history(store, cid, row, today, iso, summary, changes) -> None:
    if not (row.get("CARE_STARTED") and row.get("EARLIER_REVIEWS")):
        raise ReviewError("give care_started and earlier_reviews together")
    text = row["EARLIER_REVIEWS"]
    if not text.isdigit():
        raise ReviewError(f"earlier_reviews {text!r} must be a whole number")
    outcome = record_history(
        store, cid, started=iso(row["CARE_STARTED"]), earlier_reviews=int(text), today=today
    )
    summary["histories_recorded"] += 1
    changes.append(
        {
            "child": cid,
            "field": "history",
            "before": None,
            "after": f"in care since {outcome.obj['care_started']}, "
            f"{outcome.obj['earlier_reviews']} earlier reviews",
        }
    )


def import_children(
    store, path: str | Path, *, today: date, dry_run=False, progress=None, update=False
):
    import csv

    from .files import check_input_size

    path = Path(path)
    check_input_size(path)
    # Read as a stream (one row at a time from the file), not the whole text at once.
    try:
        source = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except FileNotFoundError:
        raise ReviewError(f"{str(path)!r} not found") from None
    except IsADirectoryError:
        raise ReviewError(f"{str(path)!r} is a folder, not a CSV file") from None
    rows = []
    with source:
        reader = csv.reader(source)
        try:
            try:
                header = [h.strip().upper() for h in next(reader)]
            except StopIteration:
                raise ReviewError(f"{path.name} is empty") from None
            missing = [c for c in (["CHILD_ID"] if update else COLUMNS) if c not in header]
            if missing:
                raise ReviewError(f"{path.name} lacks the column(s) {', '.join(missing).lower()}")
            for record in reader:
                if any(cell.strip() for cell in record):
                    fields = {
                        h: (record[i].strip() if i < len(record) else "")
                        for i, h in enumerate(header)
                    }
                    rows.append((reader.line_num, fields))
        except csv.Error as e:
            raise ReviewError(f"{path.name} line {reader.line_num}: {e}") from None
        except UnicodeDecodeError:
            raise ReviewError(
                f"{path.name} is not UTF-8 text (near line {reader.line_num + 1}); save it as "
                "UTF-8 CSV"
            ) from None
    summary = {
        "children_new": 0,
        "periods_new": 0,
        "allocations_new": 0,
        "children_updated": 0,
        "histories_recorded": 0,
    }
    changes: list[dict] = []
    rejected: list[Reject] = []

    def iso(value: str) -> str:
        return parse_903_date(value).isoformat()

    try:
        with store.write():
            for n, (line, row) in enumerate(rows, 1):
                cid = row["CHILD_ID"]
                try:
                    if store.row("SELECT 1 FROM children WHERE id = ?", [cid]):
                        if not update:
                            raise ReviewError(
                                f"a child with id {cid!r} already exists; give --update to "
                                "change the children already held"
                            )
                        _update(store, cid, row, today, iso, summary, changes)
                    else:
                        _add(store, cid, row, today, iso, summary, header)
                    if row.get("CARE_STARTED") or row.get("EARLIER_REVIEWS"):
                        _history(store, cid, row, today, iso, summary, changes)
                except ReviewError as e:
                    rejected.append(Reject(path.name, line, cid, str(e)))
                except ValueError as e:
                    rejected.append(Reject(path.name, line, cid, _date_reason(e)))
                if progress:
                    progress(n, len(rows))
            if rejected or dry_run:
                raise _Refused
    except _Refused:
        pass
    summary["changes"] = changes
    return summary, rejected
