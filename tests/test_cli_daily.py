"""The daily commands: filters that cannot fail silently, catching up on steps, the
late-preparation warning, and the smaller faults an admin met in a month of use.

Dates worked out by hand in the `world` (conftest): C001 Amy Ash, born 2015-03-02,
looked after from Fri 22 May 2026, IRO1 (team North); first review due Mon 22 Jun 2026.
"""

from __future__ import annotations

import csv
import io

import pytest

from conftest import add_child

# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def teams(world, new_child):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2", "--team", "South")
    new_child("C002", "2014-01-09", start="2026-06-01", iro="IRO2", team="South")
    add_child(world, "C003", "2013-05-05", team="East")
    add_child(world, "C004", "2012-05-05", team="West")
    return world


MISTYPED = [
    (
        ("due", "--team", "Sotuh"),
        "no team 'Sotuh' (did you mean South?); teams: East, North, South, West",
    ),
    (("due", "--iro", "IRO9"), "no IRO 'IRO9' (did you mean IRO2 or IRO1?); IROs: IRO1, IRO2"),
    (("due", "--kind", "reveiw"), "unknown kind 'reveiw' (did you mean review?); kinds: review, "),
    (("child", "list", "--team", "Nroth"), "no team 'Nroth' (did you mean North?)"),
    (("child", "list", "--iro", "IR01"), "no IRO 'IR01'"),
    (("review", "list", "--child", "C101"), "no child with id 'C101' (did you mean C001?)"),
    (("actions", "--child", "C999"), "no child with id 'C999'"),
    (("event", "list", "--child", "C999"), "no child with id 'C999'"),
    (("dispute", "list", "--child", "C999"), "no child with id 'C999'"),
    (("contact", "list", "--child", "C999"), "no child with id 'C999'"),
    (("audit", "--child", "C999"), "no child with id 'C999'"),
]


@pytest.mark.parametrize(
    "args, message", MISTYPED, ids=lambda a: " ".join(a) if isinstance(a, tuple) else ""
)
def test_a_mistyped_filter_is_an_error_naming_the_close_matches(teams, args, message):
    assert message in teams.refused(*args)
    assert teams.refused(*args, "--format", "json")


def test_team_and_iro_match_whatever_their_case(teams):
    upper = teams.json("due", "--team", "South")
    assert upper and teams.json("due", "--team", "south") == upper
    assert teams.json("due", "--team", "SOUTH") == upper
    mine = teams.json("due", "--iro", "IRO1")
    assert mine and teams.json("due", "--iro", "iro1") == mine
    # An IRO can be named by their name too.
    assert teams.json("due", "--iro", "jane smith") == mine
    assert [c["id"] for c in teams.json("child", "list", "--team", "north")] == ["C001"]
    assert [c["id"] for c in teams.json("child", "list", "--iro", "iro2")] == ["C002"]
    # A child id differing only in case is the child.
    assert teams.json("review", "list", "--child", "c001") == teams.json(
        "review", "list", "--child", "C001"
    )


def test_an_empty_result_says_exactly_what_was_asked(teams):
    out = teams.ok("due", "--team", "west", "--on", "2026-09-01", "--within", "121").stdout
    assert "Nothing due for team West by 2026-12-31." in out
    out = teams.ok("due", "--iro", "iro2", "--kind", "dispute").stdout
    assert "Nothing due for IRO IRO2 (kind dispute) by 2026-07-31." in out
    assert (
        "No children not in care for team North."
        in teams.ok("child", "list", "--team", "north", "--not-looked-after").stdout
    )
    assert "No open actions for child C001." in teams.ok("actions", "--child", "C001").stdout
    assert (
        "No held reviews for child C002."
        in teams.ok("review", "list", "--child", "C002", "--status", "held").stdout
    )


def test_an_empty_database_still_says_how_to_start(initialised):
    assert "No children yet" in initialised.ok("child", "list").stdout
    assert "no team 'North'; there are no teams yet" in initialised.refused(
        "child", "list", "--team", "North"
    )


# --- catching up: several steps in one command ----------------------------------------------


@pytest.fixture
def held(world):
    """Review 1 booked on 2026-06-10 for Thu 18 Jun 2026 and held that day (PN1)."""
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-10")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    return world


def steps(run, review="1"):
    return {s["step"]: s for s in run.json("review", "steps", review)}


