"""The README and docs/ stay true to the code: the command reference (docs/commands.md), help
texts, set-up, the daily routine and the rules."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REFERENCE = ROOT / "docs" / "commands.md"


def _load_script():
    path = ROOT / "scripts" / "readme_reference.py"
    spec = importlib.util.spec_from_file_location("readme_reference", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


ref = _load_script()


@pytest.fixture(scope="module")
def commands() -> list:
    return list(ref.walk())


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_the_command_reference_is_up_to_date():
    page = REFERENCE.read_text(encoding="utf-8")
    wanted = ref.replace_reference(page, ref.reference())
    assert page == wanted, (
        "docs/commands.md is out of step with the code; run 'make readme'.\n"
        + ref.diff(page, wanted)
    )


def test_the_readme_is_a_guide_that_links_to_the_docs(readme):
    lines = readme.splitlines()
    # A new admin reaches the daily routine within the first screenfuls.
    daily = next(i for i, line in enumerate(lines) if line.startswith("## The daily routine"))
    assert daily < 120
    routine = "\n".join(lines[daily:]).split("\n## ", 1)[0]
    for step in ("reviewcli due", "review schedule", "review done", "--mark-sent"):
        assert step in routine, step
    # The generated reference lives in docs/commands.md, not here.
    assert not any(line.startswith("### `reviewcli") for line in lines)
    assert len(lines) < 500, "the README is a guide; the details belong in docs/"
    for page in ("docs/commands.md", "docs/rules.md", "docs/performance.md"):
        assert f"]({page})" in readme, page
    assert (ROOT / "docs" / "performance.md").exists()
    # DOMAIN.md is not part of the project.
    assert "DOMAIN.md" not in readme
    assert "<!-- reference:start -->" not in readme


def test_reference_is_plain_text():
    text = ref.reference()
    assert "\x1b[" not in text, "ANSI colour codes in the reference"
    assert not set("┏┃━╭│─╰") & set(text), "Rich box drawing in the reference"
    for line in text.splitlines():
        assert len(line) <= ref.WIDTH, f"line wider than {ref.WIDTH}: {line!r}"


def test_reference_covers_every_command(commands):
    text = ref.reference()
    names = [entry.name for entry in commands]
    for name in ["reviewcli", "reviewcli init", "reviewcli due", "reviewcli review schedule"]:
        assert name in names
    for name in names:
        assert f"`{name}`" in text


def test_every_command_and_subcommand_has_help(commands):
    missing = [entry.name for entry in commands if not entry.help]
    assert missing == [], f"commands without help text: {missing}"


def test_every_option_and_argument_has_help(commands):
    missing = [
        f"{entry.name} {param.name}"
        for entry in commands
        for param in entry.command.params
        if param.name != "help"
        and not getattr(param, "hidden", False)
        and not (getattr(param, "help", None) or "").strip()
    ]
    assert missing == [], f"options and arguments without help text: {missing}"


def test_readme_gives_the_two_set_up_commands(readme):
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", setup, re.S)
    assert block, "no command block in the Set-up section"
    assert block.group(1).split("\n")[:2] == ["make install", "make test"]


def test_readme_names_every_rule_the_schedule_implements(readme):
    from reviewcli import rules

    ids = {v for v in vars(rules).values() if isinstance(v, str) and re.fullmatch(r"R-\w+-\d+", v)}
    assert ids, "no rule ids found in reviewcli.rules"
    section = readme.split("## Rules", 1)[1].split("\n## ", 1)[0]
    wanted = ids | {f"R-CAL-{n}" for n in range(1, 7)} | {f"R-SCH-{n}" for n in range(1, 17)}
    missing = sorted(i for i in wanted if f"`{i}`" not in section)
    assert missing == [], f"rule ids missing from the README's Rules section: {missing}"
