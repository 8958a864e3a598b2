"""Real models and datasets built from scikit-learn's bundled data, for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@dataclass
class Files:
    root: Path
    bc_csv: Path
    bc_parquet: Path
    bc_test_csv: Path
    wine_csv: Path
    diabetes_csv: Path
    lr_skops: Path
    lr_joblib: Path
    lr_onnx: Path
    mlp_onnx: Path
    hgb_skops: Path
    mixed_csv: Path
    wine_skops: Path
    diabetes_skops: Path


def breast_cancer_frame() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True)
    return data.frame


def make_files(root: Path) -> Files:
    bc = breast_cancer_frame()
    X, y = bc.drop(columns="target"), bc["target"]
    bc.to_csv(root / "breast_cancer.csv", index=False)
    bc.to_parquet(root / "breast_cancer.parquet")
    bc.iloc[400:].to_csv(root / "breast_cancer_test.csv", index=False)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        X.iloc[:400], y.iloc[:400]
    )
    sio.dump(lr, root / "lr.skops")
    joblib.dump(lr, root / "lr.joblib")

    from skl2onnx import to_onnx

    onx = to_onnx(lr, X.iloc[:1].to_numpy(np.float32), options={id(lr): {"zipmap": False}})
    (root / "lr.onnx").write_bytes(onx.SerializeToString())

    wine = load_wine(as_frame=True).frame
    wine.to_csv(root / "wine.csv", index=False)
    wine_model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        wine.drop(columns="target"), wine["target"]
    )
    sio.dump(wine_model, root / "wine.skops")
    diabetes = load_diabetes(as_frame=True).frame
    diabetes.to_csv(root / "diabetes.csv", index=False)
    sio.dump(
        LinearRegression().fit(diabetes.drop(columns="target"), diabetes["target"]),
        root / "diabetes.skops",
    )

    # A pipeline with the usual preprocessing zoo: imputer, one-hot encoder, HGB.
    rng = np.random.default_rng(0)
    mixed = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 300).round(1),
            "income": np.where(rng.random(300) < 0.1, np.nan, rng.normal(50, 15, 300)),
            "city": rng.choice(["Lyon", "Porto", "Turku"], 300),
        }
    )
    mixed["label"] = ((mixed["age"] > 40) ^ (mixed["city"] == "Porto")).astype(int)
    mixed.to_csv(root / "mixed.csv", index=False)
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "income"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    hgb = make_pipeline(pre, HistGradientBoostingClassifier(max_iter=20, random_state=0))
    hgb.fit(mixed.drop(columns="label"), mixed["label"])
    sio.dump(hgb, root / "hgb.skops")
    return Files(
        root=root,
        bc_csv=root / "breast_cancer.csv",
        bc_parquet=root / "breast_cancer.parquet",
        bc_test_csv=root / "breast_cancer_test.csv",
        wine_csv=root / "wine.csv",
        diabetes_csv=root / "diabetes.csv",
        lr_skops=root / "lr.skops",
        lr_joblib=root / "lr.joblib",
        lr_onnx=root / "lr.onnx",
        mlp_onnx=make_mlp_onnx(root / "mlp.onnx", n_features=30),
        hgb_skops=root / "hgb.skops",
        mixed_csv=root / "mixed.csv",
        wine_skops=root / "wine.skops",
        diabetes_skops=root / "diabetes.skops",
    )


def make_mlp_onnx(path: Path, n_features: int, hidden: int = 16, classes: int = 2) -> Path:
    """A small network as a deep-learning exporter would write it: weights as initializers,
    one input tensor, one output of class scores (logits)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)
    inits = [
        numpy_helper.from_array(
            rng.normal(size=(n_features, hidden)).astype(np.float32) * 0.05, "W1"
        ),
        numpy_helper.from_array(np.zeros(hidden, np.float32), "b1"),
        numpy_helper.from_array(rng.normal(size=(hidden, classes)).astype(np.float32) * 0.05, "W2"),
        numpy_helper.from_array(np.zeros(classes, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("MatMul", ["input", "W1"], ["h"]),
        helper.make_node("Add", ["h", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "W2"], ["o"]),
        helper.make_node("Add", ["o", "b2"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", n_features])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        inits,
    )
    model = helper.make_model(
        graph, producer_name="baton-tests", opset_imports=[helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))
    return path


def logit_network(path, lr_pipeline, *, sigmoid: bool = False):
    """The scaler and logistic regression of ``lr_pipeline`` as MatMul + Add, one output
    column: the logit (or, with ``sigmoid``, the probability) of class 1."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    scaler, lr = lr_pipeline[0], lr_pipeline[-1]
    w = (lr.coef_[0] / scaler.scale_).astype(np.float32).reshape(-1, 1)
    b = np.array([lr.intercept_[0] - float(np.sum(lr.coef_[0] * scaler.mean_ / scaler.scale_))])
    nodes = [
        helper.make_node("MatMul", ["input", "W"], ["z"]),
        helper.make_node("Add", ["z", "b"], ["logit" if not sigmoid else "s"]),
    ]
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", ["s"], ["logit"]))
    graph = helper.make_graph(
        nodes,
        "single_logit",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", w.shape[0]])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch", 1])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b.astype(np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))
    return path
