"""The SSDA903 return: ``export ssda903``, ``import ssda903`` and ``import children``.

Layouts and code lists: /work/shared/codes.md (dates dd/mm/YYYY). A collection year
``--year Y`` runs from 1 April Y-1 to 31 March Y. DOMAIN.md §2: periods of care and
episodes (an episode ending X1 is followed by a new episode the same day, in the same
period of care).

"Today" is Wed 1 Jul 2026 (tests/conftest.py) unless a command says otherwise.
"""

from __future__ import annotations

import csv
import gc
import json
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from conftest import TODAY, Cli, snapshot_db
from reviewcli import records
from reviewcli.store import open_store

# The layouts exactly as codes.md gives them.
HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODES = [
    "CHILD",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
]
REVIEWS = ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]
LAYOUTS = {"header.csv": HEADER, "episodes.csv": EPISODES, "reviews.csv": REVIEWS}
DATE_COLUMNS = {"DOB", "MC_DOB", "DECOM", "DEC", "REVIEW"}
DMY = re.compile(r"^\d{2}/\d{2}/\d{4}$")
WIDE = {"COLUMNS": "400"}  # rejected-row tables on one line per row


# --- helpers -----------------------------------------------------------------------------------


class PathCli(Cli):
    """``Cli`` taking paths as arguments (its failure message joins them as text)."""

    def ok(self, *args, **kw):
        return super().ok(*[str(a) for a in args], **kw)


class DbCli(PathCli):
    """``Cli`` on a database of its own (REVIEWCLI_DB set per command)."""

    def __call__(self, *args, today=None, env=None):
        extra = {"REVIEWCLI_DB": str(self.db), "REVIEWCLI_TODAY": TODAY, **(env or {})}
        return super().__call__(*args, today=today, env=extra)


@pytest.fixture
def run(db_path: Path) -> Cli:
    """The shared ``run`` fixture (tests/conftest.py), taking paths as arguments."""
    return PathCli(db_path)


def read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def read_return(folder: Path) -> dict[str, list[dict]]:
    out = {}
    for name in LAYOUTS:
        with open(folder / name, newline="", encoding="utf-8") as f:
            out[name] = list(csv.DictReader(f))
    return out


def dmy(value: str) -> date:
    d, m, y = value.split("/")
    return date(int(y), int(m), int(d))


