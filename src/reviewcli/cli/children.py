"""IROs, children, episodes of care and IRO allocation."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import (
    FormatOption,
    ListFormat,
    WriteFormat,
    WriteFormatOption,
    handle_errors,
    report,
    store,
    today,
    writing,
)

iro_app = typer.Typer(help="Independent Reviewing Officers.", no_args_is_help=True)
child_app = typer.Typer(help="Children: register, list, show.", no_args_is_help=True)
episode_app = typer.Typer(
    help="Periods of care and their episodes (SSDA903): start, change, end.",
    no_args_is_help=True,
)
app.add_typer(iro_app, name="iro")
app.add_typer(child_app, name="child")
app.add_typer(episode_app, name="episode")

DateOpt = Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")]


class ShowFormat(str, Enum):
    table = "table"
    json = "json"


@iro_app.command("add")
@handle_errors
def iro_add(
    name: Annotated[str, typer.Argument(help="The IRO's full name.")],
    iro_id: Annotated[str, typer.Option("--id", help="A short id, e.g. IRO1.")],
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number.")] = None,
    fte: Annotated[float, typer.Option(help="Full-time equivalent (R-IRO-4).")] = 1.0,
    team: Annotated[str | None, typer.Option(help="Team.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Add an IRO."""
    from ..records import add_iro

    with writing() as s:
        report(add_iro(s, iro_id, name, email=email, phone=phone, fte=fte, team=team), fmt)


@iro_app.command("list")
@handle_errors
def iro_list(fmt: FormatOption = ListFormat.table) -> None:
    """List IROs with their open caseload (over 70 per FTE is flagged, R-IRO-4)."""
    from ..output import render
    from ..worklist import iro_rows

    with store() as s:
        rows = iro_rows(s)
        if fmt == ListFormat.table:
            rows = rows.map(_caseload_note)
        render(
            rows,
            fmt.value,
            [
                ("id", "ID"),
                ("name", "Name"),
                ("team", "Team"),
                ("fte", "FTE"),
                ("caseload", "Caseload"),
                ("per_fte", "Per FTE"),
                ("over_caseload", "R-IRO-4"),
                ("email", "Email"),
            ],
            title="IROs",
            empty="No IROs yet: add one with 'reviewcli iro add NAME --id ID'.",
        )


def _caseload_note(row: dict) -> dict:
    row["over_caseload"] = "over 70 per FTE" if row["over_caseload"] else ""
    return row


