"""``reviewcli calendar``: booked review meetings as iCalendar, parsed back with the
icalendar library. One event per meeting with a stable UID; SEQUENCE goes up when it is
moved; a cancelled meeting is STATUS:CANCELLED; no surname or address of the child unless
the calendar-personal-details setting allows it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from test_letters import HOSTILE, case  # noqa: F401  (fixture)


def events(path) -> list:
    cal = Calendar.from_ical(path.read_bytes())
    return [c for c in cal.walk("VEVENT")]


def write(world, tmp_path, *args, today="2026-06-01") -> list:
    out = tmp_path / "reviews.ics"
    world.ok("calendar", "--out", str(out), *args, today=today)
    return events(out)


def test_one_event_per_booked_meeting(case, tmp_path):  # noqa: F811
    (ev,) = write(case, tmp_path)
    assert ev["dtstart"].dt == datetime(2026, 6, 18, 16, 0, tzinfo=ZoneInfo("Europe/London"))
    assert ev["dtend"].dt == datetime(2026, 6, 18, 17, 30, tzinfo=ZoneInfo("Europe/London"))
    assert str(ev["location"]) == "Northtown Family Centre, Room 2"
    assert str(ev["summary"]) == "Looked after review: Amy (C001), first review"
    assert "Chair: Kim Lee, Independent Reviewing Officer" in str(ev["description"])
    assert "Reference: C001 review 1" in str(ev["description"])
    assert str(ev["organizer"]) == "mailto:kim.lee@northshire.example.gov.uk"
    assert ev["organizer"].params["CN"] == "Kim Lee"
    assert (int(ev["sequence"]), str(ev["status"])) == (0, "CONFIRMED")
    assert str(ev["uid"]).startswith("review-1-")


def test_moving_a_meeting_keeps_its_uid_and_bumps_the_sequence(case, tmp_path):  # noqa: F811
    (before,) = write(case, tmp_path)
    case.ok("review", "reschedule", "1", "--date", "2026-06-19", "--time", "10:00")
    (moved,) = write(case, tmp_path)
    assert moved["uid"] == before["uid"]
    assert int(moved["sequence"]) == 1
    assert moved["dtstart"].dt == datetime(2026, 6, 19, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    case.ok("review", "cancel", "1", "--reason", "child unwell")
    (cancelled,) = write(case, tmp_path)
    assert cancelled["uid"] == before["uid"]
    assert (int(cancelled["sequence"]), str(cancelled["status"])) == (2, "CANCELLED")


def test_no_surname_or_address_unless_the_policy_allows(case, tmp_path):  # noqa: F811
    # The meeting is at the carers' home, where Amy lives.
    case.ok(
        "review", "reschedule", "1", "--date", "2026-06-18", "--venue",
        "Carers' home, 2 Low Road, Northtown",
    )  # fmt: skip
    (ev,) = write(case, tmp_path)
    text = ev.to_ical().decode()
    assert "Ash" not in text and "Low Road" not in text
    assert str(ev["location"]) == "see the invitation letter"
    case.ok("policy", "set", "calendar-personal-details", "on")
    (ev,) = write(case, tmp_path)
    assert str(ev["summary"]) == "Looked after review: Amy Ash (C001), first review"
    assert str(ev["location"]) == "Carers' home, 2 Low Road, Northtown"


def test_filters_by_iro_and_dates(case, tmp_path):  # noqa: F811
    assert len(write(case, tmp_path, "--iro", "iro2")) == 1
    assert write(case, tmp_path, "--iro", "IRO1") == []
    assert write(case, tmp_path, "--from", "2026-06-19") == []
    assert write(case, tmp_path, "--to", "2026-06-17") == []
    assert len(write(case, tmp_path, "--from", "2026-06-18", "--to", "2026-06-18")) == 1
    assert len(write(case, tmp_path, "--iro", "Kim Lee")) == 1  # by name, any case
    message = case.refused("calendar", "--out", str(tmp_path / "x.ics"), "--iro", "IRO7")
    assert message.startswith("Error: no IRO 'IRO7' (did you mean")
    assert "IROs: IRO1, IRO2" in message and "see 'reviewcli iro list'" in message
    message = case.refused(
        "calendar", "--out", str(tmp_path / "x.ics"), "--from", "2026-07-01", "--to", "2026-06-01"
    )
    assert "before --from" in message
    assert not (tmp_path / "x.ics").exists()


def test_hostile_strings_stay_text_in_the_calendar(case, tmp_path):  # noqa: F811
    venue = f"{HOSTILE[0]}; Room, 2\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:forged"
    case.ok("review", "reschedule", "1", "--date", "2026-06-18", "--venue", venue)
    out = tmp_path / "h.ics"
    case.ok("calendar", "--out", str(out), today="2026-06-01")
    (ev,) = events(out)
    assert str(ev["location"]) == venue  # exactly as typed, and still one event
    lines = out.read_text().splitlines()
    assert lines.count("BEGIN:VEVENT") == 1 and "SUMMARY:forged" not in lines


def test_calendar_of_a_past_range_holds_held_meetings(case, tmp_path):  # noqa: F811
    case.ok("review", "hold", "1", "--participation", "PN1", today="2026-06-18")
    (ev,) = write(case, tmp_path, "--from", "2026-06-01", today="2026-06-20")
    assert ev["dtstart"].dt.date() == date(2026, 6, 18)
    assert str(ev["status"]) == "CONFIRMED"
