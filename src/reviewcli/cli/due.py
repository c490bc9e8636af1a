"""``reviewcli due``: the daily work list."""

from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import handle_errors, on_date, store


class DueFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


# Rows drawn per section in the terminal; the other formats always carry every item.
TABLE_LIMIT = 300

CSV_COLUMNS = [
    "kind",
    "child_id",
    "due",
    "overdue",
    "review_id",
    "rule",
    "detail",
    "name",
    "iro",
    "team",
    "booked",
    "number",
]


@app.command("due")
@handle_errors
def due(
    on: Annotated[
        str | None, typer.Option("--on", help="Look from this date (default today).")
    ] = None,
    within: Annotated[
        int, typer.Option("--within", min=0, help="Days ahead to include (at most 3660).")
    ] = 30,
    iro: Annotated[str | None, typer.Option("--iro", help="Only this IRO's children.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only these kinds (repeatable): review, allocation, …"),
    ] = None,
    fmt: Annotated[
        DueFormat,
        typer.Option("--format", "-f", help="table, json, csv, or html (a printable A4 list)."),
    ] = DueFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """What must be done: every outstanding item due by --on + --within days, overdue first."""
    from ..errors import ReviewError
    from ..worklist import KINDS, due_items

    day = on_date(on)
    if within > 3660:
        raise ReviewError(f"--within {within} is too far ahead; look at most 3660 days ahead")
    if kind:
        unknown = [k for k in kind if k not in KINDS]
        if unknown:
            raise ReviewError(f"unknown kind {unknown[0]!r}; kinds: {', '.join(KINDS)}")
    with store() as s:
        items = due_items(s, day, within, iro=iro, team=team, kinds=set(kind or ()))
        authority = s.policy_values["authority-name"] if fmt == DueFormat.html else ""
    if fmt == DueFormat.table and out is None:
        print_due(items, day, within)
        return
    stream = _open_out(out)
    try:
        if fmt == DueFormat.json:
            from ..output import write_json

            write_json(items, stream)
        elif fmt == DueFormat.csv:
            from ..output import write_csv

            write_csv(items, CSV_COLUMNS, stream)
        elif fmt == DueFormat.html:
            stream.write(due_html(items, day, within, authority))
        else:
            from rich.console import Console

            print_due(items, day, within, Console(file=stream, width=120))
    finally:
        if out is not None:
            stream.close()
    if out is not None:
        typer.echo(f"Wrote {len(items)} items to {out}.", err=True)


def _open_out(out: Path | None):
    import sys

    if out is None:
        return sys.stdout
    from ..files import open_private

    return open_private(out)


def due_html(items: list[dict], day: date, within: int, authority: str = "") -> str:
    from ..templating import render

    groups = _section(items, day)
    css = {"Overdue": "overdue", "Due this week": "week", "Later": "later"}
    return render(
        "due.html.j2",
        {
            "on": day,
            "within": within,
            "authority": authority,
            "sections": [
                {"title": name, "css": css[name], "items": rows} for name, rows in groups.items()
            ],
            "summary": summary_line(groups, len(items)),
        },
    )


def summary_line(groups: dict[str, list[dict]], total: int) -> str:
    return (
        f"{len(groups['Overdue'])} overdue, {len(groups['Due this week'])} due this week, "
        f"{len(groups['Later'])} later; {total} in all."
    )


def _section(items: list[dict], day: date) -> dict[str, list[dict]]:
    week_end = (day + timedelta(days=7)).isoformat()
    groups = {"Overdue": [], "Due this week": [], "Later": []}
    for item in items:
        if item["overdue"]:
            groups["Overdue"].append(item)
        elif item["due"] <= week_end:
            groups["Due this week"].append(item)
        else:
            groups["Later"].append(item)
    return groups


def print_due(items: list[dict], day: date, within: int, out=None) -> None:
    """The work list for a terminal: one aligned line per item, grouped by urgency.

    Rich's Table measures every cell to lay out wrapped columns, which takes over a
    second for a few hundred rows; here each column has a width fixed from its content
    and the "What" column takes the rest of the line, so the list draws at once.
    """
    import textwrap

    from rich.cells import cell_len
    from rich.text import Text

    from ..output import console

    out = out or console()
    out.print(f"[bold]Work due[/] on {day:%A %-d %B %Y} (looking {within} days ahead)")
    if not items:
        out.print("Nothing due. " + summary_line(_section(items, day), 0))
        return
    styles = {"Overdue": "bold red", "Due this week": "yellow", "Later": "green"}
    groups = _section(items, day)
    keys = ("due", "kind", "child_id", "name", "iro", "rule")
    headings = ("Due", "Kind", "Child", "Name", "IRO", "Rule")
    caps = (10, 16, 12, 24, 8, 9)
    shown = [i for rows in groups.values() for i in rows[:TABLE_LIMIT]]
    widths = [
        min(cap, max([cell_len(h)] + [cell_len(str(i[k] or "-")) for i in shown]))
        for k, h, cap in zip(keys, headings, caps, strict=True)
    ]
    what_width = max(30, out.width - sum(widths) - 2 * len(widths) - 1)

    def line(cells, what, style=""):
        text = Text(style=style, no_wrap=True, overflow="ellipsis")
        for cell, width in zip(cells, widths, strict=True):
            piece = Text(str(cell))
            piece.truncate(width, overflow="ellipsis", pad=True)
            text.append_text(piece)
            text.append("  ")
        # The "What" column wraps under itself, so nothing the admin must read is cut.
        indent = " " * (sum(widths) + 2 * len(widths))
        wrapped = textwrap.wrap(what, what_width) or [""]
        text.append(("\n" + indent).join(wrapped))
        return text

    for name, rows in groups.items():
        if not rows:
            continue
        block = Text()
        block.append(f"{name} ({len(rows)})\n", style=styles[name])
        block.append_text(line(headings, "What", style="bold"))
        for item in rows[:TABLE_LIMIT]:
            block.append("\n")
            row = line([item[k] or "-" for k in keys], item["detail"])
            row.stylize(styles[name], 0, widths[0])
            block.append_text(row)
        out.print(block, soft_wrap=True)
        if len(rows) > TABLE_LIMIT:
            out.print(
                f"… and {len(rows) - TABLE_LIMIT} more {name.lower()}: narrow the list with "
                "--iro, --team or --kind, or use --format csv / json / html for all of them."
            )
        out.print()
    out.print(summary_line(groups, len(items)))
