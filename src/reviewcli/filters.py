"""The values of --iro, --team, --child and --kind, checked against the database.

A mistyped filter must never read as an empty list ("Nothing due."): that is how a
statutory deadline gets missed. Each check returns the value as stored (team and IRO
match whatever their case) or raises ``ReviewError`` naming the close matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from .errors import NotFound, ReviewError
from .store import Store

# At most this many values are listed in full in an error; beyond it, only close matches.
LISTED = 12


def suggest(
    value: str, choices: Sequence[str], what: str, plural: str, listed: int = LISTED
) -> str:
    """ "no team 'Sotuh' (did you mean South?); teams: East, North, South, West"."""
    folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(value.casefold(), list(folded), n=3, cutoff=0.7)
    message = f"no {what} {value!r}"
    if close:
        names = [folded[c] for c in close]
        either = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        message += f" (did you mean {either}?)"
    if not choices:
        return message + f"; there are no {plural} yet"
    if len(choices) <= listed:
        return message + f"; {plural}: {', '.join(choices)}"
    return message + f"; {len(choices)} {plural} in all"


def _one(value: str, choices: Sequence[str]) -> str | None:
    """``value`` as spelt in ``choices``: exactly, else ignoring case."""
    if value in choices:
        return value
    folded = [c for c in choices if c.casefold() == value.strip().casefold()]
    return folded[0] if folded else None


def teams(store: Store) -> list[str]:
    """Every team named on a child or an IRO, sorted."""
    rows = store.rows(
        "SELECT team FROM children WHERE team IS NOT NULL AND team != '' "
        "UNION SELECT team FROM iros WHERE team IS NOT NULL AND team != ''"
    )
    return sorted({r["team"] for r in rows}, key=str.casefold)


def team(store: Store, value: str | None) -> str | None:
    """The team as stored, for ``--team value``."""
    if value is None:
        return None
    known = teams(store)
    found = _one(value, known)
    if found is None:
        raise NotFound(suggest(value, known, "team", "teams"))
    return found


def iro(store: Store, value: str | None) -> str | None:
    """The IRO id as stored, for ``--iro value`` (an id, or the IRO's full name)."""
    if value is None:
        return None
    rows = store.rows("SELECT id, name FROM iros ORDER BY id")
    ids = [r["id"] for r in rows]
    found = _one(value, ids) or _one(value, [r["name"] for r in rows])
    if found is None:
        raise NotFound(suggest(value, ids, "IRO", "IROs") + "; see 'reviewcli iro list'")
    if found not in ids:  # a name: its id
        found = next(r["id"] for r in rows if r["name"] == found)
    return found


def child(store: Store, value: str | None) -> str | None:
    """The child id, for ``--child value``: an exact id, or one differing only in case."""
    if value is None:
        return None
    if store.value("SELECT 1 FROM children WHERE id = ?", [value]):
        return value
    same = store.rows(
        "SELECT id FROM children WHERE id = ? COLLATE NOCASE ORDER BY id LIMIT 2", [value.strip()]
    )
    if len(same) == 1:
        return same[0]["id"]
    count = store.value("SELECT COUNT(*) FROM children")
    ids = store.rows("SELECT id FROM children ORDER BY id LIMIT 5001")
    if count > 5000:
        # Too many to compare each: the close matches come from ids sharing its start.
        start = value.strip()[:2]
        ids = store.rows(
            "SELECT id FROM children WHERE substr(id, 1, ?) = ? COLLATE NOCASE "
            "ORDER BY id LIMIT 5000",
            [len(start), start],
        )
    ids = [r["id"] for r in ids]
    message = suggest(value, ids, "child with id", "children")
    if count > LISTED:
        message = message.split(";")[0]
    raise NotFound(message + "; see 'reviewcli child list'")


def kinds(values: Iterable[str] | None, known: Sequence[str], what: str = "kind") -> list[str]:
    """The ``--kind`` values, each one of ``known`` (exact, else ignoring case)."""
    out = []
    for value in values or ():
        found = _one(value, known)
        if found is None:
            message = suggest(value, list(known), what, what + "s", listed=len(known))
            raise ReviewError("unknown" + message.removeprefix("no"))
        out.append(found)
    return out


def described(*, team=None, iro=None, child=None, kinds=None, **others) -> str:
    """What a listing was asked for, for its empty message: " for team South, IRO IRO3"."""
    asked = (("team", team), ("IRO", iro), ("child", child))
    parts = [f"{what} {value}" for what, value in asked if value]
    parts += [f"{key.replace('_', ' ')} {value}" for key, value in others.items() if value]
    text = (" for " + ", ".join(parts)) if parts else ""
    if kinds:
        text += f" ({'kinds' if len(kinds) > 1 else 'kind'} {', '.join(sorted(kinds))})"
    return text
