"""The SSDA903 return: export for the DfE collection, and import of an authority's history.

Layouts and dd/mm/YYYY dates as in ``codes.md``. The collection year ``Y`` runs from
1 April of Y-1 to 31 March of Y (``--year 2026`` is 1 April 2025 – 31 March 2026).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gc
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from . import codes, derived, rules
from .calendar import age_on
from .errors import ReviewError
from .migrations import DERIVED, now_iso
from .output import csv_text

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
    try:
        if "/" in value:
            parts = value.split("/")
            if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
                return date(int(parts[2]), int(parts[1]), int(parts[0]))
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None


# --- export ----------------------------------------------------------------------------------


def export(store, year: int | None, out: Path) -> dict:
    """Write header.csv, episodes.csv and reviews.csv for the collection year.

    ``year=None`` writes the whole history in the same layout, to move an authority's
    data between databases (the round trip ``export`` then ``import`` keeps every deadline).
    """
    from .files import make_folder, open_private

    start, end = collection_year(year) if year is not None else (date.min, date.max)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReviewError(f"{str(out)!r} is a file; give a folder")
    make_folder(out, parents=True)
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
            sex = codes.sex_code(c["gender"], start if year is not None else None)
            # MOTHER and MC_DOB as the return gave them; else worked out from a child of
            # hers held here (R-IRO-3).
            mother, mc_dob = c.get("mother") or "", c.get("mc_dob")
            if mother == "1" and mc_dob and mc_dob > e:
                # Held from a later return: in this year she was not yet a mother.
                mother, mc_dob = "0", None
            female = (c["gender"] or "").strip().lower() in ("f", "female", "girl", "2")
            if not mother and female:
                mother, mc_dob = ("1", mothers[cid]) if cid in mothers else ("0", None)
            w.writerow([
                cid, sex, fmt_date(c["dob"]), c.get("ethnic") or "", c.get("upn") or "",
                mother, fmt_date(mc_dob) if mother == "1" else "",
            ])  # fmt: skip

    with open_private(out / "episodes.csv") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(EPISODES)
        for cid in children:
            eps = by_child[cid]
            for k, ep in enumerate(eps):
                ended_in_year = ep["end_date"] is not None and ep["end_date"] <= e
                reason = _reason_returned(ep, eps[k + 1] if k + 1 < len(eps) else None, e)
                w.writerow([
                    cid, fmt_date(ep["start_date"]), ep["rne"], ep["legal_status"] or "",
                    ep.get("cin") or "", ep["placement"] or "", ep.get("place_provider") or "",
                    fmt_date(ep["end_date"]) if ended_in_year else "",
                    (ep["reason_ceased"] or "") if ended_in_year else "",
                    reason,
                    ep.get("home_post") or "",
                    ep.get("pl_post") or "", ep.get("urn") or "",
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


def _reason_returned(ep, after, year_end: str) -> str:
    """The REASON_PLACE_CHANGE cell of an episode's row in the return ending ``year_end``.

    It goes on the episode that ended with the change (rules 225, 233): none on one open
    at the year end that ended later (its reason belongs to that later year). A row an
    import gave keeps its own cell; an episode recorded by a command takes the reason held
    on the episode its change began."""
    ended_in_year = ep["end_date"] is not None and ep["end_date"] <= year_end
    returned = ep.get("rpc_returned")
    if not ended_in_year:
        return (returned or "") if ep["end_date"] is None else ""
    if returned:
        return returned
    if ep["reason_ceased"] == "X1" and after is not None and after["period_id"] == ep["period_id"]:
        return after["reason_place_change"] or ""
    return ""


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
    episodes_replaced: int = 0
    reviews_replaced: int = 0
    reviews_new: int = 0
    reviews_updated: int = 0
    unchanged_children: int = 0
    rejects: list[Reject] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "rejects"}
        d["rejected_rows"] = len(self.rejects)
        return d


def _open_csv(
    path: Path, name: str, read: Callable[[int], None] | None = None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Upper-cased column names of one file, and its non-blank rows with their line numbers.

    The file is streamed a megabyte at a time, never held whole, so a return of any size
    is read in the memory of one chunk; a bad byte or a NUL is reported when met, during
    the reading that comes before anything is written. Each row is cut or padded to the
    columns, plus one empty cell at the end (for a column the file lacks).
    """
    from .files import check_input_size

    check_input_size(path, name)
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed by _lines)
    except FileNotFoundError:
        raise ReviewError(f"{path.name} not found in {str(path.parent)!r}") from None
    except IsADirectoryError:
        raise ReviewError(f"{name} is a folder, not a CSV file") from None
    reader = csv.reader(_lines(f, name, read=read))
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise ReviewError(f"{name} is empty") from None
    except csv.Error as e:
        f.close()
        raise ReviewError(f"{name} line 1: {e}") from None
    except ReviewError:
        f.close()
        raise
    columns = [h.strip().upper() for h in header]
    missing = [c for c in REQUIRED[_table_of(path.name)] if c not in columns]
    if missing:
        f.close()
        raise ReviewError(f"{name} lacks the column(s) {', '.join(missing)}")
    return columns, _records(reader, name, len(columns))


def _lines(
    f, name: str, chunk: int = 1 << 20, read: Callable[[int], None] | None = None
) -> Iterator[str]:
    """The lines of a file opened in binary, decoded as UTF-8 with their endings (LF,
    CR LF or CR, as ``newline=""`` gives them), a megabyte at a time. ``read`` is told how
    many bytes each megabyte held, once its lines are given. The file is closed at the end."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    done = 0  # bytes decoded before this chunk
    carry = ""  # the last, perhaps unfinished, line of the chunk before
    try:
        while True:
            raw = f.read(chunk)
            try:
                text = decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as e:
                raise ReviewError(
                    f"{name} is not UTF-8 text (byte {done + max(e.start, 0)}); save it as "
                    "UTF-8 CSV and try again"
                ) from None
            if "\x00" in text:
                raise ReviewError(f"{name} contains NUL bytes; it is not a CSV file")
            pieces = list(io.StringIO(carry + text, newline=""))
            carry = pieces.pop() if pieces and raw else ""
            yield from pieces
            if read and raw:
                read(len(raw))
            done += len(raw)
            if not raw:
                if carry:
                    yield carry
                return
    finally:
        f.close()


def _records(reader, name: str, width: int) -> Iterator[tuple[int, list[str]]]:
    try:
        for record in reader:
            if not "".join(record).strip():
                continue  # a blank line, or a row of empty cells
            n = len(record)
            if n > width:
                del record[width:]
            elif n < width:
                record.extend([""] * (width - n))
            record.append("")
            yield reader.line_num, record
    except csv.Error as e:
        raise ReviewError(f"{name} line {reader.line_num}: {e}") from None


def read_csv(path: Path, name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Rows of one file with upper-cased column names and their line numbers."""
    columns, records = _open_csv(path, name)
    return columns, [
        (line, {c: record[i].strip() for i, c in enumerate(columns)}) for line, record in records
    ]


