"""`audit` on screen keeps every value whole at 80 columns: the time to the minute (JSON
and CSV carry it as recorded), the table and child ids never shortened with "…", and a
row's own time stamps left out of the summary of changes (they repeat "When")."""

from __future__ import annotations

import re

import pytest

from reviewcli.output import cell_len
from test_cli_daily import busy, json_of  # noqa: F401  (fixture)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_audit_values_whole(busy, width):  # noqa: F811
    run, env = busy
    rows = json_of(run, env, "audit", "--limit", "8")
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:]+(Z|\+00:00)", r["at"]) for r in rows)
    text = run("audit", "--limit", "8", env={**env, "COLUMNS": str(width)}).stdout
    lines = text.splitlines()
    assert all(cell_len(line) <= width for line in lines), text
    assert "…" not in text, text
    shown = re.findall(r"│ (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) │", text)
    assert shown == [r["at"][:16].replace("T", " ") for r in rows]
    for r in rows:
        assert r["table_name"] in text
        if r["child_id"]:
            assert re.search(rf"│ {re.escape(r['child_id'])}\s+│", text), r["child_id"]
    assert "updated_at" not in text and "created_at" not in text
