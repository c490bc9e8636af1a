"""The conventions of CLI.md: database, today, exit codes, stdout/stderr, JSON on writes."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import stat
import subprocess
import sys

import pytest

# --- init and the database file ------------------------------------------------------------


def test_init_creates_the_database_readable_by_its_owner_only(run, db_path):
    result = run.ok("init")
    assert db_path.exists()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert result.stdout.strip() == f"Created {db_path} (readable by you only)."


def test_init_is_idempotent(run, db_path, snapshot):
    run.ok("init")
    before = snapshot()
    result = run.ok("init")
    assert result.stdout.strip() == f"{db_path} is up to date."
    assert snapshot() == before
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_init_keeps_existing_data(world, snapshot):
    before = snapshot()
    world.ok("init")
    assert snapshot() == before
    assert world.json("child", "show", "C001")["looked_after"] is True


def test_db_option_wins_over_the_environment(run, tmp_path, db_path):
    other = tmp_path / "other.db"
    run.ok("--db", str(other), "init")
    assert other.exists()
    assert stat.S_IMODE(other.stat().st_mode) == 0o600
    assert not db_path.exists()
    run.ok("--db", str(other), "iro", "add", "Jane Smith", "--id", "IRO1")
    assert [i["id"] for i in run.json("--db", str(other), "iro", "list")] == ["IRO1"]
    # REVIEWCLI_DB still points at a file that does not exist.
    assert "not found" in run.refused("iro", "list")


def test_default_database_is_reviews_db_in_the_current_folder(run, tmp_path, monkeypatch):
    monkeypatch.delenv("REVIEWCLI_DB")
    run.ok("init")
    assert (tmp_path / "reviews.db").exists()


def test_init_in_a_missing_folder_is_refused(run, tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "r.db"
    message = run.refused("--db", str(missing), "init")
    assert "does not exist" in message
    assert not missing.parent.exists()


def test_a_file_that_is_not_a_database_is_refused(run, db_path):
    db_path.write_bytes(b"this is not sqlite, just some text " * 100)
    message = run.refused("iro", "list")
    assert "not a reviewcli database" in message or "database" in message
    assert db_path.read_bytes().startswith(b"this is not sqlite")


def test_a_folder_given_as_the_database_is_refused(run, tmp_path):
    folder = tmp_path / "folder.db"
    folder.mkdir()
    assert "is a folder" in run.refused("--db", str(folder), "init")
    assert "is a folder" in run.refused("--db", str(folder), "iro", "list")


def test_a_database_readable_by_others_gives_a_warning(world, db_path):
    os.chmod(db_path, 0o644)
    result = world.ok("iro", "list", "--format", "json")
    assert "Warning:" in result.stderr and "chmod 600" in result.stderr
    # The warning goes to stderr: stdout is still nothing but JSON.
    assert [i["id"] for i in json.loads(result.stdout)] == ["IRO1"]


# Every command except init (and demo) refuses a missing database file instead of
# silently creating an empty one in the wrong place.
MISSING_DB_COMMANDS = [
    ["iro", "add", "Jane Smith", "--id", "IRO1"],
    ["iro", "list"],
    ["child", "add", "C001", "--first-name", "A", "--last-name", "B", "--dob", "2015-03-02"],
    ["child", "list"],
    ["child", "show", "C001"],
    ["child", "show", "C001", "--format", "json"],
    ["child", "pathway-plan", "C001"],
    ["episode", "start", "C001", "--date", "2026-05-22"],
    ["episode", "change", "C001", "--date", "2026-06-01", "--placement", "U4"],
    ["episode", "end", "C001", "--date", "2026-06-01"],
    ["allocate", "C001", "IRO1"],
    ["review", "schedule", "C001", "--date", "2026-06-18"],
    ["review", "reschedule", "1", "--date", "2026-06-19"],
    ["review", "hold", "1"],
    ["review", "adjourn", "1", "--to", "2026-06-29", "--reason", "ill"],
    ["review", "cancel", "1", "--reason", "ill"],
    ["review", "direct", "C001", "--by", "2026-08-01", "--reason", "move"],
    ["review", "list"],
    ["due"],
    ["due", "--on", "2026-06-01", "--within", "10", "--format", "json"],
    ["policy", "show"],
    ["policy", "set", "month-mode", "days"],
]


@pytest.mark.parametrize("args", MISSING_DB_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_but_init_refuses_a_missing_database(run, db_path, args):
    message = run.refused(*args)
    assert "not found" in message
    assert "reviewcli init" in message
    assert str(db_path) in message
    assert not db_path.exists()


# --- today ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["due"],
        ["child", "show", "C001"],
        ["child", "list"],
        ["child", "add", "C002", "--first-name", "A", "--last-name", "B", "--dob", "2015-03-02"],
        ["episode", "end", "C001", "--date", "2026-06-01"],
        ["review", "schedule", "C001", "--date", "2026-06-18"],
        ["allocate", "C001", "IRO1"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "01/07/2026"])
def test_a_bad_reviewcli_today_is_refused(world, args, bad):
    message = world.refused(*args, today=bad)
    assert "REVIEWCLI_TODAY" in message
    assert bad in message


def test_reviewcli_today_fixes_today(world):
    # The first review of C001 is due by 2026-06-22: overdue on 23 June, not on 22 June.
    assert world.json("child", "show", "C001", today="2026-06-22")["next_review"]["overdue"] is (
        False
    )
    assert world.json("child", "show", "C001", today="2026-06-23")["next_review"]["overdue"] is (
        True
    )
    assert world.json("child", "show", "C001", today="2026-06-22")["age"] == 11


@pytest.mark.parametrize(
    "args",
    [["iro", "list"], ["child", "list"], ["review", "list"], ["due"], ["policy", "show"]],
    ids=lambda a: " ".join(a),
)
def test_every_listing_command_speaks_table_json_and_csv(world, args):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    table = world.ok(*args).stdout
    assert table.strip()
    rows = json.loads(world.ok(*args, "--format", "json").stdout)
    assert isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows)
    records = list(csv.DictReader(io.StringIO(world.ok(*args, "--format", "csv").stdout)))
    assert len(records) == len(rows)
    # CSV columns are JSON keys (the IRO table's "load" column aside).
    assert set(records[0]) <= set().union(*rows) | {"load"}


# --- values out of range: still one "Error:" line, no traceback ----------------------------


OUT_OF_RANGE = [
    ["due", "--within", "99999999"],
    ["due", "--on", "9999-12-31"],
    ["review", "hold", "99999999999999999999"],
]


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=lambda a: " ".join(a))
def test_values_out_of_range_are_refused_without_a_traceback(world, args):
    world.refused(*args)


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=lambda a: " ".join(a))
def test_values_out_of_range_get_an_actionable_message(world, args):
    assert "unexpected" not in world.refused(*args)


# --- usage errors: Typer's own, exit status 2 -----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["episode", "start", "C001"],  # --date missing
        ["episode", "end", "C001"],
        ["review", "schedule", "C001"],
        ["review", "adjourn", "1", "--to", "2026-06-29"],  # --reason missing
        ["review", "cancel", "1"],
        ["review", "direct", "C001", "--by", "2026-08-01"],
        ["review", "hold", "one"],  # REVIEW_ID is a number
        ["child", "add", "C009", "--first-name", "A", "--last-name", "B"],  # --dob missing
        ["iro", "add", "Jane Smith"],  # --id missing
        ["allocate", "C001"],
        ["due", "--within", "-1"],
        ["due", "--format", "xml"],
        ["child", "list", "--format", "yaml"],
        ["no-such-command"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(world, snapshot, args):
    before = snapshot()
    result = world(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert snapshot() == before


def test_version():
    from typer.testing import CliRunner

    from reviewcli import __version__
    from reviewcli.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"reviewcli {__version__}"


def test_python_dash_m_runs_the_same_cli(world, db_path):
    env = {**os.environ, "REVIEWCLI_DB": str(db_path), "REVIEWCLI_TODAY": "2026-07-01"}
    done = subprocess.run(
        [sys.executable, "-m", "reviewcli", "child", "show", "C001", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "C001"

    refused = subprocess.run(
        [sys.executable, "-m", "reviewcli", "child", "show", "NOBODY"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "Error: no child with id 'NOBODY'; see 'reviewcli child list'"
    ]


# --- JSON on stdout, messages on stderr -------------------------------------------------------


def test_json_stdout_is_pure_json_when_a_write_warns(world):
    # Booking after the deadline (2026-06-22) is allowed with a warning on stderr.
    result = world.ok(
        "review", "schedule", "C001", "--date", "2026-06-27", "--format", "json", today="2026-06-01"
    )
    review = json.loads(result.stdout)
    assert review["id"] == 1
    assert review["booked_date"] == "2026-06-27"
    warnings = result.stderr.splitlines()
    assert warnings and all(w.startswith("Warning: ") for w in warnings)
    assert any("after the deadline of 2026-06-22" in w for w in warnings)
    # 27 June 2026 is a Saturday (R-CAL-6).
    assert any("not a working day" in w and "R-CAL-6" in w for w in warnings)


def test_write_commands_print_one_line_or_the_object_with_an_id(world):
    """Every write command: one line by default; with --format json, the object with "id"."""
    j = world.json
    assert j("iro", "add", "Raj Patel", "--id", "IRO2", "--team", "South")["id"] == "IRO2"
    child = j(
        "child", "add", "C002", "--first-name", "Ben", "--last-name", "Bo", "--dob", "2014-01-09"
    )
    assert child["id"] == "C002"
    period = j("episode", "start", "C002", "--date", "2026-06-01", today="2026-06-01")
    assert isinstance(period["id"], int)
    episode = j(
        "episode", "change", "C002", "--date", "2026-06-03", "--placement", "U4", today="2026-06-03"
    )
    assert isinstance(episode["id"], int)
    allocation = j("allocate", "C002", "IRO2", "--date", "2026-06-03", today="2026-06-03")
    assert isinstance(allocation["id"], int)
    booked = j("review", "schedule", "C002", "--date", "2026-06-24", today="2026-06-03")
    assert isinstance(booked["id"], int)
    moved = j("review", "reschedule", str(booked["id"]), "--date", "2026-06-25", today="2026-06-03")
    assert moved["id"] == booked["id"]
    adjourned = j(
        "review",
        "adjourn",
        str(booked["id"]),
        "--to",
        "2026-06-29",
        "--reason",
        "ill",
        today="2026-06-25",
    )
    assert adjourned["id"] == booked["id"]
    held = j("review", "hold", str(booked["id"]), "--participation", "PN1", today="2026-06-29")
    assert held["id"] == booked["id"]
    direction = j(
        "review", "direct", "C002", "--by", "2026-08-01", "--reason", "move", today="2026-07-01"
    )
    assert isinstance(direction["id"], int)
    second = j("review", "schedule", "C002", "--date", "2026-07-30")
    cancelled = j("review", "cancel", str(second["id"]), "--reason", "IRO ill")
    assert cancelled["id"] == second["id"]
    ended = j("episode", "end", "C002", "--date", "2026-07-01", "--reason", "E4A")
    assert isinstance(ended["id"], int)


def test_demo_fills_a_new_database(run, db_path):
    if importlib.util.find_spec("reviewcli.demo") is None:
        pytest.skip("reviewcli.demo is not written yet: 'reviewcli demo' is not implemented")
    run.ok("demo", "--children", "20", "--seed", "3")
    children = run.json("child", "list")
    assert len(children) == 20
    # A second demo into the same file is refused.
    assert "already holds children" in run.refused("demo", "--children", "5")
