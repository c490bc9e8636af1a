"""The IRO service's annual report (IRO Handbook 7.11) for one financial year, 1 April to
31 March, as councils publish it for their corporate parenting board.

``annual_report`` counts the twelve monthly reports (``reports.monthly_report``) over the
year: a figure counted in a month (reviews held, disputes opened …) adds up over the year;
a figure at a month's end (actions overdue, disputes open, caseloads) is taken at the
year's end. What counts only over the whole year (children seen between reviews, children
whose IRO changed, the stages disputes reached) is counted again over the year, since a
child counted in two months is one child. The year's end adds the profile of the
children in care and the make-up of the IRO team. Beside each figure stands the previous
year's, where the records reach back that far (else null).

``measures`` lays the report out as the tables every format shows: a row per measure,
the twelve months side by side, the year and the previous year; each measure has its
definition and the rule behind it (``DEFINITIONS``).
"""

from __future__ import annotations

import math
import re
from datetime import date

from . import codes
from .calendar import age_on
from .casefacts import (
    DISPUTE_RESULTS,
    DISPUTE_THEMES,
    IRO_CHANGE_REASONS,
    PARENT_PARTICIPATION,
)
from .errors import ReviewError
from .reports import (
    NO_REASON,
    NO_RESULT,
    NO_THEME,
    PARTICIPATION_CODES,
    RECORD_STEPS,
    _percent,
    markdown_tables,
    monthly_report,
)
from .store import Store

# Figures counted in a month: the year's is the sum of its months'.
SUM_KEYS = [
    "reviews_held",
    "held_on_time",
    "held_out_of_time",
    "held_without_meeting",
    "participation_not_recorded",
    "parent_participation_not_recorded",
    "parents_took_part",
    "children_took_part",
    "seen_before_review",
    "care_plans_due",
    "care_plans_updated_on_time",
    "first_reviews_held",
    "first_reviews_within_20_working_days",
    "first_reviews_late",
    "first_reviews_short_breaks",
    "periods_started",
    "iro_allocated_within_5_working_days",
    "iro_allocated_late",
    "iro_not_allocated",
    "iro_allocation_pending",
    "decisions_made",
    "starred_decisions",
    "starred_forwarded_within_72_hours",
    "events_recorded",
    "events_review_directed",
    "events_no_review",
    "events_awaiting_decision",
    "events_review_before_change",
    "disputes_opened",
    "disputes_escalated",
    "disputes_resolved",
    "disputes_referred_to_cafcass",
    "iro_changes",
]
# Counts by code counted in a month: summed code by code.
DICT_KEYS = [
    "out_of_time_reasons",
    "participation",
    "parent_participation",
    "events_by_kind",
    "disputes_by_theme",
    "disputes_by_result",
    "iro_contacts",
    "iro_changes_by_reason",
]
# Figures at the end of a month: the year's is March's.
YEAR_END_KEYS = [
    "actions_overdue_at_month_end",
    "disputes_open_at_month_end",
    "caseloads",
    "due_next_month",
    "dispute_stage_names",
]
AGE_BANDS = [("under 1", 0, 0), ("1 to 4", 1, 4), ("5 to 9", 5, 9), ("10 to 15", 10, 15)]
AGE_BANDS.append(("16 and over", 16, 200))


def parse_year(value: str) -> tuple[date, date, str]:
    """'2026-27' → (1 Apr 2026, 31 Mar 2027, '2026-27'); '2026-2027' is read the same."""
    text = (value or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2}|\d{4})", text)
    if m:
        first, second = int(m.group(1)), m.group(2)
        follows = int(second) == ((first + 1) % 100 if len(second) == 2 else first + 1)
        if follows and 1 <= first < 9999:
            return date(first, 4, 1), date(first + 1, 3, 31), year_label(first)
    raise ReviewError(
        f"invalid year {value!r}: use the financial year as YYYY-YY, e.g. 2026-27 "
        "(1 April 2026 to 31 March 2027)"
    )


def year_label(first: int) -> str:
    return f"{first}-{(first + 1) % 100:02d}"


def month_keys(start: date) -> list[str]:
    """The twelve months of the year beginning ``start`` (1 April), as YYYY-MM."""
    out = []
    for i in range(12):
        y, m = start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1
        out.append(f"{y}-{m:02d}")
    return out


