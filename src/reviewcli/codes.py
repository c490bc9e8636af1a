"""SSDA903 code lists (the DfE children looked after return), with their labels.

Kept as data in one place so validation messages, letters and reports can show labels.
"""

from __future__ import annotations

from datetime import date

LEGAL_STATUS: dict[str, str] = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "V2": "Single period of accommodation under section 20",
    "V3": "Accommodated under an agreed series of short-term breaks, when individual episodes of care are recorded",
    "V4": "Accommodated under an agreed series of short-term breaks, when agreements are recorded",
    "L1": "Under police protection and in local authority accommodation",
    "L2": "Emergency protection order",
    "L3": "Under child assessment order and in local authority accommodation",
    "J1": "Remanded to local authority accommodation or to youth detention accommodation",
    "J2": "Placed in local authority accommodation under PACE 1984, including secure accommodation",
    "J3": "Sentenced to Youth Rehabilitation Order with residence or intensive fostering requirement",
}

REASON_NEW_EPISODE: dict[str, str] = {
    "S": "Started to be looked after",
    "L": "Change of legal status only",
    "P": "Change of placement and carer(s) only",
    "T": "Change of placement (same carer(s)) only",
    "B": "Change of legal status and placement and carer(s) at the same time",
    "U": "Change of legal status and placement (same carer(s)) at the same time",
}

PLACEMENT: dict[str, str] = {
    "A3": "Placed for adoption with consent with current foster carer(s)",
    "A4": "Placed for adoption with consent not with current foster carer(s)",
    "A5": "Placed for adoption with placement order with current foster carer(s)",
    "A6": "Placed for adoption with placement order not with current foster carer(s)",
    "H5": "Semi-independent living accommodation not subject to children's homes regulations",
    "K1": "Secure children's home",
    "K2": "Children's home",
    "K3": "Supported accommodation",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "P2": "Independent living",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS/health trust or other establishment providing medical or nursing care",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "Residential school",
    "T0": "All types of temporary move",
    "T1": "Temporary periods in hospital",
    "T2": "Temporary absences of the child on holiday",
    "T3": "Temporary accommodation whilst normal foster carer is on holiday",
    "T4": "Temporary accommodation of seven days or less",
    "U1": "Foster placement with relative or friend, long-term fostering",
    "U2": "Foster placement with relative or friend who is also an approved adopter, fostering for adoption / concurrent planning",
    "U3": "Foster placement with relative or friend, not long-term or FFA",
    "U4": "Foster placement with other foster carer, long-term fostering",
    "U5": "Foster placement with other foster carer who is also an approved adopter, FFA / concurrent planning",
    "U6": "Foster placement with other foster carer, not long-term or FFA",
    "Z1": "Other placement",
    # Added in 2025-26 in place of Z1; their official labels are in the DfE's guide for
    # that year, not reproduced here, so they are shown by code (codes.md).
    "Z11": "other placement type Z11",
    "Z12": "other placement type Z12",
    "Z13": "other placement type Z13",
    "Z14": "other placement type Z14",
}

REASON_CEASED: dict[str, str] = {
    "X1": "Episode ceases, and new episode begins on same day",
    "E11": "Adopted, application unopposed",
    "E12": "Adopted, consent dispensed with by the court",
    "E2": "Died",
    "E3": "Care taken over by another local authority in the UK",
    "E4A": "Returned home to parent(s) or others with parental responsibility as part of the care planning process",
    "E4B": "Returned home, not as part of the care planning process",
    "E13": "Left care to live with parent(s), relative(s) or other person(s) with no parental responsibility",
    "E41": "Residence order or child arrangements order granted",
    "E45": "Special guardianship order to former foster carer(s) who are relatives or friends",
    "E46": "Special guardianship order to former foster carer(s), other",
    "E47": "Special guardianship order to carer(s) other than former foster carers, relatives or friends",
    "E48": "Special guardianship order to carer(s) other than former foster carers, other",
    "E5": "Moved into independent living with supportive accommodation",
    "E6": "Moved into independent living without formalised support",
    "E7": "Transferred to residential care funded by adult social care",
    "E8": "Ceased for any other reason",
    "E9": "Sentenced to custody",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child aged 18 or over",
    "E16": "Child moved abroad",
    "E17": "Aged 18 or over and remained with current carers (including staying put)",
}

