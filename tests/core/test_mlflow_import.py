"""MLflow model folders in: saved by MLflow itself (mlflow.sklearn / mlflow.onnx), read
through its client library, imported through Baton's allowlists."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import mlflow.onnx  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import mlflow.sklearn  # noqa: E402
import pandas as pd
import pytest
import skops.io  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402

from baton.core.catalog.store import Catalog  # noqa: E402
from baton.core.contract.compose import draft_contract  # noqa: E402
from baton.core.data.importer import import_model  # noqa: E402
from baton.core.errors import UnsafeInput, UsageError  # noqa: E402

TARGET = "target"


@pytest.fixture(scope="module")
def saved(files, tmp_path_factory) -> dict[str, Path]:
    """One scikit-learn model saved by MLflow as skops, as a pickle and as ONNX, with a
    signature and an input example; and a custom python_function model."""
    root = tmp_path_factory.mktemp("mlflow")
    frame = pd.read_csv(files.bc_test_csv)
    X = frame.drop(columns=TARGET)
    model = skops.io.load(files.lr_skops, trusted=skops.io.get_untrusted_types(file=files.lr_skops))
    signature = infer_signature(X, model.predict(X))
    out = {"skops": root / "lr-skops", "pickle": root / "lr-pickle", "onnx": root / "lr-onnx"}
    mlflow.sklearn.save_model(model, out["skops"], signature=signature, input_example=X.head(3))
    mlflow.sklearn.save_model(
        model, out["pickle"], serialization_format="cloudpickle", signature=signature,
        input_example=X.head(3),
    )  # fmt: skip
    import onnx

    mlflow.onnx.save_model(onnx.load(files.lr_onnx), out["onnx"])

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    out["pyfunc"] = root / "custom"
    mlflow.pyfunc.save_model(out["pyfunc"], python_model=Echo())
    return out


@pytest.fixture
def catalog(tmp_path):
    with Catalog(tmp_path / "home") as cat:
        yield cat


def test_skops_flavor_is_imported_with_signature_example_and_provenance(saved, catalog):
    record = import_model(catalog, saved["skops"])
    assert record["name"] == "lr-skops" and record["format"] == "skops"
    assert record["safety"]["method"] == "skops allowlist"
    names = [f["name"] for f in record["features"]]
    assert names[:2] == ["mean radius", "mean texture"] and len(names) == 30
    assert {f["dtype"] for f in record["features"]} == {"double"}
    info = record["info"]["mlflow"]
    assert info["smoke_test"] == "the input example (3 rows)"
    assert info["provenance"]["source"] == "MLflow"
    assert info["provenance"]["mlflow_version"] == mlflow.__version__
    assert len(info["provenance"]["model_uuid"]) == 32
    assert any(r.startswith("scikit-learn==") for r in info["environment"]["requirements"])
    assert info["environment"]["python"].count(".") == 2


def test_the_contract_carries_provenance_and_training_environment(saved, catalog):
    from tests.core.test_contract import binary_inputs

    record = catalog.get_model(import_model(catalog, saved["skops"], name="m")["name"])
    inputs = binary_inputs()
    model_info = {**inputs["model_info"], "mlflow": record["info"]["mlflow"]}
    contract = draft_contract(
        "m", "1", model_info, inputs["datasets"], inputs["evaluation"], inputs["profile"],
        intended_use="test",
    )  # fmt: skip
    assert contract["model"]["provenance"]["source"] == "MLflow"
    assert contract["environment"]["training"]["requirements"]
    from baton.core.contract.card import render_markdown

    text = render_markdown(contract)
    assert f"- **Saved by:** MLflow {mlflow.__version__}, sklearn flavor" in text
    assert "### Where the model was trained" in text
    assert "| `scikit-learn==" in text


def test_onnx_flavor(saved, catalog):
    record = import_model(catalog, saved["onnx"], name="lr-onnx")
    assert record["format"] == "onnx"
    assert record["info"]["mlflow"]["provenance"]["flavor"] == "onnx"


def test_a_pickled_model_needs_the_same_consent_as_a_pickle_file(saved, catalog):
    with pytest.raises(UnsafeInput, match="is a pickle, which can run any code"):
        import_model(catalog, saved["pickle"])
    record = import_model(catalog, saved["pickle"], trust_pickle=True)
    assert record["format"] == "skops"  # re-saved, checked on the input example
    assert record["safety"]["checked_on"] == "the MLflow input example"


def test_a_custom_python_model_is_refused_with_the_reason(saved, catalog):
    with pytest.raises(UsageError) as caught:
        import_model(catalog, saved["pyfunc"])
    assert str(caught.value) == (
        "custom is an MLflow model of the flavor python_function (loaded by "
        "mlflow.pyfunc.model): Baton reads only the sklearn and onnx flavors, whose models "
        "it checks against its allowlists; save the model with mlflow.sklearn.save_model "
        "or mlflow.onnx.save_model"
    )


def test_a_model_file_outside_the_folder_is_refused(saved, tmp_path, catalog):
    folder = tmp_path / "escape"
    shutil.copytree(saved["skops"], folder)
    text = (
        (folder / "MLmodel")
        .read_text()
        .replace("pickled_model: model.skops", "pickled_model: ../../../etc/passwd")
    )
    (folder / "MLmodel").write_text(text)
    with pytest.raises(UsageError, match="not a file inside the model folder"):
        import_model(catalog, folder)


def test_a_plain_folder_is_not_a_model(tmp_path, catalog):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="is a folder without an MLmodel file"):
        import_model(catalog, tmp_path / "empty")


def test_a_signature_that_names_other_columns_is_refused(saved, tmp_path, catalog):
    folder = tmp_path / "renamed"
    shutil.copytree(saved["skops"], folder)
    text = (folder / "MLmodel").read_text().replace('"mean radius"', '"radius"')
    (folder / "MLmodel").write_text(text)
    with pytest.raises(
        UsageError, match="names its own input features .* the MLflow signature differs"
    ):
        import_model(catalog, folder)
