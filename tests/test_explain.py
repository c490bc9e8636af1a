"""explain: the working behind each deadline, and what-ifs that write nothing.

Dates worked out by hand. England's bank holidays used here: 2026: 25 May, 31 Aug, 25 Dec,
28 Dec (Boxing Day observed); 2027: 1 Jan, 26 Mar (Good Friday), 29 Mar (Easter Monday).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import snapshot_db


def explain(run, *args, today=None):
    return run.json("explain", *args, today=today)


def deadline(data, kind="review"):
    found = [x for x in data["deadlines"] if x["kind"] == kind]
    assert len(found) == 1, [x["kind"] for x in data["deadlines"]]
    return found[0]


@pytest.fixture
def easter(run):
    """C001, looked after from Fri 12 Mar 2027: the first review's 20 working days cross
    Easter. Counting from Mon 15 Mar: 15–19 Mar (1–5), 22–25 Mar (6–9; Fri 26 Mar is Good
    Friday), 30 Mar–2 Apr (10–13; Mon 29 Mar is Easter Monday), 5–9 Apr (14–18),
    Mon 12 Apr (19), Tue 13 Apr (20)."""
    today = "2027-03-15"
    run.ok("init")
    run.ok("iro", "add", "Ivy Iro", "--id", "IRO1", today=today)
    run.ok(
        "child", "add", "C001", "--first-name", "Amy", "--last-name", "Ash",
        "--dob", "2015-03-02", today=today,
    )  # fmt: skip
    run.ok("episode", "start", "C001", "--date", "2027-03-12", "--legal-status", "C2",
           "--placement", "U3", today=today)  # fmt: skip
    return run


def test_first_review_across_easter_names_good_friday_and_easter_monday(easter):
    import holidays

    england = holidays.country_holidays("GB", subdiv="ENG", years=[2027])
    assert england[date(2027, 3, 26)] == "Good Friday"
    assert england[date(2027, 3, 29)] == "Easter Monday"

    data = explain(easter, "C001", today="2027-03-15")
    assert data["child_id"] == "C001" and data["on"] == "2027-03-15"
    review = deadline(data)
    assert review["due"] == "2027-04-13"
    assert review["rule"] == "R-SCH-1"
    assert review["anchor"] == {"date": "2027-03-12", "fact": "became looked after"}
    weekends = [
        "2027-03-13", "2027-03-14", "2027-03-20", "2027-03-21", "2027-03-27", "2027-03-28",
        "2027-04-03", "2027-04-04", "2027-04-10", "2027-04-11",
    ]  # fmt: skip
    expected = [{"date": day, "why": "weekend"} for day in weekends]
    expected += [
        {"date": "2027-03-26", "why": "bank holiday: Good Friday"},
        {"date": "2027-03-29", "why": "bank holiday: Easter Monday"},
    ]
    assert review["skipped"] == sorted(expected, key=lambda s: s["date"])
    work = review["arithmetic"]
    assert work["method"] == "working days after" and work["count"] == 20
    assert work["from"] == "2027-03-12" and work["result"] == "2027-04-13"
    assert len(work["counted"]) == 20
    assert work["counted"][0] == "2027-03-15" and work["counted"][-1] == "2027-04-13"
    assert review["candidates"] == [
        {
            **review["candidates"][0],
            "rule": "R-SCH-1",
            "due": "2027-04-13",
            "outcome": "won",
        }
    ]
    assert review["candidates"][0]["why"] == "the only rule that applies"
    # The IRO's allocation: 5 working days after Fri 12 Mar = Fri 19 Mar (R-IRO-2).
    alloc = deadline(data, "allocation")
    assert (alloc["due"], alloc["rule"]) == ("2027-03-19", "R-IRO-2")
    assert alloc["skipped"] == [
        {"date": "2027-03-13", "why": "weekend"},
        {"date": "2027-03-14", "why": "weekend"},
    ]
    assert data["policy"]["month-mode"] == {"value": "months", "default": True, "rule": "R-CAL-4"}


def test_text_reads_at_80_columns_and_names_the_holidays(easter):
    for columns in ("80", "200"):
        result = easter.ok("explain", "C001", today="2027-03-15", env={"COLUMNS": columns})
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, result.stdout
        text = " ".join(line.strip() for line in lines)
        assert "First review: due Tue 13 Apr 2027 (R-SCH-1)" in text
        assert "Fri 26 Mar (Good Friday)" in text
        assert "Mon 29 Mar (Easter Monday)" in text
        assert "became looked after, Fri 12 Mar 2027" in text
        assert "day 20 is Tue 13 Apr 2027" in text
        assert "Policy in force: month-mode months" in text


def test_a_closure_day_is_named(easter):
    easter.ok("policy", "set", "closure-days", "2027-04-01", today="2027-03-15")
    review = deadline(explain(easter, "C001", today="2027-03-15"))
    # Thu 1 Apr is closed: the 20th working day moves from Tue 13 to Wed 14 Apr.
    assert review["due"] == "2027-04-14"
    assert {"date": "2027-04-01", "why": "closure day"} in review["skipped"]


@pytest.fixture
def second(run):
    """C002, in care from Mon 2 Nov 2026; first review held Mon 30 Nov 2026 (on time,
    R-SCH-1: the 20th working day after 2 Nov). The second is due 3 months later: there is
    no 30 February, so Sun 28 Feb 2027 (R-SCH-2, end-of-month clamping)."""
    today = "2026-12-01"
    run.ok("init")
    run.ok("iro", "add", "Ivy Iro", "--id", "IRO1", today=today)
    run.ok(
        "child", "add", "C002", "--first-name", "Ben", "--last-name", "Birch",
        "--dob", "2018-05-05", today=today,
    )  # fmt: skip
    run.ok("episode", "start", "C002", "--date", "2026-11-02", "--legal-status", "C2",
           "--placement", "U3", today=today)  # fmt: skip
    run.ok("allocate", "C002", "IRO1", "--date", "2026-11-02", today=today)
    run.ok("review", "schedule", "C002", "--date", "2026-11-30", today=today)
    run.ok("review", "hold", "1", "--participation", "PN1", today=today)
    return run


def test_second_review_clamped_to_the_end_of_february(second):
    data = explain(second, "C002", today="2026-12-01")
    review = deadline(data)
    assert (review["due"], review["rule"], review["number"]) == ("2027-02-28", "R-SCH-2", 2)
    assert review["anchor"] == {"date": "2026-11-30", "fact": "first review recorded"}
    assert review["skipped"] == []
    assert review["arithmetic"]["method"] == "months"
    assert review["arithmetic"]["clamped"] is True
    assert "end-of-month clamping" in review["arithmetic"]["text"]
    won, *others = review["candidates"]
    assert (won["rule"], won["outcome"]) == ("R-SCH-2", "won")
    # The first review's rule was met by the review of 30 November.
    assert [(c["rule"], c["outcome"], c["due"]) for c in others] == [
        ("R-SCH-1", "satisfied", "2026-11-30")
    ]
    assert "met by the first review, recorded on Mon 30 Nov 2026 (on time)" in others[0]["why"]
    text = second.ok("explain", "C002", today="2026-12-01").stdout
    assert "February has no 30th" in " ".join(text.split())


def test_direction_adoption_placement_and_the_ordinary_schedule(second):
    """Placed for adoption on Tue 1 Dec 2026: a review within 4 weeks, Tue 29 Dec (R-SCH-7).
    The IRO directs one by 15 Jan 2027 (R-SCH-4); the ordinary second review is due
    28 Feb 2027 (R-SCH-2). The earliest wins."""
    today = "2026-12-01"
    second.ok("episode", "change", "C002", "--date", today, "--placement", "A3",
              "--legal-status", "E1", today=today)  # fmt: skip
    second.ok("review", "direct", "C002", "--by", "2027-01-15", "--reason", "court hearing",
              today=today)  # fmt: skip
    review = deadline(explain(second, "C002", today=today))
    got = {c["rule"]: c for c in review["candidates"]}
    assert (review["due"], review["rule"]) == ("2026-12-29", "R-SCH-7")
    assert got["R-SCH-7"]["outcome"] == "won"
    assert got["R-SCH-7"]["anchor"] == {
        "date": "2026-12-01",
        "fact": "placed for adoption (placement A3)",
    }
    assert got["R-SCH-7"]["arithmetic"]["text"].endswith("= Tue 29 Dec 2026")
    assert (got["R-SCH-4"]["outcome"], got["R-SCH-4"]["due"]) == ("later", "2027-01-15")
    assert got["R-SCH-4"]["anchor"] == {
        "date": "2026-12-01",
        "fact": "IRO direction made: court hearing",
    }
    assert (got["R-SCH-2"]["outcome"], got["R-SCH-2"]["due"]) == ("later", "2027-02-28")
    assert "after Tue 29 Dec 2026" in got["R-SCH-2"]["why"]
    assert got["R-SCH-1"]["outcome"] == "satisfied"

    # A second direction, earlier than the placement's review, wins in its turn.
    second.ok("review", "direct", "C002", "--by", "2026-12-15", "--reason", "safeguarding",
              today=today)  # fmt: skip
    review = deadline(explain(second, "C002", today=today))
    outcomes = [(c["rule"], c["due"], c["outcome"]) for c in review["candidates"]]
    assert outcomes[0] == ("R-SCH-4", "2026-12-15", "won")
    assert ("R-SCH-7", "2026-12-29", "later") in outcomes
    assert ("R-SCH-4", "2027-01-15", "later") in outcomes
    assert ("R-SCH-2", "2027-02-28", "later") in outcomes


def test_a_rule_the_policy_turns_off_is_not_applicable(second):
    """Secure accommodation (K1) on Tue 1 Dec 2026 triggers the local placement rule
    (R-SCH-9), which is off by default: with it on, the review would be due 20 working
    days later: 2–4 Dec (1–3), 7–11 (4–8), 14–18 (9–13), 21–24 (14–17), then
    25 and 28 Dec are bank holidays, so 29 (18), 30 (19), Thu 31 Dec 2026 (20)."""
    today = "2026-12-01"
    second.ok("episode", "change", "C002", "--date", today, "--placement", "K1", today=today)
    review = deadline(explain(second, "C002", today=today))
    local = [c for c in review["candidates"] if c["rule"] == "R-SCH-9"]
    assert len(local) == 1 and local[0]["outcome"] == "not applicable"
    assert local[0]["due"] == "2026-12-31"
    assert "policy local-placement-rule" in local[0]["why"]
    second.ok("policy", "set", "local-placement-rule", "on", today=today)
    review = deadline(explain(second, "C002", today=today))
    assert (review["rule"], review["due"]) == ("R-SCH-9", "2026-12-31")
    assert {"date": "2026-12-25", "why": "bank holiday: Christmas Day"} in review["skipped"]


def test_steps_are_explained_from_the_booked_date(second):
    """Booked for Wed 20 Jan 2027: invitations 10 working days before, Wed 6 Jan 2027
    (R-PRE-2: back over 19–18, 15–11, 8–6 Jan, skipping two weekends)."""
    second.ok("review", "schedule", "C002", "--date", "2027-01-20", today="2026-12-01")
    data = explain(second, "C002", today="2026-12-01")
    inv = deadline(data, "invitations")
    assert (inv["due"], inv["rule"], inv["review_id"]) == ("2027-01-06", "R-PRE-2", 2)
    assert inv["anchor"]["date"] == "2027-01-20"
    assert inv["arithmetic"]["method"] == "working days before"
    assert [s["date"] for s in inv["skipped"]] == [
        "2027-01-09", "2027-01-10", "2027-01-16", "2027-01-17",
    ]  # fmt: skip
    # Every date explained equals the date the work list holds.
    due = {(x["kind"], x["due"]) for x in second.json("due", "--within", "400", today="2026-12-01")}
    for item in data["deadlines"]:
        if item["kind"] in ("invitations", "reports", "consultation", "review", "distribution"):
            assert (item["kind"], item["due"]) in due


# --- what if: the real command's answer, nothing written -------------------------------------


def _dates(data):
    return [(x["id"], x["due"], x["rule"]) for x in data["deadlines"]]


def _what_if_then_real(run, what_if: list[str], real: list[list[str]], today: str, on: str):
    before = snapshot_db(run.db)
    hypothetical = run.json("explain", "C002", "--on", on, *what_if, today=today)
    assert snapshot_db(run.db) == before, "a what-if wrote to the database"
    assert hypothetical["if"]["allowed"] is True
    for args, when in real:
        run.ok(*args, today=when)
    actual = run.json("explain", "C002", "--on", on, today=today)
    assert _dates(hypothetical) == _dates(actual)
    return hypothetical


def test_what_if_booked_equals_booking(second):
    got = _what_if_then_real(
        second,
        ["--if-booked", "2027-02-10"],
        [(["review", "schedule", "C002", "--date", "2027-02-10"], "2026-12-01")],
        "2026-12-01",
        "2026-12-01",
    )
    moved = {c["id"]: c for c in got["changes"]}
    assert moved["invitations:2"] == {
        "kind": "invitations",
        "id": "invitations:2",
        "label": "invitations and consultation documents sent (second review)",
        "before": None,
        "after": "2027-01-27",
        "rule_before": None,
        "rule_after": "R-PRE-2",
    }
    assert got["if"]["commands"] == ["review schedule C002 --date 2027-02-10"]


def test_what_if_held_equals_holding(second):
    second.ok("review", "schedule", "C002", "--date", "2027-02-10", today="2026-12-01")
    got = _what_if_then_real(
        second,
        ["--if-held", "2027-02-10"],
        [(["review", "hold", "2", "--date", "2027-02-10"], "2027-02-10")],
        "2026-12-01",
        "2026-12-01",
    )
    moved = {c["id"]: (c["before"], c["after"], c["rule_after"]) for c in got["changes"]}
    # Third review 6 months after Wed 10 Feb 2027 (R-SCH-3); decisions 5 working days on.
    assert moved["review"] == ("2027-02-28", "2027-08-10", "R-SCH-3")
    assert moved["decisions:2"] == (None, "2027-02-17", "R-POST-2")
    assert moved["invitations:2"][1] is None  # no longer open once held


def test_what_if_adjourned_equals_adjourning(second):
    second.ok("review", "schedule", "C002", "--date", "2027-02-10", today="2026-12-01")
    # 20 working days after Wed 10 Feb 2027 is Wed 10 Mar 2027 (R-SCH-14).
    got = _what_if_then_real(
        second,
        ["--if-adjourned-to", "2027-03-01"],
        [(["review", "adjourn", "2", "--to", "2027-03-01", "--reason", "papers"], "2027-02-10")],
        "2027-02-10",
        "2027-02-10",
    )
    review = deadline(got)
    assert (review["due"], review["rule"]) == ("2027-03-10", "R-SCH-14")
    assert any(c["outcome"] == "satisfied" and c["rule"] == "R-SCH-2" for c in review["candidates"])


def test_what_if_placement_change_equals_the_change(second):
    # Placed for adoption on Mon 14 Dec 2026: a review within 4 weeks, Mon 11 Jan 2027.
    got = _what_if_then_real(
        second,
        ["--if-placement-change", "2026-12-14", "--placement", "A3", "--legal-status", "E1"],
        [
            (
                [
                    "episode",
                    "change",
                    "C002",
                    "--date",
                    "2026-12-14",
                    "--placement",
                    "A3",
                    "--legal-status",
                    "E1",
                ],  # fmt: skip
                "2026-12-14",
            )
        ],
        "2026-12-01",
        "2026-12-01",
    )
    assert got["changes"][0]["id"] == "review"
    assert (got["changes"][0]["before"], got["changes"][0]["after"]) == (
        "2027-02-28",
        "2027-01-11",
    )


def test_what_if_care_ends_equals_ending_care(second):
    got = _what_if_then_real(
        second,
        ["--if-care-ends", "2026-12-20"],
        [(["episode", "end", "C002", "--date", "2026-12-20"], "2026-12-20")],
        "2026-12-01",
        "2026-12-01",
    )
    assert got["looked_after"] is False
    assert {"kind": "review", "before": "2027-02-28", "after": None}.items() <= next(
        c for c in got["changes"] if c["id"] == "review"
    ).items()


def test_a_refused_what_if_is_explained_not_an_error(second):
    """Moving the booked second review past its deadline needs a reason (R-SCH-13): the
    what-if says so (exit 0) with the command's own message, and what would follow with one."""
    second.ok("review", "schedule", "C002", "--date", "2027-02-10", today="2026-12-01")
    before = snapshot_db(second.db)
    got = second.json("explain", "C002", "--if-booked", "2027-03-05", today="2026-12-01")
    assert snapshot_db(second.db) == before
    info = got["if"]
    assert info["allowed"] is False
    assert info["refusal"]["rule"] == "R-SCH-13"
    real = second.refused("review", "reschedule", "2", "--date", "2027-03-05", today="2026-12-01")
    assert real == f"Error: {info['refusal']['message']}"
    assert "after the deadline of 2027-02-28" in info["refusal"]["message"]
    assert info["with_reason"]["commands"] == ["review reschedule 2 --date 2027-03-05 --reason …"]
    text = second.ok("explain", "C002", "--if-booked", "2027-03-05", today="2026-12-01").stdout
    flat = " ".join(text.split())
    assert "refused (R-SCH-13)" in flat
    assert "With a reason recorded it would go ahead" in flat
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_refusal_without_a_way_round(second):
    """An adjournment beyond 20 working days (R-SCH-14) has no reason to give."""
    second.ok("review", "schedule", "C002", "--date", "2027-02-10", today="2026-12-01")
    got = second.json("explain", "C002", "--if-adjourned-to", "2027-03-11", today="2027-02-10")
    assert got["if"]["allowed"] is False
    assert got["if"]["refusal"]["rule"] == "R-SCH-14"
    assert "with_reason" not in got["if"]
    assert got["changes"] == []
    msg = second.refused(
        "review", "adjourn", "2", "--to", "2027-03-11", "--reason", "x", today="2027-02-10"
    )
    assert msg == f"Error: {got['if']['refusal']['message']}"