@child_app.command("add")
@handle_errors
def child_add(
    child_id: Annotated[str, typer.Argument(help="The child's id (as in the 903 return).")],
    first_name: Annotated[str, typer.Option("--first-name", help="First name.")],
    last_name: Annotated[str, typer.Option("--last-name", help="Last name.")],
    dob: Annotated[str, typer.Option("--dob", help="Date of birth, YYYY-MM-DD.")],
    gender: Annotated[str | None, typer.Option(help="Gender.")] = None,
    sibling_group: Annotated[
        str | None, typer.Option("--sibling-group", help="Siblings share a group id (R-IRO-3).")
    ] = None,
    social_worker: Annotated[str | None, typer.Option("--social-worker", help="Name.")] = None,
    team: Annotated[str | None, typer.Option(help="The social work team.")] = None,
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="The child's parent, if also looked after (R-IRO-3)."),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Register a child."""
    from ..records import add_child

    with writing() as s:
        report(
            add_child(
                s,
                child_id,
                first_name=first_name,
                last_name=last_name,
                dob=dob,
                today=today(),
                gender=gender,
                sibling_group=sibling_group,
                social_worker=social_worker,
                team=team,
                parent=parent,
            ),
            fmt,
        )


@child_app.command("list")
@handle_errors
def child_list(
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    iro: Annotated[str | None, typer.Option(help="Only children of this IRO.")] = None,
    looked_after: Annotated[
        bool | None,
        typer.Option("--looked-after/--not-looked-after", help="Only children in / out of care."),
    ] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """List children with their next review deadline."""
    from ..output import render
    from ..worklist import child_rows

    with store() as s:
        rows = child_rows(s, today(), team=team, iro=iro, looked_after=looked_after)
        render(
            rows,
            fmt.value,
            [
                ("id", "ID"),
                ("first_name", "First name"),
                ("last_name", "Last name"),
                ("dob", "DOB"),
                ("team", "Team"),
                ("iro", "IRO"),
                ("looked_after", "In care"),
                ("next_due", "Next review by"),
                ("next_rule", "Rule"),
            ],
            title="Children",
            empty="No children yet: add one with 'reviewcli child add'.",
        )


@child_app.command("show")
@handle_errors
def child_show(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="table or json.")
    ] = ShowFormat.table,
) -> None:
    """Show a child: care history, IRO, reviews and the next review deadline."""
    from ..worklist import child_summary

    with store() as s:
        info = child_summary(s, child_id, today())
    if fmt == ShowFormat.json:
        from ..output import write_json

        write_json(info)
        return
    _print_child(info)
    if info.get("history_note"):
        # Care begun before the earliest SSDA903 return held (R-SCH-3 until recorded).
        typer.echo(f"History incomplete: {info['history_note']}.")


def _print_child(info: dict) -> None:
    from rich.markup import escape

    from ..output import console, table

    out = console()
    out.print(
        f"[bold]{escape(info['first_name'])} {escape(info['last_name'])}[/] ({escape(info['id'])})"
        f"  born {info['dob']} (age {info['age']})"
        + (f"  team {escape(info['team'])}" if info["team"] else "")
    )
    status = "looked after" if info["looked_after"] else "not looked after"
    iro = f"{escape(info['iro_name'])} ({info['iro']})" if info["iro"] else "none"
    out.print(f"Status: {status}   IRO: {iro}")
    nxt = info["next_review"]
    if nxt:
        booked = f", booked for {nxt['booked']}" if nxt["booked"] else ", not yet booked"
        colour = "red" if nxt["overdue"] else "green"
        out.print(
            f"Next review: number {nxt['number']} due by [{colour}]{nxt['due']}[/] "
            f"({nxt['rule']}){booked}"
        )
        if nxt["detail"]:
            out.print(f"  {escape(nxt['detail'])}")
    if info["episodes"]:
        out.print(
            table(
                info["episodes"],
                [
                    ("start_date", "From"),
                    ("end_date", "To"),
                    ("rne", "RNE"),
                    ("legal_status", "LS"),
                    ("placement", "Place"),
                    ("reason_ceased", "REC"),
                ],
                title="Episodes",
            )
        )
    if info["reviews"]:
        out.print(
            table(
                info["reviews"],
                [
                    ("id", "ID"),
                    ("number", "No."),
                    ("status", "Status"),
                    ("deadline", "Deadline"),
                    ("rule", "Rule"),
                    ("booked_date", "Booked"),
                    ("recording_date", "Recorded"),
                    ("participation", "PN"),
                    ("on_time", "On time"),
                ],
                title="Reviews",
            )
        )


@episode_app.command("start")
@handle_errors
def episode_start(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: DateOpt,
    legal_status: Annotated[
        str | None, typer.Option("--legal-status", help="SSDA903 legal status, e.g. C2.")
    ] = None,
    placement: Annotated[
        str | None, typer.Option("--placement", help="SSDA903 placement type, e.g. U6.")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """The child becomes looked after: start a period of care (RNE S)."""
    from ..records import start_episode

    with writing() as s:
        report(
            start_episode(
                s, child_id, on=on, today=today(), legal_status=legal_status, placement=placement
            ),
            fmt,
        )


@episode_app.command("change")
@handle_errors
def episode_change(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: DateOpt,
    legal_status: Annotated[str | None, typer.Option("--legal-status", help="New LS.")] = None,
    placement: Annotated[str | None, typer.Option("--placement", help="New placement.")] = None,
    reason_place_change: Annotated[
        str | None,
        typer.Option("--reason-place-change", help="SSDA903 reason, e.g. CARPL."),
    ] = None,
    rne: Annotated[
        str | None, typer.Option("--rne", help="Reason for new episode (derived if omitted).")
    ] = None,
    local_reason: Annotated[
        str | None,
        typer.Option(
            "--local-reason",
            help="Local placement rule trigger (R-SCH-9): unplanned, out-of-borough, "
            "return-home, care-plan-change, secure, mental-health.",
        ),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """A change of legal status or placement: a new episode in the same period of care."""
    from ..records import change_episode

    with writing() as s:
        report(
            change_episode(
                s,
                child_id,
                on=on,
                today=today(),
                legal_status=legal_status,
                placement=placement,
                reason_place_change=reason_place_change,
                rne=rne,
                local_reason=local_reason,
            ),
            fmt,
        )


@episode_app.command("end")
@handle_errors
def episode_end(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: DateOpt,
    reason: Annotated[
        str | None, typer.Option("--reason", help="SSDA903 reason ceased (REC), e.g. E4A.")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """The child ceases to be looked after: end the period of care (R-SCH-11)."""
    from ..records import end_episode

    with writing() as s:
        report(end_episode(s, child_id, on=on, today=today(), reason=reason), fmt)


@app.command("allocate")
@handle_errors
def allocate(
    child_id: Annotated[str | None, typer.Argument(help="The child's id.")] = None,
    iro_id: Annotated[str | None, typer.Argument(help="The IRO's id.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="Default: today.")] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why siblings have different IROs (R-IRO-3)."),
    ] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option("--from", help="CSV of child_id,iro_id[,date]: all or nothing."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check --from only.")] = False,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write rejected rows to this CSV.")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Name the child's IRO (R-IRO-2); the previous allocation ends that day."""
    from ..errors import ReviewError
    from ..records import allocate as do_allocate

    t = today()
    if from_csv is not None:
        if child_id or iro_id or on or reason:
            raise ReviewError("give either CHILD_ID IRO_ID or --from CSV, not both")
        from ..onboarding import allocate_from_csv

        with store() as s:
            done, rejected = allocate_from_csv(s, from_csv, today=t, dry_run=dry_run)
        _bulk_report(done, rejected, rejects, dry_run, fmt, "allocated", "allocations")
        return
    if not child_id or not iro_id:
        # A usage error (exit 2), as when a required argument is missing.
        missing = "CHILD_ID" if not child_id else "IRO_ID"
        typer.echo(
            "Usage: reviewcli allocate [OPTIONS] CHILD_ID IRO_ID  (or --from CSV)\n"
            f"Error: Missing argument '{missing}'.",
            err=True,
        )
        raise typer.Exit(2)
    with writing() as s:
        report(do_allocate(s, child_id, iro_id, on=on or t, today=t, reason=reason), fmt)


