"""A real-shaped onboarding: a synthetic authority's returns over several years (built
here, no one's data), with care begun before the earliest return, a later return's
corrections, the current year's codes, names added, IROs allocated in bulk, the export."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections import Counter
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
    """A fictional authority, as its returns give it: {year: (header, episodes, reviews)}.

    Each child has one period of care, begun up to three years before the first return
    (so many begin before it), a change of placement a year in (the reason on the episode
    that ended with it, rule 233), and for some an end of care; reviews on time; a few
    girls are mothers. K3 after 1 April 2024 in place of K2; SEX 1/2 before 2024-25 and
    M/F from then on."""
    rng = random.Random(seed)
    children = []
    for k in range(n):
        dob = date(2009, 1, 1) + timedelta(days=rng.randrange(0, 2800))
        start = date(first_year - 3, 1, 1) + timedelta(days=rng.randrange(0, 1400))
        start = max(start, dob + timedelta(days=30))
        change = start + timedelta(days=365)
        end = start + timedelta(days=rng.randrange(400, 2200)) if rng.random() < 0.4 else None
        place = rng.choice(["U4", "U6", "K2"])
        second = "K3" if place == "K2" and change >= date(2024, 4, 1) else place
        if change >= date(2025, 4, 1) and k % 5 == 0:
            second = f"Z1{1 + k % 4}"  # the 2025-26 codes in place of Z1
        periods = [
            (start, change, "X1", "S", place, "PR1", "CARPL"),
            (change, end, "E4A" if end else None, "P", second, "PR2", ""),
        ]
        held = [start + timedelta(days=15), start + timedelta(days=95)]
        while held[-1] + timedelta(days=170) < (end or date(first_year + years, 3, 31)):
            held.append(held[-1] + timedelta(days=170))
        sex = rng.choice("12")
        mc_dob = start + timedelta(days=200) if sex == "2" and rng.random() < 0.1 else None
        children.append((f"S{k:04d}", dob, periods, held, sex, mc_dob))
    out = {}
    for y in range(first_year, first_year + years):
        lo, hi = date(y - 1, 4, 1), date(y, 3, 31)
        header, episodes, reviews = [], [], []
        for cid, dob, periods, held, sex, mc_dob in children:
            rows = []
            for begin, finish, rec, rne, place, provider, reason in periods:
                if begin > hi or (finish is not None and finish < lo):
                    continue
                ended = finish is not None and finish <= hi
                rows.append([
                    cid, dmy(begin), rne, "C2", "N1", place, provider,
                    dmy(finish) if ended else "", rec if ended else "",
                    reason if ended else "", "AB1 2", "CD3 4", "",
                ])  # fmt: skip
            if not rows:
                continue
            code = sex if y < 2025 else {"1": "M", "2": "F"}[sex]
            mother = "1" if mc_dob and mc_dob <= hi else "0" if sex == "2" else ""
            born = dmy(mc_dob) if mother == "1" else ""
            header.append([cid, code, dmy(dob), "WBRI", "", mother, born])
            episodes.extend(rows)
            reviews.extend([cid, dmy(dob), dmy(r), "PN1"] for r in held if lo <= r <= hi)
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
    # The export of each year is the return that was imported: every row, every field.
    for year, folder in returns.items():
        out = tmp_path / f"out{year}"
        run.ok("export", "ssda903", "--year", str(year), "--out", str(out), env=today)
        for name in ("Header", "Episodes", "Reviews"):
            got = (out / f"{name.lower()}.csv").read_text().splitlines()
            given = next(folder.glob(f"*{name}.csv")).read_text().splitlines()
            assert got[0] == given[0]
            assert sorted(got[1:]) == sorted(given[1:]), (year, name)
    current = (tmp_path / f"out{max(returns)}" / "episodes.csv").read_text()
    placements = {row[5] for row in csv.reader(current.splitlines())}
    assert {"Z11", "Z12", "Z13", "Z14"} & placements and "K3" in placements
    assert all(row[1] in ("M", "F", "SEX") for row in csv.reader(
        (tmp_path / f"out{max(returns)}" / "header.csv").read_text().splitlines()
    ))  # fmt: skip
    # Checked with the DfE's rules (where the extra is installed): no rule fails more often
    # on the export than on the return imported.
    if validate.available():
        year = max(returns)
        plain = tmp_path / "plain"
        plain.mkdir()
        for name in ("header", "episodes", "reviews"):
            source = next(returns[year].glob(f"*{name.title()}.csv"))
            (plain / f"{name}.csv").write_text(source.read_text())
        given = Counter(f["rule"] for f in validate.validate(plain, year))
        got = Counter(f["rule"] for f in validate.validate(tmp_path / f"out{year}", year))
        assert {rule: n for rule, n in got.items() if n > given[rule]} == {}
        assert sum(given.values()) > 0  # the rules ran (the fictional postcodes fail some)


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
    # With --format json: the export and every failure, by rule, child and field.
    result = initialised(
        "export", "ssda903", "--year", "2026", "--out", str(tmp_path / "o2"), "--validate",
        "--format", "json", env={"REVIEWCLI_TODAY": "2026-06-01"},
    )  # fmt: skip
    assert result.exit_code == 1
    failures = json.loads(result.stdout)["failures"]
    assert failures and all(f["child"] == "A1" and f["rule"] and f["table"] for f in failures)
    assert {"rule", "child", "table", "fields", "description"} <= set(failures[0])


# --- care begun before the earliest return (hand-worked) ------------------------------------

ON = {"REVIEWCLI_TODAY": "2026-04-15"}
A1_HEADER = [["A1", "2", "01/02/2012", "WBRI", "", "0", ""]]
# Care began on 1 Nov 2024 (RNE S); a change of placement on 1 Mar 2025 (RNE P). Reviews:
# 25 Nov 2024 (first, R-SCH-1 by 29 Nov), 20 Feb 2025 (second, R-SCH-2 by 25 Feb),
# 20 May 2025 (third, R-SCH-3 by 20 Aug), 10 Nov 2025 (fourth, R-SCH-3 by 20 Nov 2025).
# The next, the fifth, is due by 10 May 2026 (R-SCH-3: six months after 10 Nov 2025).
S_EP = ["A1", "01/11/2024", "S", "C2", "N1", "U6", "PR1", "01/03/2025", "X1", "", "", "", ""]
P_EP = ["A1", "01/03/2025", "P", "C2", "N1", "U4", "PR2", "", "", "CARPL", "", "", ""]
EARLY = [["A1", "01/02/2012", "25/11/2024", "PN1"], ["A1", "01/02/2012", "20/02/2025", "PN1"]]
LATER = [["A1", "01/02/2012", "20/05/2025", "PN1"], ["A1", "01/02/2012", "10/11/2025", "PN1"]]


def _open_s(ep):
    return [*ep[:7], "", "", *ep[9:]]


@pytest.fixture
def mid_care(tmp_path):
    """The 2025-26 return alone: it lists the P episode only (the S one ended before the
    year began) and the year's two reviews."""
    return write(tmp_path / "2026", 2026, A1_HEADER, [P_EP], LATER)


