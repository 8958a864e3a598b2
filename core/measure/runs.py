"""Evaluation and profiling of a catalog model on a catalog dataset.

Both run the model in a fresh child process (see :mod:`baton.core.data.runner`). Evaluation
stores the predictions (with class probabilities and row ids) as Parquet in the object
store and records the metrics; profiling records latency per batch size, memory, the
hardware and the package versions. The latest of each is what a contract draws on.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from baton.core.catalog.store import Catalog
from baton.core.data import declare
from baton.core.data.datasets import read_columns
from baton.core.data.importer import bind_from_dataset, dataset_file, dataset_label
from baton.core.data.runner import Limits, run_task
from baton.core.errors import DatasetError, UsageError
from baton.core.fsutil import sha256_file
from baton.core.measure import metrics
from baton.core.measure.profiling import DEFAULT_BATCH_SIZES
from baton.core.progress import CancelToken, ProgressFn


def batch_sizes_for(
    targets: Iterable[Any] = (), base: Iterable[int] = DEFAULT_BATCH_SIZES
) -> tuple[int, ...]:
    """The batch sizes to profile: ``base`` (the defaults) and every batch a target names.

    ``targets`` are :class:`~baton.core.contract.targets.Target` objects or their contract dicts;
    a target such as ``latency_p95_ms@32<=20`` adds 32, so it is never left unmeasured.
    """
    named = {t["batch"] if isinstance(t, Mapping) else t.batch for t in targets}
    return tuple(sorted({*base, *(b for b in named if b)}))


def _model_file(catalog: Catalog, model: dict[str, Any], folder: Path) -> Path:
    """A verified copy of the model's stored file, named as the child expects."""
    target = folder / model["file_name"]
    catalog.objects.export(model["sha256"], target)
    return target


@contextlib.contextmanager
def _prepared(
    catalog: Catalog, model_name: str, dataset_name: str
) -> Iterator[tuple[dict, dict, dict[str, Any], Path]]:
    """Model and dataset records, the child's parameters and a work folder removed after."""
    model = catalog.get_model(model_name)
    dataset = catalog.get_dataset(dataset_name)
    folder = Path(tempfile.mkdtemp(prefix="baton-measure-"))
    try:
        yield model, dataset, _child_params(catalog, model, dataset, folder), folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _child_params(catalog: Catalog, model: dict, dataset: dict, folder: Path) -> dict[str, Any]:
    if not dataset.get("target"):
        raise UsageError(
            f"dataset {dataset['name']!r} has no target column; add it again with --target COLUMN"
        )
    data_path, _ = dataset_file(catalog, dataset["name"], folder)
    return {
        "path": str(_model_file(catalog, model, folder)),
        "format": model["format"],
        "info": {
            **(model.get("info") or {}),
            # Unnamed features take the dataset's names here (recorded by the first evaluation).
            "features": bind_from_dataset(model, dataset),
            "data_label": dataset_label(dataset),
            "task": model.get("task"),
            "classes": model.get("classes"),
        },
        "data": str(data_path),
        "target": dataset.get("target"),
        "id_column": dataset.get("id_column"),
    }