def _table_of(filename: str) -> str:
    """The table a file holds, by its name: ``header.csv``, or ``SSDA903_2025_header.csv``
    as authorities name them (any case)."""
    low = filename.lower()
    for table in FILES:
        if low == table or low.endswith(("_" + table, "-" + table, " " + table)):
            return table
    return filename


def find_file(folder: Path, table: str) -> Path:
    """The file of ``table`` in a return's folder: ``header.csv`` or a name ending in
    ``_header.csv`` (any case). Two candidates for one table is an error."""
    try:
        found = sorted(p for p in folder.iterdir() if _table_of(p.name) == table and not p.is_dir())
    except OSError:
        found = []
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ReviewError(
            f"{str(folder)!r} holds {len(found)} files for {table} ({names}); keep one"
        )
    return found[0] if found else folder / table


def _files(folders: list[Path], name: str, read: Callable[[int], None] | None = None):
    """One file across several years' returns: (label, column positions, rows) per folder.

    A column the file lacks is at the position of the empty cell ending every row.
    """
    for folder in folders:
        path = find_file(folder, name)
        label = f"{folder.name}/{path.name}" if len(folders) > 1 else path.name
        columns, records = _open_csv(path, label, read)
        position = {c: i for i, c in enumerate(columns)}  # the last of a repeated name
        yield label, lambda c, p=position, absent=len(columns): p.get(c, absent), records


class _Reading:
    """Progress through the return's files, in megabytes of their size: at national scale
    reading and checking them takes seconds before the first child is written."""

    LABEL = "Reading the return (MB)"

    def __init__(self, folders: list[Path], progress):
        self.progress, self.done = progress, 0
        size = sum(
            path.stat().st_size
            for folder in folders
            for path in (find_file(folder, name) for name in FILES)
            if path.is_file()
        )
        self.size, self.total = size, max(1, -(-size // _MB))
        progress(0, self.total, self.LABEL)

    def __call__(self, size: int) -> None:
        self.done = min(self.size, self.done + size)
        whole = self.total if self.done == self.size else self.done // _MB
        self.progress(whole, self.total, self.LABEL)


_MB = 1 << 20


@dataclass(slots=True)
class _Head:
    """A child's header row (the latest return's), and the returns listing the child."""

    dob: date
    gender: str | None
    extra: tuple  # CHILD_EXTRA_COLUMNS
    file: str
    line: int
    orders: tuple  # the returns listing the child, by their order (oldest first)
    spans: tuple = ()  # the collection years of those whose year is known

    def __getitem__(self, key: str):
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key, default)


@dataclass(slots=True)
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
    extra: tuple = ()  # EXTRA_EPISODE, as they came
    order: int = 0  # the return it came from, oldest first
    keep_rpc: bool = False  # the reason into it is not in the return: keep the one held


def _reasons_into(period: list[_Ep]) -> None:
    """The return gives the reason for a placement change on the episode that ended with
    it (rules 225, 233); the records keep it on the episode the change began, as `episode
    change --reason-place-change` does (R-SCH-9 reads it there). Each row's own cell is
    also kept as it came (``rpc_returned``), to be given back. The first episode of a
    period that began before the return keeps the reason held for it."""
    reasons = [None] + [e.rpc if e.rec == "X1" else None for e in period[:-1]]
    for e, reason in zip(period, reasons, strict=True):
        e.rpc = reason
    period[0].keep_rpc = period[0].rne != "S"


# The fields of the return no deadline reads, kept as they came (codes.md): column in the
# file, column in the database, and the longest value taken.
EXTRA_HEADER = (("ETHNIC", "ethnic", 8), ("UPN", "upn", 13), ("MOTHER", "mother", 1))
EXTRA_EPISODE = (
    ("CIN", "cin", 8),
    ("PLACE_PROVIDER", "place_provider", 8),
    ("HOME_POST", "home_post", 10),
    ("PL_POST", "pl_post", 10),
    ("URN", "urn", 16),
)
# ... and the REASON_PLACE_CHANGE cell of the episode's own row as the latest return gave
# it ('' for an empty one; NULL for an episode recorded by a command), to give it back.
EPISODE_EXTRA_COLUMNS = (*(c for _, c, _ in EXTRA_EPISODE), "rpc_returned")
CHILD_EXTRA_COLUMNS = (*(c for _, c, _ in EXTRA_HEADER), "mc_dob")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _extra(row: list[str], positions, fields, seen: dict) -> tuple[tuple, str | None]:
    """The extra fields of a row, and why one cannot be taken (or None). ``seen`` gives
    one string object for each value, however many rows repeat it: a return repeats its
    providers, postcodes and each child's home postcode."""
    values = [row[i].strip() for i in positions]
    if _CONTROL.search("".join(values)):
        column = next(f[0] for f, v in zip(fields, values, strict=True) if _CONTROL.search(v))
        return (), f"{column} contains control characters"
    for (column, _, limit), value in zip(fields, values, strict=True):
        if len(value) > limit:
            return (), f"{column} {value[:20]!r} is longer than {limit} characters"
    return tuple([seen.setdefault(v, v) if v else None for v in values]), None


def date_problem(value: str, what: str = "date") -> str:
    """Why a date of the return cannot be read, in the admin's words: ``what`` names it
    (``DECOM``, ``date of birth``)."""
    text = value.strip()
    parts = text.split("/")
    if not text:
        return f"{what} is missing"
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        if len(parts[2]) != 4:
            return f"{what} {text}: the year must have four digits"
        return f"impossible {what} {text!r}"
    return f"{what} {text!r} is not a date (dd/mm/YYYY)"


def _is_date(value: str) -> bool:
    try:
        parse_903_date(value)
    except ValueError:
        return False
    return True


def _date_reader() -> Callable[[str], date]:
    """``parse_903_date`` remembering each text it has seen (a return repeats its dates)."""
    seen: dict[str, date | None] = {}

    def read(value: str) -> date:
        try:
            day = seen[value]
        except KeyError:
            try:
                day = parse_903_date(value)
            except ValueError:
                day = None
            seen[value] = day
        if day is None:
            raise ValueError(value)
        return day

    return read


def _valid_child_id(cid: str) -> bool:
    if not cid or len(cid) > 64:
        return False
    return cid.isalnum() or not any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in cid)


_EPISODE_CODES = (
    ("reason for new episode", True),
    ("legal status", True),
    ("placement", True),
    ("reason ceased", False),
    ("reason for placement change", False),
)


