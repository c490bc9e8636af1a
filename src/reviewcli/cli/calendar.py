"""``reviewcli calendar``: booked review meetings as an iCalendar file."""

from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import handle_errors, on_date, store


@app.command("calendar")
@handle_errors
def calendar(
    out: Annotated[Path, typer.Option("--out", help="The iCalendar file to write (.ics).")],
    iro: Annotated[
        str | None,
        typer.Option("--iro", help="Only the meetings this IRO chairs: an id or name (any case)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day to include (default today)."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day to include (default: no limit).")
    ] = None,
) -> None:
    """Booked review meetings as an iCalendar file, one event per meeting.

    A calendar that imports the file again updates each event in place; a moved meeting
    carries a higher SEQUENCE and a cancelled one STATUS:CANCELLED. No child's surname or
    address goes into an event unless the calendar-personal-details setting allows it."""
    from .. import filters as check
    from ..errors import ReviewError
    from ..files import open_private
    from ..ical import calendar_bytes, meetings

    first = on_date(start)
    last = on_date(end) if end else None
    if last is not None and last < first:
        raise ReviewError(f"--to {last} is before --from {first}")
    with store() as s:
        iro = check.iro(s, iro)
        items = meetings(s, iro=iro, start=first, end=last)
        data = calendar_bytes(s, items)
    with open_private(out, "wb", encoding=None) as stream:
        stream.write(data)
    cancelled = sum(1 for m in items if m["status"] == "cancelled")
    note = f" ({cancelled} cancelled)" if cancelled else ""
    typer.echo(
        f"Wrote {len(items)} meeting{'' if len(items) == 1 else 's'}{note} to {out}.", err=True
    )
