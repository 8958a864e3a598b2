"""Checking a ``.skops`` file before skops builds anything from it: the archive's members
and sizes, every node of its schema against the exact allowlist of classes, and the numpy
payloads it carries; then loading the same bytes trusting exactly the classes found."""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

from baton.core.data import allowlist
from baton.core.errors import BatonError, ModelError, UnsafeInput

# A .skops file's members may unpack to this many times the file's size, together, once
# they exceed SKOPS_FREE_BYTES (skops stores members uncompressed; a model re-zipped with
# compression stays far below this, a ZIP bomb far above).
SKOPS_MAX_RATIO = 200
SKOPS_FREE_BYTES = 1 << 20


# Containers nested in schema.json; a deep scikit-learn pipeline uses a few dozen.
SKOPS_MAX_DEPTH = 200
_OFF_LIST_SHOWN = 20


# How a refusal names what a loader would have done with the class it names.
_LOADER_WORDS = {
    "FunctionNode": "function",
    "MethodNode": "method",
    "PartialNode": "partial function",
    "OperatorFuncNode": "operator",
    "TypeNode": "reference",
    "ConstructorFromReduceNode": "constructor call",
    "LossNode": "loss",
    "TreeNode": "tree",
    "NdArrayNode": "array",
    "SparseMatrixNode": "sparse matrix",
    "MaskedArrayNode": "masked array",
    "DTypeNode": "dtype",
    "RandomStateNode": "random state",
    "RandomGeneratorNode": "random generator",
    "DictNode": "dict",
    "ListNode": "list",
    "TupleNode": "tuple",
    "JsonNode": "value",
    "SliceNode": "slice",
}


