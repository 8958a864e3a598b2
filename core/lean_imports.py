"""Importing a library without the optional modules it would load for features Baton
never uses.

Some libraries import every optional companion that happens to be installed, as they are
imported: jsonschema a dozen format checkers (one compiles 38 grammars), sqlite-utils
pandas and numpy (to type table columns from pandas and numpy values). Baton uses none
of those features, and the companions cost a command or the window's start a large part
of its time. :func:`held_out` hides them for the length of one import only: the library
sees them missing, as on a machine without them, and anything imported later that needs
them gets them as usual.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator


@contextlib.contextmanager
def held_out(names: Iterable[str]) -> Iterator[None]:
    """``import`` of any of ``names`` not yet imported raises ImportError inside the block."""
    held = [name for name in names if name not in sys.modules]
    for name in held:
        sys.modules[name] = None  # type: ignore[assignment]  # "import" raises ImportError
    try:
        yield
    finally:
        for name in held:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
