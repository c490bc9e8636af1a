"""Issue 6, "trustworthy with children's data": the audit trail, backups, ``check``,
concurrent admins, crash safety and safe outputs.

Most tests drive ``reviewcli`` in-process (the ``run``/``world`` fixtures of conftest.py);
the concurrency and crash tests start real processes, since that is what they are about.
The ``world`` fixture: IRO1, and C001 Amy Ash (born 2015-03-02) looked after from
22 May 2026, first review due by 22 June 2026; today is 1 July 2026.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import TODAY, Cli, assert_refused, snapshot_db
from reviewcli import maintenance
from reviewcli.errors import ReviewError
from reviewcli.records import add_child
from reviewcli.store import Store, os_user

FORMULA_STARTS = ("=", "+", "-", "@")


# --- helpers ----------------------------------------------------------------------------------


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def query(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(path: Path, table: str) -> int:
    return query(path, f"SELECT COUNT(*) FROM {table}")[0][0]


def max_audit_id(path: Path) -> int:
    return query(path, "SELECT COALESCE(MAX(id), 0) FROM audit")[0][0]


def audit_since(path: Path, after_id: int) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM audit WHERE id > ?", [after_id])]
    finally:
        conn.close()


def assert_check_passes(run: Cli, db: Path | None = None) -> None:
    args = ["--db", str(db)] if db else []
    result = run(*args, "check", "--format", "json")
    assert result.exit_code == 0, f"check found problems: {result.stdout}{result.stderr}"
    assert json.loads(result.stdout) == []


def cli_command() -> list[str]:
    """The installed console script (a real process, as an admin runs it)."""
    script = Path(sys.executable).with_name("reviewcli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reviewcli"]


def process_env(db: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWCLI_")}
    env.update(REVIEWCLI_DB=str(db), REVIEWCLI_TODAY=TODAY, NO_COLOR="1", TERM="dumb")
    return env


def assert_no_crash_text(text: str) -> None:
    assert "Traceback" not in text, text
    assert "unexpected" not in text, text
    assert "locked" not in text, text


# A writer as several admins would run it: every write opens the database, takes the write
# lock, commits and closes, through the same domain functions as the commands.
WRITER = r"""
import sys, time
from datetime import date
from pathlib import Path
from reviewcli.records import add_child, add_iro, allocate, start_episode
from reviewcli.store import Store

db, tag, children, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
today = date(2026, 7, 1)
deadline = time.monotonic() + 30
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.01)


def write(command, fn, *args, **kw):
    with Store(db, command=command) as s:
        fn(s, *args, **kw)


write("reviewcli iro add", add_iro, f"IRO-{tag}", f"Officer {tag}")
for i in range(children):
    cid = f"{tag}-{i:03d}"
    write("reviewcli child add", add_child, cid, first_name="Test", last_name=cid,
          dob="2015-01-01", today=today)
    write("reviewcli episode start", start_episode, cid, on="2026-06-01", today=today,
          legal_status="C2", placement="U6")
    write("reviewcli allocate", allocate, cid, f"IRO-{tag}", on="2026-06-01", today=today)
