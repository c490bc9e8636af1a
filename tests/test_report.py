"""The monthly monitoring report (DOMAIN.md §7): figures counted by hand for one month.

October 2026 (no bank holidays in England), built through the domain functions:

- K1001 Zara Quill (North, IRO1 from 3 Sep): looked after from Tue 1 Sep 2026, first review
  due by Tue 29 Sep (R-SCH-1), held Fri 2 Oct: out of time, 3 days late, PN1. Decisions:
  one due 20 Oct never done (overdue at month end), one starred due 30 Nov, forwarded
  4 Oct (due 5 Oct, R-POST-7). Steps: decisions (due 9 Oct) done 8 Oct, on time; record
  (due 23 Oct) done 26 Oct, late; distribution (due 30 Oct) outstanding.
- K1002 Bertram Oddie (South, IRO2 at 0.5 FTE): looked after from 15 Jun; first review
  7 Jul; second due by 7 Oct, held Tue 6 Oct, on time, PN5. July decisions: one due 30 Sep
  done 1 Nov (overdue at month end), one due 1 Sep done 2 Sep. October decisions: one due
  30 Oct done 29 Oct, one due 31 Oct open (overdue at month end), one cancelled. Steps:
  decisions (due 13 Oct) done 14 Oct, late; record (due 27 Oct) done 27 Oct, on time.
- K1005 Ezra Fennimore (North, IRO1, born 2025): looked after from 14 Sep, first review due
  12 Oct, held Fri 9 Oct, on time, PN0. Decisions and record steps (16 and 30 Oct) open.
- K1003 Cosima Plumtree (North): looked after from Mon 5 Oct; IRO1 named Wed 14 Oct, after
  the 5 working days (Mon 12 Oct); first review due Mon 2 Nov, booked for Fri 30 Oct.
- K1004 Dorian Wexley (South): looked after from Tue 20 Oct; no IRO by the report day
  (Mon 2 Nov; the deadline was Tue 27 Oct); first review due Tue 17 Nov, not booked.
- Events: Bertram missing (recorded 12 Oct, no review needed 13 Oct); Zara placement
  instability (recorded 20 Oct, undecided); Zara health (recorded in September).
- Disputes: Zara's opened 28 Sep, escalated 5 Oct, resolved 15 Oct; Bertram's opened 21 Oct,
  escalated to stage 3 on 26 Oct; Ezra's opened 1 Oct, referred to Cafcass 30 Oct.
- The new measures. Parents: Zara's review attended, Bertram's contributed, Ezra's
  declined (2 of 3 took part). The IRO spoke with Zara on 1 Oct (before her review of
  2 Oct) and with Bertram on 6 Oct (the day of his meeting: seen before it, R-PRE-4 is
  due by the meeting itself), with Ezra only on 12 Oct, after his (not seen before): 2 of
  3. Care plans (R-POST-4, 10 working days): Zara's due 16 Oct done 15 Oct (on time),
  Bertram's due 20 Oct done 21 Oct (late), Ezra's due 23 Oct outstanding. Contacts between
  reviews: Zara visit 15 Oct and call 22 Oct, Bertram midway review 20 Oct, Ezra visit
  30 Sep (September). Themes: Zara's dispute education (opened in September), Bertram's
  education, Ezra's contact; Zara's resolved with result "resolved". Ezra's IRO changes
  from IRO1 to IRO2 on 26 Oct (the IRO's absence).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewcli import casefacts, decisions, disputes, events, records, reports
from reviewcli.contacts import add_contact
from reviewcli.store import open_store

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("REVIEWCLI_UPDATE_GOLDEN") == "1"
REPORT_DAY = "2026-11-02"
NAMES = [
    "Zara",
    "Quill",
    "Bertram",
    "Oddie",
    "Cosima",
    "Plumtree",
    "Dorian",
    "Wexley",
    "Ezra",
    "Fennimore",
    "Quentin",
    "Marsh",
]
IDS = ["K1001", "K1002", "K1003", "K1004", "K1005"]


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME, or rewrite it under REVIEWCLI_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return
    assert path.exists(), f"no golden file {name}: run 'make golden'"
    with open(path, encoding="utf-8", newline="") as f:
        expected = f.read()
    assert text == expected, (
        f"{name} differs from its golden file; if the change is intended, run 'make golden' "
        "and review the diff"
    )


def d(text: str) -> date:
    return date.fromisoformat(text)


def child(s, child_id, first, last, dob, start, team, *, iro=None, allocated=None):
    records.add_child(
        s, child_id, first_name=first, last_name=last, dob=dob, today=d(start), team=team
    )
    records.start_episode(
        s, child_id, on=d(start), today=d(start), legal_status="C2", placement="U6"
    )
    if iro:
        records.allocate(s, child_id, iro, on=d(allocated or start), today=d(allocated or start))


def book(s, child_id, on, today):
    return records.schedule_review(s, child_id, on=d(on), today=d(today)).obj["id"]


def hold(s, review_id, on, pn, late_reason=None):
    records.hold_review(s, review_id, today=d(on), participation=pn, late_reason=late_reason)


def decide(s, review_id, text, due, made, **kw):
    return decisions.add_decision(
        s, review_id, text, owner="Social worker", due=due, today=d(made), **kw
    ).obj["id"]


def build_october(path: Path) -> None:
    with open_store(path, create=True) as s:
        records.set_policy(s, "authority-name", "Northshire County Council")
        records.add_iro(s, "IRO1", "Jane Smith", team="North")
        records.add_iro(s, "IRO2", "Kim Lee", team="South", fte=0.5)
        records.add_iro(s, "IRO3", "Retired Officer")

        # Zara: first review out of time.
        child(
            s,
            "K1001",
            "Zara",
            "Quill",
            "2014-01-10",
            "2026-09-01",
            "North",
            iro="IRO1",
            allocated="2026-09-03",
        )
        add_contact(s, "K1001", "Quentin Marsh", role="parent", today=d("2026-09-01"))
        zara = book(s, "K1001", "2026-10-02", "2026-09-10")
        hold(
            s,
            zara,
            "2026-10-02",
            "PN1",
            late_reason="Zara was unwell and Quentin Marsh could not attend",
        )
        z1 = decide(s, zara, "Arrange the dentist", "2026-10-20", "2026-10-02")
        z2 = decide(s, zara, "Find a tutor", "2026-11-30", "2026-10-02", starred=True)
        decisions.forward_decision(s, z2, on=d("2026-10-04"), today=d("2026-10-04"))
        records.complete_step(s, zara, "decisions", on=d("2026-10-08"), today=d("2026-10-08"))
        records.complete_step(s, zara, "record", on=d("2026-10-26"), today=d("2026-10-26"))
        assert z1

        # Bertram: second review on time.
        child(s, "K1002", "Bertram", "Oddie", "2010-05-05", "2026-06-15", "South", iro="IRO2")
        first = book(s, "K1002", "2026-07-07", "2026-06-20")
        hold(s, first, "2026-07-07", "PN1")
        b1 = decide(s, first, "Renew the passport", "2026-09-30", "2026-07-07")
        decisions.complete_decision(s, b1, on=d("2026-11-01"), today=d("2026-11-01"))
        b2 = decide(s, first, "Book the optician", "2026-09-01", "2026-07-07")
        decisions.complete_decision(s, b2, on=d("2026-09-02"), today=d("2026-09-02"))
        bertram = book(s, "K1002", "2026-10-06", "2026-08-01")
        hold(s, bertram, "2026-10-06", "PN5")
        b3 = decide(s, bertram, "Visit the college", "2026-10-30", "2026-10-06")
        decisions.complete_decision(s, b3, on=d("2026-10-29"), today=d("2026-10-29"))
        decide(s, bertram, "Start driving lessons", "2026-10-31", "2026-10-06")
        b5 = decide(s, bertram, "Entered twice", "2026-10-31", "2026-10-06")
        decisions.cancel_decision(s, b5, reason="duplicate", today=d("2026-10-07"))
        records.complete_step(s, bertram, "decisions", on=d("2026-10-14"), today=d("2026-10-14"))
        records.complete_step(s, bertram, "record", on=d("2026-10-27"), today=d("2026-10-27"))

        # Ezra: a baby's first review, on time.
        child(s, "K1005", "Ezra", "Fennimore", "2025-01-01", "2026-09-14", "North", iro="IRO1")
        ezra = book(s, "K1005", "2026-10-09", "2026-09-20")
        hold(s, ezra, "2026-10-09", "PN0")

        # Cosima: looked after in October, IRO named late, first review booked.
        child(
            s,
            "K1003",
            "Cosima",
            "Plumtree",
            "2024-03-01",
            "2026-10-05",
            "North",
            iro="IRO1",
            allocated="2026-10-14",
        )
        book(s, "K1003", "2026-10-30", "2026-10-14")

        # Dorian: looked after in October, no IRO yet.
        child(s, "K1004", "Dorian", "Wexley", "2012-02-02", "2026-10-20", "South")

        # Events.
        ev = events.add_event(s, "K1002", "missing", on=d("2026-10-11"), today=d("2026-10-12"))
        events.decide_event(
            s, ev.obj["id"], review=False, reason="home safe", today=d("2026-10-13")
        )
        events.add_event(
            s, "K1001", "placement-instability", on=d("2026-10-19"), today=d("2026-10-20")
        )
        events.add_event(s, "K1001", "health", on=d("2026-09-20"), today=d("2026-09-21"))

        # Disputes.
        one = disputes.open_dispute(s, "K1001", issue="PEP late", today=d("2026-09-28")).obj
        disputes.escalate(s, one["id"], stage=2, today=d("2026-10-05"))
        disputes.resolve(s, one["id"], outcome="PEP done", today=d("2026-10-15"))
        two = disputes.open_dispute(s, "K1002", issue="No college place", today=d("2026-10-21")).obj
        disputes.escalate(s, two["id"], stage=3, today=d("2026-10-26"))
        three = disputes.open_dispute(s, "K1005", issue="Contact plan", today=d("2026-10-01")).obj
        disputes.refer_cafcass(s, three["id"], today=d("2026-10-30"))

        # The annual report's measures, in the monthly report too.
        casefacts.set_parent_participation(s, zara, "attended", today=d("2026-10-02"))
        casefacts.set_parent_participation(s, bertram, "contributed", today=d("2026-10-06"))
        casefacts.set_parent_participation(s, ezra, "declined", today=d("2026-10-09"))
        for review_id, on in ((zara, "2026-10-01"), (bertram, "2026-10-06"), (ezra, "2026-10-12")):
            records.complete_step(s, review_id, "iro-visit", on=d(on), today=d(on))
        records.complete_step(s, zara, "care-plan", on=d("2026-10-15"), today=d("2026-10-15"))
        records.complete_step(s, bertram, "care-plan", on=d("2026-10-21"), today=d("2026-10-21"))
        for child_id, kind, on in (
            ("K1001", "visit", "2026-10-15"),
            ("K1001", "call", "2026-10-22"),
            ("K1002", "midway-review", "2026-10-20"),
            ("K1005", "visit", "2026-09-30"),
        ):
            casefacts.add_iro_contact(s, child_id, kind=kind, on=on, today=d(on))
        casefacts.set_dispute_theme(s, one["id"], "education", today=d("2026-10-01"))
        casefacts.set_dispute_theme(s, two["id"], "education", today=d("2026-10-21"))
        casefacts.set_dispute_theme(s, three["id"], "contact", today=d("2026-10-01"))
        s.conn.execute("UPDATE disputes SET result = 'resolved' WHERE id = ?", [one["id"]])
        records.allocate(
            s,
            "K1005",
            "IRO2",
            on=d("2026-10-26"),
            today=d("2026-10-26"),
            change_reason="iro-absence",
        )


@pytest.fixture(scope="module")
def october_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("october") / "reviews.db"
    build_october(path)
    return path


@pytest.fixture
def october(run, october_db):
    import shutil

    shutil.copy2(october_db, run.db)
    return run


@pytest.fixture
def report(october_db):
    with open_store(october_db) as s:
        return reports.monthly_report(s, "2026-10", today=d(REPORT_DAY))


# --- the figures, against the hand count -------------------------------------------------


def test_reviews_held_on_time_and_out_of_time(report):
    assert report["month"] == "2026-10"
    assert report["reviews_held"] == 3
    assert report["held_on_time"] == 2
    assert report["held_out_of_time"] == 1
    assert report["out_of_time_reasons"] == {
        "Zara was unwell and Quentin Marsh could not attend": 1
    }
    (late,) = report["out_of_time_reviews"]
    assert (late["child_id"], late["recording_date"], late["deadline"], late["days_late"]) == (
        "K1001",
        "2026-10-02",
        "2026-09-29",
        3,
    )


def test_participation_has_every_code(report):
    assert report["participation"] == {
        "PN0": 1,
        "PN1": 1,
        "PN2": 0,
        "PN3": 0,
        "PN4": 0,
        "PN5": 1,
        "PN6": 0,
        "PN7": 0,
    }
    assert report["participation_not_recorded"] == 0


def test_first_reviews_and_allocation(report):
    # Zara's first review (2 Oct) was after 20 working days (29 Sep); Ezra's (9 Oct) within.
    assert report["first_reviews_held"] == 2
    assert report["first_reviews_within_20_working_days"] == 1
    assert report["first_reviews_late"] == 1
    # Cosima named late (14 Oct > 12 Oct); Dorian none, and 27 Oct has passed.
    assert report["periods_started"] == 2
    assert report["iro_allocated_within_5_working_days"] == 0
    assert report["iro_allocated_late"] == 1
    assert report["iro_not_allocated"] == 1
    assert report["iro_allocation_pending"] == 0


def test_records_on_time(report):
    rec = report["records"]
    assert {k: (v["due"], v["on_time"], v["late"], v["outstanding"]) for k, v in rec.items()} == {
        "decisions": (3, 1, 1, 1),  # Zara on time, Bertram late, Ezra outstanding
        "record": (3, 1, 1, 1),  # Bertram on time, Zara late, Ezra outstanding
        "distribution": (1, 0, 0, 1),  # Zara's, due 30 Oct
        "care-plan": (3, 1, 1, 1),  # Zara on time, Bertram late, Ezra outstanding
    }
    assert [v["rule"] for v in rec.values()] == ["R-POST-2", "R-POST-4", "R-POST-5", "R-POST-6"]
    assert report["care_plans_due"] == 3
    assert report["care_plans_updated_on_time"] == 1
    assert report["care_plans_percent_on_time"] == 33.3


def test_parents_participation(report):
    assert report["parent_participation"] == {
        "attended": 1,
        "contributed": 1,
        "declined": 1,
        "not-invited": 0,
        "not-applicable": 0,
    }
    assert report["parent_participation_not_recorded"] == 0
    assert report["parents_took_part"] == 2
    assert report["parents_percent"] == 66.7


def test_children_seen_before_and_between_reviews(report):
    assert report["seen_before_review"] == 2  # Zara (the day before), Bertram (the day)
    assert report["seen_before_review_percent"] == 66.7
    assert report["iro_contacts"] == {"visit": 1, "call": 1, "midway-review": 1}
    assert report["children_seen_between_reviews"] == 2


def test_dispute_themes_stages_and_results(report):
    themes = {k: v for k, v in report["disputes_by_theme"].items() if v}
    assert themes == {"education": 1, "contact": 1}  # Zara's opened in September
    assert report["disputes_by_stage_reached"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}
    assert {k: v for k, v in report["disputes_by_result"].items() if v} == {"resolved": 1}


def test_changes_of_iro(report):
    assert report["iro_changes"] == 1
    assert report["children_changed_iro"] == 1
    assert {k: v for k, v in report["iro_changes_by_reason"].items() if v} == {"iro-absence": 1}


def test_decisions_and_overdue_actions(report):
    assert report["decisions_made"] == 4  # Zara 2, Bertram 2 (the cancelled one not counted)
    assert report["starred_decisions"] == 1
    assert report["starred_forwarded_within_72_hours"] == 1
    # Zara's dentist (due 20 Oct), Bertram's driving lessons (31 Oct), Bertram's passport
    # (due 30 Sep, done only on 1 Nov).
    assert report["actions_overdue_at_month_end"] == 3


def test_events_and_disputes(report):
    assert report["events_recorded"] == 2
    assert report["events_by_kind"] == {"placement-instability": 1, "missing": 1}
    assert report["events_no_review"] == 1
    assert report["events_awaiting_decision"] == 1
    assert report["events_review_directed"] == 0
    assert report["disputes_opened"] == 2
    assert report["disputes_escalated"] == 2
    assert report["disputes_resolved"] == 1
    assert report["disputes_referred_to_cafcass"] == 1
    assert report["disputes_open_at_month_end"] == 2


def test_caseloads_against_50_to_70(report):
    assert [
        (c["iro_id"], c["caseload"], c["fte"], c["per_fte"], c["band"]) for c in report["caseloads"]
    ] == [
        ("IRO1", 2, 1.0, 2.0, "below"),  # Zara, Cosima
        ("IRO2", 2, 0.5, 4.0, "below"),  # Bertram, Ezra (from 26 Oct)
        ("IRO3", 0, 1.0, 0.0, "below"),
    ]


def test_reviews_due_next_month_by_team(report):
    due = report["due_next_month"]
    assert due["month"] == "2026-11"
    assert due["total"] == 2
    assert due["by_team"] == [
        {"team": "North", "reviews": 1, "booked": 1, "not_booked": 0, "held": 0},
        {"team": "South", "reviews": 1, "booked": 0, "not_booked": 1, "held": 0},
    ]
    assert [
        (r["child_id"], r["deadline"], r["booked"], r["status"], r["iro"]) for r in due["reviews"]
    ] == [
        ("K1003", "2026-11-02", "2026-10-30", "booked", "IRO1"),
        ("K1004", "2026-11-17", None, "not booked", None),
    ]


def test_caseload_bands_of_r_iro_4():
    assert [reports.caseload_band(n) for n in (0, 49.9, 50, 70, 70.1, 140)] == [
        "below",
        "below",
        "within",
        "within",
        "above",
        "above",
    ]


def test_parse_month():
    assert reports.parse_month("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(Exception, match="invalid month"):
        reports.parse_month("2026-13")


# --- the command and its formats -------------------------------------------------------------


def test_json_has_the_contract_keys(october):
    out = october.json("report", "monthly", "--month", "2026-10", today=REPORT_DAY)
    for key in [
        "month",
        "reviews_held",
        "held_on_time",
        "held_out_of_time",
        "out_of_time_reasons",
        "participation",
        "decisions_made",
        "starred_decisions",
        "actions_overdue_at_month_end",
    ]:
        assert key in out
    assert list(out["participation"]) == [f"PN{i}" for i in range(8)]
    assert (out["reviews_held"], out["held_on_time"], out["held_out_of_time"]) == (3, 2, 1)


def test_report_golden(october, tmp_path):
    for fmt, ext in (("json", "json"), ("md", "md"), ("csv", "csv"), ("html", "html")):
        text = october.ok(
            "report", "monthly", "--month", "2026-10", "--format", fmt, today=REPORT_DAY
        ).stdout
        assert_golden(f"report-2026-10.{ext}", text)


def test_csv_is_one_long_table(october):
    text = october.ok(
        "report", "monthly", "--month", "2026-10", "--format", "csv", today=REPORT_DAY
    ).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["section", "item", "field", "value"]
    figures = {(r["section"], r["item"], r["field"]): r["value"] for r in rows}
    assert figures[("reviews", "reviews_held", "value")] == "3"
    assert figures[("participation", "PN5", "reviews")] == "1"
    assert figures[("caseloads", "IRO2", "per_fte")] == "4.0"
    assert figures[("parent_participation", "percent", "reviews")] == "66.7"
    assert figures[("records", "care-plan", "on_time")] == "1"
    assert figures[("due_next_month", "K1004", "status")] == "not booked"


def test_markdown_tables(october):
    text = october.ok(
        "report", "monthly", "--month", "2026-10", "--format", "md", today=REPORT_DAY
    ).stdout
    assert text.startswith("# Monthly monitoring report: October 2026\n")
    assert "| Reviews held | 3 |" in text
    assert "| PN0 | Child aged under 4 at the time of the review | 1 |" in text
    assert "## Reviews due in November 2026, by team" in text


def test_html_is_self_contained_with_charts(october, tmp_path):
    out = tmp_path / "october.html"
    result = october.ok(
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--format",
        "html",
        "--out",
        str(out),
        today=REPORT_DAY,
    )
    assert result.stdout == ""
    assert f"Wrote the html report for 2026-10 to {out}." in result.stderr
    html = out.read_text()
    assert html.count("<svg") == 4
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "@page { size: A4" in html
    assert out.stat().st_mode & 0o777 == 0o600


def test_chart_labels_are_never_cut(report):
    """The team chart once printed "bled Children" for "Disabled Children": labels are
    left-aligned from the chart's edge in a column as wide as the longest label needs, and
    the bars start after it."""
    import re

    data = dict(report)
    data["due_next_month"] = dict(report["due_next_month"])
    data["due_next_month"]["by_team"] = [
        {"team": "Disabled Children", "reviews": 4},
        {"team": "West", "reviews": 40},
        {"team": "A team with a very long name indeed", "reviews": 1},
    ]
    charts = reports.charts(data)
    teams = charts["teams"]
    assert [b["label"] for b in teams["bars"]][:2] == ["Disabled Children", "West"]
    assert teams["bars"][2]["label"] == "A team with a very …"  # shortened to 20
    assert teams["label_w"] >= 20 * reports.CHART_CHAR_WIDTH
    assert teams["label_w"] + teams["bar_w"] + reports.CHART_VALUE_ROOM == reports.CHART_WIDTH
    assert charts["held"]["label_w"] >= len("Out of time") * reports.CHART_CHAR_WIDTH
    html = reports.to_html(data, {"name": "", "logo": "", "marking": ""})
    svg = html[html.index("by team</figcaption>") :]
    svg = svg[: svg.index("</svg>")]
    label = re.search(r'<text x="([\d.]+)"[^>]*class="label">Disabled Children</text>', svg)
    assert label and float(label.group(1)) == 2  # starts inside the chart, left-aligned
    bar = re.search(r'<rect x="([\d.]+)"', svg)
    assert float(bar.group(1)) == teams["label_w"] >= 2 + 17 * reports.CHART_CHAR_WIDTH


def test_xlsx_cell_by_cell(october, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "october.xlsx"
    october.ok(
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        str(out),
        today=REPORT_DAY,
    )
    wb = load_workbook(out)
    assert wb.sheetnames == [
        "Title",
        "Reviews held",
        "Out of time reasons",
        "Out of time reviews",
        "Participation",
        "Parents",
        "Seen by IRO",
        "First reviews",
        "Records",
        "Decisions",
        "Events",
        "Disputes",
        "IRO changes",
        "Caseloads",
        "Due next month by team",
        "Due next month",
    ]
    for ws in wb.worksheets:
        # Printable: landscape, fitted to the width of the page, the marking in the header.
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert ws.column_dimensions["A"].width >= 8
        if ws.title == "Title":
            continue
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
        # The header row repeats on every printed page; every table has an autofilter.
        assert ws.print_title_rows == "$1:$1"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    held = wb["Reviews held"]
    assert [[c.value for c in row] for row in held.iter_rows()] == [
        ["Measure", "Value"],
        ["Reviews held", 3],
        ["Held on time", 2],
        ["Held out of time", 1],
        ["Per cent on time", pytest.approx(0.667)],
        ["Held without a meeting (R-SCH-12)", 0],
    ]
    # A per cent is a per cent: the fraction, shown as 66.7 %.
    assert held["B5"].number_format == "0.0%"
    assert held["B2"].number_format == "General"
    parents = wb["Parents"]
    assert [c.value for c in parents[parents.max_row]][::2] == ["percent", pytest.approx(0.667)]
    assert parents.cell(parents.max_row, 3).number_format == "0.0%"
    assert parents.cell(2, 3).number_format == "General"
    late = wb["Out of time reviews"]
    assert [c.value for c in late[1]] == [
        "Review",
        "Child",
        "Name",
        "Team",
        "IRO",
        "No.",
        "Recorded",
        "Deadline",
        "Days late",
        "Reason",
    ]
    row = [c.value for c in late[2]]
    assert row[1:6] == ["K1001", "Zara Quill", "North", "IRO1", 1]
    assert row[6] == datetime(2026, 10, 2) and late["G2"].is_date
    assert row[7] == datetime(2026, 9, 29) and late["H2"].is_date
    assert late["G2"].number_format == "yyyy-mm-dd"
    assert row[8:] == [3, "Zara was unwell and Quentin Marsh could not attend"]
    due = wb["Due next month"]
    assert [c.value for c in due[2]][:6] == [
        "North",
        "K1003",
        "Cosima Plumtree",
        "IRO1",
        1,
        datetime(2026, 11, 2),
    ]
    assert due["F2"].is_date and due["H2"].is_date
    assert due["H3"].value is None  # Dorian: not booked
    title = {row[0].value: row[1].value for row in wb["Title"].iter_rows(min_row=3) if row[0].value}
    assert wb["Title"]["A1"].value == "Monthly monitoring report: October 2026"
    assert wb["Title"]["A2"].value == "OFFICIAL-SENSITIVE"
    assert title["Authority"] == "Northshire County Council"
    assert title["Month"] == "2026-10"
    assert title["Month name"] == "October 2026"
    assert title["From"] == datetime(2026, 10, 1)
    assert title["Reviews held"] == "Reviews held"  # the list of sheets


def test_xlsx_protective_marking_is_a_policy_setting(october, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "marked.xlsx"
    october.ok("policy", "set", "protective-marking", "OFFICIAL & SENSITIVE")
    october.ok("report", "monthly", "--month", "2026-10", "-f", "xlsx", "--out", out)
    wb = load_workbook(out)
    # "&" is a code in a page header: written doubled, it prints as one ampersand.
    assert wb["Reviews held"].oddHeader.center.text == "OFFICIAL && SENSITIVE"
    assert wb["Title"]["A2"].value == "OFFICIAL & SENSITIVE"
    html = october.ok("report", "monthly", "--month", "2026-10", "-f", "html").stdout
    assert '<p class="marking">OFFICIAL &amp; SENSITIVE</p>' in html
    october.ok("policy", "set", "protective-marking", "")
    october.ok("report", "monthly", "--month", "2026-10", "-f", "xlsx", "--out", out)
    wb = load_workbook(out)
    assert not wb["Reviews held"].oddHeader.center.text
    assert wb["Title"]["A2"].value is None


def test_csv_for_excel_has_a_bom_and_crlf(october, tmp_path):
    plain = october.ok("report", "monthly", "--month", "2026-10", "-f", "csv").stdout_bytes
    excel = october.ok(
        "report", "monthly", "--month", "2026-10", "-f", "csv", "--excel"
    ).stdout_bytes
    assert not plain.startswith(b"\xef\xbb\xbf") and b"\r\n" not in plain
    assert excel.startswith(b"\xef\xbb\xbf")
    assert excel[3:].replace(b"\r\n", b"\n") == plain
    assert excel.count(b"\r\n") == plain.count(b"\n")
    # The same in a file, and read back as Excel would: the same rows.
    out = tmp_path / "october.csv"
    october.ok("report", "monthly", "--month", "2026-10", "-f", "csv", "--excel", "--out", out)
    assert out.read_bytes() == excel
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows == list(csv.reader(io.StringIO(plain.decode())))


def test_every_command_writing_csv_takes_excel(october):
    import importlib

    import typer

    from reviewcli.cli import COMMANDS, app

    for modules, _ in COMMANDS.values():
        for module in modules.split():
            importlib.import_module(f"reviewcli.cli.{module}")
    root = typer.main.get_command(app)
    ctx = root.make_context("reviewcli", ["due"])
    missing, offered = [], 0

    def walk(command, path):
        nonlocal offered
        for name in getattr(command, "list_commands", lambda c: [])(ctx):
            sub = command.get_command(ctx, name)
            walk(sub, f"{path} {name}")
        fmt = [p for p in command.params if "--format" in getattr(p, "opts", [])]
        if fmt and "csv" in getattr(fmt[0].type, "choices", ()):
            offered += 1
            if not any("--excel" in p.opts for p in command.params):
                missing.append(path)

    walk(root, "reviewcli")
    assert offered >= 10 and missing == []
    out = october.ok("due", "--on", "2026-10-01", "-f", "csv", "--excel").stdout_bytes
    assert out.startswith(b"\xef\xbb\xbfkind,") and out.endswith(b"\r\n")
    out = october.ok("child", "list", "-f", "csv", "--excel").stdout_bytes
    assert (
        out.startswith(b"\xef\xbb\xbf")
        and b"\r\n" in out
        and b"\n" not in out.replace(b"\r\n", b"")
    )
    # The rows an import rejects, too.
    source = october.db.parent / "children.csv"
    source.write_text("child_id,first_name,last_name,dob\nK9,Ewa,Wiśniewska,31/02/2015\n")
    rejects = october.db.parent / "rejects.csv"
    october("import", "children", source, "--rejects", rejects, "--excel")
    data = rejects.read_bytes()
    assert data.startswith(b"\xef\xbb\xbffile,line,child,reason\r\n") and b"K9" in data
    assert data.count(b"\n") == data.count(b"\r\n") == 2
    # Without --excel the next command writes plain CSV again.
    assert not october.ok("child", "list", "-f", "csv").stdout_bytes.startswith(b"\xef")


def test_xlsx_text_is_safe_from_formula_injection(october, tmp_path):
    import sqlite3

    from openpyxl import load_workbook

    conn = sqlite3.connect(october.db)
    conn.execute(
        "UPDATE reviews SET late_reason = '=HYPERLINK(\"http://x\",\"y\")' WHERE child_id = 'K1001'"
    )
    conn.execute("UPDATE children SET team = '@SUM(A1)' WHERE id = 'K1003'")
    conn.commit()
    conn.close()
    out = tmp_path / "x.xlsx"
    october.ok(
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        str(out),
        today=REPORT_DAY,
    )
    wb = load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert wb["Out of time reasons"]["A2"].value == '\'=HYPERLINK("http://x","y")'
    assert wb["Due next month"]["A2"].value == "'@SUM(A1)"
    text = october.ok(
        "report", "monthly", "--month", "2026-10", "--format", "csv", today=REPORT_DAY
    ).stdout
    assert "'=HYPERLINK" in text


def test_xlsx_needs_out_and_bad_month_is_refused(october):
    assert "give --out PATH" in october.refused(
        "report", "monthly", "--month", "2026-10", "--format", "xlsx"
    )
    assert "invalid month '2026-1'" in october.refused("report", "monthly", "--month", "2026-1")


def test_an_empty_month(october):
    out = october.json("report", "monthly", "--month", "2025-01", today=REPORT_DAY)
    assert out["reviews_held"] == 0 and out["percent_on_time"] is None
    assert sum(out["participation"].values()) == 0
    html = october.ok("report", "monthly", "--month", "2025-01", "--format", "html").stdout
    assert "None." in html


# --- pseudonymisation ---------------------------------------------------------------------


def test_pseudonymise_removes_every_name(october, tmp_path):
    outputs = {}
    for fmt in ("json", "md", "csv", "html"):
        outputs[fmt] = october.ok(
            "report",
            "monthly",
            "--month",
            "2026-10",
            "--format",
            fmt,
            "--pseudonymise",
            today=REPORT_DAY,
        ).stdout
    xlsx = tmp_path / "p.xlsx"
    october.ok(
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        str(xlsx),
        "--pseudonymise",
        today=REPORT_DAY,
    )
    from openpyxl import load_workbook

    outputs["xlsx"] = "\n".join(
        str(c.value) for ws in load_workbook(xlsx).worksheets for r in ws.iter_rows() for c in r
    )
    for fmt, text in outputs.items():
        for name in NAMES:
            assert not re.search(rf"\b{name}\b", text, re.IGNORECASE), (fmt, name)
        for child_id in IDS:
            assert child_id not in text, (fmt, child_id)
    data = json.loads(outputs["json"])
    assert data["pseudonymised"] is True
    (late,) = data["out_of_time_reviews"]
    assert late["name"] == "Z.Q."
    assert re.fullmatch(r"P-[0-9A-F]{16}", late["child_id"])
    assert late["reason"] == "[name] was unwell and [name] [name] could not attend"
    assert [r["name"] for r in data["due_next_month"]["reviews"]] == ["C.P.", "D.W."]


def test_pseudonyms_are_stable_and_keyed(october):
    def ids():
        data = october.json(
            "report", "monthly", "--month", "2026-10", "--pseudonymise", today=REPORT_DAY
        )
        return [r["child_id"] for r in data["due_next_month"]["reviews"]]

    first = ids()
    assert first == ids()  # the same in every report
    assert len(set(first)) == 2
    october.ok("policy", "set", "pseudonym-key", "another-secret-key-0123456789")
    assert set(ids()).isdisjoint(first)
    assert reports.pseudonym("k" * 16, "K1001") == reports.pseudonym("k" * 16, "K1001")
    assert reports.initials("Zara", "Quill") == "Z.Q."


def test_hostile_names_are_escaped_in_html_and_markdown(october):
    import sqlite3

    hostile = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
    conn = sqlite3.connect(october.db)
    conn.execute(
        "UPDATE children SET first_name = ?, last_name = ?, team = ? WHERE id = 'K1003'",
        [hostile[1], hostile[0], hostile[0]],
    )
    conn.execute("UPDATE reviews SET late_reason = ? WHERE child_id = 'K1001'", [hostile[1]])
    conn.commit()
    conn.close()
    html = october.ok(
        "report", "monthly", "--month", "2026-10", "--format", "html", today=REPORT_DAY
    ).stdout
    assert "<script>" not in html and "<img src=x" not in html and '"><img' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = october.ok(
        "report", "monthly", "--month", "2026-10", "--format", "md", today=REPORT_DAY
    ).stdout
    assert "<script>" not in md and "<img" not in md


# --- February 2028: a leap month, counted by hand at its edges ---------------------------
#
# No bank holidays in England in February 2028 (Mon 3 Jan is New Year's substitute day);
# Tue 1 Feb and Tue 29 Feb are working days. Report made on Mon 6 Mar 2028.
#
# - L2001 Ada Birch (East, IRO1): looked after from Tue 4 Jan, first review due by Tue 1 Feb
#   (20 working days), held Tue 1 Feb: on time and within 20 working days (both on the
#   day itself), PN1. Steps: decisions due 8 Feb done 8 Feb (on time), record due 22 Feb
#   done 23 Feb (late), distribution due Tue 29 Feb outstanding. Decisions: one due 29 Feb
#   open (overdue at month end), one due 1 Mar open (not yet), one starred due 30 Mar
#   forwarded 4 Feb (72 hours: by 4 Feb).
# - L2002 Bram Cole (West, IRO2): from Tue 4 Jan, first review held Tue 25 Jan (January).
#   Steps: decisions due Tue 1 Feb done 1 Feb (on time), record due 15 Feb done 16 Feb
#   (late), distribution due 22 Feb done 22 Feb (on time). January decisions: one due
#   31 Jan done 1 Feb, one due 15 Feb done 1 Mar (overdue at month end).
# - L2006 Gus Hale (West, IRO2): from Tue 4 Jan, first review held Mon 24 Jan (January).
#   Steps: decisions due Mon 31 Jan (not February), record due 14 Feb and distribution
#   due 21 Feb, both outstanding.
# - L2007 Hana Irwin (East, IRO1): from Tue 4 Jan, first review due 1 Feb, held Wed 2 Feb:
#   1 day out of time, after 20 working days, PN2. Steps: decisions due 9 Feb and record
#   due 23 Feb outstanding; distribution due Wed 1 Mar (not February). One decision,
#   cancelled.
# - L2003 Cara Dunn (East): looked after from Tue 1 Feb; IRO1 named Tue 8 Feb, the 5th
#   working day (within). First review due Tue 29 Feb, held 29 Feb: on time, within 20
#   working days, PN3. One decision due 10 Mar. Its steps fall in March.
# - L2004 Dan Ellis (West): looked after from Tue 29 Feb; no IRO by 6 Mar, but the 5 working
#   days run to Tue 7 Mar (pending). First review due Tue 28 Mar, not booked.
# - L2005 Eve Frost (East, IRO1): looked after from Mon 31 Jan (January); first review due
#   Mon 28 Feb, held Wed 1 Mar (March), out of time. One decision due 15 Mar.
#
# Second reviews fall three months after the first: none in March.


def build_february_2028(path: Path) -> dict:
    ids = {}
    with open_store(path, create=True) as s:
        records.add_iro(s, "IRO1", "Jane Smith", team="East")
        records.add_iro(s, "IRO2", "Kim Lee", team="West")

        child(s, "L2001", "Ada", "Birch", "2015-06-01", "2028-01-04", "East", iro="IRO1")
        ada = ids["ada"] = book(s, "L2001", "2028-02-01", "2028-01-05")
        hold(s, ada, "2028-02-01", "PN1")
        decide(s, ada, "See the dentist", "2028-02-29", "2028-02-01")
        decide(s, ada, "Join a club", "2028-03-01", "2028-02-01")
        starred = decide(s, ada, "Change school", "2028-03-30", "2028-02-01", starred=True)
        decisions.forward_decision(s, starred, on=d("2028-02-04"), today=d("2028-02-04"))
        records.complete_step(s, ada, "decisions", on=d("2028-02-08"), today=d("2028-02-08"))
        records.complete_step(s, ada, "record", on=d("2028-02-23"), today=d("2028-02-23"))

        child(s, "L2002", "Bram", "Cole", "2012-03-03", "2028-01-04", "West", iro="IRO2")
        bram = book(s, "L2002", "2028-01-25", "2028-01-05")
        hold(s, bram, "2028-01-25", "PN4")
        b1 = decide(s, bram, "Renew the passport", "2028-01-31", "2028-01-25")
        decisions.complete_decision(s, b1, on=d("2028-02-01"), today=d("2028-02-01"))
        b2 = decide(s, bram, "Book the optician", "2028-02-15", "2028-01-25")
        decisions.complete_decision(s, b2, on=d("2028-03-01"), today=d("2028-03-01"))
        records.complete_step(s, bram, "decisions", on=d("2028-02-01"), today=d("2028-02-01"))
        records.complete_step(s, bram, "record", on=d("2028-02-16"), today=d("2028-02-16"))
        records.complete_step(s, bram, "distribution", on=d("2028-02-22"), today=d("2028-02-22"))

        child(s, "L2006", "Gus", "Hale", "2013-04-04", "2028-01-04", "West", iro="IRO2")
        gus = book(s, "L2006", "2028-01-24", "2028-01-05")
        hold(s, gus, "2028-01-24", "PN1")

        child(s, "L2007", "Hana", "Irwin", "2014-05-05", "2028-01-04", "East", iro="IRO1")
        hana = ids["hana"] = book(s, "L2007", "2028-02-02", "2028-01-05")
        hold(s, hana, "2028-02-02", "PN2", late_reason="Interpreter  unavailable")
        h1 = decide(s, hana, "Entered twice", "2028-02-20", "2028-02-02")
        decisions.cancel_decision(s, h1, reason="duplicate", today=d("2028-02-03"))

        child(
            s,
            "L2003",
            "Cara",
            "Dunn",
            "2016-07-07",
            "2028-02-01",
            "East",
            iro="IRO1",
            allocated="2028-02-08",
        )
        cara = book(s, "L2003", "2028-02-29", "2028-02-10")
        hold(s, cara, "2028-02-29", "PN3")
        decide(s, cara, "Visit grandparents", "2028-03-10", "2028-02-29")

        child(s, "L2004", "Dan", "Ellis", "2011-08-08", "2028-02-29", "West")

        child(s, "L2005", "Eve", "Frost", "2017-09-09", "2028-01-31", "East", iro="IRO1")
        eve = book(s, "L2005", "2028-03-01", "2028-02-01")
        hold(s, eve, "2028-03-01", "PN1", late_reason="Carer ill")
        decide(s, eve, "Start swimming", "2028-03-15", "2028-03-01")
    return ids


@pytest.fixture(scope="module")
def february_2028(tmp_path_factory):
    path = tmp_path_factory.mktemp("february") / "reviews.db"
    ids = build_february_2028(path)
    with open_store(path) as s:
        return reports.monthly_report(s, "2028-02", today=d("2028-03-06")), ids


def test_leap_february_reviews_held_on_its_first_and_last_day(february_2028):
    report, ids = february_2028
    assert (report["from"], report["to"]) == ("2028-02-01", "2028-02-29")
    # Ada (1 Feb), Hana (2 Feb), Cara (29 Feb); not Gus, Bram (January) nor Eve (1 March).
    assert report["reviews_held"] == 3
    assert report["held_on_time"] == 2
    assert report["held_out_of_time"] == 1
    assert report["percent_on_time"] == 66.7
    assert report["out_of_time_reasons"] == {"Interpreter unavailable": 1}
    assert report["out_of_time_reviews"] == [
        {
            "review_id": ids["hana"],
            "child_id": "L2007",
            "name": "Hana Irwin",
            "team": "East",
            "iro": "IRO1",
            "number": 1,
            "recording_date": "2028-02-02",
            "deadline": "2028-02-01",
            "days_late": 1,
            "reason": "Interpreter unavailable",
        }
    ]
    assert report["participation"] == {
        "PN0": 0,
        "PN1": 1,
        "PN2": 1,
        "PN3": 1,
        "PN4": 0,
        "PN5": 0,
        "PN6": 0,
        "PN7": 0,
    }
    assert report["first_reviews_held"] == 3
    assert report["first_reviews_within_20_working_days"] == 2  # Ada, Cara: on the 20th
    assert report["first_reviews_late"] == 1  # Hana
    assert report["first_reviews_short_breaks"] == 0


def test_leap_february_periods_started_on_its_first_and_last_day(february_2028):
    report, _ = february_2028
    assert report["periods_started"] == 2  # Cara (1 Feb), Dan (29 Feb); not Eve (31 Jan)
    assert report["iro_allocated_within_5_working_days"] == 1  # Cara, named on the 5th
    assert report["iro_allocated_late"] == 0
    assert report["iro_not_allocated"] == 0
    assert report["iro_allocation_pending"] == 1  # Dan: until Tue 7 Mar


def test_leap_february_records_due_on_its_first_and_last_day(february_2028):
    report, _ = february_2028
    figures = {
        step: {k: v for k, v in rec.items() if k not in ("rule", "label")}
        for step, rec in report["records"].items()
    }
    assert figures == {
        # Bram 1 Feb (on time), Ada 8 Feb (on time), Hana 9 Feb; not Gus (31 Jan).
        "decisions": {"due": 3, "on_time": 2, "late": 0, "outstanding": 1},
        # Gus 14 Feb, Bram 15 Feb (late), Ada 22 Feb (late), Hana 23 Feb.
        "record": {"due": 4, "on_time": 0, "late": 2, "outstanding": 2},
        # Gus 21 Feb, Bram 22 Feb (on time), Ada 29 Feb; not Hana (1 Mar).
        "distribution": {"due": 3, "on_time": 1, "late": 0, "outstanding": 2},
        # R-POST-4, 10 working days: Gus 7 Feb, Bram 8 Feb, Ada 15 Feb, Hana 16 Feb; Cara's
        # (from 29 Feb) falls in March.
        "care-plan": {"due": 4, "on_time": 0, "late": 0, "outstanding": 4},
    }


def test_leap_february_decisions_and_actions(february_2028):
    report, _ = february_2028
    # Ada's three and Cara's one; not Hana's (cancelled), Bram's (January), Eve's (March).
    assert report["decisions_made"] == 4
    assert report["starred_decisions"] == 1
    assert report["starred_forwarded_within_72_hours"] == 1
    # Ada's due 29 Feb (open), Bram's due 15 Feb (done 1 Mar).
    assert report["actions_overdue_at_month_end"] == 2


def test_leap_february_caseloads_and_march(february_2028):
    report, _ = february_2028
    assert [(c["iro_id"], c["caseload"]) for c in report["caseloads"]] == [
        ("IRO1", 4),  # Ada, Hana, Cara, Eve
        ("IRO2", 2),  # Bram, Gus
    ]
    due = report["due_next_month"]
    assert due["month"] == "2028-03"
    assert [(r["child_id"], r["deadline"], r["status"]) for r in due["reviews"]] == [
        ("L2004", "2028-03-28", "not booked")
    ]


# --- the writers: the same text as the json module and output.write_csv ---------------------

_TEXT = st.text(
    alphabet=st.sampled_from(list('ab}{[],:"\\\n\r\t\u2028é€ 0-') + ["\x00", "\U0001f600"]),
    max_size=8,
)
_PLAIN = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
)
_ROW = st.dictionaries(_TEXT, _PLAIN, max_size=4)
_JSON = st.recursive(
    _PLAIN | st.lists(_ROW, max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_to_json_is_json_dumps_with_indent(value):
    assert reports.to_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_to_json_rows_with_brackets_and_line_breaks_in_their_text():
    value = {"rows": [{"a": "}"}, {"b": "},\n      {", "c": 1.5}, {"d": None, "e": "\u2028"}]}
    assert reports.to_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_to_json_leaves_what_is_not_plain_to_the_json_module():
    for value in [{1: "a", "b": [{"c": (1, 2)}]}, [{"a": 1}, {}], {"rows": [{"a": {}}]}]:
        assert reports.to_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@given(_PLAIN | st.lists(st.integers(), max_size=2) | st.dictionaries(_TEXT, _PLAIN, max_size=2))
def test_csv_cell_is_write_csv_cell(value):
    from reviewcli.output import _csv_value

    ours, theirs = reports._csv_cell(value), _csv_value(value)
    assert type(ours) is type(theirs) and repr(ours) == repr(theirs)


def test_csv_cell_neutralises_formulas():
    assert reports._csv_cell("=SUM(A1)") == "'=SUM(A1)"
    assert reports._csv_cell("-3") == "-3"
    assert reports._csv_cell(-3) == -3
    assert reports._csv_cell(True) == "true"
    assert reports._csv_cell(None) == ""
