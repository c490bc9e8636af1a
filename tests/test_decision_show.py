"""`decision show`: a page an admin reads at 80 columns (and wider), the JSON unchanged.

Review 1 of C001 Amy Ash was held on Thu 18 Jun 2026 with two decisions (see
test_letters.held): 1, contact with Amy's mother, due 10 Jul; 2, the Personal Education
Plan, starred, due 17 Jul. Starred decisions go to the managers within 72 hours (R-POST-7):
from Thu 18 Jun, by Sun 21 Jun."""

from __future__ import annotations

import re

import pytest

from reviewcli.output import cell_len
from test_letters import case, held  # noqa: F401  (fixtures)

REASON = "Waiting for the [bold]CAMHS[/bold] appointment, which the clinic has moved twice"
KEYS = [
    "id", "review_id", "child_id", "text", "owner", "due", "starred", "star_category",
    "status", "done_on", "cancel_reason", "forward_due", "forwarded_on", "name", "iro",
    "overdue", "history",
]  # fmt: skip


@pytest.fixture
def edited(held):  # noqa: F811
    held.ok("decision", "edit", "2", "--due", "2026-08-14", "--reason", REASON,
            today="2026-06-19")  # fmt: skip
    return held


def test_json_keeps_its_keys(edited):
    data = edited.json("decision", "show", "2", today="2026-06-20")
    assert list(data) == KEYS
    assert [(h["action"], h["old_due"], h["new_due"]) for h in data["history"]] == [
        ("add", None, "2026-07-17"),
        ("edit", "2026-07-17", "2026-08-14"),
    ]


@pytest.mark.parametrize("width", [80, 100, 160])
def test_page_fits_the_terminal_and_splits_no_value(edited, width):
    text = edited.ok("decision", "show", "2", today="2026-06-20",
                     env={"COLUMNS": str(width)}).stdout  # fmt: skip
    lines = text.splitlines()
    assert all(cell_len(line) <= width for line in lines), text
    assert lines[0] == "Decision 2"
    assert "Child:     C001 Amy Ash (IRO IRO2)" in lines
    assert "Decision:  Update the Personal Education Plan" in lines
    assert "Owner:     Designated teacher" in lines
    assert "Due:       2026-08-14" in lines
    assert "Status:    open" in lines
    assert "Forwarded: not yet: to the managers by 2026-06-21 (R-POST-7)" in lines
    # every date whole on one line; the history's dates in their columns
    assert len(re.findall(r"\b2026-07-17\b", text)) == 2  # added with it; before the edit
    assert len(re.findall(r"\b2026-08-14\b", text)) == 2  # the due date; after the edit
    # the reason wraps at word boundaries, shown as typed (not read as Rich markup)
    words = " ".join(line.split("│")[5].strip() for line in lines if line.count("│") == 6).split()
    assert " ".join(words) == REASON


def test_overdue_done_and_forwarded(held):  # noqa: F811
    text = held.ok("decision", "show", "1", today="2026-07-13").stdout
    assert "Status:    open, overdue since 2026-07-10" in text.splitlines()
    assert "Forwarded" not in text  # not starred
    held.ok("decision", "forward", "2", "--date", "2026-06-19", today="2026-07-20")
    held.ok("decision", "done", "2", "--date", "2026-07-15", today="2026-07-20")
    lines = held.ok("decision", "show", "2", today="2026-07-20").stdout.splitlines()
    assert "Status:    done on 2026-07-15" in lines
    assert "Forwarded: to the managers on 2026-06-19 (R-POST-7: by 2026-06-21)" in lines


def test_unknown_decision_is_refused(held):  # noqa: F811
    assert held.refused("decision", "show", "99").startswith("Error: ")
