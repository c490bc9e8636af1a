"""Letters: invitations, consultation cover notes, the IRO's introduction, decisions.

Each letter is a Jinja template (``templates/*.j2``, overridable from the authority's own
folder); this module gathers what a letter says from the store, renders it, and writes
one file per recipient. HTML is autoescaped and print-ready; an undefined name in a
template fails loudly (StrictUndefined) with the template and line.

What the letters carry (sources in ``shared/seeds``):

- the date in words, time, venue, the IRO's name and how to reach them (IRO Handbook 7.2);
- the date consultation papers are to be returned: ``consultation-return-days`` working
  days before the meeting (policy; 3 by default, so the IRO reads them with the social
  worker's reports, R-PRE-3), counted as in R-CAL-3;
- the rights children and parents must be told (IRO Handbook 2.12): to see the IRO
  separately, to bring a supporter or interpreter, to have an advocate, how to complain;
- the agenda prompts of DOMAIN.md §8 that apply to this review;
- for the decisions letter (the authority's procedure), the decisions, who does them and by
  when;
  a contact flagged ``no_full_record`` gets this letter and is never told the full
  record will follow.

Nothing here imports the command-line framework.
"""

from __future__ import annotations

import base64
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from . import codes, rules
from .calendar import add_years, age_on
from .contacts import CHILD, get_contact, invitees, mark_letters_sent, role_label
from .errors import ReviewError
from .records import get_child, get_review
from .store import Store

FORMATS = ("html", "txt", "pdf", "docx", "eml")
FOSTER_PLACEMENTS = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
PLACEMENT_ORDER = "E1"
DID_NOT_ATTEND = frozenset({"PN5", "PN6", "PN7"})  # SSDA903 participation codes
NO_LETTER_UNDER = 4  # a child under 4 (PN0) gets no letter of their own
TOO_YOUNG = (
    f"is under {NO_LETTER_UNDER} on the day of the review: no letter of their own "
    "(the carers' letters cover them)"
)


# The matters every review considers (IRO Handbook 3.38), in short.
CONSIDERATIONS = [
    "changes since the last review, and whether its decisions were carried out",
    "the child's legal status",
    "the plan for permanence",
    "contact with parents, brothers and sisters and other people who matter",
    "whether the placement meets the child's needs and keeps them safe",
    "education, including the Personal Education Plan",
    "leisure interests and activities",
    "health, including the latest health assessment",
    "identity: religion, racial origin, culture and language",
    "advice, support and assistance to the child",
    "plans for when the child is no longer looked after",
    "the child's wishes and feelings, and whether an independent visitor is needed",
    "social worker visits where the child is placed with parents",
    "who has delegated authority to make day-to-day decisions",
    "any other matters arising",
]


@dataclass
class Document:
    """One output file: one or more letters to one recipient."""

    stem: str  # file name without extension; never a personal name
    letters: list[dict]
    review: dict | None = None
    contact_id: int | None = None
    is_child: bool = False
    warnings: list[str] = field(default_factory=list)
    recipient: dict | None = None  # where it goes: address_lines, email
    parts: list[Document] = field(default_factory=list)  # a combined file: the documents in it
    who: str = ""  # the recipient as the warnings name them
    fix: str = ""  # how to give them an address


@dataclass
class Written:
    """What ``write_documents`` wrote: paper letters, email messages, and the recipients
    it could write to neither way (listed, never silently skipped)."""

    letters: list[Path] = field(default_factory=list)
    emails: list[Path] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    sent: list[Document] = field(default_factory=list)
    posted: int = 0  # recipients who get a paper letter (in one file when combined)

    @property
    def paths(self) -> list[Path]:
        return self.letters + self.emails


def delivery(doc: Document, fmt: str) -> str | None:
    """The format ``doc`` is written in: ``fmt`` for a recipient with a postal address; an
    email message (eml) for one with an email address only, or for anyone with an email
    address when eml is asked for (a printable PDF then for those with a postal address
    only); None for a recipient with neither."""
    r = doc.recipient
    if r is None:
        return "pdf" if fmt == "eml" else fmt
    post, mail = bool(r["address_lines"]), bool(r["email"])
    if fmt == "eml":
        return "eml" if mail else ("pdf" if post else None)
    if post:
        return fmt
    return "eml" if mail else None


# --- settings and formatting -------------------------------------------------------------------


def template_folder(store: Store, override: str | Path | None) -> str | None:
    """--template-dir, else the template-dir policy setting, else the packaged ones only."""
    if override:
        return str(override)
    return store.policy_values.get("template-dir") or None


def logo_data_uri(path: str) -> str:
    """The logo as a data: URI, so an HTML letter is one self-contained file."""
    from .policy import LOGO_MAX_BYTES, LOGO_TYPES

    if not path:
        return ""
    file = Path(path)
    mime = LOGO_TYPES.get(file.suffix.lower())
    if mime is None:
        raise ReviewError(f"authority-logo {path!r} is not a .png, .jpg, .gif or .svg file")
    try:
        data = file.read_bytes()
    except OSError as e:
        raise ReviewError(
            f"cannot read the authority-logo {path!r} ({e.strerror}); fix it with "
            "'reviewcli policy set authority-logo FILE'"
        ) from None
    if len(data) > LOGO_MAX_BYTES:
        raise ReviewError(f"authority-logo {path!r} is larger than {LOGO_MAX_BYTES // 1000} kB")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


