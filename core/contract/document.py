"""The handover contract (``contract.json``, schema ``baton.contract/v1``).

A contract is a plain dict that validates against ``resources/schemas/contract.schema.json``
and a few consistency rules the schema cannot express (see :func:`validate_contract`).
Every function here returns a new dict and leaves its input untouched.

Decisions worth knowing:

* ``model.file`` is always ``model/model.<format>``: the bundle's own name for the model,
  whatever the file was called in the catalog.
* ``predictions`` is ``null`` only while drafting; ``check_contract(c, complete=True)``
  (what the exporter calls before signing) requires it, an intended use and an author.
* ``results`` keeps what the MLE needs to re-check claims: metrics with their intervals,
  the confusion matrix and per-class figures when the evaluation has them, latency rows,
  hardware and memory. Curves are left out: they follow from the bundled predictions.
* Versions: one to four dot-separated whole numbers, compared number by number, a missing
  number counting as 0 (``"1.10" > "1.9"``, ``"1.0" == "1.0.0"``); see
  :func:`compare_versions`. Wherever Baton asks whether two versions are the same, it asks
  :func:`compare_versions`, never string equality: ``"2"`` and ``"2.0"`` are one version.
* Names: compared after Unicode case folding and NFC (:func:`name_key`), so ``"Churn"``
  and ``"churn"`` are one bundle name.
* Files are UTF-8 JSON with sorted keys, two-space indent and a final newline, so the same
  contract always gives the same bytes. Loading is strict: duplicate keys, NaN, Infinity and
  numbers too large for a double are refused.

This module reads and writes contract files and is the contract's API; the work is
done by :mod:`~baton.core.contract.validation` (schema and rules),
:mod:`~baton.core.contract.compose` (drafting from catalog records),
:mod:`~baton.core.contract.edits` (fields and targets),
:mod:`~baton.core.contract.versions` (versions and names) and
:mod:`~baton.core.contract.changes` (what changed between two contracts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from baton.core import jsonsafe
from baton.core.contract.changes import Change, ChangeKind, diff_contracts
from baton.core.contract.compose import as_target, dataset_entry, draft_contract
from baton.core.contract.edits import (
    add_target,
    reevaluate_targets,
    remove_target,
    set_field,
    unmeasured_batches,
    with_profile,
)
from baton.core.contract.validation import (
    MAX_CONTRACT_BYTES,
    SCHEMA_ID,
    SCHEMA_RESOURCE,
    ValidationIssue,
    check_contract,
    format_path,
    load_schema,
    show_value,
    validate_contract,
)
from baton.core.contract.versions import (
    canonical_version,
    compare_versions,
    name_key,
    same_name,
    version_key,
)
from baton.core.errors import ContractError

__all__ = [
    "MAX_CONTRACT_BYTES",
    "SCHEMA_ID",
    "SCHEMA_RESOURCE",
    "Change",
    "ChangeKind",
    "ValidationIssue",
    "add_target",
    "as_target",
    "canonical_version",
    "check_contract",
    "compare_versions",
    "dataset_entry",
    "diff_contracts",
    "draft_contract",
    "dump_contract",
    "format_path",
    "load_contract",
    "load_schema",
    "name_key",
    "parse_contract",
    "reevaluate_targets",
    "remove_target",
    "same_name",
    "set_field",
    "show_value",
    "unmeasured_batches",
    "validate_contract",
    "version_key",
    "with_profile",
]


# --------------------------------------------------------------------------- files


def parse_contract(data: bytes, *, source: str = "contract.json") -> dict[str, Any]:
    """Strictly parse and validate contract bytes (e.g. a bundle member)."""
    contract = jsonsafe.loads(
        data, source=source, error=ContractError, max_bytes=MAX_CONTRACT_BYTES
    )
    check_contract(contract, source=source)
    return contract


def load_contract(path: str | Path) -> dict[str, Any]:
    """Read, strictly parse and validate a ``contract.json``."""
    path = Path(path)
    contract = jsonsafe.load_file(
        path, source=path.name, error=ContractError, max_bytes=MAX_CONTRACT_BYTES, path=str(path)
    )
    check_contract(contract, source=path.name)
    return contract


def dump_contract(contract: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a valid contract: sorted keys, indent 2, UTF-8, final newline."""
    check_contract(contract)
    text = json.dumps(contract, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
