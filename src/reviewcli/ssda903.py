"""The SSDA903 return: export for the DfE collection, and import of an authority's history.

Layouts and dd/mm/YYYY dates as in ``codes.md``. The collection year ``Y`` runs from
1 April of Y-1 to 31 March of Y (``--year 2026`` is 1 April 2025 – 31 March 2026).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import codes, rules
from .calendar import age_on
from .errors import ReviewError
from .migrations import now_iso
from .output import safe_cell

HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODES = [
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
]  # fmt: skip
REVIEWS = ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]
FILES = {"header.csv": HEADER, "episodes.csv": EPISODES, "reviews.csv": REVIEWS}
# The columns an import cannot do without.
REQUIRED = {
    "header.csv": ["CHILD", "DOB"],
    "episodes.csv": ["CHILD", "DECOM", "RNE", "LS", "PLACE"],
    "reviews.csv": ["CHILD", "REVIEW"],
}


LATE_IMPORTED = "out of time; the reason is not held in the SSDA903 return"


def collection_year(year: int) -> tuple[date, date]:
    if not 2000 <= year <= 2100:
        raise ReviewError(f"year {year} is out of range")
    return date(year - 1, 4, 1), date(year, 3, 31)


def fmt_date(value: str | None) -> str:
    if not value:
        return ""
    d = date.fromisoformat(value)
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def parse_903_date(value: str) -> date:
    """dd/mm/YYYY (the return's format) or ISO YYYY-MM-DD."""
    value = value.strip()
    if "/" in value:
        parts = value.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        raise ValueError(value)
    return date.fromisoformat(value)


def _sex(gender: str | None) -> str:
    g = (gender or "").strip().lower()
    if g in ("m", "male", "boy", "1"):
        return "1"
    if g in ("f", "female", "girl", "2"):
        return "2"
    return ""


# --- export ----------------------------------------------------------------------------------


def export(store, year: int | None, out: Path) -> dict:
    """Write header.csv, episodes.csv and reviews.csv for the collection year.

    ``year=None`` writes the whole history in the same layout, to move an authority's
    data between databases (the round trip ``export`` then ``import`` keeps every deadline).
    """
    from .files import open_private

    start, end = collection_year(year) if year is not None else (date.min, date.max)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReviewError(f"{str(out)!r} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    s, e = start.isoformat(), end.isoformat()
    episodes = store.rows(
        "SELECT * FROM episodes WHERE start_date <= ? AND (end_date IS NULL OR end_date >= ?) "
        "ORDER BY child_id, start_date, id",
        [e, s],
    )
    children = sorted({ep["child_id"] for ep in episodes})
    by_child = defaultdict(list)
    for ep in episodes:
        by_child[ep["child_id"]].append(ep)
    info = {}
    for chunk in range(0, len(children), 500):
        ids = children[chunk : chunk + 500]
        marks = ",".join("?" * len(ids))
        for c in store.rows(f"SELECT * FROM children WHERE id IN ({marks})", ids):
            info[c["id"]] = c
    mothers = {}
    for r in store.rows(
        "SELECT parent_id, MIN(dob) AS first_dob FROM children WHERE parent_id IS NOT NULL "
        "GROUP BY parent_id"
    ):
        mothers[r["parent_id"]] = r["first_dob"]

    with open_private(out / "header.csv") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for cid in children:
            c = info[cid]
            sex = _sex(c["gender"])
            mother = "1" if sex == "2" and cid in mothers else ("0" if sex == "2" else "")
            mc_dob = fmt_date(mothers.get(cid)) if mother == "1" else ""
            w.writerow([cid, sex, fmt_date(c["dob"]), "", "", mother, mc_dob])

    with open_private(out / "episodes.csv") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(EPISODES)
        for cid in children:
            for ep in by_child[cid]:
                ended_in_year = ep["end_date"] is not None and ep["end_date"] <= e
                w.writerow([
                    cid, fmt_date(ep["start_date"]), ep["rne"], ep["legal_status"] or "", "",
                    ep["placement"] or "", "",
                    fmt_date(ep["end_date"]) if ended_in_year else "",
                    (ep["reason_ceased"] or "") if ended_in_year else "",
                    ep["reason_place_change"] or "", "", "", "",
                ])  # fmt: skip

    # No reviews are returned for a child whose every episode in the year is V3/V4.
    short_breaks_only = {
        cid for cid in children
        if year is not None
        and all(ep["legal_status"] in codes.SHORT_BREAK_STATUSES for ep in by_child[cid])
    }  # fmt: skip
    reviews = store.rows(
        "SELECT r.child_id, r.recording_date, r.participation, c.dob FROM reviews r "
        "JOIN children c ON c.id = r.child_id WHERE r.status = 'held' "
        "AND r.recording_date BETWEEN ? AND ? ORDER BY r.child_id, r.recording_date",
        [s, e],
    )
    written = 0
    with open_private(out / "reviews.csv") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(REVIEWS)
        for r in reviews:
            if r["child_id"] in short_breaks_only:
                continue
            w.writerow(
                [
                    r["child_id"],
                    fmt_date(r["dob"]),
                    fmt_date(r["recording_date"]),
                    r["participation"] or "",
                ]
            )
            written += 1
    return {
        "year": year,
        "from": s,
        "to": e,
        "children": len(children),
        "episodes": len(episodes),
        "reviews": written,
        "folder": str(out),
    }


# --- import ----------------------------------------------------------------------------------


@dataclass
class Reject:
    file: str
    line: int
    child: str
    reason: str


@dataclass
class Plan:
    """What an import would create or change."""

    children_new: int = 0
    children_updated: int = 0
    periods_new: int = 0
    periods_updated: int = 0
    episodes_new: int = 0
    episodes_updated: int = 0
    reviews_new: int = 0
    reviews_updated: int = 0
    unchanged_children: int = 0
    rejects: list[Reject] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "rejects"}
        d["rejected_rows"] = len(self.rejects)
        return d


def read_csv(path: Path, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Rows of one file with upper-cased column names and their line numbers."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReviewError(f"{path.name} not found in {str(path.parent)!r}") from None
    except IsADirectoryError:
        raise ReviewError(f"{name} is a folder, not a CSV file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReviewError(
            f"{name} is not UTF-8 text (byte {e.start}); save it as UTF-8 CSV and try again"
        ) from None
    if "\x00" in text:
        raise ReviewError(f"{name} contains NUL bytes; it is not a CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ReviewError(f"{name} is empty") from None
    except csv.Error as e:
        raise ReviewError(f"{name} line 1: {e}") from None
    columns = [h.strip().upper() for h in header]
    missing = [c for c in REQUIRED[path.name] if c not in columns]
    if missing:
        raise ReviewError(f"{name} lacks the column(s) {', '.join(missing)}")
    rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            rows.append(
                (
                    reader.line_num,
                    {
                        c: (record[i].strip() if i < len(record) else "")
                        for i, c in enumerate(columns)
                    },
                )
            )
    except csv.Error as e:
        raise ReviewError(f"{name} line {reader.line_num}: {e}") from None
    return columns, rows


@dataclass
class _Ep:
    file: str
    line: int
    start: date
    rne: str
    ls: str
    place: str
    end: date | None
    rec: str | None
    rpc: str | None


def _read_all(folders: list[Path], name: str) -> list[tuple[str, int, dict]]:
    """The rows of one file across several years' returns, labelled with their file."""
    out = []
    for folder in folders:
        label = f"{folder.name}/{name}" if len(folders) > 1 else name
        _, rows = read_csv(folder / name, label)
        out.extend((label, line, row) for line, row in rows)
    return out


def _is_date(value: str) -> bool:
    try:
        parse_903_date(value)
    except ValueError:
        return False
    return True


def _parse(folders: list[Path], plan: Plan, today: date):
    header_rows = _read_all(folders, "header.csv")
    episode_rows = _read_all(folders, "episodes.csv")
    review_rows = _read_all(folders, "reviews.csv")
    bad_children: set[str] = set()

    def reject(file, line, child, reason):
        plan.rejects.append(Reject(file, line, child, reason))
        bad_children.add(child)

    headers: dict[str, dict] = {}
    seen_in: dict[str, str] = {}
    for file, line, row in header_rows:
        cid = row["CHILD"]
        if (
            not cid
            or len(cid) > 64
            or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in cid)
        ):
            reject(file, line, cid, f"invalid child id {cid!r}")
            continue
        try:
            dob = parse_903_date(row["DOB"])
        except ValueError:
            reject(file, line, cid, f"impossible date of birth {row['DOB']!r}")
            continue
        sex = row.get("SEX", "")
        if sex not in ("", "1", "2"):
            reject(file, line, cid, f"unknown SEX code {sex!r} (1 or 2)")
            continue
        if cid in headers:
            if seen_in[cid] == file:
                reject(file, line, cid, "child listed twice")
            elif headers[cid]["dob"] != dob:
                reject(file, line, cid, f"date of birth differs from {seen_in[cid]}")
            continue  # the same child in another year's return
        headers[cid] = {"dob": dob, "gender": {"1": "M", "2": "F"}.get(sex), "line": line}
        seen_in[cid] = file

    episodes: dict[str, list[_Ep]] = defaultdict(list)
    by_start: dict[tuple[str, date], _Ep] = {}
    for file, line, row in episode_rows:
        cid = row["CHILD"]
        if cid not in headers:
            reject(file, line, cid, "child not in header.csv")
            continue
        try:
            start = parse_903_date(row["DECOM"])
            end = parse_903_date(row["DEC"]) if row.get("DEC") else None
        except ValueError:
            bad = row["DECOM"] if not _is_date(row["DECOM"]) else row.get("DEC")
            reject(file, line, cid, f"impossible date {bad!r}")
            continue
        if start > today:
            reject(file, line, cid, f"DECOM {start} is in the future")
            continue
        problems = []
        for kind, value, required in (
            ("reason for new episode", row["RNE"], True),
            ("legal status", row["LS"], True),
            ("placement", row["PLACE"], True),
            ("reason ceased", row.get("REC", ""), False),
            ("reason for placement change", row.get("REASON_PLACE_CHANGE", ""), False),
        ):
            if not value and not required:
                continue
            if value.upper() not in codes.CODE_LISTS[kind]:
                problems.append(f"unknown {kind} code {value!r}")
        if problems:
            reject(file, line, cid, "; ".join(problems))
            continue
        if end is not None and end < start:
            reject(file, line, cid, f"DEC {end} is before DECOM {start}")
            continue
        if bool(end) != bool(row.get("REC")):
            reject(file, line, cid, "DEC and REC must be given together")
            continue
        if start < headers[cid]["dob"]:
            reject(file, line, cid, f"DECOM {start} is before the date of birth")
            continue
        ep = _Ep(
            file,
            line,
            start,
            row["RNE"].upper(),
            row["LS"].upper(),
            row["PLACE"].upper(),
            end,
            row.get("REC", "").upper() or None,
            row.get("REASON_PLACE_CHANGE", "").upper() or None,
        )
        twin = by_start.get((cid, start))
        if twin is not None:
            if twin.file == file:
                reject(file, line, cid, f"two episodes start on {start} (line {twin.line} too)")
            elif (twin.rne, twin.ls, twin.place) != (ep.rne, ep.ls, ep.place):
                reject(file, line, cid, f"the episode from {start} differs in {twin.file}")
            elif twin.end is None and ep.end is not None:
                # The same episode, closed in a later year's return: take it closed.
                episodes[cid][episodes[cid].index(twin)] = ep
                by_start[(cid, start)] = ep
            elif ep.end is not None and (twin.end, twin.rec) != (ep.end, ep.rec):
                reject(file, line, cid, f"the episode from {start} ends differently elsewhere")
            continue
        episodes[cid].append(ep)
        by_start[(cid, start)] = ep

    reviews: dict[str, list[tuple[str, int, date, str | None]]] = defaultdict(list)
    review_seen: dict[tuple[str, date], str | None] = {}
    for file, line, row in review_rows:
        cid = row["CHILD"]
        if cid not in headers:
            reject(file, line, cid, "child not in header.csv")
            continue
        try:
            day = parse_903_date(row["REVIEW"])
        except ValueError:
            reject(file, line, cid, f"impossible review date {row['REVIEW']!r}")
            continue
        if day > today:
            reject(file, line, cid, f"review date {day} is in the future")
            continue
        pn = (row.get("REVIEW_CODE") or "").upper() or None
        if pn and pn not in codes.PARTICIPATION:
            reject(file, line, cid, f"unknown participation code {pn!r}")
            continue
        age = age_on(headers[cid]["dob"], day)
        if pn == "PN0" and age >= 4:
            reject(file, line, cid, f"PN0 for a child aged {age} on the review date")
            continue
        if pn and pn != "PN0" and age < 4:
            reject(file, line, cid, f"{pn} for a child under 4 (use PN0)")
            continue
        if (cid, day) in review_seen:
            if review_seen[(cid, day)] != pn:
                reject(file, line, cid, f"two reviews recorded on {day}")
            continue
        review_seen[(cid, day)] = pn
        reviews[cid].append((file, line, day, pn))
    return headers, episodes, reviews, bad_children, reject


def _periods(cid, eps: list[_Ep], reject) -> list[list[_Ep]] | None:
    """Group a child's episodes into periods of care; None when they do not fit together."""
    eps = sorted(eps, key=lambda e: e.start)
    periods: list[list[_Ep]] = []
    for i, ep in enumerate(eps):
        prev = eps[i - 1] if i else None
        if prev is not None and (prev.end is None or prev.end > ep.start):
            reject(
                ep.file, ep.line, cid, f"episode from {ep.start} overlaps the one from {prev.start}"
            )
            return None
        continues = prev is not None and prev.rec == "X1" and prev.end == ep.start
        if continues:
            if ep.rne == "S":
                reject(ep.file, ep.line, cid, "RNE S on an episode continuing a period")
                return None
            periods[-1].append(ep)
        else:
            if prev is not None and prev.rec == "X1":
                reject(prev.file, prev.line, cid, "REC X1 but no episode begins on the same day")
                return None
            periods.append([ep])
    if eps and eps[-1].rec == "X1":
        reject(eps[-1].file, eps[-1].line, cid, "REC X1 but no episode begins on the same day")
        return None
    return periods


def import_903(
    store,
    folder: str | Path,
    *,
    today: date,
    dry_run: bool = False,
    skip_rejected: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Build children, periods, episodes and held reviews from an SSDA903 return.

    One transaction: everything lands or nothing does. A clean import is idempotent; a
    newer return adds what is new and updates what changed. Rows that cannot be taken
    are reported with file, line and reason; by default any of them refuses the import.
    """
    folders = [Path(f) for f in (folder if isinstance(folder, (list, tuple)) else [folder])]
    for f in folders:
        if not f.is_dir():
            raise ReviewError(f"{str(f)!r} is not a folder holding the 903 files")
    plan = Plan()
    headers, episodes, reviews, bad, reject = _parse(folders, plan, today)
    cal = store.calendar
    policy = store.schedule_policy

    built = {}
    for cid, head in headers.items():
        if cid in bad:
            continue
        periods = _periods(cid, episodes.get(cid, []), reject) if cid in episodes else []
        if periods is None:
            continue
        placed = _place_reviews(cid, periods, reviews.get(cid, []), reject)
        if placed is None:
            continue
        built[cid] = (head, periods, placed)
    for cid in bad:
        built.pop(cid, None)
    if plan.rejects and not skip_rejected:
        return plan

    stamp = now_iso()
    total = len(built)
    try:
        with store.write():
            for i, (cid, (head, periods, placed)) in enumerate(sorted(built.items()), 1):
                _merge_child(store, cid, head, periods, placed, plan, cal, policy, stamp, today)
                if progress and (i % 200 == 0 or i == total):
                    progress(i, total)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass  # the transaction was rolled back: a dry run changes nothing
    return plan


class _DryRun(Exception):
    """Raised inside the import's transaction to roll it back after counting."""


def _place_reviews(cid, periods, child_reviews, reject):
    """Attach each review to the period it falls in; None on a review outside care."""
    placed: list[list[tuple[date, str | None]]] = [[] for _ in periods]
    seen = set()
    for file, line, day, pn in sorted(child_reviews, key=lambda r: r[2]):
        if day in seen:
            reject(file, line, cid, f"two reviews recorded on {day}")
            return None
        seen.add(day)
        for k, period in enumerate(periods):
            start, end = period[0].start, period[-1].end if period[-1].rec != "X1" else None
            if start <= day and (end is None or day <= end):
                placed[k].append((day, pn))
                break
        else:
            reject(file, line, cid, f"review on {day} is outside every period of care")
            return None
    return placed


def _merge_child(store, cid, head, periods, placed, plan, cal, policy, stamp, today):
    conn = store.conn
    existing = conn.execute("SELECT dob, gender FROM children WHERE id = ?", [cid]).fetchone()
    changed = False
    if existing is None:
        conn.execute(
            "INSERT INTO children (id, first_name, last_name, dob, gender, created_at) "
            "VALUES (?, '', '', ?, ?, ?)",
            [cid, head["dob"].isoformat(), head["gender"], stamp],
        )
        plan.children_new += 1
    elif (existing["dob"], existing["gender"]) != (
        head["dob"].isoformat(),
        head["gender"] or existing["gender"],
    ):
        conn.execute(
            "UPDATE children SET dob = ?, gender = COALESCE(?, gender) WHERE id = ?",
            [head["dob"].isoformat(), head["gender"], cid],
        )
        plan.children_updated += 1
        changed = True
    for period_eps, period_reviews in zip(periods, placed, strict=True):
        changed |= _merge_period(store, cid, period_eps, period_reviews, plan, cal, policy, stamp)
    if existing is not None and not changed:
        plan.unchanged_children += 1


def _merge_period(store, cid, eps, period_reviews, plan, cal, policy, stamp) -> bool:
    conn = store.conn
    start = eps[0].start.isoformat()
    last = eps[-1]
    end = last.end.isoformat() if last.end and last.rec != "X1" else None
    rec = last.rec if end else None
    row = conn.execute(
        "SELECT id, end_date, reason_ceased FROM periods WHERE child_id = ? AND start_date = ?",
        [cid, start],
    ).fetchone()
    if row is None and eps[0].rne != "S":
        # A later year's return starts a continuing period with a later episode: it
        # belongs to the period already held that contains its first day.
        row = conn.execute(
            "SELECT id, end_date, reason_ceased FROM periods WHERE child_id = ? "
            "AND start_date < ? AND COALESCE(end_date, '9999-12-31') >= ?",
            [cid, start, start],
        ).fetchone()
    changed = False
    if row is None:
        clash = conn.execute(
            "SELECT start_date FROM periods WHERE child_id = ? AND start_date <= ? "
            "AND COALESCE(end_date, '9999-12-31') >= ?",
            [cid, end or "9999-12-31", start],
        ).fetchone()
        if clash:
            raise ReviewError(
                f"child {cid}: the return's period from {start} overlaps the period from "
                f"{clash[0]} already in the database; nothing was imported"
            )
        period_id = conn.execute(
            "INSERT INTO periods (child_id, start_date, end_date, reason_ceased) "
            "VALUES (?, ?, ?, ?)",
            [cid, start, end, rec],
        ).lastrowid
        plan.periods_new += 1
        changed = True
    else:
        period_id = row["id"]
        if (row["end_date"], row["reason_ceased"]) != (end, rec) and end is not None:
            conn.execute(
                "UPDATE periods SET end_date = ?, reason_ceased = ? WHERE id = ?",
                [end, rec, period_id],
            )
            plan.periods_updated += 1
            changed = True
    for ep in eps:
        values = [ep.end.isoformat() if ep.end else None, ep.rne, ep.ls, ep.place, ep.rpc, ep.rec]
        current = conn.execute(
            "SELECT id, end_date, rne, legal_status, placement, reason_place_change, "
            "reason_ceased FROM episodes WHERE period_id = ? AND start_date = ?",
            [period_id, ep.start.isoformat()],
        ).fetchone()
        if current is None:
            conn.execute(
                "INSERT INTO episodes (period_id, child_id, start_date, end_date, rne, "
                "legal_status, placement, reason_place_change, reason_ceased) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    period_id,
                    cid,
                    ep.start.isoformat(),
                    values[0],
                    ep.rne,
                    ep.ls,
                    ep.place,
                    ep.rpc,
                    ep.rec,
                ],
            )
            plan.episodes_new += 1
            changed = True
        elif list(current)[1:] != values and not (values[0] is None and current["end_date"]):
            conn.execute(
                "UPDATE episodes SET end_date = ?, rne = ?, legal_status = ?, placement = ?, "
                "reason_place_change = ?, reason_ceased = ? WHERE id = ?",
                [*values, current["id"]],
            )
            plan.episodes_updated += 1
            changed = True

    # Held reviews, numbered and given the deadline the rules set at the time.
    stored = {
        r["recording_date"]: r
        for r in conn.execute(
            "SELECT id, recording_date, participation FROM reviews "
            "WHERE period_id = ? AND status = 'held'",
            [period_id],
        )
    }
    # The rules see the whole period: episodes and reviews already held plus the return's.
    info = store.period_input(period_id)
    all_eps = info.episodes
    held: list[rules.HeldReview] = list(info.reviews)
    for day, pn in period_reviews:
        key = day.isoformat()
        if key in stored:
            if pn and stored[key]["participation"] != pn:
                conn.execute(
                    "UPDATE reviews SET participation = ? WHERE id = ?", [pn, stored[key]["id"]]
                )
                plan.reviews_updated += 1
                changed = True
            continue
        at_the_time = rules.Period(
            start=info.start,
            # The deadline in force before the day's own changes (a placement recorded the
            # same day as the review came after it).
            episodes=tuple(e for k, e in enumerate(all_eps) if k == 0 or e.start < day),
            reviews=tuple(r for r in held if r.recording_date < day),
        )
        nxt = rules.next_review(at_the_time, cal, policy)
        conn.execute(
            "INSERT INTO reviews (child_id, period_id, number, deadline, rule, status, "
            "booked_date, recording_date, held_date, participation, meeting, late_reason, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'held', ?, ?, ?, ?, 1, ?, ?, ?)",
            [
                cid,
                period_id,
                nxt.number,
                nxt.due.isoformat(),
                nxt.rule,
                key,
                key,
                key,
                pn,
                LATE_IMPORTED if day > nxt.due else None,
                stamp,
                stamp,
            ],
        )
        held.append(rules.HeldReview(day))
        held.sort(key=lambda r: r.recording_date)
        plan.reviews_new += 1
        changed = True
    if changed:
        _renumber(conn, period_id)
        store.refresh_period(period_id)
    return changed


def _renumber(conn, period_id: int) -> None:
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM reviews WHERE period_id = ? AND status = 'held' "
            "ORDER BY recording_date, id",
            [period_id],
        )
    ]
    for n, rid in enumerate(ids, 1):
        conn.execute("UPDATE reviews SET number = ? WHERE id = ? AND number IS NOT ?", [n, rid, n])


def write_rejects(rejects: list[Reject], path: Path) -> None:
    from .files import open_private

    with open_private(path) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "line", "child", "reason"])
        for r in rejects:
            w.writerow([safe_cell(r.file), r.line, safe_cell(r.child), safe_cell(r.reason)])
