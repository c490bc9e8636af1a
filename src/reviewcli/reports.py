"""The monthly monitoring report (DOMAIN.md §7; IRO Handbook 7.11).

``monthly_report`` gathers the figures of one month from the store into a plain dict
(the JSON of ``report monthly --format json``); ``tables`` lays that dict out as the
tables every other format shows; the ``to_*`` and ``write_xlsx`` functions render them.
Nothing here imports the command-line framework.

How each figure is counted:

- a review counts in the month of its recording date; it is on time when its recording
  date is on or before its deadline (R-SCH-15), out of time otherwise, with its reason;
- participation: the SSDA903 code of each review held (PN0–PN7, every key present);
- first reviews held in the month, and how many within 20 working days of the start of
  care (R-SCH-1; first reviews of short breaks, R-SCH-5, are counted apart);
- IRO allocation: periods of care starting in the month, and whether an IRO was named
  within 5 working days (R-IRO-2), late, not yet (deadline passed) or still pending;
- records: the steps R-POST-2 (decisions circulated), R-POST-5 (full record) and
  R-POST-6 (record distributed) whose deadline falls in the month: done on time, done
  late, or still outstanding;
- decisions made at the reviews held in the month, how many starred (and forwarded
  within 72 hours, R-POST-7), and every action overdue at the end of the month (due on or
  before the last day and not done by then);
- significant events recorded in the month; disputes opened, escalated (each step up),
  resolved, referred to Cafcass in the month, and open at its end;
- caseload per IRO at the end of the month, per full-time equivalent, against the
  50–70 of R-IRO-4;
- the reviews due next month by team (the team managers' sheet): every review whose
  deadline falls next month, booked or held, and every open period of care whose next
  review falls due then and is not yet booked.
"""

from __future__ import annotations

import calendar as _calendar
import hmac
import io
import json
import re
from datetime import date, timedelta
from hashlib import sha256
from itertools import chain

from . import codes
from .casefacts import (
    DISPUTE_RESULTS,
    DISPUTE_THEMES,
    IRO_CHANGE_REASONS,
    IRO_CONTACT_KINDS,
    PARENT_PARTICIPATION,
    PARENTS_TOOK_PART,
    SEEN_BEFORE_STEP,
)
from .errors import ReviewError
from .output import _csv_value, csv_text, csv_writer, safe_cell
from .store import Store