def test_one_what_if_at_a_time(second):
    msg = second.refused("explain", "C002", "--if-booked", "2027-02-10", "--if-held", "2027-02-10")
    assert "one --if-" in msg
    second.refused("explain", "C002", "--placement", "A3")
    second.refused("explain", "C002", "--if-booked", "10/02/2027")
    second.refused("explain", "C999")


def test_a_child_not_in_care_shows_the_last_period(second):
    second.ok("episode", "end", "C002", "--date", "2026-12-20", today="2026-12-21")
    data = explain(second, "C002", today="2026-12-21")
    assert data["looked_after"] is False
    assert not any(x["kind"] == "review" for x in data["deadlines"])
    last = data["last_period"]
    assert (last["start"], last["end"], last["reason_ceased"]) == (
        "2026-11-02",
        "2026-12-20",
        "E8",
    )
    assert last["reviews"][0]["recording_date"] == "2026-11-30"
    assert last["reviews"][0]["on_time"] is True
    assert last["next_review_at_end"] == {"number": 2, "due": "2027-02-28", "rule": "R-SCH-2"}
    text = " ".join(second.ok("explain", "C002", today="2026-12-21").stdout.split())
    assert "is not looked after" in text
    assert "Mon 2 Nov 2026 to Sun 20 Dec 2026" in text
    assert "nothing further is due (R-SCH-11)" in text


