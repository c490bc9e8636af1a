"""Issue 14, "safe at the edges": each attack on the files around the database, the order of
commit and report, the messages of an incident, the audit trail, the database's version,
a team sharing one database, and the smaller holes, as a test that now passes.

The ``world`` fixture (conftest.py): IRO1, and C001 Amy Ash (born 2015-03-02) looked after
from 22 May 2026, first review due by 22 June 2026; today is 1 July 2026.
"""

from __future__ import annotations

import csv
import grp
import hashlib
import io
import json
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TODAY, Cli, assert_refused
from reviewcli import dbfile, files, sharing
from reviewcli.errors import ReviewError

# --- helpers ----------------------------------------------------------------------------------


def fingerprint(db: Path) -> dict[str, str | None]:
    """The bytes of the database and its companion files, hashed: 'nothing touched'."""
    out = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{db}{suffix}")
        out[suffix] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    return out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def query(path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def tamper(db: Path, *statements: str) -> None:
    """Change the file directly, as someone with write access to it could."""
    conn = sqlite3.connect(db)
    try:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def problems(run: Cli) -> str:
    result = run("check", "--format", "json")
    assert result.exit_code == 1, result.output
    return "\n".join(p["problem"] for p in json.loads(result.stdout))


def dead_pid() -> int:
    """The id of a process that has finished."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def held_late(world: Cli, reason: str) -> None:
    """Review 1 of C001 held on 25 June 2026, after its 22 June deadline, for ``reason``."""
    world.ok("review", "schedule", "C001", "--date", "2026-06-25", today="2026-06-01")
    world.ok(
        "review", "hold", "1", "--participation", "PN1", "--late-reason", reason,
        today="2026-06-25",
    )  # fmt: skip


# --- 1. one safe way to write a file ----------------------------------------------------------


def _bad_rows_csv(folder: Path) -> Path:
    path = folder / "children.csv"
    path.write_text("CHILD_ID,FIRST_NAME,LAST_NAME,DOB\nX1,Ann,Bee,not-a-date\n")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["report", "monthly", "--month", "2026-06", "--format", "csv", "--out", "{db}"],
        ["due", "--format", "csv", "--out", "{db}"],
        ["due", "--format", "json", "--out", "{db}-wal"],
        ["due", "--format", "csv", "--out", "{db}-shm"],
        ["report", "monthly", "--month", "2026-06", "--format", "xlsx", "--out", "{db}"],
        ["backup", "{db}", "--force"],
    ],
    ids=["report-csv", "due-csv", "due-wal", "due-shm", "report-xlsx", "backup"],
)
def test_an_output_naming_the_database_is_refused_and_nothing_is_touched(world: Cli, args):
    before = fingerprint(world.db)
    message = world.refused(*[a.format(db=world.db) for a in args])
    assert "in use; an output must not replace it" in message
    assert fingerprint(world.db) == before


def test_rejects_naming_the_database_are_refused(world: Cli, tmp_path: Path):
    before = fingerprint(world.db)
    result = world("import", "children", str(_bad_rows_csv(tmp_path)), "--rejects", str(world.db))
    assert result.exit_code == 1
    assert "the database itself" in result.stderr
    assert fingerprint(world.db) == before
    assert world.json("child", "list") and True  # still a working database


def test_a_hard_link_or_a_path_through_a_linked_folder_to_the_database_is_refused(
    world: Cli, tmp_path: Path
):
    hard = tmp_path / "looks-harmless.csv"
    os.link(world.db, hard)
    linked_folder = tmp_path / "exports"
    linked_folder.symlink_to(tmp_path)
    before = fingerprint(world.db)
    for target in (hard, linked_folder / world.db.name):
        message = world.refused("due", "--format", "csv", "--out", str(target))
        assert "the database" in message, message
    assert fingerprint(world.db) == before


def test_a_symlink_planted_in_an_export_folder_is_not_followed(world: Cli, tmp_path: Path):
    """A link planted as header.csv in a shared export folder must not turn the export
    into an overwrite of the database (it did: 25 MB became 101 KB of CSV)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "header.csv").symlink_to(world.db)
    before = fingerprint(world.db)
    message = world.refused("export", "ssda903", "--year", "2026", "--out", str(folder))
    assert "symbolic link" in message
    assert fingerprint(world.db) == before
    assert (folder / "header.csv").is_symlink()


