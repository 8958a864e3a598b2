"""Importing a model the catalog already holds says where it is instead of adding it twice."""

from __future__ import annotations

import shutil

import pytest

from baton.core.data.importer import Declared, import_model
from baton.core.errors import AlreadyInCatalog


def test_the_same_bytes_read_the_same_way_are_named_not_added_again(catalog, files, tmp_path):
    import_model(catalog, files.lr_skops, name="churn-lr")
    copy = tmp_path / "copy-of-lr.skops"
    shutil.copyfile(files.lr_skops, copy)  # another file name, the same bytes
    with pytest.raises(AlreadyInCatalog) as refused:
        import_model(catalog, copy, name="churn-lr-again")
    assert str(refused.value) == (
        "copy-of-lr.skops is already in the catalog as 'churn-lr' (the same bytes); use that model"
    )
    assert refused.value.exit_code == 2 and refused.value.names == ["churn-lr"]
    assert [m["name"] for m in catalog.list_models()] == ["churn-lr"]


def test_the_same_bytes_read_another_way_are_another_model(catalog, files):
    import_model(catalog, files.lr_skops, name="churn-lr")
    other = import_model(
        catalog, files.lr_skops, name="churn-lr-strict", declared=Declared(positive_class="0")
    )
    assert other["name"] == "churn-lr-strict"
    assert sorted(m["name"] for m in catalog.list_models()) == ["churn-lr", "churn-lr-strict"]