def annual_report(store: Store, year: str, *, today: date, previous: bool = True) -> dict:
    start, end, label = parse_year(year)
    s, e = start.isoformat(), end.isoformat()
    months = [monthly_report(store, m, today=today) for m in month_keys(start)]
    data: dict = {
        "year": label,
        # Not one month: the key is kept so that every key of the monthly report is here.
        "month": None,
        "from": s,
        "to": e,
        "generated_on": today.isoformat(),
        "pseudonymised": False,
    }
    for key in SUM_KEYS:
        data[key] = sum(m[key] for m in months)
    for key in DICT_KEYS:
        total: dict[str, int] = {}
        for m in months:
            for code, n in m[key].items():
                total[code] = total.get(code, 0) + n
        data[key] = total
    data["out_of_time_reasons"] = dict(
        sorted(data["out_of_time_reasons"].items(), key=lambda kv: (-kv[1], kv[0]))
    )
    data["events_by_kind"] = dict(sorted(data["events_by_kind"].items(), key=lambda kv: -kv[1]))
    data["out_of_time_reviews"] = [r for m in months for r in m["out_of_time_reviews"]]
    records = {}
    for step, rule, label_ in RECORD_STEPS:
        rec = {"rule": rule, "label": label_}
        for field in ("due", "on_time", "late", "outstanding"):
            rec[field] = sum(m["records"][step][field] for m in months)
        records[step] = rec
    data["records"] = records
    for key in YEAR_END_KEYS:
        data[key] = months[-1][key]
    data["percent_on_time"] = _percent(data["held_on_time"], data["reviews_held"])
    data["care_plans_percent_on_time"] = _percent(
        data["care_plans_updated_on_time"], data["care_plans_due"]
    )
    parents = data["parent_participation"]
    data["parents_percent"] = _percent(
        data["parents_took_part"], sum(parents.values()) - parents.get("not-applicable", 0)
    )
    data["seen_before_review_percent"] = _percent(data["seen_before_review"], data["reviews_held"])
    data["children_percent"] = _percent(
        data["children_took_part"],
        sum(data["participation"].values()) - data["participation"].get("PN0", 0),
    )
    data.update(_over_the_year(store, s, e))
    data["profile"] = profile(store, end)
    data["team"] = team(data["caseloads"])
    data["months"] = months
    data["previous_year"] = None
    if previous:
        first = store.value("SELECT MIN(start_date) FROM periods")
        p_start, p_end = date(start.year - 1, 4, 1), date(start.year, 3, 31)
        if first and first <= p_end.isoformat():
            prev = annual_report(store, year_label(start.year - 1), today=today, previous=False)
            prev.pop("months")
            prev.pop("previous_year")
            prev["records_begin"] = first
            prev["complete"] = first < p_start.isoformat()
            data["previous_year"] = prev
    return data


def _over_the_year(store: Store, s: str, e: str) -> dict:
    """Figures of the whole year that are not the sum of its months."""
    out: dict = {}
    out["children_looked_after_in_year"] = store.value(
        "SELECT COUNT(DISTINCT child_id) FROM periods WHERE start_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?)",
        [e, s],
    )
    out["children_seen_between_reviews"] = store.value(
        "SELECT COUNT(DISTINCT child_id) FROM iro_contacts WHERE on_date BETWEEN ? AND ?", [s, e]
    )
    out["children_changed_iro"] = store.value(
        "SELECT COUNT(DISTINCT a.child_id) FROM allocations a WHERE a.start_date BETWEEN ? AND ? "
        "AND EXISTS (SELECT 1 FROM allocations b WHERE b.child_id = a.child_id "
        "AND b.id != a.id AND b.end_date = a.start_date AND b.iro_id != a.iro_id)",
        [s, e],
    )
    out["children_same_iro_percent"] = _percent(
        out["children_looked_after_in_year"] - out["children_changed_iro"],
        out["children_looked_after_in_year"],
    )
    stage_count = len(store.policy_values["dispute-stages"])
    stages = {str(n): 0 for n in range(1, stage_count + 1)}
    for (stage,) in store.conn.execute(
        "SELECT (SELECT MAX(l.stage) FROM dispute_log l WHERE l.dispute_id = d.id "
        "AND l.on_date <= ?) FROM disputes d WHERE d.opened_on <= ? "
        "AND (d.resolved_on IS NULL OR d.resolved_on >= ?)",
        [e, e, s],
    ):
        if stage is not None:
            stages[str(stage)] = stages.get(str(stage), 0) + 1
    out["disputes_by_stage_reached"] = stages
    return out


