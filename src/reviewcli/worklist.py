"""The daily work list (``reviewcli due``) and the read-only views behind listings.

Everything here reads the store and returns plain dicts in the shapes of CLI.md; the
CLI only formats them. Deadlines come from the schedule materialised on each open
period, so the list is a handful of indexed queries over open rows only; its two large
kinds, reviews and the steps around them, are read ready-made from ``work_items``
(see ``workitems``).
"""

from __future__ import annotations

from datetime import date, timedelta

from . import rules, wording
from .calendar import age_on
from .store import Store
from .workitems import EXTRA_KEYS, ITEM_KEYS, RECORD_OUTCOME
from .workitems import KINDS as STORED_KINDS

KINDS = (
    "review",
    "allocation",
    "consultation",
    "invitations",
    "reports",
    "sw-conversation",
    "iro-visit",
    "monitoring-form",
    "decisions",
    "manager-response",
    "care-plan",
    "record",
    "distribution",
    "starred",
    "action",
    "event",
    "dispute",
    "pathway-plan",
    "data",
)
STEP_KINDS = KINDS[2:13]


def latest_dob_for_age(on: date, years: int) -> date:
    """The latest date of birth of someone who is at least ``years`` old on ``on`` (the
    first day of the calendar when ``on`` is too early for anyone to be that old)."""
    if on.year - years < date.min.year:
        return date.min
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February: someone born 28 February has had the birthday
        return date(on.year - years, 2, 28)


# --- the work list in SQL --------------------------------------------------------------
#
# Every kind of item is one SELECT over indexed open rows (open periods, open steps, open
# decisions, events and disputes) giving the same columns; the list is their UNION ALL,
# sorted by SQLite. The detail text of each item is ``wording``'s: stored with the reviews
# and steps (``workitems``), and for the other kinds made by ``wording``'s functions,
# which the SQL calls for the few rows on the list (``_register``), so a national
# database's 100,000 items reach the terminal, JSON or CSV without a Python object each.

# The columns of the work list query: every key but overdue (worked out from due and --on).
COLUMNS = (*(k for k in ITEM_KEYS if k != "overdue"), *EXTRA_KEYS["review"], *EXTRA_KEYS["action"])

SECTIONS = ("Overdue", "Due this week", "Later")

_ORDER = " ORDER BY due, child_id, kind, seq"
_UNION = "\nUNION ALL\n"


def _lit(value) -> str:
    """A constant of this program (never user input) as an SQL literal."""
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _register(store: Store) -> None:
    """``wording``'s functions, for the SQL of the kinds built as the list is read."""
    values = store.policy_values
    names, total = values["dispute-stages"], values["dispute-total-days"]

    def dispute(ident, stage, awaiting, opened_on, over_time):
        awaiting, over_time = bool(awaiting), bool(over_time)
        return wording.dispute(ident, stage, awaiting, names, opened_on, over_time, total)

    functions = {
        "reviewcli_allocation": (2, wording.allocation),
        "reviewcli_pathway_plan": (2, wording.pathway_plan),
        "reviewcli_past_eighteen": (2, wording.past_eighteen),
        "reviewcli_step": (4, wording.step),
        "reviewcli_starred": (2, wording.starred),
        "reviewcli_action": (4, wording.action),
        "reviewcli_event": (4, wording.event),
        "reviewcli_dispute": (5, dispute),
    }
    for name, (n, function) in functions.items():
        store.conn.create_function(name, n, function, deterministic=True)


# Open periods of those 18 or over on :on. Their final pathway plan was due 20 working days
# before the 18th birthday, so the index of open periods by that date finds them.
_ADULTS = (
    "SELECT o.id FROM periods o INDEXED BY periods_open_pathway JOIN children k"
    " ON k.id = o.child_id WHERE o.end_date IS NULL AND o.pathway_due <= :on AND k.dob <= :adult"
)


# A child out of care has no current IRO; what is still open for them (an action, a
# dispute, an event) stays with the IRO they had when care ended: the IRO of their latest
# allocation. (The stored kinds, reviews and steps, keep the current IRO only.)
_NO_OPEN_PERIOD = (
    "NOT EXISTS (SELECT 1 FROM periods q WHERE q.child_id = {} AND q.end_date IS NULL)"
)
_LAST_IRO = (
    "(SELECT x.iro_id FROM allocations x INDEXED BY allocations_child WHERE x.child_id = {0}"
    " AND " + _NO_OPEN_PERIOD.format("{0}") + " ORDER BY x.start_date DESC, x.id DESC LIMIT 1)"
)
# The children whose IRO at the end of care was :iro.
_ENDED_CASELOAD = (
    "SELECT x.child_id FROM allocations x INDEXED BY allocations_iro"
    " WHERE x.iro_id = :iro AND x.end_date IS NOT NULL"
    " AND " + _NO_OPEN_PERIOD.format("x.child_id") + " AND NOT EXISTS (SELECT 1 FROM"
    " allocations y WHERE y.child_id = x.child_id AND (y.start_date > x.start_date"
    " OR (y.start_date = x.start_date AND y.id > x.id)))"
)