def test_review_done_marks_several_steps_on_one_date(held):
    line = held.line("review", "done", "1", "decisions", "care-plan", "--date", "2026-06-26")
    # Recorded Thu 18 Jun: decisions by Thu 25 Jun (5 working days, R-POST-2), the care
    # plan by Thu 2 Jul (10 working days, R-POST-4).
    assert line == (
        "Review 1: 2 steps done on 2026-06-26 (decisions, care-plan); "
        "late: decisions (due 2026-06-25, R-POST-2)."
    )
    got = steps(held)
    assert got["decisions"]["done_on"] == got["care-plan"]["done_on"] == "2026-06-26"
    assert got["decisions"]["late"] is True and got["care-plan"]["late"] is False


def test_all_recording_marks_every_open_recording_step(held):
    out = held.json("review", "done", "1", "all-recording", "--date", "2026-07-01")
    # Decisions by Thu 25 Jun, care plan by Thu 2 Jul, record by Thu 9 Jul (15 working
    # days), distribution by Thu 16 Jul (20).
    assert [(s["step"], s["due"], s["late"]) for s in out["steps"]] == [
        ("decisions", "2026-06-25", True),
        ("care-plan", "2026-07-02", False),
        ("record", "2026-07-09", False),
        ("distribution", "2026-07-16", False),
    ]
    got = steps(held)
    # The manager's response is the manager's: it stays open, due 5 working days after the
    # decisions reached them on Wed 1 Jul (Wed 8 Jul).
    assert got["manager-response"]["status"] == "open"
    assert got["manager-response"]["due"] == "2026-07-08"
    assert "no open recording steps left" in held.refused("review", "done", "1", "all-recording")


def test_one_refused_step_records_none_of_them(held):
    assert "unknown step 'recrod'" in held.refused(
        "review", "done", "1", "decisions", "recrod", "--date", "2026-06-24"
    )
    assert "named twice" in held.refused("review", "done", "1", "record", "record")


