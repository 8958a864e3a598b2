"""How Baton writes things for people: one vocabulary for the card, the command line and
the desktop."""

from __future__ import annotations


def format_fingerprint(hex_fingerprint: str) -> str:
    """``"ab12cd34..."`` as ``"AB12 CD34 ..."``: upper case, groups of four."""
    text = "".join(hex_fingerprint.split()).upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