class _Branches:
    """The SELECTs of the work list, one per kind, written once and built two ways.

    In full, a branch joins the child and their current allocation and computes every
    column. ``light`` keeps only what orders and counts the list (kind, child, due, row)
    and joins the child only where a filter needs them: counting a national list then
    reads its indexes and little else. ``bounds`` keeps only items due in a range, so the
    first screenful can be fetched in full without building the rest.
    """

    def __init__(self, light: bool, team: bool, iro: bool, bounds: bool, by_child: bool):
        self.light, self.team, self.iro, self.bounds = light, team, iro, bounds
        self.by_child = by_child
        self.parts: list[str] = []

    def add(
        self,
        t: str,
        source: str,
        where: str,
        cols: dict,
        *,
        joins="",
        child=False,
        minors=False,
        small=False,
    ):
        """One kind: ``source`` is the FROM clause up to the table aliased ``t`` (whose
        ``child_id`` names the child), ``where`` its conditions, ``cols`` its columns;
        ``joins`` are needed only for the full columns; ``child`` says whether ``where`` or
        the due date read the child ``c``; ``minors`` keeps only periods (``t``) of children
        under 18 on --on; ``small`` says the source is a few rows at most (a team's children
        are then looked up from them, not the other way round)."""
        full = {
            "name": "c.first_name || ' ' || c.last_name",
            "iro": f"COALESCE(a.iro_id, {_LAST_IRO.format(t + '.child_id')})",
            "team": "c.team",
            "booked": "NULL",
            "number": "NULL",
            "decision_id": "NULL",
            **cols,
        }
        keys = ("kind", "child_id", "due", "seq") if self.light else (*COLUMNS, "seq")
        sql = "SELECT " + ", ".join(f"{full[k]} AS {k}" for k in keys) + " FROM " + source
        if not self.light or child or self.team:
            sql += f" JOIN children c ON c.id = {t}.child_id"
        if not self.light or self.iro:
            sql += f" LEFT JOIN allocations a ON a.child_id = {t}.child_id AND a.end_date IS NULL"
        if not self.light:
            sql += joins
        sql += " WHERE " + where
        if minors and (not self.light or self.team):
            sql += " AND c.dob > :adult"
        elif minors:
            # Without reading the child: those 18 or over are the few open periods whose
            # final pathway plan was due by --on (see the "data" kind).
            sql += f" AND {t}.id NOT IN ({_ADULTS})"
        # A filter names its children first (an IRO's caseload, a team), so each kind's
        # child-ordered index is searched for them alone rather than read whole.
        if self.iro:
            sql += (
                f" AND {t}.child_id IN (SELECT child_id FROM allocations"
                " INDEXED BY allocations_current_iro WHERE end_date IS NULL AND iro_id = :iro"
                f" UNION ALL {_ENDED_CASELOAD}) AND (a.iro_id = :iro OR (a.iro_id IS NULL"
                f" AND {_LAST_IRO.format(t + '.child_id')} = :iro))"
            )
        elif self.team and self.by_child and not small:  # (a caseload is the smaller set)
            sql += (
                f" AND {t}.child_id IN (SELECT id FROM children INDEXED BY children_team"
                " WHERE team = :team)"
            )
        # Never through the index of children by team: SQLite would start from a quarter of
        # the children rather than from the open rows.
        sql += " AND +c.team = :team" if self.team else ""
        if self.bounds:
            sql += f" AND {full['due']} >= :since AND {full['due']} <= :until"
        self.parts.append(sql)

    def stored(self, kinds: list[str], rendered: bool = False):
        """The stored work items of ``kinds``, in the table's order (due date, child);
        ``rendered``: only each item's JSON text (in UTF-8 bytes) and the keys of the sort."""
        outcome = f"CASE WHEN w.outcome_from < :on THEN {_lit(RECORD_OUTCOME)} ELSE '' END"
        full = {
            "detail": f"w.detail || {outcome} || w.detail_end",
            "decision_id": "NULL",
            "json": "CAST(substr(w.json, 1, w.cut_overdue)"
            " || CASE WHEN w.due < :on THEN 'true' ELSE 'false' END"
            " || substr(w.json, w.cut_overdue + 2, w.cut_outcome - w.cut_overdue - 1)"
            f" || {outcome} || substr(w.json, w.cut_outcome + 1) AS BLOB)",
        }
        if rendered:
            keys = ("json", "due", "child_id", "kind", "seq")
        else:
            keys = ("kind", "child_id", "due", "seq") if self.light else (*COLUMNS, "seq")
        sql = "SELECT " + ", ".join(f"{full.get(k, 'w.' + k)} AS {k}" for k in keys)
        # Reviews only of children under 18 on --on: an open period past the 18th birthday
        # is a "data" item instead.
        sql += (
            " FROM work_items w WHERE w.due <= :limit AND (w.adult_on IS NULL OR w.adult_on > :on)"
        )
        if len(kinds) < len(STORED_KINDS):
            sql += f" AND w.kind IN ({', '.join(map(_lit, kinds))})"
        if self.iro:
            sql += " AND w.iro = :iro"
        if self.team:
            sql += " AND w.team = :team"
        if self.bounds:
            sql += " AND w.due >= :since AND w.due <= :until"
        self.parts.append(sql)


