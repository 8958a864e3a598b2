"""Entry point of the child process that runs model code: ``python -m baton.core.measure.child``.

Started as ``python -m baton.core.measure.child TASK``, it imports what the task needs
(:data:`WARM_IMPORTS`), then reads the path of one request written by
:mod:`baton.core.data.runner` from stdin, runs the task, prints progress
as JSON lines on stdout and writes ``{"result": ...}`` or ``{"error": ...}`` to the
response file. Unexpected exceptions print a traceback (the parent shows its tail as the
child's last words) and exit non-zero.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from baton.core.data.runner import OOM_EXIT, limit_own_memory
from baton.core.data.sandbox import isolate_network
from baton.core.errors import BatonError, DatasetError, ModelError


def _progress(done: float | None, total: float | None, message: str) -> None:
    print(json.dumps({"progress": [done, total, message]}), flush=True)


def _feature_columns(params: dict[str, Any], info: dict[str, Any]) -> list[str]:
    """The dataset's columns the model reads, in the order it reads them, found from the
    file's schema alone; data whose columns are not the model's features is refused
    exactly as :func:`~baton.core.data.models.select_features` refuses a whole frame."""
    from baton.core.data.datasets import schema_of
    from baton.core.data.models import select_features

    empty = schema_of(params["data"]).empty_table().to_pandas()
    drop = [c for c in (params.get("target"), params.get("id_column")) if c]
    return [str(c) for c in select_features(info, empty.drop(columns=drop)).columns]


def _features(params: dict[str, Any], info: dict[str, Any], rows: int | None = None):
    """The feature frame of the dataset named in a request (its first ``rows`` rows when
    given), read from the model's columns only."""
    from baton.core.data.datasets import read_columns

    columns = _feature_columns(params, info)
    return read_columns(params["data"], columns, rows).to_pandas()[columns]


def task_inspect(params: dict[str, Any]) -> dict[str, Any]:
    from baton.core.data.models import (
        Predictor,
        introspect_onnx,
        introspect_sklearn,
        load_skops_checked,
    )

    path, fmt = params["path"], params["format"]
    if fmt == "skops":
        model, types = load_skops_checked(path)
        info = introspect_sklearn(model)
        info["safety"] = {
            "method": "skops allowlist",
            # Python's own containers and values aside: the classes worth reviewing.
            "allowed_extra_types": [t for t in types if not t.startswith("builtins.")],
            "verdict": "passed",
        }
        return info
    info = introspect_onnx(path)
    Predictor(path, fmt, info)  # proves onnxruntime accepts it
    info["safety"] = {"method": "onnx inline weights", "verdict": "passed"}
    return info


def task_import_pickle(params: dict[str, Any]) -> dict[str, Any]:
    import joblib
    import numpy as np
    import skops.io as sio

    from baton.core.data.models import Predictor, introspect_sklearn

    _progress(0, 3, "loading the pickle")
    est = joblib.load(params["path"])
    if not hasattr(est, "predict"):
        raise ModelError(
            f"the pickle holds a {type(est).__name__}, not a fitted scikit-learn model"
        )
    _progress(1, 3, "re-saving as .skops")
    try:
        sio.dump(est, params["out"])
    except Exception as exc:
        raise ModelError(
            f"the model cannot be saved as .skops ({type(exc).__name__}: {exc})"
        ) from exc
    info = introspect_sklearn(est)
    skops_model = Predictor(params["out"], "skops", info)  # applies the allowlist
    _progress(2, 3, "comparing predictions")
    X = _features(params, info)
    before = np.asarray(est.predict(X))
    after = np.asarray(skops_model.model.predict(X))
    same = bool(np.array_equal(before, after))
    differing = int(np.sum(before != after)) if before.shape == after.shape else len(before)
    if not same:
        raise ModelError(
            f"the re-saved .skops model predicts differently from the pickle on {differing} of "
            f"{len(before)} rows; Baton will not import it"
        )
    info["safety"] = {
        "method": "pickle imported with consent, re-saved as .skops",
        "verdict": "passed",
        "checked_rows": len(before),
        "identical_predictions": True,
    }
    _progress(3, 3, "done")
    return info


