"""Time the commands admins and their scripts run most, against demo databases.

    python scripts/bench.py                         # 2,000, 20,000 and 100,000 children
    python scripts/bench.py --sizes 300,2000 --runs 11
    python scripts/bench.py --markdown              # tables ready to paste into README.md

Demo databases are built once (``reviewcli demo --children N --seed 1`` with
REVIEWCLI_TODAY fixed) and cached in ``.bench/``, named after a hash of the code that
built them (other code may build other data); ``--rebuild`` builds them again. Every
command runs as a fresh subprocess, the way cron jobs and admins run it, with its output
to /dev/null. The report gives the median and fastest wall time, the peak memory of the
process (under GNU /usr/bin/time when present) and the ratio of the median to
two floors: a bare ``python -c pass`` and a plain ``sqlite3`` query, in its own Python
process, reading the same rows as ``due``. A second floor runs the very SQL of
``due --format json`` in a bare Python process: what SQLite alone takes to build the whole
list, without reviewcli's start-up or output. Medians, because shared machines are noisy.

Commands run with Python's bytecode written and cached (as an installed copy has it),
even where PYTHONDONTWRITEBYTECODE is set in the environment.

Standard library only, but for that second floor, which asks reviewcli for its SQL.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
REVIEWCLI = str(BIN / "reviewcli")
TODAY = "2026-11-22"
SEED = 1
WITHIN = 30
# The month before TODAY, for the monthly report.
LAST_MONTH = "2026-10"

# What `due` reads for its review items: open periods due within the window, with the
# child. The floor runs it in a bare Python process, so the ratio shows what the CLI
# costs on top of starting Python and asking SQLite.
FLOOR_SQL = (
    "SELECT p.*, c.* FROM periods p JOIN children c ON c.id = p.child_id "
    "WHERE p.end_date IS NULL AND p.next_due <= ?"
)
FLOOR_CODE = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    f"rows = conn.execute({FLOOR_SQL!r}, [sys.argv[2]]).fetchall()\n"
    "conn.close()\n"
)


@dataclass
class Result:
    label: str
    times: list[float] = field(default_factory=list)
    peak_kb: int = 0
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def fastest(self) -> float:
        return min(self.times)


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run one subprocess with output to /dev/null: wall seconds, exit code, stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        elapsed = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return elapsed, proc.returncode, stderr


def peak_memory(argv: list[str], env: dict[str, str]) -> int:
    """Peak resident memory of one run of ``argv``, in KiB.

    Measured under GNU ``/usr/bin/time``: Linux carries a process's peak memory across
    ``exec``, so a child started straight from this (larger) Python process would report
    this process's size instead of its own. Without GNU time, falls back to that upper
    bound from ``os.wait4``.
    """
    gnu_time = "/usr/bin/time"
    if os.path.exists(gnu_time):
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
            proc = subprocess.run(
                [gnu_time, "-f", "%M", "-o", out.name, *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            text = out.read().strip().splitlines()
        if proc.returncode == 0 and text and text[-1].isdigit():
            return int(text[-1])
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    return usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss


def measure(jobs: list[tuple[str, list[str]]], env: dict[str, str], runs: int) -> list[Result]:
    """Time each (label, argv) ``runs`` times, round-robin.

    Taking turns spreads any burst of load from other processes over every command, so
    the comparison between them stays fair on a busy machine.
    """
    results = [Result(label) for label, _ in jobs]
    for _, argv in jobs:
        run_once(argv, env)  # warm the file cache and the bytecode; not counted
    for _ in range(runs):
        for result, (_, argv) in zip(results, jobs, strict=True):
            if result.error:
                continue
            elapsed, code, stderr = run_once(argv, env)
            if code != 0:
                lines = [line for line in stderr.strip().splitlines() if line.strip()]
                result.error = f"exit {code}: {lines[-1] if lines else 'no message'}"
                continue
            result.times.append(elapsed)
    for result, (_, argv) in zip(results, jobs, strict=True):
        if not result.error:
            result.peak_kb = peak_memory(argv, env)
    return results


def base_env(db: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["REVIEWCLI_TODAY"] = TODAY
    # An installed program runs from cached bytecode; without it every run would compile
    # reviewcli's modules again (30 ms), which no admin's copy does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("REVIEWCLI_DB", None)
    if db is not None:
        env["REVIEWCLI_DB"] = str(db)
    # Pin Rich's idea of the terminal, so table runs do the same work everywhere.
    env["COLUMNS"] = "120"
    env.pop("FORCE_COLOR", None)
    return env


def _db_files(db: Path) -> list[Path]:
    return [db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm"))]


def source_key() -> str:
    """A short hash of reviewcli's code: a demo database built by other code may hold other
    data, so the cache is named after the code that built it."""
    import hashlib

    package = ROOT / "src" / "reviewcli"
    digest = hashlib.sha1()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def build(size: int, cache: Path, rebuild: bool) -> tuple[Path | None, str]:
    """The cached demo database of ``size`` children built by this code, building it if
    needed (and dropping those built by earlier code)."""
    stem = f"demo-{size}-seed{SEED}-{TODAY}"
    db = cache / f"{stem}-{source_key()}.db"
    if db.exists() and not rebuild:
        return db, "cached"
    for old in cache.glob(f"{stem}*.db"):
        for f in _db_files(old):
            f.unlink(missing_ok=True)
    cache.mkdir(exist_ok=True)
    partial = cache / f"building-{size}.db"
    for f in _db_files(partial):
        f.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [REVIEWCLI, "demo", "--children", str(size), "--seed", str(SEED)],
        env=base_env(partial),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        for f in _db_files(partial):
            f.unlink(missing_ok=True)
        stderr = proc.stderr
        if (
            "No module named 'reviewcli.demo'" in stderr
            or "No such command 'demo'" in stderr
            or "No such command" in stderr
            and "demo" in stderr
        ):
            return None, "'reviewcli demo' is not implemented yet"
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return None, f"'reviewcli demo' failed (exit {proc.returncode}): " + (
            lines[-1] if lines else "no message"
        )
    # Fold the write-ahead log into the file, so the size below is the real size and the
    # cached copy is one self-contained file.
    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for src, dst in zip(_db_files(partial), _db_files(db), strict=True):
        if src.exists():
            src.rename(dst)
    return db, f"built in {elapsed:.1f} s"


def pick_child(db: Path) -> str | None:
    """A looked-after child with the longest review history: the heaviest 'child show'."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT p.child_id FROM periods p LEFT JOIN reviews r ON r.child_id = p.child_id "
            "WHERE p.end_date IS NULL GROUP BY p.child_id "
            "ORDER BY COUNT(r.id) DESC, p.child_id LIMIT 1"
        ).fetchone()
        if row is None:
            row = conn.execute("SELECT id FROM children ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def due_list_floor(db: Path) -> list[str] | None:
    """A bare Python process running the SQL of ``due --format json`` with plain sqlite3."""
    try:
        from reviewcli.store import Store
        from reviewcli.worklist import _short, due_json_query
    except ImportError:
        return None
    import inspect

    store = Store(db)
    try:
        sql, params = due_json_query(store, date.fromisoformat(TODAY), WITHIN)
    finally:
        store.conn.close()
    code = (
        "import json, sqlite3, sys\n"
        + inspect.getsource(_short)
        + "conn = sqlite3.connect(sys.argv[1])\n"
        "conn.execute('PRAGMA threads = 2')\n"  # as reviewcli's own connection sorts
        "conn.create_function('reviewcli_short', 1, _short, deterministic=True)\n"
        # The manager's responses still open are worded by reviewcli (workitems).
        "from reviewcli.workitems import step_detail\n"
        "conn.create_function('reviewcli_step_detail', 4, step_detail, deterministic=True)\n"
        "rows = conn.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()\n"
    )
    return [PYTHON, "-c", code, str(db), sql, json.dumps(params)]


def due_rows(db: Path, limit: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return len(conn.execute(FLOOR_SQL, [limit]).fetchall())
    finally:
        conn.close()


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def print_table(
    results: list[Result], startup: Result, floor: Result | None, markdown: bool, out=sys.stdout
) -> None:
    """One row per command; ratios are medians over the start-up and the sqlite3 floor."""
    headings = ["command", "median ms", "min ms", "peak MB", "x python", "x floor"]
    rows, errors = [], {}
    for r in results:
        if r.error:
            errors[len(rows)] = r.error
            rows.append([r.label, "", "", "", "", ""])
            continue
        rows.append(
            [
                r.label,
                f"{r.median * 1000:.0f}",
                f"{r.fastest * 1000:.0f}",
                f"{r.peak_kb / 1024:.1f}",
                f"{r.median / startup.median:.1f}" if startup.times else "",
                f"{r.median / floor.median:.1f}" if floor and floor.times else "",
            ]
        )
    if markdown:
        print("| " + " | ".join(headings) + " |", file=out)
        print("| --- |" + " ---: |" * (len(headings) - 1), file=out)
        for i, row in enumerate(rows):
            cells = [f"`{row[0]}`", *row[1:]] if i not in errors else [f"`{row[0]}`", errors[i]]
            print("| " + " | ".join(cells) + " |", file=out)
        return
    widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    print(line(headings), file=out)
    print(line(["-" * w for w in widths]), file=out)
    for i, row in enumerate(rows):
        print(f"{row[0].ljust(widths[0])}  {errors[i]}" if i in errors else line(row), file=out)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError("sizes are whole numbers, e.g. 300,2000") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("give at least one size of 1 or more")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time reviewcli commands on demo databases of several sizes."
    )
    parser.add_argument(
        "--sizes", type=parse_sizes, default=[2000, 20000, 100000], help="children per database"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench", help="cache folder")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if not Path(REVIEWCLI).exists():
        print(f"{REVIEWCLI} not found: run 'make install' first.", file=sys.stderr)
        return 1

    limit = (date.fromisoformat(TODAY) + timedelta(days=WITHIN)).isoformat()
    cpus = os.cpu_count() or 1
    print(
        f"reviewcli bench: Python {sys.version.split()[0]}, {cpus} CPU(s), "
        f"REVIEWCLI_TODAY={TODAY}, {args.runs} runs per command; wall times are the median "
        "and the fastest run"
    )
    warn_if_busy(cpus)
    print("\nNo database (start-up only):")
    env = base_env()
    *results, startup = measure(
        [
            ("reviewcli --help", [REVIEWCLI, "--help"]),
            ("reviewcli --version", [REVIEWCLI, "--version"]),
            ("python -c pass", [PYTHON, "-c", "pass"]),
        ],
        env,
        args.runs,
    )
    results.append(startup)
    print_table(results, startup, None, args.markdown)

    for size in args.sizes:
        print()
        db, how = build(size, args.cache, args.rebuild)
        if db is None:
            print(f"{size} children: skipped: {how}.")
            continue
        db_bytes = sum(f.stat().st_size for f in _db_files(db) if f.exists())
        child = pick_child(db)
        shown = db.relative_to(ROOT) if db.is_relative_to(ROOT) else db
        print(
            f"{size} children: {shown} ({how}), {human_size(db_bytes)}; "
            f"{due_rows(db, limit)} open periods due by {limit}:"
        )
        env = base_env(db)
        commands: list[tuple[str, list[str]]] = [
            ("due", ["due"]),
            ("due --format json", ["due", "--format", "json"]),
        ]
        if child is not None:
            commands.append((f"child show {child}", ["child", "show", child]))
        commands.append(("child list --format json", ["child", "list", "--format", "json"]))
        commands.append(("actions --overdue", ["actions", "--overdue", "--format", "json"]))
        commands.append(
            (
                "report monthly (json)",
                ["report", "monthly", "--month", LAST_MONTH, "--format", "json"],
            )
        )
        letters = Path(tempfile.mkdtemp(prefix="reviewcli-bench-letters-"))
        commands.append(("letters due", ["letters", "due", "--out", str(letters)]))
        jobs = [(label, [REVIEWCLI, *cmd]) for label, cmd in commands]
        list_floor = due_list_floor(db)
        if list_floor is not None:
            jobs.append(("floor: python + sqlite3, the due list's SQL", list_floor))
        jobs.append(("floor: python + sqlite3", [PYTHON, "-c", FLOOR_CODE, str(db), limit]))
        *results, floor = measure(jobs, env, args.runs)
        results.append(time_import(db, env))
        print_table([*results, floor], startup, floor, args.markdown)
    warn_if_busy(cpus)
    return 0


def time_import(db: Path, env: dict[str, str]) -> Result:
    """`import ssda903` of an export of the whole history into a fresh database, once."""
    result = Result("import ssda903 (once)")
    with tempfile.TemporaryDirectory(prefix="reviewcli-bench-903-") as tmp:
        folder, target = Path(tmp) / "903", Path(tmp) / "imported.db"
        code, _, err = _run(
            [REVIEWCLI, "export", "ssda903", "--all-years", "--out", str(folder)], env
        )
        if code == 0:
            code, _, err = _run([REVIEWCLI, "--db", str(target), "init"], env)
        if code != 0:
            result.error = err
            return result
        argv = [REVIEWCLI, "--db", str(target), "import", "ssda903", str(folder)]
        elapsed, code, stderr = run_once(argv, env)
        if code != 0:
            result.error = f"exit {code}: {stderr.strip().splitlines()[-1:]}"
            return result
        result.times.append(elapsed)
        # Peak memory from a second import of the same files (idempotent: nothing changes).
        result.peak_kb = peak_memory(argv, env)
    return result


def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def warn_if_busy(cpus: int) -> None:
    """Say so when other work is competing for the CPUs: the figures will be inflated."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform
        return
    if load > cpus * 0.75:
        print(f"Note: load average {load:.1f} on {cpus} CPU(s); the machine is busy.")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
