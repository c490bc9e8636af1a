"""The rule book's corrections, through the command line (DOMAIN.md §2, §3, §5, corrected).

R-IRO-2 (no review recorded without a named IRO unless the reason is recorded), R-SCH-6
(parental consent to adoption: ``episode consent``), R-SCH-5 (a series of short breaks and
``episode short-breaks-end``), R-SCH-8 (the disruption window), R-POST-7 (from the
completion of an adjourned review) and R-EVT-2 (supported accommodation). The pure rules
are tested in test_rules.py and test_steps.py; here, that the commands record the facts,
refuse bad input without changing anything, and that every output follows.

England bank holidays in 2026: Thu 1 Jan, Fri 3 Apr, Mon 6 Apr, Mon 4 May, Mon 25 May,
Mon 31 Aug, Fri 25 Dec, Mon 28 Dec. "Today" is Wed 1 Jul 2026 unless a command says so.
"""

from __future__ import annotations

import sqlite3


def db_value(run, sql, params=()):
    conn = sqlite3.connect(run.db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def next_review(run, child_id, today=None) -> tuple:
    nxt = run.json("child", "show", child_id, "--format", "json", today=today)["next_review"]
    return (nxt["number"], nxt["due"], nxt["rule"]) if nxt else None


def book_and_hold(run, child_id, day, *extra) -> int:
    review_id = run.json("review", "schedule", child_id, "--date", day, today=day)["id"]
    run.ok("review", "hold", review_id, "--participation", "PN1", *extra, today=day)
    return review_id


# --- R-IRO-2: never a review without a named IRO (IRO Handbook 7.2) ---------------------------


def test_review_without_a_named_iro_is_refused_unless_the_reason_is_recorded(
    world, new_child, snapshot
):
    # C010 looked after from Mon 1 Jun 2026, no IRO named.
    new_child("C010", "2014-04-04", start="2026-06-01")
    booked = world("review", "schedule", "C010", "--date", "2026-06-26", today="2026-06-01")
    assert booked.exit_code == 0
    assert "C010 has no named IRO: name one before the review (R-IRO-2)" in booked.stderr
    review_id = db_value(world, "SELECT id FROM reviews WHERE child_id = 'C010'")
    before = snapshot()
    message = world.refused("review", "hold", review_id, "--participation", "PN1")
    assert message == (
        "Error: child C010 had no named IRO on 2026-06-26; name one with 'reviewcli allocate "
        "C010 IRO_ID --date D', or record why with --no-iro-reason (R-IRO-2)"
    )
    assert snapshot() == before
    reason = "IRO left on 19 June; cover IRO not yet named"
    world.ok("review", "hold", review_id, "--participation", "PN1", "--no-iro-reason", reason)
    assert db_value(world, "SELECT no_iro_reason FROM reviews WHERE id = ?", [review_id]) == reason
    assert db_value(world, "SELECT status FROM reviews WHERE id = ?", [review_id]) == "held"


def test_an_iro_named_after_the_meeting_does_not_count(world, new_child):
    # Named on Mon 29 Jun 2026, after the meeting on Fri 26 Jun: refused all the same.
    new_child("C011", "2014-04-04", start="2026-06-01")
    review_id = world.json(
        "review", "schedule", "C011", "--date", "2026-06-26", today="2026-06-01"
    )["id"]
    world.ok("allocate", "C011", "IRO1", "--date", "2026-06-29", today="2026-06-29")
    assert "no named IRO on 2026-06-26" in world.refused("review", "hold", review_id)


def test_no_iro_reason_is_refused_when_an_iro_was_named(world):
    review_id = world.json(
        "review", "schedule", "C001", "--date", "2026-06-22", today="2026-05-26"
    )["id"]
    message = world.refused("review", "hold", review_id, "--no-iro-reason", "none")
    assert message == (
        "Error: IRO1 was the named IRO on 2026-06-22; --no-iro-reason is only for a review "
        "held with no named IRO"
    )


# --- R-SCH-6: the parents' formal consent to placement for adoption ------------------------------


def test_episode_consent_sets_the_authorisation_deadline(world, new_child, snapshot):
    # C020 looked after from Mon 5 Jan 2026 (IRO1); first review Mon 2 Feb (due Mon 2 Feb,
    # 20 working days), second Thu 30 Apr (due Sat 2 May) -> third by Fri 30 Oct (R-SCH-3).
    new_child("C020", "2019-08-08", start="2026-01-05", iro="IRO1")
    book_and_hold(world, "C020", "2026-02-02")
    book_and_hold(world, "C020", "2026-04-30")
    assert next_review(world, "C020", today="2026-05-18") == (3, "2026-10-30", "R-SCH-3")
    # Consent given Mon 18 May 2026: a review within 3 months, by Tue 18 Aug 2026.
    out = world.json("episode", "consent", "C020", "--date", "2026-05-18", today="2026-05-18")
    assert out["consent_date"] == "2026-05-18"
    assert (out["next_review"], out["rule"]) == ("2026-08-18", "R-SCH-6")
    assert next_review(world, "C020", today="2026-05-18") == (3, "2026-08-18", "R-SCH-6")
    shown = world.json("child", "show", "C020", "--format", "json", today="2026-05-18")
    assert shown["periods"][0]["adoption_consent"] == "2026-05-18"
    [item] = [
        i
        for i in world.json("due", "--on", "2026-08-01", "--kind", "review")
        if i["child_id"] == "C020"
    ]
    assert (item["due"], item["rule"]) == ("2026-08-18", "R-SCH-6")
    detail = db_value(world, "SELECT next_detail FROM periods WHERE child_id = 'C020'")
    assert detail == (
        "third review: within 3 months of authorisation for adoption (parental consent) on "
        "2026-05-18"
    )
    # Refusals change nothing.
    before = snapshot()
    assert world.refused(
        "episode", "consent", "C020", "--date", "2026-05-19", today="2026-05-19"
    ) == ("Error: consent to placement for adoption was already recorded for C020 on 2026-05-18")
    assert snapshot() == before


def test_episode_consent_refusals(world, new_child, snapshot):
    new_child("C021", "2019-08-08", start="2026-01-05", iro="IRO1")
    before = snapshot()
    assert world.refused("episode", "consent", "C021", "--date", "2026-07-02") == (
        "Error: 2026-07-02 is in the future; record the consent once it has been given"
    )
    assert world.refused("episode", "consent", "C021", "--date", "2026-01-02") == (
        "Error: 2026-01-02 is before the period of care began (2026-01-05)"
    )
    assert world.refused("episode", "consent", "C021", "--date", "2026-13-01") == (
        "Error: invalid date '2026-13-01': use YYYY-MM-DD"
    )
    assert "no child with id 'NOPE'" in world.refused(
        "episode", "consent", "NOPE", "--date", "2026-06-01"
    )
    world.ok("episode", "end", "C021", "--date", "2026-06-01")
    assert "not looked after" in world.refused("episode", "consent", "C021", "--date", "2026-06-01")
    assert snapshot() != before  # (the end of care above is the only change)


# --- R-SCH-5: a series of short breaks ------------------------------------------------------------


def test_short_break_stays_are_one_series_until_the_arrangement_ends(world, new_child, snapshot):
    from conftest import add_child

    add_child(world, "C030", "2016-02-02", today="2026-01-05")
    # First stay Mon 5 - Wed 7 Jan 2026 (V3), reviewed by nobody yet.
    world.ok(
        "episode", "start", "C030", "--date", "2026-01-05", "--legal-status", "V3",
        "--placement", "U6", today="2026-01-05",
    )  # fmt: skip
    world.ok("allocate", "C030", "IRO1", "--date", "2026-01-05", today="2026-01-05")
    assert next_review(world, "C030", today="2026-01-05") == (1, "2026-04-05", "R-SCH-5")
    ended = world("episode", "end", "C030", "--date", "2026-01-07", today="2026-01-07")
    assert ended.exit_code == 0
    assert "the next stay continues the series (R-SCH-5)" in ended.stderr
    # Second stay from Mon 2 Feb: the clock still runs from 5 Jan (3 months: Sun 5 Apr).
    world.ok(
        "episode", "start", "C030", "--date", "2026-02-02", "--legal-status", "V3",
        "--placement", "U6", today="2026-02-02",
    )  # fmt: skip
    assert next_review(world, "C030", today="2026-02-02") == (1, "2026-04-05", "R-SCH-5")
    # The arrangement cannot be ended in the middle of a stay.
    before = snapshot()
    assert world.refused("episode", "short-breaks-end", "C030", "--date", "2026-02-03") == (
        "Error: child C030 is in a short-break stay that began on 2026-02-02; end the stay "
        "first with 'reviewcli episode end C030 --date D'"
    )
    assert snapshot() == before
    world.ok("episode", "end", "C030", "--date", "2026-02-04", today="2026-02-04")
    assert world.refused(
        "episode", "short-breaks-end", "C030", "--date", "2026-02-03", today="2026-02-27"
    ) == (
        "Error: 2026-02-03 is before the last short-break stay ended (2026-02-04); the "
        "arrangement ends on or after it"
    )
    out = world.json(
        "episode", "short-breaks-end", "C030", "--date", "2026-02-27", "--reason",
        "family moved away", today="2026-02-27",
    )  # fmt: skip
    assert (out["end_date"], out["reason"]) == ("2026-02-27", "family moved away")
    assert "already recorded as ended on 2026-02-27" in world.refused(
        "episode", "short-breaks-end", "C030", "--date", "2026-02-28", today="2026-02-28"
    )
    # A stay from Mon 2 Mar 2026 starts a new series: 2 Mar + 3 months = Tue 2 Jun 2026.
    world.ok(
        "episode", "start", "C030", "--date", "2026-03-02", "--legal-status", "V3",
        "--placement", "U6", today="2026-03-02",
    )  # fmt: skip
    assert next_review(world, "C030", today="2026-03-02") == (1, "2026-06-02", "R-SCH-5")
    shown = world.json("child", "show", "C030", "--format", "json", today="2026-03-02")
    assert shown["short_break_ends"] == [{"end_date": "2026-02-27", "reason": "family moved away"}]


def test_short_breaks_end_for_a_child_without_short_breaks(world):
    assert world.refused("episode", "short-breaks-end", "C001", "--date", "2026-06-01") == (
        "Error: child C001 has had no short breaks (legal status V3/V4)"
    )


# --- R-SCH-8: only a review inside the window satisfies it ----------------------------------------


def test_review_before_the_disruption_window_leaves_it_due(world, new_child):
    # C040 looked after from Mon 5 Jan 2026 (IRO1); first review Mon 2 Feb. Placement order
    # and placed for adoption (E1, A5) Mon 2 Mar: review within 4 weeks, by Mon 30 Mar;
    # held then. Back to foster care (U6) Tue 7 Apr (after Easter Monday): the window runs
    # from 7 Apr + 28 days = Tue 5 May to 7 Apr + 42 days = Tue 19 May 2026.
    new_child("C040", "2020-02-02", start="2026-01-05", iro="IRO1")
    book_and_hold(world, "C040", "2026-02-02")
    world.ok(
        "episode", "change", "C040", "--date", "2026-03-02", "--legal-status", "E1",
        "--placement", "A5", today="2026-03-02",
    )  # fmt: skip
    assert next_review(world, "C040", today="2026-03-02") == (2, "2026-03-30", "R-SCH-7")
    book_and_hold(world, "C040", "2026-03-30")
    world.ok(
        "episode", "change", "C040", "--date", "2026-04-07", "--placement", "U6", today="2026-04-07"
    )
    assert next_review(world, "C040", today="2026-04-07") == (3, "2026-05-19", "R-SCH-8")
    # A review on Mon 13 Apr, before the window opens: an additional review, with a warning.
    review_id = world.json(
        "review", "schedule", "C040", "--date", "2026-04-13", today="2026-04-07"
    )["id"]
    held = world("review", "hold", review_id, "--participation", "PN1", today="2026-04-13")
    assert held.exit_code == 0
    assert "before the window opens on 2026-05-05 (R-SCH-8)" in held.stderr
    # The window stays due: still Tue 19 May, earliest Tue 5 May.
    assert next_review(world, "C040", today="2026-04-13") == (4, "2026-05-19", "R-SCH-8")
    [item] = [
        i
        for i in world.json("due", "--on", "2026-05-01", "--kind", "review")
        if i["child_id"] == "C040"
    ]
    assert (item["due"], item["rule"]) == ("2026-05-19", "R-SCH-8")
    # A review inside the window, Mon 11 May, satisfies it: next 6 months later, Wed 11 Nov
    # 2026 (R-SCH-6: authorised, not placed).
    book_and_hold(world, "C040", "2026-05-11")
    assert next_review(world, "C040", today="2026-05-11") == (5, "2026-11-11", "R-SCH-6")


# --- R-POST-7 from the completion of an adjourned review ------------------------------------------


def test_starred_decision_of_an_adjourned_review_counts_from_its_completion(world, new_child):
    new_child("C050", "2012-06-15", start="2026-05-01", iro="IRO1")
    review_id = world.json(
        "review", "schedule", "C050", "--date", "2026-05-22", today="2026-05-01"
    )["id"]
    world.ok(
        "review", "adjourn", review_id, "--to", "2026-05-28", "--reason", "Mother unwell",
        today="2026-05-22",
    )  # fmt: skip
    world.ok("review", "hold", review_id, "--participation", "PN1", today="2026-05-28")
    # Completed Thu 28 May 2026: 72 hours = 3 calendar days -> Sun 31 May (R-CAL-5, kept on
    # a weekend: R-CAL-6), not Mon 25 May counted from the recording date of 22 May.
    made = world.json(
        "decision", "add", review_id, "Find a school place", "--owner", "Sam", "--due",
        "2026-06-30", "--starred", today="2026-05-28",
    )  # fmt: skip
    assert db_value(world, "SELECT forward_due FROM decisions WHERE id = ?", [made["id"]]) == (
        "2026-05-31"
    )


# --- R-EVT-2: supported accommodation (K3) --------------------------------------------------------


def test_supported_accommodation_is_a_review_first_event(world):
    kinds = {k["kind"]: k for k in world.json("event", "kinds")}
    assert kinds["supported-accommodation"]["meaning"] == (
        "move to supported accommodation (K3) or independent living before 18 (review first)"
    )
    assert "unregulated-accommodation" not in kinds
    # The old name is still read when typed.
    out = world.json("event", "add", "C001", "unregulated-accommodation", "--date", "2026-08-01")
    assert out["kind"] == "supported-accommodation"
    assert out["rule"] == "R-EVT-2"


def test_an_imported_series_of_short_breaks_is_one_series(initialised, tmp_path):
    from test_ssda903 import ep, h, rv, write_return

    # S1: short-break stays (V3) Mon 5-Wed 7 May 2025, Mon 2-Wed 4 Jun 2025 (reviewed on
    # 4 Jun) and from Mon 7 Jul 2025, each its own period of care in the return.
    # The review of 4 Jun is judged against the series' first review date, 5 May + 3 months
    # = Tue 5 Aug 2025 (not 2 Jun + 3 months); the open stay's next review is 4 Jun +
    # 6 months = Thu 4 Dec 2025 (not 7 Jul + 3 months).
    folder = write_return(
        tmp_path / "r",
        [h("S1", "01/01/2015")],
        [
            ep("S1", "05/05/2025", ls="V3", dec="07/05/2025", rec="E8"),
            ep("S1", "02/06/2025", ls="V3", dec="04/06/2025", rec="E8"),
            ep("S1", "07/07/2025", ls="V3"),
        ],
        [rv("S1", "01/01/2015", "04/06/2025", "PN1")],
    )
    initialised.ok("import", "ssda903", folder)
    review = "SELECT deadline || ' ' || rule FROM reviews WHERE child_id = 'S1'"
    assert db_value(initialised, review) == "2025-08-05 R-SCH-5"
    nxt = "SELECT next_due || ' ' || next_rule FROM periods WHERE child_id = 'S1' AND "
    assert db_value(initialised, nxt + "end_date IS NULL") == "2025-12-04 R-SCH-5"
    # The stored dates agree with a fresh computation (what 'check' compares); the review of
    # 4 Jun was the series' first, so the next is its second.
    assert next_review(initialised, "S1") == (2, "2025-12-04", "R-SCH-5")