PARTICIPATION_CODES = [f"PN{i}" for i in range(8)]
CHILD_TOOK_PART = ("PN1", "PN2", "PN3", "PN5", "PN6")
RECORD_STEPS = [
    ("decisions", "R-POST-2", "decisions and recommendations circulated (5 working days)"),
    ("care-plan", "R-POST-4", "care plan updated by the social worker (10 working days)"),
    ("record", "R-POST-5", "full record of the review (15 working days)"),
    ("distribution", "R-POST-6", "record distributed to participants (20 working days)"),
]
CASELOAD_LOW, CASELOAD_HIGH = 50, 70  # R-IRO-4
NO_TEAM = "(no team)"
NO_REASON = "(no reason recorded)"
NO_THEME = "(no theme recorded)"
NO_RESULT = "(no result recorded)"


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def parse_month(value: str) -> tuple[date, date]:
    """'2026-10' → (1 Oct 2026, 31 Oct 2026)."""
    text = (value or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ReviewError(f"invalid month {value!r}: use YYYY-MM")
    year, month = int(m.group(1)), int(m.group(2))
    return date(year, month, 1), date(year, month, _calendar.monthrange(year, month)[1])


def _month_after(start: date) -> tuple[date, date]:
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt, date(nxt.year, nxt.month, _calendar.monthrange(nxt.year, nxt.month)[1])


def _iro_on(day: str) -> str:
    return (
        "(SELECT a.iro_id FROM allocations a WHERE a.child_id = {t}.child_id "
        f"AND a.start_date <= {day} AND (a.end_date IS NULL OR a.end_date > {day}) "
        "ORDER BY a.start_date DESC LIMIT 1)"
    )


def _working_days_after(cal):
    """``cal.add_working_days`` as ISO text, remembered per start day (a month's periods
    and reviews share a few dozen start days)."""
    seen: dict[tuple[str, int], str] = {}

    def after(day: str, n: int) -> str:
        key = (day, n)
        if key not in seen:
            seen[key] = cal.add_working_days(date.fromisoformat(day), n).isoformat()
        return seen[key]

    return after


def caseload_band(per_fte: float) -> str:
    """R-IRO-4: 50–70 children per full-time IRO is good practice; above 70 a warning."""
    if per_fte < CASELOAD_LOW:
        return "below"
    return "within" if per_fte <= CASELOAD_HIGH else "above"


def monthly_report(store: Store, month: str, *, today: date) -> dict:
    start, end = parse_month(month)
    s, e = start.isoformat(), end.isoformat()
    cal = store.calendar
    data: dict = {
        "month": f"{start:%Y-%m}",
        "from": s,
        "to": e,
        "generated_on": today.isoformat(),
        "pseudonymised": False,
    }

    # --- reviews held (R-SCH-15) ------------------------------------------------------------
    # Every review held in the month is counted; only those out of time are listed, so the
    # child's name, team and IRO are looked up for those alone (below), and the start of
    # care for first reviews alone.
    held = store.rows(
        "SELECT r.id, r.child_id, r.number, r.rule, r.deadline, r.recording_date, r.meeting, "
        "r.participation, r.parent_participation, r.late_reason, CASE WHEN r.number = 1 THEN "
        "(SELECT p.start_date FROM periods p WHERE p.id = r.period_id) END AS period_start "
        "FROM reviews r JOIN children c ON c.id = r.child_id "
        "WHERE r.status = 'held' AND r.recording_date BETWEEN ? AND ? "
        "ORDER BY r.recording_date, r.child_id, r.id",
        [s, e],
    )
    late = [r for r in held if r["deadline"] and r["recording_date"] > r["deadline"]]
    about = {
        review_id: (first_name, last_name, team, iro)
        for review_id, first_name, last_name, team, iro in store.conn.execute(
            "SELECT r.id, c.first_name, c.last_name, c.team, "
            + _iro_on("r.recording_date").format(t="r")
            + " FROM reviews r JOIN children c ON c.id = r.child_id "
            "WHERE r.id IN (SELECT value FROM json_each(?))",
            [json.dumps([r["id"] for r in late])],
        )
    }
    reasons: dict[str, int] = {}
    for r in late:
        reason = " ".join((r["late_reason"] or "").split()) or NO_REASON
        reasons[reason] = reasons.get(reason, 0) + 1
    data["reviews_held"] = len(held)
    data["held_on_time"] = len(held) - len(late)
    data["held_out_of_time"] = len(late)
    data["percent_on_time"] = _percent(len(held) - len(late), len(held))
    data["out_of_time_reasons"] = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    data["out_of_time_reviews"] = []
    for r in late:
        first_name, last_name, team, iro = about[r["id"]]
        data["out_of_time_reviews"].append(
            {
                "review_id": r["id"],
                "child_id": r["child_id"],
                "name": f"{first_name} {last_name}",
                "team": team or NO_TEAM,
                "iro": iro,
                "number": r["number"],
                "recording_date": r["recording_date"],
                "deadline": r["deadline"],
                "days_late": (
                    date.fromisoformat(r["recording_date"]) - date.fromisoformat(r["deadline"])
                ).days,
                "reason": " ".join((r["late_reason"] or "").split()) or NO_REASON,
            }
        )
    data["held_without_meeting"] = sum(1 for r in held if not r["meeting"])

    # --- participation (§7) -------------------------------------------------------------------
    participation = {code: 0 for code in PARTICIPATION_CODES}
    for r in held:
        if r["participation"] in participation:
            participation[r["participation"]] += 1
    data["participation"] = participation
    data["participation_not_recorded"] = sum(1 for r in held if not r["participation"])
    # Children who took part (PN1–PN3, PN5, PN6), of those aged 4 or over with a code
    # (PN0 is a child under 4; PN4 and PN7 did not take part).
    data["children_took_part"] = sum(participation[c] for c in CHILD_TOOK_PART)
    data["children_percent"] = _percent(
        data["children_took_part"], sum(participation.values()) - participation["PN0"]
    )

    # --- parents' participation and children seen before their review (R-PRE-4) -------------
    parents = {code: 0 for code in PARENT_PARTICIPATION}
    for r in held:
        if r["parent_participation"] in parents:
            parents[r["parent_participation"]] += 1
    data["parent_participation"] = parents
    data["parent_participation_not_recorded"] = sum(
        1 for r in held if not r["parent_participation"]
    )
    data["parents_took_part"] = sum(parents[c] for c in PARENTS_TOOK_PART)
    data["parents_percent"] = _percent(
        data["parents_took_part"],
        sum(parents.values()) - parents["not-applicable"],
    )
    # The month's reviews' steps, looked up by review (the steps' unique index).
    recorded = {r["id"]: r["recording_date"] for r in held}
    seen = sum(
        1
        for review_id, done_on in store.conn.execute(
            "SELECT review_id, done_on FROM review_steps WHERE step = ? AND status = 'done' "
            "AND review_id IN (SELECT value FROM json_each(?))",
            [SEEN_BEFORE_STEP, json.dumps(list(recorded))],
        )
        if done_on and done_on <= recorded[review_id]
    )
    data["seen_before_review"] = seen
    data["seen_before_review_percent"] = _percent(seen, len(held))

    # --- first reviews within 20 working days (R-SCH-1) --------------------------------------
    # The first review found in a continuing period whose history is not recorded has no
    # deadline (it is not judged against R-SCH-1): it is not a first review to count.
    first = [r for r in held if r["number"] == 1 and r["deadline"] is not None]
    incomplete = sum(1 for r in held if r["deadline"] is None)
    if incomplete:
        data["reviews_history_incomplete"] = incomplete
        data["history_note"] = (
            f"{incomplete} reviews held were the first found for children whose care began "
            "before the earliest SSDA903 return held: not judged, and not counted as first "
            "reviews, until their history is recorded"
        )
    short = [r for r in first if r["rule"] == "R-SCH-5"]
    working_days = _working_days_after(cal)
    within = 0
    for r in first:
        if r["rule"] == "R-SCH-5":
            continue
        within += r["recording_date"] <= working_days(r["period_start"], 20)
    data["first_reviews_held"] = len(first)
    data["first_reviews_within_20_working_days"] = within
    data["first_reviews_late"] = len(first) - len(short) - within
    data["first_reviews_short_breaks"] = len(short)

    # --- IRO allocated within 5 working days (R-IRO-2) ----------------------------------------
    # The day an IRO was first named for the period: one query, a subquery per period.
    periods = store.conn.execute(
        "SELECT p.start_date, (SELECT MIN(MAX(a.start_date, p.start_date)) FROM allocations a "
        "WHERE a.child_id = p.child_id AND (a.end_date IS NULL OR a.end_date > p.start_date)) "
        "FROM periods p WHERE p.start_date BETWEEN ? AND ?",
        [s, e],
    ).fetchall()
    alloc = {"within": 0, "late": 0, "missing": 0, "pending": 0}
    on = today.isoformat()
    for began, named in periods:
        due = working_days(began, 5)
        if named:
            alloc["within" if named <= due else "late"] += 1
        else:
            alloc["missing" if due < on else "pending"] += 1
    data["periods_started"] = len(periods)
    data["iro_allocated_within_5_working_days"] = alloc["within"]
    data["iro_allocated_late"] = alloc["late"]
    data["iro_not_allocated"] = alloc["missing"]
    data["iro_allocation_pending"] = alloc["pending"]

    # --- records on time (R-POST-2, R-POST-5, R-POST-6) --------------------------------------
    # Counted by SQLite in one pass over the (step, due) index.
    counts = {
        step: (n, done, on_time, done_late)
        for step, n, done, on_time, done_late in store.conn.execute(
            "SELECT step, COUNT(*), TOTAL(status = 'done'), "
            "TOTAL(status = 'done' AND done_on <= due), TOTAL(status = 'done' AND done_on > due) "
            "FROM review_steps WHERE step IN (?, ?, ?, ?) AND due BETWEEN ? AND ? GROUP BY step",
            [step for step, _, _ in RECORD_STEPS] + [s, e],
        )
    }
    records = {}
    for step, rule, label in RECORD_STEPS:
        n, done, on_time, done_late = counts.get(step, (0, 0, 0, 0))
        records[step] = {
            "rule": rule,
            "label": label,
            "due": n,
            "on_time": int(on_time),
            "late": int(done_late),
            "outstanding": n - int(done),
        }
    data["records"] = records
    plans = records["care-plan"]
    data["care_plans_due"] = plans["due"]
    data["care_plans_updated_on_time"] = plans["on_time"]
    data["care_plans_percent_on_time"] = _percent(plans["on_time"], plans["due"])

    # --- decisions and actions (§4, R-POST-7) ------------------------------------------------
    # Only a held review has a recording date (records.hold_review sets both at once, and a
    # held review is never cancelled), so the reviews are found through their partial
    # index on (recording_date) WHERE status = 'held', and their decisions by review.
    made = store.conn.execute(
        "SELECT d.starred, d.forward_due, d.forwarded_on FROM reviews r "
        "JOIN decisions d ON d.review_id = r.id "
        "WHERE r.status = 'held' AND r.recording_date BETWEEN ? AND ? "
        "AND d.status != 'cancelled'",
        [s, e],
    ).fetchall()
    starred = [(due, on) for star, due, on in made if star]
    data["decisions_made"] = len(made)
    data["starred_decisions"] = len(starred)
    data["starred_forwarded_within_72_hours"] = sum(1 for due, on in starred if on and on <= due)
    data["actions_overdue_at_month_end"] = store.value(
        "SELECT COUNT(*) FROM decisions d JOIN reviews r ON r.id = d.review_id "
        "WHERE d.status != 'cancelled' AND r.recording_date <= ? AND d.due <= ? "
        "AND (d.done_on IS NULL OR d.done_on > ?)",
        [e, e, e],
    )

    # --- significant events (R-EVT-1, R-EVT-2) ------------------------------------------------
    events = store.rows(
        "SELECT kind, requires_review, decision FROM events WHERE recorded_on BETWEEN ? AND ?",
        [s, e],
    )
    by_kind: dict[str, int] = {}
    for ev in events:
        by_kind[ev["kind"]] = by_kind.get(ev["kind"], 0) + 1
    data["events_recorded"] = len(events)
    data["events_by_kind"] = {
        k: by_kind[k] for k in sorted(by_kind, key=lambda k: (list(codes.EVENT_KINDS).index(k), k))
    }
    data["events_review_directed"] = sum(1 for ev in events if ev["decision"] == "review")
    data["events_no_review"] = sum(1 for ev in events if ev["decision"] == "no-review")
    data["events_awaiting_decision"] = sum(
        1 for ev in events if ev["decision"] is None and not ev["requires_review"]
    )
    data["events_review_before_change"] = sum(1 for ev in events if ev["requires_review"])

    # --- disputes (§6) -----------------------------------------------------------------------
    data["disputes_opened"] = store.value(
        "SELECT COUNT(*) FROM disputes WHERE opened_on BETWEEN ? AND ?", [s, e]
    )
    data["disputes_escalated"] = store.value(
        "SELECT COUNT(*) FROM dispute_log WHERE action = 'escalate' AND on_date BETWEEN ? AND ?",
        [s, e],
    )
    data["disputes_resolved"] = store.value(
        "SELECT COUNT(*) FROM disputes WHERE resolved_on BETWEEN ? AND ?", [s, e]
    )
    data["disputes_referred_to_cafcass"] = store.value(
        "SELECT COUNT(*) FROM disputes WHERE cafcass_referred_on BETWEEN ? AND ?", [s, e]
    )
    data["disputes_open_at_month_end"] = store.value(
        "SELECT COUNT(*) FROM disputes WHERE opened_on <= ? "
        "AND (resolved_on IS NULL OR resolved_on > ?)",
        [e, e],
    )
    themes = {code: 0 for code in DISPUTE_THEMES}
    themes[NO_THEME] = 0
    for (theme,) in store.conn.execute(
        "SELECT theme FROM disputes WHERE opened_on BETWEEN ? AND ?", [s, e]
    ):
        themes[theme if theme in themes else NO_THEME] += 1
    data["disputes_by_theme"] = themes
    results = {code: 0 for code in DISPUTE_RESULTS}
    results[NO_RESULT] = 0
    for (result,) in store.conn.execute(
        "SELECT result FROM disputes WHERE resolved_on BETWEEN ? AND ?", [s, e]
    ):
        results[result if result in results else NO_RESULT] += 1
    data["disputes_by_result"] = results
    # The highest stage each dispute reached by the end of the month (stages only go up),
    # counted over the disputes active in the month: opened, escalated or resolved in it,
    # or open across it.
    stage_names = store.policy_values["dispute-stages"]
    data["dispute_stage_names"] = {str(n): name for n, name in enumerate(stage_names, 1)}
    stages = {str(n): 0 for n in range(1, len(stage_names) + 1)}
    for (stage,) in store.conn.execute(
        "SELECT (SELECT MAX(l.stage) FROM dispute_log l WHERE l.dispute_id = d.id "
        "AND l.on_date <= ?) FROM disputes d WHERE d.opened_on <= ? "
        "AND (d.resolved_on IS NULL OR d.resolved_on >= ?)",
        [e, e, s],
    ):
        if stage is not None:
            stages[str(stage)] = stages.get(str(stage), 0) + 1
    data["disputes_by_stage_reached"] = stages

    # --- the IRO's contacts with children between reviews -------------------------------------
    contacts = {kind: 0 for kind in IRO_CONTACT_KINDS}
    seen_children = set()
    for kind, child_id in store.conn.execute(
        "SELECT kind, child_id FROM iro_contacts WHERE on_date BETWEEN ? AND ?", [s, e]
    ):
        contacts[kind] = contacts.get(kind, 0) + 1
        seen_children.add(child_id)
    data["iro_contacts"] = contacts
    data["children_seen_between_reviews"] = len(seen_children)

    # --- IRO continuity: changes of IRO in the month, with their reasons ---------------------
    changes = {code: 0 for code in IRO_CHANGE_REASONS}
    changes[NO_REASON] = 0
    changed_children = set()
    for child_id, reason in store.conn.execute(
        "SELECT a.child_id, a.reason FROM allocations a WHERE a.start_date BETWEEN ? AND ? "
        "AND EXISTS (SELECT 1 FROM allocations b WHERE b.child_id = a.child_id "
        "AND b.id != a.id AND b.end_date = a.start_date AND b.iro_id != a.iro_id)",
        [s, e],
    ):
        changes[reason if reason in changes else NO_REASON] += 1
        changed_children.add(child_id)
    data["iro_changes"] = sum(changes.values())
    data["iro_changes_by_reason"] = changes
    data["children_changed_iro"] = len(changed_children)

    # --- caseloads at month end (R-IRO-4) ----------------------------------------------------
    caseloads = []
    for i in store.rows(
        # One pass over the allocations (a subquery per IRO rescans them for each IRO).
        "SELECT i.id, i.name, i.team, i.fte, i.active, COALESCE(n.caseload, 0) AS caseload "
        "FROM iros i LEFT JOIN ("
        " SELECT a.iro_id, COUNT(*) AS caseload FROM allocations a "
        " JOIN periods p ON p.child_id = a.child_id "
        " WHERE a.start_date <= :e AND (a.end_date IS NULL OR a.end_date > :e)"
        " AND p.start_date <= :e AND (p.end_date IS NULL OR p.end_date > :e)"
        " GROUP BY a.iro_id) n ON n.iro_id = i.id "
        "ORDER BY i.id",
        {"e": e},
    ):
        if not i["active"] and not i["caseload"]:
            continue
        per_fte = round(i["caseload"] / i["fte"], 1)
        band = caseload_band(per_fte)
        caseloads.append(
            {
                "iro_id": i["id"],
                "name": i["name"],
                "team": i["team"] or NO_TEAM,
                "fte": i["fte"],
                "caseload": i["caseload"],
                "per_fte": per_fte,
                "band": band,
            }
        )
    data["caseloads"] = caseloads

    # --- reviews due next month, by team ------------------------------------------------------
    ns, ne = _month_after(start)
    due = []
    for r in store.rows(
        "SELECT r.id, r.child_id, r.number, r.deadline, r.rule, r.status, r.booked_date, "
        "r.recording_date, c.first_name, c.last_name, c.team, "
        + _iro_on("r.deadline").format(t="r")
        + " AS iro FROM reviews r JOIN children c ON c.id = r.child_id "
        "WHERE r.status IN ('booked', 'adjourned', 'held') AND r.deadline BETWEEN ? AND ?",
        [ns.isoformat(), ne.isoformat()],
    ):
        due.append(
            {
                "team": r["team"] or NO_TEAM,
                "child_id": r["child_id"],
                "name": f"{r['first_name']} {r['last_name']}",
                "iro": r["iro"],
                "number": r["number"],
                "deadline": r["deadline"],
                "rule": r["rule"],
                "booked": r["recording_date"] or r["booked_date"],
                "status": r["status"],
                "review_id": r["id"],
            }
        )
    for p in store.rows(
        "SELECT p.child_id, p.next_number, p.next_due, p.next_rule, c.first_name, c.last_name, "
        "c.team, " + _iro_on("p.next_due").format(t="p") + " AS iro "
        # Named: without statistics SQLite prefers the index of open periods by child,
        # which reads every open period rather than those due next month.
        "FROM periods p INDEXED BY periods_open_due "
        "JOIN children c ON c.id = p.child_id WHERE p.end_date IS NULL "
        "AND p.next_due BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM reviews r "
        "WHERE r.period_id = p.id AND r.status IN ('booked', 'adjourned'))"
        # R-SCH-5: a series of short breaks between stays (its last stay, ended, carries
        # the series' next review).
        " UNION ALL SELECT p.child_id, p.next_number, p.next_due, p.next_rule, c.first_name, "
        "c.last_name, c.team, " + _iro_on("p.next_due").format(t="p") + " AS iro "
        "FROM periods p JOIN children c ON c.id = p.child_id WHERE p.end_date IS NOT NULL "
        "AND p.next_due BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM reviews r "
        "WHERE r.period_id = p.id AND r.status IN ('booked', 'adjourned'))",
        [ns.isoformat(), ne.isoformat(), ns.isoformat(), ne.isoformat()],
    ):
        due.append(
            {
                "team": p["team"] or NO_TEAM,
                "child_id": p["child_id"],
                "name": f"{p['first_name']} {p['last_name']}",
                "iro": p["iro"],
                "number": p["next_number"],
                "deadline": p["next_due"],
                "rule": p["next_rule"],
                "booked": None,
                "status": "not booked",
                "review_id": None,
            }
        )
    due.sort(key=lambda d: (d["team"], d["deadline"], d["child_id"]))
    teams: dict[str, dict] = {}
    for d in due:
        t = teams.setdefault(
            d["team"], {"team": d["team"], "reviews": 0, "booked": 0, "not_booked": 0, "held": 0}
        )
        t["reviews"] += 1
        key = {"held": "held", "not booked": "not_booked"}.get(d["status"], "booked")
        t[key] += 1
    data["due_next_month"] = {
        "month": f"{ns:%Y-%m}",
        "total": len(due),
        "by_team": list(teams.values()),
        "reviews": due,
    }
    return data


# --- pseudonymisation ------------------------------------------------------------------------


def ensure_pseudonym_key(store: Store) -> str:
    """The authority's pseudonym secret (policy pseudonym-key), created on first use."""
    import secrets

    key = str(store.policy_values.get("pseudonym-key") or "")
    if key:
        return key
    key = secrets.token_hex(16)
    with store.write():
        store.conn.execute(
            "INSERT INTO policy (key, value) VALUES ('pseudonym-key', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [json.dumps(key)],
        )
    store.forget_policy()
    return key


def pseudonym(key: str, child_id: str) -> str:
    """A stable pseudonym for a child id: the same in every report made with the same key,
    and not to be worked back without it."""
    digest = hmac.new(key.encode(), child_id.encode(), sha256).hexdigest()
    # 64 bits: among 1,000,000 children two share a pseudonym with a chance of about
    # 1 in 37 million (8 hex digits, 32 bits, made a clash all but certain); the report
    # checks anyway (``pseudonymise``).
    return f"P-{digest[:16].upper()}"


def initials(first: str, last: str) -> str:
    return "".join(f"{part[0].upper()}." for part in (first, last) if part and part.strip())


def pseudonymise(store: Store, data: dict, key: str) -> dict:
    """A copy of the report with child names as initials, child ids as pseudonyms, and
    any name of a child or contact in free text (out-of-time reasons) blanked."""
    children = store.rows("SELECT id, first_name, last_name FROM children")
    ids = {c["id"]: pseudonym(key, c["id"]) for c in children}
    if len(set(ids.values())) != len(ids):
        raise ReviewError(
            "two children would share a pseudonym under this key; set a new one with "
            "'reviewcli policy set pseudonym-key NEW-SECRET' and make the report again"
        )
    names = {c["id"]: initials(c["first_name"], c["last_name"]) for c in children}
    words = set()
    for c in children:
        words.update(_name_words(c["first_name"]) + _name_words(c["last_name"]))
    for (name,) in store.conn.execute("SELECT name FROM contacts"):
        words.update(_name_words(name))
    pattern = None
    alternatives = sorted(words | set(ids), key=len, reverse=True)
    if alternatives:
        pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(w) for w in alternatives) + r")(?!\w)",
            re.IGNORECASE,
        )

    scrubbed: dict[str, str] = {}

    def scrub(text):
        # The pattern holds every name: slow to run, so each reason (a few kinds, repeated
        # across the month's reviews) is scrubbed once.
        if not isinstance(text, str) or pattern is None:
            return text
        if text not in scrubbed:
            scrubbed[text] = pattern.sub(lambda m: ids.get(m.group(0), "[name]"), text)
        return scrubbed[text]

    def row(r: dict) -> dict:
        out = dict(r)
        if out.get("child_id") in ids:
            cid = out["child_id"]
            out["child_id"] = ids[cid]
            if "name" in out:
                out["name"] = names[cid]
        if "reason" in out:
            out["reason"] = scrub(out["reason"])
        return out

    result = dict(data)
    result["pseudonymised"] = True
    reasons: dict[str, int] = {}
    for reason, n in data["out_of_time_reasons"].items():
        clean = scrub(reason)
        reasons[clean] = reasons.get(clean, 0) + n
    result["out_of_time_reasons"] = reasons
    result["out_of_time_reviews"] = [row(r) for r in data["out_of_time_reviews"]]
    due = dict(data["due_next_month"])
    due["reviews"] = sorted(
        (row(r) for r in due["reviews"]), key=lambda d: (d["team"], d["deadline"], d["child_id"])
    )
    result["due_next_month"] = due
    return result