def due_query(
    store: Store,
    on: date,
    within: int = 30,
    *,
    iro: str | None = None,
    team: str | None = None,
    kinds: set[str] | None = None,
    light: bool = False,
    since: str | None = None,
    until: str | None = None,
    rendered: bool = False,
) -> tuple[str, dict]:
    """The work list as one SQL query (unsorted) with its parameters.

    Its columns are ``COLUMNS`` and ``seq`` (the row behind the item: the last key of the
    sort), or with ``light`` only kind, child_id, due and seq. ``since`` and ``until``
    keep the items due in that range. ``due_items``, ``due_json``, ``due_rows`` and
    ``due_sections`` sort and shape it. ``rendered`` (stored kinds only, see
    ``due_json_query``) gives each item's JSON and the keys of the sort.
    """
    want = set(kinds) if kinds else set(KINDS)
    lead = store.policy_values["action-reminder-days"]
    limit = (on + timedelta(days=within)).isoformat()
    params = {
        "on": on.isoformat(),
        "limit": limit,
        "action_limit": min(limit, (on + timedelta(days=lead)).isoformat()),
        "adult": latest_dob_for_age(on, 18).isoformat(),
        "iro": iro,
        "team": team,
        "since": since or "",
        "until": until or "9999-12-31",
    }
    # The kinds built here (not stored, see _Branches.stored) are read in full child by child
    # (SQLite sorts them afterwards anyway): each item's child and IRO are then looked up
    # beside the previous one's.
    # So is an IRO's caseload, and a team's when counted: the filter names the children
    # first (see _Branches.add). A team's first screenful is read in date order instead,
    # over the few days it spans, rather than searched for each of a quarter of the children.
    bounded = since is not None or until is not None
    by_child = bool(iro) or (not bounded and (bool(team) or not light))
    b = _Branches(light, bool(team), bool(iro), bounded, by_child)
    # The words of each item (wording), called only for the rows on the list.
    _register(store)
    # The 18th birthday, derived with the period's other dates (see derived).
    eighteen = "p.adult_on"

    # The next review of each open period and the open steps of reviews: nine items in
    # ten, kept ready to list in date order (see workitems).
    stored = sorted(want & STORED_KINDS)
    if stored:
        b.stored(stored, rendered)

    if "allocation" in want:
        # Open periods with no current allocation: the children with an open period EXCEPT
        # those with a current IRO, both read in child order from their indexes and merged
        # (a third of the time of looking up each open period's allocation).
        ended = (
            "(SELECT MAX(x.end_date) FROM allocations x WHERE x.child_id = p.child_id"
            " AND x.start_date >= p.start_date)"
        )
        due = f"COALESCE({ended}, p.allocation_due)"
        b.add(
            "p",
            "periods p INDEXED BY periods_one_open",
            "p.end_date IS NULL AND p.child_id IN (SELECT child_id FROM periods"
            " INDEXED BY periods_open_child WHERE end_date IS NULL EXCEPT SELECT child_id"
            " FROM allocations INDEXED BY allocations_open_child WHERE end_date IS NULL"
            f" ORDER BY 1) AND {due} <= :limit",
            {
                "kind": "'allocation'",
                "child_id": "p.child_id",
                "due": due,
                "review_id": "NULL",
                "rule": _lit(rules.ALLOCATION),
                "detail": f"reviewcli_allocation(p.start_date, {ended})",
                "seq": "p.id",
            },
            minors=True,
            small=True,
        )

    if "pathway-plan" in want:
        b.add(
            "p",
            "periods p INDEXED BY periods_open_pathway",
            "p.end_date IS NULL AND p.pathway_due <= :limit AND p.pathway_plan_received IS NULL",
            {
                "kind": "'pathway-plan'",
                "child_id": "p.child_id",
                "due": "p.pathway_due",
                "review_id": "NULL",
                "rule": _lit(rules.APPROACHING_18),
                "detail": f"reviewcli_pathway_plan({eighteen}, p.next_due)",
                "seq": "p.id",
            },
            minors=True,
            small=True,
        )

    if "data" in want:
        # Someone 18 or over on --on had their final pathway plan due before it, so the
        # index of open periods by that date finds them without reading every open period.
        b.add(
            "p",
            "periods p INDEXED BY periods_open_pathway",
            "p.end_date IS NULL AND p.pathway_due <= :on AND c.dob <= :adult",
            {
                "kind": "'data'",
                "child_id": "p.child_id",
                "due": eighteen,
                "review_id": "NULL",
                "rule": _lit(rules.END_OF_CARE),
                "detail": f"reviewcli_past_eighteen({eighteen}, p.child_id)",
                "seq": "p.id",
            },
            child=True,
            small=True,
        )

    if "manager-response" in want:
        # Only while the window is open: after it the decisions are deemed agreed. Not
        # stored: those deemed agreed stay open steps, and would lengthen every read of the
        # stored items; its wording is the stored steps' (wording.step).
        b.add(
            "s",
            "review_steps s INDEXED BY review_steps_open_responses",
            "s.status = 'open' AND s.step = 'manager-response'"
            " AND s.due <= :limit AND s.due >= :on",
            {
                "kind": "s.step",
                "child_id": "s.child_id",
                "due": "s.due",
                "review_id": "s.review_id",
                "rule": "s.rule",
                "detail": "reviewcli_step(s.step, r.number, r.booked_date, r.recording_date)",
                "seq": "s.id",
            },
            joins=" JOIN reviews r ON r.id = s.review_id",
            small=True,
        )

    if "starred" in want:
        b.add(
            "d",
            # An IRO's few children: their decisions; otherwise the index of those to forward.
            "decisions d INDEXED BY " + ("decisions_child" if iro else "decisions_forward"),
            "d.starred = 1 AND d.forwarded_on IS NULL AND d.status != 'cancelled'"
            " AND d.forward_due <= :limit",
            {
                "kind": "'starred'",
                "child_id": "d.child_id",
                "due": "d.forward_due",
                "review_id": "d.review_id",
                "rule": "'R-POST-7'",
                "detail": "reviewcli_starred(d.id, d.text)",
                "seq": "d.id",
            },
        )

    if "action" in want:
        b.add(
            "d",
            "decisions d INDEXED BY " + ("decisions_open_child" if by_child else "decisions_open"),
            "d.status = 'open' AND d.due <= :action_limit",
            {
                "kind": "'action'",
                "child_id": "d.child_id",
                "due": "d.due",
                "review_id": "d.review_id",
                "rule": "'§4'",
                "detail": "reviewcli_action(d.starred, d.id, d.owner, d.text)",
                "decision_id": "d.id",
                "seq": "d.id",
            },
        )

    if "event" in want:
        held = (
            "(SELECT COUNT(*) FROM reviews r WHERE r.period_id = e.period_id"
            " AND r.status = 'held'{})"
        )
        later = held.format(" AND r.recording_date >= e.recorded_on")
        b.add(
            "e",
            # The index holds undecided events and those needing a review first.
            "events e INDEXED BY events_open"
            " JOIN periods p ON p.id = e.period_id AND p.end_date IS NULL",
            "(e.decision IS NULL OR e.requires_review = 1)"
            " AND ((e.requires_review = 0 AND e.decision IS NULL AND e.decision_due <= :limit)"
            " OR (e.requires_review = 1 AND e.event_date <= :limit"
            # settled by a review held after it, beyond those held before it was recorded
            f" AND NOT ({later} > 0 AND {held.format('')} > e.reviews_before)))",
            {
                "kind": "'event'",
                "child_id": "e.child_id",
                "due": "CASE WHEN e.requires_review THEN e.event_date ELSE e.decision_due END",
                "review_id": "NULL",
                "rule": "CASE WHEN e.requires_review THEN 'R-EVT-2' ELSE 'R-EVT-1' END",
                "detail": "reviewcli_event(e.requires_review, e.kind, e.event_date, e.id)",
                "seq": "e.id",
            },
            small=True,
        )

    if "dispute" in want:
        awaiting = "d.awaiting_response AND d.response_due != ''"
        b.add(
            "d",
            "disputes d",
            "d.status = 'open' AND ((d.awaiting_response = 1 AND d.response_due <= :limit)"
            " OR d.total_due < :on)",
            {
                "kind": "'dispute'",
                "child_id": "d.child_id",
                "due": f"CASE WHEN {awaiting} THEN d.response_due ELSE d.total_due END",
                "review_id": "NULL",
                "rule": "'§6'",
                "detail": f"reviewcli_dispute(d.id, d.stage, CASE WHEN {awaiting} THEN 1"
                " ELSE 0 END, d.opened_on, d.total_due < :on)",
                "seq": "d.id",
            },
            small=True,
        )

    if not b.parts:
        keys = ("kind", "child_id", "due") if light else COLUMNS
        return "SELECT " + ", ".join(f"NULL AS {c}" for c in (*keys, "seq")) + " WHERE 0", params
    return _UNION.join(b.parts), params


