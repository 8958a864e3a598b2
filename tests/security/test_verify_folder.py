"""`baton verify FOLDER`: an unzipped bundle is checked exactly as its ZIP is.

Each attack on the folder gets the refusal its ZIP twin gets (exit 1, one line naming the
file), nothing outside the folder is read, and nothing is recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import zipfile
from pathlib import Path

import pytest

from baton.core.errors import VerificationError
from baton.core.handover import safefolder
from tests.handover import (
    NAME,
    as_json,
    catalog_rows,
    error_line,
    folder_of,
    make_world,
    members_of,
    ok,
    read_members,
    run,
    sign_members,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

needs_posix = pytest.mark.skipif(os.name != "posix", reason="symlinks and FIFOs need POSIX")


@pytest.fixture(scope="module")
def homes(handover, tmp_path_factory):
    """Copies of the homes shared by this module's tests; refusals write nothing."""
    return make_world(handover, tmp_path_factory.mktemp("folder"))


def unzipped(bundle: Path, folder: Path) -> Path:
    with zipfile.ZipFile(bundle) as zf:  # our own bundle, never hostile input
        zf.extractall(folder)
    return folder


@pytest.fixture
def folder(handover, tmp_path) -> Path:
    return unzipped(handover.bundle, tmp_path / NAME)


def refused(home: Path, folder: Path, code: int = 1) -> str:
    before = catalog_rows(home)
    result = ok(run(home, "verify", folder, "--json"), code)
    assert catalog_rows(home) == before
    return error_line(result)


# --- the same verdicts as the ZIP ---------------------------------------------------------


def test_a_folder_verifies_as_its_zip_does(world, tmp_path):
    folder = unzipped(world.bundle, tmp_path / "x")
    from_zip = as_json(ok(run(world.mle, "verify", world.bundle, "--json")))
    from_folder = as_json(ok(run(world.mle, "verify", folder, "--json")))
    assert from_folder.pop("file") == str(folder)
    assert from_zip.pop("file") == str(world.bundle)
    assert from_folder == from_zip
    assert from_folder["trusted"] is True and from_folder["files"] == 6
    text = ok(run(world.mle, "verify", f"{folder}/")).stdout
    assert text.startswith("VERIFIED: ") and "Dana" in text


def test_a_folder_from_an_unknown_signer_is_intact_but_untrusted(homes, folder):
    d = as_json(ok(run(homes.stranger, "verify", folder, "--json"), 3))
    assert d["trusted"] is False and d["name"] == NAME
    assert "do not trust" in d["trust_problem"]


def test_the_folder_may_be_named_by_dot(homes, folder, monkeypatch):
    monkeypatch.chdir(folder)
    d = as_json(ok(run(homes.mle, "verify", ".", "--json")))
    assert d["trusted"] is True


# --- attacks, each refused before anything is loaded --------------------------------------


def test_a_changed_file_is_refused(homes, folder):
    (folder / "card.md").write_text("# A better model\n")
    line = refused(homes.mle, folder)
    assert "card.md was changed after signing" in line


def test_a_missing_file_is_refused(homes, folder):
    (folder / "data" / "test.parquet").unlink()
    line = refused(homes.mle, folder)
    assert "data/test.parquet was removed after signing" in line


def test_an_extra_file_is_refused_unread(homes, folder):
    (folder / "notes.txt").write_text("not signed")
    line = refused(homes.mle, folder)
    assert line == (
        f'Error: {NAME}: file "notes.txt" was added after signing: '
        "model.sig does not name it, so it was refused unread"
    )


@needs_posix
def test_a_symlink_to_outside_is_refused(homes, folder, tmp_path):
    outside = tmp_path / "outside.parquet"
    shutil.move(folder / "data" / "test.parquet", outside)  # the genuine bytes, elsewhere
    (folder / "data" / "test.parquet").symlink_to(outside)
    line = refused(homes.mle, folder)
    assert line == (
        f'Error: {NAME}: file "data/test.parquet" is a symbolic link; '
        "a bundle holds regular files only"
    )


@needs_posix
def test_a_linked_folder_is_refused_even_inside(homes, folder, tmp_path):
    shutil.move(folder / "data", tmp_path / "data")
    (folder / "data").symlink_to(tmp_path / "data", target_is_directory=True)
    line = refused(homes.mle, folder)
    assert '"data" is a symbolic link' in line


@needs_posix
def test_a_fifo_is_refused_without_blocking(homes, folder):
    (folder / "card.md").unlink()
    os.mkfifo(folder / "card.md")
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("verify blocked on a FIFO"))
    signal.alarm(60)
    try:
        line = refused(homes.mle, folder)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert line == (
        f'Error: {NAME}: file "card.md" is a FIFO (named pipe); a bundle holds regular files only'
    )


