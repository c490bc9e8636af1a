"""Contacts and review invitation lists: ``contact add/list/edit/remove``, ``review invitees``.

The ``world`` fixture: C001 Amy Ash, born 2015-03-02 (11 in 2026), looked after from
Fri 22 May 2026, IRO1 Jane Smith named on 26 May. "Today" is Wed 1 July 2026.
"""

from __future__ import annotations

import sqlite3

import pytest

from reviewcli.contacts import ROLES


@pytest.fixture
def booked(world):
    """C001's first review booked for Thu 18 Jun 2026 (review 1), with three contacts:
    1 Mary Ash (parent), 2 Pat Carer (carer), 3 Ms Teach (designated teacher)."""
    world.ok(
        "contact", "add", "C001", "Mary Ash", "--role", "parent", "--address", "1 High St; Town"
    )
    world.ok("contact", "add", "C001", "Ms Teach", "--role", "designated-teacher")
    world.ok("contact", "add", "C001", "Pat Carer", "--role", "carer")
    world.ok(
        "review", "schedule", "C001", "--date", "2026-06-18", "--time", "16:00", today="2026-06-01"
    )
    return world


def invited(run, review="1"):
    return [(r["contact_id"], r["role"]) for r in run.json("review", "invitees", review)]


def db_rows(run, sql, params=()):
    conn = sqlite3.connect(run.db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


# --- contact add ---------------------------------------------------------------------------


def test_contact_add_prints_one_line(world):
    line = world.line("contact", "add", "C001", "Mary Ash", "--role", "parent")
    assert line == "Added contact 1 for C001: Mary Ash (parent)."


def test_contact_add_json_is_the_contact(world):
    out = world.json(
        "contact",
        "add",
        "C001",
        "Mary Ash",
        "--role",
        "parent",
        "--address",
        "1 High St; Town",
        "--email",
        "mary@example.org",
        "--phone",
        "+44 (0)1234 567890",
        "--language",
        "Polish",
        "--format-notes",
        "large print",
        "--no-full-record",
        "--notes",
        "supervised contact only",
    )
    assert out["id"] == 1
    assert (out["child_id"], out["name"], out["role"]) == ("C001", "Mary Ash", "parent")
    assert out["address"] == "1 High St; Town"
    assert out["email"] == "mary@example.org"
    assert out["phone"] == "+44 (0)1234 567890"
    assert (out["language"], out["format_notes"]) == ("Polish", "large print")
    assert out["no_full_record"] is True
    assert out["notes"] == "supervised contact only"
    assert out["active"] is True


def test_every_role_of_the_issue_is_known():
    assert list(ROLES) == [
        "child",
        "parent",
        "parental-responsibility",
        "carer",
        "supervising-social-worker",
        "link-worker",
        "designated-teacher",
        "personal-adviser",
        "independent-visitor",
        "interpreter",
        "health",
        "virtual-school",
        "other",
    ]


def test_unknown_role_is_refused_with_the_list(world):
    message = world.refused("contact", "add", "C001", "Mary Ash", "--role", "mum")
    assert "unknown role 'mum'" in message
    assert "parental-responsibility" in message and "virtual-school" in message


def test_personal_adviser_is_refused_for_a_child_under_16(world):
    # Coventry LAR §5: a Personal Adviser if the child is over 16. Amy is 11.
    message = world.refused("contact", "add", "C001", "Ann Adviser", "--role", "personal-adviser")
    assert message == "Error: C001 is 11: a personal adviser is for a young person of 16 or over"


def test_personal_adviser_from_the_16th_birthday(world, new_child):
    new_child("C016", "2010-07-02", start="2026-06-01", iro="IRO1")
    # 15 on Wed 1 July 2026, 16 the next day.
    assert "C016 is 15" in world.refused(
        "contact", "add", "C016", "Ann Adviser", "--role", "personal-adviser"
    )
    out = world.json(
        "contact", "add", "C016", "Ann Adviser", "--role", "personal-adviser", today="2026-07-02"
    )
    assert out["role"] == "personal-adviser"


def test_bad_email_and_phone_are_refused(world):
    assert "not an email address" in world.refused(
        "contact", "add", "C001", "X", "--role", "parent", "--email", "mary at example"
    )
    assert "not a phone number" in world.refused(
        "contact", "add", "C001", "X", "--role", "parent", "--phone", "call me"
    )


def test_unknown_child_and_empty_name_are_refused(world):
    assert "no child with id 'C999'" in world.refused(
        "contact", "add", "C999", "X", "--role", "parent"
    )
    assert "name must not be empty" in world.refused(
        "contact", "add", "C001", "  ", "--role", "parent"
    )


def test_only_one_set_of_the_childs_own_details(world):
    world.ok("contact", "add", "C001", "Amy Ash", "--role", "child", "--email", "amy@example.org")
    message = world.refused("contact", "add", "C001", "Amy Ash", "--role", "child")
    assert "already has their own contact details (contact 1)" in message


# --- contact list, edit, remove ----------------------------------------------------------------


def test_contact_list_in_role_order_and_by_child(booked, new_child):
    new_child("C002", "2012-01-01", start="2026-06-01", iro="IRO1")
    booked.ok("contact", "add", "C002", "Other Parent", "--role", "parent")
    rows = booked.json("contact", "list", "--child", "C001")
    assert [(r["id"], r["role"]) for r in rows] == [
        (1, "parent"),
        (3, "carer"),
        (2, "designated-teacher"),
    ]
    assert len(booked.json("contact", "list")) == 4
    table = booked.ok("contact", "list", "--child", "C001").stdout
    assert "Mary Ash" in table and "Pat Carer" in table
    assert "no child with id 'C404'" in booked.refused("contact", "list", "--child", "C404")


def test_contact_edit_changes_and_clears_fields(booked):
    line = booked.line(
        "contact", "edit", "1", "--email", "mary@example.org", "--address", "", "--no-full-record"
    )
    assert line == "Contact 1: changed address, email, no-full-record."
    row = booked.json("contact", "list", "--child", "C001")[0]
    assert row["email"] == "mary@example.org"
    assert row["address"] is None
    assert row["no_full_record"] is True
    booked.ok("contact", "edit", "1", "--full-record")
    assert booked.json("contact", "list", "--child", "C001")[0]["no_full_record"] is False


def test_contact_edit_refusals(booked):
    assert "nothing to change for contact 1" in booked.refused(
        "contact", "edit", "1", "--name", "Mary Ash"
    )
    assert "personal adviser is for a young person of 16 or over" in booked.refused(
        "contact", "edit", "1", "--role", "personal-adviser"
    )
    assert "no contact with id 99" in booked.refused("contact", "edit", "99", "--name", "X")


def test_contact_remove_marks_inactive_and_never_deletes(booked):
    line = booked.line("contact", "remove", "3")
    assert line == "Contact 3 (Pat Carer) marked inactive; kept on record, no longer invited."
    assert [r["id"] for r in booked.json("contact", "list", "--child", "C001")] == [1, 2]
    everyone = booked.json("contact", "list", "--child", "C001", "--all")
    assert [(r["id"], r["active"]) for r in everyone] == [(1, True), (3, False), (2, True)]
    assert db_rows(booked, "SELECT active FROM contacts WHERE id = 3") == [{"active": 0}]
    assert "already inactive" in booked.refused("contact", "remove", "3")
    assert "no longer active" in booked.refused("contact", "edit", "3", "--name", "P. Carer")


# --- review invitees -------------------------------------------------------------------------


def test_invitation_list_defaults_to_the_child_and_active_contacts(booked):
    rows = booked.json("review", "invitees", "1")
    assert [(r["number"], r["contact_id"], r["role"], r["audience"]) for r in rows] == [
        (1, None, "child", "child"),
        (2, 1, "parent", "family"),
        (3, 3, "carer", "family"),
        (4, 2, "designated-teacher", "professional"),
    ]
    assert rows[0]["name"] == "Amy Ash"
    # Nothing is stored until the list departs from the default.
    assert db_rows(booked, "SELECT * FROM review_invitees") == []


def test_a_contact_added_after_booking_is_invited(booked):
    booked.ok("contact", "add", "C001", "Ivy Visitor", "--role", "independent-visitor")
    assert (4, "independent-visitor") in invited(booked)


def test_remove_and_add_back(booked):
    line = booked.line("review", "invitees", "1", "--remove", "2")
    assert line == "Review 1 invitations: removed 2 (3 invited)."
    assert invited(booked) == [(None, "child"), (1, "parent"), (3, "carer")]
    assert "contact 2 (Ms Teach) is not on the list" in booked.refused(
        "review", "invitees", "1", "--remove", "2"
    )
    line = booked.line("review", "invitees", "1", "--add", "2")
    assert line == "Review 1 invitations: added 2 (4 invited)."
    assert "contact 2 (Ms Teach) is already invited" in booked.refused(
        "review", "invitees", "1", "--add", "2"
    )


def test_inactive_contacts_drop_off_and_cannot_be_added(booked):
    booked.ok("contact", "remove", "3")
    assert invited(booked) == [(None, "child"), (1, "parent"), (2, "designated-teacher")]
    assert "contact 3 (Pat Carer) is no longer active" in booked.refused(
        "review", "invitees", "1", "--add", "3"
    )


def test_the_child_is_always_invited(booked):
    message = booked.refused("review", "invitees", "1", "--remove", "child")
    assert "the child is always invited" in message
    assert "the child is always invited" in booked.refused(
        "review", "invitees", "1", "--add", "child"
    )


def test_child_wishes_are_kept_on_the_childs_row(booked):
    line = booked.line(
        "review", "invitees", "1", "--child-wishes", "I want Nan there; meet at school"
    )
    assert line == "Review 1 invitations: child's wishes recorded (4 invited)."
    rows = db_rows(booked, "SELECT contact_id, child_id, wishes, invited FROM review_invitees")
    assert rows == [
        {
            "contact_id": None,
            "child_id": "C001",
            "wishes": "I want Nan there; meet at school",
            "invited": 1,
        }
    ]
    assert booked.json("review", "invitees", "1")[0]["wishes"] == (
        "I want Nan there; meet at school"
    )
    booked.ok("review", "invitees", "1", "--child-wishes", "")
    assert booked.json("review", "invitees", "1")[0]["wishes"] is None
    assert len(db_rows(booked, "SELECT * FROM review_invitees")) == 1


def test_another_childs_contact_is_refused(booked, new_child):
    new_child("C002", "2012-01-01", start="2026-06-01", iro="IRO1")
    booked.ok("contact", "add", "C002", "Other Parent", "--role", "parent")
    message = booked.refused("review", "invitees", "1", "--add", "4")
    assert message == "Error: contact 4 belongs to C002, not C001"


def test_one_bad_change_changes_nothing(booked):
    # --remove 2 is fine, --add 99 is not: neither lands (validate, then write).
    assert "no contact with id 99" in booked.refused(
        "review", "invitees", "1", "--remove", "2", "--add", "99"
    )
    assert len(invited(booked)) == 4


def test_invitees_listing_formats(booked):
    table = booked.ok("review", "invitees", "1").stdout
    assert "Amy Ash" in table and "Ms Teach" in table
    csv_text = booked.ok("review", "invitees", "1", "--format", "csv").stdout
    header = csv_text.splitlines()[0].split(",")
    assert {"contact_id", "name", "role"} <= set(header)
    assert len(csv_text.splitlines()) == 5
    assert "no review with id 9" in booked.refused("review", "invitees", "9")