def _parse(folders: list[Path], plan: Plan, today: date, progress=None):
    """Read and check the three files, row by row; collect every rejected row.

    ``progress(done, total, description)`` follows the files' characters as they are read.
    """
    bad_children: set[str] = set()
    read_date = _date_reader()
    read = _Reading(folders, progress) if progress else None

    def reject(file, line, child, reason):
        plan.rejects.append(Reject(file, line, child, reason))
        bad_children.add(child)

    headers: dict[str, dict] = {}
    seen: dict = {}  # one object for each value of the return's own fields
    seen_in: dict[str, str] = {}
    # Each return's collection year, from its name (None when it has none): a child's year
    # in a later return replaces that year's reviews taken from an earlier one. (Not
    # guessed from the dates: a return of long-open episodes alone would seem a year older.)
    spans = [_name_span(f) for f in folders]
    for order, (file, col, rows) in enumerate(_files(folders, "header.csv", read)):
        i_child, i_dob, i_sex, i_mc = col("CHILD"), col("DOB"), col("SEX"), col("MC_DOB")
        i_extra = [col(c) for c, _, _ in EXTRA_HEADER]
        for line, row in rows:
            cid = row[i_child].strip()
            why = child_id_problem(cid)
            if why:
                reject(file, line, cid, why)
                continue
            try:
                dob = read_date(row[i_dob].strip())
            except ValueError:
                reject(file, line, cid, date_problem(row[i_dob], "date of birth"))
                continue
            sex = row[i_sex].strip().upper()
            if sex and sex not in codes.SEX_READ:
                reject(
                    file, line, cid, f"unknown SEX code {sex!r} (M, F or U; 1 or 2 before 2024-25)"
                )
                continue
            extra, why = _extra(row, i_extra, EXTRA_HEADER, seen)
            if why is None and extra[2] not in (None, "0", "1"):
                why = f"MOTHER {extra[2]!r} must be 1, 0 or empty"
            mc = row[i_mc].strip()
            mc_dob = None
            if why is None and mc:
                try:
                    mc_dob = read_date(mc)
                except ValueError:
                    why = date_problem(mc, "MC_DOB")
            if why:
                reject(file, line, cid, why)
                continue
            if cid in headers and seen_in[cid] == file:
                reject(file, line, cid, "child listed twice")
                continue
            # The same child in a later year's return: its header wins (a correction).
            before = headers.get(cid)
            headers[cid] = _Head(
                dob,
                codes.SEX_READ.get(sex),
                (*extra, mc_dob.isoformat() if mc_dob else None),
                file,
                line,
                (*before.orders, order) if before else (order,),
            )
            seen_in[cid] = file
    del seen_in
    # One string object for each child id and code, however many rows repeat it.
    same = {cid: cid for cid in headers}
    same.update((c, c) for kind, _ in _EPISODE_CODES for c in codes.CODE_LISTS[kind])
    same.update((c, c) for c in codes.PARTICIPATION)

    lists = [codes.CODE_LISTS[kind] for kind, _ in _EPISODE_CODES]
    rne_codes, ls_codes, place_codes, rec_codes, rpc_codes = lists
    episodes: dict[str, dict[date, _Ep]] = defaultdict(dict)  # by child, by start
    window = codes.WINDOWS["placement"]
    for order, (file, col, rows) in enumerate(_files(folders, "episodes.csv", read)):
        i_child, i_decom, i_dec = col("CHILD"), col("DECOM"), col("DEC")
        i_rne, i_ls, i_place = col("RNE"), col("LS"), col("PLACE")
        i_rec, i_rpc = col("REC"), col("REASON_PLACE_CHANGE")
        i_extra = [col(c) for c, _, _ in EXTRA_EPISODE]
        in_file: dict[str, dict[date, _Ep]] = defaultdict(dict)  # by child, by start
        for line, row in rows:
            cid = row[i_child].strip()
            if cid not in headers:
                reject(file, line, cid, "child not in header.csv")
                continue
            cid = same[cid]
            decom, dec = row[i_decom].strip(), row[i_dec].strip()
            try:
                start = read_date(decom)
                end = read_date(dec) if dec else None
            except ValueError:
                bad = ("DECOM", decom) if not _is_date(decom) else ("DEC", dec)
                reject(file, line, cid, date_problem(bad[1], bad[0]))
                continue
            if start > today:
                reject(file, line, cid, f"DECOM {start} is in the future")
                continue
            rne, ls, place = row[i_rne].strip(), row[i_ls].strip(), row[i_place].strip()
            rec, rpc = row[i_rec].strip(), row[i_rpc].strip()
            rne, ls, place = rne.upper(), ls.upper(), place.upper()
            rec, rpc = rec.upper(), rpc.upper()
            if (
                rne not in rne_codes
                or ls not in ls_codes
                or place not in place_codes
                or (rec and rec not in rec_codes)
                or (rpc and rpc not in rpc_codes)
                or (place in window and not codes.valid_between("placement", place, start, end))
            ):
                problems = []
                given = [row[i].strip() for i in (i_rne, i_ls, i_place, i_rec, i_rpc)]
                for (kind, required), value in zip(_EPISODE_CODES, given, strict=True):
                    if not (value or required):
                        continue
                    valid = ", ".join(codes.valid_codes(kind, start, end))
                    span = f"an episode from {start}{f' to {end}' if end else ''}"
                    if value.upper() not in codes.CODE_LISTS[kind]:
                        problems.append(
                            f"unknown {kind} code {value!r} (valid for {span}: {valid})"
                        )
                    elif not codes.valid_between(kind, value.upper(), start, end):
                        problems.append(
                            f"{kind} code {value.upper()} is not valid for {span} (valid: {valid})"
                        )
                reject(file, line, cid, "; ".join(problems))
                continue
            if end is not None and end < start:
                reject(file, line, cid, f"DEC {end} is before DECOM {start}")
                continue
            if bool(end) != bool(rec):
                reject(file, line, cid, "DEC and REC must be given together")
                continue
            if start < headers[cid]["dob"]:
                reject(file, line, cid, f"DECOM {start} is before the date of birth")
                continue
            extra, why = _extra(row, i_extra, EXTRA_EPISODE, seen)
            if why:
                reject(file, line, cid, why)
                continue
            ep = _Ep(
                file,
                line,
                start,
                same[rne],
                same[ls],
                same[place],
                end,
                same[rec] if rec else None,
                same[rpc] if rpc else None,
                (*extra, same[rpc] if rpc else ""),
                order,
            )
            mine = in_file[cid]
            twin = mine.get(start)
            if twin is not None:
                reject(file, line, cid, f"two episodes start on {start} (line {twin.line} too)")
                continue
            mine[start] = ep
        # A later return's version of a child's year wins: its episodes replace those of
        # the earlier returns from its first one on (a corrected date replaces the old one).
        for cid, mine in in_file.items():
            held = episodes.get(cid)
            if held:
                supersede(held, mine.values())
                held.update(mine)
            else:
                episodes[cid] = mine
        del in_file

    for head in headers.values():
        head.spans = tuple(spans[o] for o in head.orders if spans[o])
    participation = codes.PARTICIPATION
    # By child, by day: (file, line, participation, the return's order).
    reviews: dict[str, dict[date, tuple[str, int, str | None, int]]] = defaultdict(dict)
    for order, (file, col, rows) in enumerate(_files(folders, "reviews.csv", read)):
        i_child, i_review, i_code = col("CHILD"), col("REVIEW"), col("REVIEW_CODE")
        if order and spans[order]:
            # A later return's version of its year: the reviews of that year taken from
            # earlier returns go, for every child it lists (its own are added below).
            lo, hi = spans[order]
            for cid, held in reviews.items():
                if order in headers[cid]["orders"]:
                    for day in [d for d, r in held.items() if lo <= d <= hi and r[3] < order]:
                        del held[day]
        for line, row in rows:
            cid = row[i_child].strip()
            head = headers.get(cid)
            if head is None:
                reject(file, line, cid, "child not in header.csv")
                continue
            try:
                day = read_date(row[i_review].strip())
            except ValueError:
                reject(file, line, cid, date_problem(row[i_review], "review date"))
                continue
            if day > today:
                reject(file, line, cid, f"review date {day} is in the future")
                continue
            pn = row[i_code].strip().upper() or None
            if pn and pn not in participation:
                reject(file, line, cid, f"unknown participation code {pn!r}")
                continue
            age = age_on(head["dob"], day)
            if pn == "PN0" and age >= 4:
                reject(file, line, cid, f"PN0 for a child aged {age} on the review date")
                continue
            if pn and pn != "PN0" and age < 4:
                reject(file, line, cid, f"{pn} for a child under 4 (use PN0)")
                continue
            held = reviews[same[cid]]
            if day in held and held[day][3] == order:
                if held[day][2] != pn:
                    reject(file, line, cid, f"two reviews recorded on {day}")
                continue
            held[day] = (file, line, same[pn] if pn else None, order)
    return headers, episodes, reviews, bad_children, reject


