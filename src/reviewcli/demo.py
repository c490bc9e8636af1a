"""A realistic fictional authority for ``reviewcli demo``.

The history is simulated, not written straight into the tables: every child is taken
through the validated operations of ``records`` (start a period of care, change an
episode, allocate an IRO, book, move, adjourn, cancel and hold reviews …), each called
with ``today`` set to the simulated day of that event. So every rule a real admin meets
applies to the demo as well, and the deadlines, rules and late reasons it shows are the
ones the schedule engine itself produced.

Everything is deterministic for a given seed and ``today``: one ``random.Random(seed)``
draws every choice, in a fixed order; the clock is never read. (The audit columns
``created_at``/``updated_at`` are stamped by ``records`` and are not part of the demo.)

All names are invented: first and last names are drawn independently from lists of
names common in Britain, across its communities.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import derived, records, rules
from .calendar import add_years, age_on
from .errors import ReviewError
from .store import Store

# --- names -------------------------------------------------------------------------------

# fmt: off
GIRLS = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Poppy", "Grace", "Sophie",
    "Evie", "Ruby", "Ella", "Chloe", "Jessica", "Holly", "Megan", "Daisy", "Willow", "Summer",
    "Tia", "Leah", "Jade", "Kayla", "Harper", "Niamh", "Siobhan", "Roisin", "Aoife", "Caitlin",
    "Eilidh", "Morven", "Ffion", "Seren", "Carys", "Aisha", "Fatima", "Maryam", "Zara", "Amira",
    "Hafsa", "Nadia", "Zainab", "Priya", "Anika", "Simran", "Harleen", "Kavya", "Amara",
    "Chiamaka", "Adaeze", "Nia", "Keisha", "Shanice", "Imani", "Abena", "Efua", "Zuzanna", "Julia",
    "Maja", "Oliwia", "Ioana", "Elena", "Hodan", "Ifrah", "Ayan", "Elif", "Zeynep", "Mei", "Lin",
    "Thu", "Precious", "Blessing", "Destiny", "Bethany", "Paige", "Kelsey", "Alisha", "Lacey",
)
BOYS = (
    "Oliver", "Harry", "Jack", "George", "Noah", "Leo", "Jacob", "Charlie", "Freddie", "Alfie",
    "Oscar", "Arthur", "Theo", "Archie", "Mason", "Tyler", "Kai", "Riley", "Callum", "Kieran",
    "Liam", "Connor", "Jamie", "Billy", "Frankie", "Reuben", "Ezra", "Elijah", "Joshua", "Nathan",
    "Ethan", "Lewis", "Aidan", "Declan", "Cian", "Rhys", "Dylan", "Owen", "Ewan", "Finlay",
    "Muhammad", "Ibrahim", "Yusuf", "Ayaan", "Zain", "Hamza", "Omar", "Bilal", "Arjun", "Rohan",
    "Dev", "Harjot", "Kwame", "Kofi", "Tunde", "Emeka", "Chidi", "Jayden", "Malachi", "Tyrese",
    "Andre", "Marcus", "Jakub", "Oskar", "Filip", "Mateusz", "Luca", "Matei", "Andrei", "Abdi",
    "Liban", "Emre", "Can", "Wei", "Jun", "Minh", "Kian", "Tomasz", "Bradley", "Corey", "Reece",
    "Logan",
)
ADULT_FIRST = (
    "Sarah", "Helen", "Rachel", "Joanne", "Claire", "Nasreen", "Gurpreet", "Andrew", "Mark",
    "David", "Paul", "Yvonne", "Bernadette", "Femi", "Oluwaseun", "Tariq", "Imran", "Deborah",
    "Lorraine", "Karen", "Gareth", "Dafydd", "Fiona", "Morag", "Agnieszka", "Beata", "Samina",
    "Rukhsana", "Parminder", "Sunita", "Winston", "Delroy", "Marcia", "Angela", "Siobhan",
    "Ciaran", "Patrick", "Moira", "Linda", "Susan", "Anthony", "Simon", "Louise", "Kerry",
    "Hannah", "Amir", "Farah", "Shabnam", "Nkechi", "Grace", "Chipo", "Tendai", "Joy", "Hyacinth",
    "Errol", "Dominic", "Natalie", "Gemma", "Leanne", "Craig", "Darren", "Stephen", "Jane",
    "Catherine", "Ruth", "Eleanor", "Rebecca", "Laura", "Emma", "Vikram", "Anjali", "Kamala",
    "Rhiannon", "Bronwen", "Euan", "Iain", "Kirsty", "Lesley", "Monika", "Dorota", "Piotr",
    "Mihaela", "Cristina", "Aylin", "Hui", "Jian",
)
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "Mitchell", "Turner", "Parker", "Cooper", "Ward", "Baker", "Harris",
    "Martin", "King", "Scott", "Young", "Allen", "Hill", "Moore", "Lee", "Barker", "Fletcher",
    "Marsh", "Holt", "Rowe", "Pickering", "Ashworth", "Whitfield", "Pennington", "Oldroyd",
    "Hargreaves", "Brennan", "Quinn", "Murphy", "O'Brien", "Kelly", "Byrne", "Doyle", "Gallagher",
    "McDonald", "Fraser", "Stewart", "Macleod", "Campbell", "Morgan", "Hughes", "Griffiths",
    "Price", "Pritchard", "Llewellyn", "Patel", "Khan", "Ahmed", "Hussain", "Begum", "Ali", "Shah",
    "Mahmood", "Iqbal", "Akhtar", "Chowdhury", "Rahman", "Miah", "Uddin", "Singh", "Kaur",
    "Sharma", "Gill", "Sandhu", "Bains", "Okafor", "Adeyemi", "Okonkwo", "Mensah", "Boateng",
    "Osei", "Asante", "Francis", "Bennett", "Grant", "Reid", "Thomas", "Lewis", "Mohamed",
    "Hassan", "Abdi", "Warsame", "Yilmaz", "Demir", "Kaya", "Nowak", "Kowalczyk", "Wojcik",
    "Popescu", "Ionescu", "Chen", "Wong", "Li", "Nguyen", "Tran", "Costa", "Silva", "Ferreira",
    "Rossi", "Papadopoulos",
)
# fmt: on

LOCALITIES = ("North", "South", "East", "West")
DISABLED_TEAM = "Disabled Children"
LEAVING_CARE_TEAM = "Leaving Care"
TEAMS = (*LOCALITIES, DISABLED_TEAM, LEAVING_CARE_TEAM)
IRO_TEAMS = ("North", "South", "North", "South", "Disabled Children")

TIMES = ("09:30", "10:00", "13:30", "14:00", "15:30")
VENUES = {
    "Carer's home": 34,
    "Online (Teams)": 20,
    "School": 13,
    "Council House, Room 3": 15,
    "Civic Centre, Room 2.14": 8,
    "Family Centre, Meeting Room 1": 6,
}

LATE_REASONS = {
    "IRO sickness": 20,
    "Social worker report not ready": 22,
    "Parent unavailable": 14,
    "Family bereavement": 6,
    "Child unwell": 10,
    "Interpreter not available": 5,
    "Placement move in progress": 8,
    "Change of social worker": 9,
    "Notification of the placement change received late": 6,
}
MOVE_REASONS = {  # within the deadline: a reason is optional
    "Social worker on annual leave": 5,
    "Clash with the child's school exams": 3,
    "Carer asked for a later date": 4,
    "IRO diary clash": 3,
    "Parent asked for an afternoon meeting": 2,
}
CANCEL_REASONS = (
    "Child unwell; to be rearranged",
    "Foster carer unable to attend; to be rearranged",
    "IRO sickness; to be rearranged",
    "Meeting room unavailable; to be rearranged",
    "Parent's court hearing on the same day; to be rearranged",
)
ADJOURN_REASONS = (
    "Social worker's report not available",
    "Parents not invited in time",
    "Child too distressed to continue",
    "Interpreter did not attend",
    "Care plan not yet agreed by the team manager",
)
DIRECTION_REASONS = (
    "Unplanned placement move: review of the care plan",
    "Proposed move would interrupt Key Stage 4",
    "Safeguarding concern raised by school",
    "Child missing from placement on three occasions",
    "Change of care plan to return home",
    "Permanence panel decision",
)
PLACE_CHANGE_REASONS = {
    "CARPL": 24,
    "CREQB": 16,
    "CREQO": 12,
    "CHILD": 10,
    "LAREQ": 8,
    "STAND": 5,
    "ALLEG": 4,
    "CLOSE": 4,
    "OTHER": 4,
}

PARTICIPATION = {"PN1": 50, "PN5": 13, "PN6": 11, "PN2": 9, "PN7": 7, "PN3": 5, "PN4": 5}
PARTICIPATION_YOUNG = {"PN1": 30, "PN6": 24, "PN5": 10, "PN3": 12, "PN2": 8, "PN4": 8, "PN7": 8}
PARTICIPATION_DISABLED = {
    "PN6": 28,
    "PN3": 24,
    "PN2": 16,
    "PN1": 14,
    "PN5": 8,
    "PN4": 6,
    "PN7": 4,
}
PARTICIPATION_NO_MEETING = {"PN6": 45, "PN5": 40, "PN7": 15}

# Age (at the demo's today) of the children in care: England's published spread,
# a little lighter on 16-17 because the leaving-care scenario adds those.
AGE_WEIGHTS = (5, 3.5, 3.5, 3.5, 3.5, 3.4, 3.4, 3.4, 3.4, 3.4, 6, 6, 6.3, 6.5, 6.5, 6.5, 7, 6)
TEEN_WEIGHTS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 6, 8, 9, 9, 8)

# Scenario weights (per family) and which scenarios take sibling groups.
SCENARIOS = {
    "care_order": 36,
    "long_term": 17,
    "s20": 9,
    "short_breaks": 4,
    "adoption": 9,
    "leaving_care": 10,
    "remand": 1.5,
    "newly": 5,
    "returned": 4,
}
FAMILY_SCENARIOS = frozenset({"care_order", "long_term", "s20", "adoption", "newly", "returned"})
FAMILY_SIZES = {1: 78, 2: 13, 3: 6, 4: 3}

# Steps after the meeting (R-POST-*): how often each is done late.
_POST_STEPS = frozenset(
    {"monitoring-form", "decisions", "manager-response", "care-plan", "record", "distribution"}
)
_POST_LATE = {"decisions": 0.08, "care-plan": 0.15, "record": 0.12, "distribution": 0.1}
_DISAGREEMENTS = (
    "The plan for contact with the father is not agreed: the team will propose an alternative",
    "Funding for the specialist assessment is not agreed at this stage",
    "The timescale for the permanence report cannot be met; the team manager proposes 8 weeks",
)

MAX_HISTORY_DAYS = 7 * 365  # bounds the simulated history (and the build time)


def in_force(placement: str | None, day: date) -> str | None:
    """The placement a fictional child is given on ``day``: semi-independent living (H5)
    and independent living (P2) became supported accommodation (K3) when the codes changed
    (codes.md)."""
    if placement == "H5" and day >= date(2025, 4, 1):
        return "K3"
    if placement == "P2" and day >= date(2023, 10, 28):
        return "K3" if day >= date(2024, 4, 1) else "H5"
    return placement


# --- plans: what happens to each child, before it is recorded ------------------------------


@dataclass
class Change:
    day: date
    legal_status: str | None = None
    placement: str | None = None
    reason: str | None = None
    rne: str | None = None


@dataclass
class PeriodPlan:
    start: date
    legal_status: str
    placement: str
    changes: list[Change] = field(default_factory=list)
    end: date | None = None
    reason_ceased: str | None = None
    allocate: bool = True
    alloc_delay: int = 2  # working days after the start
    directions: list[tuple[date, date, str]] = field(default_factory=list)
    iro_change: date | None = None
    stall: str | None = None  # unbooked / moved / unrecorded: an overdue review on today
    adjourn_now: bool = False  # an adjourned review waiting to reconvene on today


@dataclass
class ChildPlan:
    dob: date
    gender: str
    periods: list[PeriodPlan]
    profile: str = "general"  # or "disabled" (participation)


@dataclass
class Family:
    scenario: str
    children: list[ChildPlan]
    team: str = "North"
    iros: tuple[str, str] | None = None  # (first IRO, IRO after the change)


class Timeline:
    """Episode changes of one period, kept in date order with no empty changes."""

    def __init__(self, start: date, legal_status: str, placement: str):
        self.plan = PeriodPlan(start, legal_status, placement)
        self.ls, self.place, self.last = legal_status, placement, start

    def change(self, day, *, ls=None, place=None, reason=None, rne=None) -> date | None:
        day = max(day, self.last + timedelta(days=1))
        new_ls = ls if ls and ls != self.ls else None
        new_place = place if place and place != self.place else None
        if new_ls is None and new_place is None:
            return None
        if rne == "T" and (new_ls or not new_place):
            rne = None
        if rne == "U" and not (new_ls and new_place):
            rne = None
        self.plan.changes.append(
            Change(day, new_ls, new_place, (reason or "OTHER") if new_place else None, rne)
        )
        self.ls, self.place, self.last = new_ls or self.ls, new_place or self.place, day
        return day

    def finish(self, today: date, end: date | None = None, rec: str | None = None) -> PeriodPlan:
        if end is not None:
            self.plan.changes = [c for c in self.plan.changes if c.day < end]
            self.plan.end, self.plan.reason_ceased = end, rec
        else:
            self.plan.changes = [c for c in self.plan.changes if c.day <= today]
        return self.plan


@dataclass
class Step:
    day: date
    action: str  # hold / reschedule / adjourn / cancel
    to: date | None = None
    reason: str | None = None


@dataclass
class Cycle:
    book_on: date
    meeting: date
    steps: list[Step]
    late_reason: str | None = None
    stall: str | None = None
    review_id: int | None = None


# --- the builder -------------------------------------------------------------------------


def build(
    store: Store,
    *,
    children: int,
    seed: int,
    today: date,
    progress: Callable[[int, int], None] | None = None,
    status: Callable[[str], None] | None = None,
) -> dict:
    """Fill ``store`` with ``children`` fictional children and their whole history.

    ``progress(done, total)`` follows the children; ``status(text)`` is told of the last
    step, storing the work list."""
    if children < 1:
        raise ValueError("children must be at least 1")
    rng = random.Random(seed)
    simulated = min(children, SIMULATED)
    # One transaction; the work list's stored items are made once, at the end.
    with store.write(), derived.deferred(store.conn, status):
        if simulated == children:
            counts = _Builder(store, rng, today).run(children, progress)
        else:

            def first_part(done: int, total: int) -> None:
                if progress:
                    progress(done, children)

            _Builder(store, rng, today).run(simulated, first_part)
            counts = _clone(store, rng, simulated, children, progress)
        annual_facts(store, today)
        return counts


# Above this many children, the demo simulates this many through the domain operations and
# fills the rest with renamed copies of their histories, made in SQL: a national-scale
# database in minutes, every copy as valid as its original (the same dates, so the same
# deadlines), under new ids, names, sibling groups and IROs.
SIMULATED = 1000

# Integer keys, and the tables whose rows they point at.
_INT_REFS = {
    "period_id": "periods",
    "review_id": "reviews",
    "direction_id": "directions",
    "decision_id": "decisions",
    "dispute_id": "disputes",
    "contact_id": "contacts",
}
_CLONED = [
    "periods", "episodes", "allocations", "directions", "reviews", "review_changes",
    "review_steps", "decisions", "decision_changes", "events", "disputes", "dispute_log",
    "contacts", "review_invitees",
]  # fmt: skip


def _clone(store: Store, rng: random.Random, base: int, total: int, progress) -> dict:
    conn = store.conn
    children = store.rows("SELECT id, gender, last_name FROM children ORDER BY id")
    iros = store.rows("SELECT * FROM iros ORDER BY id")
    top = {t: store.value(f"SELECT COALESCE(MAX(id), 0) FROM {t}") for t in _CLONED}
    cols = {
        t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in [*_CLONED, "children"]
    }
    tables = [*cols, "iros"]  # every table the copies write to
    conn.execute(
        "CREATE TEMP TABLE child_map (old TEXT PRIMARY KEY, new TEXT, first TEXT, last TEXT)"
    )
    conn.execute("CREATE TEMP TABLE iro_map (old TEXT PRIMARY KEY, new TEXT)")
    # The copies' secondary indexes are built once at the end rather than row by row: a
    # national database's millions of steps would otherwise go each into its place in
    # every index. Unique indexes stay: they are rules of the data, checked as rows go in.
    deferred = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND sql NOT LIKE 'CREATE UNIQUE %' AND tbl_name IN ({', '.join('?' * len(tables))})"
        " ORDER BY name",
        tables,
    ).fetchall()
    for name, _ in deferred:
        conn.execute(f'DROP INDEX "{name}"')
    number, batch = base, 0
    width = max(5, len(str(total)))
    while number < total:
        batch += 1
        part = children[: total - number]
        conn.execute("DELETE FROM child_map")
        conn.execute("DELETE FROM iro_map")
        surnames: dict[str, str] = {}
        rows = []
        for child in part:
            number += 1
            last = surnames.setdefault(child["last_name"], rng.choice(SURNAMES))
            first = rng.choice(GIRLS if child["gender"] == "Female" else BOYS)
            rows.append((child["id"], f"C{number:0{width}d}", first, last))
        conn.executemany("INSERT INTO child_map VALUES (?, ?, ?, ?)", rows)
        for i, iro in enumerate(iros):
            new_id = f"IRO{batch * len(iros) + i + 1}"
            conn.execute("INSERT INTO iro_map VALUES (?, ?)", [iro["id"], new_id])
            conn.execute(
                "INSERT INTO iros (id, name, email, phone, fte, team, active, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    new_id,
                    f"{rng.choice(GIRLS + BOYS)} {rng.choice(SURNAMES)}",
                    f"{new_id.lower()}@iro.example.gov.uk",
                    iro["phone"],
                    iro["fte"],
                    iro["team"],
                    iro["active"],
                    iro["created_at"],
                ],
            )
        conn.execute(_clone_sql("children", cols["children"], top, batch))
        for table in _CLONED:
            conn.execute(_clone_sql(table, cols[table], top, batch))
        if progress:
            progress(number, total)
    for _, sql in deferred:
        conn.execute(sql)
    conn.execute("DROP TABLE child_map")
    conn.execute("DROP TABLE iro_map")
    return {
        "children": store.value("SELECT COUNT(*) FROM children"),
        "iros": store.value("SELECT COUNT(*) FROM iros"),
        "looked_after": store.value("SELECT COUNT(*) FROM periods WHERE end_date IS NULL"),
        "reviews": store.value("SELECT COUNT(*) FROM reviews"),
    }


def _clone_sql(table: str, columns: list[str], top: dict[str, int], batch: int) -> str:
    """INSERT … SELECT copying one table's rows of the mapped children, keys shifted."""
    exprs = []
    for col in columns:
        if table == "children":
            expr = {
                "id": "m.new",
                "first_name": "m.first",
                "last_name": "m.last",
                "sibling_group": f"CASE WHEN t.sibling_group IS NULL THEN NULL "
                f"ELSE t.sibling_group || '-{batch}' END",
                "parent_id": "(SELECT new FROM child_map WHERE old = t.parent_id)",
            }.get(col, f"t.{col}")
        elif col == "id":
            expr = f"t.id + {top[table] * batch}"
        elif col == "child_id":
            expr = "m.new"
        elif col == "iro_id":
            expr = "(SELECT new FROM iro_map WHERE old = t.iro_id)"
        elif col in _INT_REFS:
            expr = f"t.{col} + {top[_INT_REFS[col]] * batch}"
        elif table == "contacts" and col == "name":
            expr = "REPLACE(t.name, c.last_name, m.last)"
        else:
            expr = f"t.{col}"
        exprs.append(expr)
    if table == "children":
        join, where = "JOIN child_map m ON m.old = t.id", ""
    elif table in _VIA:
        parent, fk = _VIA[table]
        join = f"JOIN {parent} p ON p.id = t.{fk} JOIN child_map m ON m.old = p.child_id"
        where = f" WHERE t.id <= {top[table]}"
    else:
        join = "JOIN child_map m ON m.old = t.child_id"
        if table == "contacts":
            join += " JOIN children c ON c.id = t.child_id"
        where = f" WHERE t.id <= {top[table]}"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
        f"FROM {table} t {join}{where}"
    )


