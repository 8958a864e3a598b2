"""Text from a bundle or a receipt, made safe to print: control characters made visible.

A contract's intended use, an author's name or a reviewer's comment is written by
someone else. Printed as is, an escape sequence in it can clear the screen, retitle the
window or hide the lines before it, a carriage return or newline can forge a line of
Baton's own output ("VERIFIED: ..."), and a bidi override can make ``exe.txt`` read as
``txt.exe``. :func:`visible` shows every such character as a ``\\u`` escape instead (ESC
as ``\\u001b``), so the reader sees exactly what the sender wrote and the terminal acts
on none of it.

Which characters: every Unicode control (``Cc``: C0, DEL, C1), format (``Cf``: bidi
embeddings, overrides, isolates and marks, zero-width characters, the byte-order mark),
line and paragraph separator (``Zl``, ``Zp``) and lone surrogate (``Cs``, which no
terminal encoding can even carry). Printable text, including every other script and
emoji, is left alone.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: object, *, lines: bool = False) -> str:
    """``text`` with every control, format and separator character shown as an escape.

    A single-line field (the default) shows newlines and tabs as escapes too, so it can
    never start a line of its own; ``lines=True`` keeps ``\\n`` for text that is meant to
    span lines (a model card, a whole block of output).
    """
    text = str(text)
    if (text.replace("\n", "") if lines else text).isprintable():
        return text  # the common case, at C speed
    return "".join(
        _escape(c) if unicodedata.category(c) in _INVISIBLE and not (lines and c == "\n") else c
        for c in text
    )