def supersede(held: dict, eps: list) -> list:
    """Drop from ``held`` (episodes by start) those a newer return's ``eps`` for the same
    child replace: every one still open on or after the first day of ``eps``. Returns
    the dropped ones."""
    first = min(e.start for e in eps)
    gone = [day for day, e in held.items() if day >= first or e.end is None or e.end > first]
    return [held.pop(day) for day in gone]


def child_id_problem(cid: str) -> str | None:
    """Why a child id cannot be taken, or None."""
    if not _valid_child_id(cid):
        return f"invalid child id {cid!r}"
    if cid[0] in "=+-@":
        return (
            f"child id {cid!r} begins with {cid[0]!r}, which a spreadsheet would read as a formula"
        )
    return None


def return_year(folder: Path) -> int | None:
    """The collection year of the return in a folder: a year in the folder's name or its
    files' (``2025``, ``SSDA903_2025_header.csv``), else the year of its latest date."""
    named = _name_year(folder)
    if named:
        return named
    latest = None
    path = find_file(folder, "episodes.csv")
    if not path.is_file():
        return None
    columns, records = _open_csv(path, path.name)
    at = [i for i, c in enumerate(columns) if c in ("DECOM", "DEC")]
    for _, row in records:
        for i in at:
            try:
                day = parse_903_date(row[i])
            except ValueError:
                continue
            latest = day if latest is None or day > latest else latest
    if latest is None:
        return None
    return latest.year + (1 if latest.month >= 4 else 0)


def _name_year(folder: Path) -> int | None:
    """A collection year in the name of a return's folder or files (``2025``,
    ``SSDA903_2025_header.csv``)."""

    for name in [folder.name] + [find_file(folder, t).name for t in FILES]:
        # "2025-26" (or 2025_26) is the year ending in 2026.
        for first, second in re.findall(r"(?<!\d)(20\d\d)[-_ ](\d\d)(?!\d)", name):
            if int(second) == (int(first) + 1) % 100:
                return int(first) + 1
        found = re.findall(r"(?<!\d)(20\d\d)(?!\d)", name)
        if found:
            return int(found[-1])
    return None


def _name_span(folder: Path) -> tuple[date, date] | None:
    """The first and last day of the collection year a return's name gives, if any."""
    year = _name_year(folder)
    return collection_year(year) if year else None


def oldest_first(folders: list[Path]) -> list[Path]:
    """Several years' returns in the order they were made, so that a later one's version
    of a child's year wins whatever order they were given in."""
    if len(folders) < 2:
        return folders
    years = [return_year(f) for f in folders]
    if any(y is None for y in years):
        return folders
    return [f for _, _, f in sorted(zip(years, range(len(folders)), folders, strict=True))]


def _same_day(ep: _Ep, rec: str | None) -> str:
    """Why an episode cannot begin on the day care ended with ``rec``."""
    if ep.rne == "S":
        return (
            f"new period of care from {ep.start}, the day care ended (REC {rec}): end the "
            "episode before with REC X1 if care went on, or start this one a day later"
        )
    return (
        f"RNE {ep.rne} on {ep.start} continues care, but care ended that day (REC {rec}): "
        "end the episode before with REC X1, or start a new period with RNE S"
    )


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
            if prev is not None and prev.end == ep.start:
                # Care ended (REC not X1) the day this episode begins: two periods of care
                # may not share a day, and folding it into the ended one is not the return.
                reject(ep.file, ep.line, cid, _same_day(ep, prev.rec))
                return None
            periods.append([ep])
    if eps and eps[-1].rec == "X1":
        reject(eps[-1].file, eps[-1].line, cid, "REC X1 but no episode begins on the same day")
        return None
    return periods


