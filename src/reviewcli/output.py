"""One output path: rows (dicts) to a Rich table, JSON or CSV.

JSON and CSV are exact (ISO dates, every key); the table is for people. Rich is imported
only when a table is drawn, so scripts asking for JSON start fast.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterable, Sequence

FORMATS = ("table", "json", "csv")

# Rows drawn in a terminal table; the other formats always carry every row. Rich lays out
# every cell: 200 rows take about half a second, 500 took 1.3 s.
TABLE_ROWS = 200

# CSV for Excel (``--excel``): a byte-order mark, so Excel on Windows reads UTF-8 rather
# than its local code page ("WiÅ›niewska"), and CRLF line ends. Chosen once per run, at
# the command line's edge, before anything is written (as "today" is).
BOM = "\ufeff"
_CSV_FOR_EXCEL = [False]


def set_csv_for_excel(on: bool) -> None:
    """Write the CSV of this run for Excel (a byte-order mark and CRLF), or plain."""
    _CSV_FOR_EXCEL[0] = bool(on)


def csv_for_excel() -> bool:
    return _CSV_FOR_EXCEL[0]


def csv_writer(stream, excel: bool | None = None):
    """A ``csv.writer`` on ``stream``: plain (UTF-8, LF line ends), or for Excel (a
    byte-order mark written first, then CRLF line ends). ``excel`` defaults to the run's
    choice (``set_csv_for_excel``)."""
    if csv_for_excel() if excel is None else excel:
        stream.write(BOM)
        return csv.writer(stream, lineterminator="\r\n")
    return csv.writer(stream, lineterminator="\n")


# A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Neutralise spreadsheet formula injection in a text cell (prefix a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # Plain negative numbers and ISO-like values are data, not formulas.
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def csv_text(value):
    """A cell of a CSV export: ``safe_cell``, with each line break inside it written "\n".

    Rows end in "\n", and the csv module then quotes a cell holding "\n" but not one
    holding a lone "\r", where a reader would split the row. Input refuses carriage
    returns, but an older record or a hand-edited database may hold one."""
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return safe_cell(value)


def write_json(data, stream=None) -> None:
    """JSON on stdout. A list is written one compact object per line: still readable, and
    encoded by the C encoder, so tens of thousands of items take a fraction of a second."""
    stream = stream or sys.stdout
    if isinstance(data, list) and len(data) > 200:
        write_json_items(data, stream)
        return
    json.dump(data, stream, indent=2, ensure_ascii=False, default=str)
    stream.write("\n")


def write_json_items(items: Iterable, stream=None) -> int:
    """A JSON list of ``items`` (any iterable, read once), encoded and written 5,000 at a
    time, exactly as ``write_json`` writes the same list. Returns the number of items."""
    return write_json_texts(map(_ENCODE, items), stream)


# json.dumps(item, ensure_ascii=False, default=str), without building an encoder per item.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


def write_json_texts(texts, stream=None) -> int:
    """A JSON list from its items already encoded (an iterable of JSON texts, ``str`` or
    UTF-8 ``bytes``), streamed one item a line; a list of up to 200 items is indented as
    ``write_json`` does. Returns the number of items."""
    stream = stream or sys.stdout
    texts = iter(texts)
    first = list(itertools.islice(texts, 201))
    if len(first) <= 200:
        write_json([json.loads(t) for t in first], stream)
        return len(first)
    write, (start, sep, end) = stream.write, ("[\n", ",\n", "\n]\n")
    if isinstance(first[0], bytes):
        write, (start, sep, end) = _bytes_writer(stream), (b"[\n", b",\n", b"\n]\n")
    write(start + sep.join(first))
    count = len(first)
    while chunk := list(itertools.islice(texts, 5000)):
        write(sep + sep.join(chunk))
        count += len(chunk)
    write(end)
    return count


def _bytes_writer(stream):
    """Write UTF-8 bytes to a text stream: straight to its buffer when it encodes UTF-8
    (no decoding and encoding again of megabytes of JSON), else through the stream."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None and encoding == "utf8":
        stream.flush()
        return buffer.write
    return lambda data: stream.write(data.decode("utf-8"))


