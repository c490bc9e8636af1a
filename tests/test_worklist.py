"""The work list as SQLite builds it: every output shape agrees, and it reads only what is open.

``due_query`` is one UNION ALL that SQLite sorts and encodes; ``due_items`` (dicts),
``due_json`` (JSON texts), ``due_rows`` (CSV tuples) and ``due_sections`` (the terminal's
counts and first rows) must all tell the same story on a realistic demo authority.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from reviewcli import worklist
from reviewcli.cli.due import CSV_COLUMNS, print_due
from reviewcli.demo import build
from reviewcli.output import csv_text, write_json, write_json_texts
from reviewcli.store import Store

TODAY = date(2026, 3, 16)

CASES = [
    (TODAY, 30, {}),
    (TODAY, 0, {}),
    (TODAY, 400, {}),
    (TODAY - timedelta(days=200), 30, {}),
    (date(2028, 2, 29), 30, {}),
    (TODAY, 60, {"team": "East"}),
    (TODAY, 60, {"kinds": {"review", "allocation", "event", "dispute", "data"}}),
    (TODAY, 90, {"kinds": {"manager-response", "action", "starred", "pathway-plan"}}),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("worklist") / "demo.db", create=True)
    build(s, children=120, seed=1, today=TODAY)
    yield s
    s.close()


@pytest.fixture(scope="module")
def an_iro(store):
    return store.value("SELECT iro_id FROM allocations WHERE end_date IS NULL LIMIT 1")


def _cases(an_iro):
    return [*CASES, (TODAY, 30, {"iro": an_iro})]


def test_the_demo_list_has_every_kind(store):
    kinds = {i["kind"] for i in worklist.due_items(store, TODAY, 400)}
    # The quality monitoring form is a local procedure, off by default.
    assert kinds == set(worklist.KINDS) - {"monitoring-form"}


@pytest.mark.parametrize("on, within", [(TODAY, 30), (TODAY, 400), (date(2028, 2, 29), 60)])
def test_a_filtered_list_is_the_whole_list_filtered(store, on, within):
    """--iro and --team search their own children first; they must give exactly the items
    of the whole list with that IRO or team, in the same order, in every shape."""
    everything = worklist.due_items(store, on, within)
    iros = sorted({i["iro"] for i in everything if i["iro"]})
    teams = sorted({i["team"] for i in everything if i["team"]})
    assert len(iros) > 1 and len(teams) > 1
    for key, value in [*(("iro", i) for i in iros), *(("team", t) for t in teams)]:
        expected = [i for i in everything if i[key] == value]
        assert worklist.due_items(store, on, within, **{key: value}) == expected
        texts = worklist.due_json(store, on, within, **{key: value})
        assert [json.loads(t) for t in texts] == expected
        counts, shown = worklist.due_sections(store, on, within, show=5, **{key: value})
        assert sum(counts.values()) == len(expected)
        assert [i for rows in shown.values() for i in rows] == [
            i for name in worklist.SECTIONS for i in _section(expected, on, name)[:5]
        ]
    both = {"iro": iros[0], "team": teams[0]}
    assert worklist.due_items(store, on, within, **both) == [
        i for i in everything if i["iro"] == both["iro"] and i["team"] == both["team"]
    ]


def _section(items: list[dict], on: date, name: str) -> list[dict]:
    week = (on + timedelta(days=7)).isoformat()
    return [
        i
        for i in items
        if name
        == (
            "Overdue"
            if i["due"] < on.isoformat()
            else "Due this week"
            if i["due"] <= week
            else "Later"
        )
    ]


def test_items_are_sorted_by_due_then_child_then_kind(store, an_iro):
    for on, within, filters in _cases(an_iro):
        items = worklist.due_items(store, on, within, **filters)
        keys = [(i["due"], i["child_id"], i["kind"]) for i in items]
        assert keys == sorted(keys)
        limit = (on + timedelta(days=within)).isoformat()
        for i in items:
            assert i["overdue"] is (i["due"] < on.isoformat())
            if i["kind"] not in ("dispute",):  # an over-20-days dispute shows whatever its date
                assert i["due"] <= limit


def test_json_texts_are_the_items(store, an_iro):
    for on, within, filters in _cases(an_iro):
        items = worklist.due_items(store, on, within, **filters)
        texts = list(worklist.due_json(store, on, within, **filters))
        assert [json.loads(t) for t in texts] == items
        # Key order as CLI.md shows it, extras last.
        for text, item in zip(texts, items, strict=True):
            assert list(json.loads(text)) == list(item)


def _text_stream(encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, newline="")


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_long_lists_of_encoded_items_are_written_as_one_json_list(encoding):
    items = [{"n": n, "name": "Zoë Ó Briain" if n % 2 else "Amy Ash"} for n in range(250)]
    texts = [json.dumps(i, ensure_ascii=False).encode() for i in items]
    stream = _text_stream(encoding)
    assert write_json_texts(iter(texts), stream) == 250
    stream.flush()
    written = stream.buffer.getvalue().decode(encoding)
    assert json.loads(written) == items
    assert written.startswith("[\n{") and written.count("\n") == 252


def test_short_lists_of_encoded_items_are_indented_like_write_json():
    items = [{"kind": "review", "due": "2026-03-16"}] * 3
    as_bytes, as_dicts = io.StringIO(), io.StringIO()
    assert write_json_texts((json.dumps(i).encode() for i in items), as_bytes) == 3
    write_json(items, as_dicts)
    assert as_bytes.getvalue() == as_dicts.getvalue()


def test_item_keys(store):
    for item in worklist.due_items(store, TODAY, 400):
        extra = {"review": ["booked", "number"], "action": ["decision_id"]}.get(item["kind"], [])
        assert list(item) == [*worklist.ITEM_KEYS, *extra]


def test_csv_rows_are_the_items(store, an_iro):
    for on, within, filters in _cases(an_iro):
        items = worklist.due_items(store, on, within, **filters)
        rows = worklist.due_rows(store, on, within, CSV_COLUMNS, spreadsheet=True, **filters)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\n").writerows(
            [_csv(i.get(c)) for c in CSV_COLUMNS] for i in items
        )
        assert out.getvalue() == expected.getvalue()


def _csv(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_text(value)


@pytest.mark.parametrize("show", [1, 7, 300])
def test_sections_count_everything_and_show_the_first(store, an_iro, show):
    for on, within, filters in _cases(an_iro):
        items = worklist.due_items(store, on, within, **filters)
        week_end = (on + timedelta(days=7)).isoformat()
        groups = {name: [] for name in worklist.SECTIONS}
        for i in items:
            name = (
                "Overdue" if i["overdue"] else "Due this week" if i["due"] <= week_end else "Later"
            )
            groups[name].append(i)
        counts, shown = worklist.due_sections(store, on, within, show=show, **filters)
        assert counts == {name: len(rows) for name, rows in groups.items()}
        assert shown == {name: rows[:show] for name, rows in groups.items()}


def test_the_terminal_list_says_how_many_more(store):
    counts, shown = worklist.due_sections(store, TODAY, 30, show=2)
    out = io.StringIO()
    print_due(counts, shown, TODAY, 30, out, width=100)
    text = out.getvalue()
    assert "\x1b[" not in text, "no colour codes outside a terminal"
    for name, total in counts.items():
        if total > 2:
            assert f"{name} ({total})" in text
            assert f"… and {total - 2} more {name.lower()}:" in text
    assert text.rstrip().endswith(f"; {sum(counts.values())} in all.")
    assert max(len(line) for line in text.splitlines() if not line.startswith("…")) <= 100


def test_the_terminal_list_uses_colour_only_when_asked(store, monkeypatch):
    counts, shown = worklist.due_sections(store, TODAY, 30, show=2)
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    print_due(counts, shown, TODAY, 30, out, width=100)
    assert "\x1b[1;31mOverdue" in out.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    print_due(counts, shown, TODAY, 30, out, width=100)
    assert "\x1b[" not in out.getvalue()


def test_no_kinds_means_every_kind_and_unknown_filters_match_nothing(store):
    assert worklist.due_items(store, TODAY, 30, kinds=set()) == worklist.due_items(store, TODAY, 30)
    assert worklist.due_items(store, TODAY, 30, team="No such team") == []
    assert worklist.due_sections(store, TODAY, 30, iro="NOBODY")[0] == dict.fromkeys(
        worklist.SECTIONS, 0
    )


def test_the_list_reads_open_rows_through_indexes(store, an_iro):
    """No table that grows with history is scanned: every branch searches an index of open
    rows (an EXPLAIN QUERY PLAN 'SCAN' of a whole table would read years of history)."""
    for filters in ({}, {"iro": an_iro}, {"team": "East"}):
        sql, params = worklist.due_query(store, TODAY, 30, **filters)
        plan = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        scans = [line for line in plan if line.startswith("SCAN") and "INDEX" not in line]
        assert scans == [], plan


@pytest.mark.parametrize(
    "shape", [{}, {"light": True}, {"since": "2026-03-01", "until": "2026-04-01"}]
)
def test_an_iros_list_starts_from_their_caseload(store, an_iro, shape):
    """Every kind looks up the IRO's children by name in its child-ordered index rather than
    reading the whole list and dropping other IROs' items (1.3 s to 0.1 s at 100,000); the
    stored items are indexed by IRO themselves."""
    sql, params = worklist.due_query(store, TODAY, 30, iro=an_iro, **shape)
    for branch in sql.split(worklist._UNION):
        plan = " / ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + branch, params))
        index = "work_items_iro" if "FROM work_items" in branch else "allocations_current_iro"
        assert index in plan, plan


def test_the_what_column_wraps_as_textwrap_does_and_never_overflows():
    import random
    import textwrap

    from rich.cells import cell_len

    from reviewcli.output import wrap

    rng = random.Random(1)
    words = ["a", "bb", "review", "R-POST-7", "of", "2026-11-22", "x" * 45, "é", "日本語テキスト"]
    for _ in range(2000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        width = rng.randint(30, 60)
        lines = wrap(text, width)
        assert all(cell_len(line) <= width for line in lines), (text, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        if text.isascii() and "x" * 45 not in text:
            assert lines == textwrap.wrap(text, width, break_on_hyphens=False), (text, width)


# --- listings: a screenful built, every row streamed -------------------------------------


def _listings(store):
    from reviewcli.decisions import action_rows
    from reviewcli.disputes import dispute_rows
    from reviewcli.events import event_rows

    return {
        "review": worklist.review_rows(store),
        "held review": worklist.review_rows(store, status="held"),
        "child": worklist.child_rows(store, TODAY),
        "iro": worklist.iro_rows(store),
        "action": action_rows(store, TODAY, status="all"),
        "event": event_rows(store),
        "open event": event_rows(store, open_only=True),
        "dispute": dispute_rows(store, TODAY),
    }


LISTINGS = ["review", "held review", "child", "iro", "action", "event", "open event", "dispute"]


@pytest.mark.parametrize("name", LISTINGS)
def test_a_table_builds_only_the_rows_it_shows(store, name):
    """A listing shapes a row only as it is read, and counts the rest in SQL."""
    from reviewcli.output import first_rows

    rows = _listings(store)[name]
    every = list(rows)
    assert every, name
    built = []
    counted = rows.map(lambda row: built.append(row) or row)
    for n in (1, 3, len(every), len(every) + 5):
        built.clear()
        shown, total = first_rows(counted, n)
        assert (shown, total) == (every[:n], len(every))
        assert len(built) == min(n, len(every))


def test_filters_in_sql_keep_the_rows_and_order_of_the_whole_listing(store):
    from reviewcli.events import event_rows

    reviews = list(worklist.review_rows(store))
    for status in ("booked", "adjourned", "held", "cancelled"):
        assert list(worklist.review_rows(store, status=status)) == [
            r for r in reviews if r["status"] == status
        ]
    events = list(event_rows(store))
    assert any(e["open"] for e in events) and not all(e["open"] for e in events)
    assert list(event_rows(store, open_only=True)) == [e for e in events if e["open"]]


REVIEW_COLUMNS = [("id", "ID"), ("child_id", "Child"), ("status", "Status")]


def test_a_long_listing_shows_200_rows_and_says_how_many_more(store, capsys, monkeypatch):
    from reviewcli.output import TABLE_ROWS, render

    monkeypatch.setenv("COLUMNS", "120")
    every = list(worklist.review_rows(store))
    assert len(every) > TABLE_ROWS == 200
    render(worklist.review_rows(store), "table", REVIEW_COLUMNS, title="Reviews")
    text = capsys.readouterr().out
    ids = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│ ")]
    assert ids == [str(r["id"]) for r in every[:TABLE_ROWS]]
    more = len(every) - TABLE_ROWS
    assert text.splitlines()[-1].startswith(f"… and {more} more rows ({len(every)} in all): ")


def test_a_long_listing_in_json_and_csv_carries_every_row_in_order(store, capsys):
    from reviewcli.output import render

    every = list(worklist.review_rows(store))
    render(worklist.review_rows(store), "json", REVIEW_COLUMNS)
    assert json.loads(capsys.readouterr().out) == every
    render(worklist.review_rows(store), "csv", REVIEW_COLUMNS)
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["id", "child_id", "status"]] + [
        [str(r["id"]), r["child_id"], r["status"]] for r in every
    ]


def test_any_iterable_renders_as_its_list_does(capsys):
    from reviewcli.output import render

    rows = [{"id": n, "ok": n % 2 == 0} for n in range(450)]
    columns = [("id", "ID"), ("ok", "OK")]
    for fmt in ("table", "json", "csv"):
        render(rows, fmt, columns)
        expected = capsys.readouterr().out
        render((dict(r) for r in rows), fmt, columns)
        assert capsys.readouterr().out == expected, fmt
        if fmt == "table":
            assert "… and 250 more rows (450 in all)" in expected


# Text a spreadsheet or a browser must not take as its own: quotes, separators, formulas,
# line breaks (a carriage return only a hand edit can store), markup.
_AWKWARD = [
    'Amy "Bea", Cole',
    '=HYPERLINK("http://x")',
    "-2+3",
    "-12.5",
    "@sum",
    "\tTab",
    "line\r\nbreak\rhere",
    "new\nline",
    "<b>O'Neil & Sons</b>",
    "Zoë Ó Briain",
    "",
]


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    """A demo authority whose names, teams and decision texts are awkward text (as a hand
    edit would leave them), reopened so that the stored work list is derived again."""
    path = tmp_path_factory.mktemp("awkward") / "demo.db"
    s = Store(path, create=True)
    build(s, children=60, seed=2, today=TODAY)
    with s.conn:
        for n, (ident,) in enumerate(s.conn.execute("SELECT id FROM children").fetchall()):
            first, last = _AWKWARD[n % len(_AWKWARD)], _AWKWARD[(n + 3) % len(_AWKWARD)]
            team = _AWKWARD[(n + 5) % len(_AWKWARD)] if n % 4 == 0 else "East"
            s.conn.execute(
                "UPDATE children SET first_name = ?, last_name = ?, team = ? WHERE id = ?",
                (first, last, team, ident),
            )
        decisions = s.conn.execute("SELECT id FROM decisions").fetchall()
        for n, (ident,) in enumerate(decisions):
            text = _AWKWARD[n % len(_AWKWARD)] or "-"
            s.conn.execute(
                "UPDATE decisions SET text = ?, owner = ? WHERE id = ?", (text, text, ident)
            )
    s.close()
    s = Store(path)
    yield s
    s.close()


def _csv_of_rows(rows, excel: bool) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if excel else "\n").writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize("excel", [False, True])
def test_csv_written_by_sqlite_is_what_the_csv_module_writes(store, awkward, an_iro, excel):
    """``due_csv`` writes the lines in SQLite and checks them; they must be, byte for byte,
    what the csv module writes from ``due_rows``, awkward text included."""
    for s, cases in ((store, _cases(an_iro)), (awkward, [(TODAY, 400, {}), (TODAY, 30, {})])):
        for on, within, filters in cases:
            rows = list(worklist.due_rows(s, on, within, CSV_COLUMNS, spreadsheet=True, **filters))
            chunks = list(worklist.due_csv(s, on, within, CSV_COLUMNS, excel=excel, **filters))
            assert sum(n for _, n in chunks) == len(rows)
            assert b"".join(c for c, _ in chunks) == _csv_of_rows(rows, excel)
    written = b"".join(c for c, _ in worklist.due_csv(awkward, TODAY, 400, CSV_COLUMNS))
    for text in ("'=HYPERLINK", '"Amy ""Bea"", Cole', "line\nbreak\nhere", "'@sum", "-12.5"):
        assert text.encode() in written


# The rows of due.html.j2 as it wrote them item by item with Jinja.
_ROW = (
    '{% for item in items %}\n    <tr><td class="date">{{ item["due"] }}</td><td>{{ item["kind"] }}'
    '</td><td>{{ item["child_id"] }}</td><td>{{ item["name"] }}</td><td>{{ item["iro"] or "–" }}'
    '</td><td class="rule">{{ item["rule"] }}</td><td>{{ item["detail"] }}</td></tr>\n'
    "{% endfor %}\n"
)


def test_html_rows_written_by_sqlite_are_what_jinja_writes(store, awkward, an_iro):
    from jinja2 import Environment

    template = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(_ROW)
    for s, cases in ((store, _cases(an_iro)), (awkward, [(TODAY, 400, {}), (TODAY, 30, {})])):
        for on, within, filters in cases:
            items = worklist.due_items(s, on, within, **filters)
            rows = worklist.due_html_rows(s, on, within, **filters)
            for name, (html, count) in zip(worklist.SECTIONS, rows, strict=True):
                expected = _section(items, on, name)
                assert count == len(expected)
                assert html.decode() == template.render(items=expected)
    html = "".join(h.decode() for h, _ in worklist.due_html_rows(awkward, TODAY, 400))
    assert "&lt;b&gt;O&#39;Neil &amp; Sons&lt;/b&gt;" in html and "<b>" not in html


def test_the_printable_page_puts_each_sections_rows_in_place(store):
    from reviewcli.cli.due import due_html

    sections = worklist.due_html_rows(store, TODAY, 30)
    page = due_html(sections, TODAY, 30, "<i>Shire</i> & Co").decode()
    assert "&lt;i&gt;Shire&lt;/i&gt; &amp; Co" in page and "<i>" not in page
    assert "[rows " not in page
    for name, (rows, count) in zip(worklist.SECTIONS, sections, strict=True):
        assert count and f"{name} ({count})</h2>" in page
        assert f"<tbody>\n{rows.decode()}  </tbody>" in page
    empty = due_html([(b"", 0)] * 3, TODAY, 30).decode()
    assert "<table>" not in empty and "0 overdue, 0 due this week, 0 later; 0 in all." in empty