def due_items(store: Store, on: date, within: int = 30, **filters) -> list[dict]:
    """Every outstanding item due on or before ``on + within`` days, overdue ones included,
    sorted by due date then child: the objects of ``due --format json`` (CLI.md)."""
    sql, params = due_query(store, on, within, **filters)
    return [_as_item(row, params["on"]) for row in store.conn.execute(sql + _ORDER, params)]


def _as_item(row, today: str) -> dict:
    item = {k: row["due"] < today if k == "overdue" else row[k] for k in ITEM_KEYS}
    for key in EXTRA_KEYS.get(row["kind"], ()):
        item[key] = row[key]
    return item


def _json_object(keys) -> str:
    pairs = ", ".join(
        "'overdue', json(CASE WHEN due < :on THEN 'true' ELSE 'false' END)"
        if k == "overdue"
        else f"'{k}', {k}"
        for k in keys
    )
    return f"json_object({pairs})"


def due_json_query(
    store: Store, on: date, within: int = 30, *, kinds: set[str] | None = None, **filters
) -> tuple[str, dict]:
    """The SQL behind ``due_json``: one column, each item's JSON text as a BLOB of UTF-8.

    The stored items (reviews and steps, nine in ten) come with their JSON written; the
    other kinds are built here."""
    want = set(kinds) if kinds else set(KINDS)
    selects, params = [], {}
    if want & STORED_KINDS:
        sql, params = due_query(
            store, on, within, kinds=want & STORED_KINDS, rendered=True, **filters
        )
        selects.append(sql)
    if want - STORED_KINDS:
        sql, params = due_query(store, on, within, kinds=want - STORED_KINDS, **filters)
        whens = " ".join(
            f"WHEN {_lit(kind)} THEN {_json_object((*ITEM_KEYS, *extra))}"
            for kind, extra in EXTRA_KEYS.items()
        )
        selects.append(
            f"SELECT CAST(CASE kind {whens} ELSE {_json_object(ITEM_KEYS)} END AS BLOB)"
            f" AS json, due, child_id, kind, seq FROM ({sql})"
        )
    return f"SELECT json FROM ({_UNION.join(selects)}){_ORDER}", params