def profile(store: Store, day: date) -> dict:
    """The children looked after on ``day``: ages, legal status, placement types, and
    placements outside the authority's area (from each child's episode on that day)."""
    d = day.isoformat()
    rows = store.rows(
        "SELECT c.dob, e.legal_status, e.placement, e.out_of_area FROM periods p "
        "JOIN children c ON c.id = p.child_id "
        "LEFT JOIN episodes e ON e.id = (SELECT x.id FROM episodes x WHERE x.period_id = p.id "
        "AND x.start_date <= ? ORDER BY x.start_date DESC, x.id DESC LIMIT 1) "
        "WHERE p.start_date <= ? AND (p.end_date IS NULL OR p.end_date > ?)",
        [d, d, d],
    )
    ages = {band: 0 for band, _, _ in AGE_BANDS}
    legal: dict[str, int] = {}
    placement: dict[str, int] = {}
    area = {"in area": 0, "out of area": 0, "not recorded": 0}
    for r in rows:
        age = age_on(date.fromisoformat(r["dob"]), day)
        for band, low, high in AGE_BANDS:
            if low <= age <= high:
                ages[band] += 1
        ls = r["legal_status"] or "not recorded"
        legal[ls] = legal.get(ls, 0) + 1
        pl = r["placement"] or "not recorded"
        placement[pl] = placement.get(pl, 0) + 1
        key = {1: "out of area", 0: "in area"}.get(r["out_of_area"], "not recorded")
        area[key] += 1
    return {
        "on": d,
        "children": len(rows),
        "ages": ages,
        "legal_status": dict(sorted(legal.items())),
        "placement": dict(sorted(placement.items())),
        "area": area,
    }


def team(caseloads: list[dict]) -> dict:
    """The IRO team at the year's end, from March's caseloads: IROs, full-time
    equivalents and children per full-time IRO, by team."""
    teams: dict[str, dict] = {}
    for c in caseloads:
        t = teams.setdefault(c["team"], {"team": c["team"], "iros": 0, "fte": 0.0, "children": 0})
        t["iros"] += 1
        t["fte"] = round(t["fte"] + c["fte"], 2)
        t["children"] += c["caseload"]
    for t in teams.values():
        t["per_fte"] = round(t["children"] / t["fte"], 1) if t["fte"] else None
    fte = round(sum(c["fte"] for c in caseloads), 2)
    children = sum(c["caseload"] for c in caseloads)
    return {
        "iros": len(caseloads),
        "fte": fte,
        "children": children,
        "per_fte": round(children / fte, 1) if fte else None,
        "above_70_per_fte": sum(1 for c in caseloads if c["band"] == "above"),
        "by_team": sorted(teams.values(), key=lambda t: t["team"]),
    }


def pseudonymise(store: Store, data: dict, key: str) -> dict:
    from .reports import pseudonymise as monthly

    out = monthly(store, data, key)
    out["months"] = [monthly(store, m, key) for m in data["months"]]
    if data.get("previous_year"):
        prev = dict(data["previous_year"])
        prev["months"] = []
        out["previous_year"] = monthly(store, prev, key)
        out["previous_year"].pop("months")
    return out


# --- the measures, their definitions and rules -----------------------------------------------

