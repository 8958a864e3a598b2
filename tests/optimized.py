"""One optimised bundle for the optimisation tests: Eli converts Dana's ``bc-lr-1.baton``
to ONNX once per session (through the command line), and a converter that loses parity.

Tests that change homes work on copies (:func:`tests.handover.make_world`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.handover import Handover, World, as_json, make_world, ok, run

OPTIMISED = "bc-lr-1.0.0.1.baton"


@dataclass
class Optimised:
    """The world the bundle was optimised in (do not change it) and what ``--json`` said."""

    world: World
    bundle: Path
    result: dict[str, Any]


_BUILT: Optimised | None = None


@pytest.fixture(scope="session")
def optimised(handover: Handover, tmp_path_factory) -> Optimised:
    global _BUILT
    if _BUILT is None:
        world = make_world(handover, tmp_path_factory.mktemp("optimised"))
        out = world.path(OPTIMISED)
        done = ok(run(world.mle, "optimize", world.bundle, "--to", "onnx", "--budget", "0.02",
                      "--out", out, "--json"))  # fmt: skip
        _BUILT = Optimised(world, out, as_json(done))
    return _BUILT


def copy_of(optimised: Optimised, world: World) -> Path:
    """The optimised bundle, next to ``world``'s own copy of the parent."""
    target = world.path(OPTIMISED)
    shutil.copyfile(optimised.bundle, target)
    return target


def lossy_onnx(path: Path) -> None:
    """Write to ``path`` an ONNX model of the same inputs and classes whose predictions
    move: a far more regularised logistic regression, as a converter that lost the
    weights' precision would give."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tests.factories import breast_cancer_frame

    frame = breast_cancer_frame()
    X, y = frame.drop(columns="target").iloc[:400], frame["target"].iloc[:400]
    weak = make_pipeline(StandardScaler(), LogisticRegression(C=1e-4)).fit(X, y)
    onx = to_onnx(weak, X.iloc[:1].to_numpy(np.float32), options={"zipmap": False})
    path.write_bytes(onx.SerializeToString())


def lossy_converter(monkeypatch) -> None:
    """Make the conversion (run in the child) hand back :func:`lossy_onnx`'s model."""
    from baton.core.handover import optimize

    real = optimize.run_task

    def converting(task, params, **kwargs):
        answer = real(task, params, **kwargs)
        if task == "optimize_onnx":
            lossy_onnx(Path(params["out"]))
        return answer

    monkeypatch.setattr(optimize, "run_task", converting)