def write_csv(rows: Iterable[dict], columns: Sequence[str] | None = None, stream=None) -> None:
    """CSV of ``rows`` (any iterable, read once, a row at a time); without ``columns``, the
    first row's keys."""
    stream = stream or sys.stdout
    rows = iter(rows)
    if not columns:
        first = next(rows, None)
        columns = list(first.keys()) if first is not None else []
        if first is not None:
            rows = itertools.chain([first], rows)
    writer = csv_writer(stream)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(c)) for c in columns])


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return csv_text(value)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def table(
    rows: Sequence[dict],
    columns: Sequence[tuple],
    title: str | None = None,
    empty: str = "Nothing to show.",
    width: int | None = None,
):
    """A Rich table of ``rows`` laid out to fit ``width`` cells (default: the terminal's).

    ``columns`` are (key, heading) pairs, or (key, heading, flags) with flags a string of
    words. A column holding values (dates, ids, codes, rule ids, setting names) is never
    split; a column of text with spaces in it (or flagged ``wrap``) wraps at word
    boundaries inside its column (JSON and CSV carry it whole). ``optional`` (or
    ``optional:N``, higher N first) marks a column left out when the table would not fit
    with room for its text: so a listing reads at 80 columns and shows more when wider.
    """
    from rich.markup import escape
    from rich.table import Table

    if not rows:
        return empty
    if width is None:
        width = console().width
    cols = [_Col(*c) for c in columns]
    cells = {c.key: [_table_value(row.get(c.key)) for row in rows] for c in cols}
    for c in cols:
        values = cells[c.key]
        c.natural = max([cell_len(c.heading)] + [_longest_line(v) for v in values])
        if not c.wrap and "nowrap" not in c.flags:
            c.wrap = c.natural > 12 and any(" " in v or "\n" in v for v in values)
        if c.wrap:
            words = [cell_len(w) for v in values for w in v.split()]
            c.least = max(cell_len(c.heading), min(c.natural, max(words or [0]), 20))
            c.comfort = max(c.least, min(c.natural, 24))
        else:
            c.least = c.comfort = c.natural
    kept = list(cols)
    widths = _fit(kept, width, comfortable=True)
    while widths is None and any(c.optional for c in kept):
        drop = max(range(len(kept)), key=lambda i: (kept[i].optional, i))
        kept.pop(drop)
        widths = _fit(kept, width, comfortable=True)
    widths = widths or _fit(kept, width, comfortable=False)
    if widths is None:  # nothing left to leave out: Rich shortens what does not fit
        widths = [c.least for c in kept]
    t = Table(
        title=escape(title) if title else title,
        title_justify="left",
        header_style="bold",
        expand=False,
    )
    for c, w in zip(kept, widths, strict=True):
        t.add_column(
            c.heading, width=w, no_wrap=not c.wrap, overflow="fold" if c.wrap else "ellipsis"
        )
    for i in range(len(rows)):
        t.add_row(*[escape(cells[c.key][i]) for c in kept])
    return t