def test_a_return_beginning_mid_care_is_a_continuing_period(initialised, mid_care):
    initialised.ok("import", "ssda903", str(mid_care), env=ON)
    shown = initialised.json("child", "show", "A1", env=ON)
    assert shown["history_incomplete"]
    assert shown["next_review"]["due"] == "2026-05-10"
    assert shown["next_review"]["rule"] == "R-SCH-3"
    assert "history is incomplete" in shown["next_review"]["detail"]
    # The first review found is not judged against R-SCH-1 (no deadline), the second is
    # six months after it (R-SCH-3: 20 Nov 2025).
    assert query(
        initialised.db, "SELECT number, deadline, rule, late_reason FROM reviews ORDER BY 1"
    ) == [(1, None, None, None), (2, "2025-11-20", "R-SCH-3", None)]
    # `check` finds no problem, and says the history is incomplete in plain words.
    result = initialised("check", env=ON)
    assert result.exit_code == 0
    assert "Note: 1 children in care began before the earliest SSDA903 return held (A1)" in (
        " ".join(result.stderr.split())
    )
    # No late first review in the month it was held.
    report = initialised.json("report", "monthly", "--month", "2025-05", env=ON)
    assert report["first_reviews_late"] == 0 and report["held_out_of_time"] == 0
    assert report["reviews_history_incomplete"] == 1


