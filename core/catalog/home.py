"""Where Baton keeps its catalog, object store and keys, and my identity in it.

Resolution order: an explicit ``--home DIR``, then the ``BATON_HOME`` environment
variable, then the platform's user data folder (platformdirs). Tests always pass a
temporary folder, so they never touch a real home.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from baton.core import jsonsafe
from baton.core.errors import KeyError_


def resolve_home(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """Return the Baton home folder (not created here)."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser().resolve()
    if env.get("BATON_HOME"):
        return Path(env["BATON_HOME"]).expanduser().resolve()
    import platformdirs  # only needed here; kept off the start-up path

    return Path(platformdirs.user_data_dir("Baton", appauthor=False))


IDENTITY_FILE = "identity.json"
_MAX_IDENTITY_BYTES = 64 * 1024
# What the rest of Baton reads from identity.json, and the shape it relies on.
_IDENTITY_FIELDS: dict[str, Callable[[Any], bool]] = {
    "name": lambda v: isinstance(v, str) and bool(v.strip()),
    "email": lambda v: isinstance(v, str),
    "fingerprint": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
}


def key_dir(home: Path) -> Path:
    return Path(home) / "keys"


def identity(home: Path) -> dict[str, Any] | None:
    """My name, email and fingerprint, or None before ``baton keys create``.

    A damaged file is a :class:`KeyError_` that names it and says how to recover.
    """
    folder = key_dir(home)
    path = folder / IDENTITY_FILE
    if not path.is_file():
        return None
    source = f"the identity file {path}"
    hint = (
        f"restore it from your backup, or move {folder} aside and run "
        "`baton keys create` to make a new key"
    )
    me = jsonsafe.load_file(
        path,
        source=source,
        error=KeyError_,
        max_bytes=_MAX_IDENTITY_BYTES,
        hint=hint,
        path=str(path),
    )
    for field, valid in _IDENTITY_FIELDS.items():
        if not valid(me.get(field)):
            raise KeyError_(f"{source} has no valid {field}; {hint}", path=str(path))
    return me
