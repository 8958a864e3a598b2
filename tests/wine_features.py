"""Wine models that do not know their features' names, and test sets whose columns are
reordered, cut short or padded: what feature binding by name is tested with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import skops.io as sio
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier


@dataclass(frozen=True)
class Wine:
    onnx: Path  # a random forest with ONE tensor input of 13 columns
    array_skops: Path  # a random forest fitted on a bare array
    train: Path  # the 13 features, then the target, in the training order
    shuffled: Path  # the same rows, the columns in another order
    missing_extra: Path  # without alcohol and ash, with a column "colour"
    features: list[str]


def make_wine(root: Path) -> Wine:
    frame = load_wine(as_frame=True).frame
    features = [c for c in frame.columns if c != "target"]
    X, y = frame[features].to_numpy(dtype="float32"), frame["target"]
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    onnx_model = to_onnx(
        forest,
        initial_types=[("input", FloatTensorType([None, len(features)]))],
        options={id(forest): {"zipmap": False}},
        target_opset=17,
    )
    onnx_path = root / "wine-rf.onnx"
    onnx_path.write_bytes(onnx_model.SerializeToString())
    skops_path = root / "wine-array.skops"
    sio.dump(RandomForestClassifier(n_estimators=30, random_state=1).fit(X, y), skops_path)
    train = root / "wine-train.csv"
    frame.to_csv(train, index=False)
    order = features[::-1]  # proline first, alcohol last
    shuffled = root / "wine-shuffled.csv"
    frame[["target", *order]].to_csv(shuffled, index=False)
    cut = frame.drop(columns=["alcohol", "ash"]).assign(colour=1.0)
    missing_extra = root / "wine-missing.csv"
    cut.to_csv(missing_extra, index=False)
    return Wine(onnx_path, skops_path, train, shuffled, missing_extra, features)
