"""Where Baton keeps its catalog, object store and keys.

Resolution order: an explicit ``--home DIR``, then the ``BATON_HOME`` environment
variable, then the platform's user data folder (platformdirs). Tests always pass a
temporary folder, so they never touch a real home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


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
