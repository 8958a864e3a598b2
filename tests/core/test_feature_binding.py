"""Features bound by name: a model that does not name its inputs gets its names once
(declared, from its --check-on data, or from its first evaluation), and every dataset is
then matched by name: reordered columns give the true metric, missing or extra columns a
refusal naming them."""

from __future__ import annotations

import pytest

from baton.core.data.importer import Declared, features_from_file, import_dataset, import_model
from baton.core.errors import FeatureMismatch, UsageError
from baton.core.measure import runs as measure

ONNX_SOURCE = "the model"


@pytest.fixture
def wine_sets(catalog, wine):
    for name, path in (("wine-train", wine.train), ("wine-shuffled", wine.shuffled),
                       ("wine-missing", wine.missing_extra)):  # fmt: skip
        import_dataset(catalog, path, name=name, role="test", target="target")
    return catalog


def _accuracy(catalog, model: str, dataset: str) -> float:
    return measure.evaluate(catalog, model, dataset, bootstrap=0)["result"]["metrics"]["accuracy"][
        "value"
    ]


def test_a_single_tensor_onnx_model_has_unnamed_features_until_bound(catalog, wine):
    record = import_model(catalog, wine.onnx, name="rf")
    assert [f["name"] for f in record["features"]] == [None] * 13
    assert record["info"]["features_source"] is None


def test_check_on_names_the_features_and_shuffled_columns_give_the_true_accuracy(wine_sets, wine):
    record = import_model(wine_sets, wine.onnx, name="rf", check_on="wine-train")
    assert [f["name"] for f in record["features"]] == wine.features
    assert record["features"][0]["dtype"] == "float32"  # the ONNX input's, not the CSV's
    assert record["info"]["features_source"] == "dataset wine-train"
    assert _accuracy(wine_sets, "rf", "wine-shuffled") == pytest.approx(1.0)


def test_without_binding_by_name_the_shuffled_set_would_score_near_chance(wine_sets, wine):
    # What the model makes of the columns in the shuffled file's order: the bug this fixes.
    import_model(wine_sets, wine.onnx, name="rf")
    assert _accuracy(wine_sets, "rf", "wine-shuffled") < 0.5
    # ... and that first evaluation bound the names it was fed, so they are now recorded.
    record = wine_sets.get_model("rf")
    assert [f["name"] for f in record["features"]] == wine.features[::-1]
    assert record["info"]["features_source"] == "dataset wine-shuffled"


def test_first_evaluation_binds_then_every_dataset_is_matched_by_name(wine_sets, wine):
    import_model(wine_sets, wine.onnx, name="rf")
    assert _accuracy(wine_sets, "rf", "wine-train") == pytest.approx(1.0)
    record = wine_sets.get_model("rf")
    assert record["info"]["features_source"] == "dataset wine-train"
    assert _accuracy(wine_sets, "rf", "wine-shuffled") == pytest.approx(1.0)


def test_missing_and_extra_columns_are_refused_by_name(wine_sets, wine):
    import_model(wine_sets, wine.onnx, name="rf", check_on="wine-train")
    with pytest.raises(FeatureMismatch) as err:
        measure.evaluate(wine_sets, "rf", "wine-missing", bootstrap=0)
    assert str(err.value).startswith(
        "the test set wine-missing lacks alcohol, ash and has columns the model does not "
        "read: colour; the model reads its features by name (13: alcohol, malic_acid,"
    )
    model = wine_sets.get_model("rf")
    dataset = wine_sets.get_dataset("wine-missing")
    assert wine_sets.latest_measurement("evaluations", model, dataset) is None


def test_a_scikit_learn_model_fitted_on_an_array_declared_by_name(wine_sets, wine):
    declared = Declared(features=tuple(wine.features))
    record = import_model(wine_sets, wine.array_skops, name="arr", declared=declared)
    assert [f["name"] for f in record["features"]] == wine.features
    assert record["info"]["features_source"] == "declared"
    assert _accuracy(wine_sets, "arr", "wine-shuffled") == pytest.approx(1.0)


def test_features_from_a_file_leave_out_the_target(wine):
    declared = features_from_file(wine.shuffled, target="target")
    assert list(declared.features) == wine.features[::-1]
    assert declared.features_source == "the columns of wine-shuffled.csv"


def test_a_declared_list_of_the_wrong_length_is_refused_before_anything_is_stored(catalog, wine):
    with pytest.raises(UsageError) as err:
        import_model(catalog, wine.onnx, name="rf", declared=Declared(features=("a", "b", "c")))
    assert str(err.value) == (
        "the model reads 13 input features but the declared list names 3: a, b, c"
    )
    assert catalog.count("models") == 0


def test_a_declared_order_that_the_check_on_data_contradicts_is_refused(wine_sets, wine):
    names = tuple(wine.features[:-1]) + ("colour",)
    with pytest.raises(
        FeatureMismatch, match="lacks colour and has columns the model does not read: proline"
    ):
        import_model(wine_sets, wine.onnx, name="rf", check_on="wine-train",
                     declared=Declared(features=names))  # fmt: skip
    assert wine_sets.count("models") == 0


def test_a_model_that_names_its_features_refuses_a_different_declaration(catalog, files):
    with pytest.raises(UsageError, match="names its own input features"):
        import_model(
            catalog, files.wine_skops, name="w", declared=Declared(features=tuple("abcdefghijklm"))
        )


def test_bound_names_are_never_silently_replaced(wine_sets, wine):
    record = import_model(wine_sets, wine.onnx, name="rf", check_on="wine-train")
    same = wine_sets.bind_features(record, record["features"], "declared")
    assert same["info"]["features_source"] == "dataset wine-train"
    other = [{**f, "name": f"x{i}"} for i, f in enumerate(record["features"])]
    with pytest.raises(UsageError, match="already reads its features as alcohol, malic_acid"):
        wine_sets.bind_features(record, other, "declared")
