"""The command line loads only what the command being run needs.

``reviewcli.cli.COMMANDS`` names every command's module and the first sentence of its
help, so ``reviewcli --help`` lists them all without importing a command module, and
``reviewcli due`` imports the work list and nothing of letters or reports.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import typer

from reviewcli.cli import COMMANDS, app


def _loaded_tree():
    for modules, _ in COMMANDS.values():
        for module in modules.split():
            importlib.import_module(f"reviewcli.cli.{module}")
    return typer.main.get_command(app)


def _callbacks(command):
    if getattr(command, "commands", None):
        for sub in command.commands.values():
            yield from _callbacks(sub)
    else:
        yield command.callback


def test_every_command_is_listed_with_the_first_sentence_of_its_own_help():
    group = _loaded_tree()
    assert set(group.commands) == set(COMMANDS)
    for name, (_, sentence) in COMMANDS.items():
        assert group.commands[name].get_short_help_str(10_000) == sentence, name


def test_each_command_and_subcommand_lives_in_a_module_named_for_it():
    for name, (modules, _) in COMMANDS.items():
        allowed = {"reviewcli.cli" + (f".{m}" if m else "") for m in modules.split() or [""]}
        for callback in _callbacks(_loaded_tree().commands[name]):
            assert callback.__module__ in allowed, (name, callback.__name__)


def _modules_after(*args: str) -> set[str]:
    code = (
        "import json, sys\n"
        "from reviewcli.cli import main\n"
        f"sys.argv = ['reviewcli', *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "names = sorted(m for m in sys.modules if m.startswith('reviewcli'))\n"
        "sys.stderr.write(json.dumps(names))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    return set(json.loads(out.stderr.strip().splitlines()[-1]))


def test_help_imports_no_command_module():
    loaded = _modules_after("--help")
    assert not {f"reviewcli.cli.{m}" for ms, _ in COMMANDS.values() for m in ms.split()} & loaded
    assert "reviewcli.store" not in loaded


def test_a_command_imports_only_its_own_module(tmp_path):
    loaded = _modules_after("--db", str(tmp_path / "none.db"), "due")
    assert "reviewcli.cli.due" in loaded
    assert not {"reviewcli.cli.letters", "reviewcli.cli.casework", "reviewcli.reports"} & loaded


def test_a_group_help_loads_its_module(run):
    out = run.ok("report", "--help").stdout
    assert "monthly" in out
    out = run.ok("--help").stdout
    for name in COMMANDS:
        assert f"  {name} " in out


def test_an_unknown_command_is_refused(run):
    result = run("no-such-command")
    assert result.exit_code == 2
    assert "No such command" in result.stderr