def _show(text: str) -> str:
    """A name from the file, with control and other unprintable characters escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _unreadable(name: str, why: str) -> ModelError:
    return ModelError(f"{name} is not a readable .skops file ({why})", path=name)


def skops_allowed_types(path: str | os.PathLike[str]) -> list[str]:
    """Every class a .skops file builds, all on Baton's allowlist; refuses anything else.

    Reads the file's ``schema.json`` without importing anything it names. Run it in the
    child process: the caps below bound what a hostile file can cost, not what it is.
    """
    path = Path(path)
    # Read from the open file: only the schema and the array headers come into memory,
    # never the weights, however large the model.
    with open(path, "rb") as fh:
        return _check_zip(fh, os.fstat(fh.fileno()).st_size, path.name)


def check_skops(data: bytes, name: str) -> list[str]:
    """:func:`skops_allowed_types` of a .skops file held in memory, named ``name``."""
    return _check_zip(io.BytesIO(data), len(data), name)


def _check_zip(source: Any, packed: int, name: str) -> list[str]:
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise _unreadable(name, f"not a ZIP: {exc}") from None
    with zf:
        _check_members(zf.infolist(), packed, name, name)
        if "schema.json" not in zf.NameToInfo:
            raise _unreadable(name, "it has no schema.json")
        schema = _load_schema(_read_member(zf, "schema.json", name), name)
        return _check_schema(schema, zf, name)


def _check_members(infos, packed: int, name: str, label: str) -> None:
    """One entry per name, and no more unpacked bytes than the packed size warrants."""
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[0]
        raise _unreadable(name, f"it holds two members named {_show(twice)}")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > max(SKOPS_FREE_BYTES, SKOPS_MAX_RATIO * packed):
        raise UnsafeInput(
            f"{label} would unpack to {unpacked:,} bytes from {packed:,}; Baton refuses "
            f"a .skops file that unpacks to more than {SKOPS_MAX_RATIO} times its size "
            "(a likely ZIP bomb)",
            path=name,
        )


def _read_member(zf: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError,
            OSError, ValueError) as exc:  # fmt: skip
        raise _unreadable(name, f"{_show(member)}: {exc}") from None


def _load_schema(raw: bytes, name: str) -> dict:
    try:
        schema = json.loads(raw)
    except RecursionError:
        raise _unreadable(name, f"schema.json nests deeper than {SKOPS_MAX_DEPTH} levels") from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise _unreadable(name, f"schema.json is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise _unreadable(name, "schema.json does not describe an object")
    protocol = schema.get("protocol")
    if isinstance(protocol, bool) or protocol not in allowlist.SKOPS_PROTOCOLS:
        raise ModelError(
            f"{name} was saved with skops protocol {protocol!r}; Baton reads protocols "
            f"{' and '.join(map(str, allowlist.SKOPS_PROTOCOLS))}. Save the model again with "
            "a current skops",
            path=name,
        )
    return schema


def _check_schema(schema: dict, zf: zipfile.ZipFile, name: str) -> list[str]:
    """Walk every container of the schema; check each node (a dict naming a loader)."""
    found: set[str] = set()
    off_list: dict[str, None] = {}  # ordered set
    readers: dict[str, int | None] = {}  # member -> the __id__ of the one node that reads it
    stack: list[tuple[Any, int]] = [(schema, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > SKOPS_MAX_DEPTH:
            raise _unreadable(name, f"schema.json nests deeper than {SKOPS_MAX_DEPTH} levels")
        if isinstance(item, dict):
            if {"__loader__", "__module__", "__class__"} & item.keys():
                problem = _check_node(item, zf, name, readers)
                if problem:
                    off_list[problem] = None
                else:
                    found.add(f"{item['__module__']}.{item['__class__']}")
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    if off_list:
        shown = list(off_list)[:_OFF_LIST_SHOWN]
        more = len(off_list) - len(shown)
        raise UnsafeInput(
            f"{name} needs types outside Baton's allowlist of scikit-learn estimators and "
            f"numpy/scipy data types: {', '.join(shown)}{f' and {more} more' if more else ''}. "
            "Baton refuses to load it; export the model with only scikit-learn components, "
            "or as ONNX",
            path=name,
        )
    return sorted(found)


def _refuse_file_reader(node: dict, name: str) -> None:
    """A text vectoriser passes only if its saved ``input`` is exactly ``"content"``."""
    state = node.get("content")
    fields = state.get("content") if isinstance(state, dict) else None
    entry = fields.get("input") if isinstance(fields, dict) else None
    raw = (
        entry.get("content")
        if isinstance(entry, dict) and entry.get("__loader__") == "JsonNode"
        else None
    )
    if raw == '"content"':
        return
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    shown = repr(value) if isinstance(value, str) else "an unreadable value"
    raise UnsafeInput(_reads_files(name, [f"{node['__class__']}(input={_show(shown)})"]), path=name)


def _reads_files(name: str, readers: list[str]) -> str:
    return (
        f"{name} holds {', '.join(readers)}, which opens the files its input rows name; "
        "Baton runs no model that reads files (set input='content' and pass the text)"
    )


def _check_node(
    node: dict, zf: zipfile.ZipFile, name: str, readers: dict[str, int | None]
) -> str | None:
    """How the refusal names this node if it is off the list, else None (it may pass)."""
    loader, module, cls = node.get("__loader__"), node.get("__module__"), node.get("__class__")
    if not (isinstance(loader, str) and isinstance(module, str) and isinstance(cls, str)):
        raise _unreadable(name, "a node without a loader, module and class")
    node_id = node.get("__id__")
    if node_id is not None and (isinstance(node_id, bool) or not isinstance(node_id, int)):
        raise _unreadable(name, f"a node with the id {_show(repr(node_id))}")
    full = f"{module}.{cls}"
    allowed = allowlist.ALLOWED.get(loader)
    if allowed is None or "." in cls or full not in allowed:
        if loader == "MethodNode":
            func = (
                (node.get("content") or {}).get("func")
                if isinstance(node.get("content"), dict)
                else None
            )
            full = f"{full}.{func}" if isinstance(func, str) else full
        word = _LOADER_WORDS.get(loader, loader)
        return _show(full) if loader == "ObjectNode" else f"{_show(full)} ({_show(word)})"
    if loader == "ObjectNode" and full in allowlist.READS_NAMED_FILES:
        _refuse_file_reader(node, name)
    if loader == "NdArrayNode":
        kind = node.get("type")
        if kind == "numpy":
            _check_npy(zf, _data_file(node, zf, name, readers), name)
        elif kind != "json":
            raise _unreadable(name, f"an array stored as {_show(repr(kind))}")
    elif loader == "SparseMatrixNode":
        if node.get("type") != "scipy":
            raise _unreadable(name, f"a sparse matrix stored as {_show(repr(node.get('type')))}")
        _check_npz(zf, _data_file(node, zf, name, readers), name)
    elif loader == "RandomGeneratorNode":
        return _check_bit_generator(node, name)
    elif loader == "JsonNode" and not isinstance(node.get("content"), str):
        raise _unreadable(name, "a value that is not JSON text")
    return None


def _data_file(node: dict, zf: zipfile.ZipFile, name: str, readers: dict[str, int | None]) -> str:
    """The member an array node reads; each is read for one object only, so that a small
    schema cannot make skops load one large member thousands of times."""
    member, node_id = node.get("file"), node.get("__id__") or None
    if not isinstance(member, str) or member not in zf.NameToInfo:
        shown = _show(member) if isinstance(member, str) else "a missing file"
        raise _unreadable(name, f"an array refers to {shown}, which it does not contain")
    if member in readers and (node_id is None or readers[member] != node_id):
        raise _unreadable(name, f"{_show(member)} is read for more than one object")
    readers[member] = node_id
    return member


def _check_npy(zf: zipfile.ZipFile, member: str, name: str) -> None:
    """The array's header must declare exactly the data the member holds, and no objects."""
    import numpy.lib.format as npy

    info = zf.getinfo(member)
    try:
        with zf.open(info) as fh:
            version = npy.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = npy.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, _, dtype = npy.read_array_header_2_0(fh)
            else:
                raise ValueError(f"array format {version} is not one numpy.save writes")
            offset = fh.tell()
    except (ValueError, SyntaxError, TypeError, EOFError, OSError, zipfile.BadZipFile,
            RuntimeError, NotImplementedError, zlib.error) as exc:  # fmt: skip
        raise _unreadable(name, f"{_show(member)} is not a numpy array file: {exc}") from None
    if dtype.hasobject:
        raise UnsafeInput(
            f"{name}: {_show(member)} holds Python objects, which numpy stores as a pickle; "
            "Baton never loads pickles",
            path=name,
        )
    declared = math.prod(shape) * dtype.itemsize
    if offset + declared != info.file_size:
        raise _unreadable(
            name,
            f"{_show(member)} declares {declared:,} bytes of array data but holds "
            f"{info.file_size - offset:,}",
        )


