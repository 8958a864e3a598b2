"""Models: safe loading, introspection and prediction for scikit-learn and ONNX.

What is loaded where:

- ``.skops`` files: every node of the schema is checked against the exact list of
  classes in :mod:`baton.core.data.allowlist` (by how skops would build it, too) *before*
  anything is built, and a file naming anything else is refused with the list of what
  it named. skops then loads the same bytes trusting exactly the classes found. Both
  happen in the child process, as does prediction.
- ``.onnx`` files are parsed here without external data; a model whose weights live in
  external files (or that points at paths) is refused. onnxruntime runs in the child.
- ``.joblib`` / ``.pkl`` are pickles: imported only with explicit consent, unpickled in
  the child only, re-saved as ``.skops`` (which must then pass the allowlist) and their
  predictions compared with the re-saved model's on a dataset the user names. The
  catalog stores the ``.skops`` file, never the pickle.

Functions whose names start with ``child_`` run inside the child process.

This module detects formats, introspects scikit-learn estimators, binds features and
predicts; :mod:`~baton.core.data.skops_check` checks and loads ``.skops`` files and
:mod:`~baton.core.data.onnx_model` parses and reads ONNX models.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from baton.core.catalog.records import feature_names
from baton.core.data.onnx_model import introspect_onnx, load_onnx_checked
from baton.core.data.skops_check import (
    check_skops,
    child_load_skops,
    load_skops_checked,
    skops_allowed_types,
)
from baton.core.errors import FeatureMismatch, ModelError
from baton.core.present import counted

__all__ = [
    "MODEL_FORMATS",
    "Predictor",
    "check_columns_match",
    "check_skops",
    "child_load_skops",
    "count_params",
    "describe_estimator",
    "detect_model_format",
    "feature_names",
    "final_estimator",
    "introspect_onnx",
    "introspect_sklearn",
    "load_onnx_checked",
    "load_skops_checked",
    "name_features",
    "select_features",
    "skops_allowed_types",
]

MODEL_FORMATS = {
    ".skops": "skops",
    ".onnx": "onnx",
    ".joblib": "pickle",
    ".pkl": "pickle",
    ".pickle": "pickle",
}


def detect_model_format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in MODEL_FORMATS:
        raise ModelError(
            f"{Path(path).name}: unsupported model format {suffix or '(no extension)'!r}; Baton "
            "loads .skops and .onnx files, and imports .joblib / .pkl with --trust-pickle",
            path=str(path),
        )
    return MODEL_FORMATS[suffix]


# --- skops ------------------------------------------------------------------------------


# --- ONNX -------------------------------------------------------------------------------


# --- scikit-learn introspection ----------------------------------------------------------


def _is_frozen(est: Any) -> bool:
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # scikit-learn before 1.6
        return False
    return isinstance(est, FrozenEstimator)


def _children(est: Any) -> list[Any]:
    out: list[Any] = []
    if hasattr(est, "steps"):
        out += [s for _, s in est.steps if s not in (None, "passthrough")]
    if hasattr(est, "transformers_"):
        out += [t for _, t, _ in est.transformers_ if t not in ("drop", "passthrough")]
    if hasattr(est, "transformer_list"):
        out += [t for _, t in est.transformer_list if t not in ("drop", "passthrough")]
    members = getattr(est, "estimators_", None)
    if isinstance(members, list | tuple | np.ndarray):
        out += [
            e
            for e in np.ravel(np.asarray(members, dtype=object))
            if hasattr(e, "get_params") or hasattr(e, "tree_")
        ]
    # A calibrated classifier keeps, per fold, a plain object holding the fold's fitted
    # classifier and one calibrator per class; neither is an estimator attribute.
    for fold in getattr(est, "calibrated_classifiers_", None) or ():
        out += [fold.estimator, *fold.calibrators]
    single = ["final_estimator_", "regressor_", "transformer_"]
    if _is_frozen(est):  # a prefit model wrapped for calibration keeps it in .estimator
        single.append("estimator")
    elif not hasattr(est, "estimators_"):
        # An ensemble's estimator_ is only the unfitted template of its members.
        single.append("estimator_")
    for attr in single:
        value = getattr(est, attr, None)
        if value is not None and hasattr(value, "fit"):
            out.append(value)
    return out


_NOT_PARAMS = {
    "var_",
    "class_weight_",
    "n_features_in_",
    "feature_names_in_",
    "classes_",
    "n_classes_",
    "n_outputs_",
    "n_iter_",
    "n_samples_seen_",
    "feature_importances_",
    "train_score_",
    "validation_score_",
    "oob_score_",
    "categories_",
    "feature_names_out_",
    "singular_",  # singular values of the training data, kept by LinearRegression for reference
}
# Learned values that scikit-learn keeps as a bare float rather than an array: the
# intercept of a single-output linear model, the slope and offset of a sigmoid calibrator.
_SCALAR_PARAMS = {"intercept_", "a_", "b_"}


def count_params(est: Any) -> int:
    """Number of learned values in a fitted scikit-learn estimator, recursively.

    Counted: fitted float arrays (``coef_``, ``intercept_``, ``mean_``, ``scale_``,
    ``support_vectors_``, ``dual_coef_``, ``coefs_`` lists of an MLP, …); one per node of a
    decision tree (``tree_.node_count``) and per node of each histogram-gradient-boosting
    predictor; the learned categories of encoders; the bare-float intercept of a
    single-output linear model. Composite models add up their fitted parts: pipelines and
    column transformers, every member of an ensemble, stacking (members and final
    estimator), voting, bagging, one-vs-rest, a transformed-target regressor (regressor
    and target transformer), and a calibrated classifier (each fold's classifier and
    calibrators: two per sigmoid, the thresholds of an isotonic one). Bookkeeping
    attributes (feature names, class labels, iteration counts, scores) are not parameters.
    """
    total = 0
    if hasattr(est, "tree_") and hasattr(est.tree_, "node_count"):
        total += int(est.tree_.node_count)
    predictors = getattr(est, "_predictors", None)
    if predictors:
        total += sum(len(p.nodes) for stage in predictors for p in stage)
    for name, value in vars(est).items():
        if not name.endswith("_") or name.startswith("_") or name in _NOT_PARAMS or name == "tree_":
            continue
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
            total += int(value.size)
        elif name in _SCALAR_PARAMS and isinstance(value, float | np.floating):
            total += 1
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, np.ndarray) and v.dtype.kind in "fc" for v in value)
        ):
            total += sum(int(v.size) for v in value)
    cats = getattr(est, "categories_", None)
    if isinstance(cats, list):
        total += sum(len(c) for c in cats)
    for child in _children(est):
        total += count_params(child)
    return total


def describe_estimator(est: Any) -> str:
    if hasattr(est, "steps"):
        return (
            f"Pipeline({', '.join(describe_estimator(s) for _, s in est.steps if s is not None)})"
        )
    if hasattr(est, "transformers_") or hasattr(est, "transformers"):
        parts = [
            describe_estimator(t) if hasattr(t, "fit") else str(t)
            for _, t, _ in getattr(est, "transformers_", est.transformers)
        ]
        return f"ColumnTransformer({', '.join(parts)})"
    return type(est).__name__


def final_estimator(est: Any) -> Any:
    while hasattr(est, "steps"):
        est = est.steps[-1][1]
    return est


def introspect_sklearn(est: Any) -> dict[str, Any]:
    import sklearn
    from sklearn.base import is_classifier, is_regressor

    if not hasattr(est, "predict"):
        raise ModelError(
            f"the file holds a {type(est).__name__}, which has no predict(); Baton needs a fitted estimator or pipeline"
        )
    classes = getattr(est, "classes_", None)
    if is_classifier(est) or classes is not None:
        classes_list = [
            c.item() if hasattr(c, "item") else c for c in (classes if classes is not None else [])
        ]
        task = "binary" if len(classes_list) == 2 else "multiclass"
    elif is_regressor(est):
        classes_list, task = None, "regression"
    else:
        classes_list, task = None, "regression"
    names = getattr(est, "feature_names_in_", None)
    n_features = getattr(est, "n_features_in_", None)
    features: list[dict[str, Any]]
    if names is not None:
        features = [{"name": str(n), "dtype": None} for n in names]
    elif n_features is not None:
        features = [{"name": None, "dtype": None, "index": i} for i in range(int(n_features))]
    else:
        features = []
    return {
        "format": "skops",
        "framework": "scikit-learn",
        "framework_version": sklearn.__version__,
        "producer": None,
        "opset": None,
        "estimator": describe_estimator(est),
        "final_estimator": type(final_estimator(est)).__name__,
        "task": task,
        "classes": classes_list,
        "features": features,
        "params": count_params(est),
        "has_predict_proba": hasattr(est, "predict_proba") and task != "regression",
    }


# --- prediction (child side) -------------------------------------------------------------


def _listed(names: list[str], limit: int = 10) -> str:
    """Names for a message: the first ``limit``, each cut at 80 characters (a column name
    can come from someone else's file)."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    shown = [n if len(n) <= 80 else n[:79] + "…" for n in map(str, names[:limit])]
    return ", ".join(shown) + more


def name_features(
    features: list[dict], names: list[str] | tuple[str, ...], where: str, dtypes: dict | None = None
) -> list[dict]:
    """The model's features named ``names`` (in the order the model reads them); ``where``
    says where the names come from, for the refusal of a list of the wrong length."""
    names = [str(n).strip() for n in names]
    if len(names) != len(features):
        raise FeatureMismatch(
            f"the model reads {counted(len(features), 'input feature')} but {where} names "
            f"{len(names)}"
            f"{': ' + _listed(names) if names else ''}"
        )
    if not all(names):
        raise FeatureMismatch(f"{where} has an empty feature name")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise FeatureMismatch(f"{where} names a feature twice: {_listed(twice)}")
    dtypes = dtypes or {}
    return [
        {"name": n, "dtype": f.get("dtype") or dtypes.get(n)}
        for n, f in zip(names, features, strict=True)
    ]


def check_columns_match(names: list[str], columns: list[str], label: str) -> None:
    """Refuse data whose feature columns are not exactly the model's features (by name)."""
    missing = [n for n in names if n not in set(columns)]
    extra = [c for c in columns if c not in set(names)]
    if not (missing or extra):
        return
    parts = []
    if missing:
        parts.append(f"lacks {_listed(missing)}")
    if extra:
        parts.append(f"has columns the model does not read: {_listed(extra)}")
    raise FeatureMismatch(
        f"{label} {' and '.join(parts)}; the model reads its features by name "
        f"({len(names)}: {_listed(names, 12)})"
    )


def select_features(info: dict[str, Any], frame):
    """The model's input columns from a DataFrame, in the order the model reads them.

    Named features are matched by name: a frame in another order is reordered, one with
    missing or extra columns refused. Unnamed features (only before the names are bound)
    are fed by position.
    """
    features = info.get("features") or []
    names = feature_names(features)
    if names:
        label = info.get("data_label") or "the data"
        check_columns_match(names, [str(c) for c in frame.columns], label)
        return frame[names]
    if features and len(frame.columns) != len(features):
        raise FeatureMismatch(
            f"the model expects {len(features)} features but the data has {len(frame.columns)} "
            "feature columns (after removing the target and id columns)"
        )
    return frame


class Predictor:
    """A loaded model with one interface for scikit-learn and ONNX (child process only)."""

    def __init__(self, path: str, fmt: str, info: dict[str, Any]) -> None:
        from baton.core.data.declare import class_ids

        self.fmt = fmt
        self.info = info
        self.classes = info.get("classes")
        self._ids = class_ids(info)  # what the model outputs, before declared names
        if fmt == "skops":
            self.model = child_load_skops(path)
        elif fmt == "onnx":
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            self.session = ort.InferenceSession(
                path, sess_options=opts, providers=["CPUExecutionProvider"]
            )
            self.inputs = self.session.get_inputs()
            self.outputs = [o.name for o in self.session.get_outputs()]
        else:
            raise ModelError(f"cannot run a model of format {fmt!r}")

    def select_features(self, frame):
        return select_features(self.info, frame)

    def _onnx_feed(self, X) -> dict[str, Any]:
        if len(self.inputs) == 1:
            inp = self.inputs[0]
            dtype = _ort_dtype(inp.type)
            values = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
            return {inp.name: values.astype(dtype, copy=False)}
        feed = {}
        for inp in self.inputs:
            dtype = _ort_dtype(inp.type)
            col = X[inp.name].to_numpy()
            if dtype is object:
                col = col.astype(str)
            feed[inp.name] = col.astype(dtype, copy=False).reshape(-1, 1)
        return feed

    def feed(self, X) -> Any:
        """What :meth:`run` takes for the rows ``X``: the frame itself for scikit-learn,
        onnxruntime's arrays for ONNX (built once, outside any timing)."""
        return X if self.fmt == "skops" else self._onnx_feed(X)

    def run(self, feed: Any) -> Any:
        """The bare predict call that latency profiling times, on a :meth:`feed`."""
        if self.fmt == "skops":
            return self.model.predict(feed)
        return self.session.run(self.outputs[:1], feed)

    def predict_raw(self, X) -> Any:
        return self.run(self.feed(X))

    def predict(self, X) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels (or values) and class probabilities (None for regressors)."""
        from baton.core.data.declare import read_output

        return read_output(self.info, *self._predict(X))

    def _predict(self, X) -> tuple[np.ndarray, np.ndarray | None]:
        from baton.core.data.declare import is_single_score

        if self.fmt == "skops":
            labels = np.asarray(self.model.predict(X))
            proba = None
            if self.info.get("task") != "regression" and hasattr(self.model, "predict_proba"):
                proba = np.asarray(self.model.predict_proba(X), dtype=np.float64)
            return labels, proba
        out = self.session.run(None, self._onnx_feed(X))
        first = np.asarray(out[0])
        if self.info.get("task") == "regression" or is_single_score(self.info):
            return first.reshape(len(first), -1)[:, 0].astype(np.float64), None
        proba = None
        if len(out) > 1:
            second = out[1]
            if isinstance(second, list):  # ZipMap: a list of {class: probability}
                proba = np.array(
                    [[row[c] for c in self._ids or ()] for row in second], dtype=np.float64
                )
            else:
                proba = np.asarray(second, dtype=np.float64)
            return first.reshape(-1), proba
        # A bare network: one score per class. Probabilities if they already are, else softmax.
        scores = first.astype(np.float64)
        if not (np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1, atol=1e-4)):
            z = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores = z / z.sum(axis=1, keepdims=True)
        labels = np.asarray(self._ids)[scores.argmax(axis=1)]
        return labels, scores


def _ort_dtype(type_name: str):
    return {
        "tensor(float)": np.float32,
        "tensor(double)": np.float64,
        "tensor(int64)": np.int64,
        "tensor(int32)": np.int32,
        "tensor(string)": object,
        "tensor(bool)": np.bool_,
    }.get(type_name, np.float32)