def query(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def without_audit(db: Path) -> list[str]:
    """The database as SQL text, without the rows of the append-only audit trail (and its
    hash chain)."""
    return [
        line
        for line in snapshot_db(db)
        if not line.startswith(
            ('INSERT INTO "audit"', 'INSERT INTO "audit_chain"', 'INSERT INTO "audit_switches"')
        )
    ]


def audit_count(db: Path) -> int:
    return query(db, "SELECT COUNT(*) FROM audit")[0][0]


def h(child, dob, sex="1"):
    return {"CHILD": child, "SEX": sex, "DOB": dob}


def ep(child, decom, rne="S", ls="C2", place="U6", dec="", rec="", rpc=""):
    return {
        "CHILD": child,
        "DECOM": decom,
        "RNE": rne,
        "LS": ls,
        "PLACE": place,
        "DEC": dec,
        "REC": rec,
        "REASON_PLACE_CHANGE": rpc,
    }


def rv(child, dob, review, code):
    return {"CHILD": child, "DOB": dob, "REVIEW": review, "REVIEW_CODE": code}


def write_return(folder: Path, header, episodes, reviews) -> Path:
    """The three files in the codes.md layouts; missing cells are blank."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("header.csv", header),
        ("episodes.csv", episodes),
        ("reviews.csv", reviews),
    ):
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(LAYOUTS[name])
            for row in rows:
                w.writerow([row.get(c, "") for c in LAYOUTS[name]])
    return folder


# A small clean return (collection year 2026: 1 Apr 2025 - 31 Mar 2026).
# A1, a boy born 1 Jan 2012: looked after from Thu 1 May 2025 (C2, U6); moved on Fri 1 Aug
# 2025 to a children's home at his own request (RNE P, K2, CHILD), still there. Reviews:
# Tue 20 May 2025 (first, PN1), Fri 15 Aug 2025 (second, PN2).
# B1, a girl born 15 Jun 2023 (under 4 throughout): looked after from Mon 2 Jun 2025 (V2,
# U3) to Fri 19 Dec 2025 (E4A). Review Fri 20 Jun 2025 (first, PN0).
BASE_HEADER = [h("A1", "01/01/2012", "1"), h("B1", "15/06/2023", "2")]
BASE_EPISODES = [
    # The reason for the change of placement on 1 Aug is on the episode that ended with it
    # (rule 233); the records keep it on the episode the change began.
    ep("A1", "01/05/2025", dec="01/08/2025", rec="X1", rpc="CHILD"),
    ep("A1", "01/08/2025", rne="P", place="K2"),
    ep("B1", "02/06/2025", ls="V2", place="U3", dec="19/12/2025", rec="E4A"),
]
BASE_REVIEWS = [
    rv("A1", "01/01/2012", "20/05/2025", "PN1"),
    rv("A1", "01/01/2012", "15/08/2025", "PN2"),
    rv("B1", "15/06/2023", "20/06/2025", "PN0"),
]


def base_return(folder: Path, header=(), episodes=(), reviews=()) -> Path:
    """The clean return, with extra rows appended to each file."""
    return write_return(
        folder,
        BASE_HEADER + list(header),
        BASE_EPISODES + list(episodes),
        BASE_REVIEWS + list(reviews),
    )


def imported(db: Path) -> dict[str, list[tuple]]:
    """What an import creates, in a form to compare between databases."""
    return {
        "children": query(db, "SELECT id, dob, gender FROM children ORDER BY id"),
        "periods": query(
            db,
            "SELECT child_id, start_date, end_date, reason_ceased, next_number, next_due, "
            "next_rule, next_earliest FROM periods ORDER BY child_id, start_date",
        ),
        "episodes": query(
            db,
            "SELECT child_id, start_date, end_date, rne, legal_status, placement, "
            "reason_place_change, reason_ceased FROM episodes ORDER BY child_id, start_date",
        ),
        "reviews": query(
            db,
            "SELECT r.child_id, p.start_date, r.number, r.recording_date, r.held_date, "
            "r.participation, r.deadline, r.rule, r.late_reason FROM reviews r "
            "JOIN periods p ON p.id = r.period_id WHERE r.status = 'held' "
            "ORDER BY r.child_id, r.recording_date",
        ),
    }


# --- a hand-built database -----------------------------------------------------------------
#
# Built through the validated operations (records), each on its own day:
#
# H1 girl, born 10 May 2012. Looked after from Mon 6 Jan 2025 (C2, U6). Reviews: Mon 27 Jan
#    2025 PN1; Tue 1 Apr 2025 PN2; Wed 1 Oct 2025 PN5; Tue 31 Mar 2026 PN3. Moves: Mon 31 Mar
#    2025 to K2 (CHILD), so the first episode ends on the last day of 2024-25; Wed 1 Apr
#    2026 to U4 (CARPL), so the second ends on the first day of 2026-27.
# H2 boy, born 15 Sep 2023 (under 4). Looked after Mon 2 Jun 2025 (V2, U3) to Fri 19 Dec
#    2025 (E4A), review Fri 20 Jun 2025 PN0; looked after again from Mon 2 Feb 2026 (C1, U6).
# H3 girl, born 20 Jan 2010. Short breaks only: from Mon 5 May 2025 (V3, U6), review Fri 1
#    Aug 2025 PN1 - not returned in a year (every episode V3/V4).
# H4 boy, born 3 Mar 2011. Short breaks from Mon 5 May 2025 (V3, U6), review Fri 1 Aug
#    2025 PN6; care order from Mon 1 Sep 2025 (RNE L, C2), review Mon 22 Sep 2025 PN7 -
#    returned, since not every episode of the year is V3/V4.
# H5 girl, born 7 Jul 2009. Looked after Mon 1 May 2023 (C2, R1) to Sat 1 Jun 2024 (E13),
#    review Sat 20 May 2023 PN1: in the 2024-25 return only.
# H6 girl, born 2 Feb 2008, looked after from Thu 10 Apr 2025 (C2, U6); her son H7 (born
#    1 Mar 2025) is not looked after: H6 is a mother (MOTHER 1, MC_DOB 01/03/2025).


def _held(s, child, day, pn, late=None):
    d = date.fromisoformat(day)
    review = records.schedule_review(s, child, on=d, today=d).obj
    records.hold_review(
        s,
        review["id"],
        today=d,
        participation=pn,
        late_reason=late,
        no_iro_reason="no IRO in the test",
    )


def _build_hand(path: Path) -> None:
    def D(x):
        return date.fromisoformat(x)

    with open_store(path, create=True) as s:

        def child(cid, dob, gender, parent=None):
            records.add_child(
                s,
                cid,
                first_name="Test",
                last_name=cid,
                dob=dob,
                gender=gender,
                today=D("2025-06-01"),
                parent=parent,
            )

        child("H1", "2012-05-10", "Female")
        records.start_episode(
            s, "H1", on="2025-01-06", today=D("2025-01-06"), legal_status="C2", placement="U6"
        )
        _held(s, "H1", "2025-01-27", "PN1")
        records.change_episode(
            s,
            "H1",
            on="2025-03-31",
            today=D("2025-03-31"),
            placement="K2",
            reason_place_change="CHILD",
        )
        _held(s, "H1", "2025-04-01", "PN2")
        _held(s, "H1", "2025-10-01", "PN5")
        _held(s, "H1", "2026-03-31", "PN3")
        records.change_episode(
            s,
            "H1",
            on="2026-04-01",
            today=D("2026-04-01"),
            placement="U4",
            reason_place_change="CARPL",
        )

        child("H2", "2023-09-15", "Male")
        records.start_episode(
            s, "H2", on="2025-06-02", today=D("2025-06-02"), legal_status="V2", placement="U3"
        )
        _held(s, "H2", "2025-06-20", "PN0")
        records.end_episode(s, "H2", on="2025-12-19", today=D("2025-12-19"), reason="E4A")
        records.start_episode(
            s, "H2", on="2026-02-02", today=D("2026-02-02"), legal_status="C1", placement="U6"
        )

        child("H3", "2010-01-20", "Female")
        records.start_episode(
            s, "H3", on="2025-05-05", today=D("2025-05-05"), legal_status="V3", placement="U6"
        )
        _held(s, "H3", "2025-08-01", "PN1")

        child("H4", "2011-03-03", "Male")
        records.start_episode(
            s, "H4", on="2025-05-05", today=D("2025-05-05"), legal_status="V3", placement="U6"
        )
        _held(s, "H4", "2025-08-01", "PN6")
        records.change_episode(s, "H4", on="2025-09-01", today=D("2025-09-01"), legal_status="C2")
        _held(s, "H4", "2025-09-22", "PN7")

        child("H5", "2009-07-07", "Female")
        records.start_episode(
            s, "H5", on="2023-05-01", today=D("2023-05-01"), legal_status="C2", placement="R1"
        )
        _held(s, "H5", "2023-05-20", "PN1")
        records.end_episode(s, "H5", on="2024-06-01", today=D("2024-06-01"), reason="E13")

        child("H6", "2008-02-02", "Female")
        records.add_child(
            s,
            "H7",
            first_name="Test",
            last_name="H7",
            dob="2025-03-01",
            gender="Male",
            today=D("2025-06-01"),
            parent="H6",
        )
        records.start_episode(
            s, "H6", on="2025-04-10", today=D("2025-04-10"), legal_status="C2", placement="U6"
        )


@pytest.fixture(scope="module")
def hand_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hand") / "hand.db"
    _build_hand(path)
    return path


@pytest.fixture
def hand(run, hand_template) -> Cli:
    shutil.copy2(hand_template, run.db)
    return run


# The hand-built database's returns, worked out from the story above.
HAND_2026 = {
    "header.csv": [
        ["H1", "2", "10/05/2012", "", "", "0", ""],
        ["H2", "1", "15/09/2023", "", "", "", ""],
        ["H3", "2", "20/01/2010", "", "", "0", ""],
        ["H4", "1", "03/03/2011", "", "", "", ""],
        ["H6", "2", "02/02/2008", "", "", "1", "01/03/2025"],
    ],
    "episodes.csv": [
        # H1's first episode ended on 31 Mar 2025 (not in 2025-26); her third began on
        # 1 Apr 2026 (not in 2025-26); the second was still open at 31 Mar 2026, so has no
        # reason for a placement change yet (rule 233: it goes on the episode that ended).
        ["H1", "31/03/2025", "P", "C2", "", "K2", "", "", "", "", "", "", ""],
        ["H2", "02/06/2025", "S", "V2", "", "U3", "", "19/12/2025", "E4A", "", "", "", ""],
        ["H2", "02/02/2026", "S", "C1", "", "U6", "", "", "", "", "", "", ""],
        ["H3", "05/05/2025", "S", "V3", "", "U6", "", "", "", "", "", "", ""],
        ["H4", "05/05/2025", "S", "V3", "", "U6", "", "01/09/2025", "X1", "", "", "", ""],
        ["H4", "01/09/2025", "L", "C2", "", "U6", "", "", "", "", "", "", ""],
        ["H6", "10/04/2025", "S", "C2", "", "U6", "", "", "", "", "", "", ""],
    ],
    "reviews.csv": [
        # H1's review of 27 Jan 2025 is in 2024-25; H3 is on short breaks only.
        ["H1", "10/05/2012", "01/04/2025", "PN2"],
        ["H1", "10/05/2012", "01/10/2025", "PN5"],
        ["H1", "10/05/2012", "31/03/2026", "PN3"],
        ["H2", "15/09/2023", "20/06/2025", "PN0"],
        ["H4", "03/03/2011", "01/08/2025", "PN6"],
        ["H4", "03/03/2011", "22/09/2025", "PN7"],
    ],
}
HAND_2025 = {
    "header.csv": [
        ["H1", "2", "10/05/2012", "", "", "0", ""],
        ["H5", "2", "07/07/2009", "", "", "0", ""],
    ],
    "episodes.csv": [
        # The reason H1's placement changed on 31 Mar 2025 (CHILD) is returned on the
        # episode that ended with the change.
        ["H1", "06/01/2025", "S", "C2", "", "U6", "", "31/03/2025", "X1", "CHILD", "", "", ""],
        # Ended on 1 Apr 2026, after this year: still open at 31 Mar 2025.
        ["H1", "31/03/2025", "P", "C2", "", "K2", "", "", "", "", "", "", ""],
        ["H5", "01/05/2023", "S", "C2", "", "R1", "", "01/06/2024", "E13", "", "", "", ""],
    ],
    "reviews.csv": [["H1", "10/05/2012", "27/01/2025", "PN1"]],
}
HAND_2027 = {
    "header.csv": HAND_2026["header.csv"],
    "episodes.csv": [
        ["H1", "31/03/2025", "P", "C2", "", "K2", "", "01/04/2026", "X1", "CARPL", "", "", ""],
        ["H1", "01/04/2026", "P", "C2", "", "U4", "", "", "", "", "", "", ""],
        ["H2", "02/02/2026", "S", "C1", "", "U6", "", "", "", "", "", "", ""],
        ["H3", "05/05/2025", "S", "V3", "", "U6", "", "", "", "", "", "", ""],
        ["H4", "01/09/2025", "L", "C2", "", "U6", "", "", "", "", "", "", ""],
        ["H6", "10/04/2025", "S", "C2", "", "U6", "", "", "", "", "", "", ""],
    ],
    "reviews.csv": [],
}


# --- export: layouts and the hand-built database ---------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"), [(2025, HAND_2025), (2026, HAND_2026), (2027, HAND_2027)]
)
def test_export_year_of_the_hand_built_database(hand, tmp_path, year, expected):
    out = tmp_path / f"y{year}"
    hand.ok("export", "ssda903", "--year", str(year), "--out", out)
    # SEX is 1/2 before 2024-25 and M/F from then on (codes.md).
    sex = {"1": "M", "2": "F"} if year >= 2025 else {}
    expected = {
        **expected,
        "header.csv": [[r[0], sex.get(r[1], r[1]), *r[2:]] for r in expected["header.csv"]],
    }
    for name, layout in LAYOUTS.items():
        rows = read(out / name)
        assert rows[0] == layout, name
        assert rows[1:] == expected[name], name


def test_export_message_and_json(hand, tmp_path):
    line = hand.line("export", "ssda903", "--year", "2026", "--out", tmp_path / "out")
    assert line == (
        f"SSDA903 2025-04-01 to 2026-03-31: 5 children, 7 episodes, 6 reviews in "
        f"{tmp_path / 'out'}."
    )
    got = hand.json("export", "ssda903", "--year", "2025", "--out", tmp_path / "o2")
    assert got == {
        "year": 2025,
        "from": "2024-04-01",
        "to": "2025-03-31",
        "children": 2,
        "episodes": 3,
        "reviews": 1,
        "folder": str(tmp_path / "o2"),
    }


def test_export_all_years_of_the_hand_built_database(hand, tmp_path):
    out = tmp_path / "all"
    hand.ok("export", "ssda903", "--all-years", "--out", out)
    got = {name: read(out / name) for name in LAYOUTS}
    assert [r[0] for r in got["header.csv"][1:]] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert got["episodes.csv"][1:3] == [
        ["H1", "06/01/2025", "S", "C2", "", "U6", "", "31/03/2025", "X1", "CHILD", "", "", ""],
        ["H1", "31/03/2025", "P", "C2", "", "K2", "", "01/04/2026", "X1", "CARPL", "", "", ""],
    ]
    assert len(got["episodes.csv"]) - 1 == 10
    # The whole history keeps the short-breaks child's review (the V3/V4 rule is the
    # collection's, not the history's).
    assert ["H3", "20/01/2010", "01/08/2025", "PN1"] in got["reviews.csv"]
    assert ["H5", "07/07/2009", "20/05/2023", "PN1"] in got["reviews.csv"]
    assert len(got["reviews.csv"]) - 1 == 9


def test_export_needs_one_of_year_or_all_years(initialised, tmp_path):
    assert "--year" in initialised.refused("export", "ssda903", "--out", tmp_path / "x")
    msg = initialised.refused(
        "export", "ssda903", "--year", "2026", "--all-years", "--out", tmp_path / "x"
    )
    assert "either --year" in msg
    assert "out of range" in initialised.refused(
        "export", "ssda903", "--year", "1999", "--out", tmp_path / "x"
    )


def test_export_to_a_file_is_refused(initialised, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert "give a folder" in initialised.refused(
        "export", "ssda903", "--year", "2026", "--out", target
    )


def test_export_of_an_empty_database_writes_the_headers(initialised, tmp_path):
    initialised.ok("export", "ssda903", "--year", "2026", "--out", tmp_path / "e")
    for name, layout in LAYOUTS.items():
        assert read(tmp_path / "e" / name) == [layout]


# --- the demo database: export properties, round trip, several years --------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo authority (150 children, seed 7, today 1 Jul 2026) with its returns exported
    and re-imported: all years into one fresh database, 2025 + 2026 + 2027 into another."""
    root = tmp_path_factory.mktemp("demo")
    src = DbCli(root / "demo.db")
    src.ok("demo", "--children", "150", "--seed", "7")
    src.ok("export", "ssda903", "--all-years", "--out", root / "all")
    for year in (2025, 2026, 2027):
        src.ok("export", "ssda903", "--year", str(year), "--out", root / str(year))
    fresh = DbCli(root / "fresh.db")
    fresh.ok("init")
    fresh.ok("import", "ssda903", root / "all")
    multi = DbCli(root / "multi.db")
    multi.ok("init")
    multi.ok("import", "ssda903", root / "2025", root / "2026", root / "2027")
    return {"root": root, "src": src, "fresh": fresh, "multi": multi}


def test_demo_export_layouts_and_dates(demo):
    for folder in ("all", "2025", "2026", "2027"):
        for name, layout in LAYOUTS.items():
            with open(demo["root"] / folder / name, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
            assert rows[0] == layout
            assert all(len(r) == len(layout) for r in rows)
            for row in rows[1:]:
                for column, value in zip(layout, row, strict=True):
                    if column in DATE_COLUMNS and value:
                        assert DMY.match(value), (folder, name, column, value)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_demo_export_holds_exactly_the_year(demo, year):
    """Episodes overlapping 1 Apr - 31 Mar (DEC/REC only when they ended by 31 March),
    held reviews within it, none for a child on short breaks only in that year."""
    db = demo["src"].db
    start, end = date(year - 1, 4, 1).isoformat(), date(year, 3, 31).isoformat()
    got = read_return(demo["root"] / str(year))

    expected_eps = []
    held = query(
        db,
        "SELECT child_id, start_date, end_date, rne, legal_status, placement, "
        "reason_place_change, reason_ceased, period_id FROM episodes "
        "ORDER BY child_id, start_date",
    )
    for k, (cid, s, e, rne, ls, place, _, rec, period) in enumerate(held):
        if s <= end and (e is None or e >= start):
            closed = e is not None and e <= end
            # The reason for a placement change is returned on the episode that ended with
            # it (rule 233): the records hold it on the episode the change began.
            after = held[k + 1] if k + 1 < len(held) else None
            rpc = (
                after[6]
                if closed and rec == "X1" and after and (after[0], after[8]) == (cid, period)
                else ""
            )
            expected_eps.append(
                (cid, s, rne, ls, place, e if closed else "", rec if closed else "", rpc or "")
            )
    assert expected_eps, "the demo has episodes in every year"
    assert [
        (
            r["CHILD"],
            dmy(r["DECOM"]).isoformat(),
            r["RNE"],
            r["LS"],
            r["PLACE"],
            dmy(r["DEC"]).isoformat() if r["DEC"] else "",
            r["REC"],
            r["REASON_PLACE_CHANGE"],
        )
        for r in got["episodes.csv"]
    ] == expected_eps
    assert any(not r["DEC"] and not r["REC"] for r in got["episodes.csv"])

    children = sorted({e[0] for e in expected_eps})
    assert [r["CHILD"] for r in got["header.csv"]] == children
    statuses: dict[str, set] = {}
    for e in expected_eps:
        statuses.setdefault(e[0], set()).add(e[3])
    short_only = {c for c, ls in statuses.items() if ls <= {"V3", "V4"}}
    expected_reviews = [
        (cid, dob, day, pn or "")
        for cid, dob, day, pn in query(
            db,
            "SELECT r.child_id, c.dob, r.recording_date, r.participation FROM reviews r "
            "JOIN children c ON c.id = r.child_id WHERE r.status = 'held' "
            "AND r.recording_date BETWEEN ? AND ? ORDER BY r.child_id, r.recording_date",
            [start, end],
        )
        if cid not in short_only
    ]
    assert [
        (r["CHILD"], dmy(r["DOB"]).isoformat(), dmy(r["REVIEW"]).isoformat(), r["REVIEW_CODE"])
        for r in got["reviews.csv"]
    ] == expected_reviews


def test_demo_has_short_break_children_whose_reviews_are_not_returned(demo):
    """The V3/V4 rule is exercised by the demo data, not vacuously true."""
    db = demo["src"].db
    found = False
    for year in (2025, 2026, 2027):
        got = read_return(demo["root"] / str(year))
        by_child: dict[str, set] = {}
        for r in got["episodes.csv"]:
            by_child.setdefault(r["CHILD"], set()).add(r["LS"])
        short = {c for c, ls in by_child.items() if ls <= {"V3", "V4"}}
        start, end = date(year - 1, 4, 1).isoformat(), date(year, 3, 31).isoformat()
        held = {
            c
            for (c,) in query(
                db,
                "SELECT child_id FROM reviews WHERE status = 'held' "
                "AND recording_date BETWEEN ? AND ?",
                [start, end],
            )
        }
        found |= bool(short & held)
        assert not short & {r["CHILD"] for r in got["reviews.csv"]}
    assert found


def _excluded_periods(db: Path) -> set[tuple[str, str]]:
    """Periods whose deadline rests on what the return does not carry: an IRO direction
    (R-SCH-4) or an adjourned review waiting to reconvene (R-SCH-14). A booking does not
    move a period's next deadline, so booked periods stay in the comparison."""
    return set(
        query(
            db,
            "SELECT p.child_id, p.start_date FROM periods p WHERE EXISTS (SELECT 1 FROM "
            "directions d WHERE d.period_id = p.id) OR EXISTS (SELECT 1 FROM reviews r "
            "WHERE r.period_id = p.id AND r.status = 'adjourned')",
        )
    )


def test_round_trip_keeps_children_periods_episodes_reviews_and_deadlines(demo):
    src, fresh = demo["src"].db, demo["fresh"].db
    assert query(src, "SELECT id, dob, substr(gender, 1, 1) FROM children ORDER BY id") == query(
        fresh, "SELECT id, dob, gender FROM children ORDER BY id"
    )
    assert len(query(fresh, "SELECT id FROM children")) == 150
    period_cols = "child_id, start_date, end_date, reason_ceased"
    assert query(src, f"SELECT {period_cols} FROM periods ORDER BY 1, 2") == query(
        fresh, f"SELECT {period_cols} FROM periods ORDER BY 1, 2"
    )
    ep_cols = (
        "child_id, start_date, end_date, rne, legal_status, placement, reason_place_change, "
        "reason_ceased"
    )
    assert query(src, f"SELECT {ep_cols} FROM episodes ORDER BY 1, 2") == query(
        fresh, f"SELECT {ep_cols} FROM episodes ORDER BY 1, 2"
    )
    held = (
        "SELECT r.child_id, p.start_date, r.number, r.recording_date, r.participation "
        "FROM reviews r JOIN periods p ON p.id = r.period_id WHERE r.status = 'held' "
        "ORDER BY 1, 4"
    )
    src_held = query(src, held)
    assert len(src_held) > 300
    assert src_held == query(fresh, held)

    # The next deadline of every period, but those resting on directions or adjournments.
    excluded = _excluded_periods(src)
    assert 0 < len(excluded) < len(query(src, "SELECT id FROM periods")) / 10
    nxt = (
        "SELECT child_id, start_date, next_number, next_due, next_rule, next_earliest "
        "FROM periods ORDER BY 1, 2"
    )
    a = [r for r in query(src, nxt) if r[:2] not in excluded]
    b = [r for r in query(fresh, nxt) if r[:2] not in excluded]
    assert a == b
    assert sum(1 for r in a if r[3] is not None) > 50  # open periods compared
    assert {r[4] for r in a} >= {"R-SCH-1", "R-SCH-3"}

    # Held reviews keep the deadline and rule they were held against, except those set by
    # a direction or an adjournment.
    deadline = (
        "SELECT r.child_id, r.recording_date, r.deadline, r.rule, "
        "r.original_date IS NULL AND r.direction_id IS NULL AND NOT EXISTS (SELECT 1 FROM "
        "directions d WHERE d.period_id = r.period_id) FROM reviews r "
        "WHERE r.status = 'held' ORDER BY 1, 2"
    )
    plain = [r[:4] for r in query(src, deadline) if r[4]]
    imported_rows = {r[:2]: r[:4] for r in query(fresh, deadline)}
    assert len(plain) > 300
    assert [imported_rows[r[:2]] for r in plain] == plain


def test_round_trip_import_is_idempotent(demo, tmp_path):
    db = tmp_path / "again.db"
    shutil.copy2(demo["fresh"].db, db)
    before = without_audit(db)
    audit_before = audit_count(db)
    line = DbCli(db).line("import", "ssda903", demo["root"] / "all")
    assert line == (
        "Imported: 0 new children (0 updated, 150 unchanged), 0 periods, 0 episodes "
        "(0 updated), 0 reviews (0 updated)."
    )
    assert without_audit(db) == before
    assert audit_count(db) == audit_before


def test_several_years_together_equal_the_all_years_import(demo):
    """2024-25, 2025-26 and 2026-27 given together: for the children whose whole history
    lies in those years (and who are not on short breaks, whose reviews a year's return
    leaves out), the same database as the all-years import."""
    src, fresh, multi = demo["src"].db, demo["fresh"].db, demo["multi"].db
    covered = [
        c
        for (c,) in query(
            src,
            "SELECT child_id FROM episodes GROUP BY child_id HAVING MIN(start_date) >= "
            "'2024-04-01' AND SUM(legal_status IN ('V3', 'V4')) = 0",
        )
    ]
    assert len(covered) > 40
    a, b = imported(fresh), imported(multi)
    for table, rows in a.items():
        keep = [r for r in rows if r[0] in covered]
        assert keep == [r for r in b[table] if r[0] in covered], table
        assert keep or table == "reviews"

    # Every episode taken from the yearly returns is one of the history's: repeated
    # episodes were merged, and episodes open in one year and closed in the next closed.
    # (The reason for the change into an episode begun before the earliest return is on
    # an episode no return holds: rule 233.)
    def known(rows):
        return {(*r[:6], r[6] if r[1] >= "2024-04-01" else None, *r[7:]) for r in rows}

    assert known(b["episodes"]) <= known(a["episodes"])
    assert len(b["episodes"]) == len(set(b["episodes"]))

    # The returns do repeat episodes, some of them open in one year and closed in the next.
    y25 = read_return(demo["root"] / "2025")["episodes.csv"]
    y26 = read_return(demo["root"] / "2026")["episodes.csv"]
    closed_26 = {(r["CHILD"], r["DECOM"]): r["DEC"] for r in y26 if r["DEC"]}
    reopened = [r for r in y25 if not r["DEC"] and (r["CHILD"], r["DECOM"]) in closed_26]
    assert any(r["CHILD"] in covered for r in reopened)


def test_several_years_in_another_order_give_the_same_database(demo, tmp_path):
    db = tmp_path / "reversed.db"
    cli = DbCli(db)
    cli.ok("init")
    root = demo["root"]
    cli.ok("import", "ssda903", root / "2027", root / "2026", root / "2025")
    assert imported(db) == imported(demo["multi"].db)


# --- import: a small return ----------------------------------------------------------------------


def test_import_small_return(initialised, tmp_path):
    folder = base_return(tmp_path / "r")
    line = initialised.line("import", "ssda903", folder)
    assert line == (
        "Imported: 2 new children (0 updated, 0 unchanged), 2 periods, 3 episodes "
        "(0 updated), 3 reviews (0 updated)."
    )
    got = imported(initialised.db)
    assert got["children"] == [("A1", "2012-01-01", "M"), ("B1", "2023-06-15", "F")]
    # A1's first review is due by Mon 2 Jun 2025 (20 working days after Thu 1 May 2025:
    # Fri 2 May (1), 6-9 May (2-5; Mon 5 May is a bank holiday), 12-16 (6-10), 19-23
    # (11-15), 27-30 May (16-19; Mon 26 May is a bank holiday), Mon 2 Jun (20)); his second
    # by Wed 20 Aug 2025 (3 months after 20 May); the third by Sun 15 Feb 2026 (6 months
    # after 15 Aug). B1's first by Mon 30 Jun 2025 (20 working days after Mon 2 Jun).
    assert got["periods"] == [
        ("A1", "2025-05-01", None, None, 3, "2026-02-15", "R-SCH-3", None),
        ("B1", "2025-06-02", "2025-12-19", "E4A", None, None, None, None),
    ]
    assert got["episodes"] == [
        ("A1", "2025-05-01", "2025-08-01", "S", "C2", "U6", None, "X1"),
        ("A1", "2025-08-01", None, "P", "C2", "K2", "CHILD", None),
        ("B1", "2025-06-02", "2025-12-19", "S", "V2", "U3", None, "E4A"),
    ]
    assert got["reviews"] == [
        ("A1", "2025-05-01", 1, "2025-05-20", "2025-05-20", "PN1", "2025-06-02", "R-SCH-1", None),
        ("A1", "2025-05-01", 2, "2025-08-15", "2025-08-15", "PN2", "2025-08-20", "R-SCH-2", None),
        ("B1", "2025-06-02", 1, "2025-06-20", "2025-06-20", "PN0", "2025-06-30", "R-SCH-1", None),
    ]


def test_import_marks_a_late_review_out_of_time(initialised, tmp_path):
    # First review on Tue 3 Jun 2025, after the deadline of Mon 2 Jun 2025 (R-SCH-1).
    folder = write_return(
        tmp_path / "r",
        [h("A1", "01/01/2012")],
        [ep("A1", "01/05/2025")],
        [rv("A1", "01/01/2012", "03/06/2025", "PN1")],
    )
    initialised.ok("import", "ssda903", folder)
    [(deadline, late)] = query(initialised.db, "SELECT deadline, late_reason FROM reviews")
    assert deadline == "2025-06-02"
    assert late and "out of time" in late


def test_import_json(initialised, tmp_path):
    folder = base_return(tmp_path / "r")
    got = initialised.json("import", "ssda903", folder)
    assert got["children_new"] == 2
    assert got["periods_new"] == 2
    assert got["episodes_new"] == 3
    assert got["reviews_new"] == 3
    assert got["rejected_rows"] == 0
    assert got["dry_run"] is False
    assert got["imported"] is True


def test_import_into_a_missing_database_is_refused(run, tmp_path):
    folder = base_return(tmp_path / "r")
    assert "not found" in run.refused("import", "ssda903", folder)
    assert not run.db.exists()


def test_import_of_a_folder_that_does_not_exist(initialised, tmp_path):
    assert "not a folder" in initialised.refused("import", "ssda903", tmp_path / "nowhere")


def test_import_same_files_twice_changes_nothing(initialised, tmp_path):
    folder = base_return(tmp_path / "r")
    initialised.ok("import", "ssda903", folder)
    before = without_audit(initialised.db)
    audit_before = audit_count(initialised.db)
    line = initialised.line("import", "ssda903", folder)
    assert line == (
        "Imported: 0 new children (0 updated, 2 unchanged), 0 periods, 0 episodes "
        "(0 updated), 0 reviews (0 updated)."
    )
    assert without_audit(initialised.db) == before
    assert audit_count(initialised.db) == audit_before


# A newer return of the same year: A1's episode at the children's home ended on Fri 9 Jan
# 2026 (E4A), a third review was held on Mon 10 Nov 2025 (PN1), and the participation of the
# second review was corrected from PN2 to PN5. B1 is unchanged.
NEWER_EPISODES = [
    BASE_EPISODES[0],
    ep("A1", "01/08/2025", rne="P", place="K2", dec="09/01/2026", rec="E4A"),
    BASE_EPISODES[2],
]
NEWER_REVIEWS = [
    BASE_REVIEWS[0],
    rv("A1", "01/01/2012", "15/08/2025", "PN5"),
    rv("A1", "01/01/2012", "10/11/2025", "PN1"),
    BASE_REVIEWS[2],
]


def test_newer_return_updates_only_what_changed(initialised, tmp_path):
    db = initialised.db
    initialised.ok("import", "ssda903", base_return(tmp_path / "v1"))
    b1 = [
        query(db, "SELECT * FROM children WHERE id = 'B1'"),
        query(db, "SELECT * FROM periods WHERE child_id = 'B1'"),
        query(db, "SELECT * FROM episodes WHERE child_id = 'B1'"),
        query(db, "SELECT * FROM reviews WHERE child_id = 'B1'"),
    ]
    a1_reviews = {r[0]: r for r in query(db, "SELECT recording_date, * FROM reviews")}
    last_audit = query(db, "SELECT MAX(id) FROM audit")[0][0]

    v2 = write_return(tmp_path / "v2", BASE_HEADER, NEWER_EPISODES, NEWER_REVIEWS)
    got = initialised.json("import", "ssda903", v2)
    assert {k: v for k, v in got.items() if v} == {
        "periods_updated": 1,
        "episodes_updated": 1,
        "reviews_new": 1,
        "reviews_updated": 1,
        "unchanged_children": 1,
        "imported": True,
    }
    assert b1 == [
        query(db, "SELECT * FROM children WHERE id = 'B1'"),
        query(db, "SELECT * FROM periods WHERE child_id = 'B1'"),
        query(db, "SELECT * FROM episodes WHERE child_id = 'B1'"),
        query(db, "SELECT * FROM reviews WHERE child_id = 'B1'"),
    ]
    new = imported(db)
    assert new["periods"][0] == ("A1", "2025-05-01", "2026-01-09", "E4A", None, None, None, None)
    assert new["episodes"][1] == (
        "A1",
        "2025-08-01",
        "2026-01-09",
        "P",
        "C2",
        "K2",
        "CHILD",
        "E4A",
    )
    # The third review: due by Sun 15 Feb 2026 (6 months after 15 Aug 2025), so on time.
    assert new["reviews"][:3] == [
        ("A1", "2025-05-01", 1, "2025-05-20", "2025-05-20", "PN1", "2025-06-02", "R-SCH-1", None),
        ("A1", "2025-05-01", 2, "2025-08-15", "2025-08-15", "PN5", "2025-08-20", "R-SCH-2", None),
        ("A1", "2025-05-01", 3, "2025-11-10", "2025-11-10", "PN1", "2026-02-15", "R-SCH-3", None),
    ]
    # The first review's row is untouched.
    first = query(db, "SELECT recording_date, * FROM reviews WHERE recording_date = '2025-05-20'")
    assert first == [a1_reviews["2025-05-20"]]
    # The audit trail names exactly the rows that changed.
    trail = query(
        db,
        "SELECT table_name, action, child_id FROM audit WHERE id > ? ORDER BY id",
        [last_audit],
    )
    assert sorted(trail) == sorted(
        [
            ("periods", "update", "A1"),
            ("episodes", "update", "A1"),
            ("reviews", "insert", "A1"),
            ("reviews", "update", "A1"),
        ]
    )

    # And that newer return again: nothing.
    before = without_audit(db)
    again = initialised.json("import", "ssda903", v2)
    assert again["unchanged_children"] == 2
    assert without_audit(db) == before


def test_an_older_return_does_not_reopen_an_episode(initialised, tmp_path):
    """A return where the episode is still open (an earlier one) leaves a closed episode
    closed; only its reviews are new."""
    db = initialised.db
    initialised.ok(
        "import", "ssda903", write_return(tmp_path / "v2", BASE_HEADER, NEWER_EPISODES, [])
    )
    periods = query(db, "SELECT * FROM periods ORDER BY id")
    episodes = query(db, "SELECT * FROM episodes ORDER BY id")
    assert periods[0][1:5] == ("A1", "2025-05-01", "2026-01-09", "E4A")
    got = initialised.json("import", "ssda903", base_return(tmp_path / "v1"))
    assert (got["periods_updated"], got["episodes_updated"], got["reviews_new"]) == (0, 0, 3)
    assert query(db, "SELECT * FROM periods ORDER BY id") == periods
    assert query(db, "SELECT * FROM episodes ORDER BY id") == episodes


# A1 in two consecutive years' returns: looked after from Wed 1 May 2024 (C2, U6), moved on
# Thu 1 Aug 2024 (RNE P, K2), still there in both years. Reviews: Mon 20 May 2024 (first;
# due by Fri 31 May 2024, 20 working days after 1 May skipping the bank holidays of 6 and
# 27 May), Thu 15 Aug 2024 (second; due by Tue 20 Aug 2024), Mon 10 Feb 2025 (third; due by
# Sat 15 Feb 2025); in 2025-26, Fri 1 Aug 2025 (fourth; due by Sun 10 Aug 2025, 6 months
# after the third). The fifth is due by Sun 1 Feb 2026.
def _consecutive_years(tmp_path: Path) -> tuple[Path, Path]:
    y2025 = write_return(
        tmp_path / "2025",
        [h("A1", "01/01/2012")],
        [
            ep("A1", "01/05/2024", dec="01/08/2024", rec="X1"),
            ep("A1", "01/08/2024", rne="P", place="K2"),
        ],
        [
            rv("A1", "01/01/2012", "20/05/2024", "PN1"),
            rv("A1", "01/01/2012", "15/08/2024", "PN1"),
            rv("A1", "01/01/2012", "10/02/2025", "PN1"),
        ],
    )
    y2026 = write_return(
        tmp_path / "2026",
        [h("A1", "01/01/2012")],
        [ep("A1", "01/08/2024", rne="P", place="K2")],
        [rv("A1", "01/01/2012", "01/08/2025", "PN2")],
    )
    return y2025, y2026


def test_consecutive_years_given_together(initialised, tmp_path):
    y2025, y2026 = _consecutive_years(tmp_path)
    initialised.ok("import", "ssda903", y2025, y2026)
    got = imported(initialised.db)
    assert got["periods"] == [("A1", "2024-05-01", None, None, 5, "2026-02-01", "R-SCH-3", None)]
    assert [r[2:4] + r[6:] for r in got["reviews"]] == [
        (1, "2024-05-20", "2024-05-31", "R-SCH-1", None),
        (2, "2024-08-15", "2024-08-20", "R-SCH-2", None),
        (3, "2025-02-10", "2025-02-15", "R-SCH-3", None),
        (4, "2025-08-01", "2025-08-10", "R-SCH-3", None),
    ]


def test_next_years_return_imported_after_this_years(initialised, tmp_path):
    y2025, y2026 = _consecutive_years(tmp_path)
    initialised.ok("import", "ssda903", y2025)
    initialised.ok("import", "ssda903", y2026)
    together = tmp_path / "together.db"
    cli = DbCli(together)
    cli.ok("init")
    cli.ok("import", "ssda903", y2025, y2026)
    assert imported(initialised.db) == imported(together)


def test_new_review_of_next_years_return_counts_the_reviews_already_held(initialised, tmp_path):
    # The same episode all along, so the periods match; the 2026 return holds only the
    # fourth review.
    y2025 = write_return(
        tmp_path / "2025",
        [h("A1", "01/01/2012")],
        [ep("A1", "01/05/2024")],
        [
            rv("A1", "01/01/2012", "20/05/2024", "PN1"),
            rv("A1", "01/01/2012", "15/08/2024", "PN1"),
            rv("A1", "01/01/2012", "10/02/2025", "PN1"),
        ],
    )
    y2026 = write_return(
        tmp_path / "2026",
        [h("A1", "01/01/2012")],
        [ep("A1", "01/05/2024")],
        [rv("A1", "01/01/2012", "01/08/2025", "PN2")],
    )
    initialised.ok("import", "ssda903", y2025)
    initialised.ok("import", "ssda903", y2026)
    fourth = query(
        initialised.db,
        "SELECT number, deadline, rule, late_reason FROM reviews WHERE recording_date = ?",
        ["2025-08-01"],
    )
    assert fourth == [(4, "2025-08-10", "R-SCH-3", None)]


# --- import: rejected rows ---------------------------------------------------------------------

# X9, a boy born 1 Jan 2015, looked after from Thu 1 May 2025 (C2, U6), reviewed on Tue
# 20 May 2025 (PN1): each case below breaks one of his rows. Line numbers count the header
# line: his rows follow the base return's (2 header rows, 3 episodes, 3 reviews).
X9_H = h("X9", "01/01/2015")
X9_EP = ep("X9", "01/05/2025")
X9_RV = rv("X9", "01/01/2015", "20/05/2025", "PN1")
H_LINE, E_LINE, R_LINE = 4, 5, 5


def _case(header=(X9_H,), episodes=(X9_EP,), reviews=(X9_RV,)):
    return {"header": list(header), "episodes": list(episodes), "reviews": list(reviews)}


REJECTS = {
    "unknown LS": (
        _case(episodes=[ep("X9", "01/05/2025", ls="Z9")]),
        [("episodes.csv", E_LINE, "unknown legal status code 'Z9'")],
    ),
    "unknown PLACE": (
        _case(episodes=[ep("X9", "01/05/2025", place="Q7")]),
        [("episodes.csv", E_LINE, "unknown placement code 'Q7'")],
    ),
    "missing PLACE": (
        _case(episodes=[ep("X9", "01/05/2025", place="")]),
        [("episodes.csv", E_LINE, "unknown placement code ''")],
    ),
    "unknown RNE": (
        _case(episodes=[ep("X9", "01/05/2025", rne="Q")]),
        [("episodes.csv", E_LINE, "unknown reason for new episode code 'Q'")],
    ),
    "unknown REC": (
        _case(episodes=[ep("X9", "01/05/2025", dec="01/09/2025", rec="E99")]),
        [("episodes.csv", E_LINE, "unknown reason ceased code 'E99'")],
    ),
    "unknown REASON_PLACE_CHANGE": (
        _case(episodes=[ep("X9", "01/05/2025", rpc="MOVED")]),
        [("episodes.csv", E_LINE, "unknown reason for placement change code 'MOVED'")],
    ),
    "unknown REVIEW_CODE": (
        _case(reviews=[rv("X9", "01/01/2015", "20/05/2025", "PN8")]),
        [("reviews.csv", R_LINE, "unknown participation code 'PN8'")],
    ),
    "impossible DOB": (
        _case(header=[h("X9", "31/02/2015")], episodes=[], reviews=[]),
        [("header.csv", H_LINE, "impossible date of birth '31/02/2015'")],
    ),
    "impossible REVIEW date": (
        _case(reviews=[rv("X9", "01/01/2015", "31/02/2026", "PN1")]),
        [("reviews.csv", R_LINE, "impossible review date '31/02/2026'")],
    ),
    "malformed DEC": (
        _case(episodes=[ep("X9", "01/05/2025", dec="1.9.2025", rec="E8")]),
        [("episodes.csv", E_LINE, "DEC '1.9.2025' is not a date (dd/mm/YYYY)")],
    ),
    "DEC before DECOM": (
        _case(episodes=[ep("X9", "01/05/2025", dec="30/04/2025", rec="E8")], reviews=[]),
        [("episodes.csv", E_LINE, "DEC 2025-04-30 is before DECOM 2025-05-01")],
    ),
    "DEC without REC": (
        _case(episodes=[ep("X9", "01/05/2025", dec="01/09/2025")]),
        [("episodes.csv", E_LINE, "DEC and REC must be given together")],
    ),
    "REC without DEC": (
        _case(episodes=[ep("X9", "01/05/2025", rec="E8")]),
        [("episodes.csv", E_LINE, "DEC and REC must be given together")],
    ),
    "DECOM before birth": (
        _case(header=[h("X9", "01/06/2025")], reviews=[]),
        [("episodes.csv", E_LINE, "DECOM 2025-05-01 is before the date of birth")],
    ),
    "overlapping episodes": (
        _case(episodes=[X9_EP, ep("X9", "01/08/2025", rne="P", place="K2")]),
        [("episodes.csv", E_LINE + 1, "episode from 2025-08-01 overlaps the one from 2025-05-01")],
    ),
    "overlapping closed episodes": (
        _case(
            episodes=[
                ep("X9", "01/05/2025", dec="10/08/2025", rec="X1"),
                ep("X9", "01/08/2025", rne="P", place="K2"),
            ]
        ),
        [("episodes.csv", E_LINE + 1, "episode from 2025-08-01 overlaps the one from 2025-05-01")],
    ),
    "X1 with a gap": (
        _case(
            episodes=[
                ep("X9", "01/05/2025", dec="01/08/2025", rec="X1"),
                ep("X9", "04/08/2025", rne="P", place="K2"),
            ]
        ),
        [("episodes.csv", E_LINE, "REC X1 but no episode begins on the same day")],
    ),
    "RNE S continuing a period": (
        _case(
            episodes=[
                ep("X9", "01/05/2025", dec="01/08/2025", rec="X1"),
                ep("X9", "01/08/2025", rne="S", place="K2"),
            ]
        ),
        [("episodes.csv", E_LINE + 1, "RNE S on an episode continuing a period")],
    ),
    "new period the day care ended": (
        _case(
            episodes=[
                ep("X9", "01/05/2025", dec="01/08/2025", rec="E4A"),
                ep("X9", "01/08/2025", rne="S", place="K2"),
            ]
        ),
        [("episodes.csv", E_LINE + 1, "new period of care from 2025-08-01, the day care ended")],
    ),
    "continuing the day care ended": (
        _case(
            episodes=[
                ep("X9", "01/05/2025", dec="01/08/2025", rec="E4A"),
                ep("X9", "01/08/2025", rne="P", place="K2"),
            ]
        ),
        [("episodes.csv", E_LINE + 1, "RNE P on 2025-08-01 continues care, but care ended")],
    ),
    "review before care": (
        _case(reviews=[rv("X9", "01/01/2015", "30/04/2025", "PN1")]),
        [("reviews.csv", R_LINE, "review on 2025-04-30 is outside every period of care")],
    ),
    "review after care": (
        _case(
            episodes=[ep("X9", "01/05/2025", dec="01/09/2025", rec="E4A")],
            reviews=[rv("X9", "01/01/2015", "02/09/2025", "PN1")],
        ),
        [("reviews.csv", R_LINE, "review on 2025-09-02 is outside every period of care")],
    ),
    "review between two periods": (
        _case(
            episodes=[
                ep("X9", "01/05/2025", dec="01/06/2025", rec="E4A"),
                ep("X9", "01/09/2025"),
            ],
            reviews=[rv("X9", "01/01/2015", "15/07/2025", "PN1")],
        ),
        [("reviews.csv", R_LINE, "review on 2025-07-15 is outside every period of care")],
    ),
    "PN0 aged 10": (
        _case(reviews=[rv("X9", "01/01/2015", "20/05/2025", "PN0")]),
        [("reviews.csv", R_LINE, "PN0 for a child aged 10 on the review date")],
    ),
    "PN0 on the 4th birthday": (
        _case(
            header=[h("X9", "20/05/2021")],
            reviews=[rv("X9", "20/05/2021", "20/05/2025", "PN0")],
        ),
        [("reviews.csv", R_LINE, "PN0 for a child aged 4 on the review date")],
    ),
    "PN2 under 4": (
        _case(
            header=[h("X9", "01/01/2023")],
            reviews=[rv("X9", "01/01/2023", "20/05/2025", "PN2")],
        ),
        [("reviews.csv", R_LINE, "PN2 for a child under 4 (use PN0)")],
    ),
    "PN7 the day before the 4th birthday": (
        _case(
            header=[h("X9", "21/05/2021")],
            reviews=[rv("X9", "21/05/2021", "20/05/2025", "PN7")],
        ),
        [("reviews.csv", R_LINE, "PN7 for a child under 4 (use PN0)")],
    ),
    "missing from header.csv": (
        _case(header=[]),
        [
            ("episodes.csv", E_LINE, "child not in header.csv"),
            ("reviews.csv", R_LINE, "child not in header.csv"),
        ],
    ),
    "listed twice": (
        _case(header=[X9_H, h("X9", "01/01/2015")]),
        [("header.csv", H_LINE + 1, "child listed twice")],
    ),
    "two codes on one day": (
        _case(reviews=[X9_RV, rv("X9", "01/01/2015", "20/05/2025", "PN5")]),
        [("reviews.csv", R_LINE + 1, "two reviews recorded on 2025-05-20")],
    ),
    "unknown SEX": (
        _case(header=[h("X9", "01/01/2015", sex="3")], episodes=[], reviews=[]),
        [("header.csv", H_LINE, "unknown SEX code '3'")],
    ),
    "two-digit year": (
        _case(episodes=[ep("X9", "24/01/25")]),
        [("episodes.csv", E_LINE, "DECOM 24/01/25: the year must have four digits")],
    ),
    "formula child id": (
        _case(header=[h("=X9", "01/01/2015")], episodes=[], reviews=[]),
        [("header.csv", H_LINE, "child id '=X9' begins with '=', which a spreadsheet would")],
    ),
    "retired placement": (
        _case(episodes=[ep("X9", "01/05/2025", place="Z1")]),
        [("episodes.csv", E_LINE, "placement code Z1 is not valid for an episode from 2025-05-01")],
    ),
    "invalid child id": (
        _case(header=[h("X 9", "01/01/2015")], episodes=[], reviews=[]),
        [("header.csv", H_LINE, "invalid child id 'X 9'")],
    ),
}


def _table_rows(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("│")]


@pytest.mark.parametrize("case", list(REJECTS))
def test_rejected_rows_refuse_the_import(initialised, tmp_path, case):
    rows, expected = REJECTS[case]
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    rejects = tmp_path / "rejects.csv"
    before = snapshot_db(initialised.db)
    result = initialised("import", "ssda903", folder, "--rejects", rejects, env=WIDE)
    assert snapshot_db(initialised.db) == before
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [
        f"Error: {len(expected)} rows cannot be imported (see {rejects}); nothing was "
        "imported. Fix them, or import the clean children with --skip-rejected"
    ]
    got = read(rejects)
    assert got[0] == ["file", "line", "child", "reason"]
    assert len(got) - 1 == len(expected), got
    child = {"invalid child id": "X 9", "formula child id": "=X9"}.get(case, "X9")
    table = _table_rows(result.stderr)
    for (file, line, reason), row in zip(expected, got[1:], strict=True):
        # The rejects CSV escapes a cell a spreadsheet would read as a formula.
        written = "'" + child if child.startswith("=") else child
        assert row[:3] == [file, str(line), written]
        assert reason in row[3], row
        # The same row in the table on stderr: file, line, child and the reason.
        [shown] = [t for t in table if f" {line} " in t and file in t and reason in t]
        assert child in shown


def test_a_later_return_cannot_continue_a_period_that_ended_that_day(initialised, tmp_path):
    """Last year's return ended X9's care on 1 Aug 2025 (E4A); this year's begins with an
    episode continuing care (RNE P) that very day: refused, not folded into the ended
    period, where the episodes would follow its end."""
    first = write_return(
        tmp_path / "2025", [X9_H], [ep("X9", "01/05/2025", dec="01/08/2025", rec="E4A")], []
    )
    initialised.ok("import", "ssda903", first)
    later = write_return(tmp_path / "2026", [X9_H], [ep("X9", "01/08/2025", rne="P")], [])
    before = snapshot_db(initialised.db)
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", later, "--rejects", rejects)
    assert result.exit_code == 1
    assert read(rejects)[1:] == [
        [
            "episodes.csv",
            "2",
            "X9",
            "child X9: the return's episode from 2025-08-01 (RNE P) continues care, but the "
            "period already in the database ended that day (REC E4A)",
        ]
    ]
    assert snapshot_db(initialised.db) == before
    # The conflict rejects that child alone: --skip-rejected imports the others.
    other = write_return(
        tmp_path / "2026b", [X9_H, h("Y1", "01/01/2015")],
        [ep("X9", "01/08/2025", rne="P"), ep("Y1", "01/09/2025")], [],
    )  # fmt: skip
    result = initialised("import", "ssda903", other, "--skip-rejected", "--rejects", rejects)
    assert result.exit_code == 0
    assert [r[2] for r in read(rejects)[1:]] == ["X9"]
    assert query(initialised.db, "SELECT id FROM children ORDER BY id") == [("X9",), ("Y1",)]


@pytest.mark.parametrize(
    "case", ["unknown LS", "review before care", "PN2 under 4", "listed twice"]
)
def test_skip_rejected_imports_the_clean_children(initialised, tmp_path, case):
    rows, expected = REJECTS[case]
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    rejects = tmp_path / "rejects.csv"
    result = initialised(
        "import", "ssda903", folder, "--skip-rejected", "--rejects", rejects, env=WIDE
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Imported: 2 new children (0 updated, 0 unchanged), 2 periods, 3 episodes "
        "(0 updated), 3 reviews (0 updated).\n"
    )
    assert "Error" not in result.stderr
    assert [r[1:3] for r in read(rejects)[1:]] == [[str(e[1]), "X9"] for e in expected]
    assert [r[0] for r in query(initialised.db, "SELECT id FROM children ORDER BY id")] == [
        "A1",
        "B1",
    ]
    assert query(initialised.db, "SELECT COUNT(*) FROM episodes WHERE child_id = 'X9'") == [(0,)]


def test_refused_import_without_rejects_file_suggests_one(initialised, tmp_path):
    rows, _ = REJECTS["unknown LS"]
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    result = initialised("import", "ssda903", folder, env=WIDE)
    assert result.exit_code == 1
    [error] = [x for x in result.stderr.splitlines() if x.startswith("Error: ")]
    assert "add --rejects FILE for a CSV" in error
    assert "1 rejected rows" in result.stderr


def test_impossible_episode_date_names_the_value(initialised, tmp_path):
    rows = _case(episodes=[ep("X9", "31/02/2026")], reviews=[])
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", folder, "--rejects", rejects, env=WIDE)
    assert result.exit_code == 1
    [row] = read(rejects)[1:]
    assert row[:3] == ["episodes.csv", str(E_LINE), "X9"]
    assert "31/02/2026" in row[3]


def test_two_episodes_starting_the_same_day_are_rejected(initialised, tmp_path):
    rows = _case(episodes=[X9_EP, ep("X9", "01/05/2025", ls="C1", place="K2")])
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", folder, "--rejects", rejects, env=WIDE)
    assert result.exit_code == 1
    [row] = read(rejects)[1:]
    assert row[:3] == ["episodes.csv", str(E_LINE + 1), "X9"]


def test_last_episode_ending_x1_is_rejected(initialised, tmp_path):
    rows = _case(episodes=[ep("X9", "01/05/2025", dec="01/08/2025", rec="X1")])
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", folder, "--rejects", rejects, env=WIDE)
    assert result.exit_code == 1
    [row] = read(rejects)[1:]
    assert row[:3] == ["episodes.csv", str(E_LINE), "X9"]
    assert "X1" in row[3]


def test_review_after_today_is_rejected(initialised, tmp_path):
    rows = _case(reviews=[rv("X9", "01/01/2015", "01/12/2026", "PN1")])
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", folder, "--rejects", rejects, env=WIDE)
    assert result.exit_code == 1
    [row] = read(rejects)[1:]
    assert row[:3] == ["reviews.csv", str(R_LINE), "X9"]


def _two_years_with_overlap(tmp_path: Path) -> tuple[Path, Path]:
    first = base_return(tmp_path / "2026")
    second = base_return(
        tmp_path / "2027",
        [X9_H],
        [ep("X9", "01/05/2026"), ep("X9", "01/06/2026", rne="P", place="K2")],
    )
    return first, second


def test_rejects_across_several_folders_name_the_folder(initialised, tmp_path):
    first, second = _two_years_with_overlap(tmp_path)
    (second / "reviews.csv").write_text(
        "CHILD,DOB,REVIEW,REVIEW_CODE\nA1,01/01/2012,20/05/2025,PN9\n", encoding="utf-8"
    )
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", first, second, "--rejects", rejects, env=WIDE)
    assert result.exit_code == 1
    assert ["2027/reviews.csv", "2", "A1", "unknown participation code 'PN9'"] in read(rejects)


def test_overlap_across_several_folders_names_the_folder(initialised, tmp_path):
    first, second = _two_years_with_overlap(tmp_path)
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", first, second, "--rejects", rejects, env=WIDE)
    assert result.exit_code == 1
    [row] = read(rejects)[1:]
    assert row[:3] == ["2027/episodes.csv", "6", "X9"]


def test_a_later_return_corrects_the_date_of_birth(initialised, tmp_path):
    first = base_return(tmp_path / "2026")
    second = write_return(tmp_path / "2027", [h("A1", "02/01/2012")], [], [])
    initialised.ok("import", "ssda903", first, second)
    assert initialised.json("child", "show", "A1", "--format", "json")["dob"] == "2012-01-02"


def test_a_later_return_corrects_how_an_episode_ends(initialised, tmp_path):
    first = base_return(tmp_path / "2026")
    second = write_return(
        tmp_path / "2027",
        [h("B1", "15/06/2023", "2")],
        [ep("B1", "02/06/2025", ls="V2", place="U3", dec="20/12/2025", rec="E4A")],
        [],
    )
    initialised.ok("import", "ssda903", first, second)
    (period,) = query(
        initialised.db, "SELECT end_date, reason_ceased FROM periods WHERE child_id = 'B1'"
    )
    assert period == ("2025-12-20", "E4A")


# --- import: --dry-run ---------------------------------------------------------------------------


def test_dry_run_shows_what_would_be_created_and_changes_nothing(initialised, tmp_path):
    folder = base_return(tmp_path / "r")
    before = snapshot_db(initialised.db)
    line = initialised.line("import", "ssda903", folder, "--dry-run")
    assert line == (
        "Would import: 2 new children (0 updated, 0 unchanged), 2 periods, 3 episodes "
        "(0 updated), 3 reviews (0 updated). Nothing was changed (dry run)."
    )
    assert snapshot_db(initialised.db) == before
    got = initialised.json("import", "ssda903", folder, "--dry-run")
    assert (got["children_new"], got["reviews_new"], got["dry_run"], got["imported"]) == (
        2,
        3,
        True,
        False,
    )
    assert snapshot_db(initialised.db) == before


def test_dry_run_of_a_newer_return(initialised, tmp_path):
    initialised.ok("import", "ssda903", base_return(tmp_path / "v1"))
    v2 = write_return(tmp_path / "v2", BASE_HEADER, NEWER_EPISODES, NEWER_REVIEWS)
    before = snapshot_db(initialised.db)
    line = initialised.line("import", "ssda903", v2, "--dry-run")
    assert line == (
        "Would import: 0 new children (0 updated, 1 unchanged), 0 periods, 0 episodes "
        "(1 updated), 1 reviews (1 updated). Nothing was changed (dry run)."
    )
    assert snapshot_db(initialised.db) == before


def test_dry_run_with_rejected_rows_is_refused(initialised, tmp_path):
    rows, _ = REJECTS["unknown PLACE"]
    folder = base_return(tmp_path / "r", rows["header"], rows["episodes"], rows["reviews"])
    before = snapshot_db(initialised.db)
    result = initialised("import", "ssda903", folder, "--dry-run", env=WIDE)
    assert result.exit_code == 1
    assert snapshot_db(initialised.db) == before


# --- import: files -------------------------------------------------------------------------------


def test_column_names_in_any_case_and_order_with_iso_dates_and_a_bom(initialised, tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "header.csv").write_text(
        "dob,Child,sex\n2012-01-01,A1,1\n15/06/2023,B1,2\n", encoding="utf-8-sig"
    )
    (folder / "episodes.csv").write_text(
        "child,Decom,rne,Ls,place,dec,Rec,reason_place_change\n"
        "A1,2025-05-01,S,C2,U6,2025-08-01,X1,child\n"
        "A1,01/08/2025,p,c2,k2,,,\n"
        "B1,2025-06-02,S,V2,U3,2025-12-19,e4a,\n",
        encoding="utf-8-sig",
    )
    (folder / "reviews.csv").write_text(
        "Review,CHILD,review_code\n2025-05-20,A1,pn1\n15/08/2025,A1,PN2\n2025-06-20,B1,PN0\n",
        encoding="utf-8",
    )
    initialised.ok("import", "ssda903", folder)
    # The same database as the clean return in codes.md's layout.
    other = tmp_path / "other.db"
    cli = DbCli(other)
    cli.ok("init")
    cli.ok("import", "ssda903", base_return(tmp_path / "base"))
    assert imported(initialised.db) == imported(other)


def test_crlf_and_blank_lines_are_accepted(initialised, tmp_path):
    folder = base_return(tmp_path / "r")
    for name in LAYOUTS:
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(text.replace("\n", "\r\n\r\n").encode())
    initialised.ok("import", "ssda903", folder)
    assert len(imported(initialised.db)["reviews"]) == 3


def test_blank_review_code_is_accepted(initialised, tmp_path):
    folder = base_return(
        tmp_path / "r", [X9_H], [X9_EP], [rv("X9", "01/01/2015", "20/05/2025", "")]
    )
    initialised.ok("import", "ssda903", folder)
    assert query(initialised.db, "SELECT participation FROM reviews WHERE child_id = 'X9'") == [
        (None,)
    ]


def test_a_file_with_only_its_header_line_is_accepted(initialised, tmp_path):
    folder = write_return(tmp_path / "r", [h("A1", "01/01/2012")], [], [])
    initialised.ok("import", "ssda903", folder)
    assert query(initialised.db, "SELECT id FROM children") == [("A1",)]
    assert query(initialised.db, "SELECT COUNT(*) FROM periods") == [(0,)]


def test_broken_encoding_is_refused(initialised, tmp_path):
    folder = base_return(tmp_path / "r")
    with open(folder / "header.csv", "ab") as f:
        f.write(b"R\xe9n,1,01/01/2014,,,,\n")
    msg = initialised.refused("import", "ssda903", folder)
    assert msg.startswith("Error: header.csv is not UTF-8 text (byte ")
    assert "save it as UTF-8" in msg


@pytest.mark.parametrize(
    ("name", "columns", "missing"),
    [
        ("header.csv", ["CHILD", "SEX"], "DOB"),
        ("episodes.csv", ["CHILD", "DECOM", "RNE"], "LS, PLACE"),
        ("reviews.csv", ["child", "DOB", "REVIEW_CODE"], "REVIEW"),
    ],
)
def test_missing_required_columns_are_named(initialised, tmp_path, name, columns, missing):
    folder = base_return(tmp_path / "r")
    (folder / name).write_text(",".join(columns) + "\n", encoding="utf-8")
    msg = initialised.refused("import", "ssda903", folder)
    assert msg == f"Error: {name} lacks the column(s) {missing}"


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_missing_file_is_refused(initialised, tmp_path, name):
    folder = base_return(tmp_path / "r")
    (folder / name).unlink()
    msg = initialised.refused("import", "ssda903", folder)
    assert msg == f"Error: {name} not found in {str(folder)!r}"


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_empty_file_is_refused(initialised, tmp_path, name):
    folder = base_return(tmp_path / "r")
    (folder / name).write_bytes(b"")
    assert initialised.refused("import", "ssda903", folder) == f"Error: {name} is empty"


def test_missing_file_in_one_of_several_folders_names_it(initialised, tmp_path):
    first = base_return(tmp_path / "2026")
    second = base_return(tmp_path / "2027")
    (second / "episodes.csv").unlink()
    msg = initialised.refused("import", "ssda903", first, second)
    assert "episodes.csv not found" in msg
    assert str(second) in msg


# --- import: new children in batches, children already held compared first --------------------
#
# A child not yet in the database is written in batches (``_Writer._add``/``_flush``), with
# the deadlines the one-by-one merge (``_merge_child``) would store; a child already held is
# compared with the return in memory (``_unchanged``) and merged only when it differs. The
# one-by-one path is forced here to check that both give the same database, ids included.

STAMP = "2026-07-01T09:00:00+00:00"


def _rows(db: Path) -> list[str]:
    """The database as SQL text, without its audit trail and when its migrations ran."""
    return [line for line in without_audit(db) if not line.startswith('INSERT INTO "_migr')]


def _one_by_one(monkeypatch) -> None:
    """Every child through ``_merge_child``, as before the batches."""
    from reviewcli import ssda903

    monkeypatch.setattr(ssda903, "_touching", lambda periods: True)
    monkeypatch.setattr(ssda903, "_unchanged", lambda *args: False)


def _import_both_ways(monkeypatch, tmp_path, *imports) -> tuple[Path, Path, list, list]:
    """Import each list of folders in turn into two fresh databases: in batches, and one by
    one. Returns both databases and the import messages of each. A step may instead be SQL
    to run on the database between imports."""
    from reviewcli import ssda903

    monkeypatch.setattr(ssda903, "now_iso", lambda: STAMP)
    databases, messages = [], []
    for way in ("batches", "one by one"):
        cli = DbCli(tmp_path / f"{way}.db")
        cli.ok("init")
        said = []
        with monkeypatch.context() as m:
            if way == "one by one":
                _one_by_one(m)
            for step in imports:
                if isinstance(step, str):
                    with sqlite3.connect(cli.db) as conn:
                        conn.execute(step)
                    conn.close()
                else:
                    said.append(cli.line("import", "ssda903", *step))
        messages.append(said)
        databases.append(cli.db)
    return databases[0], databases[1], messages[0], messages[1]


def test_batches_give_the_database_the_one_by_one_import_gives(demo, tmp_path, monkeypatch):
    root = demo["root"]
    fast, slow, said_fast, said_slow = _import_both_ways(monkeypatch, tmp_path, [root / "all"])
    assert said_fast == said_slow
    assert _rows(fast) == _rows(slow)
    assert imported(fast) == imported(demo["fresh"].db)


def test_batches_and_merges_of_several_years_give_the_same_database(demo, tmp_path, monkeypatch):
    """2025 first (every child new), then 2026 and 2027 (children held, changed or not,
    between new ones), then 2027 again (every child unchanged)."""
    root = demo["root"]
    fast, slow, said_fast, said_slow = _import_both_ways(
        monkeypatch, tmp_path, [root / "2025"], [root / "2026", root / "2027"], [root / "2027"]
    )
    assert said_fast == said_slow
    assert _rows(fast) == _rows(slow)
    second, third = said_fast[1:]
    assert "0 new children" not in second and "0 unchanged" not in second, second
    assert int(re.search(r"episodes \((\d+) updated\)", second)[1]) > 0, second
    assert third.startswith("Imported: 0 new children (0 updated, "), third
    assert third.endswith("0 periods, 0 episodes (0 updated), 0 reviews (0 updated)."), third


def _a1(header=None, episodes=None, reviews=None) -> dict:
    """The base return with A1's rows replaced."""
    return {
        "header": header or BASE_HEADER,
        "episodes": (episodes or BASE_EPISODES[:2]) + BASE_EPISODES[2:],
        "reviews": (reviews or BASE_REVIEWS[:2]) + BASE_REVIEWS[2:],
    }


ONE_CHANGE = {
    "participation corrected": _a1(
        reviews=[BASE_REVIEWS[0], rv("A1", "01/01/2012", "15/08/2025", "PN5")]
    ),
    "participation left blank": _a1(
        reviews=[BASE_REVIEWS[0], rv("A1", "01/01/2012", "15/08/2025", "")]
    ),
    "a review more": _a1(reviews=[*BASE_REVIEWS[:2], rv("A1", "01/01/2012", "10/11/2025", "PN1")]),
    "a review fewer": _a1(reviews=BASE_REVIEWS[:1]),
    "date of birth corrected": _a1(header=[h("A1", "02/01/2012", "1"), BASE_HEADER[1]]),
    "sex left blank": _a1(header=[h("A1", "01/01/2012", ""), BASE_HEADER[1]]),
    "sex changed": _a1(header=[h("A1", "01/01/2012", "2"), BASE_HEADER[1]]),
    "episode closed": _a1(episodes=NEWER_EPISODES[:2]),
    "reason for the move changed": _a1(
        episodes=[BASE_EPISODES[0], ep("A1", "01/08/2025", rne="P", place="K2", rpc="CARPL")]
    ),
    "episode moved to another placement": _a1(
        episodes=[BASE_EPISODES[0], ep("A1", "01/08/2025", rne="P", place="K1", rpc="CHILD")]
    ),
    "a later episode only": _a1(episodes=[BASE_EPISODES[1]], reviews=[BASE_REVIEWS[1]]),
    "an episode more": _a1(
        episodes=[
            BASE_EPISODES[0],
            ep("A1", "01/08/2025", rne="P", place="K2", rpc="CHILD", dec="01/10/2025", rec="X1"),
            ep("A1", "01/10/2025", rne="L", ls="C1", place="K2"),
        ]
    ),
    "a new period": _a1(
        episodes=[
            BASE_EPISODES[0],
            ep("A1", "01/08/2025", rne="P", place="K2", rpc="CHILD", dec="01/09/2025", rec="E4A"),
            ep("A1", "01/02/2026"),
        ],
    ),
}


ONE_CHANGE["an episode not held, within a held period"] = _a1(
    episodes=[ep("A1", "01/09/2025", rne="P", place="K1")],
    reviews=[rv("A1", "01/01/2012", "10/11/2025", "PN1")],
)


@pytest.mark.parametrize("change", list(ONE_CHANGE))
def test_one_change_is_found_and_merged_as_one_by_one(tmp_path, monkeypatch, change):
    rows = ONE_CHANGE[change]
    v1 = base_return(tmp_path / "v1")
    v2 = write_return(tmp_path / "v2", rows["header"], rows["episodes"], rows["reviews"])
    fast, slow, said_fast, said_slow = _import_both_ways(monkeypatch, tmp_path, [v1], [v2], [v2])
    assert said_fast == said_slow
    assert _rows(fast) == _rows(slow)
    assert said_fast[2] == (
        "Imported: 0 new children (0 updated, 2 unchanged), 0 periods, 0 episodes "
        "(0 updated), 0 reviews (0 updated)."
    )


def test_a_period_ended_otherwise_in_the_database_takes_the_return_s_end(tmp_path, monkeypatch):
    """Only the period differs (its reason, edited since): the merge puts the return's back."""
    v1 = base_return(tmp_path / "v1")
    edit = "UPDATE periods SET reason_ceased = 'E11' WHERE child_id = 'B1'"
    fast, slow, said_fast, said_slow = _import_both_ways(
        monkeypatch, tmp_path, [v1], edit, [v1], [v1]
    )
    assert said_fast == said_slow
    assert _rows(fast) == _rows(slow)
    assert "0 new children (1 updated, 1 unchanged)" not in said_fast[1]
    assert query(fast, "SELECT reason_ceased FROM periods WHERE child_id = 'B1'") == [("E4A",)]


def test_a_newer_return_is_idempotent_in_batches(initialised, tmp_path):
    initialised.ok("import", "ssda903", base_return(tmp_path / "v1"))
    v2 = write_return(tmp_path / "v2", BASE_HEADER, NEWER_EPISODES, NEWER_REVIEWS)
    initialised.ok("import", "ssda903", v2)
    before = without_audit(initialised.db)
    audit_before = audit_count(initialised.db)
    assert initialised.line("import", "ssda903", v2) == (
        "Imported: 0 new children (0 updated, 2 unchanged), 0 periods, 0 episodes "
        "(0 updated), 0 reviews (0 updated)."
    )
    assert without_audit(initialised.db) == before
    assert audit_count(initialised.db) == audit_before


def _trail(db: Path, after_id: int = 0) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM audit WHERE id > ?", [after_id])]
    finally:
        conn.close()


def test_each_new_child_has_one_audit_row_of_what_was_imported(initialised, tmp_path):
    initialised.ok("import", "ssda903", base_return(tmp_path / "r"))
    trail = _trail(initialised.db)
    assert [(r["table_name"], r["row_key"], r["child_id"], r["action"]) for r in trail] == [
        ("children", "A1", "A1", "insert"),
        ("children", "B1", "B1", "insert"),
    ]
    a1 = trail[0]
    assert a1["command"] == "reviewcli import ssda903"
    assert a1["user"] and a1["at"].endswith("Z")
    assert a1["before"] is None
    after = json.loads(a1["after"])
    assert after["id"] == "A1"
    assert (after["dob"], after["gender"]) == ("2012-01-01", "M")
    assert after["created_at"] == query(initialised.db, "SELECT created_at FROM children")[0][0]
    assert after["imported"] == {"periods": 1, "episodes": 2, "reviews": 2}
    assert json.loads(trail[1]["after"])["imported"] == {
        "periods": 1,
        "episodes": 1,
        "reviews": 1,
    }

    shown = initialised.json("audit", "--child", "A1")
    assert [(r["command"], r["table_name"], r["action"]) for r in shown] == [
        ("reviewcli import ssda903", "children", "insert")
    ]
    # The per-row triggers are on again for the next command.
    mark = max(r["id"] for r in trail)
    initialised.ok("episode", "end", "A1", "--date", "2026-06-30", "--reason", "E4A")
    assert {r["table_name"] for r in _trail(initialised.db, mark)} >= {"periods", "episodes"}


def test_a_newer_return_audits_new_children_once_and_each_change_row_by_row(initialised, tmp_path):
    """A0, new, comes before A1 (changed) in id order: its batch is written first, and the
    changes to A1 are audited by the triggers as before."""
    initialised.ok("import", "ssda903", base_return(tmp_path / "v1"))
    mark = query(initialised.db, "SELECT MAX(id) FROM audit")[0][0]
    v2 = write_return(
        tmp_path / "v2",
        [h("A0", "01/01/2013"), *BASE_HEADER],
        [ep("A0", "01/05/2025"), *NEWER_EPISODES],
        [rv("A0", "01/01/2013", "20/05/2025", "PN1"), *NEWER_REVIEWS],
    )
    got = initialised.json("import", "ssda903", v2)
    assert (got["children_new"], got["unchanged_children"], got["reviews_new"]) == (1, 1, 2)
    trail = [(r["table_name"], r["action"], r["child_id"]) for r in _trail(initialised.db, mark)]
    assert trail[0] == ("children", "insert", "A0")
    assert sorted(trail[1:]) == sorted(
        [
            ("periods", "update", "A1"),
            ("episodes", "update", "A1"),
            ("reviews", "insert", "A1"),
            ("reviews", "update", "A1"),
        ]
    )


def test_an_import_with_the_audit_switched_off_writes_no_audit_rows(initialised, tmp_path):
    from reviewcli.ssda903 import import_903

    with open_store(initialised.db) as s:
        s.audit_off = True
        plan = import_903(s, base_return(tmp_path / "r"), today=date(2026, 7, 1))
    assert plan.children_new == 2
    assert audit_count(initialised.db) == 0
    assert len(query(initialised.db, "SELECT id FROM reviews")) == 3


def test_an_import_leaves_the_connection_as_it_found_it(initialised, tmp_path):
    """The page cache is enlarged for the import only; the staging tables are dropped; the
    garbage collector runs again."""
    from reviewcli.ssda903 import import_903

    with open_store(initialised.db) as s:
        s.conn.execute("PRAGMA cache_size = -1000")
        import_903(s, base_return(tmp_path / "r"), today=date(2026, 7, 1))
        assert s.conn.execute("PRAGMA cache_size").fetchone()[0] == -1000
        assert s.conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
        assert gc.isenabled()
        assert not s.conn.in_transaction


def test_the_progress_bar_follows_the_reading_then_the_children(initialised, tmp_path):
    """Reading a national return takes seconds before the first child is written: the bar
    counts megabytes read, then children imported, each with its label."""
    from reviewcli import ssda903

    folder = base_return(tmp_path / "r")
    seen: list[tuple[int, int, str]] = []
    with open_store(initialised.db) as s:
        ssda903.import_903(s, folder, today=date(2026, 7, 1), progress=lambda *a: seen.append(a))
    reading = [a for a in seen if a[2] == "Reading the return (MB)"]
    writing = [a for a in seen if a[2] == "Importing children"]
    # Then the work list's stored items are made once, for the whole return.
    assert seen == [*reading, *writing, (2, 2, "Storing the work list")]
    assert reading[0] == (0, 1, "Reading the return (MB)") and reading[-1][:2] == (1, 1)
    assert writing[0][:2] == (0, 2) and writing[-1][:2] == (2, 2)
    # A megabyte at a time, never past the end.
    counts: list[int] = []
    reader = ssda903._Reading([folder], lambda done, total, label: counts.append(done))
    reader.size, reader.total = 2_500_000, 3  # as if the files held 2.5 MB
    for _ in range(3):
        reader(1_000_000)
    assert counts == [0, 0, 1, 3]


def test_read_csv_gives_each_row_by_column_name(tmp_path):
    from reviewcli.ssda903 import read_csv

    path = tmp_path / "header.csv"
    path.write_text("child, dob ,Sex\n\nA1,01/01/2012\nB1, 15/06/2023 ,2,extra\n", "utf-8")
    columns, rows = read_csv(path, "header.csv")
    assert columns == ["CHILD", "DOB", "SEX"]
    assert rows == [
        (3, {"CHILD": "A1", "DOB": "01/01/2012", "SEX": ""}),
        (4, {"CHILD": "B1", "DOB": "15/06/2023", "SEX": "2"}),
    ]


# --- import children ---------------------------------------------------------------------------


def _children_csv(path: Path, rows: list[str], header: str) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


CHILDREN_HEADER = (
    "child_id,First_Name,LAST_NAME,dob,gender,team,start_date,legal_status,placement,iro"
)


def test_import_children_with_and_without_start_date_and_iro(world, tmp_path):
    path = _children_csv(
        tmp_path / "children.csv",
        [
            "K1,Kai,King,2014-03-04,Male,North,,,,",
            "K2,Lea,Lamb,04/03/2016,Female,South,2026-05-22,C2,U6,",
            "K3,Max,Moor,2012-11-30,,,22/05/2026,V2,U3,IRO1",
        ],
        CHILDREN_HEADER,
    )
    line = world.line("import", "children", path)
    assert line == "Imported 3 children (2 looked after, 1 with an IRO)."
    db = world.db
    assert query(
        db,
        "SELECT id, first_name, last_name, dob, gender, team FROM children "
        "WHERE id LIKE 'K%' ORDER BY id",
    ) == [
        ("K1", "Kai", "King", "2014-03-04", "Male", "North"),
        ("K2", "Lea", "Lamb", "2016-03-04", "Female", "South"),
        ("K3", "Max", "Moor", "2012-11-30", None, None),
    ]
    # Looked after from Fri 22 May 2026: first review due by Mon 22 Jun 2026 (R-SCH-1).
    assert query(
        db,
        "SELECT child_id, start_date, next_due, next_rule FROM periods "
        "WHERE child_id LIKE 'K%' ORDER BY child_id",
    ) == [
        ("K2", "2026-05-22", "2026-06-22", "R-SCH-1"),
        ("K3", "2026-05-22", "2026-06-22", "R-SCH-1"),
    ]
    assert query(
        db,
        "SELECT child_id, rne, legal_status, placement FROM episodes WHERE child_id LIKE 'K%' "
        "ORDER BY child_id",
    ) == [("K2", "S", "C2", "U6"), ("K3", "S", "V2", "U3")]
    assert query(
        db, "SELECT child_id, iro_id, start_date FROM allocations WHERE child_id LIKE 'K%'"
    ) == [("K3", "IRO1", "2026-05-22")]


def test_import_children_minimal_columns(initialised, tmp_path):
    path = _children_csv(
        tmp_path / "c.csv", ["K1,Kai,King,2014-03-04"], "CHILD_ID,FIRST_NAME,LAST_NAME,DOB"
    )
    got = initialised.json("import", "children", path)
    assert got == {
        "children_new": 1,
        "periods_new": 0,
        "allocations_new": 0,
        "children_updated": 0,
        "histories_recorded": 0,
        "changes": [],
        "dry_run": False,
    }
    assert query(initialised.db, "SELECT id FROM children") == [("K1",)]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("K3,Max,Moor,31/02/2012,,,,,,", "impossible date"),
        ("K3,Max,Moor,2012-11-30,,,2026-05-22,Z9,U6,", "unknown legal status code 'Z9'"),
        ("K3,Max,Moor,2012-11-30,,,2026-05-22,C2,U6,IRO9", "no IRO with id 'IRO9'"),
        ("K1,Max,Moor,2012-11-30,,,,,,", "a child with id 'K1' already exists"),
        ("K3,,Moor,2012-11-30,,,,,,", "first name must not be empty"),
        ("K3,Max,Moor,2012-11-30,,,2026-08-01,C2,U6,", "is in the future"),
    ],
)
def test_import_children_bad_row_rejects_the_whole_file(world, tmp_path, bad, reason):
    path = _children_csv(
        tmp_path / "children.csv",
        [
            "K1,Kai,King,2014-03-04,Male,North,,,,",
            "K2,Lea,Lamb,04/03/2016,Female,South,2026-05-22,C2,U6,IRO1",
            bad,
        ],
        CHILDREN_HEADER,
    )
    rejects = tmp_path / "rejects.csv"
    before = snapshot_db(world.db)
    result = world("import", "children", path, "--rejects", rejects, env=WIDE)
    assert snapshot_db(world.db) == before
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = [x for x in result.stderr.splitlines() if x.startswith("Error: ")]
    assert len(errors) == 1
    assert "nothing was imported" in errors[0]
    [row] = read(rejects)[1:]
    assert row[:3] == ["children.csv", "4", bad.split(",")[0]]
    assert reason in row[3]