def test_a_symlink_at_any_output_path_is_refused_whatever_it_points_at(world: Cli, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me")
    link = tmp_path / "due.csv"
    link.symlink_to(elsewhere)
    assert "symbolic link" in world.refused("due", "--format", "csv", "--out", str(link))
    assert "symbolic link" in world.refused(
        "report", "monthly", "--month", "2026-06", "--format", "md", "--out", str(link)
    )
    assert elsewhere.read_text() == "keep me"


def test_another_sqlite_database_such_as_a_backup_is_not_overwritten_by_a_report(
    world: Cli, tmp_path: Path
):
    backup = tmp_path / "monday.db"
    world.ok("backup", str(backup))
    kept = backup.read_bytes()
    message = world.refused("due", "--format", "csv", "--out", str(backup))
    assert "is a SQLite database" in message
    assert backup.read_bytes() == kept
    world.ok("backup", str(backup), "--force")  # a backup may replace a backup on purpose


def test_a_failed_output_leaves_the_old_file_and_no_partial_file(
    world: Cli, tmp_path: Path, monkeypatch
):
    from reviewcli.cli import due

    out = tmp_path / "due.csv"
    out.write_text("yesterday's list\n")

    def fails_half_way(s, day, within, filters, stream):
        stream.write("child_id,due\nC001,2026-06-22\n")
        raise OSError(28, "No space left on device", str(out))

    monkeypatch.setattr(due, "_write_csv", fails_half_way)
    result = world("due", "--format", "csv", "--out", str(out))
    assert_refused(result)
    assert "the disk is full" in result.stderr
    assert out.read_text() == "yesterday's list\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "due" in p.name) == ["due.csv"]


def test_open_private_writes_whole_or_not_at_all():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.txt"
        with files.open_private(path) as f:
            f.write("one\n")
        assert path.read_text() == "one\n" and mode(path) == 0o600
        with pytest.raises(RuntimeError), files.open_private(path) as f:
            f.write("two, half-")
            raise RuntimeError("interrupted")
        assert path.read_text() == "one\n"
        assert os.listdir(folder) == ["out.txt"]
        with files.open_private(path, "wb", encoding=None) as f:
            f.write(b"\x00binary")
        assert path.read_bytes() == b"\x00binary"


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(world: Cli, tmp_path: Path):
    folder = tmp_path / "letters"
    folder.mkdir()
    pid = dead_pid()
    temp = folder / f".due.csv.reviewcli-{pid}-0badf00d.tmp"
    temp.write_text("half a list of children")
    staging = folder / f".staging.reviewcli-{pid}-0badf00d"
    staging.mkdir()
    (staging / "letter.html").write_text("a letter with personal data")
    mine = folder / f".other.csv.reviewcli-{os.getpid()}-00000000.tmp"  # a live run's
    mine.write_text("in progress")
    files._cleaned.discard(os.path.realpath(folder))
    assert set(files.leftovers(folder)) == {temp, staging}
    world.ok("due", "--format", "csv", "--out", str(folder / "due.csv"))
    assert not temp.exists() and not staging.exists()
    assert mine.exists()
    assert (folder / "due.csv").read_text().startswith("kind,")


def test_folders_the_tool_creates_are_private(world: Cli, tmp_path: Path):
    out = tmp_path / "new" / "return"
    world.ok("export", "ssda903", "--year", "2026", "--out", str(out))
    assert mode(out) == 0o700 and mode(out.parent) == 0o700
    assert all(mode(p) == 0o600 for p in out.iterdir())


# --- 2. success only after the commit ---------------------------------------------------------


class _FullAtCommit(sqlite3.Connection):
    """A connection whose COMMIT fails as it does on a full disk."""

    def execute(self, sql, *args):
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_commit_that_fails_prints_no_success(world: Cli, monkeypatch, fmt):
    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **kw: connect(*a, factory=_FullAtCommit, **kw)
    )
    result = world(
        "child", "add", "C777", "--first-name", "Zed", "--last-name", "Ray",
        "--dob", "2016-01-01", "--format", fmt,
    )  # fmt: skip
    monkeypatch.setattr(sqlite3, "connect", connect)
    assert_refused(result)  # exit 1, one Error line, nothing on stdout
    assert "disk holding" in result.stderr and "is full" in result.stderr
    assert "rollback" not in result.stderr
    assert query(world.db, "SELECT COUNT(*) FROM children WHERE id = 'C777'") == [(0,)]


# --- 3. the real cause, named -----------------------------------------------------------------