def _bulk_report(done, rejected, rejects_path, dry_run, fmt, verb, noun) -> None:
    """Every reject listed (and written to --rejects); exit 1 when any, nothing changed."""
    from ..output import console, table, write_json
    from ..ssda903 import write_rejects

    if rejected:
        if rejects_path:
            write_rejects(rejected, rejects_path)
        console(stderr=True).print(
            table(
                [r.__dict__ for r in rejected],
                [("file", "File"), ("line", "Line"), ("child", "Child"), ("reason", "Reason")],
                title=f"{len(rejected)} rejected rows",
            )
        )
        typer.echo(f"Error: {len(rejected)} rows cannot be taken; nothing was changed.", err=True)
        raise typer.Exit(1)
    if fmt == WriteFormat.json:
        write_json({noun: done, "dry_run": dry_run})
    elif dry_run:
        typer.echo(f"Would make {done} {noun}. Nothing was changed (dry run).")
    else:
        typer.echo(f"{done} {noun} made ({verb}).")


@child_app.command("edit")
@handle_errors
def child_edit(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    first_name: Annotated[str | None, typer.Option("--first-name", help="First name.")] = None,
    last_name: Annotated[str | None, typer.Option("--last-name", help="Last name.")] = None,
    dob: Annotated[str | None, typer.Option("--dob", help="Date of birth, YYYY-MM-DD.")] = None,
    gender: Annotated[str | None, typer.Option(help="Gender.")] = None,
    team: Annotated[str | None, typer.Option(help="The social work team.")] = None,
    social_worker: Annotated[str | None, typer.Option("--social-worker", help="Name.")] = None,
    sibling_group: Annotated[
        str | None, typer.Option("--sibling-group", help="Siblings share a group id (R-IRO-3).")
    ] = None,
    ethnic: Annotated[str | None, typer.Option("--ethnic", help="SSDA903 ETHNIC.")] = None,
    upn: Annotated[str | None, typer.Option("--upn", help="SSDA903 UPN.")] = None,
    mother: Annotated[str | None, typer.Option("--mother", help="SSDA903 MOTHER: 1 or 0.")] = None,
    mc_dob: Annotated[
        str | None, typer.Option("--mc-dob", help="SSDA903 MC_DOB, YYYY-MM-DD ('' clears).")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Change a child's details (and the return's fields); audited."""
    from ..onboarding import edit_child

    with writing() as s:
        report(
            edit_child(
                s, child_id, today=today(), first_name=first_name, last_name=last_name,
                dob=dob, gender=gender, team=team, social_worker=social_worker,
                sibling_group=sibling_group, ethnic=ethnic, upn=upn, mother=mother,
                mc_dob=mc_dob,
            ),
            fmt,
        )  # fmt: skip


@episode_app.command("edit")
@handle_errors
def episode_edit(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: Annotated[str, typer.Option("--date", help="The episode's start date, YYYY-MM-DD.")],
    cin: Annotated[str | None, typer.Option("--cin", help="SSDA903 CIN.")] = None,
    place_provider: Annotated[
        str | None, typer.Option("--place-provider", help="SSDA903 PLACE_PROVIDER.")
    ] = None,
    home_post: Annotated[str | None, typer.Option("--home-post", help="SSDA903 HOME_POST.")] = None,
    pl_post: Annotated[str | None, typer.Option("--pl-post", help="SSDA903 PL_POST.")] = None,
    urn: Annotated[str | None, typer.Option("--urn", help="SSDA903 URN.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Change an episode's SSDA903 fields ('' clears one); audited."""
    from ..onboarding import edit_episode

    with writing() as s:
        report(
            edit_episode(
                s, child_id, on=on, cin=cin, place_provider=place_provider,
                home_post=home_post, pl_post=pl_post, urn=urn,
            ),
            fmt,
        )  # fmt: skip


@child_app.command("history")
@handle_errors
def child_history(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    started: Annotated[str, typer.Option("--started", help="When care really began, YYYY-MM-DD.")],
    earlier_reviews: Annotated[
        int, typer.Option("--earlier-reviews", help="Reviews held before the earliest record.")
    ],
    period: Annotated[
        str | None,
        typer.Option("--period", help="The period's first episode date (default: the latest)."),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record the history of care begun before the earliest SSDA903 return held."""
    from ..onboarding import record_history

    with writing() as s:
        report(
            record_history(
                s, child_id, started=started, earlier_reviews=earlier_reviews, today=today(),
                period_start=period,
            ),
            fmt,
        )  # fmt: skip


@child_app.command("pathway-plan")
@handle_errors
def child_pathway_plan(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    received: Annotated[str | None, typer.Option("--received", help="Default: today.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record that the final pathway plan reached the IRO (R-SCH-16)."""
    from ..records import record_pathway_plan

    t = today()
    with writing() as s:
        report(record_pathway_plan(s, child_id, on=received or t, today=t), fmt)
