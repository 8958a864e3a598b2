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
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from baton.core.catalog.records import feature_names
from baton.core.data import allowlist
from baton.core.errors import BatonError, FeatureMismatch, ModelError, UnsafeInput

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

# A .skops file's members may unpack to this many times the file's size, together, once
# they exceed SKOPS_FREE_BYTES (skops stores members uncompressed; a model re-zipped with
# compression stays far below this, a ZIP bomb far above).
SKOPS_MAX_RATIO = 200
SKOPS_FREE_BYTES = 1 << 20
# Containers nested in schema.json; a deep scikit-learn pipeline uses a few dozen.
SKOPS_MAX_DEPTH = 200
_OFF_LIST_SHOWN = 20

# How a refusal names what a loader would have done with the class it names.
_LOADER_WORDS = {
    "FunctionNode": "function",
    "MethodNode": "method",
    "PartialNode": "partial function",
    "OperatorFuncNode": "operator",
    "TypeNode": "reference",
    "ConstructorFromReduceNode": "constructor call",
    "LossNode": "loss",
    "TreeNode": "tree",
    "NdArrayNode": "array",
    "SparseMatrixNode": "sparse matrix",
    "MaskedArrayNode": "masked array",
    "DTypeNode": "dtype",
    "RandomStateNode": "random state",
    "RandomGeneratorNode": "random generator",
    "DictNode": "dict",
    "ListNode": "list",
    "TupleNode": "tuple",
    "JsonNode": "value",
    "SliceNode": "slice",
}


def _show(text: str) -> str:
    """A name from the file, with control and other unprintable characters escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _unreadable(name: str, why: str) -> ModelError:
    return ModelError(f"{name} is not a readable .skops file ({why})", path=name)


def skops_allowed_types(path: str | os.PathLike[str]) -> list[str]:
    """Every class a .skops file builds, all on Baton's allowlist; refuses anything else.

    Reads the file's ``schema.json`` without importing anything it names. Run it in the
    child process: the caps below bound what a hostile file can cost, not what it is.
    """
    path = Path(path)
    return check_skops(path.read_bytes(), path.name)


def check_skops(data: bytes, name: str) -> list[str]:
    """:func:`skops_allowed_types` of a .skops file held in memory, named ``name``."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise _unreadable(name, f"not a ZIP: {exc}") from None
    with zf:
        _check_members(zf.infolist(), len(data), name, name)
        if "schema.json" not in zf.NameToInfo:
            raise _unreadable(name, "it has no schema.json")
        schema = _load_schema(_read_member(zf, "schema.json", name), name)
        return _check_schema(schema, zf, name)


def _check_members(infos, packed: int, name: str, label: str) -> None:
    """One entry per name, and no more unpacked bytes than the packed size warrants."""
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[0]
        raise _unreadable(name, f"it holds two members named {_show(twice)}")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > max(SKOPS_FREE_BYTES, SKOPS_MAX_RATIO * packed):
        raise UnsafeInput(
            f"{label} would unpack to {unpacked:,} bytes from {packed:,}; Baton refuses "
            f"a .skops file that unpacks to more than {SKOPS_MAX_RATIO} times its size "
            "(a likely ZIP bomb)",
            path=name,
        )


def _read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError,
            OSError, ValueError) as exc:  # fmt: skip
        raise _unreadable(name, f"{_show(member)}: {exc}") from None