def test_recording_the_history_gives_the_full_historys_deadline(initialised, mid_care, tmp_path):
    full = initialised.db.parent / "full.db"
    early = write(tmp_path / "2025", 2025, A1_HEADER, [S_EP, P_EP], EARLY)
    initialised.ok("--db", str(full), "init")
    initialised.ok("--db", str(full), "import", "ssda903", str(early), str(mid_care), env=ON)
    expected = initialised.json("--db", str(full), "child", "show", "A1", env=ON)["next_review"]
    assert (expected["number"], expected["due"], expected["rule"]) == (5, "2026-05-10", "R-SCH-3")

    initialised.ok("import", "ssda903", str(mid_care), env=ON)
    line = initialised.line(
        "child", "history", "A1", "--started", "2024-11-01", "--earlier-reviews", "2", env=ON
    )
    assert line == (
        "Child A1: in care since 2024-11-01, 2 reviews before 2025-03-01; next review due by "
        "2026-05-10 (R-SCH-3)."
    )
    shown = initialised.json("child", "show", "A1", env=ON)
    assert not shown["history_incomplete"]
    got = shown["next_review"]
    assert (got["number"], got["due"], got["rule"]) == (5, "2026-05-10", "R-SCH-3")
    # The reviews found are numbered after the earlier ones; the first of them has no
    # deadline the records can tell (the date of the review before is not held).
    assert query(initialised.db, "SELECT number, deadline, rule FROM reviews ORDER BY 1") == [
        (3, None, None),
        (4, "2025-11-20", "R-SCH-3"),
    ]
    assert initialised("check", env=ON).exit_code == 0


def test_history_is_refused_when_it_cannot_be(initialised, mid_care):
    initialised.ok("import", "ssda903", str(mid_care), env=ON)
    message = initialised.refused(
        "child", "history", "A1", "--started", "2025-04-01", "--earlier-reviews", "1", env=ON
    )
    assert "after the earliest episode held (2025-03-01)" in message
    message = initialised.refused(
        "child", "history", "A1", "--started", "2024-11-01", "--earlier-reviews", "-1", env=ON
    )
    assert "whole number" in message


def test_the_children_csv_records_history_and_updates_with_a_dry_run(
    initialised, mid_care, tmp_path
):
    initialised.ok("import", "ssda903", str(mid_care), env=ON)
    path = tmp_path / "children.csv"
    path.write_text(
        "child_id,first_name,last_name,dob,team,care_started,earlier_reviews\n"
        "A1,Amy,Ash,01/02/2012,North,01/11/2024,2\n"
    )
    # Without --update an existing child is refused, with the hint.
    result = initialised("import", "children", str(path), env=ON)
    assert result.exit_code == 1 and "give --update" in result.stderr
    before = query(initialised.db, "SELECT * FROM children")
    result = initialised("import", "children", str(path), "--update", "--dry-run", env=ON)
    assert result.exit_code == 0
    assert "first_name" in result.stdout and "Amy" in result.stdout
    assert query(initialised.db, "SELECT * FROM children") == before
    got = initialised.json("import", "children", str(path), "--update", env=ON)
    assert (got["children_updated"], got["histories_recorded"]) == (1, 1)
    shown = initialised.json("child", "show", "A1", env=ON)
    assert (shown["first_name"], shown["team"]) == ("Amy", "North")
    assert shown["next_review"]["number"] == 5 and not shown["history_incomplete"]


# --- corrections by later returns ------------------------------------------------------------


def _together_and_one_by_one(cli, tmp_path, returns):
    """The episodes, periods and reviews after loading the returns together, and one by
    one in the order they were made."""
    together = cli.db
    cli.ok("import", "ssda903", *[str(r) for r in returns], env=ON)
    alone = tmp_path / "alone.db"
    cli.ok("--db", str(alone), "init")
    for r in returns:
        cli.ok("--db", str(alone), "import", "ssda903", str(r), env=ON)
    sql = [
        "SELECT child_id, start_date, end_date, rne, placement, reason_ceased FROM episodes "
        "ORDER BY child_id, start_date",
        "SELECT child_id, start_date, end_date FROM periods ORDER BY child_id, start_date",
        "SELECT child_id, recording_date, number, deadline, rule FROM reviews ORDER BY 1, 2",
    ]
    a, b = ([query(db, q) for q in sql] for db in (together, alone))
    assert a == b
    for db in (together, alone):
        assert cli("--db", str(db), "check", env=ON).exit_code == 0
    return a


