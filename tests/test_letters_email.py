"""Email-ready messages (.eml) for recipients known only by email: the letter as text and
HTML, its PDF and the meeting's calendar entry attached; recipients with neither address
nor email listed, never silently skipped; letters and messages counted apart."""

from __future__ import annotations

import io
from email import policy
from email.parser import BytesParser

from icalendar import Calendar
from pypdf import PdfReader

from test_letters import HOSTILE, case, email_parts  # noqa: F401  (fixture)

TEACHER = "review-1_C001_invitation_04-designated-teacher.eml"


def message(path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def attachments(msg) -> dict:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_email_only_recipient_gets_a_message_with_pdf_and_calendar(case, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01")
    msg = message(out / TEACHER)
    assert msg["To"] == "Ms Rita Patel <r.patel@school.example.org>"
    assert msg["From"] == "Independent Review Unit <iru@northshire.example.gov.uk>"
    assert msg["Subject"] == (
        "[OFFICIAL-SENSITIVE] Invitation: C001 review 1, Thursday 18 June 2026"
    )
    assert msg["X-Unsent"] == "1"
    text, html = email_parts(out / TEACHER)
    assert "Dear Ms Rita Patel," in text and "Dear Ms Rita Patel," in html
    files = attachments(msg)
    assert sorted(files) == ["meeting.ics", "review-1_C001_invitation_04-designated-teacher.pdf"]
    pdf = pdf_text(files["review-1_C001_invitation_04-designated-teacher.pdf"])
    assert "Dear Ms Rita Patel" in pdf and "OFFICIAL-SENSITIVE" in pdf
    ics = files["meeting.ics"]
    (event,) = Calendar.from_ical(ics if isinstance(ics, bytes) else ics.encode()).walk("VEVENT")
    assert str(event["location"]) == "Northtown Family Centre, Room 2"
    # The same event as the calendar command writes: a calendar merges the two.
    case.ok("calendar", "--out", str(tmp_path / "all.ics"), today="2026-06-01")
    (same,) = Calendar.from_ical((tmp_path / "all.ics").read_bytes()).walk("VEVENT")
    assert same["uid"] == event["uid"]


def test_format_eml_writes_a_message_to_everyone_with_an_email(case, tmp_path):  # noqa: F811
    case.ok("contact", "edit", "1", "--email", "mary.ash@example.com")
    out = tmp_path / "o"
    line = case.line(
        "letters", "invite", "1", "--out", str(out), "--format", "eml", today="2026-06-01"
    )
    assert line == f"Wrote 2 invitation letters and 2 email messages for review 1 to {out}."
    assert sorted(p.name for p in out.iterdir()) == [
        "review-1_C001_invitation_01-child.pdf",  # c/o the carers: post only
        "review-1_C001_invitation_02-parent.eml",
        "review-1_C001_invitation_03-carer.pdf",
        TEACHER,
    ]


def test_recipient_with_neither_address_nor_email_is_listed(case, tmp_path):  # noqa: F811
    case.ok("contact", "add", "C001", "Dr Nobody", "--role", "health")
    out = tmp_path / "o"
    result = case.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    assert "not written: contact 4 (health, review 1) has neither a postal address nor an " in (
        result.stderr
    )
    assert "'reviewcli contact edit 4 --address TEXT' (or --email E)" in result.stderr
    assert len(list(out.iterdir())) == 4
    result = case.ok("letters", "due", "--out", str(tmp_path / "d"), today="2026-06-01")
    assert result.stdout.strip().endswith("(1 with no address: see the warnings).")
    assert "not written: contact 4 (health, review 1)" in result.stderr


def test_hostile_strings_stay_escaped_in_the_message(case, tmp_path):  # noqa: F811
    name = f"{HOSTILE[0]}\nBcc: victim@example.com"
    case.ok("contact", "add", "C001", name, "--role", "health", "--email", "gp@nhs.example")
    case.ok("review", "reschedule", "1", "--date", "2026-06-18", "--venue", HOSTILE[1])
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    path = out / "review-1_C001_invitation_05-health.eml"
    headers = path.read_bytes().split(b"\r\n\r\n")[0]
    assert b"\nBcc:" not in headers
    msg = message(path)
    assert msg["Bcc"] is None
    assert msg["To"].addresses[0].display_name == f"{HOSTILE[0]} Bcc: victim@example.com"
    text, html = email_parts(path)
    assert HOSTILE[0] in text and HOSTILE[1] in text  # plain text: as typed
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    files = attachments(msg)
    pdf = pdf_text(files["review-1_C001_invitation_05-health.pdf"])
    assert HOSTILE[0] in pdf and "&lt;" not in pdf
    ics = files["meeting.ics"]
    (event,) = Calendar.from_ical(ics if isinstance(ics, bytes) else ics.encode()).walk("VEVENT")
    assert str(event["location"]) == HOSTILE[1]
