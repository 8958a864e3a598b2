"""Models: safe loading, introspection and prediction for scikit-learn and ONNX.

What is loaded where:

- ``.skops`` files are checked against :data:`ALLOWED_MODULES` *before* anything is
  built: a file naming any type outside scikit-learn, numpy or scipy is refused with the
  list of those types. Loading and prediction then happen in the child process.
- ``.onnx`` files are parsed here without external data; a model whose weights live in
  external files (or that points at paths) is refused. onnxruntime runs in the child.
- ``.joblib`` / ``.pkl`` are pickles: imported only with explicit consent, unpickled in
  the child only, re-saved as ``.skops`` (which must then pass the allowlist) and their
  predictions compared with the re-saved model's on a dataset the user names. The
  catalog stores the ``.skops`` file, never the pickle.

Functions whose names start with ``child_`` run inside the child process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError, UnsafeInput

ALLOWED_MODULES = ("sklearn", "numpy", "scipy")
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


def skops_allowed_types(path: str | os.PathLike[str]) -> list[str]:
    """Types the file needs beyond skops' defaults; refuses any outside the allowlist."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=str(path))
    except Exception as exc:  # skops raises a zoo of errors on a damaged file
        raise ModelError(
            f"{Path(path).name} is not a readable .skops file ({type(exc).__name__}: {exc})",
            path=str(path),
        ) from exc
    off_list = sorted(t for t in untrusted if t.split(".", 1)[0] not in ALLOWED_MODULES)
    if off_list:
        raise UnsafeInput(
            f"{Path(path).name} needs types outside Baton's allowlist (scikit-learn, numpy, "
            f"scipy): {', '.join(off_list)}. Baton refuses to load it; export the model with "
            "only scikit-learn components, or as ONNX",
            path=str(path),
        )
    return sorted(untrusted)


def child_load_skops(path: str) -> Any:
    import skops.io as sio

    return sio.load(path, trusted=skops_allowed_types(path))


# --- ONNX -------------------------------------------------------------------------------

ONNX_ELEM_TYPES = {
    1: "float32",
    2: "uint8",
    3: "int8",
    5: "int16",
    6: "int32",
    7: "int64",
    8: "string",
    9: "bool",
    10: "float16",
    11: "float64",
    12: "uint32",
    13: "uint64",
}


def _onnx_graphs(graph):
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.g is not None and attr.HasField("g"):
                yield from _onnx_graphs(attr.g)
            for g in attr.graphs:
                yield from _onnx_graphs(g)


def load_onnx_checked(path: str | os.PathLike[str]):
    """Parse an ONNX file, refusing external data; returns the ModelProto."""
    import onnx
    from google.protobuf.message import DecodeError

    name = Path(path).name
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, OSError, RuntimeError) as exc:
        raise ModelError(f"{name} is not a readable ONNX file ({exc})", path=str(path)) from exc
    for graph in _onnx_graphs(model.graph):
        tensors = list(graph.initializer) + [
            a.t for n in graph.node for a in n.attribute if a.HasField("t")
        ]
        for tensor in tensors:
            if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
                where = {e.key: e.value for e in tensor.external_data}.get("location", "?")
                raise UnsafeInput(
                    f"{name} keeps the weights of {tensor.name!r} in an external file "
                    f"({where!r}); Baton only accepts ONNX models with inline weights. Save it "
                    "with onnx.save_model(..., save_as_external_data=False)",
                    path=str(path),
                )
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ModelError(f"{name} is not a valid ONNX model: {first}", path=str(path)) from exc
    return model


def _onnx_value_info(v) -> dict[str, Any]:
    t = v.type
    if t.HasField("tensor_type"):
        shape = [
            d.dim_param or (d.dim_value if d.HasField("dim_value") else None)
            for d in t.tensor_type.shape.dim
        ]
        return {
            "name": v.name,
            "dtype": ONNX_ELEM_TYPES.get(t.tensor_type.elem_type, str(t.tensor_type.elem_type)),
            "shape": shape,
        }
    if t.HasField("sequence_type"):
        return {"name": v.name, "dtype": "sequence", "shape": None}
    return {"name": v.name, "dtype": t.WhichOneof("value"), "shape": None}


def onnx_classes(model) -> list | None:
    for graph in _onnx_graphs(model.graph):
        for node in graph.node:
            if node.op_type == "ZipMap" or node.op_type.endswith("Classifier"):
                for attr in node.attribute:
                    if attr.name == "classlabels_strings" and attr.strings:
                        return [s.decode() for s in attr.strings]
                    if attr.name in ("classlabels_int64s", "classlabels_ints") and attr.ints:
                        return [int(i) for i in attr.ints]
    return None