def test_a_corrected_start_date_replaces_the_old_one(initialised, tmp_path):
    old = write(tmp_path / "2025", 2025, A1_HEADER, [_open_s(S_EP)], EARLY)
    fixed = [*S_EP]
    fixed[1] = "04/11/2024"  # the start of care, corrected
    new = write(tmp_path / "2026", 2026, A1_HEADER, [fixed, P_EP], LATER)
    episodes, periods, _ = _together_and_one_by_one(initialised, tmp_path, [old, new])
    assert [e[1:4] for e in episodes] == [
        ("2024-11-04", "2025-03-01", "S"),
        ("2025-03-01", None, "P"),
    ]
    assert periods == [("A1", "2024-11-04", None)]


def test_a_corrected_placement_and_a_dropped_episode(initialised, tmp_path):
    wrong = [*P_EP]
    wrong[5] = "K2"
    extra = ["A1", "01/01/2025", "P", "C2", "N1", "U3", "PR1", "01/03/2025", "X1", "", "", "", ""]
    first = [*S_EP]
    first[7] = "01/01/2025"
    old = write(tmp_path / "2025", 2025, A1_HEADER, [first, extra, wrong], EARLY)
    new = write(tmp_path / "2026", 2026, A1_HEADER, [S_EP, P_EP], LATER)
    episodes, _, _ = _together_and_one_by_one(initialised, tmp_path, [old, new])
    assert [(e[1], e[4]) for e in episodes] == [("2024-11-01", "U6"), ("2025-03-01", "U4")]


def test_dry_run_shows_the_plan_and_the_rejects_together(initialised, tmp_path):
    z1 = ["B2", "01/05/2025", "S", "C2", "", "Z1", "", "", "", "", "", "", ""]
    folder = write(
        tmp_path / "2026", 2026, [*A1_HEADER, ["B2", "1", "01/01/2013", "", "", "", ""]],
        [P_EP, z1], LATER,
    )  # fmt: skip
    wide = {**ON, "COLUMNS": "300"}
    result = initialised("import", "ssda903", str(folder), "--dry-run", env=wide)
    assert result.exit_code == 1
    assert "Would import, without the rejected rows: 1 new children" in result.stderr
    assert "placement code Z1 is not valid for an episode from 2025-05-01" in result.stderr
    assert "Z11, Z12, Z13, Z14" in result.stderr


def test_two_files_for_one_table_is_an_error(initialised, mid_care):
    (mid_care / "episodes.csv").write_text((mid_care / "SSDA903_2026_Episodes.csv").read_text())
    message = initialised.refused("import", "ssda903", str(mid_care), env=ON)
    assert "holds 2 files for episodes.csv" in message


def test_a_current_return_with_the_current_codes_imports(initialised, tmp_path):
    header = [["C1", "M", "01/02/2010", "", "", "", ""], ["C2", "U", "01/02/2011", "", "", "", ""]]
    eps = [
        ["C1", "01/05/2025", "S", "V2", "", "K3", "", "", "", "", "", "", ""],
        ["C2", "01/06/2025", "S", "C2", "", "Z12", "", "", "", "", "", "", ""],
    ]
    folder = write(tmp_path / "2026", 2026, header, eps, [])
    initialised.ok("import", "ssda903", str(folder), env=ON)
    assert query(initialised.db, "SELECT id, gender FROM children ORDER BY id") == [
        ("C1", "M"),
        ("C2", "U"),
    ]
    h5 = ["C9", "01/05/2023", "S", "V2", "", "H5", "", "", "", "", "", "", ""]
    old = write(tmp_path / "2024", 2024, [["C9", "1", "01/02/2010", "", "", "", ""]], [h5], [])
    initialised.ok("import", "ssda903", str(old), env=ON)
    assert query(initialised.db, "SELECT gender FROM children WHERE id = 'C9'") == [("M",)]


