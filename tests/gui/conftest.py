"""Fixtures for the desktop tests: a catalog with real measurements, windows on homes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from baton.core.catalog.store import Catalog
from baton.core.data import importer
from baton.core.measure import runs as measure
from tests.gui.world import Homes, World

QUICK_BATCHES = (1, 8, 64)


def _add_in_process(cat: Catalog, model_path: Path, name: str, dataset: str) -> None:
    """Record a scikit-learn model and its evaluation without a child process.

    The fixture needs a multiclass and a regression result to render; spawning a child
    per model costs seconds, so these two are introspected, predicted and measured
    in this process with the same core functions the child and ``measure.evaluate`` use.
    """
    import pandas as pd
    import skops.io as sio

    from baton.core.data.models import introspect_sklearn, skops_allowed_types
    from baton.core.measure import metrics

    est = sio.load(model_path, trusted=skops_allowed_types(model_path))
    info = introspect_sklearn(est)
    digest = cat.objects.put_file(model_path)
    model = cat.add_model(
        {
            "name": name,
            "file_name": model_path.name,
            "format": "skops",
            "framework": info["framework"],
            "framework_version": info["framework_version"],
            "estimator": info["estimator"],
            "task": info["task"],
            "classes": info["classes"],
            "features": info["features"],
            "params": info["params"],
            "size_bytes": model_path.stat().st_size,
            "sha256": digest,
            "safety": {"method": "skops allowlist", "verdict": "passed", "allowed_extra_types": []},
            "info": {"final_estimator": info["final_estimator"]},
        }
    )
    data = cat.get_dataset(dataset)
    frame = pd.read_csv(cat.objects.open_verified(data["sha256"]))
    X, y = frame.drop(columns=data["target"]), frame[data["target"]].to_numpy()
    proba = est.predict_proba(X) if info["task"] != "regression" else None
    result = metrics.evaluate_predictions(
        info["task"], y, est.predict(X), proba, info["classes"], bootstrap=50
    )
    result.update(model=name, dataset=dataset)
    cat.add_measurement("evaluations", model, data, result)


@pytest.fixture(scope="session")
def measured_home(tmp_path_factory, files) -> Path:
    """A home with datasets, models and real evaluations and a profile (built once).

    ``bc-lr`` goes the user's way: imported, evaluated and profiled by core in child
    processes. ``wine-lr`` (multiclass) and ``diabetes-linreg`` (regression) are measured
    in process (see :func:`_add_in_process`) to keep the suite fast.
    """
    home = tmp_path_factory.mktemp("measured") / "home"
    with Catalog(home) as cat:
        importer.import_dataset(
            cat, files.bc_csv, name="breast_cancer", role="test", target="target"
        )
        importer.import_dataset(cat, files.wine_csv, name="wine", role="test", target="target")
        importer.import_dataset(
            cat, files.diabetes_csv, name="diabetes", role="test", target="target"
        )
        importer.import_model(cat, files.lr_skops, name="bc-lr")
        measure.evaluate(cat, "bc-lr", "breast_cancer", bootstrap=100)
        measure.profile(cat, "bc-lr", "breast_cancer", batch_sizes=QUICK_BATCHES, budget_s=0.05)
        _add_in_process(cat, files.wine_skops, "wine-lr", "wine")
        _add_in_process(cat, files.diabetes_skops, "diabetes-linreg", "diabetes")
    return home


@pytest.fixture
def measured_copy(measured_home, tmp_path) -> Path:
    """A private copy of the measured home, for tests that write to it."""
    target = tmp_path / "home"
    shutil.copytree(measured_home, target)
    return target


@pytest.fixture
def window_on(qtbot):
    """Open a MainWindow on a home; closed (and its workers waited for) afterwards."""
    from baton.gui.shell.main_window import MainWindow

    windows = []

    def open_window(home, **kwargs):
        window = MainWindow(home=home, **kwargs)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield open_window
    for window in windows:
        window.close()


@pytest.fixture(scope="session")
def world(handover_world) -> World:
    """The session's handover (see :mod:`tests.gui.world`; about 40 s, built once for the
    core and the GUI tests of the desks)."""
    return handover_world


@pytest.fixture
def homes(world: World, tmp_path: Path) -> Homes:
    """Fresh copies of the three homes for one test."""
    copies = {}
    for name in ("scientist", "engineer", "stranger"):
        copies[name] = tmp_path / name
        shutil.copytree(world.root / name, copies[name])
    return Homes(copies["scientist"], copies["engineer"], copies["stranger"])
