"""The demo workspace behind `baton demo`: real models, datasets and measurements."""

from __future__ import annotations

from baton.core.cli.demo import DEMO_PASSPHRASE, MARKER, build_workspace
from baton.core.contract import candidates, drafts
from baton.core.handover import trust


def test_demo_workspace_is_built_once_with_real_data(tmp_path):
    home = tmp_path / "demo"
    catalog = build_workspace(home, budget_s=0.02)
    try:
        models = {m["name"]: m for m in catalog.list_models()}
        assert set(models) == {
            "breast-cancer-lr",
            "breast-cancer-hgb",
            "breast-cancer-mlp",
            "wine-lr",
            "diabetes-ridge",
        }
        assert models["breast-cancer-mlp"]["format"] == "onnx"
        assert models["diabetes-ridge"]["task"] == "regression"
        assert models["wine-lr"]["task"] == "multiclass"
        assert {d["name"] for d in catalog.list_datasets()} == {
            "breast-cancer-train",
            "breast-cancer-test",
            "wine-test",
            "diabetes-test",
        }
        mlp = catalog.latest_measurement(
            "evaluations", models["breast-cancer-mlp"], catalog.get_dataset("breast-cancer-test")
        )
        assert mlp["result"]["metrics"]["accuracy"]["value"] > 0.9  # a real, trained network
        for name in models:
            model = catalog.get_model(name)
            assert catalog.latest_measurement(
                "profiles", model, catalog.get_dataset(_test_of(name))
            )
        assert trust.load_signing_key(home, DEMO_PASSPHRASE)
        draft = drafts.load(catalog, "breast-cancer@1")
        assert [c.name for c in candidates.candidates(draft)] == [
            "breast-cancer-lr",
            "breast-cancer-hgb",
        ]
        assert (home / MARKER).is_file()
        count = catalog.count("evaluations")
    finally:
        catalog.close()
    again = build_workspace(home)
    assert again.count("evaluations") == count  # the second start builds nothing
    again.close()


def _test_of(model: str) -> str:
    return {"wine-lr": "wine-test", "diabetes-ridge": "diabetes-test"}.get(
        model, "breast-cancer-test"
    )
