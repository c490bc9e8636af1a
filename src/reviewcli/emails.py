"""Letters as email-ready messages (.eml), for recipients known only by email.

A message holds the letter twice, as plain text and as HTML (the same templates as the
printed letters, so the same words and the same escaping), the printable PDF of it, and
for an invitation the meeting as an iCalendar file. It is written as an unsent draft
(``X-Unsent: 1``): opened in Outlook or Thunderbird it is ready to check and send from the
unit's mailbox. The subject carries the protective marking and the review's reference,
never a name.

Nothing here imports the command-line framework.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from .errors import ReviewError


def header_text(value: str) -> str:
    """One line of header text: control characters and line breaks become spaces, so a
    name can never start a header of its own."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+", " ", str(value)).strip()


def address(name: str, email: str) -> Address:
    email = header_text(email)
    if "@" not in email:
        raise ReviewError(f"{email!r} is not an email address")
    user, _, domain = email.rpartition("@")
    try:
        return Address(display_name=header_text(name), username=user, domain=domain)
    except (ValueError, IndexError) as e:
        raise ReviewError(f"{email!r} is not an email address ({e})") from None


def subject(marking: str, title: str, reference: str, when: date | None) -> str:
    from .templating import long_date

    parts = [f"[{header_text(marking)}] " if marking else "", header_text(title)]
    parts.append(f": {header_text(reference)}" if reference else "")
    parts.append(f", {long_date(when)}" if when else "")
    return "".join(parts)


def build(
    *,
    sender: tuple[str, str] | None,
    recipient: tuple[str, str],
    subject_line: str,
    text: str,
    html: str,
    pdf: bytes,
    pdf_name: str,
    ics: bytes | None,
    today: date,
) -> bytes:
    """The message as the bytes of an .eml file (RFC 5322, CRLF line ends)."""
    msg = EmailMessage()
    if sender is not None:
        msg["From"] = address(*sender)
    msg["To"] = address(*recipient)
    msg["Subject"] = subject_line
    msg["Date"] = format_datetime(datetime.combine(today, time(9, 0)).astimezone())
    domain = sender[1].rpartition("@")[2] if sender else "reviewcli.invalid"
    msg["Message-ID"] = make_msgid(domain=header_text(domain) or None)
    msg["X-Unsent"] = "1"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    if ics is not None:
        msg.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="meeting.ics",
            params={"method": "PUBLISH"},
        )
    from email import policy

    return msg.as_bytes(policy=policy.SMTP)
