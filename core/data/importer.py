"""Bringing models and datasets into the catalog: check, describe, store, record.

Nothing is written to the catalog until every check has passed; files are copied into
the object store first (content-addressed, so a failed import leaves at most an
unreferenced object, never a half record).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.core.catalog.records import model_summary as model_summary
from baton.core.catalog.store import Catalog
from baton.core.data import datasets as ds
from baton.core.data import declare
from baton.core.data.models import detect_model_format, feature_names, name_features
from baton.core.data.runner import Limits, run_task
from baton.core.errors import (
    AlreadyInCatalog,
    FeatureMismatch,
    MissingFile,
    NotFound,
    UnsafeInput,
    UsageError,
)
from baton.core.progress import CancelToken, ProgressFn


@dataclass(frozen=True)
class Declared:
    """What the data scientist declares about a model where the file does not tell.

    ``None`` everywhere means "detect it", which stays the default. Given on ``model add``
    and ``pack`` (and in the desktop's import dialog), recorded with the model.
    """

    # The model's input features, in the order it reads them, and where that list came
    # from (e.g. "declared", "the columns of train.csv", "dataset wine-train").
    features: tuple[str, ...] | None = None
    features_source: str | None = None
    # Their types by name, where the source says (an MLflow signature does).
    feature_types: tuple[tuple[str, str], ...] = ()
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
    stored: str | None = None,
) -> dict[str, Any]:
    """Check and describe a CSV or Parquet file, store it, and record it in the catalog.

    The file is hashed while it is copied into the object store, so its bytes are read
    once for the digest and once to describe them; ``stored`` is the digest when the
    caller stored it already (:meth:`ObjectStore.put_file`)."""
    path = Path(path)
    name = name or path.stem
    catalog._check_new_name("datasets", name)
    ds.detect_format(path)  # refused before anything is stored
    if not path.is_file():
        ds.read_table(path)  # says so in the dataset reader's words
    digest = stored or catalog.objects.put_file(path)
    record = ds.describe(path, role=role, target=target, id_column=id_column, sha256=digest)
    record.update(name=name, description=description, tags=tags or [])
    return catalog.add_dataset(record)


def feature_columns(
    columns: list[dict[str, Any]], target: str | None, id_column: str | None
) -> tuple[list[str], dict[str, str | None]]:
    """A dataset's feature columns in order (all but the target and id columns), and their
    dtypes by name."""
    names = [c["name"] for c in columns if c["name"] not in (target, id_column)]
    return names, {c["name"]: c.get("dtype") for c in columns}


def features_from_file(
    path: str | os.PathLike[str], *, target: str | None = None, id_column: str | None = None
) -> Declared:
    """The feature names a CSV or Parquet file declares: its columns, in order, minus the
    target and id columns (each must then be one of its columns)."""
    loaded = ds.read_table(path)
    ds.check_columns(loaded, target, id_column)
    names, _ = feature_columns([{"name": n} for n in loaded.table.column_names], target, id_column)
    return Declared(features=tuple(names), features_source=f"the columns of {loaded.path.name}")


def dataset_label(record: dict[str, Any]) -> str:
    """How messages name a catalog dataset: "the test set wine-test"."""
    role = {"test": "test set", "train": "training set", "validation": "validation set"}
    return f"the {role.get(record.get('role') or '', 'dataset')} {record['name']}"


def bind_from_dataset(model: dict[str, Any], dataset: dict[str, Any]) -> list[dict[str, Any]]:
    """A model's features named after a catalog dataset's feature columns (unchanged if
    the model's features are named already); refuses a dataset of the wrong width."""
    features = model.get("features") or []
    if not features or feature_names(features):
        return features
    names, dtypes = feature_columns(
        dataset["columns"], dataset.get("target"), dataset.get("id_column")
    )
    return name_features(features, names, dataset_label(dataset), dtypes)


def name_features_after(catalog: Catalog, model_name: str, dataset_name: str) -> dict[str, Any]:
    """Name a catalog model's unnamed features after a catalog dataset's feature columns,
    and record it (names already bound are never replaced)."""
    model = catalog.get_model(model_name)
    dataset = catalog.get_dataset(dataset_name)
    features = bind_from_dataset(model, dataset)
    return catalog.bind_features(model, features, f"dataset {dataset['name']}")


def bound_features(
    info: dict[str, Any], declared: Declared | None, source_file: str
) -> tuple[list[dict[str, Any]], str | None]:
    """The introspected features named from the model itself or the declared list, and
    where the names came from (None while they are unnamed)."""
    features = info.get("features") or []
    own = feature_names(features)
    if declared is None or declared.features is None:
        return features, ("the model" if own else None)
    source = declared.features_source or "declared"
    where = "the declared list" if source == "declared" else source
    try:
        named = name_features(features, declared.features, where, dict(declared.feature_types))
    except FeatureMismatch as exc:  # the declaration, not a dataset, is at fault
        raise UsageError(str(exc)) from None
    if own and own != feature_names(named):
        raise UsageError(
            f"{source_file} names its own input features ({', '.join(own[:12])}"
            f"{' …' if len(own) > 12 else ''}) and {where} differs; leave the declaration out "
            "or make it the same list"
        )
    return named, ("the model" if own else source)


def _name_from_check_on(
    features: list[dict[str, Any]],
    data_path: Path,
    data_record: dict | None,
    target: str | None,
    id_column: str | None,
    label: str,
) -> list[dict[str, Any]]:
    """Unnamed features named after the --check-on data's feature columns."""
    if data_record:
        columns = data_record["columns"]
    else:
        loaded = ds.read_table(data_path)
        ds.check_columns(loaded, target, id_column)
        columns = [{"name": f.name, "dtype": str(f.type)} for f in loaded.table.schema]
    names, dtypes = feature_columns(columns, target, id_column)
    return name_features(features, names, label, dtypes)


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
    target = Path(folder) / record["file_name"]
    catalog.objects.place(record["sha256"], target)
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
    registry: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check, introspect (in the child process) and record a model file.

    Pickles (``.joblib``/``.pkl``) need ``trust_pickle=True`` and ``check_on``: a dataset
    (catalog name or file) on which the pickle and its ``.skops`` re-save must predict
    identically. ``target``/``id_column`` default to the dataset's recorded ones.

    The model's input features get their names from the model itself, else from
    ``declared.features``, else from the ``check_on`` data's columns (minus the target and
    id columns); where they came from is recorded as ``features_source``. Any model given
    ``check_on`` is run on that data, its columns matched by name.
    """
    path = Path(path)
    if path.is_dir():
        return _import_mlflow(
            catalog,
            path,
            name=name,
            description=description,
            tags=tags,
            trust_pickle=trust_pickle,
            check_on=check_on,
            target=target,
            id_column=id_column,
            declared=declared,
            limits=limits,
            progress=progress,
            cancel=cancel,
            registry=registry,
        )
    if not path.is_file():
        raise MissingFile(path)
    return _import_file(
        catalog,
        path,
        name=name,
        description=description,
        tags=tags,
        trust_pickle=trust_pickle,
        check_on=check_on,
        target=target,
        id_column=id_column,
        declared=declared,
        limits=limits,
        progress=progress,
        cancel=cancel,
    )


def _import_mlflow(catalog: Catalog, folder: Path, **kw: Any) -> dict[str, Any]:
    """An MLflow model folder: its model file imported as any other, named and typed by the
    signature, smoke-tested on the input example, with its provenance and environment."""
    from baton.core.data import mlflow_model

    found = mlflow_model.read(folder)
    registry = kw.pop("registry", None)
    declared: Declared | None = kw.pop("declared")
    if found.features and (declared is None or declared.features is None):
        declared = dataclasses.replace(
            declared or Declared(),
            features=found.features,
            features_source="the MLflow signature",
            feature_types=found.feature_types,
        )
    provenance = dict(found.provenance)
    if registry:  # pulled from a model registry: which version of which registered model
        provenance.update(
            registered_model=registry["model"],
            registered_version=registry["version"],
            tracking_uri=registry["tracking_uri"],
        )
        if registry.get("run_id") and not provenance.get("run_id"):
            provenance["run_id"] = registry["run_id"]
    extra = {
        "mlflow": {
            "provenance": provenance,
            "environment": found.environment,
            "smoke_test": None,
        }
    }
    kw["name"] = kw.get("name") or folder.name
    with tempfile.TemporaryDirectory(prefix="baton-mlflow-") as tmp:
        if found.example is not None and not kw.get("check_on"):
            # The example runs through the model in the child, its columns matched by name.
            example = Path(tmp) / "input_example.parquet"
            found.example.to_parquet(example, index=False)
            kw["check_on"] = str(example)
            kw["check_on_label"] = "the MLflow input example"
            extra["mlflow"]["smoke_test"] = f"the input example ({len(found.example)} rows)"
        record = _import_file(catalog, found.model_file, declared=declared, extra=extra, **kw)
    return record


def _import_file(
    catalog: Catalog,
    path: Path,
    *,
    name: str | None,
    description: str,
    tags: list[str] | None,
    trust_pickle: bool,
    check_on: str | None,
    target: str | None,
    id_column: str | None,
    declared: Declared | None,
    limits: Limits | None,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    extra: dict[str, Any] | None = None,
    check_on_label: str | None = None,
) -> dict[str, Any]:
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
        data_path = data_record = None
        if check_on:
            data_path, data_record = dataset_file(catalog, check_on, Path(tmp))
            if data_record:
                target = target or data_record.get("target")
                id_column = id_column or data_record.get("id_column")
        if fmt == "pickle":
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
            info["safety"]["checked_on"] = check_on_label or check_on
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
        features, source = bound_features(info, declared, path.name)
        if check_on:
            assert data_path is not None  # read above for every --check-on
            data_name = data_record["name"] if data_record else Path(check_on).name
            label = dataset_label(data_record) if data_record else f"the dataset {data_name}"
            if source is None and features:
                features = _name_from_check_on(
                    features, data_path, data_record, target, id_column, label
                )
                source = f"dataset {data_name}"
            # The model runs on the data by name: a wrong declaration fails here, not later.
            run_task(
                "predict",
                {
                    "path": str(stored_file.absolute()),
                    "format": info["format"],  # a pickle is checked as the .skops it became
                    "info": {**info, "features": features, "data_label": label},
                    "data": str(data_path),
                    "target": target,
                    "id_column": id_column,
                    "out": str(Path(tmp) / "checked.parquet"),
                },
                limits=limits,
                progress=progress,
                cancel=cancel,
                what=path.name,
            )
        info["features"], info["features_source"] = features, source
        digest = catalog.objects.put_file(stored_file)
        record = dict(info)
        record.update(extra or {})
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
    # The same bytes read the same way are the same model; read another way (a declared
    # task, classes or threshold) they are another catalog model.
    same = [
        known
        for known in catalog.model_names_with_sha256(row["sha256"])
        if declare.same_declaration(catalog.get_model(known), declared)
    ]
    if same:
        raise AlreadyInCatalog(path.name, same)
    return catalog.add_model(row)