def test_names_that_differ_only_by_case_are_refused(homes, folder):
    (folder / "Card.md").write_bytes((folder / "card.md").read_bytes())
    if len(list(folder.glob("*.md"))) < 2:
        pytest.skip("this file system folds case")
    line = refused(homes.mle, folder)
    assert "collides with" in line and "case-insensitive" in line


def test_a_pickle_is_refused_by_name(homes, folder):
    (folder / "model" / "extra.pkl").write_bytes(b"not really")
    assert "contains a pickle file" in refused(homes.mle, folder)


def test_an_extra_file_under_a_valid_signature_fails_the_contract_check(world, tmp_path):
    # Signed by Dana, the contract's author: the signature holds, the content check does not.
    members = read_members(world.bundle)
    members["notes.txt"] = b"signed, but not in the contract"
    signed = sign_members(members, world.dana_key, tmp_path)
    folder = folder_of(signed, tmp_path / "signed")
    line = refused(world.mle, folder)
    assert "the signed files do not match the contract (unexpected notes.txt)" in line


def test_a_folder_that_is_not_a_bundle_is_refused(homes, tmp_path):
    folder_of({"readme.txt": b"hello"}, tmp_path / "empty")
    line = refused(homes.mle, tmp_path / "empty")
    assert line == "Error: empty has no model.sig: it is not a Baton bundle"


def test_a_missing_path_is_a_usage_mistake(homes, tmp_path):
    result = run(homes.mle, "verify", tmp_path / "nothing")
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_the_folder_is_only_read(world, tmp_path):
    folder = unzipped(world.bundle, tmp_path / "x")
    before = members_of(folder)
    ok(run(world.mle, "verify", folder))
    assert members_of(folder) == before


# --- a receipt folder --------------------------------------------------------------------


def test_a_receipt_folder_verifies_as_its_zip(world, tmp_path):
    receipt = tmp_path / f"{NAME}-1.review.baton"
    ok(run(world.mle, "review", world.bundle, "--decision", "accept",
           "--comment", "fine", "--out", receipt))  # fmt: skip
    folder = unzipped(receipt, tmp_path / "receipt")
    d = as_json(ok(run(world.ds, "verify", folder, "--json")))
    assert d["kind"] == "receipt" and d["trusted"] is True
    assert d["review"]["decision"] == "accept" and d["recorded"] is True
    (folder / "review.json").write_text(json.dumps({"decision": "reject"}))
    assert "review.json was changed after signing" in refused(world.ds, folder)


# --- races: the folder changes between listing and reading ---------------------------------


def _listed(tmp_path: Path) -> tuple[Path, Path]:
    folder = folder_of({"model.sig": b"{}", "data/a.bin": b"a" * 100}, tmp_path / "f")
    return folder, tmp_path / "staging"


def test_a_file_replaced_after_listing_is_refused(tmp_path):
    folder, staging = _listed(tmp_path)
    with safefolder.open_folder(folder) as listed:
        (folder / "data" / "new").write_bytes(b"b" * 100)  # same size, another file
        (folder / "data" / "new").replace(folder / "data" / "a.bin")
        with pytest.raises(VerificationError, match='file "data/a.bin" changed while Baton'):
            listed.extract(staging)
    assert not any(staging.iterdir())  # emptied again


@needs_posix
def test_a_folder_swapped_for_a_link_after_listing_is_refused(tmp_path):
    folder, staging = _listed(tmp_path)
    elsewhere = folder_of({"a.bin": b"a" * 100}, tmp_path / "elsewhere")
    with safefolder.open_folder(folder) as listed:
        shutil.rmtree(folder / "data")
        (folder / "data").symlink_to(elsewhere, target_is_directory=True)
        with pytest.raises(VerificationError, match='file "data/a.bin" changed while Baton'):
            listed.extract(staging)


def test_a_file_that_grows_after_listing_is_refused(tmp_path):
    folder, staging = _listed(tmp_path)
    with safefolder.open_folder(folder) as listed:
        with (folder / "data" / "a.bin").open("ab") as fh:
            fh.write(b"more")
        with pytest.raises(VerificationError, match="changed while Baton"):
            listed.extract(staging)


def test_inspect_diff_and_card_read_a_folder_as_its_zip(world, tmp_path):
    folder = unzipped(world.bundle, tmp_path / "y")
    from_zip = as_json(ok(run(world.mle, "inspect", world.bundle, "--json")))
    from_folder = as_json(ok(run(world.mle, "inspect", folder, "--json")))
    assert from_folder["card"] == from_zip["card"]
    assert from_folder["contract"] == from_zip["contract"]
    same = as_json(ok(run(world.mle, "diff", world.bundle, folder, "--json")))
    assert same["changes"] == []
    card = ok(run(world.mle, "card", folder)).stdout
    assert card.startswith("---\nlibrary_name:")