def test_explain_json_is_one_object_on_stdout(easter):
    result = easter.ok("explain", "C001", "--format", "json", today="2027-03-15")
    data = json.loads(result.stdout)
    assert set(data) >= {"child_id", "on", "deadlines", "policy"}
    for item in data["deadlines"]:
        assert set(item) >= {"kind", "due", "rule", "anchor", "skipped", "candidates"}
        for c in item["candidates"]:
            assert c["outcome"] in ("won", "later", "satisfied", "not applicable")


# --- the working is the engine's own -----------------------------------------------------------

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@settings(deadline=None, max_examples=60)
@given(dates, st.integers(min_value=1, max_value=60), st.booleans())
def test_the_days_named_are_the_calendars_count(start, n, forward):
    """Every day between the anchor and the result is named, working or not, and the
    working ones number exactly the count the calendar was asked for."""
    from reviewcli.calendar import WorkingCalendar
    from reviewcli.explain import TracingCalendar, working

    cal = WorkingCalendar(closures=[date(2026, 12, 29), date(2027, 4, 1)])
    tcal = TracingCalendar(cal)
    result = tcal.add_working_days(start, n) if forward else tcal.subtract_working_days(start, n)
    work = working(cal, tcal.log[-1])
    assert work["result"] == result.isoformat()
    # Counted in the order of the count: day 1 (after or back) first, the result last.
    assert len(work["counted"]) == n and work["counted"][-1] == result.isoformat()
    span = abs((result - start).days)
    assert len(work["counted"]) + len(work["skipped"]) == span
    for s in work["skipped"]:
        assert not cal.is_working_day(date.fromisoformat(s["date"]))


