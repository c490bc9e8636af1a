"""Data in and out: the SSDA903 return, and a plain list of children."""

from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import WriteFormat, WriteFormatOption, handle_errors, progress_bar, store, today

export_app = typer.Typer(help="Export data: the SSDA903 return.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import data: an SSDA903 return, or a list of children.", no_args_is_help=True
)
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


@export_app.command("ssda903")
@handle_errors
def export_ssda903(
    out: Annotated[Path, typer.Option("--out", help="Folder for the three CSV files.")],
    year: Annotated[
        int | None,
        typer.Option("--year", help="Collection year ending 31 March (2026 = 2025-26)."),
    ] = None,
    all_years: Annotated[
        bool,
        typer.Option("--all-years", help="The whole history (to move data between databases)."),
    ] = False,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Run the DfE's rules on the export (needs the extra reviewcli[validate]).",
        ),
    ] = False,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Write header.csv, episodes.csv and reviews.csv for the DfE collection year."""
    from ..errors import ReviewError
    from ..output import write_json
    from ..ssda903 import export

    if (year is None) == (not all_years):
        raise ReviewError("give either --year YYYY or --all-years")
    if validate:
        from .. import validate as checker

        if year is None:
            raise ReviewError("--validate needs --year: the rules are the year's")
        if not checker.available():
            raise ReviewError(checker.INSTALL)
    with store() as s:
        result = export(s, year, out)
    if validate:
        failures = checker.validate(out, year)
        result["failures"] = failures
        if fmt != WriteFormat.json:
            from ..output import console, table

            console(stderr=True).print(
                table(
                    failures,
                    [("rule", "Rule"), ("child", "Child"), ("table", "Table"),
                     ("fields", "Fields"), ("description", "Description")],
                    title=f"{len(failures)} failures of the DfE rules",
                )
            )  # fmt: skip
    span = "all years" if all_years else f"{result['from']} to {result['to']}"
    if fmt == WriteFormat.json:
        write_json(result)
    else:
        typer.echo(
            f"SSDA903 {span}: {result['children']} children, "
            f"{result['episodes']} episodes, {result['reviews']} reviews in {result['folder']}."
        )
    if validate and result["failures"]:
        typer.echo(
            f"Error: the export fails the DfE rules {len(result['failures'])} times; "
            "see the list above",
            err=True,
        )
        raise typer.Exit(1)


@import_app.command("ssda903")
@handle_errors
def import_ssda903(
    folders: Annotated[
        list[Path],
        typer.Argument(
            help="Folder(s) with header.csv, episodes.csv, reviews.csv; several years' "
            "returns may be given together."
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change.")] = False,
    skip_rejected: Annotated[
        bool,
        typer.Option("--skip-rejected", help="Import the clean children, leave rejected ones."),
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write rejected rows to this CSV.")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Load children, periods of care, episodes and held reviews from an SSDA903 return.

    All or nothing, in one transaction; importing the same files again changes nothing.
    """
    from ..ssda903 import import_903, write_rejects

    with store() as s, progress_bar("Importing") as progress:
        plan = import_903(
            s,
            folders,
            today=today(),
            dry_run=dry_run,
            skip_rejected=skip_rejected,
            progress=progress,
        )
    _report_import(
        plan.as_dict(), plan.rejects, rejects, write_rejects, dry_run, skip_rejected, fmt
    )