# key: (label, rule, definition). A per cent is kept as 66.7 for 66.7 %.
DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "reviews_held": (
        "Reviews held",
        "R-SCH-15",
        "Reviews recorded in the period; a review counts in the month of its recording date "
        "(its first meeting, or the date first set for an adjourned review).",
    ),
    "held_on_time": (
        "Held on time",
        "R-SCH-15",
        "Reviews recorded on or before their deadline (R-SCH-1 to R-SCH-10).",
    ),
    "held_out_of_time": (
        "Held out of time",
        "R-SCH-15",
        "Reviews recorded after their deadline; each has its reason (below).",
    ),
    "percent_on_time": ("Per cent on time", "R-SCH-15", "Held on time, of reviews held."),
    "first_reviews_within_20_working_days": (
        "First reviews within 20 working days",
        "R-SCH-1",
        "First reviews recorded within 20 working days of the start of care (short breaks, "
        "R-SCH-5, apart).",
    ),
    "held_without_meeting": (
        "Held without a meeting",
        "R-SCH-12",
        "Reviews of long-term foster placements held without a meeting.",
    ),
    "children_took_part": (
        "Children who took part",
        "§7 (PN1–PN3, PN5, PN6)",
        "Reviews where the child attended and spoke, through an advocate or symbolically, or "
        "briefed an advocate or conveyed views without attending (SSDA903 codes).",
    ),
    "children_percent": (
        "Per cent of children who took part",
        "§7",
        "Children who took part, of reviews of children aged 4 or over with a code (PN1–PN7).",
    ),
    "parents_took_part": (
        "Parents who took part",
        "IRO Handbook 7.11",
        "Reviews where a parent attended, or gave their views without attending.",
    ),
    "parents_percent": (
        "Per cent of parents who took part",
        "IRO Handbook 7.11",
        "Parents who took part, of reviews with a code recorded and a parent to involve.",
    ),
    "seen_before_review": (
        "Seen by their IRO before the review",
        "R-PRE-4",
        "Reviews where the IRO's conversation with the child (step iro-visit) is recorded as "
        "done on or before the day of the meeting.",
    ),
    "seen_before_review_percent": (
        "Per cent seen before the review",
        "R-PRE-4",
        "Seen before the review, of reviews held.",
    ),
    "children_seen_between_reviews": (
        "Children seen between reviews",
        "IRO Handbook 3.74",
        "Children with at least one contact with their IRO between reviews (a visit, a call "
        "or a midway review; a child is counted once in the month and once in the year).",
    ),
    "contacts:visit": ("IRO visits", "IRO Handbook 3.74", "Visits to the child by the IRO."),
    "contacts:call": (
        "IRO calls",
        "IRO Handbook 3.74",
        "Telephone or video calls between the IRO and the child.",
    ),
    "contacts:midway-review": (
        "Midway reviews",
        "IRO Handbook 3.74",
        "Midway reviews of the care plan between two reviews.",
    ),
    "disputes_opened": (
        "Disputes opened",
        "§6",
        "Concerns the IRO took into the dispute resolution process.",
    ),
    "disputes_escalated": ("Escalations", "§6", "Steps up to a later stage."),
    "disputes_resolved": ("Disputes resolved", "§6", "Disputes closed with their outcome."),
    "disputes_referred_to_cafcass": (
        "Cafcass referrals",
        "§6",
        "Disputes referred to Cafcass (possible at any stage).",
    ),
    "disputes_open_at_month_end": (
        "Disputes open at the end",
        "§6",
        "Disputes opened and not resolved by the last day (the year's: 31 March).",
    ),
    "decisions_made": (
        "Decisions made",
        "§4",
        "Decisions recorded at the reviews held (cancelled ones not counted).",
    ),
    "starred_decisions": (
        "Starred decisions",
        "§4",
        "Crucial decisions the IRO tracks personally.",
    ),
    "starred_forwarded_within_72_hours": (
        "Starred decisions forwarded within 72 hours",
        "R-POST-7",
        "Starred decisions forwarded to the social worker and managers within 3 days.",
    ),
    "actions_overdue_at_month_end": (
        "Actions overdue at the end",
        "§4",
        "Decisions past their due date and not done by the last day (the year's: 31 March).",
    ),
    "care_plans_due": (
        "Care plans due to be updated",
        "R-POST-4",
        "Care-plan steps whose deadline (10 working days after the review) falls in the period.",
    ),
    "care_plans_updated_on_time": (
        "Care plans updated within 10 working days",
        "R-POST-4",
        "Of those, care plans updated by the deadline.",
    ),
    "care_plans_percent_on_time": (
        "Per cent of care plans updated on time",
        "R-POST-4",
        "Care plans updated within 10 working days, of those due.",
    ),
    "iro_allocated_within_5_working_days": (
        "IRO named within 5 working days",
        "R-IRO-2",
        "Periods of care started whose IRO was named within 5 working days.",
    ),
    "iro_changes": (
        "Changes of IRO",
        "IRO Handbook 7.11",
        "A child's IRO replaced by another (each change counted, with its reason).",
    ),
    "children_changed_iro": (
        "Children whose IRO changed",
        "IRO Handbook 7.11",
        "Children with at least one change of IRO (once in the month, once in the year).",
    ),
    "children_looked_after_in_year": (
        "Children looked after in the year",
        "§2",
        "Children looked after on any day of the year.",
    ),
    "children_same_iro_percent": (
        "Per cent who kept the same IRO",
        "IRO Handbook 7.11",
        "Children looked after in the year whose IRO did not change in it.",
    ),
    "out_of_time_reasons": (
        "Reasons for reviews out of time",
        "R-SCH-15",
        "The reason recorded for each review held out of time, as written (spaces tidied).",
    ),
    "participation": (
        "Participation of the child",
        "§7",
        "The SSDA903 participation code recorded for each review held (PN0 to PN7).",
    ),
    "parent_participation": (
        "Participation of parents",
        "IRO Handbook 7.11",
        "How the parents took part in each review held, one code per review (review hold "
        "--parents, review parents).",
    ),
    "disputes_by_theme": (
        "Disputes by theme",
        "IRO Handbook 7.11, chapter 6",
        "The theme of each dispute opened in the period (dispute open --theme, dispute theme).",
    ),
    "disputes_by_stage_reached": (
        "Disputes by the highest stage reached",
        "§6",
        "Disputes open at some time in the period, by the highest stage reached by its end "
        "(stages and their names are a policy setting).",
    ),
    "disputes_by_result": (
        "Disputes by result",
        "IRO Handbook 7.11, chapter 6",
        "How each dispute resolved in the period ended (dispute resolve --result).",
    ),
    "iro_changes_by_reason": (
        "Changes of IRO by reason",
        "IRO Handbook 7.11",
        "The reason recorded for each change of IRO (allocate --change-reason).",
    ),
    "profile": (
        "Profile of the children in care",
        "§2",
        "Children looked after on 31 March: age on that day (the DfE's bands), legal status "
        "and placement type of their episode on that day (SSDA903 codes), and whether that "
        "placement is outside the authority's area (episode area).",
    ),
    "caseloads": (
        "IRO caseloads",
        "R-IRO-4",
        "Children looked after on 31 March allocated to each IRO, per full-time equivalent, "
        "against the 50 to 70 of good practice.",
    ),
    "team": (
        "The IRO team",
        "IRO Handbook 7.11, 7.15",
        "The IROs with a caseload or still active on 31 March, their full-time equivalents "
        "and children, by team.",
    ),
}