def due_json(store: Store, on: date, within: int = 30, **filters):
    """The items of ``due_items`` as JSON texts in UTF-8 bytes, in order, each encoded by
    SQLite (bytes: a national list is written out without decoding 40 MB into strings)."""
    cursor = store.conn.execute(*due_json_query(store, on, within, **filters))
    cursor.row_factory = None
    for (text,) in cursor:
        yield text


def due_rows(store: Store, on: date, within: int, columns, *, spreadsheet=False, **filters):
    """A cursor of tuples of ``columns`` (any of ``COLUMNS`` and ``overdue``) in the order of
    the list. With ``spreadsheet``, ``overdue`` is 'true'/'false' and text a spreadsheet
    would run as a formula is neutralised, and line breaks written "\n", as
    ``output.csv_text`` does."""
    from .output import _FORMULA_START, csv_text

    sql, params = due_query(store, on, within, **filters)
    starts = ", ".join(f"char({ord(c)})" for c in _FORMULA_START)

    def column(name: str) -> str:
        if name == "overdue":
            return (
                "CASE WHEN due < :on THEN 'true' ELSE 'false' END" if spreadsheet else "due < :on"
            )
        if spreadsheet and name in _TEXT_COLUMNS:
            # Only the rare cell that starts like a formula or holds a carriage return
            # calls back into Python.
            return (
                f"CASE WHEN substr({name}, 1, 1) IN ({starts}) OR instr({name}, char(13))"
                f" THEN reviewcli_csv_text({name}) ELSE {name} END"
            )
        return name

    store.conn.create_function("reviewcli_csv_text", 1, csv_text, deterministic=True)
    select = ", ".join(column(c) for c in columns)
    cursor = store.conn.execute(f"SELECT {select} FROM ({sql}){_ORDER}", params)
    cursor.row_factory = None
    return cursor


# Columns holding text someone typed (names, teams, decision texts in the detail).
_TEXT_COLUMNS = {"child_id", "detail", "name", "iro", "team", "rule"}


