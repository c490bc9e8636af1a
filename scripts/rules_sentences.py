"""Generate the rule book's list of sentences, in docs/rules.md, from the code (``wording``).

Each rule's sentence, and each step's words on the work list, live once in the code
(``reviewcli.wording.SENTENCES``, ``reviewcli.steps.STEPS``); docs/rules.md carries them
between ``<!-- sentences:start -->`` and ``<!-- sentences:end -->``, written by this script
(``make rules-doc``) and checked by tests/test_wording.py.

    python scripts/rules_sentences.py            # print the section
    python scripts/rules_sentences.py --write    # rewrite docs/rules.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
START = "<!-- sentences:start -->"
END = "<!-- sentences:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section() -> str:
    from reviewcli.steps import STEPS
    from reviewcli.wording import SENTENCES

    lines = [START, "", "| Rule | What the tool says of it |", "| --- | --- |"]
    lines += [f"| {rule} | {_cell(text)} |" for rule, text in SENTENCES.items()]
    lines += [
        "",
        "| Step (`review done`) | Rule | Its words on the work list |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{s.name}` | {s.rule} | {_cell(s.label)} |" for s in STEPS.values()]
    return "\n".join([*lines, "", END])


def document(text: str) -> str:
    """``text`` (docs/rules.md) with the section made again."""
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return before + section() + after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite docs/rules.md")
    args = parser.parse_args(argv)
    if args.write:
        DOC.write_text(document(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(section() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