def test_import_children_dry_run(world, tmp_path):
    path = _children_csv(
        tmp_path / "children.csv",
        ["K1,Kai,King,2014-03-04,,,,,,", "K2,Lea,Lamb,2016-03-04,,,2026-05-22,C2,U6,IRO1"],
        CHILDREN_HEADER,
    )
    before = snapshot_db(world.db)
    line = world.line("import", "children", path, "--dry-run")
    assert line == (
        "Would import 2 children (1 looked after, 1 with an IRO). Nothing was changed (dry run)."
    )
    assert snapshot_db(world.db) == before


def test_import_children_file_problems(initialised, tmp_path):
    missing = initialised.refused("import", "children", tmp_path / "nope.csv")
    assert "not found" in missing
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert initialised.refused("import", "children", empty) == "Error: empty.csv is empty"
    cols = _children_csv(tmp_path / "cols.csv", ["K1,Kai"], "child_id,first_name")
    assert initialised.refused("import", "children", cols) == (
        "Error: cols.csv lacks the column(s) last_name, dob"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"child_id,first_name,last_name,dob\nK1,Ren\xe9e,King,2014-03-04\n")
    assert "not UTF-8" in initialised.refused("import", "children", latin)
    bom = _children_csv(
        tmp_path / "bom.csv", ["K1,Kai,King,2014-03-04"], "\ufeffCHILD_ID,FIRST_NAME,LAST_NAME,DOB"
    )
    initialised.ok("import", "children", bom)
    assert query(initialised.db, "SELECT id FROM children") == [("K1",)]


def test_the_audit_listing_shows_what_an_import_brought_in_plainly():
    from reviewcli.cli.admin import _describe

    row = {
        "changes": None,
        "before": None,
        "after": {"id": 3, "first_name": "Amy", "imported": {"periods": 1, "reviews": 2}},
    }
    assert _describe(row) == "first_name: Amy, imported: (periods 1, reviews 2)"