def due_csv(store: Store, on: date, within: int, columns, *, excel=False, **filters):
    """The rows of ``due_rows(..., spreadsheet=True)`` as CSV written by ``csv_writer``,
    byte for byte, in chunks of UTF-8 ``(bytes, rows)``: a national list is written
    without a Python object per cell.

    SQLite joins each row's cells with the byte 0xFF and ends it with 0xFE, bytes that
    UTF-8 text never holds. Most cells are written as they are; a cell the csv module
    would quote (a comma, a double quote, a line break) or ``csv_text`` would change (a
    formula's first character, a carriage return) is found in the chunk by one search, and
    only its row is written by the csv module."""
    import csv
    import io

    from .output import csv_text

    sql, params = due_query(store, on, within, **filters)
    cells = []
    for name in columns:
        if name == "overdue":
            cells.append("CASE WHEN due < :on THEN 'true' ELSE 'false' END")
        else:
            cells.append(f"COALESCE({name}, '')")
    line = " || x'ff' || ".join(cells) + " || x'fe'"
    cursor = store.conn.execute(f"SELECT CAST({line} AS BLOB) FROM ({sql}){_ORDER}", params)
    cursor.row_factory = None

    end = b"\r\n" if excel else b"\n"
    # Where the csv module or csv_text could write a cell otherwise, found in a copy of
    # each chunk with every byte mapped to a class: 2 for a byte the csv module quotes (or
    # csv_text rewrites), 1 for one a formula starts with, 0xFF for the ends of cells. A
    # suspect is a 2 anywhere or a 1 first in a cell (a superset: a row only suspected is
    # written by the csv module, which then changes nothing).
    classes = bytearray(b"a" * 256)
    for byte in b',"\r\n\x00':
        classes[byte] = 2
    for byte in b"=+-@\t":
        classes[byte] = 1
    classes[0xFE] = classes[0xFF] = 0xFF
    classes = bytes(classes)
    ends = bytes.maketrans(b"\xff\xfe", b",\n")
    text = [name in _TEXT_COLUMNS for name in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=end.decode())

    def exact(row: bytes) -> bytes:
        values = row.split(b"\xff")
        if len(values) != len(columns):
            row.decode("utf-8")  # a stray 0xFF: text that is not UTF-8 (raises)
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [csv_text(v.decode()) if t else v.decode() for v, t in zip(values, text, strict=True)]
        )
        return buffer.getvalue().encode()

    def suspects(chunk: bytes) -> list[int]:
        mapped = chunk.translate(classes)
        found = [0] if mapped[:1] == b"\x01" else []
        for token, offset in ((b"\x02", 0), (b"\xff\x01", 1)):
            at = mapped.find(token)
            while at >= 0:
                found.append(at + offset)
                at = mapped.find(token, at + 1)
        return sorted(found)

    while batch := cursor.fetchmany(5000):
        chunk = b"".join(row for (row,) in batch)
        if chunk.count(b"\xfe") != len(batch):
            chunk.decode("utf-8")  # a stray 0xFE: text that is not UTF-8 (raises)
        parts, start = [], 0
        for at in suspects(chunk):
            if at < start:
                continue  # in a row already written by the csv module
            first = chunk.rfind(b"\xfe", 0, at) + 1
            last = chunk.index(b"\xfe", at)
            parts += [_cells(chunk[start:first], ends, end), exact(chunk[first:last])]
            start = last + 1
        parts.append(_cells(chunk[start:], ends, end))
        yield b"".join(parts), len(batch)


def _cells(rows: bytes, ends: bytes, end: bytes) -> bytes:
    """Rows of plain cells joined by 0xFF and ended by 0xFE, as CSV lines."""
    if end == b"\n":
        return rows.translate(ends)
    return rows.replace(b"\xff", b",").replace(b"\xfe", end)


def due_html_rows(store: Store, on: date, within: int, **filters) -> list[tuple[bytes, int]]:
    """The rows of the printable list (``due.html.j2``) of each section (``SECTIONS``), as
    HTML in UTF-8, escaped as Jinja's autoescape does, with the number of rows:
    ``(markup, rows)``.

    SQLite writes each row's cells between bytes that UTF-8 text never holds; the whole
    list is then escaped and its cells put in their tags by a few byte replacements,
    rather than a Python object and an escape per cell."""
    sql, params = due_query(store, on, within, **filters)
    params = {**params, "week": (on + timedelta(days=7)).isoformat()}
    # As Jinja prints them: None as "None"; an item without an IRO shows a dash.
    cell = "COALESCE({}, 'None')"
    iro = "CASE WHEN iro IS NULL OR iro = '' THEN '–' ELSE iro END"
    row = (
        f"x'f5' || {cell.format('due')} || x'f6' || {cell.format('kind')} || x'f6'"
        f" || {cell.format('child_id')} || x'f6' || {cell.format('name')} || x'f6' || {iro}"
        f" || x'f8' || {cell.format('rule')} || x'f6' || {cell.format('detail')} || x'fa'"
    )
    section = "CASE WHEN due < :on THEN 0 WHEN due <= :week THEN 1 ELSE 2 END"
    cursor = store.conn.execute(
        f"SELECT {section}, CAST({row} AS BLOB) FROM ({sql}){_ORDER}", params
    )
    cursor.row_factory = None
    rows: list[list[bytes]] = [[], [], []]
    while batch := cursor.fetchmany(5000):
        for number, text in batch:
            rows[number].append(text)
    return [(_html_rows(b"".join(texts), len(texts)), len(texts)) for texts in rows]


# What the separators of due_html_rows become, once the cells are escaped.
_HTML_CELLS = (
    (b"\xf5", b'    <tr><td class="date">'),
    (b"\xf6", b"</td><td>"),
    (b"\xf8", b'</td><td class="rule">'),
    (b"\xfa", b"</td></tr>\n"),
)
# markupsafe's escape, the autoescape of Jinja: & first.
_HTML_ESCAPES = (
    (b"&", b"&amp;"),
    (b"<", b"&lt;"),
    (b">", b"&gt;"),
    (b'"', b"&#34;"),
    (b"'", b"&#39;"),
)


