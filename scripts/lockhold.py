"""How long a write command holds the database's write lock, as another admin sees it.

    python scripts/lockhold.py DEMO.db policy set social-worker-conversation 10
    python scripts/lockhold.py DEMO.db import children big.csv

The database is copied to a temporary folder first (the original is never changed). The
command runs as a subprocess (``reviewcli --db COPY ARGS…``) while this process tries to
take the write lock (``BEGIN IMMEDIATE``, no busy timeout) every 10 ms, as a second admin's
write would; it reports the command's wall time and the longest stretch during which the
lock could not be had. Build a demo with ``reviewcli --db demo.db demo --children 20000``.

Standard library only.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REVIEWCLI = str(Path(sys.executable).parent / "reviewcli")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="a reviewcli database (copied, not changed)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the reviewcli command")
    args = parser.parse_args()
    if not args.command:
        parser.error("give the command to run, e.g. policy set month-mode days")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.db"
        source = sqlite3.connect(args.db)
        target = sqlite3.connect(copy)
        source.backup(target)
        source.close()
        target.close()
        shutil.copymode(args.db, copy)
        stretches: list[float] = []
        done = threading.Event()

        def probe() -> None:
            conn = sqlite3.connect(copy, timeout=0, isolation_level=None)
            since = None
            while not done.is_set():
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute("ROLLBACK")
                    if since is not None:
                        stretches.append(time.perf_counter() - since)
                        since = None
                except sqlite3.OperationalError:
                    if since is None:
                        since = time.perf_counter()
                time.sleep(0.01)
            if since is not None:
                stretches.append(time.perf_counter() - since)
            conn.close()

        thread = threading.Thread(target=probe)
        thread.start()
        start = time.perf_counter()
        result = subprocess.run(
            [REVIEWCLI, "--db", str(copy), *args.command], capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        done.set()
        thread.join()
    said = (result.stdout + result.stderr).strip().splitlines()
    if said:
        print(said[-1])
    held = max(stretches, default=0)
    print(f"command: {wall:.2f} s; write lock held (longest stretch): {held:.2f} s")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
