"""Verify fingerprints a bundle's tables in one streaming pass, as strictly as a whole read.

The bundle's test set is replaced by another table (one value changed, and the same data
cut into many small row groups, which the streaming pass reads batch by batch), re-signed
by its trusted author with the contract left as it was: the digests all match the signed
list, so only the fingerprint can tell, and it must.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import as_json, error_line, ok, read_members, rewrite, run  # noqa: E402

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp


def _with_test_set(world, table: pa.Table, out: str, row_group: int):
    buf = io.BytesIO()
    pq.write_table(table, buf, row_group_size=row_group)

    def swap(members):
        members["data/test.parquet"] = buf.getvalue()

    return rewrite(world.bundle, world.path(out), swap, resign=world.dana_key)


def _test_table(world) -> pa.Table:
    return pq.read_table(io.BytesIO(read_members(world.bundle)["data/test.parquet"]))


def test_a_test_set_with_one_value_changed_is_refused(world, private_tmp):
    table = _test_table(world)
    first = table.column(0).to_pylist()
    changed = table.set_column(0, table.field(0), pa.array([first[0] + 1.0, *first[1:]]))
    bundle = _with_test_set(world, changed, "changed.baton", row_group=16)
    line = error_line(ok(run(world.mle, "verify", bundle, "--json"), 1))
    assert line == (
        "Error: changed.baton: data/test.parquet does not hold the test data the contract "
        "fingerprints"
    )


def test_the_same_test_set_in_small_row_groups_still_verifies(world, private_tmp):
    bundle = _with_test_set(world, _test_table(world), "regrouped.baton", row_group=7)
    assert as_json(ok(run(world.mle, "verify", bundle, "--json")))["trusted"] is True