def _name_words(name: str | None) -> list[str]:
    return [w for w in re.split(r"[^\w'-]+", name or "") if len(w) >= 2]


# --- the tables every format shows -------------------------------------------------------------


def _measures(pairs: list[tuple[str, str, object]]) -> list[dict]:
    return [{"key": k, "measure": label, "value": v} for k, label, v in pairs]


MEASURE_COLUMNS = [("measure", "Measure"), ("value", "Value")]


def tables(data: dict) -> list[dict]:
    """The report as tables: each has a key, a title, columns (key, heading), rows, and
    ``item``, the column naming a row in the long CSV."""
    pn = codes.PARTICIPATION
    rec = data["records"]
    due = data["due_next_month"]
    out = [
        {
            "key": "reviews",
            "sheet": "Reviews held",
            "title": "Reviews held",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    ("reviews_held", "Reviews held", data["reviews_held"]),
                    ("held_on_time", "Held on time", data["held_on_time"]),
                    ("held_out_of_time", "Held out of time", data["held_out_of_time"]),
                    ("percent_on_time", "Per cent on time", data["percent_on_time"]),
                    (
                        "held_without_meeting",
                        "Held without a meeting (R-SCH-12)",
                        data["held_without_meeting"],
                    ),
                ]
            ),
        },
        {
            "key": "out_of_time_reasons",
            "sheet": "Out of time reasons",
            "title": "Reasons for reviews out of time",
            "item": "reason",
            "columns": [("reason", "Reason"), ("reviews", "Reviews")],
            "rows": [{"reason": k, "reviews": v} for k, v in data["out_of_time_reasons"].items()],
        },
        {
            "key": "out_of_time_reviews",
            "sheet": "Out of time reviews",
            "title": "Reviews held out of time",
            "item": "review_id",
            "columns": [
                ("review_id", "Review"),
                ("child_id", "Child"),
                ("name", "Name"),
                ("team", "Team"),
                ("iro", "IRO"),
                ("number", "No."),
                ("recording_date", "Recorded"),
                ("deadline", "Deadline"),
                ("days_late", "Days late"),
                ("reason", "Reason"),
            ],
            "rows": data["out_of_time_reviews"],
        },
        {
            "key": "participation",
            "sheet": "Participation",
            "title": "Participation of the child (SSDA903)",
            "item": "code",
            "columns": [("code", "Code"), ("meaning", "Meaning"), ("reviews", "Reviews")],
            "rows": [
                {"code": c, "meaning": pn[c], "reviews": n}
                for c, n in data["participation"].items()
            ]
            + [
                {
                    "code": "none",
                    "meaning": "No code recorded",
                    "reviews": data["participation_not_recorded"],
                }
            ],
        },
        {
            "key": "parent_participation",
            "sheet": "Parents",
            "title": "Participation of parents",
            "item": "code",
            "columns": [("code", "Code"), ("meaning", "Meaning"), ("reviews", "Reviews")],
            "rows": [
                {"code": c, "meaning": PARENT_PARTICIPATION[c], "reviews": n}
                for c, n in data["parent_participation"].items()
            ]
            + [
                {
                    "code": "none",
                    "meaning": "Not recorded",
                    "reviews": data["parent_participation_not_recorded"],
                },
                {
                    "code": "took-part",
                    "meaning": "Parents took part (attended or contributed)",
                    "reviews": data["parents_took_part"],
                },
                {
                    "code": "percent",
                    "meaning": "Per cent who took part, of reviews with a code and a parent to "
                    "involve",
                    "reviews": data["parents_percent"],
                },
            ],
        },
        {
            "key": "seen",
            "sheet": "Seen by IRO",
            "title": "Children seen by their IRO (R-PRE-4) and between reviews",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    (
                        "seen_before_review",
                        "Reviews where the IRO spoke with the child beforehand (R-PRE-4)",
                        data["seen_before_review"],
                    ),
                    (
                        "seen_before_review_percent",
                        "… per cent of reviews held",
                        data["seen_before_review_percent"],
                    ),
                    (
                        "children_seen_between_reviews",
                        "Children the IRO contacted between reviews",
                        data["children_seen_between_reviews"],
                    ),
                ]
                + [(f"contacts:{k}", f"Contacts: {k}", n) for k, n in data["iro_contacts"].items()]
            ),
        },
        {
            "key": "first_reviews",
            "sheet": "First reviews",
            "title": "First reviews (R-SCH-1) and IRO allocation (R-IRO-2)",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    ("first_reviews_held", "First reviews held", data["first_reviews_held"]),
                    (
                        "first_reviews_within_20_working_days",
                        "… within 20 working days of the start of care",
                        data["first_reviews_within_20_working_days"],
                    ),
                    (
                        "first_reviews_late",
                        "… after 20 working days",
                        data["first_reviews_late"],
                    ),
                    (
                        "first_reviews_short_breaks",
                        "… of short breaks (R-SCH-5, counted apart)",
                        data["first_reviews_short_breaks"],
                    ),
                    ("periods_started", "Periods of care started", data["periods_started"]),
                    (
                        "iro_allocated_within_5_working_days",
                        "… IRO named within 5 working days",
                        data["iro_allocated_within_5_working_days"],
                    ),
                    ("iro_allocated_late", "… IRO named later", data["iro_allocated_late"]),
                    (
                        "iro_not_allocated",
                        "… no IRO yet, deadline passed",
                        data["iro_not_allocated"],
                    ),
                    (
                        "iro_allocation_pending",
                        "… no IRO yet, within the 5 working days",
                        data["iro_allocation_pending"],
                    ),
                ]
            ),
        },
        {
            "key": "records",
            "sheet": "Records",
            "title": "Records and care plans on time (deadline in the month)",
            "item": "step",
            "columns": [
                ("step", "Step"),
                ("rule", "Rule"),
                ("label", "What"),
                ("due", "Due"),
                ("on_time", "On time"),
                ("late", "Late"),
                ("outstanding", "Outstanding"),
            ],
            "rows": [{"step": step, **rec[step]} for step, _, _ in RECORD_STEPS],
        },
        {
            "key": "decisions",
            "sheet": "Decisions",
            "title": "Decisions and actions",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    ("decisions_made", "Decisions made", data["decisions_made"]),
                    ("starred_decisions", "Starred decisions", data["starred_decisions"]),
                    (
                        "starred_forwarded_within_72_hours",
                        "… forwarded within 72 hours (R-POST-7)",
                        data["starred_forwarded_within_72_hours"],
                    ),
                    (
                        "actions_overdue_at_month_end",
                        "Actions overdue at the end of the month",
                        data["actions_overdue_at_month_end"],
                    ),
                ]
            ),
        },
        {
            "key": "events",
            "sheet": "Events",
            "title": "Significant events recorded",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    ("events_recorded", "Events recorded", data["events_recorded"]),
                    (
                        "events_review_directed",
                        "… IRO directed a review",
                        data["events_review_directed"],
                    ),
                    ("events_no_review", "… no review needed", data["events_no_review"]),
                    (
                        "events_awaiting_decision",
                        "… awaiting the IRO's decision",
                        data["events_awaiting_decision"],
                    ),
                    (
                        "events_review_before_change",
                        "… a review must come first (R-EVT-2)",
                        data["events_review_before_change"],
                    ),
                ]
                + [(f"kind:{k}", f"Kind: {k}", n) for k, n in data["events_by_kind"].items()]
            ),
        },
        {
            "key": "disputes",
            "sheet": "Disputes",
            "title": "Dispute resolution",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    ("disputes_opened", "Opened", data["disputes_opened"]),
                    ("disputes_escalated", "Escalations", data["disputes_escalated"]),
                    ("disputes_resolved", "Resolved", data["disputes_resolved"]),
                    (
                        "disputes_referred_to_cafcass",
                        "Referred to Cafcass",
                        data["disputes_referred_to_cafcass"],
                    ),
                    (
                        "disputes_open_at_month_end",
                        "Open at the end of the month",
                        data["disputes_open_at_month_end"],
                    ),
                ]
                + [
                    (f"theme:{k}", f"Opened, theme: {k}", n)
                    for k, n in data["disputes_by_theme"].items()
                    if n
                ]
                + [
                    (
                        f"stage:{k}",
                        f"Highest stage reached: {k} "
                        f"({data['dispute_stage_names'].get(k, 'stage ' + k)})",
                        n,
                    )
                    for k, n in data["disputes_by_stage_reached"].items()
                ]
                + [
                    (f"result:{k}", f"Resolved, result: {k}", n)
                    for k, n in data["disputes_by_result"].items()
                    if n
                ]
            ),
        },
        {
            "key": "iro_changes",
            "sheet": "IRO changes",
            "title": "Changes of IRO (IRO continuity)",
            "item": "key",
            "columns": MEASURE_COLUMNS,
            "rows": _measures(
                [
                    ("iro_changes", "Changes of IRO", data["iro_changes"]),
                    (
                        "children_changed_iro",
                        "Children whose IRO changed",
                        data["children_changed_iro"],
                    ),
                ]
                + [
                    (f"reason:{k}", f"Reason: {k}", n)
                    for k, n in data["iro_changes_by_reason"].items()
                    if n
                ]
            ),
        },
        {
            "key": "caseloads",
            "sheet": "Caseloads",
            "title": f"IRO caseloads at the end of the month (R-IRO-4: {CASELOAD_LOW}–"
            f"{CASELOAD_HIGH} per full-time IRO)",
            "item": "iro_id",
            "columns": [
                ("iro_id", "IRO"),
                ("name", "Name"),
                ("team", "Team"),
                ("fte", "FTE"),
                ("caseload", "Children"),
                ("per_fte", "Per FTE"),
                ("band", "Against 50–70"),
            ],
            "rows": data["caseloads"],
        },
        {
            "key": "due_by_team",
            "sheet": "Due next month by team",
            "title": f"Reviews due in {_month_name(due['month'])}, by team",
            "item": "team",
            "columns": [
                ("team", "Team"),
                ("reviews", "Reviews due"),
                ("booked", "Booked"),
                ("not_booked", "Not booked"),
                ("held", "Already held"),
            ],
            "rows": due["by_team"],
        },
        {
            "key": "due_next_month",
            "sheet": "Due next month",
            "title": f"Reviews due in {_month_name(due['month'])}",
            "item": "child_id",
            "columns": [
                ("team", "Team"),
                ("child_id", "Child"),
                ("name", "Name"),
                ("iro", "IRO"),
                ("number", "No."),
                ("deadline", "Deadline"),
                ("rule", "Rule"),
                ("booked", "Booked for"),
                ("status", "Status"),
            ],
            "rows": due["reviews"],
        },
    ]
    return out


