"""The audit trail made tamper-evident: each row's hash is chained to the row before.

When a write transaction commits, the audit rows it added are sealed: each gets
``sha256(previous row's hash + the row's values)`` in ``audit_chain`` (append-only, like
``audit``). Changing, inserting or removing a row in the middle of the trail breaks the
chain at that row, which ``check`` names. ``check`` also compares every audit trigger,
the append-only guards and the trigger recording a switch-off of the audit with the text
this release creates: a dropped or edited trigger is found. Every switch-off of the
per-row audit is itself recorded (``audit_switches``), and one by any command other than
those that write their own summary rows is named by ``check``.

This makes tampering evident, not impossible: someone able to write the file could
rebuild the whole chain. Keep backups (each holds the chain up to its time; ``backup
--format json`` gives its head, the last row's id and hash, to note somewhere safe).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

GUARDS = {
    "audit_append_only_update": (
        "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit\n"
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    ),
    "audit_append_only_delete": (
        "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit\n"
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    ),
    "audit_chain_append_only_update": (
        "CREATE TRIGGER audit_chain_append_only_update BEFORE UPDATE ON audit_chain\n"
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    ),
    "audit_chain_append_only_delete": (
        "CREATE TRIGGER audit_chain_append_only_delete BEFORE DELETE ON audit_chain\n"
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
    ),
}

# Commands that switch the per-row audit off for a while and write their own summary rows
# instead: the fictional demo, and the SSDA903 import's batches (one row per child).
# (As recorded after the program's name, which depends on how it was started:
# "reviewcli demo", "python -m reviewcli demo".)
SWITCHING_COMMANDS = {"demo", "import ssda903"}

_SWITCH_OFF = (
    "INSERT INTO audit_switches (at, user, command) VALUES "
    "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT value FROM _context WHERE key = 'user'), "
    "(SELECT value FROM _context WHERE key = 'command'));"
)
SWITCH_OFF = {
    "audit_switched_off_insert": (
        "CREATE TRIGGER audit_switched_off_insert AFTER INSERT ON _context\n"
        "WHEN NEW.key = 'audit' AND NEW.value = 'off'\n"
        f"BEGIN {_SWITCH_OFF} END"
    ),
    "audit_switched_off_update": (
        "CREATE TRIGGER audit_switched_off_update AFTER UPDATE ON _context\n"
        "WHEN NEW.key = 'audit' AND NEW.value = 'off'\n"
        f"BEGIN {_SWITCH_OFF} END"
    ),
}
GUARDS.update(
    {
        f"audit_switches_append_only_{action}": (
            f"CREATE TRIGGER audit_switches_append_only_{action} BEFORE {action.upper()} "
            "ON audit_switches\n"
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )
        for action in ("update", "delete")
    }
)


def install(db) -> None:
    """Create ``audit_chain`` and ``audit_switches``, their guards and the switch-off
    triggers, and seal every audit
    row already there (migration m011)."""
    db.execute(
        "CREATE TABLE audit_chain (id INTEGER PRIMARY KEY REFERENCES audit(id), hash TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE audit_switches (id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT, "
        "command TEXT)"
    )
    for name, sql in GUARDS.items():
        if name.startswith(("audit_chain_", "audit_switches_")):
            db.execute(sql)
    for sql in SWITCH_OFF.values():
        db.execute(sql)
    seal(db.conn if hasattr(db, "conn") else db)


def row_hash(previous: str, row: dict) -> str:
    values = {k: v for k, v in row.items() if v is not None}
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()


def _rows(conn, after_id: int):
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute("SELECT * FROM audit WHERE id > ? ORDER BY id", [after_id])
    names = [d[0] for d in cursor.description]
    for r in cursor:
        yield dict(zip(names, r, strict=True))


def has_chain(conn) -> bool:
    return bool(
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_chain'"
        ).fetchone()
    )


def seal(conn) -> int:
    """Chain every audit row not yet sealed (inside the caller's transaction)."""
    last = conn.execute("SELECT id, hash FROM audit_chain ORDER BY id DESC LIMIT 1").fetchone()
    last_id, previous = (last[0], last[1]) if last else (0, "")
    new = []
    for row in _rows(conn, last_id):
        previous = row_hash(previous, row)
        new.append((row["id"], previous))
        if len(new) >= 5000:
            conn.executemany("INSERT INTO audit_chain (id, hash) VALUES (?, ?)", new)
            new = []
    if new:
        conn.executemany("INSERT INTO audit_chain (id, hash) VALUES (?, ?)", new)
    return len(new)


def head(conn) -> tuple[int, str] | None:
    """The last sealed row and its hash: note it somewhere safe to prove the trail later."""
    r = conn.execute("SELECT id, hash FROM audit_chain ORDER BY id DESC LIMIT 1").fetchone()
    return (r[0], r[1]) if r else None


def verify(conn, add: Callable[[str], None], limit: int = 20) -> None:
    """Recompute the chain and compare; ``add(message)`` for each broken row (at most
    ``limit`` named, then how many more)."""
    if not has_chain(conn):
        add("the audit trail has no hash chain (audit_chain table missing)")
        return
    chain = dict(conn.execute("SELECT id, hash FROM audit_chain"))
    previous = ""
    broken = 0
    unsealed: list[int] = []
    audit_ids = set()
    for row in _rows(conn, 0):
        rid = row["id"]
        audit_ids.add(rid)
        expected = row_hash(previous, row)
        stored = chain.get(rid)
        if stored is None:
            unsealed.append(rid)
            previous = expected
            continue
        if unsealed:
            broken += 1
            if broken <= limit:
                add(
                    f"audit rows {_span(unsealed)} have no chain hash but come before sealed "
                    "rows: they were inserted afterwards"
                )
            unsealed = []
        if stored != expected:
            broken += 1
            if broken <= limit:
                add(
                    f"audit row {rid} ({row['at']}, {row['user']}, {row['table_name']} "
                    f"{row['action']}) breaks the hash chain: it, or the row before it, was "
                    "changed or removed after it was written"
                )
            previous = stored  # resynchronise, so one edit is named once
        else:
            previous = expected
    if unsealed:
        add(
            f"audit rows {_span(unsealed)} were written outside reviewcli (no chain hash yet); "
            "the next reviewcli write seals them"
        )
    orphans = sorted(set(chain) - audit_ids)
    if orphans:
        broken += len(orphans)
        add(f"audit rows {_span(orphans)} were removed (their chain hashes remain)")
    if broken > limit:
        add(f"… and {broken - limit} more breaks of the audit chain")


def _span(ids: list[int]) -> str:
    if len(ids) == 1:
        return str(ids[0])
    if ids[-1] - ids[0] == len(ids) - 1:
        return f"{ids[0]}–{ids[-1]}"
    return ", ".join(map(str, ids[:5])) + (", …" if len(ids) > 5 else "")


def expected_triggers(audit_triggers: dict[str, str]) -> dict[str, str]:
    """Every trigger of the audit trail as this release creates it, by name, given the
    audit triggers of its tables (``migrations.audit_trigger_sql``)."""
    expected = dict(audit_triggers)
    expected.update(GUARDS)
    expected.update(SWITCH_OFF)
    return expected


def verify_triggers(conn, add: Callable[[str], None], audit_triggers: dict[str, str]) -> None:
    """Name every audit trigger or guard missing, changed or unknown; ``audit_triggers``
    are the tables' audit triggers as this release creates them."""
    expected = expected_triggers(audit_triggers)
    stored = {
        name: sql
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    for name, sql in expected.items():
        if name not in stored and name in GUARDS:
            add(
                f"the audit trail's append-only trigger is missing ({name}): its rows can be "
                "changed or removed unnoticed"
            )
        elif name not in stored:
            add(f"the audit trigger {name} is missing: writes it covers are not recorded")
        elif _normal(stored[name]) != _normal(sql):
            add(f"the audit trigger {name} was changed from the text reviewcli creates")
    known = set(expected)
    for name in stored:
        if name.startswith("audit") and name not in known:
            add(f"an unknown trigger {name} was added to the audit trail")


def _normal(sql: str) -> str:
    return " ".join(sql.split())


def verify_switch_offs(conn, add: Callable[[str], None]) -> None:
    """The audit may be switched off only by the commands that write their own summary
    rows instead (the demo, the SSDA903 import); any other switch-off is named."""
    for at, user, command in conn.execute("SELECT at, user, command FROM audit_switches"):
        words = (command or "").split()
        tail = " ".join(words[words.index("reviewcli") + 1 :]) if "reviewcli" in words else None
        if tail in SWITCHING_COMMANDS:
            continue
        add(
            f"the audit trail was switched off at {at} by {user or 'an unknown user'} "
            f"({command or 'outside reviewcli'}): writes made then were not recorded"
        )
