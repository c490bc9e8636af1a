"""R-SCH-5 between stays: a series of short breaks keeps its review due while the child is
not in a stay (DOMAIN.md §2, IRO Handbook 4.1).

Each stay is its own period of care; between two stays the child has no open period. While
the arrangement runs (the last stay ended in V3/V4, its end not recorded with
``episode short-breaks-end``) the series' next review is listed in ``due`` (kind review,
R-SCH-5, "not in a stay since …"), can be booked and held (recorded against the last
stay's period, where the next stay finds it), and its IRO stays named.

England bank holidays in 2026: Thu 1 Jan, Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May,
Mon 31 Aug, Fri 25 Dec, Mon 28 Dec.
"""

from __future__ import annotations

import sqlite3

from conftest import add_child


def db_value(run, sql, params=()):
    conn = sqlite3.connect(run.db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def stay(run, child_id, start, end=None, status="V3"):
    run.ok(
        "episode", "start", child_id, "--date", start, "--legal-status", status,
        "--placement", "U6", today=start,
    )  # fmt: skip
    if end:
        run.ok("episode", "end", child_id, "--date", end, today=end)


def next_review(run, child_id, today):
    nxt = run.json("child", "show", child_id, "--format", "json", today=today)["next_review"]
    return (nxt["number"], nxt["due"], nxt["rule"]) if nxt else None


def items(run, child_id, on, *kinds):
    args = ["due", "--on", on]
    for kind in kinds:
        args += ["--kind", kind]
    return [i for i in run.json(*args, today=on) if i["child_id"] == child_id]


def test_series_review_is_due_booked_and_held_between_stays(world):
    add_child(world, "C031", "2016-02-02", today="2026-01-05")
    # Monthly stays (V3) Mon 5 - Wed 7 Jan, Mon 2 - Wed 4 Feb, Mon 2 - Wed 4 Mar 2026; IRO1
    # named at the first. The series' first review: 5 Jan + 3 months = Sun 5 Apr 2026 (a
    # statutory limit stays on a weekend, R-CAL-6), whatever the later stays.
    stay(world, "C031", "2026-01-05")
    world.ok("allocate", "C031", "IRO1", "--date", "2026-01-05", today="2026-01-05")
    world.ok("episode", "end", "C031", "--date", "2026-01-07", today="2026-01-07")
    stay(world, "C031", "2026-02-02", "2026-02-04")
    stay(world, "C031", "2026-03-02", "2026-03-04")
    # Fri 6 Mar: between stays, the review is still due and listed.
    [item] = items(world, "C031", "2026-03-06", "review")
    assert (item["due"], item["rule"], item["number"], item["iro"]) == (
        "2026-04-05",
        "R-SCH-5",
        1,
        "IRO1",
    )
    assert item["detail"] == (
        "first review not yet booked; short breaks: not in a stay since 2026-03-04, the series "
        "continues"
    )
    shown = world.json("child", "show", "C031", "--format", "json", today="2026-03-06")
    assert shown["looked_after"] is False
    assert shown["iro"] == "IRO1"  # the series' IRO stays named between stays
    nxt = shown["next_review"]
    assert (nxt["number"], nxt["due"], nxt["rule"], nxt["between_stays"]) == (
        1,
        "2026-04-05",
        "R-SCH-5",
        "2026-03-04",
    )
    assert "not in a stay since 2026-03-04" in nxt["detail"]
    explained = world.json("explain", "C031", today="2026-03-06")
    assert explained["between_stays"] == "2026-03-04"
    [review] = [x for x in explained["deadlines"] if x["kind"] == "review"]
    assert (review["due"], review["rule"], review["number"]) == ("2026-04-05", "R-SCH-5", 1)
    # Overdue once 5 Apr has passed (Tue 7 Apr, after Easter Monday).
    [late] = items(world, "C031", "2026-04-07", "review")
    assert late["overdue"] is True
    # Booked on Mon 16 Mar for Tue 31 Mar. Invitations at least 10 working days before:
    # Tue 17 Mar; the reports of a first review 3 working days before: Thu 26 Mar.
    booked = world.json("review", "schedule", "C031", "--date", "2026-03-31", today="2026-03-16")
    assert (booked["number"], booked["deadline"], booked["rule"]) == (1, "2026-04-05", "R-SCH-5")
    last_stay = db_value(world, "SELECT MAX(id) FROM periods WHERE child_id = 'C031'")
    assert booked["period_id"] == last_stay
    steps = {i["kind"]: i["due"] for i in items(world, "C031", "2026-03-31")}
    assert steps["invitations"] == "2026-03-17"
    assert steps["reports"] == "2026-03-26"
    assert steps["review"] == "2026-04-05"
    [item] = items(world, "C031", "2026-03-16", "review")
    assert item["detail"] == (
        "first review booked for 2026-03-31; short breaks: not in a stay since 2026-03-04, "
        "the series continues"
    )
    # Held on Tue 31 Mar, between stays, with the series' IRO named: on time. The next is
    # 6 months later, clamped to the month's end: Wed 30 Sep 2026.
    held = world.ok(
        "review", "hold", booked["id"], "--participation", "PN1", today="2026-03-31"
    ).stdout
    assert "recording date 2026-03-31, on time; next review due by 2026-09-30 (R-SCH-5)" in held
    assert next_review(world, "C031", "2026-03-31") == (2, "2026-09-30", "R-SCH-5")
    # The next stay, Mon 13 - Wed 15 Apr, counts the review held between stays.
    stay(world, "C031", "2026-04-13")
    assert next_review(world, "C031", "2026-04-13") == (2, "2026-09-30", "R-SCH-5")
    [item] = items(world, "C031", "2026-09-30", "review")
    assert item["detail"] == "second review not yet booked"
    world.ok("episode", "end", "C031", "--date", "2026-04-15", today="2026-04-15")
    [item] = items(world, "C031", "2026-09-30", "review")
    assert (item["due"], item["number"]) == ("2026-09-30", 2)
    assert item["detail"].endswith("not in a stay since 2026-04-15, the series continues")


def test_short_breaks_end_stops_the_series_review(world, snapshot):
    # One stay Mon 1 - Wed 3 Jun 2026: first review within 3 months, by Tue 1 Sep 2026.
    add_child(world, "C032", "2016-02-02", today="2026-06-01")
    stay(world, "C032", "2026-06-01")
    world.ok("allocate", "C032", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    world.ok("episode", "end", "C032", "--date", "2026-06-03", today="2026-06-03")
    # Booked on Mon 3 Aug for Tue 1 Sep. Counting back over the August bank holiday (Mon
    # 31 Aug): invitations by Mon 17 Aug (10 working days), reports by Wed 26 Aug (3).
    booked = world.json("review", "schedule", "C032", "--date", "2026-09-01", today="2026-08-03")
    steps = {i["kind"]: i["due"] for i in items(world, "C032", "2026-09-01")}
    assert steps["review"] == "2026-09-01"
    assert steps["invitations"] == "2026-08-17"
    assert steps["reports"] == "2026-08-26"  # (Thu 27 Aug without the bank holiday)
    assert steps["consultation"] == "2026-08-03"  # 20 working days before: Mon 3 Aug
    # The arrangement cannot end on or after the booked meeting while it is still booked.
    before = snapshot()
    assert world.refused(
        "episode", "short-breaks-end", "C032", "--date", "2026-09-01", today="2026-09-01"
    ) == (
        f"Error: review {booked['id']} was booked for 2026-09-01, on or before the end of the "
        f"arrangement; record it first ('review hold {booked['id']}' or 'review cancel "
        f"{booked['id']} --reason …')"
    )
    assert snapshot() == before
    # Ended on Fri 28 Aug: the booked review is cancelled, nothing of the series is due,
    # and the IRO's allocation ends that day.
    out = world.json(
        "episode", "short-breaks-end", "C032", "--date", "2026-08-28", today="2026-08-28"
    )
    assert out["cancelled_review"] == booked["id"]
    assert items(world, "C032", "2026-12-31") == []
    assert next_review(world, "C032", "2026-08-28") is None
    assert db_value(world, "SELECT status FROM reviews WHERE id = ?", [booked["id"]]) == "cancelled"
    assert db_value(world, "SELECT end_date FROM allocations WHERE child_id = 'C032'") == (
        "2026-08-28"
    )
    assert "not looked after" in world.refused(
        "review", "schedule", "C032", "--date", "2026-09-02", today="2026-08-28"
    )
    # A stay from Mon 7 Sep starts a new series: 7 Sep + 3 months = Mon 7 Dec 2026.
    stay(world, "C032", "2026-09-07")
    assert next_review(world, "C032", "2026-09-07") == (1, "2026-12-07", "R-SCH-5")


def test_a_review_booked_between_stays_moves_into_the_next_stay(world, snapshot):
    add_child(world, "C033", "2016-02-02", today="2026-06-01")
    stay(world, "C033", "2026-06-01")
    world.ok("allocate", "C033", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    world.ok("episode", "end", "C033", "--date", "2026-06-03", today="2026-06-03")
    booked = world.json("review", "schedule", "C033", "--date", "2026-09-01", today="2026-08-03")
    # A stay starting after the booked meeting: the review is to be recorded first.
    before = snapshot()
    assert world.refused(
        "episode", "start", "C033", "--date", "2026-09-02", "--legal-status", "V3",
        today="2026-09-02",
    ) == (
        f"Error: review {booked['id']} was booked for 2026-09-01, before this stay begins; "
        f"record it first ('review hold {booked['id']}' or 'review cancel {booked['id']} "
        "--reason …')"
    )  # fmt: skip
    assert snapshot() == before
    # A stay from Mon 10 Aug: the booked review is that stay's, with its deadline (1 Sep).
    stay(world, "C033", "2026-08-10")
    new_period = db_value(
        world, "SELECT id FROM periods WHERE end_date IS NULL AND child_id = 'C033'"
    )
    assert db_value(world, "SELECT period_id FROM reviews WHERE id = ?", [booked["id"]]) == (
        new_period
    )
    [item] = items(world, "C033", "2026-08-10", "review")
    assert (item["review_id"], item["due"], item["detail"]) == (
        booked["id"],
        "2026-09-01",
        "first review booked for 2026-09-01",
    )


def test_no_series_review_after_full_care(world):
    # A stay that ends in full care (C2) is an ordinary end of care: nothing stays due.
    add_child(world, "C034", "2016-02-02", today="2026-01-05")
    stay(world, "C034", "2026-01-05")
    world.ok("allocate", "C034", "IRO1", "--date", "2026-01-05", today="2026-01-05")
    world.ok(
        "episode",
        "change",
        "C034",
        "--date",
        "2026-01-12",
        "--legal-status",
        "C2",
        today="2026-01-12",
    )
    world.ok("episode", "end", "C034", "--date", "2026-02-06", today="2026-02-06")
    assert next_review(world, "C034", "2026-02-06") is None
    assert items(world, "C034", "2026-12-31") == []
    assert db_value(world, "SELECT end_date FROM allocations WHERE child_id = 'C034'") == (
        "2026-02-06"
    )


def test_an_iro_is_named_between_stays_before_the_series_review(world):
    # One stay Mon 1 - Wed 3 Jun 2026 with no IRO named; first review by Tue 1 Sep 2026.
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2", "--team", "North")
    add_child(world, "C035", "2016-02-02", today="2026-06-01")
    stay(world, "C035", "2026-06-01", "2026-06-03")
    booked = world("review", "schedule", "C035", "--date", "2026-08-11", today="2026-08-03")
    assert booked.exit_code == 0
    assert "C035 has no named IRO: name one before the review (R-IRO-2)" in booked.stderr
    review_id = db_value(world, "SELECT id FROM reviews WHERE child_id = 'C035'")
    assert world.refused(
        "review", "hold", review_id, "--participation", "PN1", today="2026-08-11"
    ) == (
        "Error: child C035 had no named IRO on 2026-08-11; name one with 'reviewcli allocate "
        "C035 IRO_ID --date D', or record why with --no-iro-reason (R-IRO-2)"
    )
    # Named between stays, on Mon 10 Aug: the review is held; the next is 11 Aug + 6 months
    # = Thu 11 Feb 2027, the series' second, with IRO2 on the work list.
    world.ok("allocate", "C035", "IRO2", "--date", "2026-08-10", today="2026-08-11")
    world.ok("review", "hold", review_id, "--participation", "PN1", today="2026-08-11")
    [item] = items(world, "C035", "2027-02-11", "review")
    assert (item["due"], item["number"], item["rule"], item["iro"]) == (
        "2027-02-11",
        2,
        "R-SCH-5",
        "IRO2",
    )
    assert "before the period of care began" in world.refused(
        "allocate", "C035", "IRO1", "--date", "2026-05-29", today="2026-08-12"
    )


def test_monthly_report_counts_the_series_review_due_between_stays(world):
    # Stays Mon 5 - Wed 7 Jan and Mon 2 - Wed 4 Feb 2026: the first review is due Sun 5 Apr
    # 2026, in the month after March; the child is between stays all March.
    add_child(world, "C036", "2016-02-02", today="2026-01-05")
    stay(world, "C036", "2026-01-05")
    world.ok("allocate", "C036", "IRO1", "--date", "2026-01-05", today="2026-01-05")
    world.ok("episode", "end", "C036", "--date", "2026-01-07", today="2026-01-07")
    stay(world, "C036", "2026-02-02", "2026-02-04")
    out = world.json("report", "monthly", "--month", "2026-03", today="2026-04-01")
    [row] = [r for r in out["due_next_month"]["reviews"] if r["child_id"] == "C036"]
    assert (row["deadline"], row["rule"], row["number"], row["status"], row["iro"]) == (
        "2026-04-05",
        "R-SCH-5",
        1,
        "not booked",
        "IRO1",
    )


def test_a_review_booked_in_a_stay_stays_booked_when_the_stay_ends(world):
    # Stay from Mon 1 Jun 2026 (first review by Tue 1 Sep); the review is booked for Fri
    # 12 Jun, after the stay ends on Wed 3 Jun: it stays booked (the series goes on).
    add_child(world, "C037", "2016-02-02", today="2026-06-01")
    stay(world, "C037", "2026-06-01")
    world.ok("allocate", "C037", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    booked = world.json("review", "schedule", "C037", "--date", "2026-06-12", today="2026-06-02")
    ended = world.json("episode", "end", "C037", "--date", "2026-06-03", today="2026-06-03")
    assert ended["cancelled_review"] is None
    [item] = items(world, "C037", "2026-09-01", "review")
    assert (item["review_id"], item["due"], item["detail"]) == (
        booked["id"],
        "2026-09-01",
        "first review booked for 2026-06-12: record the outcome (held, adjourned or "
        "cancelled); short breaks: not in a stay since 2026-06-03, the series continues",
    )
    # Held on Fri 12 Jun: the next by 12 Jun + 6 months = Sat 12 Dec 2026 (R-CAL-6).
    world.ok("review", "hold", booked["id"], "--participation", "PN1", today="2026-06-12")
    assert next_review(world, "C037", "2026-06-12") == (2, "2026-12-12", "R-SCH-5")
