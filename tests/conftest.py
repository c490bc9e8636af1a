"""Shared fixtures for the command-line tests (tests/test_cli_*.py).

Every CLI test runs ``reviewcli`` in-process through Typer's ``CliRunner``, against a
database in a temporary folder (``REVIEWCLI_DB``) with "today" fixed
(``REVIEWCLI_TODAY``) and the Rich width pinned, so output is stable.

The typer in use (0.26–0.28) vendors click as ``typer._click``; its ``CliRunner`` keeps stdout
and stderr apart: ``result.stdout`` is what a script piping the output would read,
``result.stderr`` the messages, ``result.output`` both interleaved.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from hypothesis import settings
from typer.testing import CliRunner, Result

# The default "today" of every CLI test: Wednesday 1 July 2026.
TODAY = "2026-07-01"

# Property-based tests explore new examples on every local run; under CI (CI=true) they
# replay a fixed sequence, so a landing never depends on the luck of the draw. A failure
# found locally is fixed and kept as an explicit test.
settings.register_profile("ci", derandomize=True, database=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")


@pytest.fixture(scope="session", autouse=True)
def _private_cache_folder(tmp_path_factory):
    """Bank holidays are cached in a folder of the test run's own, never the user's."""
    import os

    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get("REVIEWCLI_CACHE_DIR")
    os.environ["REVIEWCLI_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("REVIEWCLI_CACHE_DIR", None)
    else:
        os.environ["REVIEWCLI_CACHE_DIR"] = before


def snapshot_db(path: Path) -> list[str] | None:
    """Every table's schema and rows, as SQL text; None when the file does not exist."""
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    except sqlite3.DatabaseError:  # not a database at all: compare the bytes
        return [path.read_bytes().hex()]
    finally:
        conn.close()


class Cli:
    """Runs ``reviewcli`` commands against one temporary database."""

    def __init__(self, db: Path):
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, today: str | None = None, env: dict | None = None) -> Result:
        """Run one command; ``today`` overrides REVIEWCLI_TODAY for this command only."""
        extra = dict(env or {})
        if today is not None:
            extra["REVIEWCLI_TODAY"] = today
        return invoke(self.runner, [str(a) for a in args], extra)

    def ok(self, *args: str, **kw) -> Result:
        """Run a command that must succeed (exit status 0, no exception)."""
        result = self(*args, **kw)
        assert result.exit_code == 0, (
            f"reviewcli {' '.join(args)} exited {result.exit_code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}\nexception: {result.exception!r}"
        )
        assert result.exception is None
        return result

    def line(self, *args: str, **kw) -> str:
        """Run a write command and return its one-line message (stdout)."""
        result = self.ok(*args, **kw)
        lines = result.stdout.splitlines()
        assert len(lines) == 1, result.stdout
        return lines[0]

    def json(self, *args: str, **kw):
        """Run a command with ``--format json`` and return the parsed stdout."""
        result = self.ok(*args, "--format", "json", **kw)
        return json.loads(result.stdout)

    def refused(self, *args: str, **kw) -> str:
        """Run a command that must be refused; return its error message.

        Exit status 1, exactly one line on stderr starting "Error: ", nothing on stdout,
        no traceback, and the database exactly as it was before.
        """
        before = snapshot_db(self.db)
        result = self(*args, **kw)
        after = snapshot_db(self.db)
        assert_refused(result)
        assert after == before, "a refused command changed the database"
        return result.stderr.strip()


@functools.cache
def command():
    """The click command behind ``reviewcli``, built once.

    Typer rebuilds it from the annotations on every ``CliRunner.invoke`` (about 0.1 s each);
    imported here rather than at the top so that the other test modules still run when the
    CLI does not import.
    """
    from reviewcli.cli import app

    return typer.main.get_command(app)


def invoke(runner: CliRunner, args: list[str], env: dict) -> Result:
    """``CliRunner.invoke`` on the prebuilt command (same isolation, same Result)."""
    exception, exc_info, exit_code = None, None, 0
    with runner.isolation(env=env) as (out, err, both):
        try:
            command().main(args=args, prog_name="reviewcli")
        except SystemExit as e:
            exc_info = sys.exc_info()
            code = 0 if e.code is None else e.code
            if code != 0:
                exception = e
            if not isinstance(code, int):
                sys.stdout.write(f"{code}\n")
                code = 1
            exit_code = code
        except Exception as e:
            exception, exit_code, exc_info = e, 1, sys.exc_info()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr, output = out.getvalue(), err.getvalue(), both.getvalue()
    return Result(runner, stdout, stderr, output, None, exit_code, exception, exc_info)