def test_all_recording_needs_a_held_review(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-10")
    assert "its recording steps follow a held review" in world.refused(
        "review", "done", "1", "all-recording", today="2026-06-10"
    )


def test_a_single_step_reads_as_before(held):
    assert held.line("review", "done", "1", "record", "--date", "2026-06-30") == (
        "Review 1: full record of the review done on 2026-06-30 (R-POST-5)."
    )


# --- booking late warns which preparation steps are already past ----------------------------


def test_booking_late_names_the_preparation_steps_already_past(world):
    result = world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-10")
    # Thu 18 Jun: consultation 20 working days before (Wed 20 May, so the day care began,
    # Fri 22 May), invitations 10 before (Thu 4 Jun), reports 3 before (Mon 15 Jun).
    assert "Warning: consultation (" in result.stderr
    assert "was due by 2026-05-22 (R-PRE-1): already late" in result.stderr
    assert "was due by 2026-06-04 (R-PRE-2): already late" in result.stderr
    assert "R-PRE-3" not in result.stderr


def test_moving_a_review_later_still_warns_of_what_is_past(world):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    result = world.ok("review", "reschedule", "1", "--date", "2026-06-19", today="2026-06-16")
    # Fri 19 Jun: invitations by Fri 5 Jun; reports (3 working days) by Tue 16 Jun: not yet.
    assert "was due by 2026-06-05 (R-PRE-2): already late" in result.stderr
    assert "R-PRE-3" not in result.stderr


def test_booking_in_good_time_warns_of_nothing(world):
    result = world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-05-22")
    assert "already late" not in result.stderr


# --- the smaller faults ------------------------------------------------------------------------


def test_the_sibling_reason_can_be_recorded_after_the_warning(world):
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    args = ["child", "add", "S1", "--first-name", "A", "--last-name", "B", "--dob", "2014-01-01"]
    world.ok(*args, "--sibling-group", "G1")
    world.ok("episode", "start", "S1", "--date", "2026-06-01", today="2026-06-01")
    world.ok("allocate", "S1", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    args = ["child", "add", "S2", "--first-name", "C", "--last-name", "B", "--dob", "2016-01-01"]
    world.ok(*args, "--sibling-group", "G1")
    world.ok("episode", "start", "S2", "--date", "2026-06-01", today="2026-06-01")
    result = world.ok("allocate", "S2", "IRO2", "--date", "2026-06-01", today="2026-06-01")
    assert "record why with --reason" in result.stderr
    line = world.line(
        "allocate", "S2", "IRO2", "--reason", "IRO2 speaks Polish", today="2026-06-02"
    )
    assert line == "Recorded why S2's IRO (IRO2) differs from their siblings' (R-IRO-3)."
    audit = world.json("audit", "--child", "S2", "--limit", "1")
    assert audit[0]["changes"] == {"sibling_reason": [None, "IRO2 speaks Polish"]}
    # Without a reason, naming the same IRO again is still refused.
    assert "already the IRO" in world.refused("allocate", "S2", "IRO2")


def test_audit_limit_shows_the_newest_rows_and_csv_says_what_changed(world):
    every = world.json("audit")
    newest = world.json("audit", "--limit", "2")
    assert newest == every[-2:]
    rows = list(csv.DictReader(io.StringIO(world.ok("audit", "--format", "csv").stdout)))
    assert len(rows) == len(every)
    assert all(r["what"] for r in rows if r["action"] != "delete")
    assert any("first_name: Amy" in r["what"] for r in rows)


def test_ending_care_on_the_18th_birthday_is_no_warning(world, new_child):
    new_child("T18", "2008-06-15", start="2026-01-05", iro="IRO1")
    result = world.ok("episode", "end", "T18", "--date", "2026-06-15", "--reason", "E8")
    assert "18" not in result.stderr


def test_ending_care_after_the_18th_birthday_warns(world, new_child):
    new_child("T19", "2008-06-15", start="2026-01-05", iro="IRO1")
    result = world.ok("episode", "end", "T19", "--date", "2026-06-16", "--reason", "E8")
    assert "turned 18 on 2008-06-15" not in result.stderr
    assert "turned 18 on 2026-06-15, before 2026-06-16" in result.stderr


def test_an_adjournment_cannot_reconvene_once_the_child_is_18(world, new_child):
    # Born 2008-07-10: 18 on Fri 10 Jul 2026. Review booked Mon 6 Jul.
    new_child("A18", "2008-07-10", start="2026-06-01", iro="IRO1")
    world.ok("review", "schedule", "A18", "--date", "2026-06-26", today="2026-06-01")
    message = world.refused("review", "adjourn", "1", "--to", "2026-07-10", "--reason", "ill")
    assert "turns 18 on 2026-07-10" in message and "(R-SCH-11)" in message
    world.ok("review", "adjourn", "1", "--to", "2026-07-09", "--reason", "ill")


def test_due_for_an_iro_keeps_an_ended_childs_open_dispute_and_actions(held):
    held.ok(
        "decision",
        "add",
        "1",
        "Arrange the health check",
        "--owner",
        "SW",
        "--due",
        "2026-07-03",
        today="2026-06-20",
    )
    held.ok(
        "dispute", "open", "C001", "--issue", "Visits", "--date", "2026-06-25", today="2026-06-25"
    )
    held.ok("episode", "end", "C001", "--date", "2026-06-30", "--reason", "E8")
    kinds = {i["kind"] for i in held.json("due", "--iro", "IRO1")}
    everyone = {i["kind"] for i in held.json("due")}
    assert {"action", "dispute"} <= everyone
    assert {"action", "dispute"} <= kinds


def test_one_period_is_singular(world):
    # `check --repair` and `policy set` count what they recomputed.
    result = world.ok("check", "--repair")
    assert "1 open period of care." in result.stderr
    line = world.line("policy", "set", "month-mode", "days")
    assert line.endswith("; deadlines recomputed for 1 open period of care.")
    assert world.line("backup", "copy.db").endswith(" bytes, 1 child); verified.")


def test_db_after_the_command_says_where_it_belongs(world):
    result = world("due", "--db", "other.db")
    assert result.exit_code == 2
    assert "--db is an option of reviewcli itself: put it before the command" in result.stderr
    assert "--kind" not in result.stderr


def test_help_shows_what_options_take(world):
    text = world.ok("due", "--help").stdout
    assert "--on YYYY-MM-DD" in text and "--kind KIND" in text
    assert "sw-conversation" in text and "manager-response" in text
    assert "--date YYYY-MM-DD" in world.ok("review", "done", "--help").stdout
    assert "docs/rules.md" in world.ok("--help").stdout
    assert "DOMAIN.md" not in world.ok("--help").stdout


def test_shell_completion_is_switched_on(world):
    text = world.ok("--help").stdout
    assert "--install-completion" in text
    # The script the shell sources (what --install-completion writes), asked for by name so
    # the test does not depend on which shell runs it.
    script = world.ok("--help", env={"_REVIEWCLI_COMPLETE": "source_bash"}).stdout
    assert "_REVIEWCLI_COMPLETE=complete_bash" in script
    assert "complete -o default -F _reviewcli_completion reviewcli" in script


# --- child show: the one page about a child --------------------------------------------------


def test_child_show_carries_every_part(world, new_child):
    # A sibling in care with another IRO, a held review with its steps, an open action,
    # an undecided event, an open dispute and a contact.
    world.ok("iro", "add", "Raj Patel", "--id", "IRO2")
    world.ok(
        "child",
        "add",
        "C002",
        "--first-name",
        "Ben",
        "--last-name",
        "Ash",
        "--dob",
        "2013-01-09",
        "--sibling-group",
        "ASH",
        "--social-worker",
        "Sam Lee",
    )
    world.ok("episode", "start", "C002", "--date", "2026-06-01", today="2026-06-01")
    world.ok("allocate", "C002", "IRO2", "--date", "2026-06-01", today="2026-06-01")
    world.ok("review", "schedule", "C002", "--date", "2026-06-25", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-25")
    world.ok(
        "decision",
        "add",
        "1",
        "Arrange a dentist",
        "--owner",
        "Carer",
        "--due",
        "2026-07-20",
        today="2026-06-25",
    )
    world.ok("event", "add", "C002", "exclusion", "--date", "2026-06-29", today="2026-06-30")
    world.ok("dispute", "open", "C002", "--issue", "Contact plan", today="2026-06-30")
    world.ok("contact", "add", "C002", "Kim Ash", "--role", "parent")
    page = world.json("child", "show", "C002")
    # The keys of CLI.md, then every part.
    assert page["id"] == "C002" and page["dob"] == "2013-01-09" and page["looked_after"]
    assert page["iro"] == "IRO2"
    # Held Thu 25 Jun 2026 (second review of a period begun 1 Jun): by Fri 25 Sep (R-SCH-2).
    assert {k: page["next_review"][k] for k in ("number", "due", "rule", "booked")} == {
        "number": 2,
        "due": "2026-09-25",
        "rule": "R-SCH-2",
        "booked": None,
    }
    assert page["next_review"]["why"].startswith("R-SCH-2: second review")
    assert page["eighteenth_birthday"] == "2031-01-09" and page["age"] == 13
    assert page["social_worker"] == "Sam Lee"
    assert page["reviews"][0]["participation"] == "PN1"
    assert [h["iro_id"] for h in page["iro_history"]] == ["IRO2"]
    assert [(s["step"], s["due"]) for s in page["open_steps"]][:2] == [
        ("decisions", "2026-07-02"),  # Thu 25 Jun + 5 working days (R-POST-2)
        ("care-plan", "2026-07-09"),  # + 10 working days (R-POST-4)
    ]
    assert [a["text"] for a in page["open_actions"]] == ["Arrange a dentist"]
    assert [e["kind"] for e in page["undecided_events"]] == ["exclusion"]
    assert [d["issue"] for d in page["open_disputes"]] == ["Contact plan"]
    assert [c["name"] for c in page["contacts"]] == ["Kim Ash"]
    # Final pathway plan 20 working days before the 18th birthday (Thu 9 Jan 2031).
    assert page["pathway_plan"]["rule"] == "R-SCH-16" and page["pathway_plan"]["received"] is None
    assert page["siblings"] == []  # C001 has no sibling group yet
    world.ok(
        "child",
        "add",
        "C003",
        "--first-name",
        "Cat",
        "--last-name",
        "Ash",
        "--dob",
        "2016-02-02",
        "--sibling-group",
        "ASH",
    )
    siblings = world.json("child", "show", "C002")["siblings"]
    assert [(s["id"], s["iro"], s["looked_after"]) for s in siblings] == [("C003", None, False)]
    text = world.ok("child", "show", "C002", env={"COLUMNS": "80"}).stdout
    for part in (
        "Siblings (group ASH)",
        "IRO history",
        "Care history",
        "Reviews",
        "Open steps",
        "Open actions",
        "Undecided events",
        "Open disputes",
        "Contacts",
        "Social worker: Sam Lee",
        "18 on 2031-01-09",
        "Why: R-SCH-2",
    ):
        assert part in text, part


# --- every listing at 80, 100 and 160 columns ------------------------------------------------

import re  # noqa: E402

from conftest import Cli  # noqa: E402
from reviewcli.output import cell_len  # noqa: E402

_DATE_LIKE = re.compile(r"(?<![\w-])\d{4}-[\d-]*")
_FRAGMENT = re.compile(r"(?:^|[\s│┃])(\d{1,2}-\d{1,2}|-\d{1,2})(?=[\s│┃]|$)")
_RULE_CUT = re.compile(r"\bR-(?:[A-Z]+-?)?(?=[\s│┃]|$)")


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """A demo database of 40 children, with some audited writes and long text."""
    path = tmp_path_factory.mktemp("widths") / "demo.db"
    env = {
        "REVIEWCLI_DB": str(path),
        "REVIEWCLI_TODAY": "2026-07-01",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    run = Cli(path)
    assert run("demo", "--children", "40", env=env).exit_code == 0
    long_name = ["--first-name", "Maximilian-Alexander", "--last-name", "Featherstonehaugh-Smythe"]
    for args in (
        ("child", "add", "LONGNAME01", *long_name, "--dob", "2012-02-29", "--team", "North"),
        ("policy", "set", "authority-name", "The Royal Borough of Example upon Somewhere"),
        (
            "iro",
            "add",
            "Philippa Annabel Montgomery-Winterbottom",
            "--id",
            "IRO77",
            "--email",
            "philippa.montgomery-winterbottom@iru.example",
            "--team",
            "Leaving Care",
        ),
    ):
        result = run(*args, env=env)
        assert result.exit_code == 0, result.output
    return run, env


def _listings(run, env):
    review = json_of(run, env, "review", "list", "--status", "held")[-1]["id"]
    busiest = max(
        json_of(run, env, "child", "list"),
        key=lambda c: len(json_of(run, env, "review", "list", "--child", c["id"])),
    )["id"]
    return [
        ("due",),
        ("due", "--within", "400"),
        ("actions", "--status", "all"),
        ("review", "list"),
        ("review", "steps", str(review)),
        ("child", "list"),
        ("child", "show", busiest),
        ("child", "show", "LONGNAME01"),
        ("policy", "show"),
        ("iro", "list"),
        ("audit",),
        ("event", "list"),
        ("event", "kinds"),
        ("dispute", "list"),
        ("contact", "list"),
    ]


def json_of(run, env, *args):
    import json

    result = run(*args, "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_every_listing_fits_the_terminal_without_splitting_a_value(busy, width):
    run, env = busy
    settings = [s["key"] for s in json_of(run, env, "policy", "show")]
    for args in _listings(run, env):
        result = run(*args, env={**env, "COLUMNS": str(width)})
        assert result.exit_code == 0, (args, result.output)
        lines = result.stdout.splitlines()
        assert lines, args
        for line in lines:
            assert cell_len(line) <= width, (args, width, line)
            for found in _DATE_LIKE.findall(line):
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", found), (args, width, line)
            assert not _FRAGMENT.search(line), (args, width, line)
            assert not _RULE_CUT.search(line), (args, width, line)
        if args == ("policy", "show"):
            # Every setting name the admin must type back reads whole.
            assert all(key in result.stdout for key in settings), width
        if args == ("child", "list"):
            ids = [c["id"] for c in json_of(run, env, "child", "list")]
            assert all(re.search(rf"\b{i}\b", result.stdout) for i in ids), width


def test_due_is_one_line_an_item_where_it_can_be(busy):
    run, env = busy
    items = json_of(run, env, "due")
    text = run("due", env={**env, "COLUMNS": "160"}).stdout
    rows = [line for line in text.splitlines() if re.match(r"\d{4}-\d{2}-\d{2} ", line)]
    assert len(rows) == len(items)
    continued = [line for line in text.splitlines() if line.startswith("    ")]
    assert len(continued) <= len(items) // 4
    # At 80 columns the list keeps the date, child, rule and what to do.
    narrow = run("due", env={**env, "COLUMNS": "80"}).stdout
    assert "Due         Child" in narrow and "Rule" in narrow and "What" in narrow
