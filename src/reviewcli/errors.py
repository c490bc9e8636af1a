"""The one exception family of reviewcli.

Domain code raises these; the command-line edge prints ``Error: …`` and exits with
``exit_code``. Nothing here imports the CLI framework.
"""

from __future__ import annotations


class ReviewError(Exception):
    """A refused action or bad data: the user can act on the message."""

    exit_code = 1


class NotFound(ReviewError):
    """A child, IRO, review … that does not exist."""


class RuleViolation(ReviewError):
    """A statutory or local rule refuses the action; the message names the rule id."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(f"{message} ({rule})")
