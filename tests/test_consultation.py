"""The consultation forms the invitations promise ("have your say"), sent with them in
every format: for the child by age band (under 8 with faces to colour in and a box to
draw in, 8–12, 13 and over), for parents and carers, for professionals. The child's
invitation and decisions letters are worded for the child's age band; a decision's
child-friendly sentence (``decision add … --child-text``) is what the child reads."""

from __future__ import annotations

import re

import pytest

from test_letters import HOSTILE, case, email_parts, held, read  # noqa: F401  (fixtures)


def words(html: str) -> int:
    body = html.split('<p class="ref">', 1)[1]
    return len(re.sub(r"<[^>]+>", " ", body).split())


def child_with_review(world, new_child, child_id: str, dob: str) -> None:
    new_child(child_id, dob, start="2026-06-01", iro="IRO1")
    world.ok("contact", "add", child_id, "Carers", "--role", "carer", "--address", "1 Road")
    world.ok("review", "schedule", child_id, "--date", "2026-06-26", "--time", "10:00")


def sections(html: str) -> list[str]:
    return html.split('<section class="letter')[1:]


@pytest.mark.parametrize(
    "dob, band, marks",
    [
        ("2021-01-10", "young", ['aria-label="Happy"', "Draw or write", "Seeing my family"]),
        ("2016-01-10", "middle", ["What is going well for you", "Would you like an advocate"]),
        ("2011-01-10", "teen", ["Would you like to chair the meeting?", "leaving care"]),
    ],
)  # fmt: skip
def test_child_form_by_age_band(world, new_child, tmp_path, dob, band, marks):
    child_with_review(world, new_child, "C050", dob)
    out = tmp_path / "o"
    world.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    invitation, cover, form = sections(read(out / "review-1_C050_invitation_01-child.html"))
    assert f"band-{band}" in invitation and "form" in form.split('"')[0]
    for mark in marks:
        assert mark in form
    others = {"young", "middle", "teen"} - {band}
    assert not any(f"band-{o}" in form for o in others)
    # The form stands on its own: no address block or date, but the reference.
    assert "address-zone" not in form and "Reference C050 review 1" in form


def test_young_child_letter_is_short_and_plain(world, new_child, tmp_path):
    child_with_review(world, new_child, "C051", "2021-01-10")  # 5 on the day
    child_with_review(world, new_child, "C052", "2013-01-10")  # 13 on the day
    out = tmp_path / "o"
    world.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    world.ok("letters", "invite", "2", "--out", str(out), today="2026-06-01")
    young = sections(read(out / "review-1_C051_invitation_01-child.html"))[0]
    teen = sections(read(out / "review-2_C052_invitation_01-child.html"))[0]
    assert words(young) < 0.6 * words(teen)
    assert "working days" not in young and "working days" in teen
    assert "Come to your meeting!" in young and "Your rights" not in young


def test_forms_for_family_and_professionals_in_every_format(case, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), today="2026-06-01")
    parent = sections(read(out / "review-1_C001_invitation_02-parent.html"))
    assert len(parent) == 3
    assert "Consultation form: Amy’s review" in parent[2]
    assert "From: Mary Ash (parent)" in parent[2]
    text, html = email_parts(out / "review-1_C001_invitation_04-designated-teacher.eml")
    assert "Contribution to the review of Amy Ash" in html
    assert "CONTRIBUTION TO THE REVIEW OF AMY ASH" in text
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "txt", today="2026-06-01")
    carer = read(out / "review-1_C001_invitation_03-carer.txt")
    assert "CONSULTATION FORM: AMY'S REVIEW" in carer
    assert carer.count("\f") == 2  # invitation, cover note, form: a page each


def test_child_decisions_letter_uses_the_child_friendly_sentence(held, tmp_path):  # noqa: F811
    held.ok(
        "decision",
        "add",
        "1",
        "Refer to CAMHS for assessment of anxiety",
        "--owner",
        "Social worker",
        "--due",
        "2026-07-31",
        "--child-text",
        "Someone who helps children with worries will come and see you.",
        today="2026-06-18",
    )
    out = tmp_path / "o"
    held.ok("letters", "decisions", "1", "--out", str(out), today="2026-06-19")
    child = read(out / "review-1_C001_decisions_01-child.html")
    parent = read(out / "review-1_C001_decisions_02-parent.html")
    assert "Someone who helps children with worries will come and see you." in child
    assert "Refer to CAMHS" not in child
    assert "Refer to CAMHS for assessment of anxiety" in parent
    assert "Someone who helps children" not in parent
    # Decisions without a child-friendly sentence keep their words.
    assert "Update the Personal Education Plan" in child
    # The sentence can be given afterwards too.
    held.ok(
        "decision",
        "edit",
        "1",
        "--child-text",
        "You will see your mum every other week.",
        "--reason",
        "wording for Amy",
        today="2026-06-19",
    )
    held.ok("letters", "decisions", "1", "--out", str(out), "--format", "txt", today="2026-06-19")
    text = read(out / "review-1_C001_decisions_01-child.txt")
    assert "You will see your mum every other week." in text


def test_child_text_is_escaped(held, tmp_path):  # noqa: F811
    held.ok(
        "decision", "add", "1", "Review contact", "--owner", "SW", "--due", "2026-07-31",
        "--child-text", HOSTILE[0], today="2026-06-18",
    )  # fmt: skip
    out = tmp_path / "o"
    held.ok("letters", "decisions", "1", "--out", str(out), today="2026-06-19")
    child = read(out / "review-1_C001_decisions_01-child.html")
    assert "<script>" not in child and "&lt;script&gt;alert(1)&lt;/script&gt;" in child


def test_young_child_decisions_letter(world, new_child, tmp_path):
    child_with_review(world, new_child, "C053", "2021-01-10")
    world.ok("review", "hold", "1", "--participation", "PN7", today="2026-06-26")
    world.ok(
        "decision", "add", "1", "Arrange play therapy", "--owner", "Social worker",
        "--due", "2026-08-01", "--child-text", "You will have a special time to play.",
        today="2026-06-26",
    )  # fmt: skip
    out = tmp_path / "o"
    world.ok("letters", "decisions", "1", "--out", str(out), today="2026-06-29")
    letter = read(out / "review-1_C053_decisions_01-child.html")
    assert "What we decided</h1>" in letter
    assert "You will have a special time to play." in letter
    assert "Social worker will do this." in letter
    assert "<table" not in letter.split("<body>")[1]