def _month_name(month: str) -> str:
    start, _ = parse_month(month)
    return f"{start:%B %Y}"


DATE_COLUMNS = {"recording_date", "deadline", "booked"}


# --- renderers -------------------------------------------------------------------------------


def to_json(data: dict) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)``, written faster.

    With ``indent`` the json module encodes in pure Python, a call or two per value. Here
    an object or list of plain values, or a list of such objects (the rows of a table),
    is encoded by the C encoder in one call, with the line break and indentation as its
    item separator: the text is the same character for character.
    """
    try:
        return _json(data, 0) + "\n"
    except _NotPlain:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class _NotPlain(Exception):
    """Something the fast JSON writer leaves to the json module (a key not a string, a
    tuple, a subclass of a plain type)."""


_PLAIN = frozenset({str, int, float, bool, type(None)})
_TEXT = frozenset({str})
_DICT = frozenset({dict})
_json_encoders: dict[int, json.JSONEncoder] = {}


def _json_encoder(depth: int) -> json.JSONEncoder:
    """The C encoder writing the items of an object or list at ``depth`` one to a line."""
    encoder = _json_encoders.get(depth)
    if encoder is None:
        inner = "\n" + "  " * (depth + 1)
        encoder = json.JSONEncoder(ensure_ascii=False, separators=("," + inner, ": "))
        _json_encoders[depth] = encoder
    return encoder


def _plain_objects(value: list) -> bool:
    """A list of non-empty dicts of plain values under text keys."""
    return (
        _DICT.issuperset(map(type, value))
        and all(value)
        and _TEXT.issuperset(map(type, chain.from_iterable(value)))
        and _PLAIN.issuperset(map(type, chain.from_iterable(map(dict.values, value))))
    )


def _json(value, depth: int) -> str:
    kind = type(value)
    if kind in _PLAIN:
        return json.dumps(value, ensure_ascii=False)
    if kind is not dict and kind is not list:
        raise _NotPlain
    if not value:
        return "{}" if kind is dict else "[]"
    inner = "\n" + "  " * (depth + 1)
    close = "\n" + "  " * depth + ("}" if kind is dict else "]")
    values = value.values() if kind is dict else value
    if kind is dict and not _TEXT.issuperset(map(type, value)):
        raise _NotPlain
    if _PLAIN.issuperset(map(type, values)):
        text = _json_encoder(depth).encode(value)
        return text[0] + inner + text[1:-1] + close
    if kind is list and _plain_objects(value):
        # The rows in one call, their items a level deeper. The encoder escapes every line
        # break inside a string, so a line break is always a separator; one between two
        # rows is the only one that follows a "}" (inside a row it follows a value).
        deeper = "\n" + "  " * (depth + 2)
        text = _json_encoder(depth + 1).encode(value)[2:-2]
        text = text.replace("}," + deeper + "{", inner + "}," + inner + "{" + deeper)
        return "[" + inner + "{" + deeper + text + inner + "}" + close
    if kind is dict:
        parts = [
            json.dumps(k, ensure_ascii=False) + ": " + _json(v, depth + 1) for k, v in value.items()
        ]
        return "{" + inner + ("," + inner).join(parts) + close
    return "[" + inner + ("," + inner).join(_json(v, depth + 1) for v in value) + close


def to_csv(data: dict, excel: bool | None = None) -> str:
    """One long table: section, item, field, value — one row per figure.

    ``section`` is the table (reviews, participation, caseloads …), ``item`` the row in
    it (a measure, a code, a reason, an IRO, a child), ``field`` the column, ``value``
    the figure. The first rows (section ``report``) say which month and when made.
    """
    cell = _csv_cell
    stream = io.StringIO()
    writer = csv_writer(stream, excel)
    writer.writerow(["section", "item", "field", "value"])
    writer.writerows(
        (cell("report"), cell(k), cell("value"), cell(data[k]))
        for k in ("month", "from", "to", "generated_on", "pseudonymised")
    )
    for table in tables(data):
        item = table["item"]
        section = cell(table["key"])
        fields = [
            (key, cell(key))
            for key, _ in table["columns"]
            if not (key == item or (item == "key" and key == "measure"))
        ]
        for r in table["rows"]:
            name = cell(r[item])
            writer.writerows((section, name, field, cell(r.get(key))) for key, field in fields)
    return stream.getvalue()


def _csv_cell(value):
    """``output.write_csv``'s cell (text neutralised against formula injection), with
    numbers and text, nearly every cell, handled first."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        return csv_text(value)
    return _csv_value(value)