def _report_import(summary, rejected, rejects_path, write_rejects, dry_run, skip, fmt) -> None:
    from ..output import console, table, write_json

    if rejected:
        if rejects_path:
            write_rejects(rejected, rejects_path)
        rows = [r.__dict__ for r in rejected]
        out = console(stderr=True)
        out.print(
            table(
                rows[:50],
                [("file", "File"), ("line", "Line"), ("child", "Child"), ("reason", "Reason")],
                title=f"{len(rows)} rejected rows" + (" (first 50)" if len(rows) > 50 else ""),
            )
        )
        if rejects_path:
            typer.echo(f"Rejected rows written to {rejects_path}.", err=True)
    refused = bool(rejected) and not skip
    if fmt == WriteFormat.json:
        write_json({**summary, "dry_run": dry_run, "imported": not refused and not dry_run})
    if refused and dry_run and fmt != WriteFormat.json and "children_updated" in summary:
        # The plan and the rejects together: what the clean children would give.
        typer.echo(
            f"Would import, without the rejected rows: {summary['children_new']} new children "
            f"({summary['children_updated']} updated, {summary['unchanged_children']} "
            f"unchanged), {summary['periods_new']} periods, {summary['episodes_new']} episodes "
            f"({summary['episodes_updated']} updated, {summary.get('episodes_replaced', 0)} "
            f"replaced), {summary['reviews_new']} reviews.",
            err=True,
        )
    if refused:
        hint = f" (see {rejects_path})" if rejects_path else " (add --rejects FILE for a CSV)"
        typer.echo(
            f"Error: {len(rejected)} rows cannot be imported{hint}; nothing was imported. Fix "
            "them, or import the clean children with --skip-rejected",
            err=True,
        )
        raise typer.Exit(1)
    if fmt != WriteFormat.json:
        verb = "Would import" if dry_run else "Imported"
        typer.echo(
            f"{verb}: {summary['children_new']} new children ({summary['children_updated']} "
            f"updated, {summary['unchanged_children']} unchanged), {summary['periods_new']} "
            f"periods, {summary['episodes_new']} episodes ({summary['episodes_updated']} "
            f"updated), {summary['reviews_new']} reviews ({summary['reviews_updated']} updated)."
            + (" Nothing was changed (dry run)." if dry_run else "")
        )


@import_app.command("children")
@handle_errors
def import_children(
    path: Annotated[Path, typer.Argument(help="CSV: child_id, first_name, last_name, dob, …")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check only, and show what would change.")
    ] = False,
    update: Annotated[
        bool,
        typer.Option("--update", help="Also change children already held (empty cells keep)."),
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write rejected rows to this CSV.")
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Load a plain list of children with their current episode (and IRO), all or nothing.

    Columns (any case): child_id, first_name, last_name, dob; optional gender, team,
    social_worker, sibling_group, start_date, legal_status, placement, iro, the return's
    ethnic, upn, mother, mc_dob, and care_started with earlier_reviews (care begun before
    the earliest SSDA903 return). With --update, only child_id is required and a child
    already held gets the values its row gives.
    """
    from ..importing import import_children as do_import
    from ..ssda903 import write_rejects

    with store() as s, progress_bar("Importing") as progress:
        summary, rejected = do_import(
            s, path, today=today(), dry_run=dry_run, progress=progress, update=update
        )
    changes = summary.get("changes", [])
    if changes and fmt != WriteFormat.json and (dry_run or rejected):
        from ..output import console, table

        console(stderr=bool(rejected)).print(
            table(
                changes,
                [("child", "Child"), ("field", "Field"), ("before", "Before"),
                 ("after", "After")],
                title="Would change" if dry_run or rejected else "Changed",
            )
        )  # fmt: skip
    if rejected:
        _report_import(summary, rejected, rejects, write_rejects, dry_run, False, fmt)
    elif fmt == WriteFormat.json:
        from ..output import write_json

        write_json({**summary, "dry_run": dry_run})
    else:
        verb = "Would import" if dry_run else "Imported"
        updated = (
            f"; {summary['children_updated']} children updated, "
            f"{summary['histories_recorded']} histories recorded"
            if update
            else ""
        )
        typer.echo(
            f"{verb} {summary['children_new']} children ({summary['periods_new']} looked after, "
            f"{summary['allocations_new']} with an IRO){updated}."
            + (" Nothing was changed (dry run)." if dry_run else "")
        )