@pytest.mark.parametrize(
    "error, situation, expected",
    [
        ("database or disk is full", {}, "is full: nothing was saved"),
        ("attempt to write a readonly database", {"fs": True}, "mounted read-only"),
        ("attempt to write a readonly database", {"file": True}, "file"),
        ("attempt to write a readonly database", {"folder": True}, "folder"),
        ("unable to open database file", {"unreadable": True}, "may not read"),
        ("database is locked", {}, "the database is busy"),
        ("file is not a database", {}, "not a SQLite database"),
        ("database disk image is malformed", {}, "is damaged"),
        ("disk I/O error", {}, "input/output error"),
    ],
)
def test_each_incident_has_its_own_message(tmp_path, monkeypatch, error, situation, expected):
    db = tmp_path / "reviews.db"
    db.write_bytes(b"")
    monkeypatch.setattr(dbfile, "read_only_filesystem", lambda p: situation.get("fs", False))

    def writable(path):
        if Path(path) == db:
            return not situation.get("file")
        return not situation.get("folder")

    monkeypatch.setattr(dbfile, "_writable", writable)
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, m: not situation.get("unreadable") if m == os.R_OK else real_access(p, m),
    )
    message = str(dbfile.describe(sqlite3.OperationalError(error), db))
    assert expected in message, message
    if "malformed" not in error:
        assert "damaged" not in message and "not a reviewcli database" not in message


def test_a_full_disk_or_a_read_only_filesystem_is_not_called_a_foreign_database(tmp_path):
    """They all said "is not a reviewcli database" (an admin might have restored a backup)."""
    db = tmp_path / "x.db"
    for error in ("database or disk is full", "attempt to write a readonly database"):
        assert "reviewcli database" not in str(dbfile.describe(sqlite3.OperationalError(error), db))