def _check_npz(zf: zipfile.ZipFile, member: str, name: str) -> None:
    """A sparse matrix is a ZIP of arrays inside the .skops ZIP: the same caps, one level."""
    raw = _read_member(zf, member, name)
    try:
        inner = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise _unreadable(name, f"{_show(member)} is not a sparse matrix file: {exc}") from None
    with inner:
        infos = inner.infolist()
        _check_members(infos, len(raw), name, f"{name}: {_show(member)}")
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise _unreadable(name, f"{_show(member)} holds {_show(info.filename)}")
            _check_npy(inner, info.filename, name)


def _check_bit_generator(node: dict, name: str) -> str | None:
    """numpy rebuilds a Generator by calling the ``numpy.random`` attribute its saved state
    names (a plain string in the file), so that name is checked like a class."""
    try:
        saved = node["content"]["bit_generator"]["content"]["bit_generator"]
        bit_generator = json.loads(saved["content"]) if saved["__loader__"] == "JsonNode" else None
    except (KeyError, TypeError, ValueError):
        bit_generator = None
    if not isinstance(bit_generator, str):
        raise _unreadable(name, "a random generator without the name of its bit generator")
    if bit_generator not in allowlist.BIT_GENERATORS:
        return f"numpy.random.{_show(bit_generator)} (bit generator)"
    return None


def child_load_skops(path: str) -> Any:
    """Load a .skops file trusting exactly the classes the check found (child only)."""
    return load_skops_checked(path)[0]


def load_skops_checked(path: str) -> tuple[Any, list[str]]:
    """The model in a .skops file and the classes it was allowed to build (child only)."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    data = Path(path).read_bytes()
    name = Path(path).name
    types = check_skops(data, name)  # the same bytes skops reads next: one reading
    try:
        model = sio.loads(data, trusted=types)
    except UntrustedTypesFoundException as exc:  # skops saw a type the walk did not
        raise UnsafeInput(
            f"{name} needs types outside Baton's allowlist: {exc}", path=name
        ) from None
    except (MemoryError, BatonError):
        raise
    except Exception as exc:  # skops raises a zoo of errors on a damaged file
        raise ModelError(
            f"{name} could not be loaded ({type(exc).__name__}: {exc})", path=name
        ) from None
    readers = allowlist.file_readers(model)
    if readers:
        raise UnsafeInput(_reads_files(name, readers), path=name)
    return model, types
