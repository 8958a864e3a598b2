"""Hostile skops files made from real ones, by editing the schema.json inside the ZIP.

Node builders write what skops itself would write for a value, a container, a reference
to a class or function, or a call; :func:`plant` adds a node to a saved model.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from tests.handover import contract_of, rewrite, with_contract


def value(v: Any) -> dict:
    """A JSON value, as skops stores str, int, list and dict literals."""
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(v), "is_json": True}  # fmt: skip


def seq(items: list[dict], loader: str = "ListNode", cls: str = "list") -> dict:
    return {"__class__": cls, "__module__": "builtins", "__loader__": loader, "content": items}


def ref(dotted: str, loader: str) -> dict:
    module, _, name = dotted.rpartition(".")
    return {"__class__": name, "__module__": module, "__loader__": loader}


def mapping(content: dict[str, dict], key_type: dict | None = None) -> dict:
    """A DictNode; skops rebuilds each key as ``key_type(key)``."""
    key_type = key_type or ref("builtins.str", "TypeNode")
    return {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
            "content": content, "key_types": seq([key_type] * len(content))}  # fmt: skip


def call_as_loss(dotted: str, *args: Any) -> dict:
    """A LossNode: skops calls the named 'class' with the saved arguments."""
    return {**ref(dotted, "LossNode"), "__reduce__": {"args": seq([value(a) for a in args],
            "TupleNode", "tuple")}, "content": mapping({})}  # fmt: skip


def call_as_constructor(dotted: str, *args: Any) -> dict:
    """A ConstructorFromReduceNode: skops calls the named 'class' with the arguments."""
    return {**ref(dotted, "ConstructorFromReduceNode"),
            "content": seq([value(a) for a in args], "TupleNode", "tuple")}  # fmt: skip


def call_as_key_type(callee: dict, arg: str) -> dict:
    """A dict whose key type is ``callee``: skops calls ``callee(arg)`` to rebuild the key."""
    return mapping({arg: value(0)}, key_type=callee)


def _logistic_regression(node: Any) -> dict | None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("__class__") == "LogisticRegression":
                return item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def edit_schema(skops: bytes, edit) -> bytes:
    """``skops`` with ``edit(schema)`` applied to its parsed schema.json."""
    with zipfile.ZipFile(io.BytesIO(skops)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    schema = json.loads(members["schema.json"])
    edit(schema)
    members["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def plant(skops: bytes, node: dict, attribute: str = "evil_") -> bytes:
    """``skops`` with ``node`` added as an attribute of its LogisticRegression."""

    def edit(schema: dict) -> None:
        attrs = _logistic_regression(schema)["content"]
        attrs["content"][attribute] = node
        attrs["key_types"]["content"].append(ref("builtins.str", "TypeNode"))

    return edit_schema(skops, edit)


def bundle_with_model(world, skops: bytes, name: str) -> Path:
    """The handover bundle with ``skops`` as its model, re-signed by its trusted author."""

    def swap(members):
        members["model/model.skops"] = skops
        contract = contract_of(members)
        contract["model"].update(sha256=hashlib.sha256(skops).hexdigest(), size_bytes=len(skops))
        return with_contract(members, contract)

    return rewrite(world.bundle, world.path(name), swap, resign=world.dana_key)