def onnx_param_count(model) -> int:
    """Learned values in an ONNX graph: initializer elements, constant tensors in node
    attributes, and the float lists that ONNX-ML operators keep their weights in
    (``coefficients``, ``intercepts``, tree ``nodes_values`` and leaf weights, …)."""
    import onnx

    total = 0
    for graph in _onnx_graphs(model.graph):
        for tensor in graph.initializer:
            total += int(np.prod(tensor.dims)) if len(tensor.dims) else 1
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.TENSOR:
                    total += int(np.prod(attr.t.dims)) if len(attr.t.dims) else 1
                elif attr.type == onnx.AttributeProto.FLOATS:
                    total += len(attr.floats)
    return total


def introspect_onnx(path: str | os.PathLike[str]) -> dict[str, Any]:
    model = load_onnx_checked(path)
    params = onnx_param_count(model)
    classes = onnx_classes(model)
    outputs = [_onnx_value_info(o) for o in model.graph.output]
    if classes is not None:
        task = "binary" if len(classes) == 2 else "multiclass"
    else:
        shape = outputs[0]["shape"] if outputs else None
        width = shape[-1] if shape and len(shape) >= 2 else 1
        if isinstance(width, int) and width > 1:
            classes = list(range(width))
            task = "binary" if width == 2 else "multiclass"
        else:
            task = "regression"
    inputs = [_onnx_value_info(i) for i in model.graph.input]
    initializer_names = {t.name for t in model.graph.initializer}
    inputs = [i for i in inputs if i["name"] not in initializer_names]
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    return {
        "format": "onnx",
        "framework": "onnx",
        "framework_version": f"ir{model.ir_version}",
        "producer": f"{model.producer_name} {model.producer_version}".strip() or None,
        "opset": opsets.get("ai.onnx"),
        "opsets": opsets,
        "estimator": f"ONNX graph ({len(model.graph.node)} nodes)",
        "task": task,
        "classes": classes,
        "features": _onnx_features(inputs),
        "inputs": inputs,
        "outputs": outputs,
        "params": params,
    }


def _onnx_features(inputs: list[dict]) -> list[dict]:
    if (
        len(inputs) == 1
        and inputs[0]["shape"]
        and len(inputs[0]["shape"]) == 2
        and isinstance(inputs[0]["shape"][1], int)
    ):
        return [
            {"name": None, "dtype": inputs[0]["dtype"], "index": i}
            for i in range(inputs[0]["shape"][1])
        ]
    return [{"name": i["name"], "dtype": i["dtype"]} for i in inputs]


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


def select_features(info: dict[str, Any], frame):
    """The model's input columns from a DataFrame, in the order the model expects."""
    features = info.get("features") or []
    names = [f["name"] for f in features if f.get("name")]
    if names:
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise ModelError(
                f"the data lacks {len(missing)} column(s) the model needs: {', '.join(map(str, missing[:10]))}"
            )
        return frame[names]
    if features and len(frame.columns) != len(features):
        raise ModelError(
            f"the model expects {len(features)} features but the data has {len(frame.columns)} "
            "feature columns (after removing the target and id columns)"
        )
    return frame


class Predictor:
    """A loaded model with one interface for scikit-learn and ONNX (child process only)."""

    def __init__(self, path: str, fmt: str, info: dict[str, Any]) -> None:
        self.fmt = fmt
        self.info = info
        self.classes = info.get("classes")
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

    def predict_raw(self, X) -> Any:
        """The bare predict call that latency profiling times."""
        if self.fmt == "skops":
            return self.model.predict(X)
        return self.session.run(self.outputs[:1], self._onnx_feed(X))

    def predict(self, X) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels (or values) and class probabilities (None for regressors)."""
        if self.fmt == "skops":
            labels = np.asarray(self.model.predict(X))
            proba = None
            if self.info.get("task") != "regression" and hasattr(self.model, "predict_proba"):
                proba = np.asarray(self.model.predict_proba(X), dtype=np.float64)
            return labels, proba
        out = self.session.run(None, self._onnx_feed(X))
        first = np.asarray(out[0])
        if self.info.get("task") == "regression":
            return first.reshape(len(first), -1)[:, 0].astype(np.float64), None
        proba = None
        if len(out) > 1:
            second = out[1]
            if isinstance(second, list):  # ZipMap: a list of {class: probability}
                proba = np.array(
                    [[row[c] for c in self.classes] for row in second], dtype=np.float64
                )
            else:
                proba = np.asarray(second, dtype=np.float64)
            return first.reshape(-1), proba
        # A bare network: one score per class. Probabilities if they already are, else softmax.
        scores = first.astype(np.float64)
        if not (np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1, atol=1e-4)):
            z = np.exp(scores - scores.max(axis=1, keepdims=True))
            scores = z / z.sum(axis=1, keepdims=True)
        labels = np.asarray(self.classes)[scores.argmax(axis=1)]
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
