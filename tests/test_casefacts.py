"""Recording what the annual report counts (IRO Handbook 7.11): parents' participation,
the IRO's contacts between reviews, dispute themes and results, why an IRO changed, and
placements out of the authority's area. Today is Wed 1 July 2026 (conftest)."""

from __future__ import annotations

import pytest

from reviewcli.store import open_store


@pytest.fixture
def held(run):
    run.ok("init")
    run.ok("iro", "add", "Jane Smith", "--id", "IRO1")
    run.ok("iro", "add", "Kim Lee", "--id", "IRO2")
    run.ok(
        "child", "add", "C1", "--first-name", "Ana", "--last-name", "Bell", "--dob", "2014-02-02"
    )
    run.ok("episode", "start", "C1", "--date", "2026-05-01", "--legal-status", "C2")
    run.ok("allocate", "C1", "IRO1", "--date", "2026-05-04")
    run.ok("review", "schedule", "C1", "--date", "2026-05-27", today="2026-05-05")
    return run


def test_parents_participation_with_hold_and_afterwards(held):
    out = held.json(
        "review", "hold", "1", "--participation", "PN1", "--parents", "Attended", today="2026-05-27"
    )
    assert out["parent_participation"] == "attended"
    line = held.line("review", "parents", "1", "contributed")
    assert line == (
        "Review 1: parents' participation recorded as contributed (no parent attended; their "
        "views were given (consultation form, IRO or social worker))."
    )
    with open_store(held.db) as s:
        assert s.value("SELECT parent_participation FROM reviews WHERE id = 1") == "contributed"


def test_parents_participation_refusals(held):
    assert "use one of: attended, contributed, declined, not-invited, not-applicable" in (
        held.refused("review", "hold", "1", "--parents", "maybe", today="2026-05-27")
    )
    # Only a held review: the booking stays as it was.
    assert "review 1 is booked" in held.refused("review", "parents", "1", "attended")
    assert "no review with id 99" in held.refused("review", "parents", "99", "attended")


def test_iro_contacts_between_reviews(held):
    out = held.json("iro", "contact", "C1", "--kind", "visit", "--date", "2026-06-10")
    assert out == {
        "id": 1,
        "child_id": "C1",
        "iro_id": "IRO1",  # the child's IRO that day
        "kind": "visit",
        "on_date": "2026-06-10",
        "note": None,
    }
    held.ok("iro", "contact", "C1", "--kind", "midway-review", "--iro", "IRO2", "--note", "<ok>")
    rows = held.json("iro", "contacts", "--child", "C1")
    assert [(r["kind"], r["iro_id"], r["on_date"]) for r in rows] == [
        ("visit", "IRO1", "2026-06-10"),
        ("midway-review", "IRO2", "2026-07-01"),
    ]
    assert held.json("iro", "contacts", "--from", "2026-06-11") == rows[1:]


def test_iro_contacts_filters_fail_loudly(held):
    """A mistyped child or IRO is an error naming the close matches, never an empty list
    or a contact recorded against nobody; case does not matter."""
    held.ok("iro", "contact", "C1", "--kind", "call", "--iro", "kim lee", "--date", "2026-06-10")
    held.ok("iro", "contact", "C1", "--kind", "visit", "--iro", "iro2", "--date", "2026-06-11")
    rows = held.json("iro", "contacts", "--child", "c1")
    assert [(r["child_id"], r["iro_id"]) for r in rows] == [("C1", "IRO2"), ("C1", "IRO2")]
    message = held.refused("iro", "contacts", "--child", "C9")
    assert message.startswith("Error: no child with id 'C9'")
    message = held.refused("iro", "contact", "C1", "--kind", "visit", "--iro", "IRO3")
    assert message.startswith("Error: no IRO 'IRO3' (did you mean")
    assert "IROs: IRO1, IRO2" in message
    text = held.ok("iro", "contacts", "--child", "C1", "--from", "2026-06-20").stdout
    assert text == "No contacts recorded for child C1, from 2026-06-20.\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "phone"], "use one of: visit, call, midway-review"),
        (["--kind", "visit", "--date", "2026-07-02"], "in the future"),
        (["--kind", "visit", "--date", "2026-04-30"], "C1 was not looked after on 2026-04-30"),
        (["--kind", "visit", "--date", "2026-05-02"], "C1 had no IRO on 2026-05-02"),
        (["--kind", "visit", "--iro", "IRO9"], "IRO9"),
    ],
)
def test_iro_contact_refusals(held, args, message):
    assert message in held.refused("iro", "contact", "C1", *args)


def test_dispute_theme_and_result(held):
    out = held.json("dispute", "open", "C1", "--issue", "No PEP", "--theme", "education")
    assert out["theme"] == "education"
    assert "use one of: care-planning" in held.refused(
        "dispute", "open", "C1", "--issue", "x", "--theme", "school"
    )
    assert held.json("dispute", "theme", "1", "Care planning")["theme"] == "care-planning"
    assert "use one of: resolved, partly-resolved" in held.refused(
        "dispute", "resolve", "1", "--outcome", "done", "--result", "fine"
    )
    out = held.json("dispute", "resolve", "1", "--outcome", "PEP done", "--result", "resolved")
    assert (out["result"], out["status"]) == ("resolved", "resolved")


def test_change_of_iro_with_a_reason(held):
    out = held.json("allocate", "C1", "IRO2", "--date", "2026-06-01", "--change-reason", "iro-left")
    assert (out["previous_iro"], out["change_reason"]) == ("IRO1", "iro-left")
    assert "use one of: iro-left" in held.refused(
        "allocate", "C1", "IRO1", "--change-reason", "bored"
    )
    held.ok("child", "add", "C2", "--first-name", "Bo", "--last-name", "Dee", "--dob", "2015-01-01")
    held.ok("episode", "start", "C2", "--date", "2026-06-01")
    assert "C2 has no IRO now" in held.refused(
        "allocate", "C2", "IRO1", "--change-reason", "caseload"
    )


def test_out_of_area_placement(held):
    line = held.line("episode", "area", "C1", "--out-of-area")
    assert line == "C1: the placement from 2026-05-01 is outside the authority's area."
    out = held.json("episode", "area", "C1", "--in-area")
    assert out == {"id": 1, "child_id": "C1", "episode_start": "2026-05-01", "out_of_area": False}
    assert "C9" in held.refused("episode", "area", "C9", "--in-area")