print("wrote", tag)
"""


@pytest.fixture
def writer_script(tmp_path: Path) -> Path:
    path = tmp_path / "writer.py"
    path.write_text(WRITER)
    return path


def start_writer(script: Path, db: Path, tag: str, children: int, go: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), str(db), tag, str(children), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env(db),
    )


def held_world(world: Cli) -> Cli:
    """World plus review 1 of C001 booked for 18 June and held then (PN1)."""
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    world.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    return world


# --- 1. the audit trail ---------------------------------------------------------------------

# (command, arguments, today, tables that must get audit rows, the child they are about)
WRITES = [
    ("iro add", ["Bob Brown", "--id", "IRO2", "--team", "South"], TODAY, {"iros"}, None),
    (
        "child add",
        ["C002", "--first-name", "Ben", "--last-name", "Bell", "--dob", "2012-04-05"],
        TODAY,
        {"children"},
        "C002",
    ),
    (
        "episode start",
        ["C002", "--date", "2026-06-01", "--legal-status", "C2", "--placement", "U6"],
        TODAY,
        {"periods", "episodes"},
        "C002",
    ),
    ("allocate", ["C002", "IRO2", "--date", "2026-06-01"], TODAY, {"allocations"}, "C002"),
    (
        "episode change",
        ["C002", "--date", "2026-06-10", "--placement", "U4"],
        TODAY,
        {"episodes"},
        "C002",
    ),
    ("contact add", ["C002", "Carol Bell", "--role", "parent"], TODAY, {"contacts"}, "C002"),
    (
        "review schedule",
        ["C001", "--date", "2026-06-18", "--venue", "Room 1"],
        "2026-06-01",
        {"reviews", "review_changes"},
        "C001",
    ),
    (
        "review reschedule",
        ["1", "--date", "2026-06-19"],
        "2026-06-01",
        {"reviews", "review_changes"},
        "C001",
    ),
    (
        "review done",
        ["1", "invitations", "--date", "2026-06-02"],
        "2026-06-02",
        {"review_steps"},
        "C001",
    ),
    (
        "review hold",
        ["1", "--participation", "PN1"],
        "2026-06-19",
        {"reviews", "review_changes", "review_steps"},
        "C001",
    ),
    (
        "decision add",
        ["1", "See the dentist", "--owner", "Social worker", "--due", "2026-08-01"],
        TODAY,
        {"decisions"},
        "C001",
    ),
    (
        "decision add",
        ["1", "Review contact", "--owner", "IRO", "--due", "2026-09-01", "--starred"],
        TODAY,
        {"decisions"},
        "C001",
    ),
    (
        "decision edit",
        ["2", "--due", "2026-09-15", "--reason", "Carer away"],
        TODAY,
        {"decisions", "decision_changes"},
        "C001",
    ),
    ("decision cancel", ["2", "--reason", "No longer needed"], TODAY, {"decisions"}, "C001"),
    ("decision done", ["1", "--date", "2026-06-30"], TODAY, {"decisions"}, "C001"),
    (
        "event add",
        ["C001", "contact-change", "--date", "2026-06-29", "--note", "Fewer visits"],
        TODAY,
        {"events"},
        "C001",
    ),
    (
        "dispute open",
        ["C001", "--issue", "Plan not followed", "--date", "2026-06-29"],
        TODAY,
        {"disputes"},
        "C001",
    ),
    ("review schedule", ["C001", "--date", "2026-09-10"], TODAY, {"reviews"}, "C001"),
    (
        "review adjourn",
        ["2", "--to", "2026-09-15", "--reason", "Parent unwell"],
        TODAY,
        {"reviews", "review_changes"},
        "C001",
    ),
    (
        "review cancel",
        ["2", "--reason", "Booked in error"],
        TODAY,
        {"reviews", "review_changes"},
        "C001",
    ),
    (
        "review direct",
        ["C001", "--by", "2026-07-20", "--reason", "Placement at risk"],
        TODAY,
        {"directions"},
        "C001",
    ),
    ("policy set", ["authority-name", "Northshire"], TODAY, {"policy"}, None),
    (
        "episode end",
        ["C002", "--date", "2026-06-30"],
        TODAY,
        {"episodes", "periods", "allocations"},
        "C002",
    ),
]


def test_every_write_command_is_audited_with_user_command_row_and_values(world: Cli):
    user = os_user()
    for command, args, today, tables, child in WRITES:
        before_id = max_audit_id(world.db)
        world.ok(*command.split(), *args, today=today)
        rows = audit_since(world.db, before_id)
        path = f"reviewcli {command}"
        assert rows, f"'{path}' left no audit rows"
        assert {r["table_name"] for r in rows} >= tables, (path, rows)
        for r in rows:
            assert r["user"] == user, r
            assert r["command"] == path, r
            assert r["row_key"] not in (None, ""), r
            assert r["at"].endswith("Z"), r
            before = json.loads(r["before"]) if r["before"] else None
            after = json.loads(r["after"]) if r["after"] else None
            if r["action"] == "insert":
                assert before is None and after, r
            elif r["action"] == "update":
                assert before and after and before != after, r
            else:
                assert before and after is None, r
            if child and r["table_name"] not in ("iros", "policy"):
                assert r["child_id"] == child, r
    # Nothing is left in the per-transaction context once a command has finished.
    assert query(world.db, "SELECT COUNT(*) FROM _context") == [(0,)]
    assert_check_passes(world)


def test_an_update_records_the_values_before_and_after(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-18", today="2026-06-01")
    mark = max_audit_id(world.db)
    world.ok("review", "reschedule", "1", "--date", "2026-06-19", today="2026-06-01")
    [row] = [r for r in audit_since(world.db, mark) if r["table_name"] == "reviews"]
    assert row["action"] == "update" and row["row_key"] == "1"
    assert json.loads(row["before"])["booked_date"] == "2026-06-18"
    assert json.loads(row["after"])["booked_date"] == "2026-06-19"
    shown = world.json("audit", "--child", "C001")
    [entry] = [r for r in shown if r["id"] == row["id"]]
    assert entry["changes"]["booked_date"] == ["2026-06-18", "2026-06-19"]


def test_audit_filters_by_child_and_since(world: Cli):
    world.ok(
        "child", "add", "C002", "--first-name", "Ben", "--last-name", "Bell", "--dob", "2012-04-05"
    )
    every = world.json("audit")
    assert {r["child_id"] for r in every} >= {"C001", "C002"}
    mine = world.json("audit", "--child", "C001")
    assert mine and all(r["child_id"] == "C001" for r in mine)
    assert [r["id"] for r in mine] == sorted(r["id"] for r in mine)
    assert {r["command"] for r in mine} >= {
        "reviewcli child add",
        "reviewcli episode start",
        "reviewcli allocate",
    }
    assert "no child with id 'NOBODY'" in world.refused("audit", "--child", "NOBODY")
    # --since compares with the moment of writing (UTC), not REVIEWCLI_TODAY.
    now = datetime.now(timezone.utc).date()
    assert len(world.json("audit", "--since", (now - timedelta(days=1)).isoformat())) == len(every)
    assert world.json("audit", "--since", (now + timedelta(days=2)).isoformat()) == []
    assert len(world.json("audit", "--limit", "2")) == 2
    assert "--since" in world.refused("audit", "--since", "yesterday")
    # CSV and table forms work too.
    rows = list(csv.reader(io.StringIO(world.ok("audit", "--format", "csv").stdout)))
    assert rows[0][:3] == ["at", "user", "command"] and len(rows) == len(every) + 1
    assert "child add" in world.ok("audit", "--child", "C002").stdout


def test_the_audit_trail_is_append_only(world: Cli):
    conn = sqlite3.connect(world.db)
    try:
        n = conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        assert n > 0
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit SET user = 'someone else'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit WHERE id = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
        conn.commit()
        assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == n
    finally:
        conn.close()


def test_a_direct_sql_write_is_still_audited(world: Cli):
    mark = max_audit_id(world.db)
    conn = sqlite3.connect(world.db)
    with conn:
        conn.execute("UPDATE children SET last_name = 'Changed' WHERE id = 'C001'")
    conn.close()
    [row] = audit_since(world.db, mark)
    assert row["table_name"] == "children" and row["action"] == "update"
    assert json.loads(row["before"])["last_name"] == "Ash"
    assert json.loads(row["after"])["last_name"] == "Changed"


REFUSED = [
    "child add C001 --first-name A --last-name B --dob 2015-01-01",
    "episode start C001 --date 2026-06-01",
    "episode start NOBODY --date 2026-06-01",
    "allocate C001 IRO1",
    "review schedule C001 --date 2026-02-30",
    "review hold 99",
    "policy set month-mode weekly",
    "decision done 1",
]


@pytest.mark.parametrize("command", REFUSED)
def test_a_refused_command_adds_no_audit_rows(world: Cli, command):
    mark = max_audit_id(world.db)
    world.refused(*command.split())  # the whole database, audit included, is unchanged
    assert max_audit_id(world.db) == mark


def test_a_late_hold_without_a_reason_adds_no_audit_rows(world: Cli):
    world.ok("review", "schedule", "C001", "--date", "2026-06-24", today="2026-06-01")
    mark = max_audit_id(world.db)
    assert "R-SCH-15" in world.refused("review", "hold", "1", "--participation", "PN1")
    assert max_audit_id(world.db) == mark


def test_a_failure_half_way_through_a_write_leaves_no_rows_and_no_audit(world: Cli, monkeypatch):
    """A bug striking after the first INSERT: the transaction, audit rows included, is undone."""

    def broken(self, period_id):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "refresh_period", broken)
    world.ok("child", "add", "C002", "--first-name", "B", "--last-name", "B", "--dob", "2014-01-01")
    before = snapshot_db(world.db)
    result = world("episode", "start", "C002", "--date", "2026-06-01")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ") and "Nothing was changed" in result.stderr
    assert snapshot_db(world.db) == before


# --- 2. backup --------------------------------------------------------------------------------


def test_backup_is_private_complete_and_verified(world: Cli, tmp_path: Path):
    held_world(world)
    world.ok("decision", "add", "1", "Keep contact", "--owner", "SW", "--due", "2026-08-01")
    dest = tmp_path / "copy.db"
    out = world.json("backup", str(dest))
    assert out["verified"] is True and out["rows"]["children"] == 1
    assert private(dest)
    assert not dest.with_name("copy.db.partial").exists()
    assert query(dest, "PRAGMA integrity_check") == [("ok",)]
    assert query(dest, "PRAGMA journal_mode") == [("delete",)]
    # The same schema and rows as the database, every table including the audit trail.
    assert snapshot_db(dest) == snapshot_db(world.db)
    line = world.line("backup", str(tmp_path / "copy2.db"))
    assert "verified" in line


def test_backup_refuses_an_existing_file_unless_forced(world: Cli, tmp_path: Path):
    dest = tmp_path / "old.db"
    dest.write_text("yesterday's backup")
    dest.chmod(0o644)
    message = world.refused("backup", str(dest))
    assert "already exists" in message and "--force" in message
    assert dest.read_text() == "yesterday's backup"
    world.ok("backup", str(dest), "--force")
    assert private(dest)
    assert snapshot_db(dest) == snapshot_db(world.db)


def test_backup_refusals(world: Cli, tmp_path: Path):
    assert "does not exist" in world.refused("backup", str(tmp_path / "nowhere" / "b.db"))
    assert "folder" in world.refused("backup", str(tmp_path), "--force")
    assert "database itself" in world.refused("backup", str(world.db), "--force")
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


class _CommitAfterCopy:
    """The source connection, with another admin committing right after the page copy."""

    def __init__(self, conn: sqlite3.Connection, db: Path):
        self._conn, self._db = conn, db

    def backup(self, target, **kw):
        self._conn.backup(target, **kw)
        with Store(self._db, command="reviewcli child add") as other:
            add_child(
                other, "C900", first_name="Late", last_name="Comer", dob="2016-01-01",
                today=date(2026, 7, 1),
            )  # fmt: skip

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __enter__(self):
        return self._conn.__enter__()

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)


def test_backup_is_not_refused_when_another_admin_commits_during_it(world: Cli, tmp_path):
    dest = tmp_path / "copy.db"
    with Store(world.db) as s:
        s.conn = _CommitAfterCopy(s.conn, world.db)
        result = maintenance.backup(s, dest)
    assert result["verified"] and result["rows"]["children"] == 1
    assert query(dest, "PRAGMA integrity_check") == [("ok",)]


def _assert_consistent_copy(run: Cli, copy: Path, tmp_path: Path) -> int:
    assert private(copy)
    assert query(copy, "PRAGMA integrity_check") == [("ok",)]
    assert query(copy, "PRAGMA foreign_key_check") == []
    children = count(copy, "children")
    audited = query(
        copy, "SELECT COUNT(*) FROM audit WHERE table_name = 'children' AND action = 'insert'"
    )[0][0]
    assert children == audited, "a child without its audit row: the copy is torn"
    scratch = tmp_path / f"scratch-{copy.name}"
    shutil.copy2(copy, scratch)
    assert_check_passes(run, scratch)
    return children


def test_backup_while_another_process_writes(world: Cli, tmp_path: Path, writer_script: Path):
    go = tmp_path / "go"
    writer = start_writer(writer_script, world.db, "W", 25, go)
    go.touch()
    outcomes = []
    try:
        for i in range(40):
            if writer.poll() is not None and i >= 3:
                break
            result = world("backup", str(tmp_path / f"b{i}.db"))
            assert "Traceback" not in result.output and "unexpected" not in result.stderr
            outcomes.append((i, result))
            time.sleep(0.05)
    finally:
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert "locked" not in err and "Traceback" not in err
    for i, result in outcomes:
        copy = tmp_path / f"b{i}.db"
        if result.exit_code == 0:
            n = _assert_consistent_copy(world, copy, tmp_path)
            assert 1 <= n <= 26
        else:  # the known refusal (see the xfail above): clear, and nothing left behind
            assert_refused(result)
            assert "run the backup again" in result.stderr
            assert not copy.exists() and not copy.with_name(copy.name + ".partial").exists()
    # Once the writer is done, a backup holds everything it wrote.
    final = tmp_path / "final.db"
    world.ok("backup", str(final))
    assert _assert_consistent_copy(world, final, tmp_path) == 26
    assert_check_passes(world)


# --- 3. check ---------------------------------------------------------------------------------


def test_check_on_a_healthy_database(world: Cli):
    held_world(world)
    result = world.ok("check")
    assert "No problems found" in result.stdout
    assert world.json("check") == []


def test_check_reports_each_stage_as_it_starts(world: Cli):
    """A national database takes a minute to check: the progress bar names each stage."""
    held_world(world)
    seen: list[tuple[int, int, str]] = []
    with Store(world.db) as s:
        problems = maintenance.check(s, date.fromisoformat(TODAY), lambda *a: seen.append(a))
    assert problems == []
    assert [done for done, _, _ in seen] == list(range(len(seen)))
    assert {total for _, total, _ in seen} == {len(seen) - 1}
    assert seen[0][2] == "Checking the file's integrity"
    assert seen[-2][2] == "Checking the audit trail" and seen[-1][2] == "Checked"


def _two_held_reviews(world: Cli) -> None:
    held_world(world)
    world.ok("review", "schedule", "C001", "--date", "2026-09-10", today="2026-07-01")
    world.ok("review", "hold", "2", "--participation", "PN1", today="2026-09-10")


CORRUPTIONS = {
    "held-outside-period": (
        ["UPDATE reviews SET recording_date = '2026-05-01', held_date = '2026-05-01' WHERE id = 1"],
        ["review 1 of C001 was recorded on 2026-05-01, outside its period of care"],
    ),
    "two-open-periods": (
        [
            "DROP INDEX periods_one_open",
            "INSERT INTO periods (child_id, start_date) VALUES ('C001', '2026-06-25')",
        ],
        ["child C001 has 2 open periods of care"],
    ),
    "numbering-gap": (
        ["UPDATE reviews SET number = 3 WHERE id = 2"],
        ["review 2 of C001 is numbered 3, but is review 2 of its period"],
    ),
    "stale-deadline": (
        ["UPDATE periods SET next_due = '2030-01-01' WHERE child_id = 'C001'"],
        ["1 stored next-review deadlines of periods of care differ", "check --repair"],
    ),
    "pn0-for-an-11-year-old": (
        ["UPDATE reviews SET participation = 'PN0' WHERE id = 1"],
        ["review 1 has PN0 for a child aged 11"],
    ),
    "audit-trigger-dropped": (
        ["DROP TRIGGER audit_append_only_delete"],
        ["append-only trigger is missing"],
    ),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_check_reports_each_broken_invariant_in_plain_words(world: Cli, name):
    _two_held_reviews(world)
    statements, expected = CORRUPTIONS[name]
    conn = sqlite3.connect(world.db)
    with conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()
    result = world("check", "--format", "json")
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)
    text = "\n".join(p["problem"] for p in problems)
    for phrase in expected:
        assert phrase in text, text
    table = world("check")
    assert table.exit_code == 1 and "Traceback" not in table.output
    assert "problems" in table.stdout
    # The derived rows, at least, are rebuilt (the fixture checks them afterwards).
    assert "Traceback" not in world("check", "--repair").output


def test_check_repair_fixes_a_stale_deadline(world: Cli):
    held_world(world)
    conn = sqlite3.connect(world.db)
    with conn:
        conn.execute("UPDATE periods SET next_due = '2030-01-01', next_rule = 'R-SCH-3'")
    conn.close()
    assert world("check").exit_code == 1
    result = world.ok("check", "--repair")
    assert "Recomputed" in result.stderr and "No problems found" in result.stdout
    assert world.ok("check").exit_code == 0
    assert world.json("child", "show", "C001")["next_review"]["due"] == "2026-09-18"


# --- 4. concurrency -------------------------------------------------------------------------

CLI_WORKERS = 2
WRITERS, CHILDREN_EACH = 4, 8  # 1 + 8 * 3 = 25 writes each


def _cli_worker(db: Path, tag: str, results: list) -> None:
    cid = f"{tag}-CLI"
    for args in (
        ["child", "add", cid, "--first-name", "Cli", "--last-name", tag, "--dob", "2014-02-02"],
        ["episode", "start", cid, "--date", "2026-06-02", "--legal-status", "C2"],
        ["allocate", cid, "IRO1", "--date", "2026-06-02"],
        ["review", "schedule", cid, "--date", "2026-06-29"],
    ):
        done = subprocess.run(
            [*cli_command(), *args],
            capture_output=True,
            text=True,
            env=process_env(db),
            timeout=60,
        )
        results.append((args, done.returncode, done.stderr))


def test_several_admins_writing_at_once_lose_nothing(world: Cli, tmp_path, writer_script):
    go = tmp_path / "go"
    writers = [
        start_writer(writer_script, world.db, f"W{n}", CHILDREN_EACH, go) for n in range(WRITERS)
    ]
    cli_results: list = []
    threads = [
        threading.Thread(target=_cli_worker, args=(world.db, f"K{n}", cli_results))
        for n in range(CLI_WORKERS)
    ]
    started = time.monotonic()
    go.touch()
    for t in threads:
        t.start()
    outputs = [w.communicate(timeout=90) for w in writers]
    for t in threads:
        t.join(timeout=90)
    elapsed = time.monotonic() - started
    for w, (_out, err) in zip(writers, outputs, strict=True):
        assert w.returncode == 0, err
        assert_no_crash_text(err)
    assert len(cli_results) == CLI_WORKERS * 4
    for args, code, err in cli_results:
        assert code == 0, (args, err)
        assert_no_crash_text(err)

    conn = sqlite3.connect(world.db)
    try:
        for n in range(WRITERS):
            tag = f"W{n}"
            kids = conn.execute(
                "SELECT COUNT(*) FROM children c JOIN periods p ON p.child_id = c.id "
                "JOIN allocations a ON a.child_id = c.id AND a.iro_id = ? "
                "WHERE c.id LIKE ? AND p.end_date IS NULL AND a.end_date IS NULL",
                [f"IRO-{tag}", f"{tag}-%"],
            ).fetchone()[0]
            assert kids == CHILDREN_EACH, tag
        for n in range(CLI_WORKERS):
            cid = f"K{n}-CLI"
            assert conn.execute(
                "SELECT COUNT(*) FROM reviews WHERE child_id = ? AND status = 'booked'", [cid]
            ).fetchone() == (1,)
        total = 1 + WRITERS * CHILDREN_EACH + CLI_WORKERS
        assert conn.execute("SELECT COUNT(*) FROM children").fetchone() == (total,)
        # Every write left its audit rows, with its command.
        assert conn.execute(
            "SELECT COUNT(*) FROM audit WHERE table_name = 'children' AND action = 'insert'"
        ).fetchone() == (total,)
        assert conn.execute(
            "SELECT COUNT(*) FROM audit WHERE command = 'reviewcli allocate' "
            "AND table_name = 'allocations'"
        ).fetchone() == (1 + WRITERS * CHILDREN_EACH + CLI_WORKERS,)
    finally:
        conn.close()
    assert_check_passes(world)
    assert elapsed < 60


def test_several_admins_opening_a_new_database_at_once(run: Cli, tmp_path: Path):
    db = tmp_path / "new.db"
    procs = [
        subprocess.Popen(
            [*cli_command(), "--db", str(db), "init"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=process_env(db),
        )
        for _ in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert_no_crash_text(err)
    assert private(db)
    applied = query(db, "SELECT name FROM _migrations ORDER BY name")
    assert len(applied) == len(set(applied)) > 0
    assert_check_passes(run, db)


def test_two_admins_changing_the_same_child_at_once_keep_a_valid_history(world: Cli):
    """A write command holds the write lock from its first check to its last write (the
    CLI runs each write command inside one BEGIN IMMEDIATE transaction), so another
    admin's change cannot land between the checks and the write: it waits its turn."""
    from reviewcli.cli.common import STATE, writing
    from reviewcli.records import change_episode

    today = date(2026, 7, 1)
    second = Store(world.db, command="reviewcli episode change")
    second.conn.execute("PRAGMA busy_timeout = 100")  # give up quickly instead of queueing
    STATE["db"] = world.db
    try:
        with writing() as first:
            # The other admin tries to commit while this command is between its checks
            # and its write: the lock makes it wait (here: give up), never interleave.
            with pytest.raises(ReviewError, match="the database is busy"):
                change_episode(second, "C001", on="2026-06-10", today=today, placement="U4")
            change_episode(first, "C001", on="2026-06-20", today=today, placement="U5")
        # Its turn now: it is checked against the history as it stands, and refused
        # because a change on 10 June is not after the current episode (20 June).
        with pytest.raises(ReviewError, match="not after the current episode"):
            change_episode(second, "C001", on="2026-06-10", today=today, placement="U4")
    finally:
        STATE["db"] = None
        second.close()
    assert_check_passes(world)


