"""The one JSON reader for everything Baton reads: strict, capped and checked for type.

Signatures, contracts and receipts come from other people; the identity file and the
catalog's JSON columns are Baton's own but can be damaged on disk. All of them are read
by :func:`loads`, so that they are refused for the same reasons with the same words:

- more than ``max_bytes`` (checked before anything is decoded);
- not UTF-8: UTF-16 and UTF-32 text (with or without a byte-order mark) and a UTF-8
  byte-order mark are named as such, because editors on Windows write them;
- nested deeper than ``max_depth``: measured by a scan that does not recurse, *before*
  the decoder (which does recurse) sees the text, so a 100 000-deep nesting costs one
  linear pass and never a ``RecursionError``;
- a key repeated in one object (two readers could keep different values), NaN,
  Infinity, a number out of float range or with more than ``MAX_DIGITS`` digits;
- a top-level value of another type than ``expect``.

Every refusal is one ``error`` (a :class:`~baton.core.errors.BatonError` subclass chosen
by the caller) whose message starts with ``source`` and ends with ``hint``, the thing a
user can do about it.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from typing import Any

from baton.core.errors import BatonError, VerificationError

MAX_BYTES = 16 * 2**20
MAX_DEPTH = 64
MAX_DIGITS = 400

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
# A JSON string, unrolled so that it cannot backtrack; an unterminated one runs to the end.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


class _Refused(ValueError):
    """A reason found while decoding; :func:`loads` turns it into the caller's error."""


def visible(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, with control and bidi characters escaped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isprintable():
        return text  # the common case, at C speed
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words ("an object", "a string", "null")."""
    name = _NAMES.get(type(value), type(value).__name__)
    return name if value is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in ``text``, found without recursion.

    Brackets inside strings do not count. Past a point where ``text`` stops being JSON
    the count may be wrong, but the decoder refuses the text at that point anyway.
    """
    if text.count("[") + text.count("{") <= limit:
        return min(limit, text.count("[") + text.count("{"))
    outside = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: find which key it was
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"repeats the JSON key {visible(key, 60)!r}")
            seen.add(key)
    return out


def _constant(name: str) -> Any:
    raise _Refused(f"contains {name}, which JSON does not allow")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"contains the number {visible(text, 40)}, which is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise _Refused("contains a number with too many digits")
    return int(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float, parse_int=_int
)


def _text(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise _Refused(f"is not UTF-8 text (it is {encoding}); save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        raise _Refused("starts with a byte-order mark; save it as UTF-8 without BOM")
    # JSON text starts with an ASCII character: NULs among the first bytes mean UTF-16/32.
    head = data[:4]
    if len(head) >= 2 and 0 in head:
        encoding = "UTF-32" if head.count(0) == 3 else "UTF-16"
        raise _Refused(f"is not UTF-8 text (it is {encoding}); save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(f"is not UTF-8 text (bad byte at offset {exc.start})") from None


def _decode(text: str, max_depth: int) -> Any:
    if not text.strip():
        raise _Refused("is empty")
    if depth(text, max_depth) > max_depth:
        raise _Refused(f"is nested too deeply (more than {max_depth} levels)")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        # The scanner reports an unterminated string where it starts, not at the end.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        raise _Refused(
            f"is not valid JSON{' (truncated?)' if cut else ''}: {exc.msg} "
            f"at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:  # only if max_depth is above what the stack allows
        raise _Refused("is nested too deeply") from None
    except _Refused:
        raise
    except ValueError as exc:  # any other complaint of the decoder
        raise _Refused(f"is not valid JSON: {visible(str(exc))}") from None


def loads(
    data: bytes | bytearray | memoryview | str,
    *,
    source: str,
    error: type[BatonError] = VerificationError,
    expect: type | tuple[type, ...] | None = dict,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    hint: str = "",
    path: str | None = None,
) -> Any:
    """Strictly decode one JSON document; any refusal is ``error`` naming ``source``.

    ``data`` is bytes (a file or a member, decoded here as UTF-8 only) or text already
    decoded (a catalog column). ``expect`` is the type the top-level value must have
    (``None``: any). The error's ``path`` is ``path``, else ``source``.
    """
    try:
        size = len(data)  # characters for text already decoded: never fewer than bytes/4
        if size > max_bytes:
            raise _Refused(f"is too large ({size:,} bytes; at most {max_bytes:,})")
        text = data if isinstance(data, str) else _text(bytes(data))
        value = _decode(text, max_depth)
        if expect is not None and not isinstance(value, expect):
            wanted = expect if isinstance(expect, tuple) else (expect,)
            names = " or ".join(_NAMES.get(t, t.__name__) for t in wanted)
            raise _Refused(f"is not a JSON {names} but {kind(value)}")
    except _Refused as exc:
        message = f"{source} {exc}" + (f"; {hint}" if hint else "")
        raise error(message, path=source if path is None else path) from None
    return value


def load_file(
    file: str | os.PathLike[str],
    *,
    source: str,
    error: type[BatonError] = VerificationError,
    max_bytes: int = MAX_BYTES,
    hint: str = "",
    **options: Any,
) -> Any:
    """:func:`loads` of a file, refused by its size before a byte of it is read."""
    try:
        with open(file, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = b"" if size > max_bytes else fh.read(max_bytes + 1)
    except OSError as exc:
        message = f"cannot read {source}: {exc.strerror or exc}" + (f"; {hint}" if hint else "")
        raise error(message, path=os.fspath(file)) from None
    if size > max_bytes:
        message = f"{source} is too large ({size:,} bytes; at most {max_bytes:,})"
        raise error(message + (f"; {hint}" if hint else ""), path=os.fspath(file))
    return loads(data, source=source, error=error, max_bytes=max_bytes, hint=hint, **options)
