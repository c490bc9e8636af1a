"""`letters due --mark-sent` never leaves a letter on disk that is not marked sent, nor a
letter marked sent that never reaches the folder: a run is stopped at each point in turn
(an exception no handler catches stands for the kill; where a kill would also skip the
clean-up, the clean-up is switched off for that run), and the next run puts it right and
says so.

Review 1 (C001, meeting Thu 18 Jun 2026) has four invitees: three letters and one email
message, due on Mon 1 Jun 2026 (see test_letters.case)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from reviewcli import batches, files, letters
from test_letters import case  # noqa: F401  (the fixture)

DAY = "2026-06-02"
NAMES = 4  # three letters and one email message


class Killed(BaseException):
    """The process stopped here: no handler runs (as after SIGKILL)."""


def run_due(cli, out, *more, today=DAY):
    return cli("letters", "due", "--on", today, "--out", str(out), *more, today=today)


def marked(cli) -> tuple[str, dict]:
    step = {r["step"]: r for r in cli.json("review", "steps", "1")}["invitations"]
    sent = {r["contact_id"]: r["letter_sent_on"] for r in cli.json("review", "invitees", "1")}
    return step["status"], sent


def placed(out) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def hidden(out) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def batch_rows(cli) -> list[dict]:
    conn = sqlite3.connect(cli.db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM letter_batches ORDER BY id")]
    finally:
        conn.close()


def kill_on_call(monkeypatch, owner, name, call: int) -> None:
    """Make ``owner.name`` stop the process on its ``call``-th call."""
    real = getattr(owner, name)
    count = {"n": 0}

    def fake(*args, **kw):
        count["n"] += 1
        if count["n"] == call:
            raise Killed
        return real(*args, **kw)

    monkeypatch.setattr(owner, name, fake)


def test_a_whole_run_records_a_finished_batch(case, tmp_path):  # noqa: F811
    out = tmp_path / "due"
    run_due(case, out, "--mark-sent")
    assert len(placed(out)) == NAMES and hidden(out) == []
    (row,) = batch_rows(case)
    assert row["finished_at"] and row["missing"] is None
    assert row["staging"].startswith(batches.BATCH_PREFIX)
    assert sorted(json.loads(row["files"])) == placed(out)
    assert json.loads(row["reviews"]) == [1] and row["sent_on"] == DAY
    assert marked(case) == ("done", {None: DAY, 1: DAY, 2: DAY, 3: DAY})


def test_stopped_while_writing_nothing_is_marked_and_the_next_run_cleans_up(
    case,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    out = tmp_path / "due"
    out.mkdir()
    with monkeypatch.context() as m:
        kill_on_call(m, letters, "render_bytes", 2)
        m.setattr(batches.shutil, "rmtree", lambda *a, **k: None)  # killed: no clean-up
        with pytest.raises(Killed):
            run_due(case, out, "--mark-sent")
    assert placed(out) == [] and len(hidden(out)) == 1  # one letter, in the batch folder
    assert marked(case)[0] == "open" and batch_rows(case) == []
    result = run_due(case, out, "--mark-sent")
    assert result.exit_code == 0, result.output
    assert "left by a run stopped before it marked its letters sent" in result.stderr
    assert len(placed(out)) == NAMES and hidden(out) == []
    assert marked(case)[0] == "done"


def test_a_failed_commit_marks_nothing_and_places_nothing(case, tmp_path, monkeypatch):  # noqa: F811
    out = tmp_path / "due"

    def full(*args, **kw):
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as m:
        m.setattr(batches, "record", full)
        result = run_due(case, out, "--mark-sent")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    assert "Wrote" not in result.stdout
    assert not out.exists()  # the folder it created is gone, and the letters with it
    assert marked(case)[0] == "open" and batch_rows(case) == []


@pytest.mark.parametrize("moved", [0, 2])
def test_stopped_after_the_commit_the_next_run_moves_the_rest(
    case,  # noqa: F811
    tmp_path,
    monkeypatch,
    moved,
):
    out = tmp_path / "due"
    with monkeypatch.context() as m:
        kill_on_call(m, files, "move_into_place", moved + 1)
        with pytest.raises(Killed):
            run_due(case, out, "--mark-sent")
    # Marked sent, and every letter kept: in place or waiting in the batch folder.
    assert marked(case) == ("done", {None: DAY, 1: DAY, 2: DAY, 3: DAY})
    assert len(placed(out)) == moved and len(hidden(out)) == 1
    (row,) = batch_rows(case)
    assert row["finished_at"] is None
    result = case("check", "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [p["check"] for p in problems] == ["letters"]
    assert problems[0]["problem"].startswith(f"letters batch 1 (marked sent on {DAY}) was ")
    # The next run (with or without --mark-sent) finishes the batch and says so; nothing
    # is due any more, so nothing is written twice.
    result = run_due(case, out, today="2026-06-03")
    assert result.exit_code == 0, result.output
    assert (
        f"letters batch 1 (marked sent on {DAY} for review 1) was interrupted: moved its "
        f"last {NAMES - moved} files into {str(out)!r}"
    ) in result.stderr
    assert "Wrote 0 invitation letters for 0 reviews" in result.stdout
    assert len(placed(out)) == NAMES and hidden(out) == []
    (row,) = batch_rows(case)
    assert row["finished_at"] and row["missing"] is None
    assert case.json("check") == []
    # Said once: a later run has nothing to finish.
    assert "interrupted" not in run_due(case, out, today="2026-06-03").stderr


def test_stopped_after_the_last_move_the_next_run_records_it(case, tmp_path, monkeypatch):  # noqa: F811
    out = tmp_path / "due"
    with monkeypatch.context() as m:
        kill_on_call(m, batches, "finish", 1)
        with pytest.raises(Killed):
            run_due(case, out, "--mark-sent")
    assert len(placed(out)) == NAMES and hidden(out) == []
    assert batch_rows(case)[0]["finished_at"] is None
    result = run_due(case, out, today="2026-06-03")
    assert "was interrupted after every file was in place" in result.stderr
    assert batch_rows(case)[0]["finished_at"]
    assert len(placed(out)) == NAMES


def test_a_batch_folder_removed_by_hand_is_reported(case, tmp_path, monkeypatch):  # noqa: F811
    import shutil

    out = tmp_path / "due"
    with monkeypatch.context() as m:
        kill_on_call(m, files, "move_into_place", 2)
        with pytest.raises(Killed):
            run_due(case, out, "--mark-sent")
    (folder,) = hidden(out)
    shutil.rmtree(out / folder)
    result = run_due(case, out, today="2026-06-03")
    assert "was interrupted and its folder" in result.stderr
    assert f"{NAMES - 1} letters never reached {str(out)!r}" in result.stderr
    assert "'reviewcli letters invite REVIEW_ID --out DIR'" in result.stderr
    (row,) = batch_rows(case)
    assert row["finished_at"] and len(json.loads(row["missing"])) == NAMES - 1


def test_letters_invite_mark_sent_is_a_batch_too(case, tmp_path, monkeypatch):  # noqa: F811
    out = tmp_path / "o"
    with monkeypatch.context() as m:
        kill_on_call(m, files, "move_into_place", 1)
        with pytest.raises(Killed):
            case("letters", "invite", "1", "--out", str(out), "--mark-sent", today=DAY)
    assert marked(case)[0] == "done" and placed(out) == []
    result = case("letters", "invite", "1", "--out", str(tmp_path / "other"), today=DAY)
    assert "was interrupted: moved its last" in result.stderr
    assert len(placed(out)) == NAMES