SECTIONS = [
    (
        "reviews",
        "Reviews on time and out of time",
        "Reviews",
        [
            "reviews_held",
            "held_on_time",
            "held_out_of_time",
            "percent_on_time",
            "first_reviews_within_20_working_days",
            "held_without_meeting",
        ],
    ),
    (
        "participation",
        "Participation of children and parents",
        "Participation",
        ["children_took_part", "children_percent", "parents_took_part", "parents_percent"],
    ),
    (
        "seen",
        "Children seen by their IRO",
        "Seen by IRO",
        [
            "seen_before_review",
            "seen_before_review_percent",
            "children_seen_between_reviews",
            "contacts:visit",
            "contacts:call",
            "contacts:midway-review",
        ],
    ),
    (
        "disputes",
        "Dispute resolution and Cafcass",
        "Disputes",
        [
            "disputes_opened",
            "disputes_escalated",
            "disputes_resolved",
            "disputes_referred_to_cafcass",
            "disputes_open_at_month_end",
        ],
    ),
    (
        "decisions",
        "Decisions, starred decisions and actions",
        "Decisions",
        [
            "decisions_made",
            "starred_decisions",
            "starred_forwarded_within_72_hours",
            "actions_overdue_at_month_end",
        ],
    ),
    (
        "care_plans",
        "Care plans updated within 10 working days",
        "Care plans",
        ["care_plans_due", "care_plans_updated_on_time", "care_plans_percent_on_time"],
    ),
    (
        "iro",
        "IRO allocation and continuity",
        "IRO continuity",
        [
            "iro_allocated_within_5_working_days",
            "iro_changes",
            "children_changed_iro",
            "children_looked_after_in_year",
            "children_same_iro_percent",
        ],
    ),
]
YEAR_ONLY = {"children_looked_after_in_year", "children_same_iro_percent"}


def _value(data: dict | None, key: str):
    if data is None:
        return None
    if key.startswith("contacts:"):
        return data["iro_contacts"].get(key.split(":", 1)[1], 0)
    return data.get(key)


def _month_heading(month: str) -> str:
    y, m = month.split("-")
    return f"{date(int(y), int(m), 1):%b %Y}"


def columns(data: dict) -> list[tuple[str, str]]:
    """The columns of a trend table: the measure, its rule, the twelve months, the year and
    the previous year."""
    prev = data["previous_year"]
    months = [m["month"] for m in data["months"]]
    return (
        [("measure", "Measure"), ("rule", "Rule")]
        + [(f"m{m}", _month_heading(m)) for m in months]
        + [("year", data["year"]), ("previous", prev["year"] if prev else "Previous year")]
    )


def _trend_row(data: dict, key: str, label: str, rule: str, value_of) -> dict:
    row = {"key": key, "measure": label, "rule": rule}
    for m in data["months"]:
        row[f"m{m['month']}"] = None if key in YEAR_ONLY else value_of(m)
    row["year"] = value_of(data)
    row["previous"] = value_of(data["previous_year"]) if data["previous_year"] else None
    return row


def _breakdown(data: dict, key: str, codes_: list[str], label_of, rule: str) -> list[dict]:
    rows = []
    for code in codes_:

        def value_of(m, code=code):
            return None if m is None else m[key].get(code, 0)

        rows.append(_trend_row(data, f"{key}:{code}", label_of(code), rule, value_of))
    return rows


