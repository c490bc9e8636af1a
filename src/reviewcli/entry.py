"""The console-script entry point: answers ``--version`` before loading the command line."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from . import __version__

        print(f"reviewcli {__version__}")
        return
    from .cli import main as cli_main

    cli_main()
