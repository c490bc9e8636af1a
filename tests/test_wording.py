"""One wording per rule (wording): `due`, `child show` and `explain` say the same thing, and
the dates of events and disputes are derived like every other.

World (conftest): C001 Amy Ash (IRO1), looked after from Fri 22 May 2026. England bank
holidays around: Mon 25 May and Mon 31 Aug 2026.

Events and disputes recorded on Mon 1 Jun 2026, counted by hand:
- R-EVT-1, 5 working days (the default): Tue 2 – Fri 5 Jun (1–4), Mon 8 Jun (5).
  With 10: Mon 8 – Fri 12 Jun (5–9), Mon 15 Jun (10); with Wed 10 Jun closed, Tue 16 Jun.
- §6 stage 1 response, 5 working days: Mon 8 Jun; with 10 days, Mon 15 Jun; and with Wed 10
  Jun closed, Tue 16 Jun.
- §6 whole process, 20 working days: 2–5 Jun (1–4), 8–12 (5–9), 15–19 (10–14), 22–26
  (15–19), Mon 29 Jun (20). With 15: Mon 22 Jun; and with Wed 10 Jun closed, Tue 23 Jun.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest

from conftest import Cli, derived_drift
from reviewcli import codes, steps, wording

TODAY = "2026-06-01"


def _rows(cli: Cli, sql: str) -> list[tuple]:
    conn = sqlite3.connect(cli.db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _items(cli: Cli, on: str = TODAY) -> dict[str, dict]:
    return {i["kind"]: i for i in cli.json("due", "--on", on, "--within", "200", today=on)}


@pytest.fixture
def reported(world: Cli) -> Cli:
    """An undecided event (care-plan change) and an open dispute, both of Mon 1 Jun 2026."""
    world.ok("event", "add", "C001", "care-plan-change", "--date", TODAY, today=TODAY)
    world.ok("dispute", "open", "C001", "--issue", "Visits", "--date", TODAY, today=TODAY)
    assert _rows(world, "SELECT decision_due FROM events") == [("2026-06-08",)]
    assert _rows(world, "SELECT response_due, total_due FROM disputes") == [
        ("2026-06-08", "2026-06-29")
    ]
    return world


def test_event_and_dispute_settings_move_their_open_dates(reported: Cli):
    reported.ok("policy", "set", "event-decision-days", "10", today=TODAY)
    reported.ok("policy", "set", "dispute-response-days", "10,5,5", today=TODAY)
    reported.ok("policy", "set", "dispute-total-days", "15", today=TODAY)
    assert _rows(reported, "SELECT decision_due FROM events") == [("2026-06-15",)]
    assert _rows(reported, "SELECT response_due, total_due FROM disputes") == [
        ("2026-06-15", "2026-06-22")
    ]
    items = _items(reported)
    assert items["event"]["due"] == "2026-06-15"
    assert items["dispute"]["due"] == "2026-06-15"
    # A closure day moves them too, as it moves every other open date.
    reported.ok("policy", "set", "closure-days", "2026-06-10", today=TODAY)
    assert _rows(reported, "SELECT decision_due FROM events") == [("2026-06-16",)]
    assert _rows(reported, "SELECT response_due, total_due FROM disputes") == [
        ("2026-06-16", "2026-06-23")
    ]
    assert _items(reported)["event"]["due"] == "2026-06-16"
    assert derived_drift(reported.db) == {}


def test_decided_events_and_resolved_disputes_keep_their_dates(reported: Cli):
    reported.ok("event", "decide", "1", "--reason", "No change to the plan", today=TODAY)
    reported.ok(
        "dispute", "resolve", "1", "--outcome", "Visits restored", "--result", "resolved",
        today=TODAY,
    )  # fmt: skip
    reported.ok("policy", "set", "event-decision-days", "10", today=TODAY)
    reported.ok("policy", "set", "dispute-total-days", "15", today=TODAY)
    assert _rows(reported, "SELECT decision_due FROM events") == [("2026-06-08",)]
    assert _rows(reported, "SELECT total_due FROM disputes") == [("2026-06-29",)]


def test_the_stamp_covers_the_event_and_dispute_settings(reported: Cli):
    # A setting changed round the tool: the next open sees the stamp differ and recomputes.
    conn = sqlite3.connect(reported.db)
    with conn:
        conn.execute(
            "INSERT OR REPLACE INTO policy (key, value) VALUES ('event-decision-days', '10')"
        )
    conn.close()
    result = reported.ok("due", "--on", TODAY)
    assert "deadlines recomputed" in result.stderr
    assert _rows(reported, "SELECT decision_due FROM events") == [("2026-06-15",)]


def test_check_finds_stale_event_and_dispute_dates_and_repair_fixes_them(reported: Cli):
    conn = sqlite3.connect(reported.db)
    with conn:
        conn.execute("UPDATE events SET decision_due = '2026-07-01'")
        conn.execute("UPDATE disputes SET total_due = '2026-07-01'")
        conn.execute("DELETE FROM _dirty")
    conn.close()
    result = reported("check", "--format", "json")
    assert result.exit_code == 1
    problems = {p["problem"] for p in json.loads(result.stdout)}
    assert {
        "1 stored decision dates of undecided events differ from a fresh computation;"
        " run 'reviewcli check --repair'",
        "1 stored response and completion dates of open disputes differ from a fresh"
        " computation; run 'reviewcli check --repair'",
    } <= problems
    reported.ok("check", "--repair")
    assert _rows(reported, "SELECT decision_due FROM events") == [("2026-06-08",)]
    assert _rows(reported, "SELECT total_due FROM disputes") == [("2026-06-29",)]
    assert derived_drift(reported.db) == {}


# --- one wording --------------------------------------------------------------------------


@pytest.fixture
def second(world: Cli) -> Cli:
    """The first review held Thu 18 Jun 2026; the second booked for Thu 10 Sep 2026 (due by
    Fri 18 Sep 2026, R-SCH-2); an event reported on Fri 19 Jun."""
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today=TODAY)
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    world.ok("review", "schedule", "C001", "--date", "2026-09-10", today="2026-06-19")
    world.ok("event", "add", "C001", "contact-change", "--date", "2026-06-19", today="2026-06-19")
    return world


def _explained(cli: Cli) -> dict[str, dict]:
    data = cli.json("explain", "C001", "--on", "2026-06-19", today="2026-06-19")
    return {x["kind"]: x for x in data["deadlines"]}


def _outputs(cli: Cli) -> tuple[dict, dict, str, dict]:
    items = _items(cli, "2026-06-19")
    page = cli.json("child", "show", "C001", today="2026-06-19")
    text = cli.ok("child", "show", "C001", today="2026-06-19", env={"COLUMNS": "400"}).stdout
    return items, page, text, _explained(cli)


def test_due_child_show_and_explain_say_the_same(second: Cli):
    items, page, text, explained = _outputs(second)
    nxt = page["next_review"]
    # The next review: the work list's words on the page, the rule's sentence with it.
    assert items["review"]["detail"] == "second review booked for 2026-09-10"
    assert nxt["item"] == items["review"]["detail"]
    assert "Next review: second review booked for 2026-09-10 (due by 2026-09-18" in text
    assert nxt["sentence"] == explained["review"]["sentence"] == wording.SENTENCES["R-SCH-2"]
    assert nxt["why"].startswith(f"R-SCH-2: {wording.SENTENCES['R-SCH-2']}")
    # A step and an event: the same detail in all three.
    step = next(s for s in page["open_steps"] if s["step"] == "invitations")
    assert step["detail"] == items["invitations"]["detail"]
    explained_steps = second.json("explain", "C001", "--on", "2026-06-19", today="2026-06-19")
    [invitations] = [x for x in explained_steps["deadlines"] if x["kind"] == "invitations"]
    assert invitations["detail"] == step["detail"]
    [event] = page["undecided_events"]
    assert event["detail"] == items["event"]["detail"] == explained["event"]["detail"]


def test_a_changed_sentence_changes_due_child_show_and_explain_alike(
    second: Cli, monkeypatch: pytest.MonkeyPatch
):
    sentence = "the second review comes at most three months after the first"
    monkeypatch.setitem(wording.SENTENCES, "R-SCH-2", sentence)
    label = "invitations and the child's consultation booklet sent"
    monkeypatch.setitem(
        steps.STEPS, "invitations", dataclasses.replace(steps.STEPS["invitations"], label=label)
    )
    monkeypatch.setitem(codes.EVENT_KINDS, "contact-change", "new contact plan")
    result = second.ok("due", "--on", "2026-06-19", today="2026-06-19")
    assert "deadlines recomputed: the rules changed" in result.stderr
    items, page, text, explained = _outputs(second)
    # The rule's sentence: in the page and the working, for the same rule due shows.
    assert items["review"]["rule"] == page["next_review"]["rule"] == "R-SCH-2"
    assert page["next_review"]["sentence"] == sentence
    assert f"Why: R-SCH-2: {sentence}" in text
    assert explained["review"]["sentence"] == sentence
    # The step's words (a stored item) and the event's (built as the list is read).
    want = f"{label}: second review on 2026-09-10"
    assert items["invitations"]["detail"] == want
    step = next(s for s in page["open_steps"] if s["step"] == "invitations")
    assert step["detail"] == want
    data = second.json("explain", "C001", "--on", "2026-06-19", today="2026-06-19")
    [invitations] = [x for x in data["deadlines"] if x["kind"] == "invitations"]
    assert invitations["detail"] == want
    event = "IRO to decide whether the new contact plan of 2026-06-19 needs a review; event 1"
    assert items["event"]["detail"] == event
    assert page["undecided_events"][0]["detail"] == event
    assert explained["event"]["detail"] == event
    assert derived_drift(second.db) == {}


def test_the_rule_books_sentences_are_the_codes():
    """docs/rules.md lists each rule's sentence and each step's words as the code has them
    (regenerate with `make rules-doc`)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "rules_sentences.py"
    spec = importlib.util.spec_from_file_location("rules_sentences", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.DOC.read_text(encoding="utf-8")
    assert module.section() in text, "docs/rules.md is stale: run 'make rules-doc'"
    for rule, sentence in wording.SENTENCES.items():
        assert f"| {rule} | {sentence} |" in text
