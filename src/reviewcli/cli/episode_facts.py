"""Facts of a period of care that no SSDA903 code carries: the parents' consent to
placement for adoption (R-SCH-6) and the end of a short-break arrangement (R-SCH-5)."""

from typing import Annotated

import typer

from .children import DateOpt, episode_app
from .common import WriteFormat, WriteFormatOption, handle_errors, report, today, writing


@episode_app.command("consent")
@handle_errors
def episode_consent(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: DateOpt,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record the parents' formal consent to placement for adoption (R-SCH-6; no 903 code)."""
    from ..records import record_consent

    with writing() as s:
        report(record_consent(s, child_id, on=on, today=today()), fmt)


@episode_app.command("short-breaks-end")
@handle_errors
def episode_short_breaks_end(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: DateOpt,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the arrangement ended.")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record that the child's short-break arrangement (V3/V4) has ended: a later stay starts
    a new series (R-SCH-5)."""
    from ..records import end_short_breaks

    with writing() as s:
        report(end_short_breaks(s, child_id, on=on, today=today(), reason=reason), fmt)
