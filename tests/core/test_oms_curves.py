"""OMS allows P-256, P-384 and P-521 keys: a folder the stock model_signing tool signs
with any of them verifies with Baton, and a tampered file is still caught."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from baton.core.errors import VerificationError
from baton.core.handover import keys, oms
from tests.core.test_oms import needs_stock, stock_sign


@needs_stock
@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1()], ids=["P-384", "P-521"])
def test_a_stock_signature_on_a_larger_curve_verifies(tmp_path, curve):
    folder = tmp_path / "model"
    (folder / "data").mkdir(parents=True)
    (folder / "contract.json").write_text("{}\n")
    (folder / "data" / "test.parquet").write_bytes(b"rows")
    key = ec.generate_private_key(curve)
    private = tmp_path / "key.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    done = stock_sign(folder, private)
    assert done.returncode == 0, done.stderr
    public = keys.load_public_pem(keys.public_pem(key))  # as `baton keys trust` reads it
    result = oms.verify_folder(folder, public)
    assert set(result.digests) == {"contract.json", "data/test.parquet"}
    (folder / "data" / "test.parquet").write_bytes(b"other rows")
    with pytest.raises(VerificationError, match="data/test.parquet was changed after signing"):
        oms.verify_folder(folder, public)