def _md_cell(value) -> str:
    if type(value) is int or type(value) is float:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = " ".join(str(value).split())
    # HTML-significant characters as entities; Markdown's link, image, emphasis and code
    # characters backslash-escaped, so a late reason such as "![x](http://…)" stays text.
    out = []
    for ch in text:
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What makes a link, an image, emphasis, code or a cell break inside a table row.
_MD_PUNCTUATION = set("\\`*_[]()!|~")


def to_markdown(data: dict) -> str:
    lines = [
        f"# Monthly monitoring report: {_month_name(data['month'])}",
        "",
        f"{data['from']} to {data['to']}; made on {data['generated_on']}"
        + ("; pseudonymised (initials and stable pseudonyms)." if data["pseudonymised"] else "."),
        "A review counts in the month of its recording date; it is on time when recorded on "
        "or before its deadline (R-SCH-15).",
    ]
    lines += markdown_tables(tables(data))
    return "\n".join(lines) + "\n"


def markdown_tables(tables: list[dict]) -> list[str]:
    """The lines of each table of a report in Markdown, under its title (every cell
    escaped)."""
    lines: list[str] = []
    for table in tables:
        lines += ["", f"## {_md_cell(table['title'])}", ""]
        if not table["rows"]:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(_md_cell(h) for _, h in table["columns"]) + " |")
        lines.append("|" + "|".join("---" for _ in table["columns"]) + "|")
        for r in table["rows"]:
            lines.append("| " + " | ".join(_md_cell(r.get(k)) for k, _ in table["columns"]) + " |")
    return lines