def test_child_edit_changes_the_fields_and_is_audited(initialised, mid_care):
    initialised.ok("import", "ssda903", str(mid_care), env=ON)
    line = initialised.line(
        "child", "edit", "A1", "--first-name", "Amy", "--last-name", "Ash",
        "--social-worker", "Pat Kay", "--upn", "A123456789012", "--mother", "1",
        "--mc-dob", "2025-01-05", env=ON,
    )  # fmt: skip
    assert line.startswith("Child A1: first_name Amy, last_name Ash")
    shown = initialised.json("child", "show", "A1", env=ON)
    assert shown["ssda903"] == {
        "ethnic": "WBRI", "upn": "A123456789012", "mother": "1", "mc_dob": "2025-01-05",
    }  # fmt: skip
    assert query(
        initialised.db,
        "SELECT COUNT(*) FROM audit WHERE table_name = 'children' AND action = 'update'",
    ) == [(1,)]
    assert "must be 1, 0" in initialised.refused("child", "edit", "A1", "--mother", "2", env=ON)
    assert "formula" in initialised.refused(
        "child", "add", "=HYPERLINK", "--first-name", "A", "--last-name", "B", "--dob",
        "2012-01-01", env=ON,
    )  # fmt: skip


def test_the_reason_for_a_placement_change_travels_as_the_return_has_it(initialised, tmp_path):
    """The return gives the reason on the episode that ended with the change (rule 233);
    the records hold it on the episode the change began (R-SCH-9 reads it there)."""
    s_ep = ["A1", "01/11/2024", "S", "C2", "", "U6", "", "01/03/2025", "X1", "CHILD", "", "", ""]
    p_open = ["A1", "01/03/2025", "P", "C2", "", "K2", "", "", "", "", "", "", ""]
    p_ended = [*p_open[:7], "01/09/2025", "X1", "CARPL", "", "", ""]
    u4 = ["A1", "01/09/2025", "P", "C2", "", "U4", "", "", "", "", "", "", ""]
    old = write(tmp_path / "2025", 2025, A1_HEADER, [s_ep, p_open], [])
    new = write(tmp_path / "2026", 2026, A1_HEADER, [p_ended, u4], [])
    initialised.ok("import", "ssda903", str(old), env=ON)
    initialised.ok("import", "ssda903", str(new), env=ON)
    sql = "SELECT start_date, reason_place_change FROM episodes ORDER BY start_date"
    # The 2025-26 return does not hold the reason for the change into K2: the one held stays.
    assert query(initialised.db, sql) == [
        ("2024-11-01", None),
        ("2025-03-01", "CHILD"),
        ("2025-09-01", "CARPL"),
    ]
    for year, rows in ((2025, [s_ep, p_open]), (2026, [p_ended, u4])):
        out = tmp_path / f"out{year}"
        initialised.ok("export", "ssda903", "--year", str(year), "--out", str(out), env=ON)
        got = list(csv.reader((out / "episodes.csv").read_text().splitlines()))[1:]
        assert got == rows


def test_a_reason_on_an_episode_still_open_is_given_back_as_it_came(initialised, tmp_path):
    """Some extracts put the reason on the episode still open (rule 233 says not to): it
    is kept as it came and given back on that row while the episode is open."""
    s_ep = ["A1", "01/11/2024", "S", "C2", "", "U6", "", "01/03/2025", "X1", "", "", "", ""]
    p_own = ["A1", "01/03/2025", "P", "C2", "", "K2", "", "", "", "CHILD", "", "", ""]
    folder = write(tmp_path / "2025", 2025, A1_HEADER, [s_ep, p_own], [])
    initialised.ok("import", "ssda903", str(folder), env=ON)
    out = tmp_path / "out"
    initialised.ok("export", "ssda903", "--year", "2025", "--out", str(out), env=ON)
    got = list(csv.reader((out / "episodes.csv").read_text().splitlines()))[1:]
    assert got == [s_ep, p_own]


def test_a_corrected_review_date_replaces_the_old_one(initialised, tmp_path):
    """The 2024-25 return sent again with a review's date corrected (20 Feb 2025 was in
    fact 21 Feb): one review, on the corrected day, loaded together or one by one."""
    eps = [S_EP, P_EP]
    old = write(tmp_path / "2025", 2025, A1_HEADER, eps, EARLY)
    fixed = [EARLY[0], ["A1", "01/02/2012", "21/02/2025", "PN2"]]
    new = write(tmp_path / "2025b", 2025, A1_HEADER, eps, fixed)
    *_, reviews = _together_and_one_by_one(initialised, tmp_path, [old, new])
    assert [(r[1], r[2]) for r in reviews] == [("2024-11-25", 1), ("2025-02-21", 2)]
    assert query(initialised.db, "SELECT participation FROM reviews ORDER BY 1") == [
        ("PN1",),
        ("PN2",),
    ]
    # Importing the corrected return again changes nothing.
    got = initialised.json("import", "ssda903", str(new), env=ON)
    assert got["unchanged_children"] == 1 and got["reviews_replaced"] == 0


