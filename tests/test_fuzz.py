"""Hostile input (issue 6): odd text, dates, codes, ids and files through the CLI.

Whatever arrives, ``reviewcli`` exits 0, 1 or 2 and never prints a traceback nor the
generic "unexpected …" line of cli/common.py; a refused command changes nothing; an
accepted one stores the text as given (trimmed of surrounding white space); every read
command still works afterwards and ``check`` finds no problems.

Each property runs a bounded number of examples (in-process, through conftest's CliRunner)
so the whole module stays within a few seconds per test. NUL and lone surrogates cannot
reach a real command line, so they are left out of arguments (NUL is tried in files).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Cli, snapshot_db
from reviewcli import policy

SETTINGS = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE = [
    "'; DROP TABLE children; --",
    'Robert"); DROP TABLE children;--',
    "1 OR 1=1",
    "O'Brien",
    '"quoted"',
    "back\\slash",
    "%_%",
    "\u202eevil\u202c txt.exe",  # right-to-left override
    "a\u200db\u200cc",  # zero-width joiner / non-joiner
    "\u200b",
    "\ufeffBOM",
    "👩\u200d👧\u200d👦",
    "🏳️\u200d🌈",
    "Zoë Ñúñez-Öztürk",
    "李小龙",
    "مرحبا بالعالم",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% for x in y %}",
    "${jndi:ldap://x/a}",
    "[bold red]markup[/]",
    "\x1b[31mred\x1b[0m",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "bell\x07",
    "del\x7f",
    "\x85next line",
    "\u2028separator",
    "   ",
    "",
    "  padded  ",
    "x" * 10_000,
    "é" * 101,
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-1",
    "NULL",
    "None",
    "null",
    "0",
    "nan",
    "1e309",
    "../../etc/passwd",
    "C:\\Windows\\System32",
    "--help",
    "-x",
]

ARGV_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
# The bidirectional overrides and isolates, refused on entry ("Trojan Source").
BIDI_CONTROLS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# Text a person could type: no control characters (tab and new line are allowed by the tool).
TYPED_CHARS = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters=BIDI_CONTROLS)
ID_CHARS = st.characters(
    exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters=BIDI_CONTROLS
)

AWKWARD_BUT_VALID = [
    "O'Brien",
    "'; DROP TABLE children; --",
    '"><img src=x onerror=alert(1)>',
    "<script>alert(1)</script>",
    "Zoë Ñúñez-Öztürk",
    "李小龙",
    "مرحبا",
    "a\u200db",
    "👩\u200d👧\u200d👦",
    "{{ 7*7 }}",
    "[bold]x[/]",
    '=HYPERLINK("http://x")',
    "x" * 100,
    "tab\tinside",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(ARGV_CHARS, max_size=30),
    st.builds(
        lambda a, b, c: a + b + c,
        st.text(ARGV_CHARS, max_size=5),
        st.sampled_from(HOSTILE),
        st.text(ARGV_CHARS, max_size=5),
    ),
)
typed_text = st.one_of(
    st.sampled_from(AWKWARD_BUT_VALID),
    st.text(TYPED_CHARS, min_size=1, max_size=40).filter(lambda t: t.strip()),
)


typed_optional = st.one_of(st.none(), typed_text)
typed_id = st.text(ID_CHARS, min_size=1, max_size=16)


class Fields:
    """Draws every field of one command from its ordinary strategy, except one field (or
    none), chosen at random, drawn from the hostile strategy: each example both gets deep
    into the command and pushes on one input."""

    def __init__(self, data, names: list[str]):
        self.data = data
        self.hostile = data.draw(st.sampled_from([None, *names]), label="hostile field")

    def __call__(self, name: str, good, bad=None):
        strategy = (hostile_text if bad is None else bad) if name == self.hostile else good
        return self.data.draw(strategy, label=name)


BAD_DATES = [
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-1-1",
    "20260701",
    "2026-W27-3",
    "2026-07-01T10:00",
    " 2026-07-01 ",
    "01/07/2026",
    "yesterday",
    "",
    "-1",
    "2026-07-01\n",
    "２０２６-０７-０１",
    "1900-02-29",
    "2024-02-29",
]
bad_date = st.one_of(
    st.sampled_from(BAD_DATES),
    st.dates().map(lambda d: d.isoformat()),
    hostile_text,
)
near_date = st.dates(min_value=date(2026, 5, 1), max_value=date(2026, 12, 31)).map(
    lambda d: d.isoformat()
)
# After the review held on 18 June 2026 in the tests that hold one.
later_date = st.dates(min_value=date(2026, 6, 19), max_value=date(2026, 12, 31)).map(
    lambda d: d.isoformat()
)
CODES = ["C2", "U6", "U4", "PN0", "PN1", "PN7", "E8", "E4A", "X1", "S", "c2", "V2", "ZZ", "P"]
any_code = st.one_of(st.sampled_from(CODES), hostile_text)
optional_hostile = st.one_of(st.none(), hostile_text)


# --- checking one command ----------------------------------------------------------------------


def attempt(run: Cli, *args: str, strict: bool = True, **kw):
    """Run a command: exit 0/1/2, no traceback, and a refusal changes nothing."""
    before = snapshot_db(run.db)
    result = run(*args, **kw)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert not any(line.startswith("Error: unexpected ") for line in errors), errors
    if result.exit_code != 0:
        assert snapshot_db(run.db) == before, f"refused {args[:3]} changed the database"
        assert errors or "Usage" in result.stderr, result.stderr
    if result.exit_code == 1 and strict:
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stdout == ""
    return result


def loaded(result) -> dict | list:
    return json.loads(result.stdout)


def reads_still_work(run: Cli, child: str = "C001") -> None:
    """Data that was accepted must not poison the read side."""
    for args in (
        ("child", "list", "--format", "json"),
        ("child", "list", "--format", "csv"),
        ("child", "list"),
        ("due", "--format", "json"),
        ("due", "--format", "csv"),
        ("due", "--format", "html"),
        ("due",),
        ("actions", "--status", "all", "--format", "json"),
        ("review", "list", "--format", "json"),
        ("audit", "--limit", "50", "--format", "json"),
        ("iro", "list", "--format", "json"),
        ("policy", "show", "--format", "json"),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output, repr(result.exception))
    result = run("child", "show", "--format", "json", "--", child)
    assert result.exit_code == 0, result.output


def show_child(run: Cli, child_id: str) -> dict:
    return json.loads(run.ok("child", "show", "--format", "json", "--", child_id).stdout)


def assert_check_passes(run: Cli) -> None:
    result = run("check", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def stored(value: str | None) -> str | None:
    """What a text field holds after it is accepted: trimmed, empty meaning none."""
    if value is None:
        return None
    return value.strip() or None


# --- children and IROs -----------------------------------------------------------------------


def test_child_add_stores_hostile_text_faithfully_or_refuses(world: Cli):
    counter = iter(range(10_000))
    names = ["id", "first", "last", "team", "worker", "gender", "group", "dob"]

    @settings(max_examples=60, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, names)
        cid = f("id", typed_id)
        if f.hostile != "id":
            cid = f"{cid}-{next(counter)}"  # a new child, not a duplicate
        first, last = f("first", typed_text), f("last", typed_text)
        optional = {
            "--team": f("team", typed_optional, optional_hostile),
            "--social-worker": f("worker", typed_optional, optional_hostile),
            "--gender": f("gender", typed_optional, optional_hostile),
            "--sibling-group": f("group", typed_optional, optional_hostile),
        }
        dob = f("dob", st.dates(date(2002, 1, 1), date(2026, 7, 1)).map(str), bad_date)
        args = ["child", "add", "--first-name", first, "--last-name", last, "--dob", dob]
        for option, value in optional.items():
            if value is not None:
                args += [option, value]
        result = attempt(world, *args, "--format", "json", "--", cid)
        if result.exit_code != 0:
            return
        made = loaded(result)
        assert made["id"] == cid.strip()
        shown = show_child(world, made["id"])
        assert shown["id"] == cid.strip()
        assert shown["first_name"] == first.strip()
        assert shown["last_name"] == last.strip()
        assert shown["dob"] == made["dob"]
        assert shown["looked_after"] is False
        row = sqlite3.connect(world.db).execute(
            "SELECT team, social_worker, gender, sibling_group FROM children WHERE id = ?",
            [made["id"]],
        )
        assert row.fetchone() == tuple(stored(v) for v in optional.values())

    prop()
    reads_still_work(world)
    assert_check_passes(world)


@pytest.mark.parametrize("name", AWKWARD_BUT_VALID)
def test_awkward_but_real_names_are_accepted_and_kept_exactly(world: Cli, name):
    world.ok("child", "add", "N1", "--first-name", name, "--last-name", name, "--dob", "2014-05-06")
    shown = world.json("child", "show", "N1")
    assert (shown["first_name"], shown["last_name"]) == (name, name)
    listed = {c["id"]: c for c in world.json("child", "list")}
    assert listed["N1"]["first_name"] == name
    assert_check_passes(world)


@pytest.mark.parametrize(
    "value, phrase",
    [
        ("bell\x07", "control characters"),
        ("\x1b[31mred", "control characters"),
        ("x" * 10_000, "too long"),
        ("   ", "must not be empty"),
    ],
)
def test_unstorable_names_are_refused_clearly(world: Cli, value, phrase):
    message = world.refused(
        "child", "add", "N1", "--first-name", value, "--last-name", "B", "--dob", "2014-05-06"
    )
    assert phrase in message


def test_iro_add_with_hostile_fields(initialised: Cli):
    counter = iter(range(10_000))
    names = ["id", "name", "email", "phone", "team", "fte"]

    @settings(max_examples=50, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, names)
        iro_id = f("id", typed_id)
        if f.hostile != "id":
            iro_id = f"{iro_id}-{next(counter)}"
        name = f("name", typed_text)
        optional = {
            "--email": f("email", typed_optional, optional_hostile),
            "--phone": f("phone", typed_optional, optional_hostile),
            "--team": f("team", typed_optional, optional_hostile),
        }
        fte = f(
            "fte",
            st.sampled_from([None, "1", "0.5", "1.5", " 0.8 "]),
            st.one_of(
                st.sampled_from(["0", "-1", "nan", "inf", "1e308", "0x1", "½", "1,5"]),
                hostile_text,
            ),
        )
        args = ["iro", "add", "--id", iro_id]
        for option, value in optional.items():
            if value is not None:
                args += [option, value]
        if fte is not None:
            args += ["--fte", fte]
        result = attempt(initialised, *args, "--format", "json", "--", name)
        if result.exit_code != 0:
            return
        made = loaded(result)
        listed = {r["id"]: r for r in initialised.json("iro", "list")}
        iro = listed[iro_id.strip()]
        assert iro["name"] == name.strip()
        assert (iro["email"], iro["phone"], iro["team"]) == tuple(
            stored(v) for v in optional.values()
        )
        assert 0 < iro["fte"] <= 1.5 and iro["fte"] == made["fte"]

    prop()
    reads_still_work_without_children(initialised)
    assert_check_passes(initialised)


def reads_still_work_without_children(run: Cli) -> None:
    for args in (("iro", "list"), ("iro", "list", "--format", "csv"), ("due", "--format", "json")):
        assert run(*args).exit_code == 0, args


# --- reviews and decisions --------------------------------------------------------------------


def _held(world: Cli) -> None:
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")


def _review(run: Cli, review_id: int) -> dict:
    conn = sqlite3.connect(run.db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM reviews WHERE id = ?", [review_id]).fetchone())
    finally:
        conn.close()


def test_review_texts_are_stored_faithfully_or_refused(world: Cli):
    _held(world)
    names = ["on", "time", "venue", "adjourn_to", "adjourn_reason", "cancel_reason"]

    @settings(max_examples=35, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, names)
        on = f("on", later_date, bad_date)
        time = f(
            "time",
            st.sampled_from([None, "10:00", "09:30", "23:59", " 14:00 "]),
            st.one_of(st.sampled_from(["9:00", "24:00", "12:60", "noon", "10.30"]), hostile_text),
        )
        venue = f("venue", typed_optional, optional_hostile)
        args = ["review", "schedule", "C001", "--date", on]
        if time is not None:
            args += ["--time", time]
        if venue is not None:
            args += ["--venue", venue]
        result = attempt(world, *args, "--format", "json")
        if result.exit_code != 0:
            return
        rid = loaded(result)["id"]
        review = _review(world, rid)
        assert review["venue"] == stored(venue)
        assert review["booked_date"] == on.strip()
        assert review["status"] == "booked"
        to = f("adjourn_to", st.one_of(st.none(), later_date), bad_date)
        if to is not None:
            reason = f("adjourn_reason", typed_text)
            adjourned = attempt(
                world, "review", "adjourn", str(rid), "--to", to, "--reason", reason
            )
            if adjourned.exit_code == 0:
                assert _review(world, rid)["adjourn_reason"] == reason.strip()
        reason = f("cancel_reason", typed_text)
        cancelled = attempt(world, "review", "cancel", str(rid), "--reason", reason)
        if cancelled.exit_code == 0:
            assert _review(world, rid)["cancel_reason"] == reason.strip()
        else:
            world.ok("review", "cancel", str(rid), "--reason", "plain reason")

    prop()
    reads_still_work(world)
    assert_check_passes(world)


def test_reschedule_and_late_hold_reasons(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")

    @settings(max_examples=30, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, ["on", "reason"])
        on = f("on", near_date, bad_date)
        reason = f("reason", typed_optional, optional_hostile)
        args = ["review", "reschedule", "1", "--date", on]
        if reason is not None:
            args += ["--reason", reason]
        result = attempt(world, *args, today="2026-06-01")
        if result.exit_code == 0:
            review = _review(world, 1)
            assert review["booked_date"] == on.strip()
            if reason is not None and reason.strip():
                assert review["reschedule_reason"] == reason.strip()

    prop()
    booked = _review(world, 1)["booked_date"]

    @settings(max_examples=20, **SETTINGS)
    @given(data=st.data())
    def hold(data):
        f = Fields(data, ["reason", "pn"])
        reason = f("reason", typed_text)
        pn = f("pn", st.sampled_from(["PN1", "pn2", " PN7 ", "PN0"]), any_code)
        result = attempt(
            world,
            "review", "hold", "1", "--date", booked, "--participation", pn,
            "--late-reason", reason, today="2026-12-31",
        )  # fmt: skip
        if result.exit_code == 0:
            review = _review(world, 1)
            assert review["participation"] == pn.strip().upper()
            assert review["late_reason"] in (None, reason.strip() or None)

    hold()
    reads_still_work(world)
    assert_check_passes(world)


def test_decision_texts_are_stored_faithfully_or_refused(world: Cli):
    _held(world)
    names = ["review_id", "text", "owner", "due", "category"]

    @settings(max_examples=50, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, names)
        review_id = f(
            "review_id",
            st.just("1"),
            st.one_of(st.sampled_from(["0", "2", "-1", "1.0", "١"]), hostile_text),
        )
        text, owner = f("text", typed_text), f("owner", typed_text)
        due = f("due", later_date, bad_date)
        category = f(
            "category",
            st.sampled_from([None, "care-plan", "Resources", " practice "]),
            hostile_text,
        )
        starred = data.draw(st.booleans(), label="starred")
        args = ["decision", "add", "--owner", owner, "--due", due]
        if starred:
            args.append("--starred")
        if category is not None:
            args += ["--star-category", category]
        result = attempt(world, *args, "--format", "json", "--", review_id, text)
        if result.exit_code != 0:
            return
        did = loaded(result)["id"]
        shown = loaded(world.ok("decision", "show", str(did), "--format", "json"))
        assert shown["text"] == text.strip()
        assert shown["owner"] == owner.strip()
        assert shown["due"] == due.strip()
        assert shown["starred"] == (starred or category is not None)
        done = attempt(world, "decision", "done", str(did), "--date", due)
        assert done.exit_code in (0, 1)

    prop()
    reads_still_work(world)
    assert_check_passes(world)


# --- policy ----------------------------------------------------------------------------------

LEGAL_VALUES = {
    "month-mode": ["months", "days", "DAYS "],
    "closure-days": ["2026-12-29,2026-12-30", "", "2026-08-03; 2026-08-04"],
    "local-placement-rule": ["on", "off", "yes", "0"],
    "local-placement-reasons": ["unplanned,secure", ""],
    "long-term-reviews": ["annual", "six-monthly"],
    "action-reminder-days": ["0", "365", "14"],
    "dispute-stages": ["A, B, C"],
    "dispute-response-days": ["5,10", ""],
    "social-worker-conversation": ["on", "15", "20"],
    "quality-monitoring-form": ["true", "false"],
    "event-decision-days": ["5", "0"],
    "dispute-total-days": ["20", "365"],
    "consultation-return-days": ["3", "10"],
    "pseudonym-key": ["0123456789abcdefXYZ", ""],
}
# Not drawn: paths to files, and the two settings that change who may write (tested in
# test_safe_edges.py).
SAFE_KEYS = [
    k
    for k in policy.SETTINGS
    if k not in ("template-dir", "authority-logo", "group", "require-person")
]


def test_policy_set_with_hostile_keys_and_values(world: Cli):
    _held(world)

    @settings(max_examples=60, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, ["key", "value"])
        key = f("key", st.sampled_from(SAFE_KEYS))
        legal = LEGAL_VALUES.get(key)
        value = f("value", st.sampled_from(legal) if legal else typed_text)
        result = attempt(world, "policy", "set", "--format", "json", "--", key, value)
        if result.exit_code != 0:
            return
        expected = json.loads(json.dumps(policy.parse_setting(key, value)))
        if key in policy.SECRETS:  # never printed, only whether it is set
            expected = "(set)" if expected else "(not set)"
        assert loaded(result)["value"] == expected
        shown = {r["key"]: r["value"] for r in world.json("policy", "show")}
        assert shown[key] == expected
        for args in (("due", "--format", "json"), ("child", "show", "C001", "--format", "json")):
            assert world(*args).exit_code == 0, (key, value, args)

    prop()
    reads_still_work(world)
    assert_check_passes(world)


def test_policy_paths_that_are_not_there_are_refused(world: Cli):
    for key in ("template-dir", "authority-logo"):
        for value in ("/no/such/place", "x" * 5000, "../../etc/passwd", "a.exe"):
            result = attempt(world, "policy", "set", key, value)
            assert result.exit_code == 1, (key, value[:20], result.stderr)
    assert_check_passes(world)


# --- dates, codes and ids --------------------------------------------------------------------


COMMANDS = [
    lambda d, c, t: ("episode", "start", "C001", "--date", d, "--legal-status", c),
    lambda d, c, t: ("episode", "change", "C001", "--date", d, "--placement", c),
    lambda d, c, t: ("episode", "change", "C001", "--date", d, "--legal-status", c, "--rne", c),
    lambda d, c, t: ("episode", "change", "C001", "--date", d, "--local-reason", t),
    lambda d, c, t: ("episode", "end", "C001", "--date", d, "--reason", c),
    lambda d, c, t: ("allocate", "C001", t, "--date", d),
    lambda d, c, t: ("review", "schedule", "C001", "--date", d, "--time", t),
    lambda d, c, t: ("review", "hold", "1", "--date", d, "--participation", c),
    lambda d, c, t: ("review", "direct", "C001", "--by", d, "--reason", t),
    lambda d, c, t: ("review", "done", "1", t, "--date", d),
    lambda d, c, t: ("child", "add", "D1", "--first-name", "A", "--last-name", "B", "--dob", d),
    lambda d, c, t: ("child", "pathway-plan", "C001", "--received", d),
    lambda d, c, t: ("event", "add", "C001", t, "--date", d, "--note", t),
    lambda d, c, t: ("dispute", "open", "C001", "--issue", t, "--date", d),
    lambda d, c, t: ("contact", "add", "C001", t, "--role", c),
    lambda d, c, t: ("due", "--on", d, "--format", "json"),
    lambda d, c, t: ("due", "--on", d, "--within", t),
    lambda d, c, t: ("actions", "--on", d, "--owner", t),
    lambda d, c, t: ("audit", "--since", d, "--child", t, "--format", "json"),
    lambda d, c, t: ("report", "monthly", "--month", d[:7], "--format", "json"),
    lambda d, c, t: ("report", "monthly", "--month", t, "--format", "csv"),
    lambda d, c, t: ("export", "ssda903", "--year", t, "--out", "out903"),
]


def test_hostile_dates_codes_and_ids_never_crash(world: Cli):
    @settings(max_examples=80, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, ["day", "code", "text"])
        command = data.draw(st.sampled_from(COMMANDS), label="command")
        day = f("day", near_date, bad_date)
        code = f("code", st.sampled_from(CODES))
        text = f("text", typed_text)
        today = data.draw(st.sampled_from([None, "2026-07-01", "2027-03-01", "2026-06-18"]))
        args = command(day, code, text)
        result = attempt(world, *args, today=today)
        if result.exit_code == 0 and args[0] not in ("due", "actions", "audit", "report"):
            reads_still_work(world)

    prop()
    reads_still_work(world)
    assert_check_passes(world)


@pytest.mark.parametrize(
    "args",
    [
        ("child", "show", "--", "'; DROP TABLE children; --"),
        ("child", "show", "--", "C001\u202e"),
        ("child", "show", "--", "c001"),
        ("child", "show", "--", "C0%"),
        ("review", "hold", "99999999999999999999999"),
        ("review", "hold", "-1"),
        ("review", "hold", "0"),
        ("review", "hold", "1.5"),
        ("review", "cancel", "9223372036854775807", "--reason", "x"),
        ("decision", "done", "9223372036854775808"),
        ("decision", "done", "-9223372036854775809"),
        ("review", "steps", "0x1"),
        ("allocate", "C001", "IRO1'--"),
        ("due", "--within", "99999999999999999999"),
        ("due", "--within", "-1"),
        ("audit", "--limit", "0"),
        ("audit", "--limit", "99999999999999999999"),
        ("child", "list", "--team", "' OR 1=1 --"),
    ],
)
def test_hostile_lookups_are_refused_cleanly(world: Cli, args):
    result = attempt(world, *args)
    assert result.exit_code in (0, 1, 2)
    if args[0] == "child" and args[1] == "list":
        # An unknown team is refused (with the teams there are), never read as SQL.
        assert result.exit_code == 1 and "Amy" not in result.stdout
        assert 'no team "\' OR 1=1 --"' in result.stderr


# --- files: import ssda903 and import children -------------------------------------------------

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
    "PL_POST,URN\n"
)
REVIEWS = "CHILD,DOB,REVIEW,REVIEW_CODE\n"


def _cell(value: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([value])
    return out.getvalue()


def return_files(child: str, dob: str, decom: str, review: str, code: str) -> dict[str, str]:
    c = _cell(child)
    return {
        "header.csv": HEADER + f"{c},1,{_cell(dob)},,,,\n",
        "episodes.csv": EPISODES + f"{c},{_cell(decom)},S,C2,,U6,,,,,,,\n",
        "reviews.csv": REVIEWS + f"{c},{_cell(dob)},{_cell(review)},{_cell(code)}\n",
    }


def write_return(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return folder


def test_import_ssda903_of_hostile_rows(world: Cli, tmp_path: Path):
    counter = iter(range(10_000))
    names = ["child", "dob", "decom", "review", "code"]

    @settings(max_examples=40, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        f = Fields(data, names)
        cid = f("child", typed_id)
        if f.hostile != "child":
            cid = f"{cid}-{next(counter)}"
        dob = f("dob", st.sampled_from(["02/03/2014", "2013-12-31", "29/02/2016"]), bad_date)
        decom = f("decom", st.sampled_from(["01/06/2026", "2026-05-01"]), bad_date)
        review = f("review", st.sampled_from(["20/06/2026", "2026-06-30"]), bad_date)
        code = f("code", st.sampled_from(["PN1", "pn7", ""]), any_code)
        folder = write_return(
            tmp_path / f"r{next(counter)}", return_files(cid, dob, decom, review, code)
        )
        result = attempt(world, "import", "ssda903", str(folder), strict=False)
        if result.exit_code == 0:
            shown = show_child(world, cid.strip())
            assert shown["id"] == cid.strip()
            assert shown["looked_after"] is True
            reads_still_work(world, shown["id"])

    prop()
    reads_still_work(world)
    assert_check_passes(world)


def _valid_return() -> dict[str, str]:
    return return_files("R1", "02/03/2014", "01/06/2026", "20/06/2026", "PN1")


def _encoded(encoding: str, text: str) -> bytes:
    return text.encode(encoding)


BAD_FILES = {
    "utf-16": lambda f: _encoded("utf-16", f),
    "utf-32": lambda f: _encoded("utf-32", f),
    "latin-1 accents": lambda f: f.replace("R1", "Zoë").encode("latin-1"),
    "cp1252 quotes": lambda f: f.replace("R1", "\u201cR1\u201d").encode("cp1252"),
    "NUL bytes": lambda f: f.replace("R1", "R\x001").encode(),
    "empty": lambda f: b"",
    "header only": lambda f: f.splitlines()[0].encode(),
    "binary": lambda f: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "unterminated quote": lambda f: f.replace("R1", '"R1').encode(),
    "CRLF": lambda f: f.replace("\n", "\r\n").encode(),
    "UTF-8 BOM": lambda f: b"\xef\xbb\xbf" + f.encode(),
    "lone CR": lambda f: f.replace("\n", "\r").encode(),
    "ragged rows": lambda f: (f + "R9\nR8,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n").encode(),
    "missing columns": lambda f: b"NAME,AGE\nAmy,11\n",
}


@pytest.mark.parametrize("which", ["header.csv", "episodes.csv", "reviews.csv"])
@pytest.mark.parametrize("damage", list(BAD_FILES))
def test_import_ssda903_of_damaged_files(world: Cli, tmp_path: Path, which, damage):
    files: dict[str, str | bytes] = dict(_valid_return())
    files[which] = BAD_FILES[damage](files[which])
    folder = write_return(tmp_path / "return", files)
    result = attempt(world, "import", "ssda903", str(folder), strict=False)
    if damage in ("utf-16", "utf-32", "latin-1 accents", "cp1252 quotes"):
        assert result.exit_code == 1 and "UTF-8" in result.stderr
    if damage in ("CRLF", "UTF-8 BOM"):
        assert result.exit_code == 0, result.stderr
        assert world.json("child", "show", "R1")["looked_after"] is True
    assert_check_passes(world)


def test_import_ssda903_of_random_bytes(world: Cli, tmp_path: Path):
    counter = iter(range(10_000))

    @settings(max_examples=40, **SETTINGS)
    @given(
        which=st.sampled_from(["header.csv", "episodes.csv", "reviews.csv"]),
        data=st.binary(max_size=600),
    )
    def prop(which, data):
        files: dict[str, str | bytes] = dict(_valid_return())
        files[which] = files[which].encode() + data if data[:1] == b"," else data
        folder = write_return(tmp_path / f"r{next(counter)}", files)
        attempt(world, "import", "ssda903", str(folder), strict=False)

    prop()
    reads_still_work(world)
    assert_check_passes(world)


def test_import_ssda903_refuses_a_folder_that_is_not_one(world: Cli, tmp_path: Path):
    (tmp_path / "file.csv").write_text("x")
    assert attempt(world, "import", "ssda903", str(tmp_path / "file.csv")).exit_code == 1
    assert attempt(world, "import", "ssda903", str(tmp_path / "missing")).exit_code == 1
    folder = tmp_path / "with-folders"
    folder.mkdir()
    for name in ("header.csv", "episodes.csv", "reviews.csv"):
        (folder / name).mkdir()
    assert attempt(world, "import", "ssda903", str(folder), strict=False).exit_code == 1


def test_import_ssda903_with_a_huge_header_field(world: Cli, tmp_path: Path):
    files: dict[str, str | bytes] = dict(_valid_return())
    files["header.csv"] = "CHILD,DOB," + "X" * 200_000 + "\nR1,02/03/2014\n"
    folder = write_return(tmp_path / "return", files)
    result = attempt(world, "import", "ssda903", str(folder), strict=False)
    assert result.exit_code == 1


def test_import_ssda903_with_a_huge_field_in_a_row(world: Cli, tmp_path: Path):
    files: dict[str, str | bytes] = dict(_valid_return())
    files["reviews.csv"] = REVIEWS + "R1,02/03/2014,20/06/2026," + "P" * 200_000 + "\n"
    folder = write_return(tmp_path / "return", files)
    result = attempt(world, "import", "ssda903", str(folder), strict=False)
    assert result.exit_code == 1


def test_import_ssda903_refuses_child_ids_with_control_characters(world: Cli, tmp_path: Path):
    folder = write_return(
        tmp_path / "return",
        return_files("A\x1b]0;pwned\x07B", "02/03/2014", "01/06/2026", "20/06/2026", "PN1"),
    )
    before = snapshot_db(world.db)
    result = attempt(world, "import", "ssda903", str(folder), strict=False)
    assert result.exit_code == 1
    assert snapshot_db(world.db) == before


def children_csv(rows: list[list[str]], header=("child_id", "first_name", "last_name", "dob")):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def test_import_children_of_hostile_rows(world: Cli, tmp_path: Path):
    counter = iter(range(10_000))
    names = ["id", "first", "last", "dob", "start", "iro"]

    @settings(max_examples=40, **SETTINGS)
    @given(data=st.data())
    def prop(data):
        table = []
        for _ in range(data.draw(st.integers(1, 3), label="rows")):
            f = Fields(data, names)
            cid = f("id", typed_id)
            if f.hostile != "id":
                cid = f"{cid}-{next(counter)}"
            table.append(
                [
                    cid,
                    f("first", typed_text),
                    f("last", typed_text),
                    f("dob", st.sampled_from(["2014-05-06", "06/05/2014"]), bad_date),
                    f("start", st.sampled_from(["", "2026-06-01"]), bad_date),
                    "C2",
                    "U6",
                    f("iro", st.sampled_from(["", "IRO1"])),
                ]
            )
        header = ("child_id", "first_name", "last_name", "dob", "start_date", "legal_status")
        header += ("placement", "iro")
        path = tmp_path / f"children{next(counter)}.csv"
        path.write_text(children_csv(table, header), encoding="utf-8", newline="")
        result = attempt(world, "import", "children", str(path), strict=False)
        if result.exit_code != 0:
            return
        for cid, first, last, *_ in table:
            # The importer reads cells trimmed, as a spreadsheet user would expect.
            shown = show_child(world, cid.strip())
            assert shown["first_name"] == first.strip()
            assert shown["last_name"] == last.strip()

    prop()
    reads_still_work(world)
    assert_check_passes(world)


@pytest.mark.parametrize("damage", list(BAD_FILES))
def test_import_children_of_damaged_files(world: Cli, tmp_path: Path, damage):
    text = children_csv([["R1", "Amy", "Zed", "2014-05-06"], ["R2", "Ben", "Zed", "2013-01-01"]])
    path = tmp_path / "children.csv"
    path.write_bytes(BAD_FILES[damage](text))
    result = attempt(world, "import", "children", str(path), strict=False)
    if damage in ("utf-16", "utf-32", "latin-1 accents", "cp1252 quotes"):
        assert result.exit_code == 1 and "UTF-8" in result.stderr
    if damage in ("CRLF", "UTF-8 BOM"):
        assert result.exit_code == 0, result.stderr
        assert world.json("child", "show", "R2")["first_name"] == "Ben"
    assert_check_passes(world)


def test_import_children_with_a_huge_field(world: Cli, tmp_path: Path):
    path = tmp_path / "children.csv"
    path.write_text(children_csv([["R1", "A" * 200_000, "Zed", "2014-05-06"]]))
    result = attempt(world, "import", "children", str(path), strict=False)
    assert result.exit_code == 1


def test_import_children_refuses_missing_and_folder_paths(world: Cli, tmp_path: Path):
    assert attempt(world, "import", "children", str(tmp_path / "missing.csv")).exit_code == 1
    assert attempt(world, "import", "children", str(tmp_path)).exit_code == 1
