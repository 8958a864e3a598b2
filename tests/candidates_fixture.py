"""A handover of two candidates (gradient boosting and logistic regression, both
scikit-learn pipelines saved as skops), packed once per session by Dana for Eli."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.factories import breast_cancer_frame
from tests.handover import INTENDED_USE, Handover, as_json, ok, run

NAME, VERSION = "bc-pick", "1"
BUNDLE = f"{NAME}-{VERSION}.baton"


def gbm_skops(folder: Path) -> Path:
    """A small gradient-boosting pipeline (20 trees) on the breast-cancer training rows."""
    bc = breast_cancer_frame()
    X, y = bc.drop(columns="target"), bc["target"]
    model = make_pipeline(
        StandardScaler(), GradientBoostingClassifier(n_estimators=20, random_state=0)
    ).fit(X.iloc[:400], y.iloc[:400])
    path = folder / "gbm.skops"
    sio.dump(model, path)
    return path


@dataclass
class Picked:
    """Pristine homes and the two-candidate bundle; tests copy before changing them."""

    root: Path
    ds: Path
    mle: Path
    bundle: Path
    pack: dict
    gbm: Path
    lr: Path
    test_csv: Path

    def copy(self, folder: Path) -> Picked:
        folder.mkdir(parents=True, exist_ok=True)
        ds, mle = folder / "ds", folder / "mle"
        shutil.copytree(self.ds, ds)
        shutil.copytree(self.mle, mle)
        bundle = folder / BUNDLE
        shutil.copyfile(self.bundle, bundle)
        return Picked(folder, ds, mle, bundle, self.pack, self.gbm, self.lr, self.test_csv)


_BUILT: Picked | None = None


def pack_two(home: Path, out: Path, gbm: Path, lr: Path, test_csv: Path, *extra: str,
             version: str = VERSION):  # fmt: skip
    return run(home, "pack", gbm, lr, "--test", test_csv, "--target", "target",
               "--name", NAME, "--version", version, "--require", "accuracy>=0.9",
               "--require", "f1>=0.5", "--intended-use", INTENDED_USE,
               "--budget", "0.05", "--out", out, *extra)  # fmt: skip


@pytest.fixture(scope="session")
def picked(tmp_path_factory, handover: Handover, files) -> Picked:
    """Dana packed ``bc-pick-1.baton``: candidates gbm and lr, recommending gbm."""
    global _BUILT
    if _BUILT is None:
        root = tmp_path_factory.mktemp("picked")
        ds, mle = root / "ds", root / "mle"
        shutil.copytree(handover.ds_home, ds)
        shutil.copytree(handover.mle_home, mle)
        gbm = gbm_skops(root)
        bundle = root / BUNDLE
        packed = ok(
            pack_two(ds, bundle, gbm, files.lr_skops, files.bc_test_csv,
                     "--candidate-names", "gbm,lr", "--recommend", "gbm", "--json")
        )  # fmt: skip
        _BUILT = Picked(root, ds, mle, bundle, as_json(packed), gbm, files.lr_skops,
                        files.bc_test_csv)  # fmt: skip
    return _BUILT