# Rows per row group of the predictions file: what ``pyarrow.parquet.write_table`` uses, so
# the file is the same as if the whole table had been written at once.
PREDICTION_ROW_GROUP = 1024 * 1024


def task_predict(params: dict[str, Any]) -> dict[str, Any]:
    """Predict the dataset a batch at a time: memory holds one batch of the model's
    columns and one row group of predictions, whatever the size of the dataset."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from baton.core.data import datasets as ds
    from baton.core.data.models import Predictor

    _progress(0, None, "loading the model")
    model = Predictor(params["path"], params["format"], params["info"])
    columns = _feature_columns(params, model.info)
    id_col = params.get("id_column")
    total = ds.row_count(params["data"])
    batch_rows = int(params.get("batch_rows") or ds.batch_rows_for(len(columns)))
    read = columns + ([id_col] if id_col and id_col not in columns else [])
    seconds, done, has_proba = 0.0, 0, False
    pending: list[pa.Table] = []
    writer: pq.ParquetWriter | None = None

    def flush(final: bool) -> None:
        nonlocal writer, pending
        table = pa.concat_tables(pending)
        if writer is None:
            writer = pq.ParquetWriter(params["out"], table.schema, compression="zstd")
        whole = table.num_rows - table.num_rows % PREDICTION_ROW_GROUP
        ready = table.num_rows if final else whole
        if ready:  # an empty write would add an empty row group
            writer.write_table(table.slice(0, ready))
        pending = [] if final else [table.slice(whole)]

    try:
        for batch in ds.iter_batches(params["data"], read, batch_rows):
            of = f" of {total:,}" if total else ""
            _progress(done, total, f"predicting rows {done + 1:,}-{done + batch.num_rows:,}{of}")
            frame = batch.to_pandas()
            t0 = time.perf_counter()
            labels, proba = model.predict(frame[columns])
            seconds += time.perf_counter() - t0
            out: dict[str, Any] = {
                "row_id": frame[id_col].to_numpy()
                if id_col
                else np.arange(done, done + len(frame), dtype=np.int64),
                "prediction": labels,
            }
            if proba is not None:
                has_proba = True
                for i, cls in enumerate(model.classes or range(proba.shape[1])):
                    out[f"proba_{cls}"] = proba[:, i]
            table = pa.table(out)
            if pending:
                table = table.cast(pending[0].schema)
            pending.append(table)
            done += len(frame)
            if sum(t.num_rows for t in pending) >= PREDICTION_ROW_GROUP:
                flush(final=False)
        if done == 0:
            raise DatasetError("the dataset has no data rows; a dataset needs at least one row")
        flush(final=True)
    finally:
        if writer is not None:
            writer.close()
    _progress(done, total, "done")
    return {"rows": done, "seconds": seconds, "has_proba": has_proba}


def task_profile(params: dict[str, Any]) -> dict[str, Any]:
    """Memory first (in this fresh process), then latency per batch size."""
    from baton.core.data.models import Predictor
    from baton.core.measure import profiling

    batch_sizes = tuple(params.get("batch_sizes", profiling.DEFAULT_BATCH_SIZES))
    memory_batch = params.get("memory_batch", 512)
    # Profiling cycles through the first rows only: reading more would change nothing.
    rows = profiling.rows_used([*batch_sizes, memory_batch])
    X = _features(params, params["info"], rows)
    # Import the runtime before the baseline so the delta is the model, not the library.
    if params["format"] == "onnx":
        import onnxruntime  # noqa: F401
    else:
        import sklearn.pipeline  # noqa: F401
        import skops.io  # noqa: F401
    loaded: dict[str, Predictor] = {}

    def load():
        loaded["model"] = Predictor(params["path"], params["format"], params["info"])
        return loaded["model"].predict_raw

    memory = profiling.profile_memory(load, X, memory_batch, progress=_progress)
    memory["size_on_disk_mb"] = Path(params["path"]).stat().st_size / 2**20
    model = loaded["model"]
    latency = profiling.measure_latency(
        model.run,
        X,
        batch_sizes,
        budget_s=params.get("budget_s", 2.0),
        progress=_progress,
        prepare=model.feed,
    )
    return {
        "latency": latency,
        "memory": memory,
        "hardware": profiling.hardware_info(),
        "environment": profiling.environment_info(),
    }


# A Parquet file may declare this many values (rows x columns, or a column chunk's values)
# per byte of file, beyond PARQUET_FREE_CELLS: run-length and dictionary encoding let real
# data reach a few hundred, a footer that lies reaches millions.
PARQUET_CELLS_PER_BYTE = 256
PARQUET_FREE_CELLS = 1 << 23
# pyarrow takes its footer limits as 32-bit integers.
THRIFT_LIMIT_MAX = (1 << 31) - 1


def parquet_metadata(path: Path, member: str):
    """The footer of a Parquet file from a bundle, refused if it is out of proportion to
    the file's bytes. ``member`` names the file in messages (never the staging path)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = path.stat().st_size
    # Every list element and string in the footer takes at least a byte of the file, so
    # larger declared sizes are refused before anything is allocated for them (capped at
    # what pyarrow takes; the proportion check below still holds the footer to the file).
    limit = min(max(size, 64), THRIFT_LIMIT_MAX)
    try:
        meta = pq.ParquetFile(
            path, thrift_string_size_limit=limit, thrift_container_size_limit=limit
        ).metadata
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        reason = str(exc).replace(str(path), member).strip().splitlines()[0]
        raise DatasetError(f"{member}: not a readable Parquet file ({reason})") from None
    group_rows = values = 0
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        group_rows += group.num_rows
        values += sum(max(group.column(c).num_values, 0) for c in range(group.num_columns))
    declared = max(max(meta.num_rows, 0) * max(meta.num_columns, 1), values)
    if meta.num_rows < 0 or group_rows != meta.num_rows:
        raise DatasetError(
            f"{member}: not a readable Parquet file (its row groups hold {group_rows:,} rows, "
            f"its footer says {meta.num_rows:,})"
        )
    if declared > max(PARQUET_FREE_CELLS, PARQUET_CELLS_PER_BYTE * size):
        raise DatasetError(
            f"{member} declares {meta.num_rows:,} rows of {meta.num_columns:,} columns in "
            f"{size:,} bytes; Baton refuses a Parquet file whose declared size is out of "
            "proportion to its bytes"
        )
    return meta