def _load_schema(raw: bytes, name: str) -> dict:
    try:
        schema = json.loads(raw)
    except RecursionError:
        raise _unreadable(name, f"schema.json nests deeper than {SKOPS_MAX_DEPTH} levels") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise _unreadable(name, f"schema.json is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise _unreadable(name, "schema.json does not describe an object")
    protocol = schema.get("protocol")
    if isinstance(protocol, bool) or protocol not in allowlist.SKOPS_PROTOCOLS:
        raise ModelError(
            f"{name} was saved with skops protocol {protocol!r}; Baton reads protocols "
            f"{' and '.join(map(str, allowlist.SKOPS_PROTOCOLS))}. Save the model again with "
            "a current skops",
            path=name,
        )
    return schema


def _check_schema(schema: dict, zf: zipfile.ZipFile, name: str) -> list[str]:
    """Walk every container of the schema; check each node (a dict naming a loader)."""
    found: set[str] = set()
    off_list: dict[str, None] = {}  # ordered set
    readers: dict[str, int | None] = {}  # member -> the __id__ of the one node that reads it
    stack: list[tuple[Any, int]] = [(schema, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > SKOPS_MAX_DEPTH:
            raise _unreadable(name, f"schema.json nests deeper than {SKOPS_MAX_DEPTH} levels")
        if isinstance(item, dict):
            if {"__loader__", "__module__", "__class__"} & item.keys():
                problem = _check_node(item, zf, name, readers)
                if problem:
                    off_list[problem] = None
                else:
                    found.add(f"{item['__module__']}.{item['__class__']}")
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    if off_list:
        shown = list(off_list)[:_OFF_LIST_SHOWN]
        more = len(off_list) - len(shown)
        raise UnsafeInput(
            f"{name} needs types outside Baton's allowlist of scikit-learn estimators and "
            f"numpy/scipy data types: {', '.join(shown)}{f' and {more} more' if more else ''}. "
            "Baton refuses to load it; export the model with only scikit-learn components, "
            "or as ONNX",
            path=name,
        )
    return sorted(found)


def _refuse_file_reader(node: dict, name: str) -> None:
    """A text vectoriser passes only if its saved ``input`` is exactly ``"content"``."""
    state = node.get("content")
    fields = state.get("content") if isinstance(state, dict) else None
    entry = fields.get("input") if isinstance(fields, dict) else None
    raw = (
        entry.get("content")
        if isinstance(entry, dict) and entry.get("__loader__") == "JsonNode"
        else None
    )
    if raw == '"content"':
        return
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    shown = repr(value) if isinstance(value, str) else "an unreadable value"
    raise UnsafeInput(_reads_files(name, [f"{node['__class__']}(input={_show(shown)})"]), path=name)


def _reads_files(name: str, readers: list[str]) -> str:
    return (
        f"{name} holds {', '.join(readers)}, which opens the files its input rows name; "
        "Baton runs no model that reads files (set input='content' and pass the text)"
    )


def _check_node(
    node: dict, zf: zipfile.ZipFile, name: str, readers: dict[str, int | None]
) -> str | None:
    """How the refusal names this node if it is off the list, else None (it may pass)."""
    loader, module, cls = node.get("__loader__"), node.get("__module__"), node.get("__class__")
    if not (isinstance(loader, str) and isinstance(module, str) and isinstance(cls, str)):
        raise _unreadable(name, "a node without a loader, module and class")
    node_id = node.get("__id__")
    if node_id is not None and (isinstance(node_id, bool) or not isinstance(node_id, int)):
        raise _unreadable(name, f"a node with the id {_show(repr(node_id))}")
    full = f"{module}.{cls}"
    allowed = allowlist.ALLOWED.get(loader)
    if allowed is None or "." in cls or full not in allowed:
        if loader == "MethodNode":
            func = (
                (node.get("content") or {}).get("func")
                if isinstance(node.get("content"), dict)
                else None
            )
            full = f"{full}.{func}" if isinstance(func, str) else full
        word = _LOADER_WORDS.get(loader, loader)
        return _show(full) if loader == "ObjectNode" else f"{_show(full)} ({_show(word)})"
    if loader == "ObjectNode" and full in allowlist.READS_NAMED_FILES:
        _refuse_file_reader(node, name)
    if loader == "NdArrayNode":
        kind = node.get("type")
        if kind == "numpy":
            _check_npy(zf, _data_file(node, zf, name, readers), name)
        elif kind != "json":
            raise _unreadable(name, f"an array stored as {_show(repr(kind))}")
    elif loader == "SparseMatrixNode":
        if node.get("type") != "scipy":
            raise _unreadable(name, f"a sparse matrix stored as {_show(repr(node.get('type')))}")
        _check_npz(zf, _data_file(node, zf, name, readers), name)
    elif loader == "RandomGeneratorNode":
        return _check_bit_generator(node, name)
    elif loader == "JsonNode" and not isinstance(node.get("content"), str):
        raise _unreadable(name, "a value that is not JSON text")
    return None


def _data_file(node: dict, zf: zipfile.ZipFile, name: str, readers: dict[str, int | None]) -> str:
    """The member an array node reads; each is read for one object only, so that a small
    schema cannot make skops load one large member thousands of times."""
    member, node_id = node.get("file"), node.get("__id__") or None
    if not isinstance(member, str) or member not in zf.NameToInfo:
        shown = _show(member) if isinstance(member, str) else "a missing file"
        raise _unreadable(name, f"an array refers to {shown}, which it does not contain")
    if member in readers and (node_id is None or readers[member] != node_id):
        raise _unreadable(name, f"{_show(member)} is read for more than one object")
    readers[member] = node_id
    return member


def _check_npy(zf: zipfile.ZipFile, member: str, name: str) -> None:
    """The array's header must declare exactly the data the member holds, and no objects."""
    import numpy.lib.format as npy

    info = zf.getinfo(member)
    try:
        with zf.open(info) as fh:
            version = npy.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = npy.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, _, dtype = npy.read_array_header_2_0(fh)
            else:
                raise ValueError(f"array format {version} is not one numpy.save writes")
            offset = fh.tell()
    except (ValueError, SyntaxError, TypeError, EOFError, OSError, zipfile.BadZipFile,
            RuntimeError, NotImplementedError, zlib.error) as exc:  # fmt: skip
        raise _unreadable(name, f"{_show(member)} is not a numpy array file: {exc}") from None
    if dtype.hasobject:
        raise UnsafeInput(
            f"{name}: {_show(member)} holds Python objects, which numpy stores as a pickle; "
            "Baton never loads pickles",
            path=name,
        )
    declared = math.prod(shape) * dtype.itemsize
    if offset + declared != info.file_size:
        raise _unreadable(
            name,
            f"{_show(member)} declares {declared:,} bytes of array data but holds "
            f"{info.file_size - offset:,}",
        )


def _check_npz(zf: zipfile.ZipFile, member: str, name: str) -> None:
    """A sparse matrix is a ZIP of arrays inside the .skops ZIP: the same caps, one level."""
    raw = _read_member(zf, member, name)
    try:
        inner = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise _unreadable(name, f"{_show(member)} is not a sparse matrix file: {exc}") from None
    with inner:
        infos = inner.infolist()
        _check_members(infos, len(raw), name, f"{name}: {_show(member)}")
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise _unreadable(name, f"{_show(member)} holds {_show(info.filename)}")
            _check_npy(inner, info.filename, name)


def _check_bit_generator(node: dict, name: str) -> str | None:
    """numpy rebuilds a Generator by calling the ``numpy.random`` attribute its saved state
    names (a plain string in the file), so that name is checked like a class."""
    try:
        saved = node["content"]["bit_generator"]["content"]["bit_generator"]
        bit_generator = json.loads(saved["content"]) if saved["__loader__"] == "JsonNode" else None
    except (KeyError, TypeError, ValueError):
        bit_generator = None
    if not isinstance(bit_generator, str):
        raise _unreadable(name, "a random generator without the name of its bit generator")
    if bit_generator not in allowlist.BIT_GENERATORS:
        return f"numpy.random.{_show(bit_generator)} (bit generator)"
    return None


def child_load_skops(path: str) -> Any:
    """Load a .skops file trusting exactly the classes the check found (child only)."""
    return load_skops_checked(path)[0]


def load_skops_checked(path: str) -> tuple[Any, list[str]]:
    """The model in a .skops file and the classes it was allowed to build (child only)."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    data = Path(path).read_bytes()
    name = Path(path).name
    types = check_skops(data, name)  # the same bytes skops reads next: one reading
    try:
        model = sio.loads(data, trusted=types)
    except UntrustedTypesFoundException as exc:  # skops saw a type the walk did not
        raise UnsafeInput(
            f"{name} needs types outside Baton's allowlist: {exc}", path=name
        ) from None
    except (MemoryError, BatonError):
        raise
    except Exception as exc:  # skops raises a zoo of errors on a damaged file
        raise ModelError(
            f"{name} could not be loaded ({type(exc).__name__}: {exc})", path=name
        ) from None
    readers = allowlist.file_readers(model)
    if readers:
        raise UnsafeInput(_reads_files(name, readers), path=name)
    return model, types


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
    source = "labels" if classes is not None else None
    if classes is not None:
        task = "binary" if len(classes) == 2 else "multiclass"
    else:
        shape = outputs[0]["shape"] if outputs else None
        width = shape[-1] if shape and len(shape) >= 2 else 1
        if isinstance(width, int) and width > 1:
            classes = list(range(width))
            task = "binary" if width == 2 else "multiclass"
            source = "columns"
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
        "classes_source": source,
        "output_op": _producer_op(model.graph, outputs[0]["name"]) if outputs else None,
        "features": _onnx_features(inputs),
        "inputs": inputs,
        "outputs": outputs,
        "params": params,
    }


# Nodes that pass a tensor on unchanged in value: the output's kind is that of their input.
_PASS_THROUGH = {"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"}


def _producer_op(graph, name: str) -> str | None:
    """The operator that computes the graph output ``name``, looking through reshapes."""
    producers = {out: node for node in graph.node for out in node.output}
    for _ in range(len(graph.node) + 1):
        node = producers.get(name)
        if node is None:
            return None
        if node.op_type not in _PASS_THROUGH or not node.input:
            # Shown to the user later: an operator's name is an identifier, or nothing.
            return node.op_type if node.op_type.isidentifier() else None
        name = node.input[0]
    return None


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
            f"the model reads {len(features)} input feature(s) but {where} names {len(names)}"
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

    def predict_raw(self, X) -> Any:
        """The bare predict call that latency profiling times."""
        if self.fmt == "skops":
            return self.model.predict(X)
        return self.session.run(self.outputs[:1], self._onnx_feed(X))

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
