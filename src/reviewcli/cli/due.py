"""``reviewcli due``: the daily work list."""

from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..worklist import EXTRA_KEYS, ITEM_KEYS, KINDS
from . import app
from .common import handle_errors, on_date, store


class DueFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


# Rows drawn per section in the terminal; the other formats always carry every item.
TABLE_LIMIT = 300

# Every key of an item; booked and number are blank but for reviews.
CSV_COLUMNS = [*ITEM_KEYS, *EXTRA_KEYS["review"]]


@app.command("due")
@handle_errors
def due(
    on: Annotated[
        str | None, typer.Option("--on", help="Look from this date (default today).")
    ] = None,
    within: Annotated[
        int, typer.Option("--within", min=0, help="Days ahead to include (at most 3660).")
    ] = 30,
    iro: Annotated[
        str | None,
        typer.Option("--iro", help="Only this IRO's children: an IRO id or name (any case)."),
    ] = None,
    team: Annotated[
        str | None, typer.Option("--team", help="Only this team's children (any case).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Only these kinds (repeatable): " + ", ".join(KINDS) + ".",
            autocompletion=lambda incomplete: [k for k in KINDS if k.startswith(incomplete)],
        ),
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
    from .. import filters as check
    from ..errors import ReviewError
    from ..worklist import due_html_rows
    from ..worklist import due_sections as sections

    day = on_date(on)
    if within > 3660:
        raise ReviewError(f"--within {within} is too far ahead; look at most 3660 days ahead")
    kinds = set(check.kinds(kind, KINDS))
    with store() as s:
        filters = {"iro": check.iro(s, iro), "team": check.team(s, team), "kinds": kinds}
        if fmt == DueFormat.table and out is None:
            counts, shown = sections(s, day, within, show=TABLE_LIMIT, **filters)
            print_due(counts, shown, day, within, asked=check.described(**filters))
            return
        stream = _open_out(out)
        try:
            if fmt == DueFormat.json:
                written = _write_json(s, day, within, filters, stream)
            elif fmt == DueFormat.csv:
                written = _write_csv(s, day, within, filters, stream)
            elif fmt == DueFormat.html:
                from ..output import _bytes_writer

                sections = due_html_rows(s, day, within, **filters)
                authority = s.policy_values["authority-name"]
                _bytes_writer(stream)(due_html(sections, day, within, authority))
                written = sum(count for _, count in sections)
            else:
                counts, shown = sections(s, day, within, show=TABLE_LIMIT, **filters)
                print_due(
                    counts, shown, day, within, stream, width=120, asked=check.described(**filters)
                )
                written = sum(counts.values())
        finally:
            if out is not None:
                stream.close()
    if out is not None:
        typer.echo(f"Wrote {written} items to {out}.", err=True)


def _write_json(s, day: date, within: int, filters: dict, stream) -> int:
    """The items as SQLite encodes them, streamed."""
    from ..output import write_json_texts
    from ..worklist import due_json

    return write_json_texts(due_json(s, day, within, **filters), stream)


def _write_csv(s, day: date, within: int, filters: dict, stream) -> int:
    """Every item as CSV, its lines joined by SQLite and checked a chunk at a time
    (``worklist.due_csv``)."""
    from ..output import BOM, _bytes_writer, csv_for_excel
    from ..worklist import due_csv

    excel = csv_for_excel()
    if excel:
        stream.write(BOM)
    write = _bytes_writer(stream)
    write(",".join(CSV_COLUMNS).encode() + (b"\r\n" if excel else b"\n"))
    count = 0
    for chunk, rows in due_csv(s, day, within, CSV_COLUMNS, excel=excel, **filters):
        write(chunk)
        count += rows
    return count


def _open_out(out: Path | None):
    import sys

    if out is None:
        return sys.stdout
    from ..files import open_private

    return open_private(out)


def due_html(
    sections: list[tuple[bytes, int]], day: date, within: int, authority: str = ""
) -> bytes:
    """The printable list in UTF-8: ``sections`` are the rows of each section, as HTML in
    UTF-8, and how many (``worklist.due_html_rows``). The page is rendered around a mark
    for each section's rows, which are put in its place as bytes (megabytes of rows are
    not decoded, joined by Jinja and encoded again)."""
    from uuid import uuid4

    from markupsafe import Markup

    from ..templating import render
    from ..worklist import SECTIONS

    marks = [f"[rows {uuid4().hex}]" for _ in SECTIONS]
    css = {"Overdue": "overdue", "Due this week": "week", "Later": "later"}
    page = render(
        "due.html.j2",
        {
            "on": day,
            "within": within,
            "authority": authority,
            "sections": [
                {"title": name, "css": css[name], "rows": Markup(mark), "count": count}
                for name, mark, (_, count) in zip(SECTIONS, marks, sections, strict=True)
            ],
            "summary": summary_line(
                {name: count for name, (_, count) in zip(SECTIONS, sections, strict=True)}
            ),
        },
    ).encode()
    for mark, (rows, _) in zip(marks, sections, strict=True):
        page = page.replace(mark.encode(), rows, 1)
    return page


def summary_line(counts: dict[str, int]) -> str:
    return (
        f"{counts['Overdue']} overdue, {counts['Due this week']} due this week, "
        f"{counts['Later']} later; {sum(counts.values())} in all."
    )


# ANSI styles of the sections, as Rich would write them.
_STYLES = {"Overdue": "1;31", "Due this week": "33", "Later": "32", "heading": "1"}


# The columns of the terminal list before "What": (key, heading, widest). Due, Child and
# Rule always; the others join, in this order, while "What" keeps WHAT_ROOM cells, so
# 80 columns show one line for most items and a wider terminal shows more columns.
DUE_COLUMNS = (
    ("due", "Due", 10),
    ("kind", "Kind", 16),
    ("child_id", "Child", 16),
    ("name", "Name", 22),
    ("iro", "IRO", 8),
    ("rule", "Rule", 9),
)
OPTIONAL_DUE_COLUMNS = ("name", "kind", "iro")
WHAT_ROOM = 60


def due_columns(items: list[dict], width: int) -> list[tuple[str, str, int]]:
    """The columns (key, heading, width) of the terminal list at ``width`` cells."""
    from ..output import cell_len

    sizes = {
        key: min(cap, max([cell_len(heading)] + [cell_len(str(i[key] or "-")) for i in items]))
        for key, heading, cap in DUE_COLUMNS
    }
    chosen = {"due", "child_id", "rule"}
    for key in OPTIONAL_DUE_COLUMNS:
        lead = sum(sizes[k] + 2 for k in chosen | {key})
        if width - lead >= WHAT_ROOM:
            chosen.add(key)
    return [(key, heading, sizes[key]) for key, heading, _ in DUE_COLUMNS if key in chosen]


def print_due(
    counts: dict[str, int],
    groups: dict[str, list[dict]],
    day: date,
    within: int,
    stream=None,
    width: int | None = None,
    asked: str = "",
) -> None:
    """The work list for a terminal: one aligned line per item, grouped by urgency.

    ``counts`` says how many items each section has and ``groups`` holds the first of
    them (at most TABLE_LIMIT a section). Each column has a width fixed from its content
    and the "What" column takes the rest of the line, wrapping under itself, so the list
    is written at once: laying it out as a Rich table took seconds for a few hundred rows.
    """
    import shutil
    import sys

    from rich.cells import set_cell_size

    from ..output import cell_len, colour_wanted, wrap

    stream = stream or sys.stdout
    colour = colour_wanted(stream)
    if width is None:
        # COLUMNS when set, else the terminal's width, else 80 (a pipe or a file).
        width = shutil.get_terminal_size((80, 24)).columns

    def paint(text: str, style: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if colour and text else text

    def fit(text: str, size: int) -> str:
        if cell_len(text) > size:
            return set_cell_size(text, size - 1) + "…"
        return set_cell_size(text, size)

    days = f"{within} day{'' if within == 1 else 's'}"
    lines = [f"{paint('Work due', 'heading')} on {day:%A %-d %B %Y} (looking {days} ahead)"]
    if not any(counts.values()):
        # Say exactly what was asked: a filter that matched nothing must not read as "all clear".
        until = day + timedelta(days=within)
        lines.append(f"Nothing due{asked} by {until.isoformat()}.")
        stream.write("\n".join(lines) + "\n")
        return
    shown = [i for rows in groups.values() for i in rows[:TABLE_LIMIT]]
    columns = due_columns(shown, width)
    keys = [key for key, _, _ in columns]
    headings = [heading for _, heading, _ in columns]
    widths = [size for _, _, size in columns]
    lead = sum(widths) + 2 * len(widths)
    what_width = max(12, width - lead)
    indent = "\n" + " " * lead

    def what(text: str) -> str:
        # The "What" column wraps under itself, so nothing the admin must read is cut.
        if cell_len(text) <= what_width:
            return text
        return indent.join(wrap(text, what_width))

    for name, rows in groups.items():
        total = counts[name]
        if not total:
            continue
        lines.append(paint(f"{name} ({total})", name))
        head = "  ".join(fit(h, w) for h, w in zip(headings, widths, strict=True))
        lines.append(paint(f"{head}  What", "heading"))
        for item in rows[:TABLE_LIMIT]:
            cells = [fit(str(item[k] or "-"), w) for k, w in zip(keys, widths, strict=True)]
            cells[0] = paint(cells[0], name)
            lines.append("  ".join(cells) + "  " + what(item["detail"]))
        if total > len(rows[:TABLE_LIMIT]):
            lines += wrap(
                f"… and {total - len(rows[:TABLE_LIMIT])} more {name.lower()}: narrow the list "
                "with --iro, --team or --kind, or use --format csv / json / html for all of them.",
                width,
            )
        lines.append("")
    lines.append(summary_line(counts))
    stream.write("\n".join(lines) + "\n")