def test_a_waiting_admin_sees_who_holds_the_lock_and_since_when(world: Cli):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "from pathlib import Path\n"
            "from reviewcli import dbfile\n"
            "db = Path(sys.argv[1])\n"
            "c = sqlite3.connect(db, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "dbfile.record_holder(db, 'alice', 'reviewcli import ssda903')\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n"
            "c.execute('ROLLBACK')\n",
            str(world.db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = world(
            "iro", "add", "Bob Brown", "--id", "IRO2", env={"REVIEWCLI_BUSY_TIMEOUT": "1.2"}
        )
    finally:
        holder.communicate("", timeout=30)
    assert result.exit_code == 1 and result.stdout == ""
    waiting, error = result.stderr.splitlines()
    assert waiting.startswith("Warning: waiting for the database: alice has been writing since ")
    assert "reviewcli import ssda903" in waiting
    assert error.startswith("Error: the database is busy: alice has been writing since ")
    assert "nothing was changed" in error
    world.ok("iro", "add", "Bob Brown", "--id", "IRO2")  # its turn, once alice is done


# --- 4. a tamper-evident audit ----------------------------------------------------------------

GUARD = "audit_append_only_update"


def _recreate(db: Path, name: str) -> str:
    return query(db, "SELECT sql FROM sqlite_master WHERE name = ?", [name])[0][0]


def test_an_audit_row_rewritten_behind_dropped_guards_breaks_the_chain(world: Cli):
    guard = _recreate(world.db, GUARD)
    rid = query(world.db, "SELECT id FROM audit WHERE table_name = 'children'")[0][0]
    tamper(
        world.db,
        f"DROP TRIGGER {GUARD}",
        f"UPDATE audit SET user = 'someone else' WHERE id = {rid}",
        guard,  # put back exactly as it was
    )
    text = problems(world)
    assert f"audit row {rid} (" in text and "breaks the hash chain" in text
    assert "missing" not in text  # the guard itself is back as it was


def test_an_audit_row_removed_is_found(world: Cli):
    guard = _recreate(world.db, "audit_append_only_delete")
    rid = query(world.db, "SELECT MIN(id) FROM audit WHERE table_name = 'episodes'")[0][0]
    tamper(
        world.db,
        "DROP TRIGGER audit_append_only_delete",
        f"DELETE FROM audit WHERE id = {rid}",
        guard,
    )
    text = problems(world)
    assert f"audit rows {rid} were removed" in text or "breaks the hash chain" in text


@pytest.mark.parametrize(
    "statements, expected",
    [
        (["DROP TRIGGER audit_children_update"], "audit trigger audit_children_update is missing"),
        (
            [
                "DROP TRIGGER audit_reviews_insert",
                "CREATE TRIGGER audit_reviews_insert AFTER INSERT ON reviews WHEN 0 "
                "BEGIN SELECT 1; END",
            ],
            "audit_reviews_insert was changed",
        ),
        (
            [
                f"DROP TRIGGER {GUARD}",
                f"CREATE TRIGGER {GUARD} BEFORE UPDATE ON audit WHEN 0 "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
            ],
            f"{GUARD} was changed",
        ),
        (["DROP TRIGGER audit_append_only_delete"], "append-only trigger is missing"),
        (["DROP TRIGGER audit_switched_off_insert"], "audit_switched_off_insert is missing"),
    ],
    ids=["dropped", "emptied", "guard-disarmed", "guard-dropped", "switch-record-dropped"],
)
def test_a_dropped_or_changed_audit_trigger_is_found(world: Cli, statements, expected):
    tamper(world.db, *statements)
    assert expected in problems(world)


def test_switching_the_audit_off_outside_reviewcli_is_found(world: Cli):
    tamper(
        world.db,
        "INSERT OR REPLACE INTO _context (key, value) VALUES ('audit', 'off')",
        "UPDATE children SET first_name = 'Changed' WHERE id = 'C001'",
        "DELETE FROM _context",
    )
    assert "the audit trail was switched off" in problems(world)
    assert "outside reviewcli" in problems(world)


def test_the_demo_and_the_ssda903_import_may_switch_the_audit_off(run: Cli):
    run.ok("demo", "--children", "5")
    assert query(run.db, "SELECT command FROM audit_switches") == [("reviewcli demo",)]
    assert run.ok("check").stdout.strip() == "No problems found."


def test_the_chain_holds_across_many_writes_and_check_passes(world: Cli):
    for n in range(5):
        world.ok("child", "add", f"N{n}", "--first-name", "A", "--last-name", "B", "--dob",
                 "2014-01-01")  # fmt: skip
        world.ok("policy", "set", "authority-name", f"Council {n}")
    audit, chain = (
        query(world.db, "SELECT COUNT(*) FROM audit")[0][0],
        query(world.db, "SELECT COUNT(*) FROM audit_chain")[0][0],
    )
    assert audit == chain > 10
    assert world.json("check") == []


def test_the_audit_user_is_the_operating_system_account_not_an_environment_variable(world):
    account = pwd.getpwuid(os.geteuid()).pw_name
    world.ok("iro", "add", "Bob Brown", "--id", "IRO2",
             env={"LOGNAME": "mallory", "USER": "mallory", "USERNAME": "mallory"})  # fmt: skip
    (user,) = query(world.db, "SELECT user FROM audit WHERE row_key = 'IRO2'")[0]
    assert user == account != "mallory"


def test_a_policy_can_require_a_named_person_per_session(world: Cli):
    world.ok("policy", "set", "require-person", "on")
    message = world.refused("iro", "add", "Bob Brown", "--id", "IRO2")
    assert "REVIEWCLI_PERSON" in message
    world.ok("iro", "add", "Bob Brown", "--id", "IRO2", env={"REVIEWCLI_PERSON": "Ann  Other"})
    account = pwd.getpwuid(os.geteuid()).pw_name
    (user,) = query(world.db, "SELECT user FROM audit WHERE row_key = 'IRO2'")[0]
    assert user == f"{account} (Ann Other)"


def test_audit_csv_carries_the_values_before_and_after(world: Cli):
    world.ok("policy", "set", "authority-name", "North Council")
    world.ok("policy", "set", "authority-name", "South Council")
    rows = list(csv.DictReader(io.StringIO(world.ok("audit", "--format", "csv").stdout)))
    assert {"before", "after"} <= set(rows[0])
    edit = next(r for r in rows if r["action"] == "update" and r["table_name"] == "policy")
    assert json.loads(edit["before"])["value"] == '"North Council"'
    assert json.loads(edit["after"])["value"] == '"South Council"'
    added = next(r for r in rows if r["table_name"] == "children")
    assert json.loads(added["after"])["first_name"] == "Amy" and added["before"] == ""


# --- 5. versions and foreign files ------------------------------------------------------------

COMMANDS = [
    ["child", "list"],
    ["due"],
    ["check"],
    ["audit"],
    ["policy", "show"],
    ["init"],
    ["demo", "--children", "2"],
    ["iro", "add", "Bob", "--id", "IRO9"],
]


@pytest.mark.parametrize("tamper_sql", [
    "INSERT INTO _migrations (name, applied_at) VALUES ('m999_from_the_future', '2030-01-01')",
    "PRAGMA user_version = 999",
], ids=["unknown-migration", "user-version"])  # fmt: skip
def test_a_newer_releases_database_is_refused_by_every_command(world: Cli, tamper_sql):
    tamper(world.db, tamper_sql)
    before = fingerprint(world.db)
    for args in COMMANDS:
        message = world.refused(*args)
        assert "newer release of reviewcli" in message, (args, message)
    assert fingerprint(world.db) == before
    version = subprocess.run(
        [sys.executable, "-m", "reviewcli", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("reviewcli ")


def test_a_foreign_sqlite_file_is_never_modified(run: Cli):
    conn = sqlite3.connect(run.db)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('the finance team''s data')")
    conn.commit()
    conn.close()
    before = fingerprint(run.db)
    for args in COMMANDS:
        message = run.refused(*args)
        assert "another program" in message and "untouched" in message, (args, message)
    assert fingerprint(run.db) == before
    assert query(run.db, "PRAGMA journal_mode") == [("delete",)]  # not switched to WAL
    assert [r[0] for r in query(run.db, "SELECT name FROM sqlite_master")] == ["notes"]


def test_init_accepts_an_empty_sqlite_file_and_refuses_a_file_that_is_not_sqlite(run: Cli):
    sqlite3.connect(run.db).close()  # an empty file SQLite made
    run.ok("init")
    other = run.db.with_name("notes.txt")
    other.write_text("meeting notes, not a database\n" * 20)
    message = run.refused("--db", str(other), "init")
    assert "not a database at all" in message
    assert other.read_text().startswith("meeting notes")


# --- 6. a team on one database ----------------------------------------------------------------


def test_init_group_makes_the_database_and_outputs_the_groups(run: Cli, tmp_path: Path):
    group = grp.getgrgid(os.getegid()).gr_name
    run.ok("init", "--group", group)
    assert mode(run.db) == 0o660 and run.db.stat().st_gid == os.getegid()
    assert run.db.parent.stat().st_mode & stat.S_ISGID
    assert run.json("policy", "show")  # no warning about a readable database
    assert "Warning" not in run.ok("child", "list").stderr
    out = tmp_path / "due.csv"
    run.ok("due", "--format", "csv", "--out", str(out))
    assert mode(out) == 0o660 and out.stat().st_gid == os.getegid()
    run.ok("backup", str(tmp_path / "b.db"))
    assert mode(tmp_path / "b.db") == 0o660
    export = tmp_path / "return"
    run.ok("export", "ssda903", "--year", "2026", "--out", str(export))
    assert mode(export) == 0o2770


def test_init_group_refuses_an_unknown_group(run: Cli):
    run.ok("init")
    assert "no group" in run.refused("init", "--group", "no-such-group-xyz")


MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
//fileserver/iru {share} {fstype} rw,relatime 0 0
"""


@pytest.mark.parametrize("fstype", ["cifs", "nfs4", "smb3", "fuse.sshfs"])
def test_a_database_on_a_network_filesystem_is_refused(run: Cli, tmp_path, monkeypatch, fstype):
    table = tmp_path.parent / f"mounts-{fstype}"
    table.write_text(MOUNTS.format(share=str(tmp_path).replace(" ", "\\040"), fstype=fstype))
    monkeypatch.setattr(sharing, "MOUNT_TABLE", str(table))
    message = run.refused("init")
    assert f"network filesystem ({fstype} mounted at {tmp_path})" in message
    assert "SSH" in message and "terminal server" in message
    assert not run.db.exists()


def test_a_local_filesystem_is_accepted(run: Cli, tmp_path, monkeypatch):
    table = tmp_path.parent / "mounts-local"
    table.write_text(MOUNTS.format(share="/mnt/elsewhere", fstype="cifs"))
    monkeypatch.setattr(sharing, "MOUNT_TABLE", str(table))
    run.ok("init")
    assert sharing.mount_of(run.db, str(table)) == ("/", "ext4")


# Two admins, each with their own account, on one host: the test creates the accounts and a
# group, and removes them afterwards. It needs root, useradd and a Python the accounts can run.


def _python_for_others() -> str | None:
    for candidate in (
        sys.executable,
        f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}",
    ):
        path = Path(candidate)
        try:
            if (
                all(
                    p.stat().st_mode & stat.S_IXOTH
                    for p in [path.resolve(), *path.resolve().parents]
                    if p != path.resolve()
                )
                and path.resolve().stat().st_mode & stat.S_IXOTH
            ):
                return candidate
        except OSError:
            continue
    return None


@pytest.fixture
def two_admins(tmp_path_factory):
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("groupadd"):
        pytest.skip("needs root and useradd to create two operating-system accounts")
    python = _python_for_others()
    if python is None:
        pytest.skip("no Python the test accounts can run")
    tag = f"{os.getpid() % 100000}"
    group, users = f"rvg{tag}", [f"rva{tag}", f"rvb{tag}", f"rvc{tag}"]
    created: list[tuple[str, str]] = []
    try:
        subprocess.run(["groupadd", group], check=True, capture_output=True)
        created.append(("groupdel", group))
        for user in users:
            subprocess.run(["useradd", "-M", "-N", user], check=True, capture_output=True)
            created.insert(0, ("userdel", user))
        for user in users[:2]:
            subprocess.run(["usermod", "-aG", group, user], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as e:
        for command, name in created:
            subprocess.run([command, name], capture_output=True)
        pytest.skip(f"cannot create test accounts: {e}")
    shared = Path(f"/tmp/reviewcli-team-{tag}")
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    folder = shared / "iru"
    folder.mkdir()
    shutil.chown(folder, users[0], group)
    os.chmod(folder, 0o770)
    src = Path(__file__).resolve().parents[1] / "src"
    site = next(p for p in sys.path if p.endswith("site-packages") and "venv" in p)

    def run_as(user: str, *args: str, env: dict | None = None):
        info = pwd.getpwnam(user)
        groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
        return subprocess.run(
            [python, "-m", "reviewcli", "--db", str(folder / "reviews.db"), *args],
            capture_output=True,
            text=True,
            user=info.pw_uid,
            group=info.pw_gid,
            extra_groups=groups,
            cwd=str(shared),
            env={
                "PYTHONPATH": f"{src}:{site}",
                "HOME": str(shared),
                "REVIEWCLI_TODAY": TODAY,
                "REVIEWCLI_CACHE_DIR": str(shared / f"cache-{user}"),
                "PATH": "/usr/bin:/bin",
                "NO_COLOR": "1",
                "LOGNAME": "nobody-in-particular",
                **(env or {}),
            },
            timeout=120,
        )

    probe = run_as(users[0], "--help")
    if probe.returncode != 0:
        for command, name in created:
            subprocess.run([command, name], capture_output=True)
        shutil.rmtree(shared, ignore_errors=True)
        pytest.skip(f"the test accounts cannot run reviewcli: {probe.stderr[-300:]}")
    try:
        yield {"group": group, "users": users, "folder": folder, "run": run_as}
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        for command, name in created:
            subprocess.run([command, name], capture_output=True)


def test_two_admins_with_their_own_accounts_share_one_database(two_admins):
    run, (alice, bob, carol) = two_admins["run"], two_admins["users"]
    folder, group = two_admins["folder"], two_admins["group"]
    done = run(alice, "init", "--group", group)
    assert done.returncode == 0, done.stderr
    added = run(alice, "iro", "add", "Jane Smith", "--id", "IRO1")
    assert added.returncode == 0, added.stderr
    added = run(bob, "child", "add", "C001", "--first-name", "Amy", "--last-name", "Ash",
                "--dob", "2015-03-02")  # fmt: skip
    assert added.returncode == 0, added.stderr
    db = folder / "reviews.db"
    gid = grp.getgrnam(group).gr_gid
    assert mode(db) == 0o660 and db.stat().st_gid == gid
    assert folder.stat().st_mode & stat.S_ISGID
    for extra in folder.glob("reviews.db-*"):
        assert extra.stat().st_gid == gid and mode(extra) == 0o660, extra
    users = dict(query(db, "SELECT table_name, user FROM audit WHERE table_name != 'policy'"))
    assert users == {"iros": alice, "children": bob}
    # Bob's output is the group's too, and Alice can replace it.
    out = folder / "due.csv"
    assert run(bob, "due", "--format", "csv", "--out", str(out)).returncode == 0
    assert out.stat().st_gid == gid and mode(out) == 0o660
    assert run(alice, "due", "--format", "csv", "--out", str(out)).returncode == 0
    # Carol is not in the group: a plain message, not "not a reviewcli database".
    refused = run(carol, "child", "list")
    assert refused.returncode == 1
    assert "permission denied" in refused.stderr.lower(), refused.stderr
    assert "Traceback" not in refused.stderr
    check = run(alice, "check", "--format", "json")
    assert check.returncode == 0 and json.loads(check.stdout) == [], check.stdout + check.stderr
    # The database made read-only for the group: Bob is told so, in those words.
    os.chmod(db, 0o640)
    refused = run(bob, "iro", "add", "Bob Brown", "--id", "IRO2")
    assert refused.returncode == 1
    assert "read-only for your account" in refused.stderr, refused.stderr
    assert "not a reviewcli database" not in refused.stderr


# --- 7. smaller holes -------------------------------------------------------------------------


def test_jinja2_is_at_least_3_1_6():
    """3.1.5's sandbox can be escaped by a template (CVE-2024-56326, CVE-2025-27516)."""
    from importlib.metadata import version

    import tomllib

    assert tuple(int(p) for p in version("jinja2").split(".")[:3]) >= (3, 1, 6)
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    required = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    assert "jinja2>=3.1.6" in [r.replace(" ", "") for r in required]


def test_markdown_report_escapes_links_and_images(world: Cli):
    from markdown_it import MarkdownIt

    held_late(world, "![x](http://tracker.example/p.png) see [here](http://evil.example) *now*")
    md = world.ok("report", "monthly", "--month", "2026-06", "--format", "md").stdout
    assert r"\!\[x\]\(http://tracker.example/p.png\)" in md
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    kinds = {child.type for t in tokens for child in (t.children or [])}
    assert not kinds & {"image", "link_open", "em_open", "html_inline"}, kinds
    assert "http://tracker.example/p.png" in md  # still there, as text


def test_rich_markup_in_an_iro_id_or_name_is_shown_as_typed(world: Cli):
    world.ok("iro", "add", "[bold red]Eve[/]", "--id", "IRO[/]")
    world.ok("allocate", "C001", "IRO[/]", "--date", "2026-06-30")
    shown = world.ok("child", "show", "C001").stdout
    assert "IRO: [bold red]Eve[/] (IRO[/])" in shown


@pytest.mark.parametrize(
    "value",
    ["Amy\u202eelif.exe", "Amy\u2066x\u2069", "A\x85my", "Amy\x9b31m"],
    ids=["rlo", "isolate", "nel", "csi"],
)
def test_c1_controls_and_bidi_overrides_are_refused_on_entry(world: Cli, value):
    message = world.refused(
        "child", "add", "C900", "--first-name", value, "--last-name", "Ash", "--dob", "2015-01-01"
    )
    assert "first name contains" in message.lower() or "contains the" in message
    assert "U+" in message
    assert "U+" in world.refused("policy", "set", "authority-name", value)


def test_arabic_and_hebrew_names_are_still_accepted(world: Cli):
    world.ok("child", "add", "C901", "--first-name", "مريم", "--last-name", "כהן",
             "--dob", "2015-01-01")  # fmt: skip


def test_an_import_file_over_the_size_limit_is_refused_before_reading(initialised, tmp_path):
    path = tmp_path / "children.csv"
    with open(path, "w") as f:
        f.write("CHILD_ID,FIRST_NAME,LAST_NAME,DOB\n")
        for n in range(30000):
            f.write(f"K{n},Ann,Bee,2014-01-01\n")
    message = initialised.refused(
        "import", "children", str(path), env={"REVIEWCLI_MAX_IMPORT_MB": "0.5"}
    )
    assert "an import reads files of up to 0.5 MB" in message
    ssda = tmp_path / "return"
    ssda.mkdir()
    shutil.copy(path, ssda / "header.csv")
    message = initialised.refused(
        "import", "ssda903", str(ssda), env={"REVIEWCLI_MAX_IMPORT_MB": "0.5"}
    )
    assert "an import reads files of up to 0.5 MB" in message


def test_the_children_import_streams_its_file(initialised, tmp_path, monkeypatch):
    """The file is read through the csv reader, never as one string in memory."""
    path = tmp_path / "children.csv"
    path.write_text("CHILD_ID,FIRST_NAME,LAST_NAME,DOB\nK1,Ann,Bee,2014-01-01\n")
    read_bytes, read_text = Path.read_bytes, Path.read_text

    def whole(read):
        def guarded(self, *a, **k):
            if self == path:
                pytest.fail("read whole")
            return read(self, *a, **k)

        return guarded

    monkeypatch.setattr(Path, "read_bytes", whole(read_bytes))
    monkeypatch.setattr(Path, "read_text", whole(read_text))
    initialised.ok("import", "children", str(path))


def test_pseudonyms_are_unique_among_a_million_children():
    from reviewcli.reports import pseudonym

    key = "0123456789abcdef0123456789abcdef"
    names = {pseudonym(key, f"C{n:07d}") for n in range(1_000_000)}
    assert len(names) == 1_000_000
    assert len(pseudonym(key, "C0000001")) == 2 + 16


def test_a_pseudonym_collision_is_refused_not_published(world: Cli, monkeypatch):
    from reviewcli import reports

    held_late(world, "unwell")
    world.ok("policy", "set", "pseudonym-key", "0123456789abcdef0123")
    world.ok("child", "add", "C002", "--first-name", "Ben", "--last-name", "Bell",
             "--dob", "2012-04-05")  # fmt: skip
    monkeypatch.setattr(reports, "pseudonym", lambda key, child_id: "P-0000000000000000")
    message = world.refused(
        "report", "monthly", "--month", "2026-06", "--format", "json", "--pseudonymise"
    )
    assert "share a pseudonym" in message


def test_the_pseudonym_key_is_never_printed(world: Cli):
    secret = "s3cret-key-for-pseudonyms-0001"
    said = world.ok("policy", "set", "pseudonym-key", secret)
    assert secret not in said.stdout + said.stderr
    said = world.ok("policy", "set", "pseudonym-key", secret, "--format", "json")
    assert secret not in said.stdout
    for fmt in ("table", "json", "csv"):
        shown = world.ok("policy", "show", "--format", fmt).stdout
        assert secret not in shown, fmt
        assert "(set)" in shown
    for fmt in ("table", "json", "csv"):  # the audit trail records the change, not the key
        assert secret not in world.ok("audit", "--format", fmt).stdout, fmt


def test_a_refused_output_is_one_error_line(world: Cli, tmp_path: Path):
    """Every refusal above is one plain line: no traceback, no 'unexpected'."""
    result = world("due", "--format", "csv", "--out", str(world.db))
    assert_refused(result)
    with pytest.raises(ReviewError):
        files.check_target(world.db)


def test_a_switch_off_is_judged_by_the_command_whatever_the_program_was_called(world: Cli):
    """`python -m reviewcli import ssda903` records its command under that name."""
    tamper(
        world.db,
        "INSERT INTO audit_switches (at, user, command) VALUES "
        "('2026-07-01T09:00:00Z', 'alice', 'python -m reviewcli import ssda903')",
    )
    assert world.json("check") == []
    tamper(
        world.db,
        "INSERT INTO audit_switches (at, user, command) VALUES "
        "('2026-07-01T09:00:00Z', 'alice', 'reviewcli import ssda903 --evil')",
    )
    assert "switched off at 2026-07-01T09:00:00Z by alice" in problems(world)


def test_a_failed_xlsx_leaves_no_truncated_file(world: Cli, tmp_path: Path, monkeypatch):
    from reviewcli import reports

    def half_a_workbook(data, stream):
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports, "write_xlsx", half_a_workbook)
    out = tmp_path / "june.xlsx"
    result = world("report", "monthly", "--month", "2026-06", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert list(tmp_path.glob("*june*")) == []


class _SmallDisk(sqlite3.Connection):
    """A connection that may not grow the file: SQLite's own "database or disk is full"
    half-way through a transaction, which it may roll back by itself."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        pages = super().execute("PRAGMA page_count").fetchone()[0]
        super().execute(f"PRAGMA max_page_count = {pages}")


def test_a_disk_filling_up_during_a_write_names_the_full_disk(initialised, tmp_path, monkeypatch):
    path = tmp_path / "children.csv"
    with open(path, "w") as f:
        f.write("CHILD_ID,FIRST_NAME,LAST_NAME,DOB\n")
        for n in range(3000):
            f.write(f"K{n},{'Ann' * 20},{'Bee' * 20},2014-01-01\n")
    before = fingerprint(initialised.db)
    connect = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: connect(*a, factory=_SmallDisk, **kw))
    result = initialised("import", "children", str(path))
    monkeypatch.setattr(sqlite3, "connect", connect)
    assert_refused(result)
    assert "is full: nothing was saved" in result.stderr
    assert "rollback" not in result.stderr and "no transaction" not in result.stderr
    assert fingerprint(initialised.db)[""] == before[""]
    assert query(initialised.db, "SELECT COUNT(*) FROM children") == [(0,)]


def test_init_group_leaves_a_folder_everyone_shares_alone(run: Cli, tmp_path: Path):
    shared = tmp_path / "public"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp
    db = shared / "reviews.db"
    message = run.refused("--db", str(db), "init", "--group", grp.getgrgid(os.getegid()).gr_name)
    assert "a folder of its own" in message
    assert mode(shared) == 0o1777
    assert not db.exists()
