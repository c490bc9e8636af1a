"""The annual report of the IRO service (IRO Handbook 7.11), counted by hand for the year
2027-28: 1 April 2027 to 31 March 2028, with its leap day, Tue 29 February 2028.

Bank holidays in England on the way: Good Friday 26 Mar 2027, Easter Monday 29 Mar 2027,
3 May 2027, 31 May 2027, 30 Aug 2027, 27 and 28 Dec 2027, Mon 3 Jan 2028. Report made on
Mon 10 Apr 2028. IRO1 (East, 1.0 FTE) and IRO2 (West, 0.5 FTE).

- M3001 Amy Ash (East, born 10 May 2021): looked after from Mon 1 Mar 2027, IRO1 that day.
  First review due Wed 31 Mar 2027 (20 working days, Easter skipped), held Tue 30 Mar 2027
  (the previous year; its care plan is due Tue 13 Apr 2027, never done). Second due 30 Jun
  2027, held Mon 5 Jul 2027: out of time ("Carer on holiday"), PN5, parents contributed,
  seen by the IRO on 1 Jul; care plan due 19 Jul, done 19 Jul. Third due 5 Jan 2028, held
  Tue 4 Jan 2028: on time, PN1, parents declined, seen only on 5 Jan (after); care plan due
  18 Jan, never done; a decision due 31 Mar 2028, not done. Placement changes to U4 on
  1 Nov 2027, outside the area. IRO1 → IRO2 on 1 Dec 2027, no reason recorded. Contacts:
  visit 15 Mar 2027 (the previous year), visit 10 Jun 2027, call 12 Aug 2027, visit 28 Feb
  2028. Dispute (education) opened 29 Feb 2028, referred to Cafcass 15 Mar 2028, open at
  the year's end.
- M3002 Ben Birch (West, born 15 Jan 2011): looked after from Tue 1 Feb 2028 (V2, K2); IRO2
  named Thu 3 Feb (5 working days: by 8 Feb). First review due Tue 29 Feb 2028 (20 working
  days, the leap day the 20th), held 29 Feb: on time and within 20 working days, PN2,
  parents not invited, seen on 29 Feb (the day). Care plan due Tue 14 Mar, done 15 Mar
  (late). A decision due 10 Mar 2028, not done.
- M3003 Cat Cole (East, born 1 Jun 2025): looked after from Thu 1 Apr 2027; IRO1 named
  12 Apr (late: by 8 Apr). First review due Thu 29 Apr, held Wed 28 Apr: on time, PN0,
  parents attended, seen 20 Apr; care plan due 13 May (3 May a bank holiday), done 12 May;
  a starred decision due 31 May, forwarded 30 Apr (72 hours: by 1 May). Second due 28 Jul,
  held Tue 27 Jul: PN0, parents attended, not seen; care plan due 10 Aug, done 9 Aug.
  Midway review 1 Jun 2027. Care ends 15 Sep 2027.
- M3004 Dan Dunn (West, born 9 Sep 2012): looked after from Sun 10 Jan 2027, IRO2 on
  11 Jan. First review held Tue 2 Feb 2027 (previous year). Second due Sun 2 May 2027
  (a statutory date stands on a Sunday), held Tue 4 May: out of time ("Carer on holiday"),
  PN4, parents not applicable, seen 4 May (the day); care plan due 18 May, done 20 May
  (late). Third due 4 Nov, held Wed 3 Nov: on time, PN7, parents not recorded, seen
  1 Nov; care plan due 17 Nov, done 17 Nov. IRO2 → IRO1 on 1 Oct 2027 (the IRO left).
  Visit 29 Feb 2028. Disputes: contact, opened 15 Feb 2027 and resolved 1 Mar 2027
  (not resolved: the previous year); placement, opened 1 Jun 2027, escalated to stage 2
  on 10 Jun, resolved 1 Jul 2027 (resolved).
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from reviewcli import annual, casefacts, decisions, disputes, records, reports
from reviewcli.errors import ReviewError
from reviewcli.store import open_store

REPORT_DAY = "2028-04-10"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("REVIEWCLI_UPDATE_GOLDEN") == "1"
MONTHS = [
    "2027-04",
    "2027-05",
    "2027-06",
    "2027-07",
    "2027-08",
    "2027-09",
    "2027-10",
    "2027-11",
    "2027-12",
    "2028-01",
    "2028-02",
    "2028-03",
]


def d(text: str) -> date:
    return date.fromisoformat(text)


def child(s, child_id, first, last, dob, start, team, legal, placement, iro, allocated):
    records.add_child(
        s, child_id, first_name=first, last_name=last, dob=dob, today=d(start), team=team
    )
    records.start_episode(
        s, child_id, on=d(start), today=d(start), legal_status=legal, placement=placement
    )
    records.allocate(s, child_id, iro, on=d(allocated), today=d(allocated))


def held(s, child_id, on, booked_on, pn, *, parents=None, seen=None, late=None, plan=None):
    review = records.schedule_review(s, child_id, on=d(on), today=d(booked_on)).obj["id"]
    if seen:
        records.complete_step(s, review, "iro-visit", on=d(seen), today=d(seen))
    records.hold_review(s, review, today=d(on), participation=pn, late_reason=late)
    if parents:
        casefacts.set_parent_participation(s, review, parents, today=d(on))
    if plan:
        records.complete_step(s, review, "care-plan", on=d(plan), today=d(plan))
    return review


def contact(s, child_id, kind, on):
    casefacts.add_iro_contact(s, child_id, kind=kind, on=on, today=d(on))


def build_year(path: Path) -> None:
    with open_store(path, create=True) as s:
        records.set_policy(s, "authority-name", "Northshire County Council")
        records.add_iro(s, "IRO1", "Jane Smith", team="East")
        records.add_iro(s, "IRO2", "Kim Lee", team="West", fte=0.5)

        # The previous year.
        child(s, "M3004", "Dan", "Dunn", "2012-09-09", "2027-01-10", "West", "C2", "U6",
              "IRO2", "2027-01-11")  # fmt: skip
        held(s, "M3004", "2027-02-02", "2027-01-12", "PN1")
        old = disputes.open_dispute(s, "M3004", issue="Family time", today=d("2027-02-15"))
        casefacts.set_dispute_theme(s, old.obj["id"], "contact", today=d("2027-02-15"))
        disputes.resolve(
            s, old.obj["id"], outcome="Closed", result="not-resolved", today=d("2027-03-01")
        )
        child(s, "M3001", "Amy", "Ash", "2021-05-10", "2027-03-01", "East", "C2", "U6",
              "IRO1", "2027-03-01")  # fmt: skip
        contact(s, "M3001", "visit", "2027-03-15")
        held(s, "M3001", "2027-03-30", "2027-03-02", "PN1", parents="attended", seen="2027-03-29")

        # 2027-28.
        child(s, "M3003", "Cat", "Cole", "2025-06-01", "2027-04-01", "East", "C1", "U3",
              "IRO1", "2027-04-12")  # fmt: skip
        cat = held(
            s, "M3003", "2027-04-28", "2027-04-12", "PN0", parents="attended",
            seen="2027-04-20", plan="2027-05-12",
        )  # fmt: skip
        star = decisions.add_decision(
            s, cat, "Nursery place", owner="SW", due="2027-05-31", today=d("2027-04-28"),
            starred=True,
        ).obj["id"]  # fmt: skip
        decisions.forward_decision(s, star, on=d("2027-04-30"), today=d("2027-04-30"))
        decisions.complete_decision(s, star, on=d("2027-05-20"), today=d("2027-05-20"))
        held(
            s, "M3004", "2027-05-04", "2027-04-01", "PN4", parents="not-applicable",
            seen="2027-05-04", late="Carer on holiday", plan="2027-05-20",
        )  # fmt: skip
        contact(s, "M3003", "midway-review", "2027-06-01")
        dispute = disputes.open_dispute(
            s, "M3004", issue="Placement far from school", theme="placement", today=d("2027-06-01")
        ).obj["id"]
        disputes.escalate(s, dispute, stage=2, today=d("2027-06-10"))
        disputes.resolve(
            s, dispute, outcome="Moved nearer", result="resolved", today=d("2027-07-01")
        )
        contact(s, "M3001", "visit", "2027-06-10")
        held(
            s, "M3001", "2027-07-05", "2027-06-01", "PN5", parents="contributed",
            seen="2027-07-01", late="Carer on holiday", plan="2027-07-19",
        )  # fmt: skip
        held(s, "M3003", "2027-07-27", "2027-06-01", "PN0", parents="attended", plan="2027-08-09")
        contact(s, "M3001", "call", "2027-08-12")
        records.end_episode(s, "M3003", on=d("2027-09-15"), today=d("2027-09-15"), reason="E4A")
        records.allocate(
            s, "M3004", "IRO1", on=d("2027-10-01"), today=d("2027-10-01"), change_reason="iro-left"
        )
        records.change_episode(
            s, "M3001", on=d("2027-11-01"), today=d("2027-11-01"), placement="U4"
        )
        casefacts.set_out_of_area(s, "M3001", out_of_area=True, today=d("2027-11-01"))
        held(s, "M3004", "2027-11-03", "2027-10-01", "PN7", seen="2027-11-01", plan="2027-11-17")
        casefacts.set_out_of_area(s, "M3004", out_of_area=False, today=d("2027-11-03"))
        records.allocate(s, "M3001", "IRO2", on=d("2027-12-01"), today=d("2027-12-01"))
        amy = held(
            s, "M3001", "2028-01-04", "2027-12-01", "PN1", parents="declined", seen="2028-01-05"
        )
        decisions.add_decision(
            s, amy, "Swimming", owner="SW", due="2028-03-31", today=d("2028-01-04")
        )
        child(s, "M3002", "Ben", "Birch", "2011-01-15", "2028-02-01", "West", "V2", "K2",
              "IRO2", "2028-02-03")  # fmt: skip
        contact(s, "M3001", "visit", "2028-02-28")
        contact(s, "M3004", "visit", "2028-02-29")
        ben = held(
            s, "M3002", "2028-02-29", "2028-02-03", "PN2", parents="not-invited",
            seen="2028-02-29", plan="2028-03-15",
        )  # fmt: skip
        decisions.add_decision(
            s, ben, "College", owner="SW", due="2028-03-10", today=d("2028-02-29")
        )
        school = disputes.open_dispute(
            s, "M3001", issue="No school place", theme="education", today=d("2028-02-29")
        ).obj["id"]
        disputes.refer_cafcass(s, school, today=d("2028-03-15"))


@pytest.fixture(scope="module")
def year_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("year") / "reviews.db"
    build_year(path)
    return path


@pytest.fixture(scope="module")
def report(year_db) -> dict:
    with open_store(year_db) as s:
        return annual.annual_report(s, "2027-28", today=d(REPORT_DAY))


def by_month(report: dict, key: str) -> list:
    return [m[key] for m in report["months"]]


# --- the year and its months ----------------------------------------------------------------


def test_parse_year():
    assert annual.parse_year("2027-28") == (d("2027-04-01"), d("2028-03-31"), "2027-28")
    assert annual.parse_year(" 2027-2028 ") == (d("2027-04-01"), d("2028-03-31"), "2027-28")
    assert annual.parse_year("1999-00")[2] == "1999-00"
    for bad in ("2027", "2027-29", "2027-27", "27-28", "2027/28", "", "9999-00"):
        with pytest.raises(ReviewError, match="financial year as YYYY-YY"):
            annual.parse_year(bad)


def test_twelve_months_april_to_march_with_the_leap_day(report):
    assert (report["year"], report["from"], report["to"]) == ("2027-28", "2027-04-01", "2028-03-31")
    assert [m["month"] for m in report["months"]] == MONTHS
    february = report["months"][10]
    assert (february["from"], february["to"]) == ("2028-02-01", "2028-02-29")


def test_json_has_every_monthly_key_and_the_months(report, year_db):
    with open_store(year_db) as s:
        monthly = reports.monthly_report(s, "2028-02", today=d(REPORT_DAY))
    assert set(monthly) <= set(report)
    assert report["months"][10] == monthly
    assert json.loads(reports.to_json(report))["months"][10]["month"] == "2028-02"


# --- reviews on time and out of time (R-SCH-15) ----------------------------------------------


def test_reviews_on_time_and_out_of_time(report):
    assert by_month(report, "reviews_held") == [1, 1, 0, 2, 0, 0, 0, 1, 0, 1, 1, 0]
    assert report["reviews_held"] == 7
    assert report["held_on_time"] == 5
    assert report["held_out_of_time"] == 2
    assert report["percent_on_time"] == 71.4
    assert report["out_of_time_reasons"] == {"Carer on holiday": 2}
    assert [(r["child_id"], r["recording_date"]) for r in report["out_of_time_reviews"]] == [
        ("M3004", "2027-05-04"),
        ("M3001", "2027-07-05"),
    ]
    # Cat in April, Ben on the leap day: both within 20 working days (R-SCH-1).
    assert report["first_reviews_held"] == 2
    assert report["first_reviews_within_20_working_days"] == 2
    assert by_month(report, "first_reviews_within_20_working_days")[10] == 1


# --- participation of children and parents ---------------------------------------------------


def test_participation_of_children(report):
    assert report["participation"] == {
        "PN0": 2,
        "PN1": 1,
        "PN2": 1,
        "PN3": 0,
        "PN4": 1,
        "PN5": 1,
        "PN6": 0,
        "PN7": 1,
    }
    # PN1 (Amy, January), PN2 (Ben), PN5 (Amy, July), of the 5 reviews of children of 4+.
    assert report["children_took_part"] == 3
    assert report["children_percent"] == 60.0
    assert by_month(report, "children_percent") == [
        None, 0.0, None, 100.0, None, None, None, 0.0, None, 100.0, 100.0, None
    ]  # fmt: skip


def test_participation_of_parents(report):
    assert report["parent_participation"] == {
        "attended": 2,
        "contributed": 1,
        "declined": 1,
        "not-invited": 1,
        "not-applicable": 1,
    }
    assert report["parent_participation_not_recorded"] == 1  # Dan in November
    assert report["parents_took_part"] == 3
    assert report["parents_percent"] == 60.0  # 3 of the 5 with a parent to involve


# --- children seen by their IRO -------------------------------------------------------------


def test_children_seen_before_the_review(report):
    # Amy in July, Ben on the leap day, Cat in April, Dan in May and November; not Amy in
    # January (seen the day after) nor Cat in July (not seen).
    assert report["seen_before_review"] == 5
    assert report["seen_before_review_percent"] == 71.4
    assert by_month(report, "seen_before_review") == [1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0]


def test_children_seen_between_reviews(report):
    assert report["iro_contacts"] == {"visit": 3, "call": 1, "midway-review": 1}
    assert report["children_seen_between_reviews"] == 3  # Amy, Cat, Dan: once each
    assert by_month(report, "children_seen_between_reviews") == [
        0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 2, 0
    ]  # fmt: skip
    assert report["months"][10]["iro_contacts"] == {"visit": 2, "call": 0, "midway-review": 0}


# --- disputes, starred decisions, Cafcass ----------------------------------------------------


def test_disputes(report):
    assert report["disputes_opened"] == 2
    assert report["disputes_escalated"] == 1
    assert report["disputes_resolved"] == 1
    assert report["disputes_referred_to_cafcass"] == 1
    assert report["disputes_open_at_month_end"] == 1
    assert {k: v for k, v in report["disputes_by_theme"].items() if v} == {
        "placement": 1,
        "education": 1,
    }
    assert {k: v for k, v in report["disputes_by_result"].items() if v} == {"resolved": 1}
    # Active in the year: the placement dispute (stage 2) and the school one (stage 1); the
    # contact dispute ended in the previous year.
    assert report["disputes_by_stage_reached"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}
    assert by_month(report, "disputes_opened") == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]


def test_decisions_and_starred_decisions(report):
    assert report["decisions_made"] == 3
    assert report["starred_decisions"] == 1
    assert report["starred_forwarded_within_72_hours"] == 1
    # Ben's due 10 Mar and Amy's due on the last day, 31 Mar, neither done.
    assert report["actions_overdue_at_month_end"] == 2


# --- care plans within 10 working days (R-POST-4) --------------------------------------------


def test_care_plans_updated_within_10_working_days(report):
    assert by_month(report, "care_plans_due") == [1, 2, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1]
    assert by_month(report, "care_plans_updated_on_time") == [0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert report["care_plans_due"] == 8
    assert report["care_plans_updated_on_time"] == 4
    assert report["records"]["care-plan"] == {
        "rule": "R-POST-4",
        "label": "care plan updated by the social worker (10 working days)",
        "due": 8,
        "on_time": 4,
        "late": 2,
        "outstanding": 2,
    }
    assert report["care_plans_percent_on_time"] == 50.0


# --- caseloads, IRO continuity and the team -------------------------------------------------


def test_iro_allocation_and_continuity(report):
    assert report["periods_started"] == 2
    assert report["iro_allocated_within_5_working_days"] == 1  # Ben
    assert report["iro_allocated_late"] == 1  # Cat
    assert report["iro_changes"] == 2
    assert report["iro_changes_by_reason"]["iro-left"] == 1
    assert report["iro_changes_by_reason"]["(no reason recorded)"] == 1
    assert report["children_changed_iro"] == 2
    assert report["children_looked_after_in_year"] == 4
    assert report["children_same_iro_percent"] == 50.0
    assert by_month(report, "iro_changes") == [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]


def test_caseloads_and_team_at_the_year_end(report):
    assert [(c["iro_id"], c["caseload"], c["per_fte"]) for c in report["caseloads"]] == [
        ("IRO1", 1, 1.0),  # Dan
        ("IRO2", 2, 4.0),  # Amy, Ben
    ]
    assert report["team"] == {
        "iros": 2,
        "fte": 1.5,
        "children": 3,
        "per_fte": 2.0,
        "above_70_per_fte": 0,
        "by_team": [
            {"team": "East", "iros": 1, "fte": 1.0, "children": 1, "per_fte": 1.0},
            {"team": "West", "iros": 1, "fte": 0.5, "children": 2, "per_fte": 4.0},
        ],
    }


def test_profile_of_the_children_in_care_at_the_year_end(report):
    assert report["profile"] == {
        "on": "2028-03-31",
        "children": 3,
        "ages": {"under 1": 0, "1 to 4": 0, "5 to 9": 1, "10 to 15": 1, "16 and over": 1},
        "legal_status": {"C2": 2, "V2": 1},
        "placement": {"K2": 1, "U4": 1, "U6": 1},
        "area": {"in area": 1, "out of area": 1, "not recorded": 1},
    }


# --- the previous year beside ----------------------------------------------------------------


def test_the_previous_year_beside(report):
    prev = report["previous_year"]
    assert prev["year"] == "2026-27"
    assert (prev["records_begin"], prev["complete"]) == ("2027-01-10", False)
    assert prev["reviews_held"] == 2  # Dan 2 Feb, Amy 30 Mar 2027
    assert prev["percent_on_time"] == 100.0
    assert prev["disputes_opened"] == 1
    assert prev["iro_contacts"]["visit"] == 1
    assert prev["profile"]["children"] == 2
    assert prev["profile"]["ages"]["5 to 9"] == 1
    assert "months" not in prev


def test_no_previous_year_before_the_records(year_db):
    with open_store(year_db) as s:
        first = annual.annual_report(s, "2026-27", today=d(REPORT_DAY))
        empty = annual.annual_report(s, "2020-21", today=d(REPORT_DAY))
    assert first["previous_year"] is None
    assert empty["reviews_held"] == 0 and empty["percent_on_time"] is None
    assert empty["profile"]["children"] == 0


# --- the tables and formats ------------------------------------------------------------------


def test_every_measure_has_a_definition_a_rule_and_twelve_months(report):
    tables = annual.measures(report)
    keys = {t["key"] for t in tables}
    assert {
        "reviews",
        "out_of_time_reasons",
        "participation",
        "parent_participation",
        "seen",
        "disputes",
        "disputes_by_theme",
        "disputes_by_stage_reached",
        "disputes_by_result",
        "decisions",
        "care_plans",
        "iro",
        "iro_changes_by_reason",
        "profile",
        "legal_status",
        "placement",
        "team",
        "definitions",
    } <= keys
    for table in tables:
        if table["key"] in ("reviews", "participation", "seen", "disputes", "decisions"):
            assert [h for _, h in table["columns"]][2:] == [
                "Apr 2027", "May 2027", "Jun 2027", "Jul 2027", "Aug 2027", "Sep 2027",
                "Oct 2027", "Nov 2027", "Dec 2027", "Jan 2028", "Feb 2028", "Mar 2028",
                "2027-28", "2026-27",
            ]  # fmt: skip
            for row in table["rows"]:
                assert row["rule"]
                if row["key"] in annual.DEFINITIONS:
                    assert annual.DEFINITIONS[row["key"]][2]
    reviews = next(t for t in tables if t["key"] == "reviews")
    row = next(r for r in reviews["rows"] if r["key"] == "reviews_held")
    assert [row[f"m{m}"] for m in MONTHS] + [row["year"], row["previous"]] == [
        1, 1, 0, 2, 0, 0, 0, 1, 0, 1, 1, 0, 7, 2
    ]  # fmt: skip
    definitions = next(t for t in tables if t["key"] == "definitions")
    assert len(definitions["rows"]) == len(annual.DEFINITIONS)


@pytest.fixture
def year(run, year_db):
    import shutil

    shutil.copy2(year_db, run.db)
    return run


def test_cli_json_md_csv(year):
    data = json.loads(year.ok("report", "annual", "--year", "2027-28", "-f", "json",
                              today=REPORT_DAY).stdout)  # fmt: skip
    assert data["year"] == "2027-28" and len(data["months"]) == 12
    assert data["reviews_held"] == 7
    md = year.ok("report", "annual", "--year", "2027-28", today=REPORT_DAY).stdout
    assert md.startswith("# Annual report of the IRO service: 2027-28")
    assert (
        "| Reviews held | R-SCH-15 | 1 | 1 | 0 | 2 | 0 | 0 | 0 | 1 | 0 | 1 | 1 | 0 | 7 | 2 |" in md
    )
    assert "records begin 2027-01-10" in md
    text = year.ok("report", "annual", "--year", "2027-28", "-f", "csv", today=REPORT_DAY).stdout
    assert "reviews,reviews_held,2028-02,1\n" in text
    assert "reviews,reviews_held,year,7\n" in text
    assert "reviews,reviews_held,previous,2\n" in text
    excel = year.ok("report", "annual", "--year", "2027-28", "-f", "csv", "--excel",
                    today=REPORT_DAY).stdout_bytes  # fmt: skip
    assert excel.startswith(b"\xef\xbb\xbf") and excel[3:].replace(b"\r\n", b"\n") == text.encode()


def test_cli_html_with_twelve_months_charts(year):
    html = year.ok("report", "annual", "--year", "2027-28", "-f", "html", today=REPORT_DAY).stdout
    assert html.count("<svg") == 7
    assert html.count('class="tick" font-size="6.5" fill="#555">Feb</text>') == 7
    assert '<p class="marking">OFFICIAL-SENSITIVE</p>' in html
    assert "Annual report of the IRO service: 2027-28" in html
    assert "Northshire County Council" in html
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_cli_xlsx(year, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "year.xlsx"
    year.ok("report", "annual", "--year", "2027-28", "-f", "xlsx", "--out", out, today=REPORT_DAY)
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "Title"
    title = {r[0].value: r[1].value for r in wb["Title"].iter_rows(min_row=3) if r[0].value}
    assert title["Authority"] == "Northshire County Council"
    assert title["Year"] == "2027-28" and title["Previous year"] == "2026-27"
    ws = wb["Reviews"]
    assert [c.value for c in ws[1]][:4] == ["Measure", "Rule", "Apr 2027", "May 2027"]
    assert [c.value for c in ws[1]][-2:] == ["2027-28", "2026-27"]
    percent = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "Per cent on time")
    assert percent[-2].value == pytest.approx(0.714) and percent[-2].number_format == "0.0%"
    assert percent[2].value == 1.0  # April: Cat's review, on time
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert ws.auto_filter.ref == f"A1:P{ws.max_row}"
    assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"


def test_cli_pdf_marking_on_every_page(year, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "year.pdf"
    result = year.ok("report", "annual", "--year", "2027-28", "-f", "pdf", "--out", out,
                     today=REPORT_DAY)  # fmt: skip
    assert f"Wrote the pdf annual report for 2027-28 to {out}." in result.stderr
    pages = PdfReader(out).pages
    assert len(pages) >= 2
    texts = [page.extract_text() for page in pages]
    assert "Annual report of the IRO service: 2027-28" in texts[0]
    for number, text in enumerate(texts, 1):
        # the marking at the top and at the foot of every page
        assert text.count("OFFICIAL-SENSITIVE") >= 2, number
        assert f"Page {number} of {len(pages)}" in text
    assert "give --out PATH" in year.refused("report", "annual", "--year", "2027-28", "-f", "pdf")


def test_pseudonymised(year):
    text = year.ok("report", "annual", "--year", "2027-28", "-f", "json", "--pseudonymise",
                   today=REPORT_DAY).stdout  # fmt: skip
    for word in ("Amy", "Ash", "Dan", "Dunn", "Ben", "Birch", "M3001", "M3004"):
        assert word not in text
    data = json.loads(text)
    assert data["pseudonymised"] and all(m["pseudonymised"] for m in data["months"])
    assert data["out_of_time_reviews"][0]["name"] == "D.D."


@pytest.mark.parametrize("bad", ["2027", "2027-29", "27-28"])
def test_bad_year_is_refused(year, bad):
    assert "financial year as YYYY-YY" in year.refused("report", "annual", "--year", bad)


def test_xlsx_needs_out(year):
    assert "give --out PATH" in year.refused("report", "annual", "--year", "2027-28", "-f", "xlsx")


def test_hostile_text_is_escaped_in_every_format(year, tmp_path):
    import sqlite3

    from openpyxl import load_workbook

    script, formula = "<script>alert(1)</script>", '=HYPERLINK("http://x","y")'
    conn = sqlite3.connect(year.db)
    conn.execute(
        "UPDATE reviews SET late_reason = ? WHERE child_id = 'M3004' AND recording_date = "
        "'2027-05-04'",
        [script],
    )
    conn.execute("UPDATE reviews SET late_reason = ? WHERE child_id = 'M3001'", [formula])
    conn.execute("UPDATE iros SET team = ? WHERE id = 'IRO2'", ['"><img src=x onerror=alert(1)>'])
    conn.commit()
    conn.close()
    year.ok("policy", "set", "authority-name", "<b>Tom & Co</b>")
    html = year.ok("report", "annual", "--year", "2027-28", "-f", "html", today=REPORT_DAY).stdout
    assert "<script>" not in html and "<img" not in html and "<b>Tom" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;Tom &amp; Co" in html
    md = year.ok("report", "annual", "--year", "2027-28", "-f", "md", today=REPORT_DAY).stdout
    assert "<script>" not in md and "<img" not in md
    text = year.ok("report", "annual", "--year", "2027-28", "-f", "csv", today=REPORT_DAY).stdout
    assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
    assert 'out_of_time_reasons,"\'=HYPERLINK(""http://x"",""y"")",year,1' in text
    assert "parent_participation,attended,year,2\n" in text
    out = tmp_path / "hostile.xlsx"
    year.ok("report", "annual", "--year", "2027-28", "-f", "xlsx", "--out", out, today=REPORT_DAY)
    wb = load_workbook(out)
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    texts = [v for v in cells if isinstance(v, str)]
    assert not [v for v in texts if v.startswith("=")]
    assert "'" + formula in texts
    assert wb["Title"].oddFooter.left.text == "<b>Tom && Co</b>"


def test_annual_golden(year):
    """The hand-counted year in every text format, against tests/golden (``make golden``)."""
    for fmt in ("md", "csv", "json", "html"):
        text = year.ok("report", "annual", "--year", "2027-28", "-f", fmt, today=REPORT_DAY).stdout
        assert_golden(f"report-annual-2027-28.{fmt}", text)


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME, or rewrite it under REVIEWCLI_UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"no golden file {name}: run 'make golden'"
    with open(path, encoding="utf-8", newline="") as f:
        expected = f.read()
    assert text == expected, (
        f"{name} differs from its golden file; if the change is intended, run 'make golden' "
        "and review the diff"
    )