def _html_rows(text: bytes, count: int) -> bytes:
    for separator, times in ((b"\xf5", 1), (b"\xf6", 5), (b"\xf8", 1), (b"\xfa", 1)):
        if text.count(separator) != count * times:
            text.decode("utf-8")  # a stray separator: text that is not UTF-8 (raises)
    for plain, escaped in (*_HTML_ESCAPES, *_HTML_CELLS):
        text = text.replace(plain, escaped)
    return text


# Kinds with few items whose date is worked out per row (no index on it): built in full once.
_FEW = {"allocation", "data", "event", "dispute"}


def due_sections(
    store: Store,
    on: date,
    within: int = 30,
    *,
    show: int = 300,
    iro: str | None = None,
    team: str | None = None,
    kinds: set[str] | None = None,
) -> tuple[dict[str, int], dict[str, list[dict]]]:
    """For the terminal: how many items are overdue, due this week (7 days) and later, and
    the first ``show`` items of each section, as ``due_items`` would give them.

    The many items (reviews, steps, decisions) are counted date by date from their
    indexes alone; then each section's first items are built in full from those due up
    to the date of its ``show``-th item. The few other items are built in full at once.
    """
    want = set(kinds) if kinds else set(KINDS)
    filters = {"iro": iro, "team": team}
    week_end = on + timedelta(days=7)
    today = on.isoformat()
    few: list[tuple] = []
    if want & _FEW:
        sql, params = due_query(store, on, within, kinds=want & _FEW, **filters)
        few = [(_key(r), _as_item(r, today)) for r in store.conn.execute(sql + _ORDER, params)]
    per_day: dict[str, int] = {}
    for _, item in few:
        per_day[item["due"]] = per_day.get(item["due"], 0) + 1
    many = want - _FEW
    if many:
        sql, params = due_query(store, on, within, kinds=many, light=True, **filters)
        # Kind by kind, so each count reads its index in date order without a sort.
        for part in sql.split(_UNION):
            for due, n in store.conn.execute(
                f"SELECT due, COUNT(*) FROM ({part}) GROUP BY due", params
            ).fetchall():
                per_day[due] = per_day.get(due, 0) + n
    starts = ("", today, (week_end + timedelta(days=1)).isoformat())
    totals, lasts = [0, 0, 0], [None, None, None]  # items, and the date of the show-th
    for due in sorted(per_day):
        section = 0 if due < today else 1 if due <= week_end.isoformat() else 2
        if totals[section] < show:
            lasts[section] = due
        totals[section] += per_day[due]
    counts = dict(zip(SECTIONS, totals, strict=True))
    shown: dict[str, list[dict]] = {name: [] for name in SECTIONS}
    for section, name in enumerate(SECTIONS):
        if not totals[section]:
            continue
        since, until = starts[section], lasts[section]
        rows = [pair for pair in few if since <= pair[1]["due"] <= until]
        if many:
            sql, params = due_query(
                store, on, within, kinds=many, since=since, until=until, **filters
            )
            params["show"] = show
            rows += [
                (_key(r), _as_item(r, today))
                for r in store.conn.execute(f"{sql}{_ORDER} LIMIT :show", params)
            ]
        rows.sort(key=lambda pair: pair[0])
        shown[name] = [item for _, item in rows[:show]]
    return counts, shown


def _key(row) -> tuple:
    return (row["due"], row["child_id"], row["kind"], row["seq"])


# --- read-only views -----------------------------------------------------------------------


