"""After the digests match, a bundle's model and data are parsed only in a capped child.

``baton verify`` (and everything that opens a bundle: ``review --reproduce``, ``inspect``,
``diff``) reads the skops schema, the ONNX graph and the Parquet files in a child process
whose memory is limited in proportion to the bundle, after caps that refuse a file whose
declared rows, columns or unpacked size are out of proportion to its bytes. Each hostile
file here is a few KB, signed by a key the engineer trusts; each is refused in one line,
and ``baton verify`` on it is measured (peak resident memory of the command and every
process it starts) to stay within a few hundred MB.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import Snapshot, as_json, ok, rewrite, run  # noqa: E402
from tests.hostile_skops import bundle_with_model, edit_schema  # noqa: E402

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

PEAK_MB = 400  # what verifying a bundle of a few KB may cost, all processes together


# --- measuring -----------------------------------------------------------------------------------

_MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                  "peak_mb": peak}))
"""


def verify_measured(home: Path, bundle: Path) -> dict:
    """``baton verify --json`` in a fresh process; its exit code, output and the peak
    resident memory (MB) of the largest process it or its children ran."""
    command = [sys.executable, "-c", "from baton.core.cli.main import main; main()",
               "--home", str(home), "verify", str(bundle), "--json"]  # fmt: skip
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return json.loads(done.stdout)


def refused_small(world, private_tmp, bundle: Path, *needles: str) -> dict:
    """Verify ``bundle`` measured: exit 1, one line naming it, within PEAK_MB, no trace."""
    snap = Snapshot([world.mle, world.ds], [world.root], private_tmp)
    measured = verify_measured(world.mle, bundle)
    assert measured["code"] == 1, measured
    line = measured["stderr"].strip()
    if measured["stdout"]:  # with --json: the same failure as one JSON object, nothing else
        error = json.loads(measured["stdout"])["error"]
        assert error["exit_code"] == 1 and line == f"Error: {error['message']}", measured
    assert line.startswith(f"Error: {bundle.name}: ") and "\n" not in line, line
    assert "Traceback" not in line
    for needle in needles:
        assert needle in line, line
    assert measured["peak_mb"] < PEAK_MB, measured
    print(f"\n{bundle.name}: {bundle.stat().st_size:,} bytes, peak {measured['peak_mb']:.0f} MB")
    snap.unchanged()
    return measured


def with_member(world, name: str, data: bytes, out: str) -> Path:
    """The handover bundle with member ``name`` replaced, re-signed by its trusted author."""

    def swap(members):
        members[name] = data

    return rewrite(world.bundle, world.path(out), swap, resign=world.dana_key)


# --- the parent parses nothing ------------------------------------------------------------------


def test_verify_parses_no_model_and_no_data_in_its_own_process(world, private_tmp):
    def refuse(*args, **kwargs):
        raise AssertionError("parsed in the parent process")

    with (
        mock.patch("pyarrow.parquet.ParquetFile", refuse),
        mock.patch("pyarrow.parquet.read_table", refuse),
        mock.patch("baton.core.data.datasets.read_table", refuse),
        mock.patch("baton.core.data.skops_check.check_skops", refuse),
        mock.patch("baton.core.data.skops_check.skops_allowed_types", refuse),
        mock.patch("baton.core.data.datasets.fingerprint_parquet", refuse),
        mock.patch("baton.core.data.onnx_model.load_onnx_checked", refuse),
    ):
        result = ok(run(world.mle, "verify", world.bundle, "--json"))
    assert as_json(result)["trusted"] is True


# --- Parquet --------------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _footer(data: bytes) -> bytes:
    return data[-8 - struct.unpack("<I", data[-8:-4])[0] : -8]


def _with_footer(data: bytes, footer: bytes) -> bytes:
    body = data[: len(data) - 8 - len(_footer(data))]
    return body + footer + struct.pack("<I", len(footer)) + b"PAR1"