class _Col:
    def __init__(self, key: str, heading: str, flags: str = ""):
        self.key, self.heading, self.flags = key, heading, flags.split()
        self.wrap = "wrap" in self.flags
        self.optional = 0
        for flag in self.flags:
            if flag.startswith("optional"):
                self.optional = int(flag.partition(":")[2] or 1)
        self.natural = self.least = self.comfort = 0


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _fit(cols: list[_Col], width: int, comfortable: bool) -> list[int] | None:
    """Column widths making a table of ``cols`` at most ``width`` cells wide (the box takes
    three cells a column and one more), or None when it cannot fit. Values keep their
    width; the text columns share what is left, each up to its longest line, and each at
    least its longest word (``comfortable``: at least 24 cells, or its longest line)."""
    room = width - (3 * len(cols) + 1) - sum(c.natural for c in cols if not c.wrap)
    texts = [c for c in cols if c.wrap]
    share = {id(c): c.comfort if comfortable else c.least for c in texts}
    room -= sum(share.values())
    if room < 0:
        return None
    # The spare cells go to the text columns in proportion to what each still lacks, so
    # long prose gets more room than a short list; then one by one, largest lack first.
    lacking = {id(c): c.natural - share[id(c)] for c in texts}
    total = sum(lacking.values())
    if total and room:
        for c in texts:
            extra = min(lacking[id(c)], room * lacking[id(c)] // total)
            share[id(c)] += extra
        room -= sum(share[id(c)] for c in texts) - sum(
            (c.comfort if comfortable else c.least) for c in texts
        )
        for c in sorted(texts, key=lambda c: share[id(c)] - c.natural):
            if room <= 0:
                break
            if share[id(c)] < c.natural:
                share[id(c)] += 1
                room -= 1
    return [share[id(c)] if c.wrap else c.natural for c in cols]


def _table_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(
    rows: Iterable[dict],
    fmt: str,
    columns: Sequence[tuple],
    title: str | None = None,
    empty: str = "Nothing to show.",
    fields: Sequence[str] | None = None,
) -> None:
    """Write a listing in the chosen format to stdout.

    ``rows`` is a list or any iterable read once, such as a ``store.Listing``: JSON and
    CSV stream it, the table takes only the rows it shows. CSV carries ``fields`` (every
    field of the listing) when given, else the table's columns: either way the header
    never depends on whether there are rows.
    """
    if fmt == "json":
        write_json_items(rows)
    elif fmt == "csv":
        write_csv(rows, list(fields) if fields else [c[0] for c in columns])
    else:
        # Rich lays a table out cell by cell: fine for a screenful, minutes for a national
        # database. The terminal shows the first rows; csv and json always carry them all.
        shown, total = first_rows(rows, TABLE_ROWS)
        out = console()
        out.print(table(shown, columns, title, empty))
        if total > TABLE_ROWS:
            out.print(
                f"… and {total - TABLE_ROWS} more rows ({total} in all): narrow the "
                "list with its options, or use --format csv or json for every row."
            )


def first_rows(rows: Iterable[dict], n: int) -> tuple[list[dict], int]:
    """The first ``n`` rows and how many there are in all, building no row past the n-th
    when ``rows`` can count itself (a ``store.Listing``: ``total()``) or is a list."""
    if isinstance(rows, Sequence):
        return list(rows[:n]), len(rows)
    rest = iter(rows)
    shown = list(itertools.islice(rest, n))
    if len(shown) < n:
        return shown, len(shown)
    if hasattr(rows, "total"):
        # Counted while ``rest`` still holds its cursor open: the same snapshot.
        return shown, rows.total()
    return shown, n + sum(1 for _ in rest)


def cell_len(text: str) -> int:
    """Terminal cells taken by ``text`` (wide characters count two)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def colour_wanted(stream) -> bool:
    """Colour only for a terminal, and never with NO_COLOR or TERM=dumb (no-color.org)."""
    import os

    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by terminal cells, each line of ``text`` on its own (textwrap.wrap,
    minus its hyphen rules: a rule id such as R-POST-7 stays whole); a word longer than
    the line is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line: list[str] = []
        used = 0
        for word in paragraph.split():
            while cell_len(word) > width:
                if line:
                    lines.append(" ".join(line))
                    line, used = [], 0
                cut = width
                while cut > 1 and cell_len(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            size = cell_len(word)
            if line and used + 1 + size > width:
                lines.append(" ".join(line))
                line, used = [], 0
            used += size + (1 if line else 0)
            line.append(word)
        if line:
            lines.append(" ".join(line))
    return lines
