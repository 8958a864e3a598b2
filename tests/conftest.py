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
    """pytest-qt's ``qtbot``, its waits defaulting to :data:`QT_WAIT_MS`, holding on to
    every widget given to ``addWidget`` until the test's teardown.

    pytest-qt keeps only a weak reference to each widget. A window whose Python objects
    are held by nothing but a reference cycle (a chart that names the column holding it)
    is then freed by whichever garbage collection comes first, which may start inside a
    paint of that very window just after the test returns: Qt deletes the widget it is
    painting, and the process dies ("Cannot destroy paint device that is being painted").
    Held here, the widgets are closed by pytest-qt at teardown and deleted below, at a
    moment when nothing is painting them.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    for name in ("waitUntil", "waitSignal", "waitSignals", "waitExposed", "waitActive"):
        wait = getattr(qtbot, name)
        setattr(qtbot, name, functools.partial(_wait_longer, wait))
    held: list = []
    add_widget = qtbot.addWidget

    def add_and_hold(widget, *args, **kwargs):
        held.append(widget)
        return add_widget(widget, *args, **kwargs)

    qtbot.addWidget = add_and_hold
    yield qtbot
    # pytest-qt has closed them and asked Qt to delete them later: do it now, then let go
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    held.clear()


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