def report_header(store: Store) -> dict:
    from .letters import logo_data_uri

    values = store.policy_values
    return {
        "name": values.get("authority-name") or "",
        "logo": logo_data_uri(str(values.get("authority-logo") or "")),
        "marking": str(values.get("protective-marking") or ""),
    }


def charts(data: dict) -> dict:
    """Bars for the HTML report: label, value and length as a share of the longest."""

    def bars(pairs: list[tuple[str, float]], top: float | None = None) -> dict:
        biggest = max([v for _, v in pairs] + [top or 0, 1])
        labels = [_short(str(k)) for k, _ in pairs]
        label_w = chart_label_width(labels)
        return {
            "max": biggest,
            "bars": [
                {"label": label, "value": v, "share": v / biggest}
                for label, (_, v) in zip(labels, pairs, strict=True)
            ],
            "label_w": label_w,
            "bar_w": CHART_WIDTH - label_w - CHART_VALUE_ROOM,
        }

    held = bars([("On time", data["held_on_time"]), ("Out of time", data["held_out_of_time"])])
    participation = bars(
        list(data["participation"].items()) + [("none", data["participation_not_recorded"])]
    )
    caseload = bars(
        [(c["iro_id"], c["per_fte"]) for c in data["caseloads"]], top=CASELOAD_HIGH * 1.15
    )
    caseload["markers"] = [
        {"label": str(CASELOAD_LOW), "share": CASELOAD_LOW / caseload["max"]},
        {"label": str(CASELOAD_HIGH), "share": CASELOAD_HIGH / caseload["max"]},
    ]
    teams = bars([(t["team"], t["reviews"]) for t in data["due_next_month"]["by_team"]])
    return {"held": held, "participation": participation, "caseload": caseload, "teams": teams}


