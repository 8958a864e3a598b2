"""ONNX models: parsed without external data (a model whose weights live in other files is
refused), and read for their classes, parameter count and input features."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from baton.core.errors import ModelError, UnsafeInput

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
                    "as one file: export it with torch.onnx.export(..., external_data=False), "
                    "or re-save it with onnx.save_model(..., save_as_external_data=False)",
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