def small_parquet(rows: int = 1000) -> bytes:
    table = pa.table({"a": np.arange(rows) * 0.5 + 0.25, "target": np.arange(rows) % 2})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def parquet_claiming_rows(rows: int) -> bytes:
    """A real 1000-row Parquet file whose footer (file, row group and column chunks alike)
    says it holds ``rows`` rows."""
    data = small_parquet(1000)
    footer = _footer(data)
    # Thrift compact: field header 0x16 (next field, i64), then the zigzag varint.
    was, now = b"\x16" + _varint(2000), b"\x16" + _varint(2 * rows)
    assert footer.count(was) == 4  # num_rows of the file and row group, num_values x 2
    return _with_footer(data, footer.replace(was, now))


def parquet_claiming_columns(columns: int) -> bytes:
    """A real Parquet file whose footer's schema list says it has ``columns`` entries."""
    data = small_parquet(10)
    footer = _footer(data)
    # Thrift compact: field 1 (version, i32 2), then field 2, a list of 3 structs.
    assert footer[:4] == b"\x15\x04\x19\x3c"
    return _with_footer(data, footer[:2] + b"\x19\xfc" + _varint(columns) + footer[4:])


def test_the_crafted_footers_say_what_they_claim():
    meta = pq.ParquetFile(io.BytesIO(parquet_claiming_rows(10**12))).metadata
    assert meta.num_rows == meta.row_group(0).num_rows == 10**12
    assert len(parquet_claiming_rows(10**12)) < 4096
    with pytest.raises(OSError, match="thrift"):  # more schema entries than it holds
        pq.ParquetFile(io.BytesIO(parquet_claiming_columns(900_000))).metadata  # noqa: B018


def test_a_parquet_footer_claiming_a_trillion_rows(world, private_tmp):
    bundle = with_member(world, "data/test.parquet", parquet_claiming_rows(10**12), "rows.baton")
    refused_small(world, private_tmp, bundle,
                  "data/test.parquet declares 1,000,000,000,000 rows of 2 columns in",
                  "out of proportion to its bytes")  # fmt: skip


def test_a_parquet_footer_claiming_a_million_columns(world, private_tmp):
    bundle = with_member(
        world, "data/test.parquet", parquet_claiming_columns(900_000), "cols.baton"
    )
    refused_small(world, private_tmp, bundle, "data/test.parquet: not a readable Parquet file")


def test_predictions_claiming_a_trillion_rows(world, private_tmp):
    data = parquet_claiming_rows(10**12)

    def swap(members):
        members["predictions/test.parquet"] = data
        contract = json.loads(members["contract.json"])
        contract["predictions"]["sha256"] = hashlib.sha256(data).hexdigest()
        members["contract.json"] = json.dumps(contract, indent=2, sort_keys=True).encode() + b"\n"

    bundle = rewrite(world.bundle, world.path("pred.baton"), swap, resign=world.dana_key)
    refused_small(
        world, private_tmp, bundle, "predictions/test.parquet declares 1,000,000,000,000 rows"
    )


def dictionary_bomb(rows: int = 4_000_000, width: int = 4096) -> bytes:
    """A valid, honest Parquet file of a few KB whose one text column decodes to
    ``rows * width`` bytes: one long dictionary value, repeated."""
    column = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * width])
    )
    buf = io.BytesIO()
    pq.write_table(pa.table({"a": column}), buf, compression="zstd", write_statistics=False,
                   store_schema=False)  # fmt: skip
    return buf.getvalue()


def test_a_small_parquet_file_that_decodes_to_gigabytes_runs_out_of_memory_in_the_child(
    world, private_tmp
):
    data = dictionary_bomb()
    assert len(data) < 16 * 1024
    bundle = with_member(world, "data/test.parquet", data, "inflating.baton")
    measured = refused_small(world, private_tmp, bundle,
                             "reading the model and data files used more than the memory limit",
                             "and was stopped")  # fmt: skip
    assert measured["stderr"].count("\n") == 1


# --- skops ----------------------------------------------------------------------------------------