@contextmanager
def _no_gc():
    """Pause the cyclic garbage collector while an import builds its many small objects.

    They hold no reference cycles (reference counting frees them); without the pause the
    collector walks them all again and again: seconds, for a national-scale return.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# SQLite's page cache during an import: the indexes of reviews by recording date and by
# deadline are written in date order, not in the order of the rows; they must fit (about
# 20 bytes a review each), or every row written reads and spills pages.
CACHE_KIB = 64 * 1024


@contextmanager
def _page_cache(conn, kib: int):
    """A page cache of at least ``kib`` KiB on this connection while the block runs."""
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    has = -before if before < 0 else before * page_size // 1024
    if has >= kib:
        yield
        return
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")


def import_903(
    store,
    folder: str | Path,
    *,
    today: date,
    dry_run: bool = False,
    skip_rejected: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> Plan:
    """Build children, periods, episodes and held reviews from an SSDA903 return.

    One transaction: everything lands or nothing does. A clean import is idempotent; a
    newer return adds what is new and updates what changed. Rows that cannot be taken
    are reported with file, line and reason; by default any of them refuses the import.
    ``progress(done, total, description)`` follows the reading, then the children written.
    """
    folders = [Path(f) for f in (folder if isinstance(folder, (list, tuple)) else [folder])]
    for f in folders:
        if not f.is_dir():
            raise ReviewError(f"{str(f)!r} is not a folder holding the 903 files")
    folders = oldest_first(folders)
    plan = Plan()
    with _no_gc():
        try:
            headers, episodes, reviews, bad, reject = _parse(folders, plan, today, progress)
        except MemoryError:
            size = sum(
                p.stat().st_size
                for f in folders
                for p in (find_file(f, t) for t in FILES)
                if p.is_file()
            )
            raise ReviewError(
                f"the return's files ({size / _MB:.0f} MB) are too large for this computer's "
                "memory; import the years one at a time"
            ) from None
        built = {}
        for cid, head in headers.items():
            if cid in bad:
                continue
            periods = _periods(cid, list(episodes[cid].values()), reject) if cid in episodes else []
            if periods is None:
                continue
            for period in periods:
                _reasons_into(period)
            placed = _place_reviews(
                cid,
                periods,
                [(f, n, day, pn) for day, (f, n, pn, _) in reviews.get(cid, {}).items()],
                reject,
            )
            if placed is None:
                continue
            built[cid] = (head, periods, placed)
        del headers, episodes, reviews
        for cid in bad:
            built.pop(cid, None)
    refuse = bool(plan.rejects) and not skip_rejected
    try:
        done = len(built)
        status = (lambda label: progress(done, done, label)) if progress else None
        with (
            _page_cache(store.conn, CACHE_KIB),
            store.write(),
            _no_gc(),
            derived.deferred(store.conn, status),
        ):
            _Writer(store, plan, today).run(built, progress)
            if dry_run or refuse or (plan.rejects and not skip_rejected):
                # A dry run, or rows rejected without --skip-rejected: the plan is counted
                # with every reject, and nothing is kept.
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


class _MemoCalendar:
    """The authority's working calendar, remembering its answers: an import asks the same
    few thousand dates the same questions hundreds of thousands of times."""

    def __init__(self, cal):
        self._cal = cal
        for name in ("add_months", "add_working_days", "subtract_working_days", "add_weeks"):
            setattr(self, name, lru_cache(maxsize=None)(getattr(cal, name)))

    def __getattr__(self, name):
        return getattr(self._cal, name)


# Children the import creates are written this many at a time, one statement per table.
BATCH = 1000
# The rows of a batch, staged in temporary tables of these names and columns.
_STAGE = "import903_"
_STAGED = {
    "children": ("id", "first_name", "last_name", "dob", "gender", "created_at",
                 *CHILD_EXTRA_COLUMNS),
    "periods": (
        "id", "child_id", "start_date", "end_date", "reason_ceased", *rules.SCHEDULE_COLUMNS,
    ),
    "episodes": (
        "period_id", "child_id", "start_date", "end_date", "rne", "legal_status", "placement",
        "reason_place_change", "reason_ceased", *EPISODE_EXTRA_COLUMNS,
    ),
    "reviews": (
        "child_id", "period_id", "number", "deadline", "rule", "status", "booked_date",
        "recording_date", "held_date", "participation", "meeting", "late_reason",
        "created_at", "updated_at",
    ),
    "summary": ("child_id", "periods", "episodes", "reviews"),  # for the audit trail
}  # fmt: skip
# Children already in the database are read this many at a time, to compare with the return.
READ_CHUNK = 500


class _Writer:
    """Write an import inside the open transaction, child by child in id order.

    A child not yet in the database (the common case) takes the fast path: all its rows,
    with the deadlines the rules set, are built in Python and written in batches, one
    statement per table, with the per-row audit triggers switched off; one audit row per
    child records what was imported. A child already held is first compared with the
    return in memory (``_unchanged``); only a child that differs is merged row by row
    (``_merge_child``), each change audited by the triggers as before. Rows get the ids
    the one-by-one import gave them.
    """

    def __init__(self, store, plan: Plan, today: date):
        self.store = store
        self.conn = store.conn
        self.plan = plan
        self.today = today
        self.stamp = now_iso()
        self.cal = _MemoCalendar(store.calendar)
        self.policy = store.schedule_policy
        self.new: list[tuple] = []  # (child row, [(period row, episode rows, review rows)])
        # The statement writing the audit rows of new children: None before the first
        # batch, '' when writes are not audited (the audit table missing, or switched off).
        self.summary: str | None = None

    def run(self, built: dict, progress) -> None:
        cids = sorted(built)
        held = self._held(cids)
        queue = [cid for cid in cids if cid in held]
        state: dict[str, tuple] = {}
        read = 0
        total = len(cids)
        if progress:
            progress(0, total, "Importing children")
        for i, cid in enumerate(cids, 1):
            head, periods, placed = built[cid]
            if cid in held:
                if cid not in state:
                    chunk = queue[read : read + READ_CHUNK]
                    read += len(chunk)
                    state.update(self._read(chunk))
                if _unchanged(state.pop(cid), head, periods, placed):
                    self.plan.unchanged_children += 1
                else:
                    self._merge(cid, head, periods, placed)
            elif _touching(periods):
                # A period starting the day the one before ended: the merge finds the first
                # when it looks for the second, as it always has.
                self._merge(cid, head, periods, placed)
            else:
                self._add(cid, head, periods, placed)
                if len(self.new) >= BATCH:
                    self._flush()
            if progress and (i % 200 == 0 or i == total):
                progress(i, total, "Importing children")
        self._flush()
        self._drop_staging()

    def _merge(self, cid: str, head: dict, periods, placed) -> None:
        """Merge one child held already; a conflict the import cannot resolve rejects that
        child alone (its changes are undone), never the whole import."""
        self._flush()  # first, so that rows get the ids the one-by-one import gave them
        counts = dict(self.plan.__dict__)
        self.conn.execute("SAVEPOINT import903_child")
        try:
            _merge_child(
                self.store, cid, head, periods, placed, self.plan, self.cal, self.policy,
                self.stamp, self.today,
            )  # fmt: skip
        except ReviewError as e:
            self.conn.execute("ROLLBACK TO import903_child")
            self.conn.execute("RELEASE import903_child")
            rejects = self.plan.rejects
            self.plan.__dict__.update(counts)
            self.plan.rejects = rejects
            first = periods[0][0] if periods and periods[0] else None
            file, line = (first.file, first.line) if first else (head["file"], head["line"])
            self.plan.rejects.append(Reject(file, line, cid, str(e)))
            return
        self.conn.execute("RELEASE import903_child")

    def _chunks(self, ids: list[str]):
        for k in range(0, len(ids), READ_CHUNK):
            part = ids[k : k + READ_CHUNK]
            yield part, ",".join("?" * len(part))

    def _held(self, cids: list[str]) -> set[str]:
        """The children of the return the database already holds (or has periods for)."""
        held: set[str] = set()
        for part, marks in self._chunks(cids):
            held.update(
                r[0]
                for r in self.conn.execute(f"SELECT id FROM children WHERE id IN ({marks})", part)
            )
            held.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT DISTINCT child_id FROM periods WHERE child_id IN ({marks})", part
                )
            )
        return held

    def _read(self, cids: list[str]) -> dict[str, tuple]:
        """What the database holds of these children, as ``_unchanged`` compares it."""
        marks = ",".join("?" * len(cids))
        extra = ", ".join(CHILD_EXTRA_COLUMNS)
        children = {
            r[0]: tuple(r)[1:]
            for r in self.conn.execute(
                f"SELECT id, dob, gender, {extra} FROM children WHERE id IN ({marks})", cids
            )
        }
        in_periods = f"(SELECT id FROM periods WHERE child_id IN ({marks}))"
        periods = self._grouped(
            "SELECT child_id, id, start_date, end_date, reason_ceased FROM periods "
            f"WHERE child_id IN ({marks}) ORDER BY child_id, start_date, id",
            cids,
        )
        episodes = self._grouped(
            "SELECT period_id, start_date, end_date, rne, legal_status, placement, "
            f"reason_place_change, reason_ceased, {', '.join(EPISODE_EXTRA_COLUMNS)} "
            f"FROM episodes WHERE period_id IN {in_periods}",
            cids,
        )
        reviews = self._grouped(
            "SELECT period_id, recording_date, participation FROM reviews WHERE status = 'held' "
            f"AND period_id IN {in_periods}",
            cids,
        )
        return {
            cid: (
                children.get(cid),
                periods.get(cid, []),
                {p[0]: episodes.get(p[0], []) for p in periods.get(cid, [])},
                {p[0]: reviews.get(p[0], []) for p in periods.get(cid, [])},
            )
            for cid in cids
        }

    def _grouped(self, sql: str, params) -> dict:
        """Rows of ``sql`` by their first column: {key: [the rest of each row, …]}."""
        out: dict = defaultdict(list)
        for r in self.conn.execute(sql, params):
            out[r[0]].append(tuple(r)[1:])
        return out

    def _add(self, cid: str, head: dict, periods, placed) -> None:
        """A new child's rows, with the deadlines ``_merge_child`` would have stored."""
        cal, policy, stamp, plan = self.cal, self.policy, self.stamp, self.plan
        dob = head["dob"]
        rows = []
        stays: list[rules.Stay] = []  # the child's earlier periods (a short-break series)
        for eps, period_reviews in zip(periods, placed, strict=True):
            start = eps[0].start
            last = eps[-1]
            end = last.end if last.end and last.rec != "X1" else None
            steps = tuple(
                rules.Episode(
                    start=e.start,
                    legal_status=e.ls,
                    placement=e.place,
                    rne=e.rne,
                    reason_place_change=e.rpc,
                )
                for e in eps
            )
            # Each held review gets the deadline in force before the day's own changes.
            held: list[rules.HeldReview] = []
            review_rows = []
            earlier = 0 if eps[0].rne == "S" else None  # None: a continuing period
            for number, (day, pn) in enumerate(period_reviews, 1):
                known = 1
                while known < len(steps) and steps[known].start < day:
                    known += 1
                nxt = rules.next_review(
                    rules.Period(
                        start=start,
                        episodes=steps[:known],
                        reviews=tuple(held),
                        earlier=tuple(stays),
                        earlier_reviews=earlier,
                    ),
                    cal,
                    policy,
                )
                review_rows.append(_judged(number, nxt, day, pn, earlier, held))
                held.append(rules.HeldReview(day))
            if end:
                stays.append(rules.Stay(start, end, steps, tuple(held)))
            # The period's derived dates are worked out once, with everyone's, at the end
            # of the import (derived.deferred).
            schedule = dict.fromkeys(rules.SCHEDULE_COLUMNS)
            period_row = (
                cid,
                start.isoformat(),
                end.isoformat() if end else None,
                last.rec if end else None,
                *schedule.values(),
            )
            episode_rows = [
                (
                    cid,
                    e.start.isoformat(),
                    e.end.isoformat() if e.end else None,
                    e.rne,
                    e.ls,
                    e.place,
                    e.rpc,
                    e.rec,
                    *e.extra,
                )
                for e in eps
            ]
            rows.append((period_row, episode_rows, review_rows))
            plan.periods_new += 1
            plan.episodes_new += len(episode_rows)
            plan.reviews_new += len(review_rows)
        child = (cid, "", "", dob.isoformat(), head["gender"], stamp, *head["extra"])
        self.new.append((child, rows))
        plan.children_new += 1

    def _flush(self) -> None:
        """Insert the new children gathered so far.

        Their rows are staged in temporary tables and moved with one ``INSERT … SELECT``
        per table: one statement rather than one per row, whose statement journal and
        trigger set-up would cost more than the rows themselves.
        """
        if not self.new:
            return
        conn, stamp = self.conn, self.stamp
        next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM periods").fetchone()[0]
        staged: dict[str, list[tuple]] = {table: [] for table in _STAGED}
        children, periods, episodes, reviews, summary = staged.values()
        for child, rows in self.new:
            cid = child[0]
            children.append(child)
            n_episodes = n_reviews = 0
            for period_row, episode_rows, review_rows in rows:
                pid = next_id
                next_id += 1
                periods.append((pid, *period_row))
                episodes.extend((pid, *e) for e in episode_rows)
                reviews.extend(
                    (cid, pid, n, due, rule, "held", day, day, day, pn, 1, late, stamp, stamp)
                    for n, due, rule, day, pn, late in review_rows
                )
                n_episodes += len(episode_rows)
                n_reviews += len(review_rows)
            summary.append((cid, len(rows), n_episodes, n_reviews))
        self.new = []
        if self.summary is None:
            self._start_staging()
        for table, rows in staged.items():
            marks = ", ".join("?" * len(_STAGED[table]))
            conn.executemany(f"INSERT INTO temp.{_STAGE}{table} VALUES ({marks})", rows)
        if self.summary:
            self._set_audit("off")
        for table, columns in _STAGED.items():
            if table != "summary":
                names = ", ".join(columns)
                conn.execute(
                    f"INSERT INTO main.{table} ({names}) SELECT {names} "
                    f"FROM temp.{_STAGE}{table} ORDER BY rowid"
                )
        if self.summary:
            self._set_audit("on")
            conn.execute(self.summary)
        for table in _STAGED:
            conn.execute(f"DELETE FROM temp.{_STAGE}{table}")

    def _start_staging(self) -> None:
        """Create the staging tables; find out whether writes are audited."""
        for table, columns in _STAGED.items():
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{_STAGE}{table}")
            self.conn.execute(f"CREATE TEMP TABLE {_STAGE}{table} ({', '.join(columns)})")
        audited = False
        if self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'"
        ).fetchone():
            switch = self.conn.execute("SELECT value FROM _context WHERE key = 'audit'").fetchone()
            audited = switch is None or switch[0] != "off"
        self.summary = self._summary_sql() if audited else ""

    def _drop_staging(self) -> None:
        if self.summary is not None:
            for table in _STAGED:
                self.conn.execute(f"DROP TABLE temp.{_STAGE}{table}")
            self.summary = None

    def _set_audit(self, value: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO _context (key, value) VALUES ('audit', ?)", [value]
        )

    def _summary_sql(self) -> str:
        """One audit row per child created: the child's row, as the insert trigger writes
        it, and how many periods, episodes and held reviews the import gave it."""
        columns = [
            r[1]
            for r in self.conn.execute("PRAGMA table_info(children)")
            if r[1] not in DERIVED.get("children", ())
        ]
        values = ", ".join(f"'{c}', c.\"{c}\"" for c in columns)
        return (
            "INSERT INTO audit (at, user, command, table_name, row_key, child_id, action, "
            "before, after) SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
            "(SELECT value FROM _context WHERE key = 'user'), "
            "(SELECT value FROM _context WHERE key = 'command'), 'children', c.id, c.id, "
            f"'insert', NULL, json_object({values}, 'imported', json_object('periods', "
            "s.periods, 'episodes', s.episodes, 'reviews', s.reviews)) "
            f"FROM temp.{_STAGE}summary s JOIN main.children c ON c.id = s.child_id "
            "ORDER BY s.rowid"
        )