def assert_refused(result: Result) -> None:
    assert result.exit_code == 1, (
        f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}\n"
        f"exception: {result.exception!r}"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    assert lines[0].startswith("Error: "), lines[0]
    assert result.stdout == ""


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database path in a temporary folder, with today fixed and the width pinned."""
    path = tmp_path / "reviews.db"
    monkeypatch.setenv("REVIEWCLI_DB", str(path))
    monkeypatch.setenv("REVIEWCLI_TODAY", TODAY)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("REVIEWCLI_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    return path


@pytest.fixture
def run(db_path: Path) -> Cli:
    """``run(*args)`` runs a command; ``run.ok``, ``run.json``, ``run.refused`` check it.

    After the test, every derived row (deadlines, open steps' dates, the stored work
    list) must still equal a fresh computation from the facts: every write of every test
    checks that it derived what it touched."""
    yield Cli(db_path)
    assert derived_drift(db_path) in (None, {}), "stored derived rows are stale"


def derived_drift(path: Path) -> dict[str, int] | None:
    """``derived.stale`` of the database at ``path`` (by kind; {} when all are current);
    None if it holds no derived data yet."""
    from reviewcli import derived

    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT 1 FROM _derived LIMIT 1")
    except sqlite3.DatabaseError:  # not initialised, or not a database at all
        conn.close()
        return None
    try:
        # Children marked by a hand edit are derived on the next open: derive them first.
        with conn:
            derived.derive_marked(conn)
        return derived.stale(conn)
    finally:
        conn.close()


def work_items_drift(path: Path) -> tuple[int, int] | None:
    """``workitems.drift`` of the database at ``path``; None if it holds no work items."""
    from reviewcli import workitems

    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT 1 FROM work_items LIMIT 1")
    except sqlite3.DatabaseError:  # no table (not initialised), or not a database at all
        conn.close()
        return None
    try:
        return workitems.drift(conn)
    finally:
        conn.close()


@pytest.fixture
def snapshot(db_path: Path) -> Callable[[], list[str] | None]:
    return lambda: snapshot_db(db_path)


def _build_world(run: Cli) -> None:
    run.ok("init")
    run.ok("iro", "add", "Jane Smith", "--id", "IRO1", "--team", "North")
    run.ok(
        "child",
        "add",
        "C001",
        "--first-name",
        "Amy",
        "--last-name",
        "Ash",
        "--dob",
        "2015-03-02",
        "--team",
        "North",
    )
    run.ok(
        "episode",
        "start",
        "C001",
        "--date",
        "2026-05-22",
        "--legal-status",
        "C2",
        "--placement",
        "U6",
        today="2026-05-22",
    )
    run.ok("allocate", "C001", "IRO1", "--date", "2026-05-26", today="2026-05-26")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Database files built once through the CLI, copied into each test that needs them."""
    folder = tmp_path_factory.mktemp("templates")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REVIEWCLI_TODAY", TODAY)
        for name, build in (("initialised", lambda r: r.ok("init")), ("world", _build_world)):
            path = folder / f"{name}.db"
            mp.setenv("REVIEWCLI_DB", str(path))
            build(Cli(path))
            # The last connection closed checkpoints the WAL: the file alone is the database.
            assert not Path(f"{path}-wal").exists()
            out[name] = path
    return out


def _copy(template: Path, run: Cli) -> Cli:
    shutil.copy2(template, run.db)  # keeps the 0o600 mode
    return run


@pytest.fixture
def initialised(run: Cli, templates: dict[str, Path]) -> Cli:
    """An initialised, empty database."""
    return _copy(templates["initialised"], run)


@pytest.fixture
def world(run: Cli, templates: dict[str, Path]) -> Cli:
    """One IRO and one child in care.

    IRO1 Jane Smith (team North). C001 Amy Ash, born 2015-03-02, team North, looked after
    from Fri 22 May 2026 (C2, U6), IRO1 named on Tue 26 May 2026. Her first review is due
    by Mon 22 Jun 2026 (R-SCH-1: the 20th working day after 22 May, skipping the Spring
    bank holiday on Mon 25 May).
    """
    return _copy(templates["world"], run)


def add_child(run: Cli, child_id: str, dob: str, *, team: str | None = None, **kw) -> None:
    """Register a child with placeholder names."""
    args = ["child", "add", child_id, "--first-name", "Test", "--last-name", child_id]
    args += ["--dob", dob]
    if team:
        args += ["--team", team]
    run.ok(*args, **kw)


@pytest.fixture
def new_child(world: Cli) -> Callable[..., None]:
    """``new_child(ID, DOB, start=D, iro=ID, team=T)``: register a child, start care, allocate."""

    def make(
        child_id: str,
        dob: str,
        *,
        start: str | None = None,
        iro: str | None = None,
        team: str | None = None,
    ) -> None:
        add_child(world, child_id, dob, team=team, today=start)
        if start:
            world.ok("episode", "start", child_id, "--date", start, today=start)
            if iro:
                world.ok("allocate", child_id, iro, "--date", start, today=start)

    return make
