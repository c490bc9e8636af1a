"""The ``reviewcli`` command line: parse, call one domain function, format."""

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from .common import STATE, handle_errors

# Every command and group, in the order of the help, with the modules under reviewcli.cli
# that define it (a group's commands may come from several) and the first sentence of its
# help. A module is imported only when one of its commands
# runs, so `reviewcli --help` and each command start without loading the others.
# tests/test_cli_contract.py checks these sentences against the commands' own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("", "Create the database, or upgrade an existing one."),
    "demo": (
        "admin",
        "Fill a new database with realistic fictional children, in every stage and regime.",
    ),
    "audit": (
        "admin",
        "The audit trail: every write, when, by whom, which command, before and after.",
    ),
    "backup": (
        "admin",
        "Copy the database safely while others use it, then verify the copy.",
    ),
    "check": (
        "admin",
        "Check the database: integrity, foreign keys and the tool's own invariants.",
    ),
    "actions": ("casework", "Decisions to carry out: the actions admins chase."),
    "allocate": (
        "children",
        "Name the child's IRO (R-IRO-2); the previous allocation ends that day.",
    ),
    "due": (
        "due",
        "What must be done: every outstanding item due by --on + --within days, overdue first.",
    ),
    "policy": ("admin", "The authority's policy settings (shared by every admin)."),
    "review": ("reviews casework contacts", "Reviews: book, move, record, adjourn, cancel."),
    "decision": ("casework", "Review decisions: add, done, edit, cancel, forward."),
    "event": ("casework", "Significant events (R-EVT-1/2) and the IRO's decision on them."),
    "dispute": ("casework", "The dispute resolution (escalation) log."),
    "iro": ("children", "Independent Reviewing Officers."),
    "child": ("children", "Children: register, list, show."),
    "episode": (
        "children",
        "Periods of care and their episodes (SSDA903): start, change, end.",
    ),
    "contact": (
        "contacts",
        "A child's contacts (family, carers, professionals): who reviews invite.",
    ),
    "export": ("data", "Export data: the SSDA903 return."),
    "import": ("data", "Import data: an SSDA903 return, or a list of children."),
    "letters": (
        "letters",
        "Letters from the templates: invitations, IRO introduction, decisions.",
    ),
    "report": ("letters", "Monitoring reports (DOMAIN.md §7)."),
}


class LazyGroup(TyperGroup):
    """The root command: lists every command from ``COMMANDS`` and imports a command's
    module only when that command is asked for."""

    listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, cmd_name: str):
        command = self.commands.get(cmd_name)
        if cmd_name not in COMMANDS or (command is not None and _loaded(cmd_name)):
            return command
        if self.listing:
            # The root's help shows the first sentence of each command's help: no import.
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1])
        return self.load(cmd_name)

    def format_commands(self, ctx, formatter) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False

    def load(self, cmd_name: str):
        import importlib

        for module in COMMANDS[cmd_name][0].split():
            importlib.import_module(f"{__name__}.{module}")
        # The modules have added their commands to `app`: build them as Typer does. A group
        # is kept only once every module adding to it is loaded.
        for name, command in typer.main.get_command(app).commands.items():
            if name == cmd_name or (name not in self.commands and _loaded(name)):
                self.commands[name] = command
        return self.commands.get(cmd_name)


def _loaded(cmd_name: str) -> bool:
    import sys

    return all(f"{__name__}.{m}" in sys.modules for m in COMMANDS[cmd_name][0].split())


app = typer.Typer(
    name="reviewcli",
    cls=LazyGroup,
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
        recomputed = bool(s.notices)
    finally:
        s.close()
    if not existed:
        typer.echo(f"Created {path} (readable by you only).")
    elif applied:
        typer.echo(f"Upgraded {path}: {', '.join(applied)}.")
    else:
        typer.echo(
            f"{path} is up to date" + (" (its deadlines were recomputed)." if recomputed else ".")
        )


__all__ = ["COMMANDS", "app", "main"]


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as other Unix tools do.
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
