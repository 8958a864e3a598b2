"""What a bundle ZIP may hold, and how a refusal reads: the limits, the member record, portable
member names, pickles by name and by their first bytes, and the wording of a member's error."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from baton.core.errors import BatonError

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
PICKLE_REFUSAL = "contains a pickle file; Baton never loads pickles from bundles"
PICKLE_WRITE_REFUSAL = "is a pickle file; Baton never puts pickles in bundles"
MemberCallback = Callable[[str, str, int], None]
"""``on_member(name, sha256_hex, size)``, called once per extracted file."""


@dataclass(frozen=True)
class Limits:
    """What an untrusted ZIP may contain; the defaults suit a model bundle.

    - ``max_members`` (1000): entries in the central directory, folder entries included.
    - ``max_member_size`` (8 GiB): unpacked size of any one member.
    - ``max_total_size`` (8 GiB): unpacked size of all members together.
    - ``max_ratio`` (200): unpacked / packed size allowed for a member ...
    - ``ratio_min_size`` (1 MiB): ... once it unpacks to more than this (small files
      such as a JSON of zeros legitimately compress far better).
    - ``max_name_bytes`` (1024): length of a member name in UTF-8 bytes.
    """

    max_members: int = 1000
    max_member_size: int = 8 * GiB
    max_total_size: int = 8 * GiB
    max_ratio: float = 200.0
    ratio_min_size: int = 1 * MiB
    max_name_bytes: int = 1024

    def __post_init__(self) -> None:
        for field in ("max_members", "max_member_size", "max_total_size", "max_name_bytes"):
            if getattr(self, field) < 1:
                raise ValueError(f"Limits.{field} must be at least 1")
        if self.max_ratio < 1 or self.ratio_min_size < 0:
            raise ValueError("Limits.max_ratio must be >= 1 and ratio_min_size >= 0")


@dataclass(frozen=True)
class Member:
    """One regular file of a bundle ZIP.

    ``sha256`` is the hex SHA-256 of its content once it has been extracted or written,
    ``None`` from :func:`list_members` (which reads no data).
    """

    name: str
    size: int
    compressed_size: int
    method: str  # "stored" or "deflated"
    sha256: str | None = None


def show_name(name: str) -> str:
    """A member name, quoted, on one line, with control characters made visible."""
    shown = "".join(
        ch
        if ch.isprintable()
        else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in name[:200]
    )
    if len(name) > 200:
        shown += "..."
    return f'"{shown}"'


class Refusal(Exception):
    """A problem with one member, before the ZIP's name is known to the message."""

    def __init__(self, cls: type[BatonError], reason: str) -> None:
        super().__init__(reason)
        self.cls = cls
        self.reason = reason


def member_error(
    cls: type[BatonError], label: str, name: str, reason: str, path: str
) -> BatonError:
    return cls(f"{label}: member {show_name(name)} {reason}", path=path)


_PICKLE_SUFFIXES = frozenset({"pkl", "pickle", "joblib", "pt", "pth"})
_WRAPPER_SUFFIXES = frozenset({"gz", "bz2", "xz", "lzma", "z", "zst", "zip"})


_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{p}{i}" for p in ("COM", "LPT") for i in (*"123456789", "\u00b9", "\u00b2", "\u00b3")}
)


_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_pickle_name(name: str) -> bool:
    """True for ``x.pkl``, ``x.joblib``, ``x.pt`` ... and ``x.pkl.gz``-style wrappers."""
    parts = name.rsplit("/", 1)[-1].lower().split(".")[1:]
    if not parts:
        return False
    if parts[-1] in _PICKLE_SUFFIXES:
        return True
    return len(parts) >= 2 and parts[-1] in _WRAPPER_SUFFIXES and parts[-2] in _PICKLE_SUFFIXES


def looks_like_pickle(head: bytes) -> bool:
    """True if ``head`` starts with a pickle protocol 2-5 header (``\\x80\\x02``..``\\x80\\x05``)."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def name_problem(name: str, limits: Limits) -> str | None:
    """Why ``name`` may not be a member name (``None`` if it may); folders end in ``/``."""
    if not name:
        return "has an empty name"
    if len(name.encode("utf-8", "surrogatepass")) > limits.max_name_bytes:
        return f"has a name longer than {limits.max_name_bytes} bytes"
    if "\x00" in name:
        return "has a NUL character in its name"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in name):
        return "has a control character in its name"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "has a name that is not valid Unicode"
    hidden = next((c for c in name if unicodedata.category(c) == "Cf"), None)
    if hidden is not None:
        return f"has an invisible formatting character (U+{ord(hidden):04X}) in its name"
    if "\\" in name:
        return 'has a backslash in its name; only "/" may separate folders'
    if name.startswith("/"):
        return "has an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    segments = (name[:-1] if name.endswith("/") else name).split("/")
    if ".." in segments:
        return "has a path that leaves the bundle folder"
    if "" in segments:
        return 'has an empty path segment ("//" or a lone "/")'
    if "." in segments:
        return 'has a "." path segment'
    bad = sorted({c for c in name if c in _WINDOWS_FORBIDDEN})
    if bad:
        return f"has a character that is not allowed in file names on Windows ({' '.join(bad)})"
    for seg in segments:
        if seg.endswith((".", " ")):
            return "has a path segment ending in a dot or a space, which Windows drops"
        if seg.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
            return f'uses "{seg}", a device name reserved by Windows'
        if len(seg.encode("utf-8")) > 255:
            return "has a path segment longer than 255 bytes"
    if not unicodedata.is_normalized("NFC", name):
        return "has a name that is not in Unicode NFC form"
    return None


class NameSet:
    """Detects duplicate, case-colliding and file-versus-folder names as they are added."""

    def __init__(self) -> None:
        self._exact: set[str] = set()
        self._files: dict[str, str] = {}  # casefolded path -> name as written
        self._folders: dict[str, str] = {}  # casefolded path -> path as first written

    def add(self, name: str) -> str | None:
        if name in self._exact:
            return "appears more than once"
        self._exact.add(name)
        is_folder = name.endswith("/")
        path = name.rstrip("/")
        parts = path.split("/")
        # Every ancestor (and a folder entry itself) must be a folder, spelled one way.
        for i in range(1, len(parts) + (1 if is_folder else 0)):
            prefix = "/".join(parts[:i])
            key = prefix.casefold()
            if key in self._files:
                return f"needs {show_name(self._files[key])} to be a folder, but it is a file"
            seen = self._folders.setdefault(key, prefix)
            if seen != prefix:
                return f"collides with {show_name(seen + '/')} on a case-insensitive file system"
        if not is_folder:
            key = path.casefold()
            if key in self._files:
                return (
                    f"collides with {show_name(self._files[key])} on a case-insensitive file system"
                )
            if key in self._folders:
                return f"is a file but {show_name(self._folders[key] + '/')} makes it a folder"
            self._files[key] = name
        return None
