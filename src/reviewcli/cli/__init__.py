"""The ``reviewcli`` command line: parse, call one domain function, format."""

from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from .common import STATE, handle_errors

app = typer.Typer(
    name="reviewcli",
    help=(
        "Book, track and report the statutory reviews of children in care.\n\n"
        "Every deadline names the rule that set it (R-SCH-1 …, see DOMAIN.md). Start with "
        "'reviewcli init', then run 'reviewcli due' each morning."
    ),
    no_args_is_help=True,
    add_completion=False,
    # Plain help: it draws in a fraction of the time of the Rich panels.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reviewcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="The database file. Default: $REVIEWCLI_DB, else reviews.db here.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    STATE["db"] = db


@app.command()
@handle_errors
def init() -> None:
    """Create the database, or upgrade an existing one. Safe to run again."""
    from ..store import resolve_path
    from .common import store

    path = resolve_path(STATE["db"])
    existed = path.exists()
    s = store(create=True)
    try:
        applied = s.applied_migrations
    finally:
        s.close()
    if not existed:
        typer.echo(f"Created {path} (readable by you only).")
    elif applied:
        typer.echo(f"Upgraded {path}: {', '.join(applied)}.")
    else:
        typer.echo(f"{path} is up to date.")


from . import admin, casework, children, contacts, data, due, letters, reviews  # noqa: E402, F401

__all__ = ["app", "main", "admin", "casework", "children", "data", "due", "reviews"]


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as other Unix tools do.
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