# A bar chart's geometry in SVG units (its viewBox is CHART_WIDTH wide): the labels are
# left-aligned (never cut at the edge) in a column as wide as the longest needs, the value
# printed after the bar.
CHART_WIDTH = 360
CHART_VALUE_ROOM = 40  # "100.0%" after the longest bar
CHART_CHAR_WIDTH = 8.5  # a wide sans-serif (DejaVu Sans) character at 10px, with a margin


def chart_label_width(labels: list[str]) -> int:
    """The width of the label column: the longest label (at most 20 characters, see
    ``_short``) must fit whole, in any of the fonts a browser or the PDF may choose."""
    longest = max((len(label) for label in labels), default=0)
    return max(50, round(longest * CHART_CHAR_WIDTH) + 12)


def _short(label: str, limit: int = 20) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def to_html(data: dict, header: dict, template_dir: str | None = None) -> str:
    from jinja2 import TemplateError

    from .letters import _environment, _template_error

    env = _environment(template_dir)
    name = "report-monthly.html.j2"
    try:
        return env.get_template(name).render(
            report=data,
            tables=tables(data),
            date_columns=sorted(DATE_COLUMNS),
            charts=charts(data),
            authority=header,
            month_name=_month_name(data["month"]),
            next_month_name=_month_name(data["due_next_month"]["month"]),
        )
    except TemplateError as e:
        raise _template_error(name, e) from None