@settings(deadline=None, max_examples=60)
@given(dates, st.sampled_from([3, 6, 12]))
def test_months_and_their_clamp(start, months):
    from reviewcli.calendar import WorkingCalendar
    from reviewcli.explain import TracingCalendar, working

    cal = WorkingCalendar()
    tcal = TracingCalendar(cal)
    result = tcal.add_months(start, months)
    work = working(cal, tcal.log[-1])
    assert work["result"] == result.isoformat() and work["skipped"] == []
    assert work["clamped"] == (result.day < start.day)


def test_every_child_of_the_demo_is_explained_as_stored(tmp_path):
    """On a demo authority, each child's explained next review and open steps are the dates
    the work list holds, and every what-if answers without writing."""
    from reviewcli import explain as engine
    from reviewcli.demo import build
    from reviewcli.store import Store

    today = date(2026, 7, 1)
    store = Store(tmp_path / "demo.db", create=True)
    build(store, children=40, seed=5, today=today)
    before = snapshot_db(tmp_path / "demo.db")
    for (child_id,) in store.conn.execute("SELECT id FROM children ORDER BY id").fetchall():
        data = engine.explain(store, child_id, today)
        assert data["notes"] == [] or "18th birthday" in data["notes"][0]
        period = store.row(
            "SELECT * FROM periods WHERE child_id = ? AND end_date IS NULL", [child_id]
        )
        reviews = [x for x in data["deadlines"] if x["kind"] == "review"]
        if period:
            assert [(r["due"], r["rule"]) for r in reviews] == [
                (period["next_due"], period["next_rule"])
            ]
            won = [c for c in reviews[0]["candidates"] if c["outcome"] == "won"]
            assert len(won) == 1
        else:
            assert reviews == [] and data["last_period"] is not None
        steps = {
            (x["review_id"], x["kind"], x["due"])
            for x in data["deadlines"]
            if "review_id" in x and x["kind"] != "review"
        }
        stored = {
            (r["review_id"], r["step"], r["due"])
            for r in store.rows(
                "SELECT review_id, step, due FROM review_steps WHERE child_id = ? "
                "AND status = 'open' AND NOT (step = 'manager-response' AND due < ?)",
                [child_id, today.isoformat()],
            )
        }
        assert steps == stored
        assert engine.text(data)
        if period:
            got = engine.what_if(store, child_id, today, "booked", today)
            assert engine.text(got)
    assert snapshot_db(tmp_path / "demo.db") == before
    store.close()


