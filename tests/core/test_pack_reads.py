"""A pack reads its large files once or twice: the store proves an object once while its
file is unchanged, a Parquet test set ships as it was imported, and a damaged object
fails the pack before any bundle exists."""

from __future__ import annotations

import os
import zipfile

import pytest

from baton.core.catalog import objects
from baton.core.catalog.objects import ObjectStore
from baton.core.contract import drafts
from baton.core.data.importer import import_dataset, import_model
from baton.core.errors import CatalogError, VerificationError
from baton.core.handover import packing, trust

PASS = "correct horse battery"


@pytest.fixture
def hashes(monkeypatch):
    """The objects the store hashed to verify them, in order."""
    seen: list[str] = []
    real = objects.sha256_file

    def counting(path):
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(objects, "sha256_file", counting)
    return seen


def test_an_object_is_hashed_again_only_when_its_file_may_have_changed(
    tmp_path, hashes, monkeypatch
):
    store = ObjectStore(tmp_path / "objects")
    src = tmp_path / "f.bin"
    src.write_bytes(b"x" * 100_000)
    digest = store.put_file(src)
    store.open_verified(digest)
    assert len(hashes) == 1  # written just now: a change in the same clock tick would not show
    later = objects.time.time_ns() + int(3 * objects.RACY_S * 1e9)
    monkeypatch.setattr(objects.time, "time_ns", lambda: later)
    store.open_verified(digest)  # proved at a time well after its last change
    store.open_verified(digest)
    assert len(hashes) == 2
    path = store.path_for(digest)
    path.chmod(0o644)
    path.write_bytes(b"y" * 100_000)
    with pytest.raises(CatalogError, match="is damaged"):
        store.open_verified(digest)
    assert len(hashes) == 3


@pytest.fixture
def parquet_draft(catalog, files):
    trust.create_identity(catalog, "Dana", "dana@example.org", PASS)
    import_dataset(catalog, files.bc_parquet, name="bc", role="test", target="target")
    import_model(catalog, files.lr_skops, name="lr")
    drafts.new_draft(
        catalog, "lr", test="bc", name="bc-lr", version="1",
        intended_use="Second reader for screening", budget_s=0.02,
    )  # fmt: skip
    return catalog


def test_a_parquet_test_set_ships_as_imported(parquet_draft, files, tmp_path):
    out = tmp_path / "bc-lr-1.baton"
    packing.pack_draft(parquet_draft, "bc-lr@1", passphrase=PASS, out=out, budget_s=0.02)
    with zipfile.ZipFile(out) as zf:
        assert zf.read("data/test.parquet") == files.bc_parquet.read_bytes()


def test_a_damaged_stored_test_set_fails_the_pack_and_writes_nothing(parquet_draft, tmp_path):
    stored = parquet_draft.objects.path_for(parquet_draft.get_dataset("bc")["sha256"])
    stored.chmod(0o644)
    with open(stored, "r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 1]))
    out = tmp_path / "bc-lr-1.baton"
    with pytest.raises(VerificationError) as caught:
        packing.pack_draft(parquet_draft, "bc-lr@1", passphrase=PASS, out=out, budget_s=0.02)
    assert caught.value.message == (
        "the bundle's files are not the ones signed (a file changed while it was packed, or "
        "its copy in the catalog's object store is damaged): data/test.parquet was changed "
        "after signing; nothing was written"
    )
    assert not out.exists()
    assert parquet_draft.count("handovers") == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_pack_takes_the_baseline_profiles_its_evaluation_kept(
    catalog, files, tmp_path, monkeypatch, fmt
):
    """The evaluation profiles the test set and its predictions for the monitoring
    baseline; the pack then reads neither table for it, and writes the very baseline a
    profile of the bundle's own files gives (a CSV test set as the Parquet it ships as)."""
    import io
    import json

    import pyarrow.parquet as pq

    from baton.core.measure import baseline

    trust.create_identity(catalog, "Dana", "dana@example.org", PASS)
    source = files.bc_parquet if fmt == "parquet" else files.bc_test_csv
    import_dataset(catalog, source, name="bc", role="test", target="target")
    import_model(catalog, files.lr_skops, name="lr")
    drafts.new_draft(
        catalog, "lr", test="bc", name="bc-lr", version="1",
        intended_use="Second reader for screening", budget_s=0.02,
    )  # fmt: skip
    profiled = []
    real = baseline.profile_table
    monkeypatch.setattr(
        baseline, "profile_table", lambda *a, **k: profiled.append(a) or real(*a, **k)
    )
    out = tmp_path / "bc-lr-1.baton"
    packing.pack_draft(catalog, "bc-lr@1", passphrase=PASS, out=out, budget_s=0.02)
    assert profiled == []
    with zipfile.ZipFile(out) as zf:
        shipped = json.loads(zf.read(baseline.FILE))
        test = pq.ParquetFile(io.BytesIO(zf.read("data/test.parquet")))
        predictions = pq.ParquetFile(io.BytesIO(zf.read("predictions/test.parquet")))
        fresh = real(test, ["target"]), real(predictions, baseline.PREDICTIONS_EXCLUDE)
    assert (shipped["sets"]["test"], shipped["sets"]["predictions"]) == fresh
