"""``child show``: the one page about a child.

Identity, age and 18th birthday, team and social worker, siblings and their IROs, the IRO
and the IRO history, care history, reviews with participation, the next review and why
(its rule id and sentence), open steps, open actions, undecided events, open disputes,
the pathway plan and contacts. Every part is in the JSON (the keys of CLI.md first); the
terminal page is drawn from the same dict. Every deadline is told in the words of the work
list (``wording``: the ``detail`` of its ``due`` item) with its rule's sentence.
"""

from __future__ import annotations

from datetime import date

from . import wording
from .calendar import add_years
from .store import Store


def child_page(store: Store, child_id: str, on: date) -> dict:
    from .contacts import contact_rows
    from .disputes import dispute_rows
    from .events import event_rows
    from .records import get_child
    from .worklist import child_summary

    child = get_child(store, child_id)
    child_id = child["id"]
    info = child_summary(store, child_id, on)
    today = on.isoformat()
    dob = date.fromisoformat(child["dob"])
    eighteen = add_years(dob, 18)
    info["eighteenth_birthday"] = eighteen.isoformat()
    info["parent_id"] = child["parent_id"]
    nxt = info["next_review"]
    if nxt:
        # In the words of its `due` item, and why: the rule's sentence, and how it applied.
        pending = store.row(
            "SELECT status, booked_date, booked_time, original_date FROM reviews WHERE id = ?",
            [nxt["review_id"]],
        )
        st = pending or {}
        text, end = wording.review(
            nxt["number"],
            st.get("status"),
            st.get("booked_date"),
            st.get("booked_time"),
            st.get("original_date"),
            nxt["due"],
            nxt["earliest"],
            nxt["rule"],
            between_stays=nxt.get("between_stays"),
        )
        passed = st.get("status") == "booked" and st["booked_date"] < today
        nxt["item"] = text + (wording.RECORD_OUTCOME if passed else "") + end
        nxt["sentence"] = wording.sentence(nxt["rule"])
        nxt["why"] = wording.why(nxt["rule"], nxt["detail"])
    info["siblings"] = (
        store.rows(
            "SELECT c.id, c.first_name, c.last_name, c.dob, a.iro_id AS iro, "
            "p.id IS NOT NULL AS looked_after FROM children c "
            "LEFT JOIN allocations a ON a.child_id = c.id AND a.end_date IS NULL "
            "LEFT JOIN periods p ON p.child_id = c.id AND p.end_date IS NULL "
            "WHERE c.sibling_group = ? AND c.id != ? ORDER BY c.dob, c.id",
            [child["sibling_group"], child_id],
        )
        if child["sibling_group"]
        else []
    )
    for s in info["siblings"]:
        s["looked_after"] = bool(s["looked_after"])
        s["same_iro"] = bool(info["iro"] and s["iro"] == info["iro"])
    info["iro_history"] = store.rows(
        "SELECT a.id, a.iro_id, i.name AS iro_name, a.start_date, a.end_date, a.reason, "
        "a.sibling_reason FROM allocations a JOIN iros i ON i.id = a.iro_id "
        "WHERE a.child_id = ? ORDER BY a.start_date, a.id",
        [child_id],
    )
    info["open_steps"] = store.rows(
        "SELECT s.review_id, s.step, s.rule, s.due, s.due < ? AS overdue, r.number,"
        " r.booked_date, r.recording_date FROM review_steps s JOIN reviews r"
        " ON r.id = s.review_id WHERE s.child_id = ? AND s.status = 'open' ORDER BY s.due, s.id",
        [today, child_id],
    )
    for s in info["open_steps"]:
        s["overdue"] = bool(s["overdue"])
        number, booked, recording = s.pop("number"), s.pop("booked_date"), s.pop("recording_date")
        s["detail"] = wording.step(s["step"], number, booked, recording)
        s["sentence"] = wording.sentence(s["rule"])
    info["open_actions"] = store.rows(
        "SELECT id, review_id, text, owner, due, starred, due < ? AS overdue FROM decisions "
        "WHERE child_id = ? AND status = 'open' ORDER BY due, id",
        [today, child_id],
    )
    for a in info["open_actions"]:
        a["starred"], a["overdue"] = bool(a["starred"]), bool(a["overdue"])
    info["undecided_events"] = list(event_rows(store, child=child_id, open_only=True))
    for e in info["undecided_events"]:
        e["detail"] = wording.event(e["requires_review"], e["kind"], e["event_date"], e["id"])
    info["open_disputes"] = list(dispute_rows(store, on, status="open", child=child_id))
    values = store.policy_values
    for d in info["open_disputes"]:
        d["detail"] = wording.dispute(
            d["id"],
            d["stage"],
            bool(d["awaiting_response"] and d["response_due"]),
            values["dispute-stages"],
            d["opened_on"],
            d["total_due"] < today,
            values["dispute-total-days"],
        )
    period = store.row(
        "SELECT pathway_due, pathway_plan_received, adult_on, next_due FROM periods "
        "WHERE child_id = ? AND end_date IS NULL",
        [child_id],
    )
    info["pathway_plan"] = (
        {
            "due": period["pathway_due"],
            "received": period["pathway_plan_received"],
            "rule": "R-SCH-16",
            "detail": wording.pathway_plan(period["adult_on"], period["next_due"]),
            "sentence": wording.sentence("R-SCH-16"),
            "overdue": bool(
                period["pathway_due"]
                and not period["pathway_plan_received"]
                and period["pathway_due"] < today
            ),
        }
        if period
        else None
    )
    info["contacts"] = contact_rows(store, child=child_id)
    return info


