"""The golden schedule: every deadline the rules derive for a set of scenarios.

``tests/schedule/scenarios.toml`` holds the scenarios (a period of care, its episodes,
held reviews, directions, consent, earlier short-break stays, a booked or completed
review, the policy) and, for each, the deadlines worked out by hand (``expect``, with the
working in the comments above it). This test derives every deadline from the pure rules
(``rules``, ``steps``) — no database, no command line — and checks it twice:

- against the hand-worked expectation of each scenario, line for line;
- against ``tests/golden/schedule.txt``, the whole schedule with the rules' own wording,
  so that a change of rule or wording is one readable diff.

After an intended change run ``make golden`` (REVIEWCLI_UPDATE_GOLDEN=1) and review the
diff of the golden file; the hand-worked expectations are never regenerated.

Lines are ``KIND DATE RULE [EXTRA …]``:

- ``held DATE RULE DEADLINE VERDICT``: each held review replayed with what was known on
  its recording date: the deadline it was judged against, and on-time / out-of-time
  (R-SCH-15), or before-window for a review before an R-SCH-8 window opened.
- ``candidate DUE RULE [earliest=D]``: every rule's proposal for the next review (R-SCH-10).
- ``next DUE RULE #N [earliest=D]``: the next review; ``next none R-SCH-11`` once care ended.
- ``allocation`` (R-IRO-2), ``pathway-plan`` and ``eighteenth-birthday`` (R-SCH-16).
- ``booked DATE R-SCH-13 within|past-deadline`` and the preparation steps (R-PRE-1..4).
- the recording steps from ``completed`` (R-POST-1..6), ``starred-forward`` (R-POST-7),
  ``manager-response`` from ``circulated`` (R-POST-3).
- ``reconvene-by`` (R-SCH-14), ``no-meeting DATE R-SCH-12 allowed|refused``,
  ``event-decision`` (R-EVT-1).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
import tomllib

from reviewcli import policy as policy_mod
from reviewcli import rules, steps

HERE = Path(__file__).parent
SCENARIOS = HERE / "schedule" / "scenarios.toml"
GOLDEN = HERE / "golden" / "schedule.txt"
UPDATE = os.environ.get("REVIEWCLI_UPDATE_GOLDEN") == "1"

# Rules of DOMAIN.md §2, §3 and §5 that give no date for the schedule to derive, and where
# they are enforced instead.
NO_DATE = {
    "R-SCH-10": "how the candidates combine: every scenario's 'next' line",
    "R-IRO-1": "told to the IRO service within 2 working days: outside the tool (no record)",
    "R-IRO-3": "siblings and parents: records.allocate (test_lifecycle)",
    "R-IRO-4": "caseloads: reports (test_lifecycle, test_report)",
    "R-EVT-2": "a review before the change, no date: events (test_lifecycle)",
}
DOMAIN_RULES = (
    [f"R-SCH-{n}" for n in range(1, 17)]
    + [f"R-PRE-{n}" for n in range(1, 5)]
    + [f"R-POST-{n}" for n in range(1, 8)]
    + [f"R-IRO-{n}" for n in range(1, 5)]
    + ["R-EVT-1", "R-EVT-2"]
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def _episode(row: list) -> rules.Episode:
    start, ls, place, *rest = row
    return rules.Episode(
        d(start),
        legal_status=ls or None,
        placement=place or None,
        rne=None,
        local_reason=rest[0] if rest else None,
    )


def _review(text: str) -> rules.HeldReview:
    day, *flag = text.split()
    return rules.HeldReview(d(day), meeting=flag != ["no-meeting"])


def _setup(scn: dict):
    values = {key: s.default for key, s in policy_mod.SETTINGS.items()}
    values.update(scn.get("policy", {}))
    return values, policy_mod.calendar(values), policy_mod.schedule_policy(values)


def _period(scn: dict, upto: date | None = None, held=None) -> rules.Period:
    """The scenario's period of care, or what was known of it on ``upto``."""

    def known(day: date) -> bool:
        return upto is None or day <= upto

    episodes = tuple(e for e in map(_episode, scn.get("episodes", [])) if known(e.start))
    consent = d(scn["consent"]) if scn.get("consent") else None
    earlier = tuple(
        rules.Stay(
            d(s["start"]),
            d(s["end"]),
            tuple(map(_episode, s["episodes"])),
            tuple(map(_review, s.get("reviews", []))),
        )
        for s in scn.get("earlier", [])
    )
    return rules.Period(
        start=d(scn["start"]),
        end=d(scn["end"]) if scn.get("end") and upto is None else None,
        episodes=episodes,
        reviews=tuple(map(_review, scn.get("reviews", []))) if held is None else held,
        directions=tuple(
            rules.Direction(d(made), d(by))
            for made, by in scn.get("directions", [])
            if known(d(made))
        ),
        adjourned_on=d(scn["adjourned"]) if scn.get("adjourned") and upto is None else None,
        consent_on=consent if consent and known(consent) else None,
        earlier=earlier,
        breaks_ended=tuple(d(e) for e in scn.get("breaks_ended", [])),
    )