# Tables without a child_id: their child is found through the row they belong to.
_VIA = {
    "review_changes": ("reviews", "review_id"),
    "decision_changes": ("decisions", "decision_id"),
    "dispute_log": ("disputes", "dispute_id"),
}


class _Builder:
    def __init__(self, store: Store, rng: random.Random, today: date):
        self.store, self.rng, self.today = store, rng, today
        self.cal = store.calendar
        self.sibling_groups = 0

    # --- small helpers ---------------------------------------------------------------

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def days(self, lo: int, hi: int) -> timedelta:
        return timedelta(days=self.rng.randint(lo, max(lo, hi)))

    def working_on_or_before(self, day: date, floor: date) -> date | None:
        while day >= floor:
            if self.cal.is_working_day(day):
                return day
            day -= timedelta(days=1)
        return None

    def working_on_or_after(self, day: date) -> date:
        while not self.cal.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_between(self, lo: date, hi: date, target: date) -> date:
        """A working day in [lo, hi] near target (earlier first), else the first after lo."""
        target = min(max(target, lo), hi) if hi >= lo else lo
        found = self.working_on_or_before(target, lo)
        if found is None:
            found = self.working_on_or_after(target)
        return found

    def age(self, weights=AGE_WEIGHTS, lo: int = 0, hi: int = 17) -> int:
        ages = list(range(lo, hi + 1))
        return self.rng.choices(ages, weights=[weights[a] for a in ages])[0]

    def dob_for_age(self, age: int) -> date:
        """A date of birth making the child ``age`` on today."""
        hi = add_years(self.today, -age)
        while age_on(hi, self.today) < age:
            hi -= timedelta(days=1)
        lo = add_years(self.today, -(age + 1)) + timedelta(days=1)
        while age_on(lo, self.today) > age:
            lo += timedelta(days=1)
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    def sibling_dobs(self, size: int, weights=AGE_WEIGHTS, lo: int = 0) -> list[date]:
        oldest = self.age(weights, lo=max(lo, min(size - 1, 17)))
        ages = [oldest]
        for _ in range(size - 1):
            nxt = ages[-1] - self.rng.randint(1, 3)
            if nxt < 0:
                break
            ages.append(nxt)
        return [self.dob_for_age(a) for a in ages]

    def duration(self) -> int:
        r = self.rng.random()
        if r < 0.15:
            return self.rng.randint(40, 180)
        if r < 0.5:
            return self.rng.randint(180, 730)
        if r < 0.85:
            return self.rng.randint(730, 1460)
        return self.rng.randint(1460, MAX_HISTORY_DAYS)

    def born_before(self, dobs: list[date], start: date) -> list[date]:
        return [d if d < start else start - self.days(1, 90) for d in dobs]

    def placement_for(self, age: int, current: str | None) -> str:
        if age < 10:
            options = {"U6": 70, "U3": 30}
        elif age < 13:
            options = {"U6": 60, "U3": 18, "K2": 22}
        elif age < 16:
            options = {"U6": 45, "K2": 35, "U3": 10, "R1": 5, "S1": 5}
        else:
            options = {"H5": 40, "K2": 25, "U6": 30, "P2": 5}
        options.pop(current, None)
        return self.pick(options)

    # --- planning: scenarios ---------------------------------------------------------

    def plan_families(self, n: int) -> list[Family]:
        forced: list[tuple[str, dict]] = [
            ("adoption", {"stage": "placed"}),
            ("adoption", {"stage": "placed", "variant": "consent"}),
            ("adoption", {"stage": "authorised"}),
            ("adoption", {"stage": "authorised", "variant": "freeing"}),
            ("adoption", {"stage": "disrupted", "recent": True}),
            ("adoption", {"stage": "adopted"}),
            ("short_breaks", {"ls": "V3"}),
            ("short_breaks", {"ls": "V4"}),
            ("long_term", {"settled": True}),
            ("leaving_care", {"sub": "approaching"}),
            ("leaving_care", {"sub": "approaching"}),
            ("leaving_care", {"sub": "past18"}),
            ("leaving_care", {"sub": "aged_out"}),
            ("newly", {"sub": "no_iro"}),
            ("newly", {"sub": "booked"}),
            ("newly", {"sub": "alloc_overdue"}),
            ("care_order", {"recent": 33, "adjourn_now": True}),
            ("care_order", {"recent": 42, "stall": "unbooked"}),
            ("care_order", {"recent": 38, "stall": "moved"}),
            ("care_order", {"direction_now": True}),
            ("returned", {}),
        ]
        if n >= 1000:
            forced.append(("leaving_care", {"sub": "past18"}))
        forced = forced[: max(0, min(len(forced), n // 3))]
        families = [self.make_family(kind, 1, **kw) for kind, kw in forced]
        used = sum(len(f.children) for f in families)
        while used < n:
            kind = self.pick(SCENARIOS)
            size = self.pick(FAMILY_SIZES) if kind in FAMILY_SCENARIOS else 1
            if kind in ("s20", "adoption"):
                size = min(size, 2)
            family = self.make_family(kind, min(size, n - used))
            families.append(family)
            used += len(family.children)
        self.rng.shuffle(families)
        return families

    def make_family(self, kind: str, size: int, **kw) -> Family:
        children = getattr(self, f"scenario_{kind}")(size, **kw)
        team = self.pick({t: 1 for t in LOCALITIES})
        if kind == "short_breaks" or (kind == "care_order" and self.rng.random() < 0.04):
            team = DISABLED_TEAM
            for c in children:
                c.profile = "disabled"
        elif kind == "leaving_care" or (
            len(children) == 1
            and age_on(children[0].dob, self.today) >= 16
            and self.rng.random() < 0.6
        ):
            team = LEAVING_CARE_TEAM
        family = Family(kind, children, team)
        last = children[0].periods[-1]
        if last.end is None and (self.today - last.start).days > 400 and self.rng.random() < 0.08:
            change = last.start + self.days(120, (self.today - last.start).days - 30)
            for c in children:
                c.periods[-1].iro_change = change
        for c in children:
            for p in c.periods:
                self.add_direction(p)
        return family

    def add_direction(self, p: PeriodPlan) -> None:
        limit = p.end or self.today
        length = (limit - p.start).days
        if length > 150 and self.rng.random() < 0.05:
            made = p.start + self.days(60, length - 5)
            if p.changes and self.rng.random() < 0.6:
                moved = self.rng.choice(p.changes).day + self.days(1, 7)
                if p.start < moved < limit - timedelta(days=3):
                    made = moved
            by = made + self.days(10, 28)
            p.directions.append((made, by, self.rng.choice(DIRECTION_REASONS)))

    def gender(self) -> str:
        return "Female" if self.rng.random() < 0.45 else "Male"

    def care_order_period(
        self, dob: date, start: date, end: date | None = None, rec: str | None = None
    ) -> PeriodPlan:
        """An ordinary period: interim then full care order, or accommodation; some moves."""
        rng = self.rng
        r = rng.random()
        ls0 = "C1" if r < 0.5 else "V2" if r < 0.72 else "L2" if r < 0.82 else "L1"
        if ls0 == "L1" and age_on(dob, start) < 1:
            ls0 = "L2"
        tl = Timeline(start, ls0, self.placement_for(age_on(dob, start), None))
        limit = end or self.today
        length = max(1, (limit - start).days)
        props: list[tuple[date, str, str | None]] = []
        c1 = None
        if ls0 == "L1":
            nxt = "V2" if rng.random() < 0.5 else "C1"
            props.append((start + self.days(1, 3), "ls", nxt))
            c1 = props[-1][0] if nxt == "C1" else None
        elif ls0 == "L2":
            c1 = start + self.days(1, 8)
            props.append((c1, "ls", "C1"))
        elif ls0 == "V2":
            if rng.random() < 0.45:
                c1 = start + self.days(20, 200)
                props.append((c1, "ls", "C1"))
        else:
            c1 = start
        if c1 is not None:
            props.append((c1 + self.days(150, 320), "ls", "C2"))
        moves = sum(rng.random() < 0.35 for _ in range(length // 365)) + (rng.random() < 0.2)
        for _ in range(moves):
            props.append((start + self.days(10, length), "move", None))
        if end is not None and rec in ("E4A", "E41") and rng.random() < 0.4:
            props.append((end - self.days(30, 200), "place", "P1"))
        for day, what, value in sorted(props, key=lambda x: x[0]):
            if what == "ls":
                tl.change(day, ls=value)
            elif what == "place":
                tl.change(day, place=value, reason="CARPL")
            else:
                tl.change(
                    day,
                    place=self.placement_for(age_on(dob, day), tl.place),
                    reason=self.pick(PLACE_CHANGE_REASONS),
                )
        return tl.finish(self.today, end, rec)

    def scenario_care_order(
        self, size, *, recent=None, stall=None, adjourn_now=False, direction_now=False
    ):
        dobs = self.sibling_dobs(size)
        end = rec = None
        if recent is not None:
            start = self.today - timedelta(days=recent)
        elif not direction_now and self.rng.random() < 0.15:
            end = self.today - self.days(15, 700)
            end = min(end, add_years(min(dobs), 18) - timedelta(days=30))
            room = (end - max(dobs)).days - 1
            if room >= 60:
                start = end - timedelta(days=min(room, max(45, self.duration())))
                rec = self.pick(
                    {"E4A": 35, "E41": 15, "E45": 15, "E46": 10, "E13": 10, "E4B": 5, "E3": 5}
                )
            else:
                end = None
        if end is None and recent is None:
            start = self.today - timedelta(
                days=min(self.duration(), max(35, (self.today - max(dobs)).days - 1))
            )
        dobs = self.born_before(dobs, start)
        plans = []
        for dob in dobs:
            period = self.care_order_period(dob, start, end, rec)
            period.stall, period.adjourn_now = stall, adjourn_now
            if direction_now:
                made = max(start + timedelta(days=1), self.today - self.days(0, 4))
                period.directions.append(
                    (made, made + self.days(8, 20), self.rng.choice(DIRECTION_REASONS))
                )
            plans.append(ChildPlan(dob, self.gender(), [period]))
        return plans

    def scenario_long_term(self, size, *, settled=False):
        dobs = self.sibling_dobs(size, lo=3)
        youngest = max(dobs)
        room = (self.today - youngest).days - 1
        if settled:
            designation = self.today - self.days(800, 1000)
            start = designation - self.days(240, 500)
        else:
            start = self.today - self.days(420, min(MAX_HISTORY_DAYS, max(420, room)))
            designation = None
        dobs = self.born_before(dobs, start)
        relative = self.rng.random() < 0.3
        ended = not settled and self.rng.random() < 0.06
        plans = []
        for dob in dobs:
            older = age_on(dob, start) >= 10
            first = "U3" if relative else ("K2" if older and self.rng.random() < 0.3 else "U6")
            tl = Timeline(start, "C1", first)
            c2 = start + self.days(150, 300)
            if first == "K2":
                tl.change(start + self.days(30, 140), place="U6", reason="CARPL")
            tl.change(c2, ls="C2")
            day = designation or min(
                max(c2 + self.days(20, 120), start + self.days(240, 600)),
                self.today - timedelta(days=30),
            )
            tl.change(day, place="U1" if relative else "U4", reason="PLACE", rne="T")
            end = rec = None
            if ended and (self.today - tl.last).days > 60:
                end = tl.last + self.days(30, (self.today - tl.last).days - 20)
                if end < add_years(dob, 18):
                    rec = "E45" if relative else "E46"
                else:
                    end = None
            plans.append(ChildPlan(dob, self.gender(), [tl.finish(self.today, end, rec)]))
        return plans

    def scenario_s20(self, size):
        dobs = self.sibling_dobs(size, TEEN_WEIGHTS)
        start = self.today - timedelta(
            days=min(self.rng.randint(40, 900), max(40, (self.today - max(dobs)).days - 1))
        )
        dobs = self.born_before(dobs, start)
        end = rec = None
        if self.rng.random() < 0.3 and (self.today - start).days > 50:
            end = start + self.days(30, min(500, (self.today - start).days - 10))
            end = min(end, add_years(min(dobs), 18) - timedelta(days=1))
            rec = self.pick({"E4A": 50, "E13": 20, "E4B": 15, "E8": 15})
            if end <= start:
                end = rec = None
        plans = []
        for dob in dobs:
            tl = Timeline(start, "V2", self.placement_for(age_on(dob, start), None))
            limit = end or self.today
            length = (limit - start).days
            if self.rng.random() < 0.12 and length > 60:
                c1 = start + self.days(30, min(200, length))
                tl.change(c1, ls="C1")
                tl.change(c1 + self.days(150, 300), ls="C2")
            if self.rng.random() < 0.3 and length > 20:
                day = start + self.days(10, length)
                tl.change(
                    day,
                    place=self.placement_for(age_on(dob, day), tl.place),
                    reason=self.pick(PLACE_CHANGE_REASONS),
                )
            plans.append(ChildPlan(dob, self.gender(), [tl.finish(self.today, end, rec)]))
        return plans

    def scenario_short_breaks(self, size, *, ls=None):
        dob = self.dob_for_age(self.rng.randint(5, 17))
        four = add_years(dob, 4)
        start = self.today - self.days(60, min(1800, (self.today - four).days))
        tl = Timeline(
            start,
            ls or ("V4" if self.rng.random() < 0.65 else "V3"),
            self.pick({"U6": 55, "K2": 45}),
        )
        end = rec = None
        length = (self.today - start).days
        if ls is None and self.rng.random() < 0.12 and length > 200:
            tl.change(start + self.days(100, length - 30), ls="V2", place="K2", reason="CARPL")
        elif ls is None and self.rng.random() < 0.1 and length > 120:
            end, rec = start + self.days(90, length - 10), "E8"
        return [ChildPlan(dob, self.gender(), [tl.finish(self.today, end, rec)])]

    def scenario_adoption(self, size, *, stage=None, variant=None, recent=False):
        rng, t = self.rng, self.today
        if stage is None:
            stage = self.pick(
                {"proceedings": 20, "authorised": 22, "placed": 22, "disrupted": 6, "adopted": 30}
            )
        if variant is None and size == 1 and stage in ("placed", "adopted") and rng.random() < 0.1:
            variant = "consent"
        if variant is None and stage == "authorised" and rng.random() < 0.04:
            variant = "freeing"
        end = placed = disrupted = auth = None
        if stage == "adopted":
            end = t - self.days(20, 700)
            placed = end - self.days(150, 400)
        elif stage == "placed":
            placed = t - self.days(3, 250)
        elif stage == "disrupted":
            disrupted = t - (self.days(3, 30) if recent else self.days(3, 400))
            placed = disrupted - self.days(20, 300)
        if variant == "consent":
            start = placed - self.days(30, 150)
        else:
            if placed is not None:
                auth = placed - self.days(60, 270)
            elif stage == "authorised":
                auth = t - self.days(10, 330)
            start = auth - self.days(180, 360) if auth else t - self.days(20, 300)
        youngest = start - self.days(1, 50) if variant == "consent" else start - self.days(0, 400)
        dobs = [youngest]
        for _ in range(size - 1):
            dobs.insert(0, dobs[0] - self.days(365, 1100))
        ffa = variant != "consent" and rng.random() < 0.2
        plans = []
        for dob in dobs:
            if variant == "consent":
                tl = Timeline(start, "V2", "U6")
                same = rng.random() < 0.3
                tl.change(
                    placed, place="A3" if same else "A4", reason="CARPL", rne="T" if same else None
                )
            else:
                tl = Timeline(start, "C1", "U5" if ffa else "U6")
                if variant == "freeing":
                    c2 = start + self.days(120, 150)
                    tl.change(c2, ls="C2")
                    tl.change(max(auth, c2 + timedelta(days=30)), ls="D1")
                elif auth is not None:
                    tl.change(auth, ls="E1")
                if placed is not None:
                    tl.change(
                        placed,
                        place="A5" if ffa else "A6",
                        reason="CARPL",
                        rne="T" if ffa else None,
                    )
                if disrupted is not None:
                    tl.change(disrupted, place="U6", reason=self.pick({"CARPL": 2, "CREQO": 1}))
            rec = self.pick({"E11": 60, "E12": 40}) if end else None
            plans.append(ChildPlan(dob, self.gender(), [tl.finish(t, end, rec)]))
        return plans

    def scenario_leaving_care(self, size, *, sub=None):
        rng, t = self.rng, self.today
        sub = sub or self.pick({"teen": 80, "aged_out": 18, "approaching": 2})
        if sub == "teen":
            dob = self.dob_for_age(rng.choice((16, 16, 17)))
        elif sub == "approaching":
            dob = add_years(t + self.days(25, 50), -18)
        elif sub == "past18":
            dob = add_years(t - self.days(2, 20), -18)
        else:
            dob = add_years(t - self.days(10, 700), -18)
        eighteen = rules.eighteenth_birthday(dob)
        start = add_years(dob, rng.randint(12, 15)) + self.days(0, 360)
        start = min(start, t - self.days(60, 200), eighteen - timedelta(days=90))
        start = max(start, t - timedelta(days=MAX_HISTORY_DAYS), dob + timedelta(days=1))
        c2 = rng.random() < 0.45
        tl = Timeline(start, "C1" if c2 else "V2", self.placement_for(age_on(dob, start), None))
        if c2:
            tl.change(start + self.days(150, 300), ls="C2")
        sixteen = add_years(dob, 16)
        if rng.random() < 0.6 and tl.place != "H5":
            tl.change(
                max(sixteen + self.days(0, 200), start + timedelta(days=30)),
                place="H5",
                reason=self.pick({"CARPL": 3, "CHILD": 2}),
            )
        end = rec = None
        if sub == "aged_out":
            end, rec = eighteen, self.pick({"E17": 30, "E5": 35, "E6": 10, "E8": 25})
        return [ChildPlan(dob, self.gender(), [tl.finish(t, end, rec)])]

    def scenario_remand(self, size):
        dob = self.dob_for_age(self.rng.randint(14, 17))
        start = self.today - self.days(15, 200)
        tl = Timeline(start, "J1", self.pick({"K2": 60, "R5": 25, "K1": 15}))
        end = rec = None
        length = (self.today - start).days
        if self.rng.random() < 0.35:
            end, rec = start + self.days(10, min(150, length - 1)), "E14"
        return [ChildPlan(dob, self.gender(), [tl.finish(self.today, end, rec)])]

    def scenario_newly(self, size, *, sub=None):
        rng, t = self.rng, self.today
        dobs = self.sibling_dobs(size)
        if sub == "no_iro":
            start = self.cal.subtract_working_days(t, rng.randint(0, 3))
        elif sub == "booked":
            start = t - self.days(10, 18)
        elif sub == "alloc_overdue":
            start = self.cal.subtract_working_days(t, rng.randint(7, 9))
        else:
            start = t - self.days(0, 32)
        dobs = self.born_before(dobs, start)
        since = self.cal.working_days_between(start, t)
        if sub == "no_iro" or sub == "alloc_overdue":
            allocate = False
        elif since <= 4:
            allocate = rng.random() < 0.4 and since >= 1
        else:
            allocate = rng.random() < 0.97
        delay = rng.randint(1, max(1, min(4, since)))
        r = rng.random()
        plans = []
        for dob in dobs:
            teen = age_on(dob, start) >= 13
            if teen and r < 0.2:
                tl = Timeline(start, "V2", self.pick({"K2": 3, "H5": 2, "U6": 2}))
            elif r < 0.55:
                tl = Timeline(start, "V2", "U6")
            elif r < 0.75:
                tl = Timeline(start, "C1", "U6" if rng.random() < 0.7 else "U3")
            elif r < 0.87:
                tl = Timeline(start, "L2", "U6")
                tl.change(start + self.days(1, 8), ls="C1")
            else:
                tl = Timeline(start, "L1", "U6")
                tl.change(start + self.days(1, 3), ls="V2")
            plan = tl.finish(t)
            plan.allocate, plan.alloc_delay = allocate, delay
            plans.append(ChildPlan(dob, self.gender(), [plan]))
        return plans

    def scenario_returned(self, size):
        t = self.today
        dobs = self.sibling_dobs(size, lo=3)
        room = (t - max(dobs)).days - 1
        second = t - self.days(30, min(700, room // 3))
        first_end = second - self.days(30, min(500, room // 3))
        first = first_end - self.days(40, min(500, max(40, (first_end - max(dobs)).days - 1)))
        dobs = self.born_before(dobs, first)
        rec1 = self.pick({"E4A": 50, "E4B": 25, "E13": 15, "E41": 10})
        ended = self.rng.random() < 0.1 and (t - second).days > 60
        end2 = second + self.days(30, (t - second).days - 5) if ended else None
        plans = []
        for dob in dobs:
            periods = [
                self.care_order_period(dob, first, first_end, rec1),
                self.care_order_period(dob, second, end2, "E4A" if end2 else None),
            ]
            plans.append(ChildPlan(dob, self.gender(), periods))
        return plans

    # --- IROs --------------------------------------------------------------------------

    def add_iros(self, families: list[Family]) -> list[dict]:
        open_children = sum(1 for f in families for c in f.children if c.periods[-1].end is None)
        wanted = max(3, -(-open_children // 60))
        iros: list[dict] = []
        used_names = set()
        while len(iros) < wanted:
            n = len(iros) + 1
            fte = self.pick({1.0: 70, 0.8: 18, 0.6: 12})
            while True:
                first, last = self.rng.choice(ADULT_FIRST), self.rng.choice(SURNAMES)
                if (first, last) not in used_names:
                    used_names.add((first, last))
                    break
            email_last = last.lower().replace("'", "")
            iro = {
                "id": f"IRO{n}",
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{email_last}@iru.example",
                "phone": f"01632 960{self.rng.randint(0, 999):03d}",
                "fte": fte,
                "team": IRO_TEAMS[(n - 1) % len(IRO_TEAMS)],
            }
            records.add_iro(
                self.store,
                iro["id"],
                iro["name"],
                email=iro["email"],
                phone=iro["phone"],
                fte=fte,
                team=iro["team"],
            )
            iros.append(iro)
        # Siblings share an IRO (R-IRO-3); open caseloads are balanced by FTE (R-IRO-4).
        load = {i["id"]: 0 for i in iros}
        fte = {i["id"]: i["fte"] for i in iros}
        for f in families:
            size = sum(1 for c in f.children if c.periods[-1].end is None)
            if size:
                final = min(load, key=lambda k: ((load[k] + size) / fte[k], self.rng.random()))
                load[final] += size
            else:
                final = self.rng.choices(list(fte), weights=list(fte.values()))[0]
            first = final
            if any(p.iro_change for c in f.children for p in c.periods):
                first = self.rng.choice([k for k in load if k != final])
            f.iros = (first, final)
        return iros

    def social_workers(self, families: list[Family]) -> dict[str, list[str]]:
        counts = {team: 0 for team in TEAMS}
        for f in families:
            counts[f.team] += len(f.children)
        pools = {}
        for team in TEAMS:
            pools[team] = [
                f"{self.rng.choice(ADULT_FIRST)} {self.rng.choice(SURNAMES)}"
                for _ in range(max(2, counts[team] // 14 + 1))
            ]
        return pools

    # --- the simulation ----------------------------------------------------------------

    def run(self, n: int, progress) -> dict:
        families = self.plan_families(n)
        with self.store.write():
            self.add_iros(families)
            pools = self.social_workers(families)
        done, number = 0, 0
        for family in families:
            group = None
            if len(family.children) > 1:
                self.sibling_groups += 1
                group = f"SG{self.sibling_groups:04d}"
            surname = self.rng.choice(SURNAMES)
            worker = self.rng.choice(pools[family.team])
            with self.store.write():  # one family, one transaction
                for plan in family.children:
                    number += 1
                    child_id = f"C{number:05d}"
                    last = surname if group and self.rng.random() < 0.85 else None
                    self.simulate_child(child_id, plan, family, group, last, worker)
                    done += 1
                    if progress:
                        progress(done, n)
        with self.store.write():
            _Casework(self.store, self.rng, self.today).run()
        s = self.store
        return {
            "children": s.value("SELECT COUNT(*) FROM children"),
            "iros": s.value("SELECT COUNT(*) FROM iros"),
            "looked_after": s.value("SELECT COUNT(*) FROM periods WHERE end_date IS NULL"),
            "reviews": s.value("SELECT COUNT(*) FROM reviews"),
        }

    def simulate_child(self, child_id, plan: ChildPlan, family, group, last, worker) -> None:
        first = self.rng.choice(GIRLS if plan.gender == "Female" else BOYS)
        records.add_child(
            self.store,
            child_id,
            first_name=first,
            last_name=last or self.rng.choice(SURNAMES),
            dob=plan.dob,
            today=plan.periods[0].start,
            gender=plan.gender,
            sibling_group=group,
            social_worker=worker,
            team=family.team,
        )
        for period in plan.periods:
            _PeriodRun(self, child_id, plan, period, family.iros).run()


class _PeriodRun:
    """One period of care, replayed day by day through ``records``."""

    def __init__(self, b: _Builder, child_id: str, child: ChildPlan, plan: PeriodPlan, iros):
        self.b, self.store, self.rng, self.cal = b, b.store, b.rng, b.cal
        self.today = b.today
        self.child_id, self.child, self.plan = child_id, child, plan
        self.iros = iros
        self.adult = rules.eighteenth_birthday(child.dob)
        self.allocated = False
        self.pending: Cycle | None = None
        self.frozen = False  # from here on, what is booked is left for the admins of today

    # --- events ------------------------------------------------------------------------

    def events(self) -> list[tuple[date, int, str, object]]:
        p, cal, rng = self.plan, self.cal, self.rng
        limit = p.end or self.today
        out: list[tuple[date, int, str, object]] = []
        if p.allocate:
            day = cal.add_working_days(p.start, p.alloc_delay)
            if rng.random() < 0.04:
                day = cal.add_working_days(p.start, rng.randint(6, 8))
            if day <= limit:
                out.append((day, 0, "alloc", self.iros[0]))
        if p.iro_change and p.iro_change <= limit and self.iros[0] != self.iros[1]:
            out.append((p.iro_change, 1, "iro", self.iros[1]))
        for c in p.changes:
            out.append((c.day, 2, "change", c))
        for made, by, reason in p.directions:
            if p.start < made <= limit:
                out.append((made, 3, "direct", (by, reason)))
        due = rules.pathway_plan_due(self.child.dob, cal)
        if p.start < due < self.today - timedelta(days=3) and due < self.adult:
            r = rng.random()
            day = None
            if r < 0.8:
                day = max(p.start + timedelta(days=1), due - self.b.days(0, 15))
            elif r < 0.9:
                day = due + self.b.days(1, 12)
            if day is not None and day <= limit and day <= self.today:
                out.append((day, 4, "pathway", None))
        if p.end is not None:
            out.append((p.end, 9, "end", p.reason_ceased))
        out.sort(key=lambda e: (e[0], e[1]))
        return out

    def run(self) -> None:
        p = self.plan
        records.start_episode(
            self.store,
            self.child_id,
            on=p.start,
            today=p.start,
            legal_status=p.legal_status,
            placement=in_force(p.placement, p.start),
        )
        self.period_id = self.store.value(
            "SELECT id FROM periods WHERE child_id = ? AND end_date IS NULL", [self.child_id]
        )
        events = self.events()
        self.t = p.start
        i = 0
        while True:
            ev = events[i] if i < len(events) else None
            if self.pending is None and not self.frozen:
                cycle = self.plan_cycle() if self.allocated else None
                if cycle == "unbooked":
                    self.frozen, cycle = True, None
                if (
                    cycle is not None
                    and cycle.book_on <= self.today
                    and (ev is None or ev[0] > cycle.book_on)
                ):
                    self.book(cycle)
                    continue
            elif self.pending is not None and not self.frozen:
                step = self.pending.steps[0]
                if ev is None or ev[0] >= step.day:
                    if self.step_waits(step):
                        self.frozen = True
                    else:
                        self.do_step(step)
                    continue
            if ev is None:
                break
            self.handle(ev)
            i += 1
            if ev[2] == "end":
                break
        if self.pending is not None:
            # What the admins have done so far for the review still to come.
            self.prepare(self.today)

    def handle(self, ev) -> None:
        day, _, kind, data = ev
        s, cid = self.store, self.child_id
        if kind == "alloc":
            records.allocate(s, cid, data, on=day, today=day)
            self.allocated = True
        elif kind == "iro":
            if self.allocated:
                records.allocate(s, cid, data, on=day, today=day)
        elif kind == "change":
            records.change_episode(
                s,
                cid,
                on=day,
                today=day,
                legal_status=data.legal_status,
                placement=in_force(data.placement, day),
                reason_place_change=data.reason,
                rne=data.rne,
            )
            self.fit_pending(day)
        elif kind == "direct":
            if self.pending is not None and self.review()["status"] == "adjourned":
                return
            by, reason = data
            records.direct_review(s, cid, by=by, today=day, reason=reason)
            self.fit_pending(day)
        elif kind == "pathway":
            records.record_pathway_plan(s, cid, on=day, today=day)
        elif kind == "end":
            if self.pending is not None:
                review = self.review()
                if review["status"] == "booked" and review["booked_date"] <= day.isoformat():
                    records.cancel_review(
                        s, review["id"], today=day, reason="Leaving care before the review"
                    )
            records.end_episode(s, cid, on=day, today=day, reason=data)
            self.pending = None
        self.t = max(self.t, day)

    # --- reviews -----------------------------------------------------------------------

    def review(self) -> dict:
        return records.get_review(self.store, self.pending.review_id)

    def period(self) -> dict:
        return self.store.row("SELECT * FROM periods WHERE id = ?", [self.period_id])

    def meeting_in(self, lo: date, due: date) -> date:
        """An on-time meeting: a working day a little before the deadline."""
        span = (due - lo).days
        if span < 0:
            return self.b.working_on_or_after(lo)
        back = int(self.rng.triangular(0, min(span, 12), 0))
        return self.b.working_between(lo, due, due - timedelta(days=back))

    def plan_cycle(self):
        """Decide how the next review goes: when it is booked, held, moved or adjourned."""
        b, rng, t = self.b, self.rng, self.t
        row = self.period()
        if row["next_due"] is None:
            return None
        due = date.fromisoformat(row["next_due"])
        earliest = date.fromisoformat(row["next_earliest"]) if row["next_earliest"] else None
        lo = t + timedelta(days=1)
        if earliest and earliest > lo:
            lo = earliest
        if lo >= self.adult:
            return None
        stall = None
        if self.plan.end is None and self.today - timedelta(days=30) <= due < self.today:
            if self.plan.stall:
                stall = self.plan.stall
            elif not self.plan.adjourn_now and rng.random() < 0.08:
                stall = rng.choice(("unbooked", "moved", "unrecorded"))
        if stall == "unbooked":
            return "unbooked"
        r = rng.random()
        kind = (
            "late"
            if r < 0.05
            else "late_move"
            if r < 0.115
            else "adjourn"
            if r < 0.15
            else "cancel"
            if r < 0.18
            else "move"
            if r < 0.25
            else "normal"
        )
        if stall == "moved":
            kind = "late_move"
        meeting = self.meeting_in(lo, due)
        later = None
        if kind == "late":
            meeting = b.working_on_or_after(max(lo, due + b.days(2, 21)))
        elif kind == "late_move":
            later = b.working_on_or_after(max(meeting, due) + b.days(2, 28))
            if stall == "moved":
                later = b.working_on_or_after(self.today + b.days(1, 15))
        if (
            stall is None
            and kind in ("late", "late_move")
            and (later or meeting) > self.today
            and rng.random() < 0.85
        ):
            # Most reviews still to come are booked within their deadline.
            kind, later, meeting = "normal", None, self.meeting_in(lo, due)
        if meeting >= self.adult:
            meeting = b.working_on_or_before(self.adult - timedelta(days=1), lo)
            if meeting is None:
                return None
            kind = "normal"
        if rng.random() < 0.35:
            book_on = t
        else:
            book_on = max(t, meeting - b.days(35, 70))
            book_on = b.working_on_or_before(book_on, t) or t
        late_reason = b.pick(LATE_REASONS)
        cycle = Cycle(book_on, meeting, [], late_reason, stall)
        steps = cycle.steps
        between = self.day_between(book_on, meeting)
        if self.plan.adjourn_now and meeting < self.today:
            limit = rules.adjournment_limit(meeting, self.cal)
            if limit > self.today:
                kind = "adjourn_now"
        if kind == "late_move" and between is not None:
            later = b.working_on_or_after(max(later, between + timedelta(days=1)))
            steps += [Step(between, "reschedule", later, late_reason), Step(later, "hold")]
        elif kind in ("adjourn", "adjourn_now"):
            limit = rules.adjournment_limit(meeting, self.cal)
            if kind == "adjourn_now":
                to = b.working_between(self.today + timedelta(days=1), limit, limit)
            else:
                to = self.cal.add_working_days(meeting, rng.randint(3, 15))
            steps += [
                Step(meeting, "adjourn", to, rng.choice(ADJOURN_REASONS)),
                Step(to, "hold"),
            ]
        elif kind == "cancel" and between is not None:
            steps.append(Step(between, "cancel", reason=rng.choice(CANCEL_REASONS)))
        elif kind == "move" and between is not None and (due - between).days > 3:
            to = b.working_between(between + timedelta(days=1), due, due - b.days(0, 10))
            if to != meeting and to <= due:
                reasons = dict(MOVE_REASONS)
                if age_on(self.child.dob, to) < 14:
                    reasons.pop("Clash with the child's school exams")
                reason = b.pick(reasons) if rng.random() < 0.7 else None
                steps += [Step(between, "reschedule", to, reason), Step(to, "hold")]
        if not steps:
            steps.append(Step(meeting, "hold"))
        return cycle

    def day_between(self, lo: date, hi: date) -> date | None:
        """A day from lo up to the day before hi, if there is one."""
        if (hi - lo).days < 1:
            return None
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days - 1))

    def book(self, cycle: Cycle) -> None:
        venue = self.b.pick(VENUES)
        place = self.store.value(
            "SELECT placement FROM episodes WHERE period_id = ? ORDER BY start_date DESC, id DESC",
            [self.period_id],
        )
        if place in ("K2", "R1", "H5", "K3") and self.rng.random() < 0.5:
            venue = {"K2": "Children's home", "R1": "Children's home"}.get(
                place, "Supported lodgings"
            )
        if place in ("R5", "K1"):
            venue = "Online (Teams)"
        time = self.rng.choice(("13:30", "15:30") if venue == "School" else TIMES)
        out = records.schedule_review(
            self.store,
            self.child_id,
            on=cycle.meeting,
            today=cycle.book_on,
            time=time,
            venue=venue,
        )
        cycle.review_id = out.obj["id"]
        self.pending = cycle
        self.t = max(self.t, cycle.book_on)

    def step_waits(self, step: Step) -> bool:
        """Whether a step lies on or after today (or is left for the admins to record)."""
        if step.day > self.today:
            return True
        if step.action in ("hold", "adjourn") and step.day >= self.today:
            return True
        if step.action == "hold" and self.plan.end is None:
            if self.pending.stall == "unrecorded":
                return True
            if (self.today - step.day).days <= 2 and self.rng.random() < 0.35:
                return True
        return False

    def do_step(self, step: Step) -> None:
        s, review = self.store, self.review()
        if step.action == "reschedule":
            deadline = date.fromisoformat(review["deadline"])
            reason = step.reason
            if step.to > deadline and not reason:
                reason = self.pending.late_reason
            records.reschedule_review(s, review["id"], on=step.to, today=step.day, reason=reason)
            self.pending.meeting = step.to
        elif step.action == "adjourn":
            self.prepare(step.day)
            records.adjourn_review(s, review["id"], to=step.to, today=step.day, reason=step.reason)
        elif step.action == "cancel":
            records.cancel_review(s, review["id"], today=step.day, reason=step.reason)
            self.pending = None
        else:
            self.prepare(step.day)
            self.hold(review, step.day)
            self.record_after(review["id"])
        if self.pending is not None:
            self.pending.steps.pop(0)
            if not self.pending.steps:
                self.pending = None
        self.t = max(self.t, step.day)

    def hold(self, review: dict, day: date) -> None:
        adjourned = review["status"] == "adjourned"
        recording = date.fromisoformat(
            review["original_date"] if adjourned else review["booked_date"]
        )
        deadline = date.fromisoformat(review["deadline"])
        late_reason = self.pending.late_reason if recording > deadline else None
        no_meeting = False
        if not adjourned and self.rng.random() < 0.6:
            info = self.store.period_input(self.period_id)
            why = rules.check_no_meeting(info.episodes, info.reviews, recording, self.cal)
            no_meeting = why is None
        pn = self.participation(recording, no_meeting)
        records.hold_review(
            self.store,
            review["id"],
            on=day if adjourned else None,
            today=day,
            participation=pn,
            late_reason=late_reason,
            no_meeting=no_meeting,
        )

    def open_steps(self, review_id: int) -> list[tuple[str, date]]:
        return [
            (r["step"], date.fromisoformat(r["due"]))
            for r in self.store.rows(
                "SELECT step, due FROM review_steps WHERE review_id = ? AND status = 'open' "
                "ORDER BY due, id",
                [review_id],
            )
        ]

    def prepare(self, upto: date) -> None:
        """Tick off the preparation steps (R-PRE-1..4) done by ``upto``; a few are missed."""
        cycle, b, rng = self.pending, self.b, self.rng
        for name, due in self.open_steps(cycle.review_id):
            if name in _POST_STEPS:
                continue
            if name != "iro-visit" and rng.random() < 0.02:
                continue
            if rng.random() < 0.06:
                done = due + b.days(1, 4)
            else:
                done = due - b.days(0, 10 if name == "iro-visit" else 4)
            if done < cycle.book_on:
                done = cycle.book_on + b.days(0, 2)
            done = min(done, cycle.meeting)
            if done <= upto:
                records.complete_step(self.store, cycle.review_id, name, on=done, today=upto)

    def record_after(self, review_id: int) -> None:
        """Tick off the recording steps (R-POST-*) done by today, a few of them late."""
        b, rng = self.b, self.rng
        recording = date.fromisoformat(records.get_review(self.store, review_id)["recording_date"])
        for name, due in self.open_steps(review_id):
            late = rng.random() < _POST_LATE.get(name, 0.08)
            if late:
                done = due + b.days(1, 8)
            else:
                done = max(recording, due - b.days(0, 5 if name == "decisions" else 9))
            if done > self.today:
                continue
            records.complete_step(self.store, review_id, name, on=done, today=done)
            if name == "decisions":
                self.manager_response(review_id, done)

    def manager_response(self, review_id: int, circulated: date) -> None:
        """R-POST-3: most managers agree in time; silence means deemed agreed."""
        r = self.rng.random()
        if r < 0.35:
            return
        done = circulated + self.b.days(1, 6)
        if done > self.today:
            return
        disagree = None
        if r > 0.97:
            disagree = self.rng.choice(_DISAGREEMENTS)
        records.complete_step(
            self.store, review_id, "manager-response", on=done, today=done, disagree=disagree
        )

    def participation(self, day: date, no_meeting: bool) -> str:
        age = age_on(self.child.dob, day)
        if age < 4:
            return "PN0"
        if no_meeting:
            return self.b.pick(PARTICIPATION_NO_MEETING)
        if self.child.profile == "disabled":
            return self.b.pick(PARTICIPATION_DISABLED)
        if age < 8:
            return self.b.pick(PARTICIPATION_YOUNG)
        return self.b.pick(PARTICIPATION)

    def fit_pending(self, day: date) -> None:
        """After a change of deadline, move a booked review into the new window."""
        if self.pending is None or self.frozen:
            return
        review = self.review()
        if review["status"] != "booked":
            return
        booked = date.fromisoformat(review["booked_date"])
        deadline = date.fromisoformat(review["deadline"])
        earliest = date.fromisoformat(review["earliest"]) if review["earliest"] else None
        if booked <= deadline and (earliest is None or booked >= earliest):
            return
        lo = day + timedelta(days=1)
        if earliest and earliest > lo:
            lo = earliest
        to = self.meeting_in(lo, deadline)
        if to >= self.adult:
            to = self.b.working_on_or_before(self.adult - timedelta(days=1), lo) or to
        if to == booked:
            return
        reason = None
        if to > deadline:
            reason = self.pending.late_reason
        records.reschedule_review(
            self.store, review["id"], on=to, today=day, reason=reason or "Deadline brought forward"
        )
        self.pending.steps = [Step(to, "hold")]
        self.pending.meeting = to


STREETS = [
    "Church Road",
    "Station Road",
    "Park Avenue",
    "Victoria Street",
    "Mill Lane",
    "Queens Road",
    "Orchard Close",
    "Windsor Drive",
    "Meadow Way",
    "High Street",
]
TOWNS = ["Northfield", "Ashby", "Kingsmead", "Eastwick", "Hollins Green", "Westbury"]
DECISIONS = [
    ("Social worker to arrange a health assessment", "Social worker", None),
    ("Carer to register the child with a dentist", "Carer", None),
    ("Personal education plan to be reviewed with the designated teacher", "Virtual school", None),
    ("Life story work to begin", "Social worker", None),
    ("Contact plan with birth family to be reviewed", "Team manager", "care-plan"),
    ("Referral to CAMHS to be made", "Social worker", "resources"),
    ("Funding for tutoring to be agreed", "Service manager", "resources"),
    ("Permanence planning meeting to be held", "Team manager", "care-plan"),
    ("Statutory visits to be brought up to date", "Team manager", "practice"),
    ("Independent visitor to be offered", "Social worker", None),
]
EVENTS_DECIDED = [
    "missing",
    "exclusion",
    "social-worker-change",
    "contact-change",
    "health",
    "placement-instability",
    "complaint",
    "family-event",
]
EVENTS_REVIEW_FIRST = ["key-stage-4-move", "settled-carer-move", "supported-accommodation"]
DISPUTE_ISSUES = [
    "Care plan not updated after the last review",
    "Starred decision on tutoring funding not carried out",
    "Delay in permanence planning",
    "Statutory visits overdue",
]


class _Casework:
    """Contacts for every child, and decisions, events and disputes in every state.

    Everything goes through the domain operations, each on the day it would happen.
    """

    def __init__(self, store: Store, rng: random.Random, today: date):
        self.store, self.rng, self.today = store, rng, today

    def address(self) -> str:
        rng = self.rng
        return f"{rng.randint(1, 140)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"

    def run(self) -> None:
        from . import contacts, decisions

        store, rng, today = self.store, self.rng, self.today
        for child in store.rows(
            "SELECT c.id, c.last_name, c.dob, p.start_date FROM children c "
            "JOIN periods p ON p.child_id = c.id AND p.end_date IS NULL ORDER BY c.id"
        ):
            start = date.fromisoformat(child["start_date"])
            carer = f"{rng.choice(GIRLS + BOYS)} {rng.choice(SURNAMES)}"
            contacts.add_contact(
                store, child["id"], carer, role="carer", today=start, address=self.address()
            )
            contacts.add_contact(
                store,
                child["id"],
                f"{rng.choice(GIRLS)} {child['last_name']}",
                role="parent",
                today=start,
                address=self.address(),
                no_full_record=rng.random() < 0.2,
            )
            if rng.random() < 0.6:
                contacts.add_contact(
                    store,
                    child["id"],
                    f"{rng.choice(BOYS)} {child['last_name']}",
                    role="parent",
                    today=start,
                    address=self.address(),
                )
            contacts.add_contact(
                store,
                child["id"],
                f"{rng.choice(GIRLS + BOYS)} {rng.choice(SURNAMES)}",
                role="supervising-social-worker",
                today=start,
                email="fostering@example.gov.uk",
            )
            if age_on(date.fromisoformat(child["dob"]), today) >= 5:
                contacts.add_contact(
                    store,
                    child["id"],
                    f"{rng.choice(GIRLS + BOYS)} {rng.choice(SURNAMES)}",
                    role="designated-teacher",
                    today=start,
                    email="senco@school.example.org",
                )

        # Decisions of recent reviews: open, done (on time and late), overdue, edited,
        # cancelled, starred (forwarded or not).
        held = store.rows(
            "SELECT id, child_id, recording_date FROM reviews WHERE status = 'held' "
            "AND recording_date >= ? ORDER BY id",
            [(today - timedelta(days=240)).isoformat()],
        )
        for review in held:
            recorded = date.fromisoformat(review["recording_date"])
            for _ in range(rng.choice([0, 1, 2, 2, 3])):
                text, owner, category = rng.choice(DECISIONS)
                starred = category is not None and rng.random() < 0.5
                due = recorded + timedelta(days=rng.choice([14, 28, 42, 56, 90]))
                made = decisions.add_decision(
                    store,
                    review["id"],
                    text,
                    owner=owner,
                    due=due.isoformat(),
                    today=recorded,
                    star_category=category if starred else None,
                )
                did = made.obj["id"]
                # Starred decisions are forwarded, a few late; only recent ones wait.
                recent = recorded > today - timedelta(days=10)
                if starred and (not recent or rng.random() < 0.6):
                    on = recorded + timedelta(days=rng.choice([1, 2, 3, 3, 5]))
                    if on <= today:
                        decisions.forward_decision(store, did, on=on.isoformat(), today=on)
                fate = rng.random()
                finished = due + timedelta(days=rng.randint(-10, 12))
                long_past = due < today - timedelta(days=21)
                if fate > 0.97:
                    decisions.cancel_decision(
                        store,
                        did,
                        reason="no longer needed after a change of placement",
                        today=recorded,
                    )
                elif (
                    due <= today
                    and fate < (0.95 if long_past else 0.8)
                    or fate < 0.3
                    and finished <= today
                ):
                    finished = min(max(finished, recorded), today)
                    decisions.complete_decision(store, did, on=finished.isoformat(), today=finished)
                elif fate < 0.96 and due <= today:
                    moved = due + timedelta(days=28)
                    decisions.edit_decision(
                        store,
                        did,
                        due=moved.isoformat(),
                        reason="waiting for a panel date",
                        today=due,
                    )
        self.events()
        self.disputes()

    def in_care_since(self, day: date) -> list[str]:
        """Children in care now whose period began on or before ``day``."""
        return [
            r["child_id"]
            for r in self.store.rows(
                "SELECT child_id FROM periods WHERE end_date IS NULL AND start_date <= ? "
                "ORDER BY child_id",
                [day.isoformat()],
            )
        ]

    def events(self) -> None:
        from . import events

        store, rng, today = self.store, self.rng, self.today
        children = self.in_care_since(today - timedelta(days=60))
        for child_id in rng.sample(children, k=min(len(children), max(1, len(children) // 8))):
            kind = rng.choice(EVENTS_DECIDED)
            on = today - timedelta(days=rng.randint(0, 40))
            made = events.add_event(
                store,
                child_id,
                kind,
                on=on.isoformat(),
                today=on,
                note="reported by the social worker",
            )
            if on < today - timedelta(days=7) or rng.random() < 0.3:
                decided = on + timedelta(days=rng.randint(1, 6))
                decided = min(decided, today)
                if rng.random() < 0.25:
                    by = decided + timedelta(days=rng.randint(15, 30))
                    try:
                        events.decide_event(
                            store,
                            made.obj["id"],
                            review=True,
                            by=by.isoformat(),
                            reason="needs a review before the care plan changes",
                            today=decided,
                        )
                    except ReviewError:
                        events.decide_event(
                            store,
                            made.obj["id"],
                            review=False,
                            reason="to be considered at the next review",
                            today=decided,
                        )
                    else:
                        self.bring_forward(child_id, by, decided)
                else:
                    events.decide_event(
                        store,
                        made.obj["id"],
                        review=False,
                        reason="no change to the care plan needed",
                        today=decided,
                    )
        for child_id in rng.sample(children, k=min(len(children), max(1, len(children) // 40))):
            planned = today + timedelta(days=rng.randint(-5, 45))
            events.add_event(
                store,
                child_id,
                rng.choice(EVENTS_REVIEW_FIRST),
                on=planned.isoformat(),
                today=min(today, planned),
                note="planned change reported by the social worker",
            )

    def bring_forward(self, child_id: str, by: date, decided: date) -> None:
        """The admin moves a review booked after a directed date to before it (R-SCH-4)."""
        store = self.store
        pending = store.row(
            "SELECT r.id, r.booked_date, p.start_date, (SELECT MAX(h.recording_date) FROM reviews h"
            " WHERE h.period_id = p.id AND h.status = 'held') AS last_held"
            " FROM reviews r JOIN periods p ON p.id = r.period_id"
            " WHERE r.child_id = ? AND p.end_date IS NULL AND r.status = 'booked'",
            [child_id],
        )
        if pending is None or pending["booked_date"] <= by.isoformat():
            return
        day = by - timedelta(days=self.rng.randint(1, 5))
        while not store.calendar.is_working_day(day):
            day -= timedelta(days=1)
        # Not before the start of care, nor on or before the last review held: a direction
        # made days after a review leaves no such day, and the booking then stays.
        floor = max(pending["start_date"], pending["last_held"] or "")
        if day > decided and day.isoformat() > floor:
            records.reschedule_review(
                store,
                pending["id"],
                on=day.isoformat(),
                today=decided,
                reason="brought forward: the IRO directed an earlier review",
            )

    def disputes(self) -> None:
        from . import disputes

        store, rng, today = self.store, self.rng, self.today
        children = self.in_care_since(today - timedelta(days=120))
        for n, child_id in enumerate(
            rng.sample(children, k=min(len(children), max(2, len(children) // 30)))
        ):
            opened = today - timedelta(days=rng.randint(2, 70))
            ran_its_course = n % 8 == 1  # one dispute in eight is resolved, whatever the draw
            if ran_its_course:
                opened = min(opened, today - timedelta(days=20))
            d = disputes.open_dispute(
                store,
                child_id,
                issue=rng.choice(DISPUTE_ISSUES),
                today=opened,
                on=opened.isoformat(),
                stage=1 if rng.random() < 0.8 else 3,
            )
            did, stage, day = d.obj["id"], d.obj["stage"], opened
            for _ in range(n % 4):  # 0 to 3 further steps: every state appears
                day = day + timedelta(days=rng.randint(3, 9))
                if day > today:
                    break
                if rng.random() < 0.5 or ran_its_course:
                    disputes.respond(
                        store,
                        did,
                        note="manager's response received",
                        today=day,
                        on=day.isoformat(),
                    )
                    if rng.random() < 0.6 or ran_its_course:
                        disputes.resolve(
                            store, did, outcome="agreed action plan", today=day, on=day.isoformat()
                        )
                        break
                    stage += 1
                    disputes.escalate(
                        store,
                        did,
                        stage=stage,
                        today=day,
                        on=day.isoformat(),
                        note="response did not resolve the concern",
                    )
                else:
                    stage += 1
                    disputes.escalate(
                        store,
                        did,
                        stage=stage,
                        today=day,
                        on=day.isoformat(),
                        note="no response within the timescale",
                    )
                if stage >= 5:
                    disputes.refer_cafcass(
                        store, did, today=day, on=day.isoformat(), note="referred for advice"
                    )
                    break


def annual_facts(store: Store, today: date) -> None:
    """What the annual report counts and the simulation does not record, spread over the
    demo's records by their ids (the same on every run, and quick at national scale):
    parents' participation at held reviews, the IRO's contacts between reviews, dispute
    themes and results, reasons for changes of IRO, and placements out of the area."""
    conn = store.conn

    def pick(expr: str, shares: list[tuple[int, object]]) -> str:
        """A CASE choosing by ``expr`` % 100 among values with the given shares (per cent)."""
        parts, upto = [], 0
        for share, value in shares:
            upto += share
            literal = "NULL" if value is None else repr(value)
            parts.append(f"WHEN ({expr}) % 100 < {upto} THEN {literal}")
        return "CASE " + " ".join(parts) + " END"

    conn.execute(
        "UPDATE reviews SET parent_participation = "
        + pick(
            "id * 7919",
            [
                (44, "attended"),
                (24, "contributed"),
                (15, "declined"),
                (7, "not-invited"),
                (7, "not-applicable"),
                (3, None),
            ],
        )  # fmt: skip
        + " WHERE status = 'held' AND parent_participation IS NULL"
    )
    themes = ["care-planning", "permanence", "placement", "contact", "education", "health",
              "social-worker", "resources"]  # fmt: skip
    conn.execute(
        "UPDATE disputes SET theme = "
        + pick(
            "id * 37",
            [(100 // len(themes) + (i < 100 % len(themes)), th) for i, th in enumerate(themes)],
        )
        + " WHERE theme IS NULL"
    )
    conn.execute(
        "UPDATE disputes SET result = "
        + pick(
            "id * 53",
            [(60, "resolved"), (25, "partly-resolved"), (10, "not-resolved"), (5, "withdrawn")],
        )  # fmt: skip
        + " WHERE status = 'resolved' AND result IS NULL"
    )
    conn.execute(
        "UPDATE allocations SET reason = "
        + pick(
            "id * 61",
            [
                (35, "iro-left"),
                (25, "caseload"),
                (15, "team-change"),
                (10, "siblings"),
                (5, "child-request"),
                (10, None),
            ],
        )  # fmt: skip
        + " WHERE reason IS NULL AND EXISTS (SELECT 1 FROM allocations b "
        "WHERE b.child_id = allocations.child_id AND b.id != allocations.id "
        "AND b.end_date = allocations.start_date)"
    )
    conn.execute(
        "UPDATE episodes SET out_of_area = "
        + pick("id * 17", [(72, 0), (20, 1), (8, None)])
        + " WHERE out_of_area IS NULL"
    )
    # A contact between reviews about six weeks before three in four later reviews, and one
    # about six weeks after a recent review still to be followed.
    conn.execute(
        "INSERT INTO iro_contacts (child_id, period_id, iro_id, kind, on_date, note, created_at) "
        "SELECT r.child_id, r.period_id, a.iro_id, "
        + pick("r.id * 13", [(50, "visit"), (30, "call"), (20, "midway-review")])
        + ", date(r.recording_date, '-42 days'), NULL, ? "
        "FROM reviews r JOIN periods p ON p.id = r.period_id "
        "JOIN allocations a ON a.child_id = r.child_id "
        "AND a.start_date <= date(r.recording_date, '-42 days') "
        "AND (a.end_date IS NULL OR a.end_date > date(r.recording_date, '-42 days')) "
        "WHERE r.status = 'held' AND r.number >= 2 AND (r.id * 7) % 4 != 0 "
        "AND date(r.recording_date, '-42 days') > p.start_date "
        "AND NOT EXISTS (SELECT 1 FROM iro_contacts c WHERE c.child_id = r.child_id "
        "AND c.on_date = date(r.recording_date, '-42 days'))",
        [today.isoformat()],
    )