def print_page(info: dict, width: int | None = None) -> None:
    """The page for a terminal: a few lines about the child, then a short table a part."""
    from rich.markup import escape

    from .output import console, table, wrap

    out = console()
    width = width or out.width

    def say(text: str) -> None:
        # Plain text, wrapped between words by us, so no date or id is split.
        for line in wrap(text, width):
            out.print(line, markup=False, soft_wrap=True)

    def part(title: str, rows: list[dict], columns: list[tuple], none: str) -> None:
        out.print("")
        if not rows:
            say(f"{title}: {none}")
            return
        out.print(table(rows, columns, title=title, width=width))

    name = f"{info['first_name']} {info['last_name']}"
    out.print(f"[bold]{escape(name)}[/] ({escape(info['id'])})", soft_wrap=True)
    say(
        f"Born {info['dob']}, age {info['age']}; 18 on {info['eighteenth_birthday']}."
        + (f" Gender: {info['gender']}." if info["gender"] else "")
    )
    say(
        f"Team: {info['team'] or 'none recorded'}. "
        f"Social worker: {info['social_worker'] or 'none recorded'}."
    )
    status = "looked after" if info["looked_after"] else "not looked after"
    between = (info["next_review"] or {}).get("between_stays")
    if between:
        status += f" (between short-break stays since {between}; the series continues)"
    iro = f"{info['iro_name']} ({info['iro']})" if info["iro"] else "none"
    say(f"Status: {status}. IRO: {iro}.")
    if info["parent_id"]:
        say(f"Parent also known to the service: {info['parent_id']} (R-IRO-3).")
    nxt = info["next_review"]
    if nxt:
        review = f"; review id {nxt['review_id']}" if nxt["review_id"] else ""
        overdue = ", overdue" if nxt["overdue"] else ""
        say(f"Next review: {nxt['item']} (due by {nxt['due']}{overdue}{review}).")
        say(f"Why: {nxt['why']}.")
    elif info["looked_after"]:
        say("Next review: none due.")
    plan = info["pathway_plan"]
    if plan and plan["due"]:
        got = f"received {plan['received']}" if plan["received"] else "not yet received"
        text = plan["detail"]
        say(f"{text[:1].upper()}{text[1:]}. Due by {plan['due']} (R-SCH-16), {got}.")

    if info["sibling_group"]:
        part(
            f"Siblings (group {info['sibling_group']})",
            info["siblings"],
            [
                ("id", "Child"),
                ("first_name", "First name", "wrap"),
                ("dob", "Born"),
                ("looked_after", "In care"),
                ("iro", "IRO"),
                ("same_iro", "Same IRO", "optional"),
            ],
            "none recorded",
        )
    part(
        "IRO history",
        info["iro_history"],
        [
            ("iro_id", "IRO"),
            ("iro_name", "Name", "wrap"),
            ("start_date", "From"),
            ("end_date", "To"),
            ("sibling_reason", "Siblings' IRO differs because", "wrap optional"),
        ],
        "no IRO named yet",
    )
    part(
        "Care history",
        info["episodes"],
        [
            ("start_date", "From"),
            ("end_date", "To"),
            ("rne", "RNE"),
            ("legal_status", "LS"),
            ("placement", "Place"),
            ("reason_place_change", "Move", "optional"),
            ("reason_ceased", "REC"),
        ],
        "never looked after",
    )
    part(
        "Reviews",
        info["reviews"],
        [
            ("id", "ID"),
            ("number", "No."),
            ("status", "Status"),
            ("deadline", "Deadline"),
            ("rule", "Rule"),
            ("booked_date", "Booked", "optional"),
            ("recording_date", "Recorded"),
            ("participation", "PN"),
            ("on_time", "On time", "optional:2"),
        ],
        "none yet",
    )
    part(
        "Open steps",
        info["open_steps"],
        [
            ("review_id", "Review"),
            ("step", "Step"),
            ("rule", "Rule"),
            ("due", "By"),
            ("overdue", "Overdue"),
        ],
        "none",
    )
    part(
        "Open actions",
        info["open_actions"],
        [
            ("id", "ID"),
            ("due", "Due"),
            ("owner", "Owner", "wrap"),
            ("overdue", "Overdue", "optional"),
            ("text", "Decision", "wrap"),
        ],
        "none",
    )
    part(
        "Undecided events",
        info["undecided_events"],
        [
            ("id", "ID"),
            ("event_date", "Date"),
            ("kind", "Kind"),
            ("decision_due", "Decide by"),
            ("note", "Note", "wrap"),
        ],
        "none",
    )
    part(
        "Open disputes",
        info["open_disputes"],
        [
            ("id", "ID"),
            ("stage", "Stage"),
            ("opened_on", "Opened"),
            ("response_due", "Reply by"),
            ("issue", "Issue", "wrap"),
        ],
        "none",
    )
    part(
        "Contacts",
        info["contacts"],
        [
            ("id", "ID"),
            ("name", "Name", "wrap"),
            ("role", "Role", "wrap"),
            ("phone", "Phone", "optional"),
            ("email", "Email", "optional:2"),
        ],
        "none recorded: add them with 'reviewcli contact add'",
    )