def _judged(number, nxt, day: date, pn, earlier, held) -> tuple:
    """A held review's row as imported: its number, deadline, rule, day, participation and
    why it was late. The first review found in a continuing period whose history is not
    recorded has no deadline the return can tell (R-SCH-1 does not apply to it): it is
    not judged."""
    if earlier != 0 and not held:
        return (number, None, None, day.isoformat(), pn, None)
    late = LATE_IMPORTED if day > nxt.due else None
    return (number, nxt.due.isoformat(), nxt.rule, day.isoformat(), pn, late)


def _touching(periods: list[list[_Ep]]) -> bool:
    """Whether a period of care starts on the day the one before it ended."""
    return any(a[-1].end == b[0].start for a, b in zip(periods, periods[1:], strict=False))


def _unchanged(state: tuple, head: dict, periods, placed) -> bool:
    """True when ``_merge_child`` would change nothing for this child: the same lookups and
    comparisons, made on what ``_Writer._read`` read. Anything ambiguous (two rows where the
    merge takes the first) counts as a change, so the merge itself decides."""
    child, child_periods, episodes, reviews = state
    if child is None:
        return False
    if child != _child_values(head, child):
        return False
    # Episodes or reviews held that the return replaces (``_supersede_held``,
    # ``_supersede_reviews``) are a change.
    listed = {e.start.isoformat() for period in periods for e in period}
    if listed:
        first = min(listed)
        for held in episodes.values():
            for e in held:
                if e[0] not in listed and (e[0] >= first or e[1] is None or e[1] > first):
                    return False
    if head.get("spans"):
        days = {day.isoformat() for period in placed for day, _ in period}
        for held in reviews.values():
            for day, _ in held:
                if day not in days and any(
                    lo.isoformat() <= day <= hi.isoformat() for lo, hi in head["spans"]
                ):
                    return False
    for eps, period_reviews in zip(periods, placed, strict=True):
        start = eps[0].start.isoformat()
        last = eps[-1]
        end = last.end.isoformat() if last.end and last.rec != "X1" else None
        rec = last.rec if end else None
        matches = [p for p in child_periods if p[1] == start]
        if not matches and eps[0].rne != "S":
            matches = [p for p in child_periods if p[1] < start and (p[2] or "9999-12-31") >= start]
        if len(matches) != 1:
            return False
        period_id, _, p_end, p_rec = matches[0]
        if (p_end, p_rec) != (end, rec) and end is not None:
            return False
        held = episodes[period_id]
        for ep in eps:
            day = ep.start.isoformat()
            found = [e for e in held if e[0] == day]
            if len(found) != 1:
                return False
            values = (
                ep.end.isoformat() if ep.end else None,
                ep.rne,
                ep.ls,
                ep.place,
                found[0][5] if ep.keep_rpc else ep.rpc,
                ep.rec,
                *ep.extra,
            )
            if found[0][1:] != values and not (values[0] is None and found[0][1]):
                return False
        stored: dict[str, str | None] = {}
        for day, pn in reviews[period_id]:
            if day in stored:
                return False
            stored[day] = pn
        for day, pn in period_reviews:
            key = day.isoformat()
            if key not in stored or (pn and stored[key] != pn):
                return False
    return True