def _rezip(skops: bytes, extra: dict[str, int] | None = None, deflate=()) -> bytes:
    """``skops`` rewritten with the members in ``deflate`` compressed, and ``extra`` members
    of that many zero bytes (deflated, streamed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(skops)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            method = zipfile.ZIP_DEFLATED if info.filename in deflate else zipfile.ZIP_STORED
            dst.writestr(info.filename, src.read(info), compress_type=method)
        for name, size in (extra or {}).items():
            _write_streamed(dst, name, [bytes(1 << 20)] * (size >> 20))
    return out.getvalue()


def _write_streamed(zf: zipfile.ZipFile, name: str, chunks) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as fh:
        for chunk in chunks:
            fh.write(chunk)


def schema_bomb(skops: bytes, inflated: int) -> bytes:
    """``skops`` whose schema.json is padded with spaces to ``inflated`` bytes, deflated."""
    with zipfile.ZipFile(io.BytesIO(skops)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    text = members.pop("schema.json")
    spaces = inflated - len(text)
    chunks = [text[:-1]] + [b" " * (1 << 20)] * (spaces >> 20) + [b" " * (spaces % (1 << 20)), b"}"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        _write_streamed(zf, "schema.json", chunks)
    return out.getvalue()


@pytest.fixture
def base_skops(files) -> bytes:
    return files.lr_skops.read_bytes()


def test_a_skops_schema_that_inflates_to_a_gigabyte(world, private_tmp, base_skops):
    bomb = schema_bomb(base_skops, 1 << 30)
    assert len(bomb) < 2 * 2**20
    bundle = bundle_with_model(world, bomb, "schema-bomb.baton")
    refused_small(world, private_tmp, bundle, "model/model.skops: model.skops would unpack to "
                  "1,073,", "a likely ZIP bomb")  # fmt: skip


def test_a_zip_bomb_member_inside_the_skops_file(world, private_tmp, base_skops):
    bomb = _rezip(base_skops, {"bomb.npy": 256 << 20})
    assert len(bomb) < 2**20
    bundle = bundle_with_model(world, bomb, "member-bomb.baton")
    refused_small(world, private_tmp, bundle, "would unpack to 268,", "a likely ZIP bomb")


def test_an_honestly_compressed_skops_file_still_loads(tmp_path, base_skops):
    from baton.core.data.models import child_load_skops

    path = tmp_path / "deflated.skops"
    path.write_bytes(_rezip(base_skops, deflate={"schema.json"}))
    assert type(child_load_skops(str(path))).__name__ == "Pipeline"


def _array_member(skops: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(skops)) as zf:
        return next(n for n in zf.namelist() if n.endswith(".npy"))


def test_an_array_header_declaring_more_data_than_it_holds(world, private_tmp, base_skops):
    member = _array_member(base_skops)
    lie = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        lie, {"descr": "<f8", "fortran_order": False, "shape": (10**10,)}
    )
    skops = _replace_member(base_skops, member, lie.getvalue() + bytes(8))
    bundle = bundle_with_model(world, skops, "array.baton")
    refused_small(world, private_tmp, bundle, f"{member} declares 80,000,000,000 bytes of array "
                  "data but holds 8")  # fmt: skip


def _replace_member(skops: bytes, member: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(skops)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == member else src.read(info))
    return out.getvalue()


def test_a_schema_nested_a_hundred_thousand_deep(world, private_tmp, base_skops):
    deep = "[" * 100_000 + "]" * 100_000

    def nest(schema):
        schema["padding"] = "DEEP"

    skops = edit_schema(base_skops, nest)
    with zipfile.ZipFile(io.BytesIO(skops)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["schema.json"] = members["schema.json"].replace(b'"DEEP"', deep.encode())
    skops = _replace_member(skops, "schema.json", members["schema.json"])
    bundle = bundle_with_model(world, skops, "deep.baton")
    refused_small(world, private_tmp, bundle, "model/model.skops: model.skops is not a readable "
                  ".skops file (schema.json nests deeper than 200 levels)")  # fmt: skip


def test_the_pristine_bundle_verifies_within_the_same_budget(world, private_tmp):
    measured = verify_measured(world.mle, world.bundle)
    assert measured["code"] == 0, measured
    assert measured["peak_mb"] < PEAK_MB, measured
    print(f"\npristine {world.bundle.stat().st_size:,} bytes: peak {measured['peak_mb']:.0f} MB")