def _doc(fn) -> str:
    """The rule's sentence from the function that applies it (its docstring, one line)."""
    return " ".join(fn.__doc__.split("\n\n")[0].split())


def _earliest(x: rules.Deadline) -> list[str]:
    return [f"earliest={x.earliest.isoformat()}"] if x.earliest else []


def derive(scn: dict) -> list[tuple[list[str], str]]:
    """Every deadline of a scenario: (tokens, wording) pairs, in a fixed order."""
    values, cal, pol = _setup(scn)
    out: list[tuple[list[str], str]] = []
    period = _period(scn)

    # R-SCH-15: each held review against the deadline known on its recording date.
    for i, review in enumerate(period.reviews):
        before = _period(scn, upto=review.recording_date, held=period.reviews[:i])
        was = rules.next_review(before, cal, pol)
        if was.earliest and review.recording_date < was.earliest:
            verdict = "before-window"
        else:
            verdict = "on-time" if review.recording_date <= was.due else "out-of-time"
        tokens = ["held", review.recording_date.isoformat(), was.rule, was.due.isoformat()]
        out.append(([*tokens, verdict], was.detail))

    found = rules.candidates(period, cal, pol)
    for c in sorted(found, key=lambda c: (c.due, c.rule)):
        out.append((["candidate", c.due.isoformat(), c.rule, *_earliest(c)], c.detail))
    nxt = rules.next_review(period, cal, pol)
    resting = rules.between_stays(period, cal, pol) if nxt is None else None
    if resting is not None:
        # R-SCH-5: the last stay of a series of short breaks still running.
        tokens = ["next", resting.due.isoformat(), resting.rule, f"#{resting.number}"]
        out.append(([*tokens, "between-stays"], resting.detail))
    elif nxt is None:
        out.append((["next", "none", rules.END_OF_CARE], "care has ended: nothing further is due"))
    else:
        tokens = ["next", nxt.due.isoformat(), nxt.rule, f"#{nxt.number}", *_earliest(nxt)]
        out.append((tokens, nxt.detail))

    booked = d(scn["booked"]) if scn.get("booked") else None
    if scn.get("dob"):
        dob = d(scn["dob"])
        first_booked = booked if not period.reviews else None
        due = rules.allocation_due(period.start, cal, first_booked)
        out.append((["allocation", due.isoformat(), rules.ALLOCATION], _doc(rules.allocation_due)))
        out.append(
            (
                [
                    "pathway-plan",
                    rules.pathway_plan_due(dob, cal).isoformat(),
                    rules.APPROACHING_18,
                ],
                _doc(rules.pathway_plan_due),
            )
        )
        eighteen = rules.eighteenth_birthday(dob).isoformat()
        out.append((["eighteenth-birthday", eighteen, rules.APPROACHING_18], "the 18th birthday"))

    if booked is not None:
        within = nxt is not None and booked <= nxt.due
        tokens = ["booked", booked.isoformat(), rules.REARRANGE]
        out.append(([*tokens, "within" if within else "past-deadline"], "booked meeting"))
        dues = steps.pre_steps(booked, not period.reviews, cal, values, period.start)
        for name, due in sorted(dues.items(), key=lambda kv: (kv[1], kv[0])):
            out.append(([name, due.isoformat(), steps.STEPS[name].rule], steps.STEPS[name].label))

    if scn.get("adjourned"):
        limit = rules.adjournment_limit(d(scn["adjourned"]), cal)
        out.append(
            (["reconvene-by", limit.isoformat(), rules.ADJOURNMENT], _doc(rules.adjournment_limit))
        )

    if scn.get("completed"):
        done = d(scn["completed"])
        for name, due in sorted(
            steps.post_steps(done, cal, values).items(), key=lambda kv: (kv[1], kv[0])
        ):
            out.append(([name, due.isoformat(), steps.STEPS[name].rule], steps.STEPS[name].label))
        forward = steps.starred_forward_due(done)
        out.append(
            (["starred-forward", forward.isoformat(), "R-POST-7"], _doc(steps.starred_forward_due))
        )
    if scn.get("circulated"):
        due = steps.manager_response_due(d(scn["circulated"]), cal)
        out.append(
            (["manager-response", due.isoformat(), "R-POST-3"], _doc(steps.manager_response_due))
        )

    if scn.get("no_meeting_on"):
        on = d(scn["no_meeting_on"])
        why = rules.check_no_meeting(period.episodes, period.reviews, on, cal)
        verdict = "allowed" if why is None else "refused"
        out.append((["no-meeting", on.isoformat(), rules.LONG_TERM, verdict], why or "allowed"))

    for recorded in scn.get("events", []):
        due = rules.event_decision_due(d(recorded), values["event-decision-days"], cal)
        out.append((["event-decision", due.isoformat(), "R-EVT-1"], _doc(rules.event_decision_due)))
    return out