def _child_values(head: dict, held) -> tuple:
    """The child's row as the return gives it: date of birth, gender and the return's own
    fields; a gender the return leaves empty keeps the one held."""
    return (head["dob"].isoformat(), head["gender"] or held[1], *head["extra"])


def _merge_child(store, cid, head, periods, placed, plan, cal, policy, stamp, today):
    conn = store.conn
    extra = ", ".join(CHILD_EXTRA_COLUMNS)
    existing = conn.execute(
        f"SELECT dob, gender, {extra} FROM children WHERE id = ?", [cid]
    ).fetchone()
    changed = False
    if existing is None:
        conn.execute(
            f"INSERT INTO children (id, first_name, last_name, dob, gender, created_at, {extra}) "
            "VALUES (?, '', '', ?, ?, ?, ?, ?, ?, ?)",
            [cid, head["dob"].isoformat(), head["gender"], stamp, *head["extra"]],
        )
        plan.children_new += 1
    elif tuple(existing) != _child_values(head, existing):
        sets = ", ".join(f"{c} = ?" for c in CHILD_EXTRA_COLUMNS)
        conn.execute(
            f"UPDATE children SET dob = ?, gender = ?, {sets} WHERE id = ?",
            [*_child_values(head, existing), cid],
        )
        plan.children_updated += 1
        changed = True
    corrected = existing is not None and _supersede_held(conn, cid, periods, plan)
    if existing is not None and head.get("spans"):
        days = {day.isoformat() for period in placed for day, _ in period}
        corrected |= _supersede_reviews(conn, cid, head["spans"], days, plan)
    changed |= corrected
    for period_eps, period_reviews in zip(periods, placed, strict=True):
        changed |= _merge_period(
            store, cid, period_eps, period_reviews, plan, cal, policy, stamp, corrected
        )
    if existing is not None and not changed:
        plan.unchanged_children += 1


def _supersede_held(conn, cid: str, periods, plan) -> bool:
    """Delete the episodes held for a child that the return replaces (``supersede``): those
    still open on or after its first episode's day that it does not list. A corrected
    date thus replaces the old one whether the returns are loaded together or one by one."""
    eps = [e for period in periods for e in period]
    if not eps:
        return False
    first = min(e.start for e in eps).isoformat()
    listed = [e.start.isoformat() for e in eps]
    gone = conn.execute(
        "SELECT id FROM episodes WHERE child_id = ? AND (start_date >= ? OR end_date IS NULL "
        "OR end_date > ?) AND start_date NOT IN (SELECT value FROM json_each(?))",
        [cid, first, first, json.dumps(listed)],
    ).fetchall()
    for (episode_id,) in gone:
        conn.execute("DELETE FROM episodes WHERE id = ?", [episode_id])
    plan.episodes_replaced += len(gone)
    return bool(gone)


def _supersede_reviews(conn, cid: str, spans, days: set[str], plan) -> bool:
    """Delete the reviews held for a child, in the years of the returns listing it, that
    those returns do not list (a corrected date replaces the old one). Only reviews as an
    import left them: a review with anything recorded about it (steps, decisions, changes,
    invitees) is kept."""
    referencing = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql LIKE '%REFERENCES reviews(id)%'"
        )
    ]
    untouched = " ".join(
        f"AND NOT EXISTS (SELECT 1 FROM {t} x WHERE x.review_id = r.id)" for t in referencing
    )
    gone = 0
    for lo, hi in spans:
        for (review_id,) in conn.execute(
            "SELECT r.id FROM reviews r WHERE r.child_id = ? AND r.status = 'held' "
            "AND r.recording_date BETWEEN ? AND ? "
            "AND r.recording_date NOT IN (SELECT value FROM json_each(?)) " + untouched,
            [cid, lo.isoformat(), hi.isoformat(), json.dumps(sorted(days))],
        ).fetchall():
            conn.execute("DELETE FROM reviews WHERE id = ?", [review_id])
            gone += 1
    plan.reviews_replaced += gone
    return bool(gone)


