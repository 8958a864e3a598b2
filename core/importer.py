"""Bringing models and datasets into the catalog: check, describe, store, record.

Nothing is written to the catalog until every check has passed; files are copied into
the object store first (content-addressed, so a failed import leaves at most an
unreferenced object, never a half record).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import datasets as ds
from . import declare
from .catalog import Catalog
from .errors import NotFound, UnsafeInput, UsageError
from .fsutil import sha256_file
from .models import detect_model_format
from .progress import CancelToken, ProgressFn
from .runner import Limits, run_task


@dataclass(frozen=True)
class Declared:
    """What the data scientist declares about a model where the file does not tell.

    ``None`` everywhere means "detect it", which stays the default. Given on ``model add``
    and ``pack`` (and in the desktop's import dialog), recorded with the model.
    """

    # The model's input features, in the order it reads them.
    features: tuple[str, ...] | None = None
    # binary | multiclass | regression
    task: str | None = None
    # Names for the model's class ids, in the order of the ids.
    classes: tuple[str, ...] | None = None
    positive_class: str | None = None
    # Decision threshold for a model with a single score output.
    threshold: float | None = None


def import_dataset(
    catalog: Catalog,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    role: str | None = None,
    target: str | None = None,
    id_column: str | None = None,
    description: str = "",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Check and describe a CSV or Parquet file, store it, and record it in the catalog."""
    path = Path(path)
    name = name or path.stem
    record, _ = ds.describe(path, role=role, target=target, id_column=id_column)
    catalog._check_new_name("datasets", name)
    catalog.objects.put_file(path)
    record.update(name=name, description=description, tags=tags or [])
    return catalog.add_dataset(record)


def dataset_file(
    catalog: Catalog, name_or_path: str, folder: Path
) -> tuple[Path, dict[str, Any] | None]:
    """A dataset named in the catalog (a verified object, linked into ``folder`` under its
    file name, since the child reads by extension) or a file path given directly."""
    try:
        record = catalog.get_dataset(name_or_path)
    except NotFound:
        path = Path(name_or_path)
        if path.is_file():
            return path.absolute(), None  # the child works in a folder of its own
        raise
    stored = catalog.objects.open_verified(record["sha256"])
    target = Path(folder) / record["file_name"]
    try:
        os.link(stored, target)
    except OSError:
        shutil.copyfile(stored, target)
    return target, record


def import_model(
    catalog: Catalog,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    description: str = "",
    tags: list[str] | None = None,
    trust_pickle: bool = False,
    check_on: str | None = None,
    target: str | None = None,
    id_column: str | None = None,
    declared: Declared | None = None,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Check, introspect (in the child process) and record a model file.

    Pickles (``.joblib``/``.pkl``) need ``trust_pickle=True`` and ``check_on``: a dataset
    (catalog name or file) on which the pickle and its ``.skops`` re-save must predict
    identically. ``target``/``id_column`` default to the dataset's recorded ones.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    fmt = detect_model_format(path)
    declare.check_declared(declared)  # what contradicts itself, before any long work
    name = name or path.stem
    catalog._check_new_name("models", name)
    with tempfile.TemporaryDirectory(prefix="baton-import-") as tmp:
        if fmt == "pickle":
            if not trust_pickle:
                raise UnsafeInput(
                    f"{path.name} is a pickle, which can run any code when it is loaded. Import it "
                    "only if you made this file yourself: pass --trust-pickle (and --check-on "
                    "DATASET to compare its predictions after conversion to .skops)",
                    path=str(path),
                )
            if not check_on:
                raise UsageError(
                    f"importing the pickle {path.name} needs --check-on DATASET: Baton re-saves it "
                    "as .skops and checks that both predict the same on that data"
                )
            data_path, data_record = dataset_file(catalog, check_on, Path(tmp))
            if data_record:
                target = target or data_record.get("target")
                id_column = id_column or data_record.get("id_column")
            stored_file = Path(tmp) / (path.stem + ".skops")
            info = run_task(
                "import_pickle",
                {
                    "path": str(path.absolute()),
                    "out": str(stored_file),
                    "data": str(data_path),
                    "target": target,
                    "id_column": id_column,
                },
                limits=limits,
                progress=progress,
                cancel=cancel,
                what=path.name,
            )
            info["safety"]["checked_on"] = check_on
        else:
            # The child checks the file (skops allowlist, ONNX inline weights) before it
            # builds anything: a hostile file is never parsed in this process.
            stored_file = path
            info = run_task(
                "inspect",
                {"path": str(path.absolute()), "format": fmt},
                limits=limits,
                progress=progress,
                cancel=cancel,
                what=path.name,
            )
        # How its output is read: detected, or as declared (refused if they contradict).
        info = declare.resolve(info, declared, path.name)
        digest = catalog.objects.put_file(stored_file)
        record = dict(info)
        record.update(
            name=name,
            description=description,
            tags=tags or [],
            file_name=stored_file.name,
            sha256=digest,
            size_bytes=stored_file.stat().st_size,
            source_file=path.name,
        )
    row = {
        k: record.pop(k)
        for k in (
            "name",
            "description",
            "tags",
            "file_name",
            "format",
            "framework",
            "framework_version",
            "estimator",
            "task",
            "classes",
            "features",
            "params",
            "size_bytes",
            "sha256",
            "safety",
        )
    }
    row["info"] = record
    return catalog.add_model(row)


def model_summary(record: dict[str, Any]) -> dict[str, Any]:
    """A model record flattened for display and JSON output."""
    out = {k: v for k, v in record.items() if k != "info"}
    out.update(record.get("info") or {})
    return out


def verify_sha(path: Path, expected: str) -> bool:
    return sha256_file(path) == expected