def test_a_late_hold_is_refused_then_shown_with_a_reason(second):
    """Held on Mon 1 Mar 2027, after the deadline of Sun 28 Feb (R-SCH-15): refused as the
    command would refuse it; with a late reason, the same dates as the real command."""
    second.ok("review", "schedule", "C002", "--date", "2027-02-26", today="2026-12-01")
    got = second.json("explain", "C002", "--if-held", "2027-03-01", today="2026-12-01")
    info = got["if"]
    assert (info["allowed"], info["refusal"]["rule"]) == (False, "R-SCH-15")
    assert info["as_of"] == "2027-03-01"
    real = second.refused("review", "hold", "2", "--date", "2027-03-01", today="2027-03-01")
    assert real == f"Error: {info['refusal']['message']}"
    assert info["with_reason"]["commands"] == ["review hold 2 --date 2027-03-01 --late-reason …"]
    second.ok("review", "hold", "2", "--date", "2027-03-01", "--late-reason", "illness",
              today="2027-03-01")  # fmt: skip
    assert _dates(got) == _dates(explain(second, "C002", "--on", "2026-12-01", today="2027-03-01"))
    # The third review: 6 months after Mon 1 Mar 2027 (R-SCH-3).
    assert deadline(got)["due"] == "2027-09-01"