def write_xlsx(data: dict, stream, authority: dict | None = None) -> None:
    """The monthly report as a workbook ready to print: see ``write_workbook``.
    ``authority`` is ``report_header``'s (name and protective marking)."""
    authority = authority or {}
    title = [
        ("Authority", authority.get("name") or ""),
        ("Report", "Monthly monitoring report"),
        ("Month", data["month"]),
        ("Month name", _month_name(data["month"])),
        ("From", date.fromisoformat(data["from"])),
        ("To", date.fromisoformat(data["to"])),
        ("Made on", date.fromisoformat(data["generated_on"])),
        ("Pseudonymised", "yes" if data["pseudonymised"] else "no"),
    ]
    heading = f"Monthly monitoring report: {_month_name(data['month'])}"
    write_workbook(
        stream,
        heading,
        title,
        tables(data),
        marking=authority.get("marking") or "",
        authority=authority,
    )


PERCENT_FORMAT = "0.0%"


def is_percent(key: str | None) -> bool:
    """A figure held as a per cent (66.7 for 66.7 %): written to a spreadsheet as the
    fraction 0.667 with a per-cent format, so it prints as 66.7 % and sums as a share."""
    if not key or ":" in key:  # a code or reason in a breakdown, whatever its words
        return False
    return key.startswith("percent") or key.endswith("_percent")


def write_workbook(
    stream,
    heading: str,
    title: list[tuple[str, object]],
    sheets: list[dict],
    *,
    marking: str = "",
    authority: dict | None = None,
) -> None:
    """A workbook ready to print: a title sheet (the authority, the report and its period,
    and a list of the sheets), then one sheet per table.

    Every sheet prints landscape on A4, fitted to the page's width (as many pages down as
    it needs), its header row repeated on every page, the protective marking (policy
    ``protective-marking``) in the page header and "page N of M" in the footer. Each table
    has a bold, frozen header row with an autofilter, fitted column widths, real date cells,
    per cents as per cents, and text neutralised against formula injection.

    The workbook is written as it is made (openpyxl's write-only mode): each sheet's
    widths are worked out from its values first, then its rows are streamed out.
    A date cell gets openpyxl's own format for dates, yyyy-mm-dd.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    used: set[str] = set()
    names = [_sheet_name("Title", used)] + [_sheet_name(s["sheet"], used) for s in sheets]
    header_marking = _header_text(marking)
    footer_name = _header_text((authority or {}).get("name") or "")

    def page_setup(ws, repeat: str | None) -> None:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as needed
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        if repeat:
            ws.print_title_rows = repeat
        if header_marking:
            ws.oddHeader.center.text = header_marking
            ws.oddHeader.center.font = "Arial,Bold"
            ws.evenHeader.center.text = header_marking
        ws.oddFooter.left.text = footer_name
        ws.oddFooter.right.text = "Page &P of &N"
        ws.evenFooter.right.text = "Page &P of &N"

    # --- the title sheet ------------------------------------------------------------------
    ws = wb.create_sheet(names[0])
    page_setup(ws, None)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = max(
        [40] + [min(len(str(v)), 80) + 2 for _, v in title if not isinstance(v, date)]
    )
    big = WriteOnlyCell(ws, value=safe_cell(heading))
    big.font = Font(bold=True, size=16, color="1D4E89")
    ws.append([big])
    if marking:
        mark = WriteOnlyCell(ws, value=safe_cell(marking))
        mark.font = Font(bold=True, color="B00020")
        ws.append([mark])
    ws.append([])
    for label, value in title:
        name = WriteOnlyCell(ws, value=label)
        name.font = Font(bold=True)
        ws.append([name, safe_cell(value) if isinstance(value, str) else value])
    ws.append([])
    contents = WriteOnlyCell(ws, value="Sheets")
    contents.font = Font(bold=True)
    ws.append([contents])
    for name, sheet in zip(names[1:], sheets, strict=True):
        ws.append([name, safe_cell(sheet["title"])])

    # --- one sheet per table ---------------------------------------------------------------
    for name, table in zip(names[1:], sheets, strict=True):
        ws = wb.create_sheet(name)
        headings = [h for _, h in table["columns"]]
        widths = [len(h) for h in headings]
        formats: list[list[str | None]] = []
        rows = []
        for r in table["rows"]:
            values, fmts = [], []
            for key, _ in table["columns"]:
                value = r.get(key)
                fmt = None
                percent = is_percent(key) or is_percent(r.get("key") or r.get("code"))
                if key in DATE_COLUMNS and isinstance(value, str) and value:
                    value = date.fromisoformat(value)
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
                elif isinstance(value, str):
                    value = safe_cell(value)
                elif percent and isinstance(value, (int, float)):
                    value, fmt = value / 100, PERCENT_FORMAT
                values.append(value)
                fmts.append(fmt)
            rows.append(values)
            formats.append(fmts)
            for col, value in enumerate(values):
                if isinstance(value, date):
                    widths[col] = max(widths[col], 10)
                elif fmts[col]:
                    widths[col] = max(widths[col], 7)
                else:
                    widths[col] = max(widths[col], len(str("" if value is None else value)))
        for col, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A2"
        last = get_column_letter(len(headings))
        ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
        page_setup(ws, "1:1")
        header = []
        for heading_text in headings:
            cell = WriteOnlyCell(ws, value=heading_text)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE4EE")
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            header.append(cell)
        ws.append(header)
        for values, fmts in zip(rows, formats, strict=True):
            if any(fmts):
                out = []
                for value, fmt in zip(values, fmts, strict=True):
                    if fmt:
                        cell = WriteOnlyCell(ws, value=value)
                        cell.number_format = fmt
                        out.append(cell)
                    else:
                        out.append(value)
                ws.append(out)
            else:
                ws.append(values)
    wb.save(stream)


def _header_text(text: str) -> str:
    """Text for a page header or footer: Excel reads "&" as a code there ("&P" the page
    number), so a literal ampersand is doubled; line breaks become spaces."""
    return " ".join(str(text).split()).replace("&", "&&")


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name
