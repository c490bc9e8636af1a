"""Run the DfE's rules on an exported SSDA903 return: the public validator
(``csc-validator-be-903``), installed with the optional extra ``reviewcli[validate]``."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
from pathlib import Path

from .errors import ReviewError

INSTALL = (
    "the SSDA903 validator is not installed; install it with "
    "\"pip install 'reviewcli[validate]'\" (the DfE rules, csc-validator-be-903)"
)


def available() -> bool:
    return importlib.util.find_spec("lac_validator") is not None


def validate(folder: Path, year: int) -> list[dict]:
    """Every failure of the year's full rule set: rule, description, child, table, fields."""
    if not available():
        raise ReviewError(INSTALL)
    import logging
    import warnings

    logging.getLogger("lac_validator").setLevel(logging.ERROR)
    from lac_validator import lac_validator
    from lac_validator.report import Report
    from lac_validator.utils import process_uploaded_files

    ruleset = f"lac{year - 1}_{year % 100:02d}"
    try:
        registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    except ModuleNotFoundError:
        raise ReviewError(
            f"the validator installed has no rules for {year - 1}-{year % 100:02d}"
        ) from None
    names = [str(Path(folder) / n) for n in ("header.csv", "episodes.csv", "reviews.csv")]
    # The validator prints as it goes: its output must not mix with the command's own.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        files = process_uploaded_files({"This year": names})
        checker = lac_validator.LacValidator(
            metadata={"collectionYear": str(year), "localAuthority": "E09000027"},
            files=files,
            registry=registry,
            selected_rules=None,
        )
        report = Report(checker.ds_results, registry)
        rows = report.child_report.to_dict("records")
    return [
        {
            "rule": str(r["Code"]),
            "child": str(r["CHILD"]),
            "table": str(r["Table"]),
            "fields": ", ".join(str(f) for f in (r["Fields"] or [])),
            "description": " ".join(str(r["Description"]).split()),
        }
        for r in rows
    ]