def test_allocate_from_a_csv_is_all_or_nothing_with_every_reject(world, tmp_path):
    """C001 (in care from 22 May 2026) and an unknown child, an unknown IRO and a date
    before care: every reject listed, nothing allocated; then the clean file, with a date
    in the return's form, allocates."""
    world.ok("iro", "add", "Ann Other", "--id", "IRO2")
    bad = tmp_path / "bad.csv"
    bad.write_text("child_id,iro_id,date\nC001,IRO2,2026-05-20\nZZ9,IRO2,\nC001,NOPE,\n")
    rejects = tmp_path / "rejects.csv"
    before = query(world.db, "SELECT * FROM allocations")
    result = world("allocate", "--from", str(bad), "--rejects", str(rejects))
    assert result.exit_code == 1
    assert "Error: 3 rows cannot be taken; nothing was changed." in result.stderr
    rows = list(csv.reader(rejects.read_text().splitlines()))[1:]
    assert [(r[1], r[2]) for r in rows] == [("2", "C001"), ("3", "ZZ9"), ("4", "C001")]
    assert "before the period of care began" in rows[0][3]
    assert query(world.db, "SELECT * FROM allocations") == before
    good = tmp_path / "good.csv"
    good.write_text("C001,IRO2,01/06/2026\n")
    assert world("allocate", "--from", str(good), "--dry-run").exit_code == 0
    assert query(world.db, "SELECT * FROM allocations") == before
    world.ok("allocate", "--from", str(good))
    assert query(world.db, "SELECT iro_id, start_date FROM allocations WHERE end_date IS NULL") == [
        ("IRO2", "2026-06-01")
    ]


def test_a_mother_is_returned_as_one_only_from_the_year_her_child_was_born(initialised, tmp_path):
    eps = [S_EP, P_EP]
    old = write(tmp_path / "2025", 2025, [["A1", "2", "01/02/2009", "", "", "0", ""]], eps, [])
    new = write(
        tmp_path / "2026", 2026, [["A1", "F", "01/02/2009", "", "", "1", "05/05/2025"]], [P_EP], []
    )
    initialised.ok("import", "ssda903", str(old), str(new), env=ON)
    for year, mother in ((2025, ["0", ""]), (2026, ["1", "05/05/2025"])):
        out = tmp_path / f"out{year}"
        initialised.ok("export", "ssda903", "--year", str(year), "--out", str(out), env=ON)
        [row] = list(csv.reader((out / "header.csv").read_text().splitlines()))[1:]
        assert row[5:] == mother


def test_episode_edit_changes_the_returns_fields(initialised, mid_care, tmp_path):
    initialised.ok("import", "ssda903", str(mid_care), env=ON)
    line = initialised.line(
        "episode", "edit", "A1", "--date", "2025-03-01", "--urn", "SC654321", "--cin", "",
        env=ON,
    )  # fmt: skip
    assert line == "Child A1, episode from 2025-03-01: cin (none), urn SC654321."
    [episode] = initialised.json("child", "show", "A1", env=ON)["episodes"]
    assert (episode["urn"], episode["cin"], episode["place_provider"]) == (
        "SC654321",
        None,
        "PR2",
    )
    out = tmp_path / "out"
    initialised.ok("export", "ssda903", "--year", "2026", "--out", str(out), env=ON)
    [row] = list(csv.reader((out / "episodes.csv").read_text().splitlines()))[1:]
    assert (row[4], row[12]) == ("", "SC654321")
    message = initialised.refused("episode", "edit", "A1", "--date", "2025-03-02", "--urn", "X")
    assert "no episode beginning on 2025-03-02 (episodes: 2025-03-01)" in message


