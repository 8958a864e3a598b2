"""Catalog.list_dataset_choices: what offering a dataset for a model reads."""

from __future__ import annotations

import random

from baton.core.catalog.store import Catalog
from tests.bench.catalog import dataset_rows


def test_dataset_choices_carry_columns_but_not_profiles(tmp_path):
    with Catalog(tmp_path / "home") as catalog:
        with catalog.write() as db:
            db["datasets"].insert_all(dataset_rows(3, random.Random(0)))
        full = catalog.list_datasets()
        choices = catalog.list_dataset_choices(limit=2)
        assert [d["name"] for d in choices] == [d["name"] for d in full[:2]]
        for choice, record in zip(choices, full, strict=False):
            assert "profile" not in choice
            assert choice["columns"] == record["columns"]
            for key in ("id", "role", "target", "id_column", "rows"):
                assert choice[key] == record[key]
        assert [d["name"] for d in catalog.list_dataset_choices(offset=2)] == [full[2]["name"]]