def test_a_what_if_for_a_child_not_in_care_is_the_commands_refusal(second):
    second.ok("episode", "end", "C002", "--date", "2026-12-20", today="2026-12-21")
    got = second.json("explain", "C002", "--if-booked", "2027-01-10", today="2026-12-21")
    assert got["if"]["allowed"] is False
    assert "not looked after" in got["if"]["refusal"]["message"]
    assert got["changes"] == []


def test_text_shows_typed_control_and_bidi_characters_harmlessly(second):
    second.ok("review", "direct", "C002", "--by", "2027-01-15", "--reason", "court",
              today="2026-12-01")  # fmt: skip
    import sqlite3

    conn = sqlite3.connect(second.db)
    conn.execute("UPDATE directions SET reason = ?", ["court \u202e\x1b[31mred"])
    conn.commit()
    conn.close()
    text = second.ok("explain", "C002", today="2026-12-01").stdout
    assert "\x1b" not in text and "\u202e" not in text
    assert "court ??[31mred" in text


def test_what_if_held_with_nothing_booked_books_then_holds(second):
    got = _what_if_then_real(
        second,
        ["--if-held", "2027-02-12"],
        [
            (["review", "schedule", "C002", "--date", "2027-02-12"], "2027-02-12"),
            (["review", "hold", "2"], "2027-02-12"),
        ],
        "2026-12-01",
        "2026-12-01",
    )
    assert got["if"]["commands"] == [
        "review schedule C002 --date 2027-02-12",
        "review hold 2 --date 2027-02-12",
    ]
    # Third review 6 months after Fri 12 Feb 2027 (R-SCH-3).
    assert deadline(got)["due"] == "2027-08-12"