def test_a_return_too_large_for_memory_is_refused_with_its_size(initialised, mid_care, monkeypatch):
    from reviewcli import ssda903

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(ssda903, "_parse", exhausted)
    message = initialised.refused("import", "ssda903", str(mid_care), env=ON)
    assert "MB) are too large for this computer's memory" in message


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_the_reader_streams_lines_whole_across_its_chunks(chunk):
    """Lines (LF, CR LF, CR), quoted line breaks and multi-byte characters come out the
    same however the file is cut into chunks."""
    import io as _io

    from reviewcli.ssda903 import _lines

    text = 'CHILD,NAME\r\nA1,"Zoë\r\nÅsa"\nB2,é€𝄞\rC3,x\r\n\r\nD4,"a,b"\n'
    raw = b"\xef\xbb\xbf" + text.encode()
    got = list(_lines(_io.BytesIO(raw), "t.csv", chunk=chunk))
    assert got == list(_io.StringIO(text, newline=""))
    assert list(csv.reader(got)) == list(csv.reader(_io.StringIO(text, newline="")))


def test_a_bad_byte_is_reported_with_where_it_is(initialised, mid_care):
    path = next(mid_care.glob("*Episodes.csv"))
    path.write_bytes(path.read_bytes() + b"A1,\xff\n")
    message = initialised.refused("import", "ssda903", str(mid_care), env=ON)
    assert message.startswith("Error: SSDA903_2026_Episodes.csv is not UTF-8 text (byte ")


# --- the schedule of a continuing period (hand-worked) ---------------------------------------


def _continuing(start, earlier, *held):
    from reviewcli import rules

    return rules.Period(
        start=date.fromisoformat(start),
        episodes=(rules.Episode(date(2025, 3, 1), "C2", "U4", "P"),),
        reviews=tuple(rules.HeldReview(date.fromisoformat(h)) for h in held),
        earlier_reviews=earlier,
    )


@pytest.mark.parametrize(
    ("start", "earlier", "held", "number", "due", "rule"),
    [
        # History unknown, nothing held: six months from the earliest record (1 Mar 2025).
        ("2025-03-01", None, (), 1, "2025-09-01", "R-SCH-3"),
        # History unknown: the first review found counts as a later one (R-SCH-3 from it).
        ("2025-03-01", None, ("2025-05-20",), 2, "2025-11-20", "R-SCH-3"),
        # Recorded: care began 1 Nov 2024, no review before: R-SCH-1, 20 working days from
        # Fri 1 Nov 2024 is Fri 29 Nov 2024 (no bank holiday in November).
        ("2024-11-01", 0, (), 1, "2024-11-29", "R-SCH-1"),
        # One review before, its date not held, none since: R-SCH-2, three months from the
        # earliest record (1 Mar 2025 + 3 months = Sun 1 Jun 2025: month arithmetic).
        ("2024-11-01", 1, (), 2, "2025-06-01", "R-SCH-2"),
        # One before and one found on 20 May 2025: R-SCH-3 from it, the third review.
        ("2024-11-01", 1, ("2025-05-20",), 3, "2025-11-20", "R-SCH-3"),
        # Two before (the second review was held): later reviews, six-monthly.
        ("2024-11-01", 2, ("2025-05-20", "2025-11-10"), 5, "2026-05-10", "R-SCH-3"),
    ],
)
def test_the_next_review_of_a_continuing_period(start, earlier, held, number, due, rule):
    from reviewcli import rules
    from reviewcli.calendar import WorkingCalendar

    nxt = rules.next_review(_continuing(start, earlier, *held), WorkingCalendar())
    assert (nxt.number, nxt.due.isoformat(), nxt.rule) == (number, due, rule)
    assert ("history is incomplete" in nxt.detail) == (earlier is None)


def test_update_takes_the_same_file_again_and_refuses_a_different_care(world, tmp_path):
    """C001 Amy Ash, in care from 22 May 2026 with IRO1 (conftest's world)."""
    path = tmp_path / "children.csv"
    path.write_text(
        "child_id,first_name,last_name,dob,start_date,iro,social_worker\n"
        "C001,Amy,Ash,2015-03-02,2026-05-22,IRO1,Pat Kay\n"
    )
    got = world.json("import", "children", str(path), "--update")
    assert got["changes"] == [
        {"child": "C001", "field": "social_worker", "before": None, "after": "Pat Kay"}
    ]
    path.write_text("child_id,start_date,iro\nC001,2026-05-23,IRO2\n")
    rejects = tmp_path / "rejects.csv"
    result = world("import", "children", str(path), "--update", "--rejects", str(rejects))
    assert result.exit_code == 1
    [row] = list(csv.reader(rejects.read_text().splitlines()))[1:]
    assert "no period of care from 2026-05-23" in row[3]
