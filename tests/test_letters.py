"""Letters: invitations (R-PRE-2), consultation cover notes, the IRO's introduction (IRO
Handbook 7.2) and decisions letters (the authority's procedure), from the Jinja templates.

Golden files under tests/golden/ hold the exact letters of one hand-built case; after an
intended change to a template, regenerate them with ``make golden`` and read the diff.

The ``world`` fixture: C001 Amy Ash, born 2015-03-02, looked after from Fri 22 May 2026.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from reviewcli import decisions, letters, records
from reviewcli.store import open_store
from reviewcli.templating import packaged_dir

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("REVIEWCLI_UPDATE_GOLDEN") == "1"

SETTINGS = {
    "authority-name": "Northshire County Council",
    "authority-address": "County Hall; Market Street; Northtown NT1 1AA",
    "iro-service-phone": "01632 960000",
    "iro-service-email": "iru@northshire.example.gov.uk",
    "advocacy-service": "Northshire Children's Advocacy, 0800 000 0000",
    "complaints-contact": "Complaints Team, 01632 960001, complaints@northshire.example.gov.uk",
}
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME, or rewrite it under REVIEWCLI_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return
    assert path.exists(), f"no golden file {name}: run 'make golden'"
    with open(path, encoding="utf-8", newline="") as f:
        expected = f.read()
    assert text == expected, (
        f"{name} differs from its golden file; if the change is intended, run 'make golden' "
        "and review the diff"
    )


def email_parts(path: Path) -> tuple[str, str]:
    """The text and the HTML of an .eml message."""
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


@pytest.fixture
def case(world):
    """C001's first review booked for Thu 18 Jun 2026 at 16:00, letters written on Mon 1 Jun.

    IRO2 Kim Lee (with phone and email) is C001's IRO from 1 Jun. Contacts: 1 Mary Ash
    (parent), 2 Pat and Chris Jones (carers, where Amy lives), 3 Ms Rita Patel (designated
    teacher, email only).
    """
    for key, value in SETTINGS.items():
        world.ok("policy", "set", key, value)
    world.ok(
        "iro",
        "add",
        "Kim Lee",
        "--id",
        "IRO2",
        "--email",
        "kim.lee@northshire.example.gov.uk",
        "--phone",
        "01632 960123",
    )
    world.ok("allocate", "C001", "IRO2", "--date", "2026-06-01", today="2026-06-01")
    world.ok(
        "contact",
        "add",
        "C001",
        "Mary Ash",
        "--role",
        "parent",
        "--address",
        "1 High Street; Northtown NT2 2BB",
    )
    world.ok(
        "contact",
        "add",
        "C001",
        "Pat and Chris Jones",
        "--role",
        "carer",
        "--address",
        "2 Low Road; Northtown NT3 3CC",
    )
    world.ok(
        "contact",
        "add",
        "C001",
        "Ms Rita Patel",
        "--role",
        "designated-teacher",
        "--email",
        "r.patel@school.example.org",
    )
    world.ok(
        "review",
        "schedule",
        "C001",
        "--date",
        "2026-06-18",
        "--time",
        "16:00",
        "--venue",
        "Northtown Family Centre, Room 2",
        today="2026-06-01",
    )
    return world


@pytest.fixture
def held(case):
    """Review 1 held on 18 Jun 2026; Amy did not attend but briefed an advocate (PN5).
    Mary Ash is flagged no_full_record. Two decisions, one starred."""
    case.ok("contact", "edit", "1", "--no-full-record")
    case.ok("review", "hold", "1", "--participation", "PN5", today="2026-06-18")
    case.ok(
        "decision",
        "add",
        "1",
        "Arrange fortnightly contact with Amy's mother at the family centre",
        "--owner",
        "Social worker",
        "--due",
        "2026-07-10",
        today="2026-06-18",
    )
    case.ok(
        "decision",
        "add",
        "1",
        "Update the Personal Education Plan",
        "--owner",
        "Designated teacher",
        "--due",
        "2026-07-17",
        "--starred",
        today="2026-06-18",
    )
    return case


# --- golden letters ------------------------------------------------------------------------------


def test_invitations_golden_html(case, tmp_path):
    out = tmp_path / "letters"
    line = case.line("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    assert line == f"Wrote 3 invitation letters and 1 email message for review 1 to {out}."
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "review-1_C001_invitation_01-child.html",
        "review-1_C001_invitation_02-parent.html",
        "review-1_C001_invitation_03-carer.html",
        # Ms Patel has an email address and no postal address: a message, not a letter.
        "review-1_C001_invitation_04-designated-teacher.eml",
    ]
    for name in names[:3]:
        assert_golden(name, read(out / name))
    text, html = email_parts(out / names[3])
    assert_golden("review-1_C001_invitation_04-designated-teacher.eml.txt", text)
    assert_golden("review-1_C001_invitation_04-designated-teacher.eml.html", html)


def test_invitations_golden_txt(case, tmp_path):
    out = tmp_path / "letters"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-01")
    for name in ("01-child", "02-parent"):
        file = f"review-1_C001_invitation_{name}.txt"
        assert_golden(file, read(out / file))


def test_intro_golden(case, tmp_path):
    out = tmp_path / "intro"
    line = case.line("letters", "intro", "C001", "--out", str(out), today="2026-06-01")
    assert line == f"Wrote the IRO introduction for C001 to {out / 'C001_iro-introduction.html'}."
    assert_golden("C001_iro-introduction.html", read(out / "C001_iro-introduction.html"))
    case.ok("letters", "intro", "C001", "--out", str(out), "--format", "txt", today="2026-06-01")
    assert_golden("C001_iro-introduction.txt", read(out / "C001_iro-introduction.txt"))


def test_decisions_golden(held, tmp_path):
    out = tmp_path / "decisions"
    line = held.line(
        "letters", "decisions", "1", "--out", str(out), "--absent", "2", today="2026-06-19"
    )
    assert line == f"Wrote 3 decisions letters for review 1 to {out}."
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "review-1_C001_decisions_01-child.html",  # PN5: did not attend
        "review-1_C001_decisions_02-parent.html",  # no_full_record
        "review-1_C001_decisions_03-carer.html",  # --absent 2
    ]
    for name in names:
        assert_golden(name, read(out / name))
    held.ok(
        "letters",
        "decisions",
        "1",
        "--out",
        str(out),
        "--absent",
        "2",
        "--format",
        "txt",
        today="2026-06-19",
    )
    assert_golden(
        "review-1_C001_decisions_03-carer.txt", read(out / "review-1_C001_decisions_03-carer.txt")
    )


# --- what the letters say -------------------------------------------------------------------------


def test_invitation_gives_date_time_venue_iro_return_date_and_rights(case, tmp_path):
    out = tmp_path / "letters"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-01")
    for file in out.glob("*.txt"):
        text = " ".join(read(file).split())
        assert "Thursday 18 June 2026" in text
        assert "4pm" in text
        assert "Northtown Family Centre, Room 2" in text
        assert "Kim Lee" in text and "kim.lee@northshire.example.gov.uk" in text
        # Consultation papers back 3 working days before the meeting: Mon 15 June 2026.
        assert "Monday 15 June 2026" in text and "3 working days before the meeting" in text
        # Rights (IRO Handbook 2.12): advocacy, the IRO separately, supporter or interpreter,
        # complaints.
        assert "Northshire Children's Advocacy, 0800 000 0000" in text
        assert "separately" in text or "on your own" in text
        assert "supporter" in text or "someone you trust to support you" in text
        assert "interpreter" in text
        assert "complain" in text and "Complaints Team, 01632 960001" in text
        assert "\f" in read(file)  # the consultation cover note follows on a new page


def test_return_date_counts_working_days_back(tmp_path):
    with open_store(tmp_path / "r.db", create=True) as s:
        # Meeting Tue 26 May 2026; Mon 25 May is the Spring bank holiday: Fri 22, Thu 21,
        # Wed 20 → Wed 20 May 2026.
        assert letters.return_date(s, date(2026, 5, 26)) == date(2026, 5, 20)
        records.set_policy(s, "consultation-return-days", "5")
        s.forget_policy()
        assert letters.return_date(s, date(2026, 5, 26)) == date(2026, 5, 18)


def test_child_letter_is_worded_for_their_age(case, tmp_path):
    out = tmp_path / "letters"
    case.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    child = read(out / "review-1_C001_invitation_01-child.html")
    parent = read(out / "review-1_C001_invitation_02-parent.html")
    teacher = email_parts(out / "review-1_C001_invitation_04-designated-teacher.eml")[1]
    assert "Dear Amy," in child and "My job is to make sure the plans for you" in child
    assert "Dear Mary Ash," in parent and "Invitation to Amy’s review" in parent
    assert "as designated teacher" in teacher and "date of birth Monday 2 March 2015" in teacher
    # Amy lives with her carers: her letter goes care of them.
    assert "c/o Pat and Chris Jones" in child and "2 Low Road" in child


def test_file_names_carry_no_personal_names(case, tmp_path):
    out = tmp_path / "letters"
    case.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    for file in out.glob("*.txt"):
        assert re.fullmatch(r"review-1_C001_invitation_\d\d-[a-z-]+\.(html|eml)", file.name)
        for name in ("Amy", "Ash", "Mary", "Jones", "Patel"):
            assert name not in file.name
        assert file.stat().st_mode & 0o777 == 0o600


def test_combined_file_has_a_page_break_between_letters(case, tmp_path):
    out = tmp_path / "print"
    line = case.line("letters", "invite", "1", "--out", str(out), "--combined", today="2026-06-01")
    assert line == (
        f"Wrote 3 invitation letters and 1 email message for review 1 to "
        f"{out / 'review-1_invitations.html'}."
    )
    html = read(out / "review-1_invitations.html")
    assert html.count('<section class="letter') == 9  # 3 invitations, cover notes, forms
    assert "break-after: page" in html and "size: A4;" in html


def test_logo_is_embedded_as_a_data_uri(case, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    case.ok("policy", "set", "authority-logo", str(logo))
    out = tmp_path / "letters"
    case.ok("letters", "intro", "C001", "--out", str(out), today="2026-06-01")
    html = read(out / "C001_iro-introduction.html")
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "not a file" in case.refused("policy", "set", "authority-logo", str(tmp_path / "no.png"))
    assert "use an image file" in case.refused(
        "policy", "set", "authority-logo", str(tmp_path / "letters")
    )


def test_no_full_record_contacts_get_decisions_never_the_full_record(held, tmp_path):
    out = tmp_path / "decisions"
    held.ok("letters", "decisions", "1", "--out", str(out), "--absent", "2", today="2026-06-19")
    parent = read(out / "review-1_C001_decisions_02-parent.html")
    carer = read(out / "review-1_C001_decisions_03-carer.html")
    assert "Update the Personal Education Plan" in parent
    assert "full record" not in parent.lower()
    # R-POST-6: the record is distributed within 20 working days of 18 June: 16 July.
    assert "The full record of the review will be sent to you by Thursday 16 July 2026" in carer
    # Mary Ash attended, so her letter does not say she could not.
    assert "You were not able to attend" not in parent
    assert "You were not able to attend" in carer


def test_decisions_letters_need_someone_to_write_to(case, tmp_path):
    case.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    assert "no decisions recorded for review 1" in case.refused(
        "letters", "decisions", "1", "--out", str(tmp_path / "d"), today="2026-06-19"
    )
    case.ok(
        "decision",
        "add",
        "1",
        "Keep going",
        "--owner",
        "SW",
        "--due",
        "2026-07-01",
        today="2026-06-18",
    )
    message = case.refused(
        "letters", "decisions", "1", "--out", str(tmp_path / "d"), today="2026-06-19"
    )
    assert "nobody to write to for review 1" in message and "--absent" in message
    assert "was not invited" not in message
    assert not (tmp_path / "d").exists()


def test_invitations_due_are_found_among_open_steps_only(case):
    """letters due reads the index of open steps by date, never every invitation ever sent
    (the index of all steps by kind: 2 s at 100,000 children)."""
    with open_store(case.db) as s:
        sql: list[str] = []
        s.conn.set_trace_callback(sql.append)
        found = letters.due_invitations(s, date(2026, 6, 1), 30)
        s.conn.set_trace_callback(None)
        assert [(r["review_id"], r["child_id"], r["booked_date"]) for r in found] == [
            (1, "C001", "2026-06-18")
        ]
        plans = [
            " / ".join(r[3] for r in s.conn.execute("EXPLAIN QUERY PLAN " + q))
            for q in sql
            if "review_steps" in q
        ]
        assert plans and all("review_steps_open_tasks" in p for p in plans), plans


def test_invitations_need_a_named_iro(world, tmp_path, new_child):
    world.ok(
        "child",
        "add",
        "C009",
        "--first-name",
        "No",
        "--last-name",
        "Iro",
        "--dob",
        "2014-01-01",
        today="2026-06-01",
    )
    world.ok("episode", "start", "C009", "--date", "2026-06-01", today="2026-06-01")
    world.ok("contact", "add", "C009", "Parent", "--role", "parent")
    world.ok("review", "schedule", "C009", "--date", "2026-06-26", today="2026-06-01")
    message = world.refused(
        "letters", "invite", "1", "--out", str(tmp_path / "x"), today="2026-06-01"
    )
    assert "C009 has no named IRO" in message and "R-IRO-2" in message


def test_no_letter_for_a_child_under_4(world, new_child, tmp_path):
    new_child("C003", "2024-01-01", start="2026-06-01", iro="IRO1")
    world.ok("contact", "add", "C003", "Foster Carer", "--role", "carer", "--address", "1 Road")
    world.ok("review", "schedule", "C003", "--date", "2026-06-26", today="2026-06-01")
    result = world.ok("letters", "invite", "1", "--out", str(tmp_path / "x"), today="2026-06-01")
    assert [p.name for p in (tmp_path / "x").iterdir()] == [
        "review-1_C003_invitation_02-carer.html"
    ]
    assert "C003 is under 4 on the day of the review" in result.stderr


# --- safety: escaping, templates -----------------------------------------------------------


def test_many_children_too_young_for_a_letter_are_named_in_one_line(capsys):
    from reviewcli.cli.letters import _warn_all

    young = [f"C{n:03} {letters.TOO_YOUNG}" for n in range(1, 8)]
    _warn_all(["review 9 has no venue", *young])
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "Warning: review 9 has no venue",
        "Warning: 7 children are under 4 on the day of their review: no letter of their own "
        "(the carers' letters cover them): C001, C002, C003, C004, C005 and 2 more",
    ]
    _warn_all(young[:2])
    assert capsys.readouterr().err.splitlines() == [f"Warning: {m}" for m in young[:2]]


def test_hostile_names_never_appear_unescaped(world, tmp_path):
    world.ok(
        "child",
        "add",
        "C666",
        "--first-name",
        HOSTILE[1],
        "--last-name",
        HOSTILE[0],
        "--dob",
        "2012-01-01",
        "--social-worker",
        HOSTILE[0],
        today="2026-06-01",
    )
    world.ok("episode", "start", "C666", "--date", "2026-06-01", today="2026-06-01")
    world.ok("allocate", "C666", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    world.ok("contact", "add", "C666", HOSTILE[0], "--role", "parent", "--address", HOSTILE[1])
    world.ok("contact", "add", "C666", HOSTILE[1], "--role", "health", "--email", "h@nhs.example")
    world.ok("contact", "add", "C666", HOSTILE[0], "--role", "child", "--address", HOSTILE[0])
    world.ok(
        "review",
        "schedule",
        "C666",
        "--date",
        "2026-06-26",
        "--venue",
        HOSTILE[0],
        today="2026-06-01",
    )
    world.ok("review", "invitees", "1", "--child-wishes", HOSTILE[1])
    out = tmp_path / "letters"
    world.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    world.ok("letters", "intro", "C666", "--out", str(out), today="2026-06-01")
    files = list(out.iterdir())
    assert len(files) == 4
    for file in files:
        html = email_parts(file)[1] if file.suffix == ".eml" else read(file)
        assert "<script>" not in html
        assert "<img src=x" not in html and '"><img' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_template_override_from_a_folder(case, tmp_path):
    folder = tmp_path / "authority-templates"
    folder.mkdir()
    (folder / "invitation-family.html.j2").write_text(
        "<p>Northshire wording for {{ recipient.name }}: {{ review.date | long_date }}.</p>\n"
    )
    out = tmp_path / "letters"
    case.ok(
        "letters",
        "invite",
        "1",
        "--out",
        str(out),
        "--template-dir",
        str(folder),
        today="2026-06-01",
    )
    parent = read(out / "review-1_C001_invitation_02-parent.html")
    assert "<p>Northshire wording for Mary Ash: Thursday 18 June 2026.</p>" in parent
    assert "Invitation to Amy’s review" not in parent
    # The other letters fall back to the packaged templates.
    assert "Dear Amy," in read(out / "review-1_C001_invitation_01-child.html")
    # The template-dir setting does the same without the option.
    case.ok("policy", "set", "template-dir", str(folder))
    out2 = tmp_path / "letters2"
    case.ok("letters", "invite", "1", "--out", str(out2), today="2026-06-01")
    assert "Northshire wording" in read(out2 / "review-1_C001_invitation_03-carer.html")


def test_override_is_autoescaped_too(case, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "invitation-family.html.j2").write_text("<p>{{ wishes }}{{ recipient.name }}</p>")
    case.ok("contact", "add", "C001", HOSTILE[0], "--role", "other", "--address", HOSTILE[1])
    out = tmp_path / "letters"
    case.ok(
        "letters",
        "invite",
        "1",
        "--out",
        str(out),
        "--template-dir",
        str(folder),
        today="2026-06-01",
    )
    html = read(out / "review-1_C001_invitation_05-other.html")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_undefined_name_fails_loudly_and_writes_nothing(case, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "invitation-professional.html.j2").write_text(
        "<p>Dear {{ recipient.name }},</p>\n<p>{{ review.meeting_room }}</p>\n"
    )
    out = tmp_path / "letters"
    message = case.refused(
        "letters",
        "invite",
        "1",
        "--out",
        str(out),
        "--template-dir",
        str(folder),
        today="2026-06-01",
    )
    assert message.startswith("Error: template invitation-professional.html.j2 line 2:")
    assert "meeting_room" in message
    assert not out.exists()


def test_letters_are_staged_so_a_failure_leaves_the_folder_as_it_was(case, tmp_path):
    """Letters are written into a private staging folder and moved in at the end: a
    template error leaves an existing folder as it was, and success leaves no staging."""
    out = tmp_path / "letters"
    out.mkdir()
    (out / "earlier.html").write_text("an earlier letter")
    broken = tmp_path / "t"
    broken.mkdir()
    (broken / "invitation-professional.html.j2").write_text("{{ review.meeting_room }}\n")
    case.refused(
        "letters",
        "invite",
        "1",
        "--out",
        str(out),
        "--template-dir",
        str(broken),
        today="2026-06-01",
    )
    assert sorted(p.name for p in out.iterdir()) == ["earlier.html"]
    case.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    names = sorted(p.name for p in out.iterdir())
    assert "earlier.html" in names and len(names) > 1
    assert not [n for n in names if n.startswith(".")]
    assert all(oct((out / n).stat().st_mode & 0o777) == "0o600" for n in names[1:])


def test_template_syntax_error_names_the_file_and_line(case, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "letter.html.j2").write_text("<html>\n{% for x in letters %}\n</html>\n")
    message = case.refused(
        "letters", "intro", "C001", "--out", str(tmp_path / "o"), "--template-dir", str(folder)
    )
    assert message.startswith("Error: template letter.html.j2 line")


def test_missing_template_folder_is_refused(case, tmp_path):
    message = case.refused(
        "letters",
        "invite",
        "1",
        "--out",
        str(tmp_path / "o"),
        "--template-dir",
        str(tmp_path / "nope"),
        today="2026-06-01",
    )
    assert "does not exist" in message


# --- letters due (R-PRE-2) ---------------------------------------------------------------------


def test_letters_due_writes_what_is_due_and_marks_it_sent(case, tmp_path):
    # Review 1 on Thu 18 Jun: invitations by Thu 4 Jun 2026 (10 working days before).
    out = tmp_path / "due"
    line = case.line("letters", "due", "--on", "2026-05-29", "--out", str(out), today="2026-05-29")
    assert line == f"Wrote 0 invitation letters for 0 reviews to {out}."
    line = case.line("letters", "due", "--on", "2026-06-01", "--out", str(out), today="2026-06-01")
    assert line == f"Wrote 3 invitation letters and 1 email message for 1 review to {out}."
    steps = {r["step"]: r for r in case.json("review", "steps", "1")}
    assert steps["invitations"]["status"] == "open"
    line = case.line(
        "letters",
        "due",
        "--on",
        "2026-06-02",
        "--out",
        str(out),
        "--mark-sent",
        today="2026-06-02",
    )
    assert line == (
        f"Wrote 3 invitation letters and 1 email message for 1 review to {out}; invitations "
        "step done on 2026-06-02 (R-PRE-2)."
    )
    steps = {r["step"]: r for r in case.json("review", "steps", "1")}
    assert (steps["invitations"]["status"], steps["invitations"]["done_on"]) == (
        "done",
        "2026-06-02",
    )
    sent = {r["contact_id"]: r["letter_sent_on"] for r in case.json("review", "invitees", "1")}
    assert sent == {None: "2026-06-02", 1: "2026-06-02", 2: "2026-06-02", 3: "2026-06-02"}
    # Once sent, nothing is due any more.
    line = case.line("letters", "due", "--on", "2026-06-03", "--out", str(out), today="2026-06-03")
    assert line == f"Wrote 0 invitation letters for 0 reviews to {out}."


def test_letters_due_includes_overdue_ones(case, tmp_path):
    out = tmp_path / "due"
    line = case.line("letters", "due", "--on", "2026-06-10", "--out", str(out), today="2026-06-10")
    assert line == (
        f"Wrote 3 invitation letters and 1 email message for 1 review to {out} (1 late: see "
        "the warnings)."
    )


# --- never a wrong letter ----------------------------------------------------------------------


@pytest.mark.parametrize("on", ["2026-06-18", "2026-06-19", "2026-07-01"])
def test_no_invitation_for_a_meeting_today_or_past(case, tmp_path, on):
    out = tmp_path / "o"
    message = case.refused("letters", "invite", "1", "--out", str(out), today=on)
    assert "met on 2026-06-18" in message and "record the outcome first" in message
    assert "review hold 1" in message
    assert not out.exists()


def test_letters_due_lists_a_past_meeting_instead_of_writing_it(case, tmp_path):
    out = tmp_path / "due"
    result = case.ok("letters", "due", "--out", str(out), today="2026-06-22")
    assert result.stdout.strip() == (
        f"Wrote 0 invitation letters for 0 reviews to {out} (1 to record the outcome first: "
        "see the warnings)."
    )
    assert (
        "not written: review 1 (C001 review 1) met on 2026-06-18: record the outcome first"
        in result.stderr
    )
    assert not any(out.glob("*.html"))


def test_late_invitation_is_written_with_a_warning_and_the_real_dates(case, tmp_path):
    # Fri 12 Jun 2026 for Thu 18 Jun: 4 working days' notice (12, 15, 16, 17 Jun: the day of
    # sending counts, the meeting's does not, R-CAL-3), not 10;
    # R-PRE-2 wanted them by Thu 4 Jun. Papers back by Mon 15 Jun (3 working days before).
    out = tmp_path / "o"
    result = case.ok(
        "letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-12"
    )
    assert "is late: invitations written on 2026-06-12 give 4 working days' notice" in (
        result.stderr
    )
    assert "send by 2026-06-04" in result.stderr
    text = " ".join(read(out / "review-1_C001_invitation_02-parent.txt").split())
    assert "less than the ten working days' notice" in text
    assert "Monday 15 June 2026" in text and "Friday 12 June 2026" in text


def test_notice_written_on_a_saturday_counts_from_the_next_working_day(case, tmp_path):
    # Sat 13 Jun 2026 for Thu 18 Jun: 3 working days' notice (15, 16, 17 Jun); the weekend
    # day of writing is not one of them.
    out = tmp_path / "o"
    result = case.ok(
        "letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-13"
    )
    assert "give 3 working days' notice" in result.stderr


def test_return_by_is_never_before_the_letter_date(case, tmp_path):
    # Tue 16 Jun: 3 working days before the meeting (Mon 15 Jun) has passed: the papers are
    # asked for by the meeting itself, never by a day before the letter.
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-16")
    text = read(out / "review-1_C001_invitation_02-parent.txt").replace("\n", " ")
    assert "Monday 15 June" not in text
    assert "Thursday 18 June 2026, the day of the meeting" in text


def test_return_date_clamps_to_the_meeting_for_every_letter_day(case):
    from datetime import timedelta

    s = open_store(case.db)
    try:
        meeting = date(2026, 6, 18)
        for offset in range(0, 30):
            day = meeting - timedelta(days=offset + 1)
            returned = letters.return_date(s, meeting, day)
            assert day < returned <= meeting
    finally:
        s.close()


def test_letters_invite_mark_sent(case, tmp_path):
    case.ok(
        "letters", "invite", "1", "--out", str(tmp_path / "o"), "--mark-sent", today="2026-06-05"
    )
    step = {r["step"]: r for r in case.json("review", "steps", "1")}["invitations"]
    assert (step["status"], step["done_on"], step["late"]) == ("done", "2026-06-05", True)


def test_invitations_only_for_a_booked_review(held, tmp_path):
    assert "review 1 is held; invitations are for a booked review" in held.refused(
        "letters", "invite", "1", "--out", str(tmp_path / "o")
    )


# --- agenda prompts (DOMAIN.md §8) -----------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "prompts.db", create=True)
    records.add_iro(s, "IRO1", "Jane Smith")
    yield s
    s.close()


def _child(s, child_id, dob, start, *, legal_status="C2", placement="U6"):
    day = date.fromisoformat(start)
    records.add_child(s, child_id, first_name="Test", last_name=child_id, dob=dob, today=day)
    records.start_episode(
        s, child_id, on=day, today=day, legal_status=legal_status, placement=placement
    )
    records.allocate(s, child_id, "IRO1", on=day, today=day)


def _hold(s, child_id, on: str) -> int:
    day = date.fromisoformat(on)
    review = records.schedule_review(s, child_id, on=day, today=day).obj
    records.hold_review(s, review["id"], today=day, participation="PN1")
    return review["id"]


def _book(s, child_id, on: str) -> dict:
    day = date.fromisoformat(on)
    return records.schedule_review(s, child_id, on=day, today=day).obj


def _sources(s, review) -> list[str]:
    return [p["source"] for p in letters.agenda_prompts(s, records.get_review(s, review["id"]))]


def _staying_put(s, review) -> bool:
    prompts = letters.agenda_prompts(s, records.get_review(s, review["id"]))
    return any("Staying Put" in p["text"] for p in prompts)


def test_second_review_asks_for_the_permanence_plan(store):
    _child(store, "C1", "2014-01-01", "2026-01-05")
    first = _book(store, "C1", "2026-01-20")
    assert _sources(store, first) == []
    records.hold_review(store, first["id"], today=date(2026, 1, 20), participation="PN1")
    second = _book(store, "C1", "2026-04-10")
    assert _sources(store, second) == ["IRO Handbook 3.38"]
    records.hold_review(store, second["id"], today=date(2026, 4, 10), participation="PN1")
    third = _book(store, "C1", "2026-09-10")
    assert _sources(store, third) == ["local procedure"]
    records.hold_review(store, third["id"], today=date(2026, 9, 10), participation="PN1")
    assert _sources(store, _book(store, "C1", "2027-03-01")) == []


def test_staying_put_at_the_first_review_after_16_in_foster_care(store):
    _child(store, "C2", "2010-03-01", "2025-11-03", placement="U4")
    first = _book(store, "C2", "2025-11-25")  # aged 15
    assert not _staying_put(store, first)
    records.hold_review(store, first["id"], today=date(2025, 11, 25), participation="PN1")
    # 16 on Sun 1 March 2026, in a long-term foster placement (U4): consider Staying Put.
    second = _book(store, "C2", "2026-03-02")
    assert _staying_put(store, second)
    records.hold_review(
        store, second["id"], today=date(2026, 3, 2), participation="PN1", late_reason="illness"
    )
    # Only at the first review after the birthday.
    assert not _staying_put(store, _book(store, "C2", "2026-08-20"))


def test_staying_put_only_in_foster_care(store):
    _child(store, "C3", "2010-03-01", "2026-03-02", placement="K2")
    first = _book(store, "C3", "2026-03-20")
    assert "local procedure" not in _sources(store, first)


def test_adoption_still_the_plan_at_the_second_review_after_a_placement_order(store):
    _child(store, "C4", "2020-01-01", "2025-06-02", legal_status="C1")
    _hold(store, "C4", "2025-06-20")
    day = date(2025, 8, 1)
    records.change_episode(store, "C4", on=day, today=day, legal_status="E1")
    _hold(store, "C4", "2025-09-15")  # the first review after the placement order
    second_after = _book(store, "C4", "2026-01-15")
    assert "IRO Handbook 3.59" in _sources(store, second_after)
    # Placed for adoption before the review: the prompt no longer applies.
    day = date(2025, 12, 1)
    records.change_episode(store, "C4", on=day, today=day, placement="A5")
    assert "IRO Handbook 3.59" not in _sources(store, second_after)


def test_prompts_appear_in_the_letters(case, tmp_path):
    case.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    case.ok("review", "schedule", "C001", "--date", "2026-09-10", today="2026-07-01")
    out = tmp_path / "letters"
    case.ok("letters", "invite", "2", "--out", str(out), today="2026-08-20")
    parent = read(out / "review-2_C001_invitation_02-parent.html")
    child = read(out / "review-2_C001_invitation_01-child.html")
    assert "A permanence plan must be in place from this, the second review." in parent
    assert "IRO Handbook 3.38" in parent
    assert "the long-term plan for where you will grow up" in child


# --- the store is left as it was ---------------------------------------------------------------


def test_writing_letters_changes_nothing_without_mark_sent(case, tmp_path):
    def dump():
        conn = sqlite3.connect(case.db)
        try:
            return [
                line
                for line in conn.iterdump()
                if 'INSERT INTO "audit"' not in line and "_context" not in line
            ]
        finally:
            conn.close()

    before = dump()
    case.ok("letters", "invite", "1", "--out", str(tmp_path / "o"), today="2026-06-01")
    case.ok("letters", "intro", "C001", "--out", str(tmp_path / "o"), today="2026-06-01")
    assert dump() == before


def test_decision_rows_feed_the_letter(tmp_path):
    with open_store(tmp_path / "d.db", create=True) as s:
        records.add_iro(s, "IRO1", "Jane Smith")
        _child(s, "C5", "2014-01-01", "2026-01-05")
        review = _hold(s, "C5", "2026-01-20")
        decisions.add_decision(
            s, review, "See the dentist", owner="Carer", due="2026-02-20", today=date(2026, 1, 20)
        )
        d = decisions.add_decision(
            s, review, "Withdrawn", owner="SW", due="2026-02-20", today=date(2026, 1, 20)
        )
        decisions.cancel_decision(s, d.obj["id"], reason="entered twice", today=date(2026, 1, 21))
        docs, _ = letters.decisions_documents(s, review, today=date(2026, 1, 21), absent=["child"])
        assert [x["text"] for x in docs[0].letters[0]["decisions"]] == ["See the dentist"]


# --- words that belong to this authority -------------------------------------------------------

OTHER_COUNCILS = re.compile(r"Coventry|Walsall|West Sussex|Warrington|\bLAR\b")


def test_no_other_council_in_templates_help_or_letters(case, tmp_path):
    src = Path(letters.__file__).parent
    scanned = [*sorted(src.rglob("*.py")), *sorted(packaged_dir().glob("*.j2"))]
    for path in scanned:
        found = OTHER_COUNCILS.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name} names {found}"
    out = tmp_path / "o"
    case.ok("policy", "set", "procedure-name", "Northshire Reviews Procedure")
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-01")
    for file in out.glob("*.txt"):
        assert not OTHER_COUNCILS.search(read(file))
    teacher = " ".join(
        email_parts(out / "review-1_C001_invitation_04-designated-teacher.eml")[0].split()
    )
    assert "(IRO Handbook 3.38; Northshire Reviews Procedure)" in teacher
    assert "Reference C001 review 1" in teacher


def test_reference_is_child_and_review_number_never_the_row_id(world, new_child, tmp_path):
    # Two children: C072's first review is row 2 in the database.
    for child in ("C071", "C072"):
        new_child(child, "2014-01-01", start="2026-06-01", iro="IRO1")
        world.ok("contact", "add", child, "Parent", "--role", "parent", "--address", "1 Road")
        world.ok("review", "schedule", child, "--date", "2026-06-26", today="2026-06-01")
    out = tmp_path / "o"
    world.ok("letters", "invite", "2", "--out", str(out), "--format", "txt", today="2026-06-01")
    text = read(out / "review-2_C072_invitation_02-parent.txt")
    assert "Reference C072 review 1" in text
    assert "review 2" not in text.lower().replace("review-2", "")
