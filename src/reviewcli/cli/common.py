"""What every command shares: the database, "today", error handling and output options."""

import functools
import os
import sqlite3
import sys
from contextlib import contextmanager
from datetime import date
from enum import Enum
from typing import Annotated

import typer

from ..errors import ReviewError

STATE: dict[str, object] = {"db": None}
# What write commands reported while their transaction was open: printed only after it
# commits (a failed commit prints only the error).
_PENDING: list | None = None


class ListFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class WriteFormat(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[
    ListFormat, typer.Option("--format", "-f", help="Output: table, json or csv.")
]
WriteFormatOption = Annotated[
    WriteFormat, typer.Option("--format", "-f", help="text (one line) or json (the object).")
]


def today() -> date:
    """Today, read once: REVIEWCLI_TODAY=YYYY-MM-DD when set, else the system date."""
    fixed = os.environ.get("REVIEWCLI_TODAY")
    if fixed:
        try:
            return date.fromisoformat(fixed.strip())
        except ValueError:
            raise ReviewError(f"REVIEWCLI_TODAY={fixed!r} is not a date (YYYY-MM-DD)") from None
    return date.today()


def on_date(value: str | None) -> date:
    if value is None:
        return today()
    from ..records import parse_date

    return parse_date(value, "--on date")


def store(create: bool = False):
    from ..store import open_store

    s = open_store(STATE["db"], create=create, command=command_path(), progress=_recomputing)
    s.on_wait = warn
    for warning in s.warnings:
        warn(warning)
    for notice in s.notices:
        typer.echo(notice, err=True)
    return s


def _recomputing(description: str):
    """The progress bar of a recomputation of the derived data on opening the database."""
    return progress_bar(description)


@contextmanager
def writing():
    """The database with its write lock held for the whole command.

    A write command reads what it validates inside the same ``BEGIN IMMEDIATE``
    transaction as its writes, so another admin's change cannot slip in between the
    check and the write.
    """
    global _PENDING
    outer = _PENDING is None
    if outer:
        _PENDING = []
    try:
        with store() as s, s.write():
            yield s
        pending = _PENDING if outer else []
    finally:
        if outer:
            _PENDING = None
    for outcome, fmt in pending:
        _print_outcome(outcome, fmt)


def command_path() -> str:
    """'reviewcli child add': the running command, for the audit trail (no arguments, so no
    personal details)."""
    import importlib

    # Typer vendors click from 0.20 on; older releases use the click package itself.
    for module in ("typer._click.globals", "click"):
        try:
            ctx = importlib.import_module(module).get_current_context(silent=True)
        except (ImportError, AttributeError):
            continue
        if ctx is not None:
            return ctx.command_path
    return "reviewcli"


def warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


def fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def handle_errors(fn):
    """Turn domain errors into one ``Error: …`` line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ReviewError as e:
            fail(str(e))
        except sqlite3.DatabaseError as e:
            from ..dbfile import describe
            from ..store import resolve_path

            fail(str(describe(e, resolve_path(STATE["db"]))))
        except BrokenPipeError:
            raise
        except OverflowError:
            fail("a date or number is out of range (dates run from year 1 to 9999)")
        except OSError as e:
            if getattr(e, "filename", None):
                from ..files import describe_os_error

                fail(str(describe_os_error(e, e.filename)))
            fail(str(e))
        except KeyboardInterrupt:
            typer.echo("Interrupted; nothing was changed.", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as e:  # a bug: still one line, and nothing was written
            if os.environ.get("REVIEWCLI_DEBUG"):
                raise
            fail(
                f"unexpected {type(e).__name__}: {e}. Nothing was changed. Please report this; "
                "set REVIEWCLI_DEBUG=1 to see the details"
            )

    return wrapper


def report(outcome, fmt: WriteFormat) -> None:
    """Print what a write command did: one line, or the object as JSON. Inside
    ``writing()`` it is printed once the transaction has committed."""
    if _PENDING is not None:
        _PENDING.append((outcome, fmt))
        return
    _print_outcome(outcome, fmt)


def _print_outcome(outcome, fmt: WriteFormat) -> None:
    for warning in outcome.warnings:
        warn(warning)
    if fmt == WriteFormat.json:
        from ..output import write_json

        write_json(outcome.obj)
    else:
        typer.echo(outcome.message)


def progress_bar(description: str):
    """A Rich progress bar on stderr, or a no-op when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return _NoProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return _RichProgress(
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
            console=__import__("rich.console").console.Console(stderr=True),
        ),
        description,
    )


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, done: int, total: int, description: str | None = None) -> None:
        pass


class _RichProgress:
    def __init__(self, progress, description):
        self.progress = progress
        self.description = description
        self.task = None

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def __call__(self, done: int, total: int, description: str | None = None) -> None:
        """Report ``done`` of ``total``; a ``description`` replaces the bar's label."""
        if self.task is None:
            self.task = self.progress.add_task(description or self.description, total=total)
        self.progress.update(self.task, completed=done, total=total)
        if description:
            self.progress.update(self.task, description=description)
