"""The authority's policy settings, kept in the database so every admin sees the same rules.

Defaults are the statutory rules (IRO Handbook); each setting that departs from them is
a local choice recorded with ``reviewcli policy set KEY VALUE``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from .errors import ReviewError
from .rules import LOCAL_REASONS, Policy


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("on", "yes", "true", "1"):
        return True
    if v in ("off", "no", "false", "0"):
        return False
    raise ValueError("use on or off")


def _choice(*choices: str):
    def parse(value: str) -> str:
        v = value.strip().lower()
        if v not in choices:
            raise ValueError(f"use one of: {', '.join(choices)}")
        return v

    return parse


def _dates(value: str) -> list[str]:
    out = set()
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.add(date.fromisoformat(part).isoformat())
        except ValueError:
            raise ValueError(f"{part!r} is not a date (YYYY-MM-DD)") from None
    return sorted(out)


def _reasons(value: str) -> list[str]:
    out = []
    for part in value.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part not in LOCAL_REASONS:
            raise ValueError(f"unknown reason {part!r}; valid: {', '.join(LOCAL_REASONS)}")
        out.append(part)
    return sorted(set(out))


def _text(value: str) -> str:
    from .typed import unsafe_character

    text = value.strip()
    if any(ord(ch) < 32 for ch in text) or "\x7f" in text:
        raise ValueError("it contains control characters")
    bad = unsafe_character(text)
    if bad:
        raise ValueError(f"it contains {bad}")
    return text


def _days(value: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise ValueError("use a whole number of days") from None
    if not 0 <= n <= 365:
        raise ValueError("use a number of days from 0 to 365")
    return n


def _conversation_days(value: str) -> int:
    """R-PRE-4: working days before the review; 'on' is the statutory 15."""
    v = value.strip().lower()
    if v in ("on", "yes", "true", "default"):
        return 15
    if v in ("off", "no", "false", "0"):
        raise ValueError(
            "the IRO's conversation with the social worker is a duty of the IRO Handbook "
            "(3.9) and cannot be turned off; give a number of working days (default 15)"
        )
    try:
        n = int(v)
    except ValueError:
        raise ValueError("use a whole number of working days, 1 to 60") from None
    if not 1 <= n <= 60:
        raise ValueError("use a whole number of working days, 1 to 60")
    return n


def _names(value: str) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise ValueError("give at least one name, comma-separated")
    return names


def _day_list(value: str) -> list[int]:
    return [_days(part) for part in value.split(",") if part.strip()]


LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
LOGO_MAX_BYTES = 1_000_000


def _logo(value: str) -> str:
    """A logo image file for letterheads ('' clears it); stored as an absolute path."""
    from pathlib import Path

    text = value.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    if path.suffix.lower() not in LOGO_TYPES:
        raise ValueError(f"use an image file ending {', '.join(LOGO_TYPES)}")
    if not path.is_file():
        raise ValueError(f"{text!r} is not a file")
    if path.stat().st_size > LOGO_MAX_BYTES:
        raise ValueError(f"the file is larger than {LOGO_MAX_BYTES // 1000} kB")
    return str(path.resolve())


def _folder(value: str) -> str:
    """A folder ('' clears it); stored as an absolute path."""
    from pathlib import Path

    text = value.strip()
    if not text:
        return ""
    path = Path(text).expanduser()
    if not path.is_dir():
        raise ValueError(f"{text!r} is not a folder")
    return str(path.resolve())


def _group(value: str) -> str:
    """An operating-system group that exists on this host ('' ends group mode)."""
    import grp

    text = value.strip()
    if text:
        try:
            grp.getgrnam(text)
        except KeyError:
            raise ValueError(f"no group {text!r} on this host") from None
    return text


# Settings whose value is a secret: never printed ('policy show' says only whether set).
SECRETS = {"pseudonym-key"}


ENVELOPE_WINDOWS = {"DL": (20.0, 50.0, 90.0, 35.0), "C5": (20.0, 47.0, 90.0, 45.0)}


def _window(value: str) -> str:
    """DL, C5 or LEFT,TOP,WIDTH,HEIGHT in millimetres, within an A4 page."""
    text = value.strip().upper()
    if text in ENVELOPE_WINDOWS:
        return text
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or any(n < 0 for n in numbers):
        raise ValueError("use DL, C5 or LEFT,TOP,WIDTH,HEIGHT in millimetres, e.g. 20,50,90,35")
    left, top, width, height = numbers
    if left + width > 210 or top + height > 297 or width < 40 or height < 20:
        raise ValueError("the window must fit on an A4 page and be at least 40 x 20 mm")
    return ",".join(f"{n:g}" for n in numbers)


def envelope_window(value: str) -> tuple[float, float, float, float]:
    """The window as (left, top, width, height) in millimetres."""
    if value in ENVELOPE_WINDOWS:
        return ENVELOPE_WINDOWS[value]
    left, top, width, height = (float(part) for part in value.split(","))
    return left, top, width, height


def _secret(value: str) -> str:
    text = value.strip()
    if text and (len(text) < 16 or any(ch.isspace() for ch in text)):
        raise ValueError("use at least 16 characters without spaces")
    return text


DEFAULT_DISPUTE_STAGES = [
    "Team Manager",
    "Service Manager",
    "Strategic Lead",
    "Director, Children's Social Care",
    "Cafcass",
    "Chief Executive",
]


@dataclass(frozen=True)
class Setting:
    key: str
    default: object
    parse: object
    help: str
    rule: str
    affects_schedule: bool = False


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting(
            "month-mode",
            "months",
            _choice("months", "days"),
            "'months': calendar months with end-of-month clamping (statutory); "
            "'days': fixed days, 3 months = 91 days, 6 months = 183 (a local procedure)",
            "R-CAL-4",
            affects_schedule=True,
        ),
        Setting(
            "closure-days",
            [],
            _dates,
            "extra local non-working days, comma-separated YYYY-MM-DD",
            "R-CAL-1",
            affects_schedule=True,
        ),
        Setting(
            "local-placement-rule",
            False,
            _bool,
            "on: a review within 20 working days of a new placement for a listed reason "
            "(a local procedure)",
            "R-SCH-9",
            affects_schedule=True,
        ),
        Setting(
            "local-placement-reasons",
            sorted(LOCAL_REASONS),
            _reasons,
            "the reasons that trigger the local placement rule: " + ", ".join(LOCAL_REASONS),
            "R-SCH-9",
            affects_schedule=True,
        ),
        Setting(
            "long-term-reviews",
            "six-monthly",
            _choice("six-monthly", "annual"),
            "long-term foster placements over 12 months: 'six-monthly' reviews with a "
            "meeting at least yearly (statutory), or 'annual' reviews (a local procedure)",
            "R-SCH-12",
            affects_schedule=True,
        ),
        Setting(
            "social-worker-conversation",
            15,
            _conversation_days,
            "working days before each review by which the IRO speaks with the social worker: "
            "15 (IRO Handbook 3.9); a local procedure may set another number",
            "R-PRE-4",
            affects_schedule=True,
        ),
        Setting(
            "quality-monitoring-form",
            False,
            _bool,
            "on: the IRO completes a quality monitoring form within 1 working day "
            "(a local procedure)",
            "R-POST-1",
            affects_schedule=True,
        ),
        Setting(
            "action-reminder-days",
            14,
            _days,
            "open decisions appear in 'due' this many days before their due date",
            "§4",
        ),
        Setting(
            "event-decision-days",
            5,
            _days,
            "working days for the IRO to decide whether a significant event needs a review "
            "(local practice; the Handbook sets no day)",
            "R-EVT-1",
            affects_schedule=True,
        ),
        Setting(
            "dispute-stages",
            DEFAULT_DISPUTE_STAGES,
            _names,
            "names of the escalation stages, in order, comma-separated (default: a local "
            "procedure's six stages)",
            "§6",
        ),
        Setting(
            "dispute-response-days",
            [5, 5, 5],
            _day_list,
            "working days for a response at stage 1, 2, 3 …; stages beyond the list have none",
            "§6",
            affects_schedule=True,
        ),
        Setting(
            "dispute-total-days",
            20,
            _days,
            "working days the whole internal process should take (IRO Handbook 6.2)",
            "§6",
            affects_schedule=True,
        ),
        Setting(
            "authority-name",
            "",
            _text,
            "the authority's name, printed on letters and reports",
            "",
        ),
        Setting(
            "authority-address",
            "",
            _text,
            "the authority's postal address for letterheads; separate lines with ';'",
            "",
        ),
        Setting(
            "authority-logo",
            "",
            _logo,
            "an image file (.png, .jpg, .gif or .svg, at most 1 MB) printed on letterheads; "
            "embedded in each HTML letter",
            "",
        ),
        Setting(
            "iro-service-phone",
            "",
            _text,
            "the Independent Review Unit's phone number, printed on letters",
            "",
        ),
        Setting(
            "iro-service-email",
            "",
            _text,
            "the Independent Review Unit's email address, printed on letters",
            "",
        ),
        Setting(
            "advocacy-service",
            "",
            _text,
            "the children's advocacy service and how to reach it, printed on letters",
            "",
        ),
        Setting(
            "complaints-contact",
            "",
            _text,
            "how to make a complaint (team, phone, email), printed on letters",
            "",
        ),
        Setting(
            "consultation-return-days",
            3,
            _days,
            "consultation papers are to be returned this many working days before the meeting "
            "(printed on invitations)",
            "R-PRE-2",
        ),
        Setting(
            "procedure-name",
            "",
            _text,
            "the name of the authority's own review procedure, cited on letters where a local "
            "rule applies (default: 'local procedure')",
            "",
        ),
        Setting(
            "protective-marking",
            "OFFICIAL-SENSITIVE",
            _text,
            "the protective marking printed on every page of letters and reports "
            "(Government Security Classifications; '' for none)",
            "",
        ),
        Setting(
            "envelope-window",
            "DL",
            _window,
            "where the recipient's address sits on a printed letter, for a window envelope: "
            "DL (20 mm from the left, 50 mm from the top, 90 x 35 mm), C5 (20 mm, 47 mm, "
            "90 x 45 mm) or LEFT,TOP,WIDTH,HEIGHT in millimetres",
            "",
        ),
        Setting(
            "calendar-personal-details",
            False,
            _bool,
            "on: calendar events carry the child's full name and the venue even when it is "
            "the child's home address; off: first name and child id only",
            "",
        ),
        Setting(
            "template-dir",
            "",
            _folder,
            "a folder of the authority's own letter and report templates; a template found "
            "there replaces the packaged one of the same name",
            "",
        ),
        Setting(
            "pseudonym-key",
            "",
            _secret,
            "the secret behind the stable pseudonyms of 'report monthly --pseudonymise' "
            "(created on first use; changing it changes every pseudonym)",
            "§7",
        ),
        Setting(
            "group",
            "",
            _group,
            "group mode ('init --group GROUP'): the unit's operating-system group owns the "
            "database, its WAL files, backups and outputs, all readable and writable by it",
            "",
        ),
        Setting(
            "require-person",
            False,
            _bool,
            "every write must name the person at the keyboard (REVIEWCLI_PERSON), recorded in "
            "the audit trail beside the account",
            "",
        ),
    ]
}


def parse_setting(key: str, value: str):
    setting = SETTINGS.get(key)
    if setting is None:
        raise ReviewError(f"unknown policy setting {key!r}; settings: {', '.join(SETTINGS)}")
    try:
        return setting.parse(value)
    except ValueError as e:
        raise ReviewError(f"invalid value for {key}: {e}") from None


def load(conn) -> dict[str, object]:
    """All settings, stored values over defaults. ``conn`` is a sqlite3 connection."""
    values = {key: s.default for key, s in SETTINGS.items()}
    for key, raw in conn.execute("SELECT key, value FROM policy"):
        if key in values:
            values[key] = json.loads(raw)
    return values


def schedule_policy(values: dict[str, object]) -> Policy:
    return Policy(
        month_mode=values["month-mode"],
        local_placement_rule=bool(values["local-placement-rule"]),
        local_placement_reasons=frozenset(values["local-placement-reasons"]),
        long_term_annual=values["long-term-reviews"] == "annual",
    )


def calendar(values: dict[str, object]):
    from .calendar import WorkingCalendar

    return WorkingCalendar(
        closures=[date.fromisoformat(d) for d in values["closure-days"]],
        month_mode=values["month-mode"],
    )