PAGE_TOP_MM = 15  # top margin of a printed letter; the marking is printed inside it
PAGE_SIDE_MM = 20
MARKING_LINE_MM = 6  # the marking's own line above the letterhead (HTML; hidden in the PDF)


def page_layout(values: dict, paged: bool) -> tuple[dict, dict]:
    """The envelope window (policy ``envelope-window``) and the heights that put the
    recipient's address in it: the letterhead above it is cut to a fixed height."""
    from .policy import envelope_window

    left, top, width, height = envelope_window(str(values.get("envelope-window") or "DL"))
    head = top - PAGE_TOP_MM - 2 - (0 if paged else MARKING_LINE_MM)
    inside = 210 - 2 * PAGE_SIDE_MM
    page = {
        "top": PAGE_TOP_MM,
        "side": PAGE_SIDE_MM,
        "head": max(head, 8),
        "zone": height + 2,
        "left": max(left - PAGE_SIDE_MM, 0),
        "from_width": max(inside - max(left - PAGE_SIDE_MM, 0) - width - 5, 30),
    }
    window = {"left": left, "top": top, "width": width, "height": height}
    return window, page


def letterhead(store: Store, today: date, fmt: str = "html") -> dict:
    values = store.policy_values
    address = str(values.get("authority-address") or "")
    window, page = page_layout(values, paged=fmt == "pdf")
    return {
        "marking": str(values.get("protective-marking") or ""),
        "window_setting": str(values.get("envelope-window") or "DL"),
        "window": window,
        "page": page,
        "paged": fmt == "pdf",
        "authority": {
            "name": values.get("authority-name") or "",
            "address_lines": [line.strip() for line in re.split(r"[;\n]", address) if line.strip()],
            "logo": logo_data_uri(str(values.get("authority-logo") or ""))
            if fmt in ("html", "pdf", "eml")
            else "",
        },
        "service": {
            "phone": values.get("iro-service-phone") or "",
            "email": values.get("iro-service-email") or "",
            "advocacy": values.get("advocacy-service") or "",
            "complaints": values.get("complaints-contact") or "",
        },
        "today": today,
    }


def missing_settings(store: Store) -> list[str]:
    """Letter settings still empty: the letters fall back to general wording."""
    keys = (
        "authority-name",
        "authority-address",
        "iro-service-phone",
        "iro-service-email",
        "advocacy-service",
        "complaints-contact",
    )
    return [k for k in keys if not store.policy_values.get(k)]


def clock(value: str | None) -> str:
    """'16:00' → '4pm', '09:30' → '9:30am' (letters); '' when there is no time."""
    if not value:
        return ""
    hh, mm = (int(part) for part in value.split(":"))
    suffix = "am" if hh < 12 else "pm"
    h12 = hh % 12 or 12
    if hh == 12 and mm == 0:
        return "12 noon"
    return f"{h12}{suffix}" if mm == 0 else f"{h12}:{mm:02d}{suffix}"


