"""``policy set`` works out the recomputation before it takes the write lock, then applies
it under the lock only if nothing was written in between (else recomputes there), in the
one transaction that stores the setting: never a half-recomputed state, never stale rows.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

import pytest

from reviewcli import derived, workitems
from reviewcli.demo import build
from reviewcli.records import plan_policy, set_policy
from reviewcli.store import Store

TODAY = date(2026, 3, 16)
# The derived rows, in an order that does not depend on how they were written.
DERIVED = {
    "periods": "SELECT * FROM periods ORDER BY id",
    "reviews": "SELECT * FROM reviews ORDER BY id",
    "steps": "SELECT review_id, child_id, step, rule, due, status FROM review_steps"
    " ORDER BY review_id, step, due",
    "events": "SELECT * FROM events ORDER BY id",
    "disputes": "SELECT * FROM disputes ORDER BY id",
    "work items": "SELECT * FROM work_items ORDER BY due, child_id, kind, seq",
    "policy": "SELECT * FROM policy ORDER BY key",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "demo.db"
    s = Store(path, create=True)
    build(s, children=150, seed=3, today=TODAY)
    s.close()
    return path


@pytest.fixture
def copies(demo, tmp_path):
    """Two copies of the demo authority."""
    paths = []
    for name in ("a.db", "b.db"):
        shutil.copy(demo, tmp_path / name)
        paths.append(tmp_path / name)
    return paths


def _rows(path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in DERIVED.items()}
    finally:
        conn.close()


def _stale(path) -> dict:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return derived.stale(conn)
    finally:
        conn.close()


@pytest.mark.parametrize(
    "key, value",
    [
        ("social-worker-conversation", "10"),
        ("month-mode", "days"),
        ("closure-days", "2026-03-20,2026-04-07"),
        ("authority-name", "Northshire"),
    ],
)
def test_a_planned_change_leaves_what_recomputing_under_the_lock_leaves(
    copies, key, value, monkeypatch
):
    planned, locked = copies
    s = Store(planned)
    plan = plan_policy(s, key, value)
    with monkeypatch.context() as m:
        m.setattr(Store, "refresh_all", lambda *a, **k: pytest.fail("recomputed under the lock"))
        outcome = set_policy(s, key, value, plan=plan)
    s.close()
    s = Store(locked)
    expected = set_policy(s, key, value)  # no plan: everything under the lock, as before
    s.close()
    assert outcome.message == expected.message
    assert _rows(planned) == _rows(locked)
    assert _stale(planned) == {}


def test_the_plan_writes_nothing(copies):
    path, _ = copies
    before = _rows(path)
    s = Store(path)
    plan = plan_policy(s, "social-worker-conversation", "10")
    assert plan["writes"], "the setting moves deadlines: there is something to apply"
    assert not s.conn.in_transaction
    s.close()
    assert _rows(path) == before


def test_a_write_committed_after_the_plan_makes_it_recompute_under_the_lock(copies, monkeypatch):
    """Another admin books a closure day between the plan and the lock: the plan is
    dropped, and the deadlines are recomputed from both settings."""
    path, reference = copies
    s = Store(path)
    plan = plan_policy(s, "social-worker-conversation", "10")
    other = Store(path)
    set_policy(other, "closure-days", "2026-03-20,2026-04-07")
    other.close()
    calls = []
    recompute = Store.refresh_all
    monkeypatch.setattr(Store, "refresh_all", lambda *a, **k: calls.append(1) or recompute(*a, **k))
    set_policy(s, "social-worker-conversation", "10", plan=plan)
    s.close()
    assert calls == [1], "the plan was dropped"
    monkeypatch.undo()
    assert _stale(path) == {}
    s = Store(reference)
    set_policy(s, "closure-days", "2026-03-20,2026-04-07")
    set_policy(s, "social-worker-conversation", "10")
    s.close()
    assert _rows(path) == _rows(reference)


def test_a_plan_for_another_value_is_not_applied(copies):
    path, reference = copies
    s = Store(path)
    plan = plan_policy(s, "social-worker-conversation", "10")
    set_policy(s, "social-worker-conversation", "12", plan=plan)
    s.close()
    s = Store(reference)
    set_policy(s, "social-worker-conversation", "12")
    s.close()
    assert _rows(path) == _rows(reference)
    assert _stale(path) == {}


def test_a_failure_while_applying_leaves_everything_as_it_was(copies, monkeypatch):
    path, _ = copies
    before = _rows(path)
    s = Store(path)
    plan = plan_policy(s, "social-worker-conversation", "10")

    def broken(conn, children=None):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(workitems, "store", broken)
    with pytest.raises(Exception, match="full"):
        set_policy(s, "social-worker-conversation", "10", plan=plan)
    s.close()
    assert _rows(path) == before


def test_policy_set_on_the_command_line_recomputes_every_open_period(world):
    line = world.line("policy", "set", "social-worker-conversation", "10")
    assert line.startswith("Policy social-worker-conversation = 10; deadlines recomputed for")
    assert "No problems found" in world.ok("check").stdout