REASON_PLACE_CHANGE: dict[str, str] = {
    "CARPL": "Change to care plan",
    "CLOSE": "Carer or provider closed or deregistered",
    "ALLEG": "Allegation (s47)",
    "STAND": "Standards of care concern",
    "APPRR": "Approval removed",
    "CREQB": "Carer request because of child's behaviour",
    "CREQO": "Carer request, other reasons",
    "CHILD": "Child's request",
    "LAREQ": "Local authority request, resource reasons",
    "PLACE": "Change in status of placement only",
    "CUSTOD": "Custody arrangement",
    "OTHER": "Other",
}

PARTICIPATION: dict[str, str] = {
    "PN0": "Child aged under 4 at the time of the review",
    "PN1": "Child physically attends and speaks for themselves",
    "PN2": "Child physically attends and an advocate speaks on their behalf",
    "PN3": "Child attends and conveys their view symbolically (non-verbally)",
    "PN4": "Child physically attends but does not speak for themselves, does not convey their view symbolically and does not ask an advocate to speak for them",
    "PN5": "Child does not attend physically but briefs an advocate to speak for them",
    "PN6": "Child does not attend but conveys their feelings to the review by a facilitative medium",
    "PN7": "Child does not attend nor are their views conveyed to the review",
}
# Regimes read from the episode history (DOMAIN.md R-SCH-5..8, R-SCH-12).
SHORT_BREAK_STATUSES = frozenset({"V3", "V4"})
AUTHORISED_FOR_ADOPTION_STATUSES = frozenset({"E1", "D1"})
PLACED_FOR_ADOPTION = frozenset({"A3", "A4", "A5", "A6"})
LONG_TERM_FOSTER = frozenset({"U1", "U4"})
# Reasons a period of care ends by adoption: the end of an adoptive placement that is
# not a disruption (R-SCH-8).
ADOPTED = frozenset({"E11", "E12"})

CODE_LISTS: dict[str, dict[str, str]] = {
    "legal status": LEGAL_STATUS,
    "reason for new episode": REASON_NEW_EPISODE,
    "placement": PLACEMENT,
    "reason ceased": REASON_CEASED,
    "reason for placement change": REASON_PLACE_CHANGE,
    "participation": PARTICIPATION,
}


# Codes valid only for part of the return's history (codes.md, by collection year): the
# first and last day a record may carry them (None: no limit). A code not listed here is
# valid in every year.
WINDOWS: dict[str, dict[str, tuple[date | None, date | None]]] = {
    "placement": {
        # Rule 217t (2023-24): not for an episode open on or after 28 October 2023;
        # removed from the list in 2025-26.
        "P2": (None, date(2023, 10, 27)),
        # Semi-independent living and "other placement": removed in 2025-26.
        "H5": (None, date(2025, 3, 31)),
        "Z1": (None, date(2025, 3, 31)),
        # Supported accommodation: added in 2024-25.
        "K3": (date(2024, 4, 1), None),
        # In place of Z1 from 2025-26 (rule 146).
        "Z11": (date(2025, 4, 1), None),
        "Z12": (date(2025, 4, 1), None),
        "Z13": (date(2025, 4, 1), None),
        "Z14": (date(2025, 4, 1), None),
    },
}

# SEX in the return: 1/2 until 2023-24, M/F/U from 2024-25 (rule 101). The import reads
# both (a child's header may come from any year); the export writes the year's own.
SEX_CODES_FROM = date(2024, 4, 1)
SEX_READ = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}