def _merge_period(
    store, cid, eps, period_reviews, plan, cal, policy, stamp, corrected=False
) -> bool:
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
        if row is not None and row["end_date"] == start:
            raise ReviewError(
                f"child {cid}: the return's episode from {start} (RNE {eps[0].rne}) continues "
                f"care, but the period already in the database ended that day (REC "
                f"{row['reason_ceased']})"
            )
    changed = False
    if row is None:
        clash = conn.execute(
            "SELECT start_date, id, end_date, reason_ceased FROM periods WHERE child_id = ? "
            "AND start_date <= ? AND COALESCE(end_date, '9999-12-31') >= ?",
            [cid, end or "9999-12-31", start],
        ).fetchone()
        if (
            clash
            and not conn.execute(
                "SELECT 1 FROM episodes WHERE period_id = ? AND start_date < ?", [clash[1], start]
            ).fetchone()
        ):
            # The period's first episodes were replaced by a later return's: it now
            # begins with the return's corrected date.
            conn.execute("UPDATE periods SET start_date = ? WHERE id = ?", [start, clash[1]])
            plan.periods_updated += 1
            corrected = True
            row = {"id": clash[1], "end_date": clash[2], "reason_ceased": clash[3]}
            changed = True
        elif clash:
            raise ReviewError(
                f"child {cid}: the return's period from {start} overlaps the period from "
                f"{clash[0]} already in the database"
            )
    if row is None:
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
    extra = ", ".join(EPISODE_EXTRA_COLUMNS)
    for ep in eps:
        values = [
            ep.end.isoformat() if ep.end else None, ep.rne, ep.ls, ep.place, ep.rpc, ep.rec,
            *ep.extra,
        ]  # fmt: skip
        current = conn.execute(
            "SELECT id, end_date, rne, legal_status, placement, reason_place_change, "
            f"reason_ceased, {extra} FROM episodes WHERE period_id = ? AND start_date = ?",
            [period_id, ep.start.isoformat()],
        ).fetchone()
        if current is None:
            conn.execute(
                "INSERT INTO episodes (period_id, child_id, start_date, end_date, rne, "
                f"legal_status, placement, reason_place_change, reason_ceased, {extra}) "
                f"VALUES ({', '.join('?' * (9 + len(EPISODE_EXTRA_COLUMNS)))})",
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
                    *ep.extra,
                ],
            )
            plan.episodes_new += 1
            changed = True
            continue
        if ep.keep_rpc:
            values[4] = current["reason_place_change"]
        if list(current)[1:] != values and not (values[0] is None and current["end_date"]):
            if values[0] is None:
                values[0] = current["end_date"]  # closed by a return already held
            sets = ", ".join(f"{c} = ?" for c in EPISODE_EXTRA_COLUMNS)
            conn.execute(
                "UPDATE episodes SET end_date = ?, rne = ?, legal_status = ?, placement = ?, "
                f"reason_place_change = ?, reason_ceased = ?, {sets} WHERE id = ?",
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
    info = None
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
        if info is None:
            # The rules see the whole period: episodes and reviews already held plus the
            # return's (read once the first review to add is met).
            info = store.period_input(period_id)
            all_eps = info.episodes
            held: list[rules.HeldReview] = list(info.reviews)
        before = tuple(r for r in held if r.recording_date < day)
        at_the_time = rules.Period(
            start=info.start,
            # The deadline in force before the day's own changes (a placement recorded the
            # same day as the review came after it).
            episodes=tuple(e for k, e in enumerate(all_eps) if k == 0 or e.start < day),
            reviews=before,
            consent_on=info.consent_on if info.consent_on and info.consent_on < day else None,
            earlier=info.earlier,
            breaks_ended=tuple(e for e in info.breaks_ended if e < day),
            earlier_reviews=info.earlier_reviews,
        )
        nxt = rules.next_review(at_the_time, cal, policy)
        number, due, rule, _, _, late = _judged(
            nxt.number, nxt, day, pn, info.earlier_reviews, before
        )
        conn.execute(
            "INSERT INTO reviews (child_id, period_id, number, deadline, rule, status, "
            "booked_date, recording_date, held_date, participation, meeting, late_reason, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'held', ?, ?, ?, ?, 1, ?, ?, ?)",
            [cid, period_id, number, due, rule, key, key, key, pn, late, stamp, stamp],
        )
        held.append(rules.HeldReview(day))
        held.sort(key=lambda r: r.recording_date)
        plan.reviews_new += 1
        changed = True
    if changed:
        if corrected:
            # Its episodes were corrected: the reviews held are judged again, as they
            # would have been had the corrected return come first.
            rejudge(store, period_id)
        else:
            _renumber(conn, period_id)
        store.refresh_period(period_id)
    return changed


def rejudge(store, period_id: int) -> None:
    """Number the held reviews of a period after the earlier ones, and give each the
    deadline in force before it (as the import does); a review marked late by an import
    is marked again from its new deadline."""
    info = store.period_input(period_id)
    cal, policy = store.calendar, store.schedule_policy
    held = store.rows(
        "SELECT id, recording_date, late_reason FROM reviews WHERE period_id = ? "
        "AND status = 'held' ORDER BY recording_date, id",
        [period_id],
    )
    earlier = info.earlier_reviews
    for n, review in enumerate(held):
        day = date.fromisoformat(review["recording_date"])
        at = dataclasses.replace(
            info,
            end=None,
            episodes=tuple(e for k, e in enumerate(info.episodes) if k == 0 or e.start < day),
            reviews=info.reviews[:n],
            consent_on=info.consent_on if info.consent_on and info.consent_on < day else None,
            breaks_ended=tuple(e for e in info.breaks_ended if e < day),
        )
        nxt = rules.next_review(at, cal, policy)
        if earlier != 0 and n == 0:
            # The first review found after earlier ones whose dates are not held: its
            # deadline cannot be told, so it is not judged.
            due = rule = None
        else:
            due, rule = nxt.due.isoformat(), nxt.rule
        late = review["late_reason"]
        if late in (None, LATE_IMPORTED):
            late = LATE_IMPORTED if due and review["recording_date"] > due else None
        store.conn.execute(
            "UPDATE reviews SET number = ?, deadline = ?, rule = ?, late_reason = ? WHERE id = ?",
            [n + 1 + (earlier or 0), due, rule, late, review["id"]],
        )


def _renumber(conn, period_id: int) -> None:
    """Number the held reviews of a period 1, 2, 3 … by recording date (only those whose
    number changes are written)."""
    held = conn.execute(
        "SELECT id, number FROM reviews WHERE period_id = ? AND status = 'held' "
        "ORDER BY recording_date, id",
        [period_id],
    ).fetchall()
    # After the reviews held before a continuing period's earliest record, if recorded.
    earlier = conn.execute(
        "SELECT COALESCE(earlier_reviews, 0) FROM periods WHERE id = ?", [period_id]
    ).fetchone()[0]
    for n, (rid, number) in enumerate(held, earlier + 1):
        if number != n:
            conn.execute("UPDATE reviews SET number = ? WHERE id = ?", [n, rid])


def write_rejects(rejects: list[Reject], path: Path) -> None:
    from .files import open_private
    from .output import csv_writer

    with open_private(path) as f:
        w = csv_writer(f)  # for Excel with --excel
        w.writerow(["file", "line", "child", "reason"])
        for r in rejects:
            w.writerow([csv_text(r.file), r.line, csv_text(r.child), csv_text(r.reason)])
