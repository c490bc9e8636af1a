"""Generate the command reference, docs/commands.md, from the ``--help`` of every command.

The reference sits in docs/commands.md between ``<!-- reference:start -->`` and
``<!-- reference:end -->`` (the README links to it). Each command and subcommand gets a
heading and its help, rendered as plain text (Click's formatter, no Rich boxes or colours)
at a fixed width so the output is the same on every machine and terminal.

    python scripts/readme_reference.py            # print the reference
    python scripts/readme_reference.py --write    # rewrite docs/commands.md (make readme)
    python scripts/readme_reference.py --check    # exit 1 with a diff if it is stale
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "commands.md"
START = "<!-- reference:start -->"
END = "<!-- reference:end -->"
WIDTH = 88
PROG = "reviewcli"


@dataclass
class Entry:
    """One command of the tree: its path from the root, the Click command and its context."""

    path: tuple[str, ...]
    command: object
    context: object

    @property
    def name(self) -> str:
        return " ".join((PROG, *self.path))

    @property
    def help(self) -> str:
        return (self.command.help or self.command.short_help or "").strip()

    @property
    def is_group(self) -> bool:
        return hasattr(self.command, "list_commands")


def root_command():
    """The Click command tree Typer builds from ``reviewcli.cli.app`` (a fresh copy)."""
    import typer.main

    from reviewcli.cli import app

    return typer.main.get_command(app)


def walk(command=None, parent=None, path: tuple[str, ...] = ()) -> Iterator[Entry]:
    """Every visible command, depth first, in the order ``--help`` lists them."""
    command = command if command is not None else root_command()
    # Plain Click help instead of Rich panels. The tree is a fresh copy, so this
    # changes nothing for the real CLI.
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    extra = {} if parent is not None else {"terminal_width": WIDTH, "max_content_width": WIDTH}
    name = path[-1] if path else PROG
    # resilient_parsing: build the context without demanding required arguments.
    context = command.make_context(name, [], parent=parent, resilient_parsing=True, **extra)
    yield Entry(path, command, context)
    if hasattr(command, "list_commands"):
        for sub_name in command.list_commands(context):
            sub = command.get_command(context, sub_name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            yield from walk(sub, context, (*path, sub_name))


def help_text(entry: Entry) -> str:
    text = entry.command.get_help(entry.context)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def reference() -> str:
    """The generated Markdown: a heading and a fenced help block per command."""
    parts = []
    for entry in walk():
        level = "###" if len(entry.path) <= 1 else "####"
        parts.append(f"{level} `{entry.name}`\n\n```text\n{help_text(entry)}\n```\n")
    return "\n".join(parts)


def replace_reference(readme: str, generated: str) -> str:
    """``readme`` (the reference page) with the text between the markers replaced by
    ``generated``."""
    try:
        head, rest = readme.split(START, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"{REFERENCE.name} must contain {START} and {END}") from None
    return f"{head}{START}\n\n{generated.strip()}\n\n{END}{tail}"


def diff(current: str, wanted: str) -> str:
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=str(REFERENCE.name),
            tofile=f"{REFERENCE.name} (generated)",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite docs/commands.md in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if docs/commands.md is stale")
    parser.add_argument("--readme", type=Path, default=REFERENCE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    generated = reference()
    if not (args.write or args.check):
        sys.stdout.write(generated)
        return 0
    current = args.readme.read_text(encoding="utf-8")
    wanted = replace_reference(current, generated)
    if args.check:
        if current != wanted:
            sys.stdout.write(diff(current, wanted))
            print(
                "docs/commands.md is out of date: run 'make readme'.",
                file=sys.stderr,
            )
            return 1
        return 0
    if current != wanted:
        args.readme.write_text(wanted, encoding="utf-8")
        print(f"Updated {args.readme.name}.", file=sys.stderr)
    else:
        print(f"{args.readme.name} is up to date.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