def task_check_bundle(params: dict[str, Any]) -> dict[str, Any]:
    """Open a verified bundle's model and data: the skops allowlist or the ONNX checks, the
    row count and fingerprint of each dataset, the row count of the predictions. Errors
    name the member; the caller adds the bundle's name."""
    from baton.core.data import datasets as ds
    from baton.core.data.onnx_model import load_onnx_checked
    from baton.core.data.skops_check import skops_allowed_types

    folder = Path(params["folder"])
    model = params["model"]
    try:
        if model.endswith(".skops"):
            types = skops_allowed_types(folder / model)
        else:
            load_onnx_checked(folder / model)
            types = []
    except BatonError as exc:
        raise type(exc)(f"{model}: {exc}") from None
    tables = {}
    for member in params["tables"]:
        # Row count from the checked footer, fingerprint in one streaming pass: memory
        # stays at a batch of one column however large the table.
        import pyarrow as pa

        path = folder / member
        rows = parquet_metadata(path, member).num_rows
        if rows == 0:
            raise DatasetError(f"{member} has no data rows; a dataset needs at least one row")
        try:
            fingerprint = ds.fingerprint_parquet(path)
        except (
            pa.ArrowInvalid,
            pa.ArrowIOError,
            OSError,
        ) as exc:  # running out of memory is not damage
            reason = str(exc).replace(str(path), member).strip().splitlines()[0]
            raise DatasetError(f"{member}: not a readable Parquet file ({reason})") from None
        tables[member] = {"rows": rows, "fingerprint": fingerprint}
    predictions = params["predictions"]
    rows = parquet_metadata(folder / predictions, predictions).num_rows
    return {"model_types": types, "tables": tables, "predictions_rows": rows}


