"""The README's interop recipes, end to end with the stock OpenSSF `model_signing` CLI.

Both directions on a real packed bundle: a folder signed by the stock tool with Dana's
key (decrypted by openssl, as the README says) verifies with `baton verify DIR`; a Baton
bundle, unzipped, verifies with the stock tool and Dana's exported public key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.handover import PASSPHRASE, as_json, error_line, ok, run

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world

STOCK = Path(sys.executable).with_name("model_signing")
OPENSSL = shutil.which("openssl")
needs_stock = pytest.mark.skipif(not STOCK.exists(), reason="stock model_signing CLI not installed")


def stock(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(STOCK), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def unzipped(bundle: Path, folder: Path) -> Path:
    with zipfile.ZipFile(bundle) as zf:  # our own bundle, as `unzip` would
        zf.extractall(folder)
    return folder


def decrypted_key(home: Path, out: Path) -> Path:
    """The README's step: Baton's passphrase-encrypted PKCS#8 key, decrypted by openssl."""
    if OPENSSL is None:
        pytest.skip("openssl is not on PATH, so the README's decryption step cannot run")
    done = subprocess.run(
        [
            OPENSSL,
            "pkcs8",
            "-in",
            str(home / "keys" / "signing-key.pem"),
            "-out",
            str(out),
            "-passin",
            "env:BATON_PASSPHRASE",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BATON_PASSPHRASE": PASSPHRASE},
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    return out


@needs_stock
def test_a_folder_signed_by_the_stock_tool_verifies_with_baton(world, tmp_path):
    folder = unzipped(world.bundle, tmp_path / "bc-lr-1")
    (folder / "model.sig").unlink()  # signed afresh below, by the stock tool alone
    key = decrypted_key(world.ds, tmp_path / "key.pem")
    signed = stock("sign", "key", "--private_key", key, "--signature", folder / "model.sig", folder)
    assert signed.returncode == 0, signed.stderr

    d = as_json(ok(run(world.mle, "verify", folder, "--json")))
    assert d["trusted"] is True and d["signer_name"] == "Dana"
    assert d["signer_fingerprint"] == world.base.dana_fp
    assert d["files"] == 6 and d["name"] == "bc-lr"
    # someone who does not trust Dana: intact, untrusted, the key found in the contract
    assert as_json(ok(run(world.stranger, "verify", folder, "--json"), 3))["trusted"] is False

    (folder / "card.md").write_text("# A better model\n")
    line = error_line(ok(run(world.mle, "verify", folder, "--json"), 1))
    assert "card.md was changed after signing" in line


@needs_stock
def test_a_baton_bundle_unzipped_verifies_with_the_stock_tool(handover, tmp_path):
    folder = unzipped(handover.bundle, tmp_path / "bc-lr-1")
    args = ("verify", "key", "--public_key", handover.dana_pub, "--signature",
            folder / "model.sig", folder)  # fmt: skip
    done = stock(*args)
    assert done.returncode == 0, done.stderr
    assert "Verification succeeded" in done.stdout

    (folder / "data" / "test.parquet").write_bytes(b"tampered")
    bad = stock(*args)
    assert bad.returncode != 0 and "data/test.parquet" in bad.stderr
    # a key that did not sign it is refused too
    folder = unzipped(handover.bundle, tmp_path / "again")
    other = stock("verify", "key", "--public_key", handover.eli_pub, "--signature",
                  folder / "model.sig", folder)  # fmt: skip
    assert other.returncode != 0