def expected(scn: dict) -> list[list[str]]:
    """The hand-worked lines of a scenario (comments after '#' are ignored)."""
    lines = []
    for line in scn["expect"].splitlines():
        line = re.sub(r"\s+#\s.*$", "", line).strip()
        if line:
            lines.append(line.split())
    return lines


def render(scenarios: list[dict]) -> str:
    parts = [
        "# The golden schedule: every deadline the rules derive for tests/schedule/scenarios.toml.",
        "# Generated by 'make golden'; review the diff. KIND DATE RULE [EXTRA] | wording",
        "",
    ]
    for scn in scenarios:
        parts.append(f"## {scn['name']}  [{', '.join(scn['rules'])}]")
        parts.append(f"#  {scn['about']}")
        rows = derive(scn)
        width = max(len(" ".join(t)) for t, _ in rows)
        for tokens, wording in rows:
            parts.append(f"{' '.join(tokens):<{width}}  | {wording}")
        parts.append("")
    return "\n".join(parts)


def load() -> list[dict]:
    with SCENARIOS.open("rb") as f:
        return tomllib.load(f)["scenario"]


ALL = load()


@pytest.mark.parametrize("scn", ALL, ids=[s["name"] for s in ALL])
def test_scenario_matches_the_hand_worked_deadlines(scn):
    got = [tokens for tokens, _ in derive(scn)]
    assert got == expected(scn)


def test_golden_schedule():
    text = render(ALL)
    if UPDATE:
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == text, "run 'make golden' and review the diff"


def test_every_rule_of_the_schedule_steps_and_allocation_is_covered():
    covered = {rule for scn in ALL for rule in scn["rules"]}
    derived = {tokens[2] for scn in ALL for tokens, _ in derive(scn)}
    for rule in DOMAIN_RULES:
        assert rule in covered or rule in NO_DATE, f"no scenario for {rule}"
    # A scenario names only rules it shows, and every rule it names appears in some line.
    assert covered <= set(DOMAIN_RULES)
    assert covered - {"R-SCH-10", "R-SCH-15"} <= derived
    names = [s["name"] for s in ALL]
    assert len(names) == len(set(names))