def predictions_frame_to_arrays(
    path: Path, classes: list | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Labels, probabilities (ordered as ``classes``) and row ids from a predictions file."""
    table = pq.read_table(path)
    pred = table.column("prediction").to_numpy(zero_copy_only=False)
    proba = None
    if classes:
        cols = [f"proba_{c}" for c in classes]
        if all(c in table.column_names for c in cols):
            proba = np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in cols])
    row_ids = table.column("row_id").to_numpy(zero_copy_only=False)
    # Give back what the table held and the arrays did not take over (a column read in
    # several chunks is copied), rather than let pyarrow's pool keep it beside the
    # metrics' work (up to 32 bytes a row, 1.2 GB for 37 M rows).
    del table
    pa.default_memory_pool().release_unused()
    return pred, proba, row_ids


def predictions_entry(path: Path) -> dict[str, Any]:
    """How a contract describes the predictions file it ships as ``predictions/test.parquet``."""
    schema = pq.read_schema(path)
    return {
        "file": "predictions/test.parquet",
        "rows": pq.read_metadata(path).num_rows,
        "columns": [{"name": f.name, "dtype": str(f.type)} for f in schema],
        "sha256": sha256_file(path),
    }


def labels_of(dataset_path: Path, target: str) -> np.ndarray:
    """The ``target`` column of a dataset file, read alone."""
    return read_columns(dataset_path, [target]).column(target).to_numpy(zero_copy_only=False)


def evaluate(
    catalog: Catalog,
    model_name: str,
    dataset_name: str,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Predict ``dataset`` with ``model`` in the child, compute metrics, record both."""
    with _prepared(catalog, model_name, dataset_name) as (model, dataset, params, folder):
        params["out"] = str(folder / "predictions.parquet")
        run_task(
            "predict",
            params,
            limits=limits,
            progress=progress,
            cancel=cancel,
            what=model["file_name"],
        )
        # The metrics take the positive class of a binary problem to be the second.
        classes = declare.metric_classes(model.get("classes"), declare.positive_class(model))
        pred, proba, _ = predictions_frame_to_arrays(Path(params["out"]), classes)
        y_true = labels_of(Path(params["data"]), dataset["target"])
        if len(pred) != len(y_true):
            raise DatasetError(f"the model returned {len(pred)} predictions for {len(y_true)} rows")
        result = metrics.evaluate_predictions(
            model.get("task") or "regression",
            y_true,
            pred,
            proba,
            classes,
            bootstrap=bootstrap,
            seed=seed,
            progress=progress,
            cancel=cancel,
        )
        result["model"] = model["name"]
        result["dataset"] = dataset["name"]
        digest = catalog.objects.put_file(params["out"])
        result["predictions_sha256"] = digest
        if params["info"]["features"] != model.get("features"):
            catalog.bind_features(model, params["info"]["features"], f"dataset {dataset['name']}")
        keep_baseline_profiles(catalog, dataset, Path(params["data"]), Path(params["out"]), digest)
        return catalog.add_measurement(
            "evaluations", model, dataset, result, predictions_sha256=digest
        )


def keep_baseline_profiles(
    catalog: Catalog, dataset: dict, data: Path, predictions: Path, predictions_sha256: str
) -> None:
    """Profile the test set and the predictions for the monitoring baseline now, while
    they are at hand, and keep both: a pack of this evaluation then reads neither again."""
    from baton.core.data.datasets import read_table
    from baton.core.measure import baseline

    def test_table() -> pa.Table | pq.ParquetFile:
        # As a pack writes it into the bundle: a Parquet file as it is, another converted.
        if dataset["format"] == "parquet":
            return pq.ParquetFile(data)
        return read_table(data).table

    exclude = (dataset.get("target"), dataset.get("id_column"))
    baseline.cached_profile(test_table, exclude, catalog, dataset["sha256"])
    baseline.cached_profile(
        lambda: pq.ParquetFile(predictions),
        baseline.PREDICTIONS_EXCLUDE,
        catalog,
        predictions_sha256,
    )


def profile(
    catalog: Catalog,
    model_name: str,
    dataset_name: str,
    *,
    batch_sizes: tuple[int, ...] = DEFAULT_BATCH_SIZES,
    budget_s: float = 2.0,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Latency per batch size and memory of ``model`` on rows of ``dataset``, recorded."""
    with _prepared(catalog, model_name, dataset_name) as (model, dataset, params, _):
        params.update(batch_sizes=list(batch_sizes), budget_s=budget_s)
        result = run_task(
            "profile",
            params,
            limits=limits,
            progress=progress,
            cancel=cancel,
            what=model["file_name"],
        )
        result["model"] = model["name"]
        result["dataset"] = dataset["name"]
        return catalog.add_measurement("profiles", model, dataset, result)
