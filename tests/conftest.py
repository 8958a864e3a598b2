"""Shared fixtures: temporary homes and real models and datasets from scikit-learn."""

from __future__ import annotations

import functools
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("BATON_HOME", None)

from pathlib import Path  # noqa: E402

# Imported before any Baton module, which imports jsonschema without its optional format
# checkers (baton.core.lean_jsonschema): the ML-BOM tests validate with all of them.
import jsonschema  # noqa: E402, F401
import pytest  # noqa: E402

from baton.core.catalog.store import Catalog  # noqa: E402
from tests import factories  # noqa: E402


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def catalog(home: Path):
    cat = Catalog(home)
    yield cat
    cat.close()


# How long a qtbot wait may last unless a test says otherwise: pytest-qt's 5 s is too short
# on a loaded machine (the tests run on every core; a model child alone may take seconds to
# start). A wait ends as soon as its condition holds, so a passing test is no slower.
QT_WAIT_MS = 30_000


@pytest.fixture
def qtbot(qtbot):
    """pytest-qt's ``qtbot``, its waits defaulting to :data:`QT_WAIT_MS`."""
    for name in ("waitUntil", "waitSignal", "waitSignals", "waitExposed", "waitActive"):
        wait = getattr(qtbot, name)
        setattr(qtbot, name, functools.partial(_wait_longer, wait))
    return qtbot


def _wait_longer(wait, *args, timeout: int = QT_WAIT_MS, **kwargs):
    return wait(*args, timeout=timeout, **kwargs)


@pytest.fixture(scope="session")
def handover_world(tmp_path_factory):
    """The demo's handover between two desks (:mod:`tests.gui.world`), built once per
    session for the desks' core and GUI tests; each test works on copies of its homes."""
    from tests.gui.world import build_world, shared_world

    if os.environ.get("PYTEST_XDIST_WORKER"):  # one build for every worker of this run
        return shared_world(tmp_path_factory.getbasetemp().parent / "handover")
    return build_world(tmp_path_factory.mktemp("handover"))


@pytest.fixture(scope="session")
def files(tmp_path_factory) -> factories.Files:
    """Breast-cancer CSV/Parquet, wine, diabetes and fitted models in several formats."""
    return factories.make_files(tmp_path_factory.mktemp("files"))


@pytest.fixture(scope="session")
def wine(tmp_path_factory):
    """Wine models with unnamed inputs and test sets with reordered or wrong columns."""
    from tests.wine_features import make_wine

    return make_wine(tmp_path_factory.mktemp("wine"))