def measures(data: dict) -> list[dict]:
    """The annual report as tables (the same shape as ``reports.tables``): a row per
    measure with the twelve months, the year and the previous year."""
    cols = columns(data)
    out = []
    for key, title, sheet, keys in SECTIONS:
        rows = [
            _trend_row(
                data,
                k,
                DEFINITIONS[k][0],
                DEFINITIONS[k][1],
                lambda m, k=k: _value(m, k),
            )
            for k in keys
        ]
        out.append(
            {"key": key, "sheet": sheet, "title": title, "item": "key", "columns": cols}
            | {"rows": rows}
        )

    reasons = list(data["out_of_time_reasons"])
    if data["previous_year"]:
        reasons += [r for r in data["previous_year"]["out_of_time_reasons"] if r not in reasons]
    pn = codes.PARTICIPATION
    stage_names = data["dispute_stage_names"]
    breakdowns = [
        (
            "out_of_time_reasons",
            "Reasons for reviews out of time",
            "Out of time reasons",
            "R-SCH-15",
            reasons,
            lambda c: c,
        ),
        (
            "participation",
            "Participation of the child, by SSDA903 code",
            "Child participation",
            "§7",
            PARTICIPATION_CODES,
            lambda c: f"{c}: {pn[c]}",
        ),
        (
            "parent_participation",
            "Participation of parents",
            "Parent participation",
            "IRO Handbook 7.11",
            list(PARENT_PARTICIPATION),
            lambda c: f"{c}: {PARENT_PARTICIPATION[c]}",
        ),
        (
            "disputes_by_theme",
            "Disputes opened, by theme",
            "Dispute themes",
            "§6",
            [*DISPUTE_THEMES, NO_THEME],
            lambda c: f"{c}: {DISPUTE_THEMES[c]}" if c in DISPUTE_THEMES else c,
        ),
        (
            "disputes_by_result",
            "Disputes resolved, by result",
            "Dispute results",
            "§6",
            [*DISPUTE_RESULTS, NO_RESULT],
            lambda c: f"{c}: {DISPUTE_RESULTS[c]}" if c in DISPUTE_RESULTS else c,
        ),
        (
            "iro_changes_by_reason",
            "Changes of IRO, by reason",
            "IRO change reasons",
            "IRO Handbook 7.11",
            [*IRO_CHANGE_REASONS, NO_REASON],
            lambda c: f"{c}: {IRO_CHANGE_REASONS[c]}" if c in IRO_CHANGE_REASONS else c,
        ),
    ]
    for key, title, sheet, rule, codes_, label_of in breakdowns:
        rows = _breakdown(data, key, codes_, label_of, rule)
        if key in ("disputes_by_theme", "disputes_by_result", "iro_changes_by_reason"):
            rows = [r for r in rows if r["year"] or r["previous"]]
        out.append(
            {"key": key, "sheet": sheet, "title": title, "item": "key", "columns": cols}
            | {"rows": rows}
        )
    # Stages reached: disputes active in the period, by the highest stage reached by its end.
    rows = []
    for n, name in stage_names.items():

        def value_of(m, n=n):
            return None if m is None else m["disputes_by_stage_reached"].get(n, 0)

        rows.append(_trend_row(data, f"stage:{n}", f"Stage {n}: {name}", "§6", value_of))
    out.append(
        {
            "key": "disputes_by_stage_reached",
            "sheet": "Dispute stages reached",
            "title": "Disputes by the highest stage reached (disputes active in the period)",
            "item": "key",
            "columns": cols,
            "rows": rows,
        }
    )
    out += _year_end_tables(data)
    out.append(
        {
            "key": "definitions",
            "sheet": "Definitions",
            "title": "Definitions of the measures",
            "item": "key",
            "columns": [("measure", "Measure"), ("rule", "Rule"), ("definition", "Definition")],
            "rows": [
                {"key": k, "measure": label, "rule": rule, "definition": text}
                for k, (label, rule, text) in DEFINITIONS.items()
            ],
        }
    )
    return out


