"""Import a plain list of children with their current episode: for authorities without an
SSDA903 extract. Every row goes through the same validation as the commands, in one
transaction: any rejected row and nothing is imported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .errors import ReviewError
from .records import add_child, allocate, start_episode
from .ssda903 import Reject, parse_903_date

COLUMNS = ["CHILD_ID", "FIRST_NAME", "LAST_NAME", "DOB"]


class _Refused(Exception):
    pass


def import_children(store, path: str | Path, *, today: date, dry_run=False, progress=None):
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
            missing = [c for c in COLUMNS if c not in header]
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
    summary = {"children_new": 0, "periods_new": 0, "allocations_new": 0}
    rejected: list[Reject] = []

    def iso(value: str) -> str:
        return parse_903_date(value).isoformat()

    try:
        with store.write():
            for n, (line, row) in enumerate(rows, 1):
                cid = row["CHILD_ID"]
                try:
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
                except ReviewError as e:
                    rejected.append(Reject(path.name, line, cid, str(e)))
                except ValueError:
                    rejected.append(Reject(path.name, line, cid, "impossible date"))
                if progress:
                    progress(n, len(rows))
            if rejected or dry_run:
                raise _Refused
    except _Refused:
        pass
    return summary, rejected
