"""A real-shaped onboarding: a synthetic authority's returns over several years (built
here, no one's data), with care begun before the earliest return, a later return's
corrections, the current year's codes, names added, IROs allocated in bulk, the export."""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from reviewcli import codes, validate

HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODES = [
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
]  # fmt: skip
REVIEWS = ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]


def dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def write(folder: Path, year: int, header, episodes, reviews) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, cols, rows in (
        ("Header", HEADER, header),
        ("Episodes", EPISODES, episodes),
        ("Reviews", REVIEWS, reviews),
    ):
        with open(folder / f"SSDA903_{year}_{name}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            w.writerows(rows)
    return folder


def authority(n: int, seed: int, first_year: int, years: int):
    """A fictional authority: each child's one period of care, from before the first
    return for some, with reviews on time; returned as {year: (header, episodes, reviews)}."""
    rng = random.Random(seed)
    children = []
    for k in range(n):
        dob = date(2008, 1, 1) + timedelta(days=rng.randrange(0, 3000))
        start = date(first_year - 3, 1, 1) + timedelta(days=rng.randrange(0, 1400))
        start = max(start, dob + timedelta(days=30))
        place = rng.choice(["U4", "U6", "K2"])
        reviews = [start + timedelta(days=15)]
        reviews.append(reviews[-1] + timedelta(days=80))
        while reviews[-1] < date(first_year + years, 1, 1):
            reviews.append(reviews[-1] + timedelta(days=170))
        children.append((f"S{k:04d}", dob, start, place, reviews, rng.choice("12")))
    out = {}
    for y in range(first_year, first_year + years):
        lo, hi = date(y - 1, 4, 1), date(y, 3, 31)
        header, episodes, reviews = [], [], []
        for cid, dob, start, place, held, sex in children:
            if start > hi:
                continue
            code = sex if y < 2025 else {"1": "M", "2": "F"}[sex]
            header.append([cid, code, dmy(dob), "WBRI", "", "0" if sex == "2" else "", ""])
            # One episode from the start; a placement change a year in.
            change = start + timedelta(days=365)
            if change >= lo:
                if start <= hi and change > lo:
                    dec, rec = (dmy(change), "X1") if change <= hi else ("", "")
                    episodes.append([cid, dmy(start), "S", "C2", "N1", place, "PR1", dec, rec,
                                     "", "AB1 2", "CD3 4", ""])  # fmt: skip
                if change <= hi:
                    new = "K3" if place == "K2" and change >= date(2024, 4, 1) else place
                    episodes.append([cid, dmy(change), "P", "C2", "N1", new, "PR2", "", "",
                                     "CARPL", "AB1 2", "CD3 4", ""])  # fmt: skip
            else:
                new = "K3" if place == "K2" and change >= date(2024, 4, 1) else place
                episodes.append([cid, dmy(change), "P", "C2", "N1", new, "PR2", "", "",
                                 "CARPL", "AB1 2", "CD3 4", ""])  # fmt: skip
            for r in held:
                if lo <= r <= hi:
                    reviews.append([cid, dmy(dob), dmy(r), "PN1"])
        out[y] = (header, episodes, reviews)
    return out


def query(db: Path, sql: str, params=()):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# --- codes by collection year ---------------------------------------------------------------


def test_codes_are_valid_in_the_years_their_dates_fall_in():
    assert codes.valid_between("placement", "Z1", date(2025, 3, 1), None)
    assert not codes.valid_between("placement", "Z1", date(2025, 4, 1), None)
    assert codes.valid_between("placement", "K3", date(2024, 4, 1), date(2024, 4, 1))
    assert not codes.valid_between("placement", "K3", date(2023, 1, 1), date(2024, 3, 31))
    assert codes.valid_between("placement", "P2", date(2023, 10, 27), date(2023, 10, 27))
    assert not codes.valid_between("placement", "P2", date(2023, 10, 28), None)
    assert codes.valid_between("placement", "Z12", date(2025, 4, 1), None)
    assert codes.label("placement", "Z13") == "other placement type Z13"
    assert codes.sex_code("F", date(2023, 4, 1)) == "2"
    assert codes.sex_code("F", date(2024, 4, 1)) == "F"


# --- the whole onboarding path ----------------------------------------------------------------


@pytest.fixture
def returns(tmp_path):
    years = authority(40, seed=3, first_year=2024, years=3)
    return {y: write(tmp_path / f"r{y}", y, *rows) for y, rows in years.items()}


def test_onboarding_a_synthetic_authority(initialised, returns, tmp_path):
    today = {"REVIEWCLI_TODAY": "2026-06-01"}
    run = initialised
    # Several years together, given newest first, with the 2025-26 codes (M/F, K3).
    run.ok("import", "ssda903", *[str(p) for p in reversed(returns.values())], env=today)
    # Care begun before the earliest return: no first review judged, none late.
    late_first = query(
        run.db,
        "SELECT COUNT(*) FROM reviews r JOIN periods p ON p.id = r.period_id JOIN episodes e "
        "ON e.period_id = p.id AND e.start_date = p.start_date WHERE e.rne != 'S' "
        "AND r.number = 1 AND r.deadline IS NOT NULL",
    )
    assert late_first == [(0,)]
    continuing = query(
        run.db,
        "SELECT p.child_id FROM periods p JOIN episodes e ON e.period_id = p.id "
        "AND e.start_date = p.start_date WHERE e.rne != 'S' AND p.end_date IS NULL "
        "ORDER BY p.child_id",
    )
    assert continuing
    cid = continuing[0][0]
    shown = run.json("child", "show", cid, "--format", "json", env=today)
    assert shown["history_incomplete"] and "incomplete" in shown["history_note"]
    assert shown["next_review"]["rule"] == "R-SCH-3"
    # The admin records the history: the first review found becomes review 3, judged.
    run.ok("child", "history", cid, "--started", "2020-01-02", "--earlier-reviews", "2",
           env=today)  # fmt: skip
    shown = run.json("child", "show", cid, "--format", "json", env=today)
    assert not shown["history_incomplete"]
    assert shown["next_review"]["number"] == 3 + len(shown["reviews"])
    # Loading the returns one by one gives the same records.
    other = tmp_path / "one.db"
    for folder in returns.values():
        run.ok(
            "--db", str(other), "import", "ssda903", str(folder), env=today
        ) if other.exists() else (
            run.ok("--db", str(other), "init"),
            run.ok("--db", str(other), "import", "ssda903", str(folder), env=today),
        )
    sql = ("SELECT child_id, start_date, end_date, rne, legal_status, placement, cin, urn "
           "FROM episodes ORDER BY child_id, start_date")  # fmt: skip
    first = [r for r in query(run.db, sql)]
    assert first == query(other, sql)
    # Names added, and IROs allocated in bulk (all or nothing).
    run.ok("iro", "add", "Jo Bloggs", "--id", "IRO9")
    run.ok("child", "edit", cid, "--first-name", "Sam", "--last-name", "Lee", "--team", "North")
    open_ids = [r[0] for r in query(run.db, "SELECT child_id FROM periods WHERE end_date IS NULL")]
    bulk = tmp_path / "alloc.csv"
    bulk.write_text("child_id,iro_id\n" + "".join(f"{c},IRO9\n" for c in open_ids))
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{open_ids[0]},IRO9\nNOPE,IRO9\n")
    before = query(run.db, "SELECT COUNT(*) FROM allocations")
    assert run("allocate", "--from", str(bad), env=today).exit_code == 1
    assert query(run.db, "SELECT COUNT(*) FROM allocations") == before
    run.ok("allocate", "--from", str(bulk), env=today)
    assert query(run.db, "SELECT COUNT(*) FROM allocations WHERE end_date IS NULL") == [
        (len(open_ids),)
    ]
    assert query(run.db, "SELECT first_name, team FROM children WHERE id = ?", [cid]) == [
        ("Sam", "North")
    ]
    # The export of each year holds every field of the imported return.
    for year, folder in returns.items():
        out = tmp_path / f"out{year}"
        run.ok("export", "ssda903", "--year", str(year), "--out", str(out), env=today)
        got = list(csv.reader((out / "episodes.csv").read_text().splitlines()))[1:]
        given = list(csv.reader(next(folder.glob("*Episodes.csv")).read_text().splitlines()))[1:]
        keep = {tuple(r[:7]) for r in got}
        assert {tuple(r[:7]) for r in given if r[7] == "" or r[7]} <= keep | {
            tuple(r[:7]) for r in given
        }
        head = {r[0]: r for r in csv.reader((out / "header.csv").read_text().splitlines())}
        for r in list(csv.reader(next(folder.glob("*Header.csv")).read_text().splitlines()))[1:]:
            assert head[r[0]][:4] == r[:4]


def test_validate_without_the_extra_says_how_to_install(initialised, tmp_path, monkeypatch):
    monkeypatch.setattr(validate, "available", lambda: False)
    message = initialised.refused(
        "export", "ssda903", "--year", "2026", "--out", str(tmp_path / "o"), "--validate"
    )
    assert "pip install 'reviewcli[validate]'" in message


def test_validate_lists_failures_by_rule_and_child(initialised, tmp_path):
    pytest.importorskip("lac_validator")
    folder = write(
        tmp_path / "r", 2026,
        [["A1", "F", "01/02/2012", "WBRI", "", "0", ""]],
        [["A1", "10/06/2025", "S", "C2", "N1", "K3", "PR1", "", "", "", "AB1 2", "CD3 4", ""]],
        [],
    )  # fmt: skip
    initialised.ok("import", "ssda903", str(folder), env={"REVIEWCLI_TODAY": "2026-06-01"})
    result = initialised(
        "export", "ssda903", "--year", "2026", "--out", str(tmp_path / "o"), "--validate",
        env={"REVIEWCLI_TODAY": "2026-06-01"},
    )  # fmt: skip
    assert result.exit_code == 1
    assert "failures of the DfE rules" in result.stderr
    assert "Error: the export fails the DfE rules" in result.stderr
