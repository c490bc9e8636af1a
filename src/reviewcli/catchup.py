"""Catching up on the steps around reviews: several steps in one command, and the
preparation steps already late when a review is booked or moved.

``review done REVIEW_ID STEP [STEP …]`` marks each step as ``records.complete_step``
does, all in one transaction: every step lands, or (one refused) none does.
"""

from __future__ import annotations

from datetime import date

from .errors import ReviewError
from .records import (  # noqa: F401 (late_preparation: read from here too)
    Outcome,
    complete_step,
    get_review,
    late_preparation,
    parse_date,
)
from .store import Store

# Names standing for several steps of one review.
GROUPS = {
    "all-recording": "post",
    "all-preparation": "pre",
}
GROUP_HELP = (
    "all-recording: every open recording step of a held review (R-POST-1, 2, 4, 5, 6; the "
    "manager's response is the manager's and stays apart); all-preparation: every open "
    "preparation step (R-PRE-1..4)."
)


def expand(store: Store, review: dict, names: list[str]) -> list[str]:
    """The steps named, with each group replaced by the open steps it stands for."""
    from .steps import STEPS

    out: list[str] = []
    for name in names:
        if name in GROUPS:
            phase = GROUPS[name]
            if phase == "post" and review["status"] != "held":
                raise ReviewError(
                    f"review {review['id']} is {review['status']}; its recording steps follow "
                    "a held review"
                )
            rows = store.rows(
                "SELECT step FROM review_steps WHERE review_id = ? AND status IN "
                "('open', 'missed') ORDER BY due, id",
                [review["id"]],
            )
            found = [
                r["step"]
                for r in rows
                if r["step"] in STEPS
                and STEPS[r["step"]].phase == phase
                and r["step"] != "manager-response"
            ]
            if not found:
                what = "recording" if phase == "post" else "preparation"
                raise ReviewError(f"review {review['id']} has no open {what} steps left")
            out += [step for step in found if step not in out]
        elif name in out:
            raise ReviewError(f"the {name} step is named twice")
        else:
            out.append(name)
    return out


def complete_steps(
    store: Store, review_id, names: list[str], *, on=None, today: date, disagree=None, note=None
) -> Outcome:
    """Mark one or more steps of a review done on one date, in one transaction."""
    review = get_review(store, review_id)
    steps = expand(store, review, names)
    if len(steps) == 1:
        return complete_step(
            store, review["id"], steps[0], on=on, today=today, disagree=disagree, note=note
        )
    day = parse_date(on, "--date") if on else today
    if disagree and "manager-response" not in steps:
        raise ReviewError("--disagree belongs to the manager-response step")
    done = []
    with store.write():
        for step in steps:
            outcome = complete_step(
                store,
                review["id"],
                step,
                on=day,
                today=today,
                disagree=disagree if step == "manager-response" else None,
                note=note,
            )
            done.append(outcome.obj)
    late = [f"{d['step']} (due {d['due']}, {d['rule']})" for d in done if d["late"]]
    message = (
        f"Review {review['id']}: {len(done)} steps done on {day} "
        f"({', '.join(d['step'] for d in done)})"
    )
    message += f"; late: {', '.join(late)}." if late else "."
    return Outcome({"review_id": review["id"], "done_on": day.isoformat(), "steps": done}, message)
