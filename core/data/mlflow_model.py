"""MLflow model directories (``mlflow.sklearn.save_model``, ``mlflow.onnx.save_model``) in.

An MLflow model is a folder: an ``MLmodel`` file (its flavors, signature, input example
and provenance), the model file itself, and the environment it was trained in
(``requirements.txt``, ``python_env.yaml``). Baton reads the ``MLmodel`` file with
MLflow's own client library (``mlflow.models.Model.load``: YAML only, nothing is loaded
or run) and then imports the model file exactly as it imports one given directly: a
``.skops`` file through Baton's exact allowlist, a pickle only with the same consent and
re-save, an ONNX file with its weights inline, every check in the child process.

What the folder adds: the signature's column names and types become the model's named,
typed input features; the input example is run through the model as a smoke test (in
the child, by column name); the requirements and Python version, and MLflow's version,
model id and run id, are recorded with the model and reach the contract's environment.

A model that needs its own Python code to run (a custom ``python_function`` model, or a
flavor saved with ``code_paths``) is refused: Baton runs scikit-learn and ONNX models
through its allowlists and never a model's own code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baton.core.errors import UnsafeInput, UsageError

MLMODEL = "MLmodel"
# The flavors Baton reads, and the loader module each one's python_function entry names.
FLAVORS = {"sklearn": "mlflow.sklearn", "onnx": "mlflow.onnx"}
# MLflow's serialization formats for scikit-learn, as Baton's importer names them.
SKLEARN_FORMATS = {"skops": "skops", "pickle": "pickle", "cloudpickle": "pickle"}
# MLflow signature column types as the dtypes Baton records for a feature.
_TYPES = {
    "double": "double",
    "float": "float",
    "long": "int64",
    "integer": "int32",
    "boolean": "bool",
    "string": "string",
    "binary": "binary",
    "datetime": "timestamp",
}


@dataclass(frozen=True)
class MlflowModel:
    """What an MLflow model folder says about its model."""

    folder: Path
    flavor: str  # sklearn | onnx
    model_file: Path
    serialization: str  # skops | pickle | onnx
    features: tuple[str, ...] | None = None
    feature_types: tuple[tuple[str, str], ...] = ()
    example: Any = None  # a pandas DataFrame, or None
    provenance: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)


def is_mlflow_folder(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MLMODEL).is_file()


def _inside(folder: Path, relative: str, what: str) -> Path:
    """``folder/relative``, refused if it leaves the folder (an ``MLmodel`` is user input)."""
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder.resolve()) or not target.is_file():
        raise UsageError(
            f"{folder.name}/{MLMODEL} names {what} {relative!r}, which is not a file inside "
            "the model folder"
        )
    return target


def _refuse_code(folder: Path, flavors: dict[str, Any]) -> None:
    pyfunc = flavors.get("python_function") or {}
    if not any(name in flavors for name in FLAVORS):
        loader = pyfunc.get("loader_module") or "a custom python_function model"
        raise UsageError(
            f"{folder.name} is an MLflow model of "
            f"{'the flavor ' if len(flavors) == 1 else 'the flavors ' if flavors else 'no flavor'}"
            f"{', '.join(sorted(flavors))} (loaded by {loader}): Baton reads only "
            "the sklearn and onnx flavors, whose models it checks against its allowlists; "
            "save the model with mlflow.sklearn.save_model or mlflow.onnx.save_model"
        )
    code = [name for name, spec in flavors.items() if isinstance(spec, dict) and spec.get("code")]
    if code or pyfunc.get("python_model") or pyfunc.get("cloudpickle_version"):
        raise UnsafeInput(
            f"{folder.name} brings its own Python code (code_paths or a python_model): "
            "Baton never runs a model's own code; save the model without code_paths",
            path=str(folder),
        )


def _features(signature: Any) -> tuple[tuple[str, ...] | None, tuple[tuple[str, str], ...]]:
    if signature is None or signature.inputs is None:
        return None, ()
    inputs = signature.inputs
    if not inputs.has_input_names() or inputs.is_tensor_spec():
        return None, ()  # a tensor signature names no columns
    names, types = [], []
    for spec in inputs.to_dict():
        name = str(spec.get("name") or "")
        names.append(name)
        kind = _TYPES.get(str(spec.get("type")))
        if kind:
            types.append((name, kind))
    return tuple(names), tuple(types)


def _example(folder: Path, info: dict[str, Any] | None) -> Any:
    """The saved input example as a DataFrame (pandas ``split`` or ``records`` JSON)."""
    if not info or info.get("type") != "dataframe":
        return None
    path = _inside(folder, str(info.get("artifact_path") or ""), "an input example")
    import pandas as pd

    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "columns" in data and "data" in data:
        return pd.DataFrame(data["data"], columns=data["columns"])
    if isinstance(data, list):
        return pd.DataFrame.from_records(data)
    raise UsageError(f"{path.name}: an input example Baton cannot read (pandas split JSON)")


def _environment(folder: Path, pyfunc: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        lines = requirements.read_text(encoding="utf-8").splitlines()
        env["requirements"] = [s for s in (x.strip() for x in lines) if s and not s.startswith("#")]
    python_env = folder / "python_env.yaml"
    if python_env.is_file():
        import yaml  # MLflow's own dependency: present wherever the client library is

        parsed = yaml.safe_load(python_env.read_text(encoding="utf-8")) or {}
        if isinstance(parsed, dict) and parsed.get("python"):
            env["python"] = str(parsed["python"])
    if "python" not in env and pyfunc.get("python_version"):
        env["python"] = str(pyfunc["python_version"])
    return env


def read(folder: str | Path) -> MlflowModel:
    """Read an MLflow model folder's ``MLmodel`` (nothing is loaded or run)."""
    folder = Path(folder)
    if not (folder / MLMODEL).is_file():
        raise UsageError(
            f"{folder}: is a folder without an {MLMODEL} file; give a model file (.skops, "
            ".onnx) or an MLflow model folder"
        )
    try:
        from mlflow.models import Model
    except ImportError:  # pragma: no cover - mlflow-skinny is a dependency
        raise UsageError("reading MLflow models needs the mlflow-skinny package") from None
    try:
        mlmodel = Model.load(str(folder))
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds for a bad file
        raise UsageError(f"{folder.name}/{MLMODEL} cannot be read: {exc}") from None
    flavors = dict(mlmodel.flavors or {})
    _refuse_code(folder, flavors)
    pyfunc = flavors.get("python_function") or {}
    if "sklearn" in flavors:
        spec = flavors["sklearn"]
        fmt = str(spec.get("serialization_format") or "cloudpickle")
        if fmt not in SKLEARN_FORMATS:
            raise UsageError(f"{folder.name}: unknown scikit-learn serialization {fmt!r}")
        flavor, serialization = "sklearn", SKLEARN_FORMATS[fmt]
        model_file = _inside(folder, str(spec.get("pickled_model") or ""), "a model file")
    else:
        spec = flavors["onnx"]
        flavor, serialization = "onnx", "onnx"
        model_file = _inside(folder, str(spec.get("data") or "model.onnx"), "a model file")
    names, types = _features(mlmodel.signature)
    provenance = {
        "source": "MLflow",
        "mlflow_version": mlmodel.mlflow_version,
        "model_uuid": mlmodel.model_uuid,
        "run_id": mlmodel.run_id,
        "created": mlmodel.utc_time_created,
        "flavor": flavor,
    }
    return MlflowModel(
        folder=folder,
        flavor=flavor,
        model_file=model_file,
        serialization=serialization,
        features=names,
        feature_types=types,
        example=_example(folder, mlmodel.saved_input_example_info),
        provenance={k: v for k, v in provenance.items() if v is not None},
        environment=_environment(folder, pyfunc),
    )