# --- 5. crash safety ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ssda903_folder(tmp_path_factory) -> Path:
    """A demo authority's whole history as an SSDA903 return, 8 times over (480 children)."""
    folder = tmp_path_factory.mktemp("ssda903")
    source = folder / "source.db"
    cli = Cli(source)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REVIEWCLI_TODAY", TODAY)
        mp.delenv("REVIEWCLI_DB", raising=False)
        cli.ok("--db", str(source), "demo", "--children", "60")
        cli.ok(
            "--db", str(source), "export", "ssda903", "--all-years", "--out", str(folder / "one")
        )
    out = folder / "return"
    out.mkdir()
    for name in ("header.csv", "episodes.csv", "reviews.csv"):
        with open(folder / "one" / name, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        with open(out / name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(rows[0])
            for copy in range(8):
                w.writerows([f"{r[0]}-{copy}", *r[1:]] for r in rows[1:])
    return out


# A command run in a process that kills itself (SIGKILL, as a power cut or an OOM kill
# would) at a chosen point inside its write transaction: "progress:F" at the first progress
# report past the fraction F of the work once the transaction is open, "commit" with every
# write done just before COMMIT. The point is chosen, not timed, so the test gives the same
# result on a loaded machine as on an idle one.
KILLER = r"""
import contextlib, os, signal, sys
from reviewcli import store
from reviewcli.cli import common

point = sys.argv[1]
writing = []
original = store.Store.write


@contextlib.contextmanager
def write(self):
    with original(self) as s:
        writing.append(True)
        yield s


def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)


def progress(self, done, total, description=None):
    if writing and point.startswith("progress:") and total:
        if done >= max(1, int(total * float(point.split(":")[1]))):
            die()


store.Store.write = write
common._NoProgress.__call__ = progress
if point == "commit":
    store.Store._seal_audit = die
sys.argv = ["reviewcli", *sys.argv[2:]]
from reviewcli.cli import main

main()
"""


def _killed_at(db: Path, point: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``reviewcli --db DB ARGS`` in a process that kills itself at ``point``."""
    return subprocess.run(
        [sys.executable, "-c", KILLER, point, "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=process_env(db),
        timeout=300,
    )


def test_import_killed_at_any_point_leaves_the_database_as_it_was(
    run: Cli, templates, ssda903_folder: Path, tmp_path: Path
):
    # First a complete import, to know what a finished one gives.
    full = tmp_path / "full.db"
    shutil.copy2(templates["world"], full)
    done = subprocess.run(
        [*cli_command(), "--db", str(full), "import", "ssda903", str(ssda903_folder)],
        capture_output=True,
        text=True,
        env=process_env(full),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert count(full, "children") == 481
    commands = {r[0] for r in query(full, "SELECT DISTINCT command FROM audit")}
    assert "reviewcli import ssda903" in commands
    assert_check_passes(run, full)

    for i, point in enumerate(("progress:0.05", "progress:0.5", "progress:0.95", "commit")):
        db = tmp_path / f"killed{i}.db"
        shutil.copy2(templates["world"], db)
        before = snapshot_db(db)
        killed = _killed_at(db, point, "import", "ssda903", str(ssda903_folder))
        assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr)
        assert snapshot_db(db) == before, f"a partial import when killed at {point}"
        assert_check_passes(run, db)
        assert snapshot_db(db) == before, "check changed the database"


def test_demo_killed_at_any_point_leaves_no_children(run: Cli, tmp_path: Path):
    for i, point in enumerate(("progress:0.1", "progress:0.6", "commit")):
        db = tmp_path / f"demo{i}.db"
        killed = _killed_at(db, point, "demo", "--children", "400")
        assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr)
        assert query(db, "SELECT 1 FROM sqlite_master WHERE name = 'children'")
        assert count(db, "children") == 0, f"a partial demo when killed at {point}"
        assert count(db, "reviews") == 0
        assert_check_passes(run, db)
        # The file is still usable for the demo it was meant to hold.
        run.ok("--db", str(db), "demo", "--children", "3")
        assert count(db, "children") == 3
        assert private(db)


# --- 7. safe outputs ----------------------------------------------------------------------------

HOSTILE_CELLS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
]


def _unsafe_cells(text: str) -> list[str]:
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if not cell:
                continue
            if cell[0] in FORMULA_STARTS or ord(cell[0]) < 32:
                try:
                    float(cell)
                except ValueError:
                    bad.append(cell)
    return bad


def _hostile_children(world: Cli) -> None:
    for n, value in enumerate(HOSTILE_CELLS):
        cid = f"H{n}"
        world.ok(
            "child", "add", cid, "--first-name", value, "--last-name", value, "--dob", "2014-01-01",
            "--team", value, "--social-worker", value,
        )  # fmt: skip
        world.ok("episode", "start", cid, "--date", "2026-06-25")
    # A child id that looks like a formula is refused on entry now, but a database from
    # before may hold one: its listings must still be safe.
    assert "formula" in world.refused(
        "child", "add", "=1+2", "--first-name", "@A", "--last-name", "-B", "--dob", "2014-01-01"
    )
    conn = sqlite3.connect(world.db)
    with conn:
        conn.execute(
            "INSERT INTO children (id, first_name, last_name, dob, created_at) "
            "VALUES ('=1+2', '@A', '-B', '2014-01-01', '2026-06-25T00:00:00+00:00')"
        )
    conn.close()
    world.ok("episode", "start", "=1+2", "--date", "2026-06-25")


def test_csv_listings_neutralise_formula_injection(world: Cli):
    _hostile_children(world)
    held_world(world)
    world.ok(
        "decision",
        "add",
        "1",
        '=WEBSERVICE("http://x")',
        "--owner",
        "@owner",
        "--due",
        "2026-07-05",
    )
    due = world.ok("due", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(due)))
    names = {r["child_id"]: r["name"] for r in rows}
    for n, value in enumerate(HOSTILE_CELLS):
        assert names[f"H{n}"] == f"'{value} {value}"
    assert "'=1+2" in names
    assert _unsafe_cells(due) == []
    listings = [
        ("child", "list"),
        ("review", "list"),
        ("actions", "--status", "all"),
        ("audit",),
        ("iro", "list"),
    ]
    for args in listings:
        text = world.ok(*args, "--format", "csv").stdout
        assert _unsafe_cells(text) == [], args
    children = list(
        csv.DictReader(io.StringIO(world.ok("child", "list", "--format", "csv").stdout))
    )
    assert {r["first_name"] for r in children} >= {f"'{v}" for v in HOSTILE_CELLS}
    # JSON stays exact: the quote is only for spreadsheets.
    assert world.json("child", "show", "H0")["first_name"] == HOSTILE_CELLS[0]


def test_a_carriage_return_in_a_stored_record_does_not_split_a_csv_row(world: Cli):
    # Input refuses carriage returns; an older record or a hand-edited database may hold
    # them. The csv module leaves a lone "\r" unquoted when rows end in "\n".
    held_world(world)
    conn = sqlite3.connect(world.db)
    with conn:
        conn.execute(
            "UPDATE children SET first_name = 'Ann\rMarie', team = 'East\r\nTwo' WHERE id = 'C001'"
        )
    conn.close()
    exports = [
        ("due", "--format", "csv"),
        ("child", "list", "--format", "csv"),
        ("report", "monthly", "--month", "2026-06", "--format", "csv"),
    ]
    for args in exports:
        text = world.ok(*args).stdout
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len({len(row) for row in rows}) == 1, args
        assert "\r" not in text, args
    children = list(
        csv.DictReader(io.StringIO(world.ok("child", "list", "--format", "csv").stdout))
    )
    [ann] = [r for r in children if r["id"] == "C001"]
    assert (ann["first_name"], ann["team"]) == ("Ann\nMarie", "East\nTwo")
    due = list(csv.DictReader(io.StringIO(world.ok("due", "--format", "csv").stdout)))
    assert {r["name"] for r in due if r["child_id"] == "C001"} == {"Ann\nMarie Ash"}
    assert {r["team"] for r in due if r["child_id"] == "C001"} == {"East\nTwo"}
    # JSON keeps the record exactly as stored.
    assert world.json("child", "show", "C001")["first_name"] == "Ann\rMarie"


def test_csv_written_to_a_file_is_neutralised_and_private(world: Cli, tmp_path: Path):
    _hostile_children(world)
    out = tmp_path / "due.csv"
    world.ok("due", "--format", "csv", "--out", str(out))
    assert private(out)
    assert _unsafe_cells(out.read_text(encoding="utf-8")) == []


def test_monthly_report_csv_is_neutralised(world: Cli):
    _hostile_children(world)
    held_world(world)
    text = world.ok("report", "monthly", "--month", "2026-06", "--format", "csv").stdout
    assert _unsafe_cells(text) == []


def test_the_rejects_csv_of_an_import_is_neutralised(initialised: Cli, tmp_path: Path):
    folder = tmp_path / "return"
    folder.mkdir()
    (folder / "header.csv").write_text(
        'CHILD,SEX,DOB\n"=HYPERLINK(""http://x"")",1,not-a-date\n"@SUM(A1)",1,31/02/2015\n'
    )
    (folder / "episodes.csv").write_text("CHILD,DECOM,RNE,LS,PLACE\n")
    (folder / "reviews.csv").write_text("CHILD,REVIEW\n")
    rejects = tmp_path / "rejects.csv"
    result = initialised("import", "ssda903", str(folder), "--rejects", str(rejects))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert private(rejects)
    assert _unsafe_cells(rejects.read_text(encoding="utf-8")) == []


def test_html_work_list_escapes_names_and_settings(world: Cli):
    script = "<script>alert(1)</script>"
    world.ok(
        "child",
        "add",
        "X1",
        "--first-name",
        script,
        "--last-name",
        '"><img src=x onerror=alert(2)>',
        "--dob",
        "2014-01-01",
    )
    world.ok("episode", "start", "X1", "--date", "2026-06-25")
    world.ok("policy", "set", "authority-name", "<b>Evil</b> & Co")
    html = world.ok("due", "--format", "html").stdout
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "<b>Evil</b>" not in html and "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in html


def test_html_monthly_report_escapes_names(world: Cli):
    world.ok("policy", "set", "authority-name", "<script>alert(1)</script>")
    held_world(world)
    html = world.ok("report", "monthly", "--month", "2026-06", "--format", "html").stdout
    assert "<script>alert" not in html


def test_database_and_its_journal_files_are_private(run: Cli):
    run.ok("init")
    assert private(run.db)
    with Store(run.db) as s:
        add_child(s, "P1", first_name="A", last_name="B", dob="2015-01-01", today=date(2026, 7, 1))
        for suffix in ("-wal", "-shm"):
            extra = Path(f"{run.db}{suffix}")
            if extra.exists():
                assert private(extra), suffix


def test_a_database_others_can_read_gives_a_warning_but_works(world: Cli):
    world.db.chmod(0o644)
    result = world.ok("child", "show", "C001", "--format", "json")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings and "chmod 600" in warnings[0]
    assert json.loads(result.stdout)["id"] == "C001"  # stdout stays clean JSON
    world.db.chmod(0o600)
    assert "Warning" not in world.ok("child", "list").stderr


def test_demo_and_backup_files_are_private(run: Cli, tmp_path: Path):
    run.ok("demo", "--children", "3")
    assert private(run.db)
    run.ok("backup", str(tmp_path / "b.db"))
    assert private(tmp_path / "b.db")


def test_os_user_is_the_login_name():
    assert os_user() == getpass.getuser()
