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
                ("name", "Name", "wrap"),
                ("team", "Team", "wrap"),
                ("fte", "FTE"),
                ("caseload", "Caseload"),
                ("per_fte", "Per FTE", "optional"),
                ("over_caseload", "R-IRO-4", "wrap"),
                ("email", "Email", "optional:2"),
            ],
            title="IROs",
            empty="No IROs yet: add one with 'reviewcli iro add NAME --id ID'.",
        )


# Every field of `child list` in CSV (the table joins the names).
CHILD_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "dob",
    "team",
    "social_worker",
    "iro",
    "looked_after",
    "looked_after_since",
    "next_number",
    "next_due",
    "next_rule",
    "overdue",
)


def _with_name(row: dict) -> dict:
    row["name"] = f"{row['first_name']} {row['last_name']}"
    return row


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
    team: Annotated[str | None, typer.Option(help="Only this team (any case).")] = None,
    iro: Annotated[
        str | None, typer.Option(help="Only children of this IRO: an id or name (any case).")
    ] = None,
    looked_after: Annotated[
        bool | None,
        typer.Option("--looked-after/--not-looked-after", help="Only children in / out of care."),
    ] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """List children with their next review deadline."""
    from .. import filters as check
    from ..output import render
    from ..worklist import child_rows

    with store() as s:
        team, iro = check.team(s, team), check.iro(s, iro)
        empty = "No children yet: add one with 'reviewcli child add'."
        if s.value("SELECT 1 FROM children LIMIT 1"):
            care = {True: " in care", False: " not in care", None: ""}[looked_after]
            empty = f"No children{care}{check.described(team=team, iro=iro)}."
        rows = child_rows(s, today(), team=team, iro=iro, looked_after=looked_after)
        if fmt == ListFormat.table:
            rows = rows.map(_with_name)
        render(
            rows,
            fmt.value,
            [
                ("id", "ID"),
                ("name", "Name", "wrap"),
                ("dob", "Born"),
                ("team", "Team", "wrap optional"),
                ("iro", "IRO"),
                ("looked_after", "In care", "optional:2"),
                ("next_due", "Review by"),
                ("next_rule", "Rule"),
            ],
            title="Children",
            empty=empty,
            fields=CHILD_FIELDS,
        )


@child_app.command("show")
@handle_errors
def child_show(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="table or json.")
    ] = ShowFormat.table,
) -> None:
    """The one page about a child: identity, age and 18th birthday, team, social worker,
    siblings and their IROs, IRO history, care history, reviews with participation, the
    next review and why (rule id and sentence), open steps and actions, undecided events,
    open disputes, pathway plan and contacts. --format json carries every part."""
    from ..childpage import child_page, print_page

    with store() as s:
        info = child_page(s, child_id, today())
    if fmt == ShowFormat.json:
        from ..output import write_json

        write_json(info)
        return
    print_page(info)
    if info.get("history_note"):
        # Care begun before the earliest SSDA903 return held (R-SCH-3 until recorded).
        typer.echo(f"History incomplete: {info['history_note']}.")


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
    change_reason: Annotated[
        str | None,
        typer.Option(
            "--change-reason",
            help="Why the IRO changes: iro-left, iro-absence, caseload, team-change, siblings, "
            "child-request, family-request, conflict-of-interest, placement-move or other.",
        ),
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
        if child_id or iro_id or on or reason or change_reason:
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
        report(
            do_allocate(
                s, child_id, iro_id, on=on or t, today=t, reason=reason, change_reason=change_reason
            ),
            fmt,
        )


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