def _year_end_tables(data: dict) -> list[dict]:
    """The children in care and the IRO team at the year's end, beside the previous year's."""
    prev = data["previous_year"]
    cols = [
        ("measure", "Measure"),
        ("year", f"31 March {data['to'][:4]}"),
        ("previous", f"31 March {prev['to'][:4]}" if prev else "Previous year"),
    ]
    p, q = data["profile"], prev["profile"] if prev else None

    def rows_of(group: str, labels) -> list[dict]:
        keys = list(p[group])
        if q:
            keys += [k for k in q[group] if k not in keys]
        return [
            {
                "key": f"{group}:{k}",
                "measure": labels(k),
                "year": p[group].get(k, 0),
                "previous": q[group].get(k, 0) if q else None,
            }
            for k in keys
        ]

    def legal(code: str) -> str:
        meaning = codes.LEGAL_STATUS.get(code)
        return f"{code}: {meaning}" if meaning else code

    def placement(code: str) -> str:
        meaning = codes.PLACEMENT.get(code)
        return f"{code}: {meaning}" if meaning else code

    profile_rows = [
        {
            "key": "children",
            "measure": "Children looked after",
            "year": p["children"],
            "previous": q["children"] if q else None,
        }
    ]
    profile_rows += rows_of("ages", lambda k: f"Aged {k}")
    profile_rows += rows_of(
        "area", lambda k: f"Placed {k}" if k != "not recorded" else "Placement area not recorded"
    )
    t, u = data["team"], prev["team"] if prev else None
    team_rows = [
        {"key": k, "measure": label, "year": t[k], "previous": u[k] if u else None}
        for k, label in (
            ("iros", "IROs"),
            ("fte", "Full-time equivalents"),
            ("children", "Children allocated"),
            ("per_fte", "Children per full-time IRO (R-IRO-4: 50–70)"),
            ("above_70_per_fte", "IROs above 70 per full-time equivalent"),
        )
    ]
    team_by = {r["team"]: r for r in t["by_team"]}
    prev_by = {r["team"]: r for r in u["by_team"]} if u else {}
    for name in sorted(set(team_by) | set(prev_by)):
        now, then = team_by.get(name), prev_by.get(name)
        for k, label in (
            ("iros", "IROs"),
            ("fte", "full-time equivalents"),
            ("children", "children"),
        ):
            team_rows.append(
                {
                    "key": f"team:{name}:{k}",
                    "measure": f"Team {name}: {label}",
                    "year": now[k] if now else None,
                    "previous": then[k] if then else None,
                }
            )
    return [
        {
            "key": "profile",
            "sheet": "Children in care",
            "title": "Profile of the children in care at the year's end: ages and area",
            "item": "key",
            "columns": cols,
            "rows": profile_rows,
        },
        {
            "key": "legal_status",
            "sheet": "Legal status",
            "title": "Children in care at the year's end, by legal status",
            "item": "key",
            "columns": cols,
            "rows": rows_of("legal_status", legal),
        },
        {
            "key": "placement",
            "sheet": "Placement types",
            "title": "Children in care at the year's end, by placement type",
            "item": "key",
            "columns": cols,
            "rows": rows_of("placement", placement),
        },
        {
            "key": "caseloads",
            "sheet": "Caseloads",
            "title": "IRO caseloads on 31 March (R-IRO-4: 50–70 per full-time IRO)",
            "item": "key",
            "columns": [
                ("iro_id", "IRO"),
                ("name", "Name"),
                ("team", "Team"),
                ("fte", "FTE"),
                ("caseload", "Children"),
                ("per_fte", "Per FTE"),
                ("band", "Against 50–70"),
            ],
            "rows": [{"key": c["iro_id"], **c} for c in data["caseloads"]],
        },
        {
            "key": "team",
            "sheet": "IRO team",
            "title": "The IRO team at the year's end: make-up and caseloads (R-IRO-4)",
            "item": "key",
            "columns": cols,
            "rows": team_rows,
        },
    ]


# --- renderers -------------------------------------------------------------------------------


def to_csv(data: dict, excel: bool | None = None) -> str:
    """One long table, as the monthly report's: section, item, field, value. ``field`` is
    a month (YYYY-MM), ``year``, ``previous`` or ``rule``."""
    import io

    from .output import csv_writer
    from .reports import _csv_cell as cell

    stream = io.StringIO()
    writer = csv_writer(stream, excel)
    writer.writerow(["section", "item", "field", "value"])
    writer.writerows(
        (cell("report"), cell(k), cell("value"), cell(data[k]))
        for k in ("year", "from", "to", "generated_on", "pseudonymised")
    )
    if data["previous_year"]:
        writer.writerow(["report", "previous_year", "value", data["previous_year"]["year"]])
    for table in measures(data):
        section = cell(table["key"])
        fields = [
            (key, cell(key[1:] if key.startswith("m") and key[1:2].isdigit() else key))
            for key, _ in table["columns"]
            if key != "measure"
        ]
        prefix = table["key"] + ":"
        for r in table["rows"]:
            # A breakdown's row is named by its code (or reason) alone: the section says which.
            name = cell(r["key"][len(prefix) :] if r["key"].startswith(prefix) else r["key"])
            writer.writerows((section, name, field, cell(r.get(key))) for key, field in fields)
    return stream.getvalue()


def to_markdown(data: dict) -> str:
    prev = data["previous_year"]
    lines = [
        f"# Annual report of the IRO service: {data['year']}",
        "",
        f"{data['from']} to {data['to']}; made on {data['generated_on']}"
        + ("; pseudonymised (initials and stable pseudonyms)." if data["pseudonymised"] else "."),
        "Each measure is counted month by month (a review in the month of its recording date); "
        "the year's figure is the sum of the months, or at 31 March for a figure at a month's "
        "end. "
        + (
            f"Beside it, {prev['year']}'s"
            + ("" if prev["complete"] else f" (records begin {prev['records_begin']})")
            + "."
            if prev
            else "The records do not reach back to the previous year."
        ),
    ]
    lines += markdown_tables(measures(data))
    return "\n".join(lines) + "\n"


def write_xlsx(data: dict, stream, authority: dict | None = None) -> None:
    from .reports import write_workbook

    authority = authority or {}
    prev = data["previous_year"]
    title = [
        ("Authority", authority.get("name") or ""),
        ("Report", "Annual report of the IRO service (IRO Handbook 7.11)"),
        ("Year", data["year"]),
        ("From", date.fromisoformat(data["from"])),
        ("To", date.fromisoformat(data["to"])),
        ("Previous year", prev["year"] if prev else "not in the records"),
        ("Made on", date.fromisoformat(data["generated_on"])),
        ("Pseudonymised", "yes" if data["pseudonymised"] else "no"),
    ]
    write_workbook(
        stream,
        f"Annual report of the IRO service: {data['year']}",
        title,
        measures(data),
        marking=authority.get("marking") or "",
        authority=authority,
    )