def child_summary(store: Store, child_id: str, on: date) -> dict:
    from .records import get_child

    child = get_child(store, child_id)
    period = store.row("SELECT * FROM periods WHERE child_id = ? AND end_date IS NULL", [child_id])
    iro = store.row(
        "SELECT a.iro_id, a.start_date, i.name FROM allocations a JOIN iros i ON i.id = a.iro_id "
        "WHERE a.child_id = ? AND a.end_date IS NULL",
        [child_id],
    )
    next_review = None
    # R-SCH-5: between the stays of a series of short breaks, the last stay's next review.
    series = (
        None
        if period
        else store.row(
            "SELECT * FROM periods WHERE child_id = ? AND end_date IS NOT NULL"
            " AND next_due IS NOT NULL ORDER BY start_date DESC LIMIT 1",
            [child_id],
        )
    )
    if period or series:
        of = period or series
        pending = store.row(
            "SELECT * FROM reviews WHERE period_id = ? AND status IN ('booked', 'adjourned')",
            [of["id"]],
        )
        next_review = {
            "number": of["next_number"],
            "due": of["next_due"],
            "rule": of["next_rule"],
            "booked": pending["booked_date"] if pending else None,
            "review_id": pending["id"] if pending else None,
            "earliest": of["next_earliest"],
            "detail": of["next_detail"],
            "overdue": of["next_due"] < on.isoformat(),
            "between_stays": series["end_date"] if series else None,
        }
    dob = date.fromisoformat(child["dob"])
    out = {
        "id": child["id"],
        "first_name": child["first_name"],
        "last_name": child["last_name"],
        "dob": child["dob"],
        "age": age_on(dob, on),
        "gender": child["gender"],
        "sibling_group": child["sibling_group"],
        "social_worker": child["social_worker"],
        "team": child["team"],
        "looked_after": period is not None,
        "iro": iro["iro_id"] if iro else None,
        "iro_name": iro["name"] if iro else None,
        "next_review": next_review,
        "periods": store.rows(
            "SELECT id, start_date, end_date, reason_ceased, adoption_consent FROM periods "
            "WHERE child_id = ? ORDER BY start_date",
            [child_id],
        ),
        # R-SCH-5: the recorded ends of short-break arrangements.
        "short_break_ends": store.rows(
            "SELECT end_date, reason FROM short_break_ends WHERE child_id = ? ORDER BY end_date",
            [child_id],
        ),
        "episodes": store.rows(
            "SELECT id, period_id, start_date, end_date, rne, legal_status, placement, "
            "reason_place_change, reason_ceased FROM episodes WHERE child_id = ? "
            "ORDER BY start_date, id",
            [child_id],
        ),
        "reviews": list(review_rows(store, child_id=child_id)),
        "allocations": store.rows(
            "SELECT iro_id, start_date, end_date FROM allocations WHERE child_id = ? "
            "ORDER BY start_date, id",
            [child_id],
        ),
        "directions": store.rows(
            "SELECT id, made_on, by_date, reason FROM directions WHERE child_id = ? "
            "ORDER BY made_on, id",
            [child_id],
        ),
    }
    from .onboarding import add_to_summary

    add_to_summary(store, out, child)
    return out


def child_rows(store: Store, on: date, *, team=None, iro=None, looked_after=None):
    from .store import Listing

    source = """
FROM children c
LEFT JOIN periods p ON p.child_id = c.id AND p.end_date IS NULL
LEFT JOIN allocations a ON a.child_id = c.id AND a.end_date IS NULL
WHERE 1 = 1"""
    params: list = []
    if team:
        source += " AND c.team = ?"
        params.append(team)
    if iro:
        source += " AND a.iro_id = ?"
        params.append(iro)
    if looked_after is not None:
        source += " AND p.id IS NOT NULL" if looked_after else " AND p.id IS NULL"
    today = on.isoformat()

    def shape(r: dict) -> dict:
        r["looked_after"] = bool(r["looked_after"])
        r["overdue"] = bool(r["next_due"] and r["next_due"] < today)
        return r

    return Listing(
        store,
        "c.id, c.first_name, c.last_name, c.dob, c.team, c.social_worker, "
        "p.id IS NOT NULL AS looked_after, p.start_date AS looked_after_since, "
        "a.iro_id AS iro, p.next_number, p.next_due, p.next_rule",
        source,
        params,
        tail="ORDER BY c.id",
        shape=shape,
    )


def _iro_shape(r: dict) -> dict:
    r["active"] = bool(r["active"])
    r["per_fte"] = round(r["caseload"] / r["fte"], 1) if r["fte"] else None
    r["over_caseload"] = bool(r["per_fte"] and r["per_fte"] > 70)  # R-IRO-4
    return r


def iro_rows(store: Store):
    from .store import Listing

    return Listing(
        store,
        "i.id, i.name, i.email, i.phone, i.fte, i.team, i.active, COUNT(p.id) AS caseload",
        """
FROM iros i
LEFT JOIN allocations a ON a.iro_id = i.id AND a.end_date IS NULL
LEFT JOIN periods p ON p.child_id = a.child_id AND p.end_date IS NULL""",
        tail="GROUP BY i.id ORDER BY i.id",
        shape=_iro_shape,
        count="SELECT COUNT(*) FROM iros",  # one row per IRO
    )


def _review_shape(r: dict) -> dict:
    r["meeting"] = bool(r["meeting"])
    r["on_time"] = (
        r["recording_date"] <= r["deadline"] if r["status"] == "held" and r["deadline"] else None
    )
    return r


def review_rows(store: Store, *, child_id=None, status=None):
    from .store import Listing

    source = "FROM reviews WHERE 1 = 1"
    params: list = []
    if child_id:
        source += " AND child_id = ?"
        params.append(child_id)
    if status:
        # "+status": the order is served by reviews_child; a plain "status = 'held'" made
        # SQLite pick the partial index of held reviews and sort all 537,000 of them first.
        source += " AND +status = ?"
        params.append(status)
    return Listing(
        store,
        "id, child_id, period_id, number, status, deadline, rule, booked_date, booked_time, "
        "venue, original_date, recording_date, held_date, participation, meeting, "
        "late_reason, reschedule_reason, adjourn_reason, cancel_reason",
        source,
        params,
        tail="ORDER BY child_id, COALESCE(recording_date, booked_date), id",
        shape=_review_shape,
    )
