"""What a person typed: free text checked before it is stored (no control characters,
no C1 controls or bidirectional overrides, a length limit). The foundation layer: every
other module may use it."""

from __future__ import annotations

from .errors import ReviewError


def _text(value: str | None, what: str, *, required: bool = False, limit: int = 2000):
    if value is None:
        if required:
            raise ReviewError(f"{what} is required")
        return None
    cleaned = value.strip()
    if required and not cleaned:
        raise ReviewError(f"{what} must not be empty")
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in cleaned) or "\x7f" in cleaned:
        raise ReviewError(f"{what} contains control characters")
    bad = unsafe_character(cleaned)
    if bad:
        raise ReviewError(f"{what} contains {bad}; retype it without")
    if len(cleaned) > limit:
        raise ReviewError(f"{what} is too long ({len(cleaned)} characters; at most {limit})")
    return cleaned or None


# Characters that change how text around them is shown without being seen: C1 controls
# (U+0080-U+009F, some terminals act on them) and the bidirectional overrides and isolates
# ("Trojan Source": a name that reads one way and sorts or compares another).
_INVISIBLE = {
    **{chr(c): f"the control character U+{c:04X}" for c in range(0x80, 0xA0)},
    **{
        chr(c): f"the bidirectional control U+{c:04X}"
        for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
    },
}


def unsafe_character(text: str) -> str | None:
    """The first C1 control or bidirectional control in ``text``, described; else None."""
    if text.isascii():
        return None
    for ch in text:
        if ch in _INVISIBLE:
            return _INVISIBLE[ch]
    return None