def sex_code(gender: str | None, year_start: date | None) -> str:
    """The SEX cell for a child's recorded gender in the return whose year starts on
    ``year_start`` (None: the current codes)."""
    g = (gender or "").strip().lower()
    sex = {"m": "M", "male": "M", "boy": "M", "1": "M", "f": "F", "female": "F", "girl": "F"}
    sex |= {"2": "F", "u": "U", "unknown": "U", "indeterminate": "U"}
    code = sex.get(g, "")
    if year_start is not None and year_start < SEX_CODES_FROM:
        return {"M": "1", "F": "2"}.get(code, "")
    return code


def valid_between(kind: str, code: str, start: date, end: date | None = None) -> bool:
    """Whether ``code`` is valid for a record whose dates run from ``start`` to ``end``
    (None: still open): valid on at least one of its days."""
    window = WINDOWS.get(kind, {}).get(code)
    if window is None:
        return code in CODE_LISTS[kind]
    first, last = window
    return (first is None or end is None or first <= end) and (last is None or last >= start)


def valid_codes(kind: str, start: date | None = None, end: date | None = None) -> list[str]:
    """The codes of ``kind`` valid for a record from ``start`` to ``end`` (every code when
    no date is given)."""
    codes = CODE_LISTS[kind]
    if start is None:
        return list(codes)
    return [c for c in codes if valid_between(kind, c, start, end)]


def check_code(
    kind: str, value: str | None, on: date | None = None, until: date | None = None
) -> str | None:
    """Return the code, upper-cased, or raise ReviewError naming the valid ones.

    With ``on`` (and ``until``, None for a record still open) the code must also be valid
    for those dates: a code retired before them is refused with the list then in force.
    """
    from .errors import ReviewError

    if value is None:
        return None
    code = value.strip().upper()
    codes = CODE_LISTS[kind]
    if code not in codes:
        valid = valid_codes(kind, on, until)
        when = f" on {on.isoformat()}" if on else ""
        raise ReviewError(f"unknown {kind} code {value!r}; valid codes{when}: {', '.join(valid)}")
    if on is not None and not valid_between(kind, code, on, until):
        first, last = WINDOWS[kind][code]
        why = (
            f"retired after {last.isoformat()}"
            if last and last < on
            else (f"valid only from {first.isoformat()}")
        )
        raise ReviewError(
            f"{kind} code {code} is {why}; valid codes on {on.isoformat()}: "
            f"{', '.join(valid_codes(kind, on, until))}"
        )
    return code


def label(kind: str, code: str | None) -> str:
    """The label of a code, or an empty string."""
    if not code:
        return ""
    return CODE_LISTS[kind].get(code, "")


# Significant events (DOMAIN.md R-EVT-1 and R-EVT-2), by the kind an admin types.
# R-EVT-1: the IRO decides whether a review is needed.
REPORTABLE = {
    "care-plan-change": "change of care plan",
    "plan-not-implemented": "decisions of a review not carried out",
    "contact-change": "change in contact arrangements",
    "social-worker-change": "change of social worker",
    "safeguarding": "safeguarding concern",
    "complaint": "complaint by or about the child",
    "placement-instability": "placement instability",
    "family-event": "significant family event",
    "offending": "offending",
    "exclusion": "exclusion from school",
    "missing": "missing from placement",
    "health": "significant health event",
    "permanence-panel": "permanence panel decision",
}
# R-EVT-2: a review must be held before the change is implemented.
REVIEW_FIRST = {
    "leaving-care-before-18": "leaving care before 18",
    "supported-accommodation": "move to supported accommodation (K3) or independent living "
    "before 18",
    "custody-discharge": "discharge from custody of a child on a care order",
    "education-disrupting-move": "unplanned move that disrupts education",
    "key-stage-4-move": "move interrupting Key Stage 4",
    "settled-carer-move": "move of a child long settled with the same carer",
}
EVENT_KINDS = {**REPORTABLE, **REVIEW_FIRST}
# Kinds renamed since: still read when typed (R-EVT-2 wording, DOMAIN.md §5).
EVENT_KIND_ALIASES = {"unregulated-accommodation": "supported-accommodation"}