def task_optimize_onnx(params: dict[str, Any]) -> dict[str, Any]:
    """Convert a scikit-learn model to ONNX with skl2onnx (an ONNX model is copied as it is),
    optionally quantise it dynamically, prove onnxruntime accepts the result and describe it.

    The model is loaded here, through the skops allowlist, because loading it is model code.
    """
    import shutil

    import numpy as np

    from baton.core.data.models import Predictor, introspect_onnx

    fmt, out = params["format"], Path(params["out"])
    tools: dict[str, str] = {}
    float_model = out.with_name("float.onnx") if params.get("quantize") else out
    if fmt == "onnx":
        _progress(0, 3, "reading the ONNX model")
        shutil.copyfile(params["path"], float_model)
    else:
        _progress(0, 3, "loading the scikit-learn model")
        import skl2onnx
        from skl2onnx.common.data_types import FloatTensorType

        model = Predictor(params["path"], fmt, params["info"]).model
        features = params["info"].get("features") or []
        kinds = {str(f.get("dtype") or "") for f in features}
        if not features or any(k.startswith(("object", "str", "category", "bool")) for k in kinds):
            raise ModelError(
                "Baton converts models whose features are all numeric; this one reads "
                + ", ".join(sorted(k for k in kinds if k) or ["unknown types"])
            )
        _progress(1, 3, "converting to ONNX with skl2onnx")
        tools["skl2onnx"] = skl2onnx.__version__
        try:
            onx = skl2onnx.to_onnx(
                model,
                initial_types=[("input", FloatTensorType([None, len(features)]))],
                # label and probability tensors rather than a list of dicts: faster to read
                options={"zipmap": False},
                target_opset=params.get("opset"),
            )
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise ModelError(
                f"skl2onnx cannot convert this model ({type(exc).__name__}: {first})"
            ) from None
        # skl2onnx may import one domain twice; onnxruntime's quantiser wants it once
        versions: dict[str, int] = {}
        for entry in onx.opset_import:
            versions[entry.domain] = max(versions.get(entry.domain, 0), entry.version)
        del onx.opset_import[:]
        for domain, version in versions.items():
            onx.opset_import.add(domain=domain, version=version)
        float_model.write_bytes(onx.SerializeToString())
    if params.get("quantize"):
        _progress(2, 3, "quantising the weights to 8 bits")
        import onnxruntime
        from onnxruntime.quantization import quantize_dynamic

        tools["onnxruntime.quantization"] = onnxruntime.__version__
        try:
            quantize_dynamic(str(float_model), str(out))
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise ModelError(
                f"onnxruntime cannot quantise this model ({type(exc).__name__}: {first})"
            ) from None
        float_model.unlink()
    info = introspect_onnx(out)
    # onnxruntime must run it on a row before anyone measures it
    probe = Predictor(str(out), "onnx", {**params["info"], "features": info["features"]})
    probe.predict_raw(np.zeros((1, len(info["features"])), dtype=np.float32))
    _progress(3, 3, "done")
    return {"info": info, "tools": tools}


TASKS = {
    "check_bundle": task_check_bundle,
    "inspect": task_inspect,
    "import_pickle": task_import_pickle,
    "optimize_onnx": task_optimize_onnx,
    "predict": task_predict,
    "profile": task_profile,
}


def _write(path: str, payload: dict[str, Any]) -> None:
    tmp = Path(path + ".tmp")
    tmp.write_text(json.dumps(payload, default=_jsonable))
    tmp.replace(path)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


#: The modules a task needs, imported as the child starts and before its request
#: arrives: a child started ahead (``runner.prestart``) has them loaded by then.
WARM_IMPORTS: dict[str, tuple[str, ...]] = {
    "check_bundle": (
        "pyarrow.parquet",
        "baton.core.data.datasets",
        "baton.core.data.onnx_model",
        "baton.core.data.skops_check",
    ),
}


def main(argv: list[str]) -> int:
    isolate_network()  # first, while this process has a single thread
    for module in WARM_IMPORTS.get(argv[1], ()):
        importlib.import_module(module)
    where = sys.stdin.readline().strip()  # the request's path, sent when the parent runs it
    if not where:
        return 0  # started ahead and never used
    request = json.loads(Path(where).read_text())
    limit_own_memory(request["address_space_mb"])
    response = request["response"]
    try:
        result = TASKS[request["task"]](request["params"])
    except MemoryError:
        # Nothing on stderr: the parent's RunnerOutOfMemory says it in one line.
        return OOM_EXIT
    except BatonError as exc:
        _write(response, {"error": {"type": type(exc).__name__, "message": exc.message}})
        return 0
    except Exception:
        traceback.print_exc()
        return 1
    _write(response, {"result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