def charts(data: dict) -> list[dict]:
    """Twelve months side by side for the HTML report: for each chart, the months' bars
    (a value, or a stack of parts) and the previous year's month beside each, where held."""
    prev = data["previous_year"]
    months = data["months"]
    labels = [_month_heading(m["month"])[:3] for m in months]

    def series(title, parts, unit="", top=None):
        """``parts``: (label, colour, value_of); stacked when more than one."""
        bars = []
        for i, m in enumerate(months):
            values = [value_of(m) for _, _, value_of in parts]
            stack = [
                {"label": lab, "colour": col, "value": v or 0}
                for (lab, col, _), v in zip(parts, values, strict=True)
            ]
            # A month with nothing to count (a per cent of no reviews) has no bar at all.
            total = None if all(v is None for v in values) else sum(p["value"] for p in stack)
            bars.append({"month": labels[i], "stack": stack, "total": total})
        biggest = max([b["total"] or 0 for b in bars] + [top or 0, 1])
        if not top:  # a count: the axis runs to an even number, so its middle is whole
            biggest = math.ceil(biggest / 2) * 2
        for b in bars:
            y = 0.0
            for p in b["stack"]:
                p["share"] = p["value"] / biggest
                p["offset"] = y
                y += p["share"]
            b["share"] = (b["total"] or 0) / biggest
        return {
            "title": title,
            "unit": unit,
            "max": biggest,
            "bars": bars,
            "legend": [{"label": lab, "colour": col} for lab, col, _ in parts],
        }

    def pct(key):
        return lambda m: m.get(key)

    out = [
        series(
            "Reviews held each month: on time and out of time (R-SCH-15)",
            [
                ("on time", "#1d4e89", pct("held_on_time")),
                ("out of time", "#c75b00", pct("held_out_of_time")),
            ],
        ),
        series(
            "Per cent of reviews on time",
            [("on time", "#1d4e89", pct("percent_on_time"))],
            "%",
            100,
        ),
        series(
            "Per cent of children and of parents who took part",
            [("children", "#2e7d32", pct("children_percent"))],
            "%",
            100,
        ),
        series("", [("parents", "#66bb6a", pct("parents_percent"))], "%", 100),
        series(
            "Per cent of children seen by their IRO before the review (R-PRE-4)",
            [("seen", "#6a1b9a", pct("seen_before_review_percent"))],
            "%",
            100,
        ),
        series(
            "Per cent of care plans updated within 10 working days (R-POST-4)",
            [("on time", "#00838f", pct("care_plans_percent_on_time"))],
            "%",
            100,
        ),
        series(
            "Disputes opened and referrals to Cafcass",
            [
                ("opened", "#b00020", pct("disputes_opened")),
                ("Cafcass", "#6d4c41", pct("disputes_referred_to_cafcass")),
            ],
        ),
        series(
            "Changes of IRO",
            [("changes", "#455a64", pct("iro_changes"))],
        ),
    ]
    # The parents' chart shares a frame with the children's: one chart, two bars a month.
    children, parents = out[2], out.pop(3)
    children["pairs"] = parents["bars"]
    children["legend"] += parents["legend"]
    return [c | {"previous": bool(prev)} for c in out]


def to_html(data: dict, header: dict, template_dir: str | None = None) -> str:
    from jinja2 import TemplateError

    from .letters import _environment, _template_error

    env = _environment(template_dir)
    name = "report-annual.html.j2"
    prev = data["previous_year"]
    headline = [
        ("reviews held", data["reviews_held"], prev["reviews_held"] if prev else None, ""),
        ("on time", data["percent_on_time"], prev["percent_on_time"] if prev else None, "%"),
        (
            "children took part",
            data["children_percent"],
            prev["children_percent"] if prev else None,
            "%",
        ),
        (
            "parents took part",
            data["parents_percent"],
            prev["parents_percent"] if prev else None,
            "%",
        ),
        (
            "seen before review",
            data["seen_before_review_percent"],
            prev["seen_before_review_percent"] if prev else None,
            "%",
        ),
        ("disputes opened", data["disputes_opened"], prev["disputes_opened"] if prev else None, ""),
    ]
    try:
        return env.get_template(name).render(
            report=data,
            tables=measures(data),
            charts=charts(data),
            headline=[
                {"label": a, "value": b, "previous": c, "unit": u} for a, b, c, u in headline
            ],
            authority=header,
            previous=prev,
        )
    except TemplateError as e:
        raise _template_error(name, e) from None