def wrap(text: str, width: int = 76) -> str:
    """Plain-text letters: wrap each line at ``width``, with a hanging indent under a
    list item ('- ' or '1. ')."""
    import textwrap

    out = []
    for line in str(text).split("\n"):
        if not line.strip():
            out.append("")
            continue
        lead = re.match(r"\s*(?:- |\d+\. )?", line).group(0)
        out += textwrap.wrap(
            line,
            width,
            subsequent_indent=" " * len(lead),
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(out)


def age_band(age: int) -> str:
    """How a letter to a child is worded: 'young' (under 8), 'middle' (8–12), 'teen'."""
    if age < 8:
        return "young"
    if age < 13:
        return "middle"
    return "teen"


def _safe_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", value).strip("-") or "x"


# --- what a letter says --------------------------------------------------------------------------


def _iro(store: Store, child_id: str) -> dict:
    iro = store.row(
        "SELECT i.* FROM allocations a JOIN iros i ON i.id = a.iro_id "
        "WHERE a.child_id = ? AND a.end_date IS NULL",
        [child_id],
    )
    if iro is None:
        raise ReviewError(
            f"{child_id} has no named IRO; letters name the IRO: allocate one first with "
            f"'reviewcli allocate {child_id} IRO_ID' (R-IRO-2)"
        )
    return {"id": iro["id"], "name": iro["name"], "email": iro["email"], "phone": iro["phone"]}


def _child(child: dict, on: date) -> dict:
    dob = date.fromisoformat(child["dob"])
    age = age_on(dob, on)
    return {
        "id": child["id"],
        "first_name": child["first_name"],
        "last_name": child["last_name"],
        "name": f"{child['first_name']} {child['last_name']}",
        "dob": dob,
        "age": age,
        "age_band": age_band(age),
        "social_worker": child["social_worker"] or "",
        "team": child["team"] or "",
    }


def meeting_date(review: dict) -> date:
    return date.fromisoformat(review["booked_date"] or review["recording_date"])


def _episode_on(store: Store, period_id: int, day: date) -> dict | None:
    return store.row(
        "SELECT * FROM episodes WHERE period_id = ? AND start_date <= ? "
        "ORDER BY start_date DESC, id DESC LIMIT 1",
        [period_id, day.isoformat()],
    )


def agenda_prompts(store: Store, review: dict) -> list[dict]:
    """The agenda prompts of DOMAIN.md §8 that apply to this review.

    Each has ``text`` (for adults), ``child_text`` (for the child's letter) and ``source``.
    """
    prompts: list[dict] = []
    number = review["number"]
    on = meeting_date(review)
    if number == 2:
        prompts.append(
            {
                "text": "A permanence plan must be in place from this, the second review.",
                "child_text": "We will talk about the long-term plan for where you will grow up.",
                "source": "IRO Handbook 3.38",
            }
        )
    if number == 3:
        prompts.append(
            {
                "text": "If permanence has not yet been achieved, the review will look for a "
                "parallel (twin-track) plan.",
                "child_text": "We will talk about the long-term plan for you, and what happens "
                "if the first plan cannot work out.",
                "source": procedure_name(store),
            }
        )
    child = get_child(store, review["child_id"])
    dob = date.fromisoformat(child["dob"])
    sixteenth = add_years(dob, 16)
    episode = _episode_on(store, review["period_id"], on)
    if on >= sixteenth and age_on(dob, on) < 18 and episode:
        earlier = store.value(
            "SELECT COUNT(*) FROM reviews WHERE child_id = ? AND status = 'held' "
            "AND recording_date >= ? AND recording_date < ? AND id != ?",
            [child["id"], sixteenth.isoformat(), on.isoformat(), review["id"]],
        )
        if episode["placement"] in FOSTER_PLACEMENTS and not earlier:
            prompts.append(
                {
                    "text": "This is the first review since the young person's 16th birthday "
                    "in foster care: consider whether a Staying Put arrangement (staying with "
                    "the foster carers after 18) should be an option.",
                    "child_text": "Now you are 16, we will talk about Staying Put: whether you "
                    "could stay living with your foster carers after you are 18.",
                    "source": procedure_name(store),
                }
            )
    authorised = store.value(
        "SELECT MIN(start_date) FROM episodes WHERE period_id = ? AND legal_status = ? "
        "AND start_date <= ?",
        [review["period_id"], PLACEMENT_ORDER, on.isoformat()],
    )
    if authorised and episode and episode["placement"] not in codes.PLACED_FOR_ADOPTION:
        since = store.value(
            "SELECT COUNT(*) FROM reviews WHERE period_id = ? AND status = 'held' "
            "AND recording_date >= ? AND recording_date < ? AND id != ?",
            [review["period_id"], authorised, on.isoformat(), review["id"]],
        )
        if since == 1:
            prompts.append(
                {
                    "text": "This is the second review since the placement order and the child "
                    "has not yet been placed for adoption: the review must consider whether "
                    "adoption is still the plan.",
                    "child_text": "We will talk about whether the plan for you to be adopted "
                    "is still the right plan.",
                    "source": "IRO Handbook 3.59",
                }
            )
    return prompts


def procedure_name(store: Store) -> str:
    """How letters name the authority's own review procedure (policy setting
    ``procedure-name``), else "local procedure"; never another council's."""
    return str(store.policy_values.get("procedure-name") or "") or "local procedure"


NOTICE_DAYS = 10  # R-PRE-2: invitations at least 10 working days before the meeting


def return_date(store: Store, meeting: date, today: date | None = None) -> date:
    """When consultation papers are due back: N working days before the meeting (R-CAL-3),
    never before the letter's own date: a letter written later than that asks for them by
    the meeting itself."""
    days = int(store.policy_values.get("consultation-return-days", 3))
    due = store.calendar.subtract_working_days(meeting, days)
    if today is not None and due <= today:
        return meeting
    return due


def _return_when(days: int) -> str:
    if days == 0:
        return "the day of the meeting"
    return f"{days} working day{'' if days == 1 else 's'} before the meeting"


def reference(child_id: str, number: int | None) -> str:
    """The review's reference as people read it: the child's id and the review's number in
    the period of care ("C001 review 5"), never a database row number."""
    return f"{child_id} review {number}" if number else f"{child_id} review"


def notice(store: Store, review: dict, today: date) -> dict:
    """Whether an invitation written ``today`` can be sent at all, and if so whether it
    gives the R-PRE-2 notice. ``state`` is 'past' (the meeting is today or gone: record
    its outcome first), 'late' (fewer than 10 working days' notice) or 'ok'."""
    meeting = meeting_date(review)
    send_by = store.calendar.subtract_working_days(meeting, NOTICE_DAYS)
    # The notice given: the working days from the day of sending (counted when it is one)
    # up to the meeting (not counted), as R-PRE-2 counts its 10 (R-CAL-3).
    given = store.calendar.working_days_between(
        today - timedelta(days=1), meeting - timedelta(days=1)
    )
    if meeting <= today:
        state = "past"
    elif today > send_by:
        state = "late"
    else:
        state = "ok"
    return {"state": state, "meeting": meeting, "send_by": send_by, "working_days": given}


def review_context(store: Store, review: dict, today: date) -> dict:
    child = get_child(store, review["child_id"])
    on = meeting_date(review)
    number = review["number"] or 0
    distribution = store.value(
        "SELECT due FROM review_steps WHERE review_id = ? AND step = 'distribution'",
        [review["id"]],
    )
    next_due = store.value(
        "SELECT next_due FROM periods WHERE id = ? AND end_date IS NULL", [review["period_id"]]
    )
    returned = return_date(store, on, today)
    return {
        "review": {
            "id": review["id"],
            "reference": reference(child["id"], number),
            "number": number,
            "ordinal": rules.ordinal(number) if number else "",
            "first": number == 1,
            "date": on,
            "time": review["booked_time"] or "",
            "clock": clock(review["booked_time"]),
            "venue": review["venue"] or "",
            "deadline": date.fromisoformat(review["deadline"]) if review["deadline"] else None,
            "status": review["status"],
            "recording_date": date.fromisoformat(review["recording_date"])
            if review["recording_date"]
            else None,
            "return_date": returned,
            "return_days": store.calendar.working_days_between(returned, on),
            "return_when": _return_when(store.calendar.working_days_between(returned, on)),
            "short_notice": today > store.calendar.subtract_working_days(on, NOTICE_DAYS),
            "distribution_due": date.fromisoformat(distribution) if distribution else None,
            "next_due": date.fromisoformat(next_due) if next_due else None,
        },
        "child": _child(child, on),
        "iro": _iro(store, child["id"]),
        "prompts": agenda_prompts(store, review),
        "considerations": CONSIDERATIONS,
        "procedure": procedure_name(store),
    }


def _recipient(invitee: dict) -> dict:
    return {
        "name": invitee["name"],
        "first_name": invitee.get("first_name") or "",
        "role": invitee["role"],
        "role_label": invitee["role_label"],
        "audience": invitee["audience"],
        "address_lines": [
            line.strip()
            for line in re.split(r"[;\n]", invitee.get("address") or "")
            if line.strip()
        ],
        "email": invitee.get("email") or "",
        "language": invitee.get("language") or "",
        "format_notes": invitee.get("format_notes") or "",
        "large_print": "large print" in (invitee.get("format_notes") or "").lower(),
        "no_full_record": bool(invitee.get("no_full_record")),
    }


def child_address(store: Store, child_id: str) -> str:
    """Where a letter to the child goes: their own address, else care of their carer."""
    own = store.row(
        "SELECT address FROM contacts WHERE child_id = ? AND role = 'child' AND active = 1 "
        "AND address IS NOT NULL ORDER BY id LIMIT 1",
        [child_id],
    )
    if own:
        return own["address"]
    carer = store.row(
        "SELECT name, address FROM contacts WHERE child_id = ? AND role = 'carer' AND active = 1 "
        "AND address IS NOT NULL ORDER BY id LIMIT 1",
        [child_id],
    )
    return f"c/o {carer['name']}; {carer['address']}" if carer else ""


def _needs(invitee: dict, label: str) -> list[str]:
    out = []
    language = (invitee.get("language") or "").strip()
    if language and language.lower() != "english":
        out.append(f"{label} reads {language}: arrange a translation or an interpreter")
    if invitee.get("format_notes"):
        out.append(f"{label}: {invitee['format_notes']}")
    return out


def _who(invitee: dict) -> str:
    if invitee["contact_id"] is None:
        return f"the child ({invitee['child_id']})"
    return f"contact {invitee['contact_id']} ({invitee['role']}, review {invitee['review_id']})"


def _fix(invitee: dict) -> str:
    if invitee["contact_id"] is None:
        return (
            f"'reviewcli contact add {invitee['child_id']} NAME --role child --address TEXT' "
            "(or a carer's address)"
        )
    return f"'reviewcli contact edit {invitee['contact_id']} --address TEXT' (or --email E)"


def _child_too_young(ctx: dict) -> bool:
    return ctx["child"]["age"] < NO_LETTER_UNDER


# --- the documents -------------------------------------------------------------------------------


def invitation_documents(
    store: Store, review_id, *, today: date, cover: bool = True
) -> tuple[list[Document], list[str]]:
    """One document per invitee: the invitation, the consultation cover note, and the
    consultation form it encloses (for the child by age band, for the family, or for a
    professional)."""
    review = get_review(store, review_id)
    if review["status"] not in ("booked", "adjourned"):
        raise ReviewError(
            f"review {review['id']} is {review['status']}; invitations are for a booked review"
        )
    ref = reference(review["child_id"], review["number"])
    when = notice(store, review, today)
    if when["state"] == "past":
        raise ReviewError(
            f"review {review['id']} ({ref}) met on {when['meeting']}, not after today "
            f"({today}): no invitation for a meeting that has happened; record the outcome "
            f"first with 'reviewcli review hold {review['id']}', or book the new date with "
            f"'reviewcli review reschedule {review['id']} --date D'"
        )
    ctx = review_context(store, review, today)
    warnings = []
    if when["state"] == "late":
        warnings.append(
            f"review {review['id']} ({ref}) is late: invitations written on {today} give "
            f"{when['working_days']} working days' notice of the meeting on {when['meeting']}, "
            f"not the {NOTICE_DAYS} of R-PRE-2 (send by {when['send_by']}); the letters say so "
            f"and ask for the papers by {ctx['review']['return_date']}"
        )
    if not ctx["review"]["time"] or not ctx["review"]["venue"]:
        missing = " and ".join(
            w
            for w, v in (("time", ctx["review"]["time"]), ("venue", ctx["review"]["venue"]))
            if not v
        )
        warnings.append(
            f"review {review['id']} has no {missing}: the letters say 'to be confirmed'; set it "
            f"with 'reviewcli review reschedule {review['id']} --date {review['booked_date']} "
            "--time HH:MM --venue TEXT'"
        )
    docs = []
    for invitee in invitees(store, review["id"]):
        if invitee["contact_id"] is not None and not _active(store, invitee["contact_id"]):
            continue
        if invitee["role"] == "child" and _child_too_young(ctx):
            warnings.append(f"{ctx['child']['id']} {TOO_YOUNG}")
            continue
        if invitee["contact_id"] is None and not invitee["address"]:
            invitee = {**invitee, "address": child_address(store, invitee["child_id"])}
        warnings += _needs(invitee, _who(invitee))
        recipient = _recipient(invitee)
        base = {**ctx, "recipient": recipient, "wishes": invitee.get("wishes") or ""}
        letters = [
            {**base, "template": f"invitation-{recipient['audience']}", "title": "Invitation"}
        ]
        if cover:
            letters.append(
                {**base, "template": "consultation-cover", "title": "Consultation papers"}
            )
            letters.append(
                {**base, "template": "consultation-form", "title": "Have your say", "form": True}
            )
        docs.append(
            Document(
                stem=f"review-{review['id']}_{_safe_part(ctx['child']['id'])}_invitation_"
                f"{invitee['number']:02d}-{invitee['role']}",
                letters=letters,
                review=review,
                contact_id=invitee["contact_id"],
                is_child=invitee["contact_id"] is None,
                recipient=recipient,
                who=_who(invitee),
                fix=_fix(invitee),
            )
        )
    if not docs:
        raise ReviewError(
            f"nobody to write to for review {review['id']}: add the child's contacts with "
            f"'reviewcli contact add {review['child_id']} NAME --role ROLE'"
        )
    return docs, warnings


def _active(store: Store, contact_id: int) -> bool:
    return bool(store.value("SELECT active FROM contacts WHERE id = ?", [contact_id]))


def intro_document(store: Store, child_id: str, *, today: date) -> tuple[list[Document], list]:
    """The IRO's introduction to the child (IRO Handbook 7.2)."""
    child = get_child(store, child_id)
    iro = _iro(store, child["id"])
    period = store.row(
        "SELECT * FROM periods WHERE child_id = ? AND end_date IS NULL", [child["id"]]
    )
    if period is None:
        raise ReviewError(
            f"{child['id']} is not looked after; the IRO introduction is for a child in care"
        )
    pending = store.row(
        "SELECT * FROM reviews WHERE period_id = ? AND status IN ('booked', 'adjourned')",
        [period["id"]],
    )
    info = _child(child, today)
    own = store.row(
        "SELECT * FROM contacts WHERE child_id = ? AND role = 'child' AND active = 1 "
        "ORDER BY id LIMIT 1",
        [child["id"]],
    )
    address = child_address(store, child["id"])
    invitee = {
        "name": info["name"],
        "first_name": info["first_name"],
        "role": "child",
        "role_label": role_label("child"),
        "audience": "child",
        "address": address,
        "email": own["email"] if own else None,
        "language": own["language"] if own else None,
        "format_notes": own["format_notes"] if own else None,
    }
    warnings = _needs(invitee, f"{child['id']}")
    if info["age"] < NO_LETTER_UNDER:
        warnings.append(
            f"{child['id']} is {info['age']}: the IRO introduces themselves to the carers in "
            "person; the letter is for the child's file"
        )
    next_review = {
        "number": period["next_number"],
        "ordinal": rules.ordinal(period["next_number"]) if period["next_number"] else "",
        "due": date.fromisoformat(period["next_due"]) if period["next_due"] else None,
        "booked": date.fromisoformat(pending["booked_date"]) if pending else None,
        "clock": clock(pending["booked_time"]) if pending else "",
        "venue": (pending["venue"] or "") if pending else "",
    }
    letter = {
        "template": "iro-introduction",
        "title": "Your Independent Reviewing Officer",
        "child": info,
        "iro": iro,
        "recipient": _recipient(invitee),
        "next_review": next_review,
    }
    stem = f"{_safe_part(child['id'])}_iro-introduction"
    doc = Document(
        stem=stem,
        letters=[letter],
        is_child=True,
        recipient=letter["recipient"],
        who=f"the child ({child['id']})",
        fix=f"'reviewcli contact add {child['id']} NAME --role child --address TEXT' "
        "(or a carer's address)",
    )
    return [doc], warnings


def decisions_documents(
    store: Store, review_id, *, today: date, absent: list | tuple = ()
) -> tuple[list[Document], list[str]]:
    """Decisions letters: to each invitee who could not attend, and to every invitee
    flagged no_full_record (who gets this letter instead of the full record).

    The child counts as absent when their participation code says they did not attend
    (PN5, PN6, PN7); others are named with ``absent`` (contact ids, or 'child').
    """
    review = get_review(store, review_id)
    if review["status"] != "held":
        raise ReviewError(
            f"review {review['id']} is {review['status']}; decisions letters follow a held review"
        )
    decisions = store.rows(
        "SELECT id, text, child_text, owner, due, starred FROM decisions WHERE review_id = ? "
        "AND status != 'cancelled' ORDER BY due, id",
        [review["id"]],
    )
    if not decisions:
        raise ReviewError(
            f"no decisions recorded for review {review['id']}; add them with "
            f"'reviewcli decision add {review['id']} TEXT --owner NAME --due D'"
        )
    listed = invitees(store, review["id"])
    by_id = {("child" if r["contact_id"] is None else r["contact_id"]): r for r in listed}
    wanted: set = set()
    for value in absent:
        key = CHILD if str(value).strip().lower() == CHILD else None
        if key is None:
            try:
                key = int(value)
            except (TypeError, ValueError):
                raise ReviewError(
                    f"--absent takes a contact id or 'child', not {value!r}"
                ) from None
            contact = get_contact(store, key)
            if key not in by_id:
                raise ReviewError(
                    f"contact {key} ({contact['name']}) was not invited to review {review['id']}"
                )
        wanted.add(key)
    if review["participation"] in DID_NOT_ATTEND:
        wanted.add(CHILD)
    ctx = review_context(store, review, today)
    warnings: list[str] = []
    docs = []
    for key, invitee in by_id.items():
        is_absent = key in wanted
        if not is_absent and not invitee["no_full_record"]:
            continue
        if key == CHILD and _child_too_young(ctx):
            continue
        if key == CHILD and not invitee["address"]:
            invitee = {**invitee, "address": child_address(store, invitee["child_id"])}
        recipient = _recipient(invitee)
        warnings += _needs(invitee, _who(invitee))
        template = "decisions-child" if recipient["audience"] == "child" else "decisions"
        letter = {
            **ctx,
            "template": template,
            "title": "Decisions of the review",
            "recipient": recipient,
            "absent": is_absent,
            "decisions": [
                {
                    "text": d["text"],
                    "child_text": d["child_text"] or "",
                    "owner": d["owner"],
                    "due": date.fromisoformat(d["due"]),
                }
                for d in decisions
            ],
            "participation": review["participation"] or "",
        }
        docs.append(
            Document(
                stem=f"review-{review['id']}_{_safe_part(ctx['child']['id'])}_decisions_"
                f"{invitee['number']:02d}-{invitee['role']}",
                letters=[letter],
                review=review,
                contact_id=invitee["contact_id"],
                is_child=invitee["contact_id"] is None,
                recipient=recipient,
                who=_who(invitee),
                fix=_fix(invitee),
            )
        )
    if not docs:
        raise ReviewError(
            f"nobody to write to for review {review['id']}: name each invitee who could not "
            "attend with --absent CONTACT_ID (or --absent child)"
        )
    return docs, warnings


def due_invitations(store: Store, on: date, within: int = 3) -> list[dict]:
    """Booked reviews whose invitations (R-PRE-2) are due to be sent by ``on + within`` days,
    overdue ones included: open 'invitations' steps."""
    from datetime import timedelta

    limit = (on + timedelta(days=within)).isoformat()
    # Through the index of open steps by date: the index of every step by kind and date
    # would read each review's invitations ever sent (2 s at 100,000 children, not 5 ms).
    return store.rows(
        "SELECT s.review_id, s.child_id, s.due, r.booked_date FROM review_steps s "
        "INDEXED BY review_steps_open_tasks JOIN reviews r ON r.id = s.review_id "
        "WHERE s.step = 'invitations' AND s.status = 'open' AND s.step != 'manager-response' "
        "AND s.due <= ? "
        "AND r.status IN ('booked', 'adjourned') ORDER BY s.due, s.child_id, s.review_id",
        [limit],
    )


# --- rendering and writing -----------------------------------------------------------------------


def _environment(template_dir: str | None):
    from .templating import environment

    env = environment(template_dir)
    env.filters["clock"] = clock
    env.filters["wrap"] = wrap
    return env


def _template_error(name: str, e: Exception) -> ReviewError:
    where = name
    line = getattr(e, "lineno", None)
    filename = getattr(e, "filename", None) or getattr(e, "name", None)
    if line is None:  # a runtime error: find the template frame in the traceback
        for frame in reversed(traceback.extract_tb(e.__traceback__)):
            if frame.filename.endswith(".j2"):
                filename, line = frame.filename, frame.lineno
                break
    if filename:
        where = Path(str(filename)).name
    message = str(e).replace("\n", " ")
    return ReviewError(f"template {where}{f' line {line}' if line else ''}: {message}")


def _render(env, name: str, context: dict) -> str:
    from jinja2 import TemplateError

    try:
        return env.get_template(name).render(**context)
    except TemplateError as e:
        raise _template_error(name, e) from None


def render_document(doc: Document, fmt: str, common: dict, template_dir: str | None) -> str:
    """Render each letter's body (``<template>.<fmt>.j2``), then the document around them
    (``letter.<fmt>.j2``: letterhead, address, date, page breaks between letters). A PDF
    is laid out from the HTML templates."""
    from markupsafe import Markup

    if fmt not in FORMATS:
        raise ReviewError(f"unknown letter format {fmt!r}; use {', '.join(FORMATS)}")
    kind = "txt" if fmt == "txt" else "html"
    env = _environment(template_dir)
    letters = []
    for letter in doc.letters:
        body = _render(env, f"{letter['template']}.{kind}.j2", {**common, **letter})
        # An HTML body was autoescaped when rendered: the document includes it as it is.
        letters.append({**letter, "content": Markup(body) if kind == "html" else body})
    return _render(env, f"letter.{kind}.j2", {**common, "letters": letters, "fmt": fmt})


def pdf_pages(doc: Document, common: dict, template_dir: str | None) -> list:
    """Each letter of ``doc`` laid out on its own pages (one WeasyPrint document each), so
    the page numbers and the first-page layout start again with every letter."""
    from . import pdf

    out = []
    for letter in doc.letters:
        single = Document(stem=doc.stem, letters=[letter])
        out.append(pdf.render(render_document(single, "pdf", common, template_dir)))
    return out


def render_bytes(
    doc: Document,
    fmt: str,
    common: dict,
    template_dir: str | None,
    *,
    pad: bool = False,
    store: Store | None = None,
) -> bytes:
    """One document in ``fmt`` as the bytes of its file."""
    if fmt == "eml":
        return email_bytes(store, doc, common, template_dir)
    if fmt == "docx":
        if doc.parts:
            return combine_docx([word_bytes(d, common, template_dir) for d in doc.parts])
        return word_bytes(doc, common, template_dir)
    if fmt == "pdf":
        from . import pdf

        data, _ = pdf.join(
            pdf_pages(doc, common, template_dir), pad_each=pad, marking=common["marking"]
        )
        return data
    return render_document(doc, fmt, common, template_dir).encode("utf-8")


def render_bodies(doc: Document, common: dict, template_dir: str | None) -> list[str]:
    """The HTML of each letter's own text (without the page around it)."""
    env = _environment(template_dir)
    return [
        _render(env, f"{letter['template']}.html.j2", {**common, **letter})
        for letter in doc.letters
    ]


def word_bytes(doc: Document, common: dict, template_dir: str | None) -> bytes:
    """``doc`` as a Word document, from the letter.docx template (see wordletters)."""
    from .templating import long_date
    from .wordletters import docx_bytes

    first = doc.letters[0]
    review = first.get("review") or {}
    context = {
        **common,
        "recipient": doc.recipient or first["recipient"],
        "reference": review.get("reference") or f"{first['child']['id']}",
        "dated": long_date(common["today"]),
        "child": first["child"],
        "title": first["title"],
    }
    return docx_bytes(render_bodies(doc, common, template_dir), context, template_dir)


def combine_docx(parts: list[bytes]) -> bytes:
    """Word documents one after another, each starting on a new page."""
    import io

    from docx import Document as WordDocument
    from docx.enum.text import WD_BREAK
    from docxcompose.composer import Composer

    master = WordDocument(io.BytesIO(parts[0]))
    composer = Composer(master)
    for part in parts[1:]:
        master.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        composer.append(WordDocument(io.BytesIO(part)))
    out = io.BytesIO()
    composer.save(out)
    return out.getvalue()


def email_bytes(store: Store, doc: Document, common: dict, template_dir: str | None) -> bytes:
    """``doc`` as an email message: text and HTML, its PDF attached, and for an invitation
    the meeting's calendar entry."""
    from . import emails, ical

    values = store.policy_values
    letter = doc.letters[0]
    review = letter.get("review") or {}
    html_common = {**common, **_paged(common, False)}
    pdf_common = {**common, **_paged(common, True)}
    text = render_document(doc, "txt", {**common, **_paged(common, False)}, template_dir)
    html = render_document(doc, "html", html_common, template_dir)
    pdf = render_bytes(doc, "pdf", pdf_common, template_dir)
    ics = None
    if doc.review is not None and doc.review["status"] in ("booked", "adjourned"):
        ics = ical.review_calendar(store, doc.review["id"])
    sender = None
    if values.get("iro-service-email"):
        sender = ("Independent Review Unit", str(values["iro-service-email"]))
    elif letter.get("iro", {}).get("email"):
        sender = (letter["iro"]["name"], letter["iro"]["email"])
    reference = review.get("reference") or letter.get("child", {}).get("id", "")
    when = review.get("date") if doc.review is not None else None
    return emails.build(
        sender=sender,
        recipient=(doc.recipient["name"], doc.recipient["email"]),
        subject_line=emails.subject(common["marking"], letter["title"], reference, when),
        text=text,
        html=html,
        pdf=pdf,
        pdf_name=f"{doc.stem}.pdf",
        ics=ics,
        today=common["today"],
    )


def _paged(common: dict, paged: bool) -> dict:
    """The page layout for a printed (PDF) or an on-screen (HTML, text) rendering."""
    values = {"envelope-window": common["window_setting"]}
    window, page = page_layout(values, paged)
    return {"window": window, "page": page, "paged": paged}


def write_documents(
    store: Store,
    docs: list[Document],
    out_dir: str | Path,
    *,
    fmt: str,
    today: date,
    template_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    combined: str | None = None,
    record: Callable[[Path, list[str], Written], None] | None = None,
) -> Written:
    """Render and write every document into a private staging folder, then move them all
    into ``out_dir``: a template error writes nothing, and a national batch is never held
    in memory at once.

    Each recipient gets ``fmt`` by post, or an email message when they have an email
    address and no postal address (see ``delivery``); one with neither is listed in
    ``Written.unreachable``.

    ``combined`` names one file holding every letter, a page apart, instead; a combined
    PDF pads every letter to an even number of pages, so each starts on an odd page (a
    fresh sheet when printed on both sides).

    ``record(staging, names, written)``, when given, commits what the batch means (the letters
    marked sent, and the batch itself: see ``batches``) after every file is written and
    before any is moved into place. The staging folder is then a batch folder that
    outlives a killed run: the next run finishes moving its files (``batches.recover``),
    so a letter marked sent is never lost and a letter in place is always marked sent.
    """
    import shutil

    from . import files

    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise ReviewError(f"{str(folder)!r} is a file, not a folder")
    if not folder.exists() and not folder.parent.exists():
        raise ReviewError(f"folder {str(folder.parent)!r} does not exist")
    tdir = template_folder(store, template_dir)
    result = Written()
    plan: list[tuple[Document, str]] = []
    for doc in docs:
        kind = delivery(doc, fmt)
        if kind is None:
            result.unreachable.append(
                f"not written: {doc.who} has neither a postal address nor an email address; "
                f"add one with {doc.fix}"
            )
        else:
            plan.append((doc, kind))
    if combined:
        paper = [d for d, kind in plan if kind != "eml"]
        kind = "pdf" if fmt == "eml" else fmt
        merged = (
            []
            if not paper
            else [(Document(stem=combined, letters=[x for d in paper for x in d.letters]), kind)]
        )
        plan = merged + [(d, kind) for d, kind in plan if kind == "eml"]
        result.sent = paper + [d for d, kind in plan if kind == "eml"]
        result.posted = len(paper)
    else:
        result.sent = [d for d, _ in plan]
        result.posted = sum(1 for _, kind in plan if kind != "eml")
    commons = {}
    created = files.make_folder(folder)
    names: list[tuple[str, str]] = []
    if record is not None:
        from . import batches

        staging_context = batches.batch_folder(folder)
    else:
        staging_context = files.staging_folder(folder)
    try:
        # A private staging folder, removed at the end (or by the next run, if this one
        # is killed); each finished letter is then moved into place, never over the
        # database or through a symbolic link.
        with staging_context as staging:
            for i, (doc, kind) in enumerate(plan, 1):
                if kind not in commons:
                    commons[kind] = letterhead(store, today, kind)
                name = f"{doc.stem}.{kind}"
                data = render_bytes(
                    doc,
                    kind,
                    commons[kind],
                    tdir,
                    pad=bool(combined) and kind != "eml",
                    store=store,
                )
                with files.open_private(staging / name, "wb", encoding=None) as stream:
                    stream.write(data)
                names.append((name, kind))
                if progress and not combined:
                    progress(i, len(plan))
            for name, _ in names:
                files.check_target(folder / name)
            if record is not None:
                record(staging, [name for name, _ in names], result)
                created = False  # committed: the folder holds the batch from here on
            for name, _ in names:
                files.move_into_place(staging / name, folder / name)
    except BaseException:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    for name, kind in names:
        (result.emails if kind == "eml" else result.letters).append(folder / name)
    return result


def write_and_mark_sent(
    store: Store, docs: list[Document], out_dir: str | Path, *, today: date, **options
) -> Written:
    """``write_documents``, marking the letters sent (``mark_sent``) in the transaction
    that records the batch, before any file is moved into place (see ``batches``)."""
    from . import batches

    state: dict = {}

    def record(staging: Path, names: list[str], written: Written) -> None:
        if not written.sent:
            return

        def batch(review_ids: list[int]) -> None:
            state["id"] = batches.record(store, staging, names, review_ids, today.isoformat())

        mark_sent(store, written.sent, today=today, batch=batch)
        batches.committed(staging)

    written = write_documents(store, docs, out_dir, today=today, record=record, **options)
    if "id" in state:
        batches.finish(store, state["id"])
    return written


def mark_sent(
    store: Store,
    docs: list[Document],
    *,
    today: date,
    batch: Callable[[list[int]], None] | None = None,
) -> list[int]:
    """Record the invitations step done (R-PRE-2) and each letter's sending date, in one
    transaction (with ``batch(review_ids)``, which records the batch of files, when
    given). Returns the review ids marked."""
    from .records import complete_step

    reviews: dict[int, dict] = {}
    for doc in docs:
        if doc.review is not None:
            reviews.setdefault(doc.review["id"], doc.review)
    with store.write():
        if batch is not None:
            batch(list(reviews))
        for review_id, review in reviews.items():
            step = store.row(
                "SELECT status FROM review_steps WHERE review_id = ? AND step = 'invitations'",
                [review_id],
            )
            if step and step["status"] in ("open", "missed"):
                complete_step(store, review_id, "invitations", on=today, today=today)
            mark_letters_sent(
                store,
                review,
                [d.contact_id for d in docs if d.review and d.review["id"] == review_id],
                today,
            )
    return list(reviews)
