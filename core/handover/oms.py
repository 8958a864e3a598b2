"""OpenSSF Model Signing (OMS) v1.0, "key" method: sign a folder, verify a folder.

``model.sig`` is a Sigstore bundle v0.3 (JSON) holding a DSSE envelope whose payload is
an in-toto Statement v1 with predicate type ``https://model_signing/signature/v1.0``::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": <hex sha256 of the PEM public key>},
                              "tlogEntries": []},
     "dsseEnvelope": {"payload": <base64 statement>,
                      "payloadType": "application/vnd.in-toto+json",
                      "signatures": [{"sig": <base64 DER ECDSA over PAE>, "keyid": ""}]}}

The statement lists every regular file (``resources``: name, sha256 digest, algorithm),
sorted by code point, with ``serialization = {method: files, hash_type: sha256,
allow_symlinks: false, ignore_paths: [...]}``; its single subject is the folder name
and the *root digest*: SHA-256 over the concatenated raw file digests, in list order.

Compatibility with the stock ``model_signing`` 1.x tool (checked by the tests, which run
it as a subprocess; it is not a runtime dependency):

- ``ignore_paths`` records what was left out: the OMS defaults (``.git``,
  ``.gitattributes``, ``.github``, ``.gitignore``, top level only) and the signature
  file itself, as the stock signer does;
- the stock signer orders resources by path components (``a/b`` before ``a-c``) rather
  than by code point, and computes the root digest in *its* list order. The verifier
  therefore recomputes the root digest over the order found in the file and does not
  insist on a particular order; it does refuse duplicate or non-canonical names;
- the stock verifier checks only the first DSSE signature; this one refuses envelopes
  with more than one, since the key method names exactly one key.

Verification is split into steps so the bundle reader can put its own checks between
them (DESIGN.md section 3): :func:`parse_signature` (strict, size-capped) →
:func:`lookup_key` (trust store by fingerprint) → :func:`verify_signature` (DSSE over the
exact payload bytes) → hash the members → :func:`compare_manifest`.
:func:`verify_folder` runs them all on an extracted folder.

The JSON schemas in ``resources/schemas/oms/`` are the OMS v1.0 schemas, copied
unchanged with their Apache-2.0 licence.
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any, TypeAlias

import jsonschema
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from baton.core import jsonsafe
from baton.core.errors import (
    BatonError,
    KeyError_,
    NotFound,
    UnsafeInput,
    UntrustedSigner,
    UsageError,
    VerificationError,
)
from baton.core.fsutil import atomic_write_bytes
from baton.core.handover.keys import fingerprint, load_public_pem
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken, ProgressFn

SIGNATURE_NAME = "model.sig"
PREDICATE_TYPE = "https://model_signing/signature/v1.0"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
# Sigstore bundle media types that can carry a DSSE envelope (v0.1 and v0.2 used the
# "+json;version=" spelling). We always write v0.3.
ACCEPTED_MEDIA_TYPES = frozenset(
    {
        BUNDLE_MEDIA_TYPE,
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
    }
)
# Excluded by default at the top level of the model (OMS v1.0 section 6.2).
DEFAULT_IGNORE_PATHS: tuple[str, ...] = (".git", ".gitattributes", ".github", ".gitignore")
# A signature lists one line per file; 1 MiB is thousands of files, far more than a bundle.
MAX_SIGNATURE_BYTES = 1 << 20
# Large reads into one reused buffer per worker: few system calls, no allocations.
READ_CHUNK = 4 << 20

_HEX_LENGTH = {"sha256": 64, "blake2b": 128, "blake3": 64}
_FINGERPRINT_RE = re.compile(r"[0-9a-f]{64}")
_SCHEMA_FILES = ("bundle", "envelope", "statement", "predicate")

KeyLookup: TypeAlias = Mapping[str, Any] | Callable[[str], Any] | ec.EllipticCurvePublicKey


# --------------------------------------------------------------------------- schemas


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    base = files("baton.resources").joinpath("schemas", "oms")
    return {
        name: json.loads(base.joinpath(f"{name}.schema.json").read_text("utf-8"))
        for name in _SCHEMA_FILES
    }


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one OMS schema whose ``$ref``s resolve locally, never over the network."""
    schemas = _schemas()
    registry: Registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas.values()
    )
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)


def _clip(text: str, limit: int = 160) -> str:
    """Shorten text from a hostile file for a one-line message; no control characters."""
    text = "".join(c if c.isprintable() else " " if c in "\r\n\t" else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _schema_problem(validator: jsonschema.Draft202012Validator, instance: Any) -> str | None:
    """One readable line for the most relevant schema violation, or None if valid."""
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    err = jsonschema.exceptions.best_match(errors)
    # best_match descends into anyOf branches and may blame an arbitrary one; name the
    # top-level alternative instead.
    top = min(errors, key=lambda e: len(e.absolute_path))
    if top.validator in ("anyOf", "oneOf") and len(top.absolute_path) <= len(err.absolute_path):
        err = top
    where = "/".join(str(p) for p in err.absolute_path) or "top level"
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return (
            f"'{missing}' is missing"
            if not err.absolute_path
            else f"{where}: '{missing}' is missing"
        )
    if err.validator in ("anyOf", "oneOf"):
        if tuple(err.absolute_path) == ("verificationMaterial",):
            return (
                "verificationMaterial holds no usable key material "
                "(a publicKey, an x509CertificateChain, or a certificate with tlogEntries)"
            )
        if tuple(err.absolute_path)[-1:] == ("publicKey",):
            return f"{where}: has neither 'hint' nor 'rawBytes'"
        return f"{where}: does not match any allowed form"
    return f"{where}: {_clip(err.message)}"


# ------------------------------------------------------------------------- file paths


def _is_canonical(name: str) -> bool:
    """A canonical OMS resource path: relative, '/'-separated, no '.', '..' or empty parts."""
    if not name or "\x00" in name or name.startswith("/") or name.endswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _normalise_ignore(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """User-given ignore paths as canonical relative POSIX paths (``./a//b`` → ``a/b``)."""
    out = []
    for p in paths:
        text = os.fspath(p).replace(os.sep, "/") if os.sep != "/" else os.fspath(p)
        pure = PurePosixPath(text)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or str(pure) == ".":
            raise UsageError(f"ignore path {text!r} must be a path inside the model folder")
        if any(c in text for c in "*?["):
            raise UsageError(f"ignore path {text!r} must not contain glob characters (* ? [)")
        out.append(str(pure))
    return out


def _ignore_set(paths: Iterable[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(p.split("/")) for p in paths)


def _is_ignored(name: str, ignore: frozenset[tuple[str, ...]]) -> bool:
    parts = tuple(name.split("/"))
    return any(parts[:i] in ignore for i in range(1, len(parts) + 1))


@dataclass(frozen=True, slots=True)
class _File:
    name: str  # canonical relative POSIX path
    path: str  # path on disk
    size: int


def _enumerate(root: Path, ignore: frozenset[tuple[str, ...]]) -> tuple[list[_File], list[str]]:
    """Every regular file under ``root`` not under an ignore path, plus the ignored entries.

    Refuses symbolic links, devices, FIFOs and sockets, and names that are not UTF-8
    (they cannot be written losslessly into the JSON manifest).
    """
    found: list[_File] = []
    ignored: list[str] = []
    stack: list[tuple[tuple[str, ...], str]] = [((), os.fspath(root))]
    while stack:
        parts, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            where = "/".join(parts) or os.fspath(root)
            raise BatonError(f"cannot list {where}: {err.strerror}", path=where) from None
        for entry in entries:
            rel_parts = (*parts, entry.name)
            name = "/".join(rel_parts)
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                raise UnsafeInput(
                    f"{shown} has a file name that is not valid UTF-8; OMS signatures cannot name it",
                    path=shown,
                ) from None
            if rel_parts in ignore:
                ignored.append(name)
                continue
            if entry.is_symlink():
                raise UnsafeInput(
                    f"{name} is a symbolic link; signatures cover regular files only "
                    "(allow_symlinks is false)",
                    path=name,
                )
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel_parts, entry.path))
            elif entry.is_file(follow_symlinks=False):
                found.append(_File(name, entry.path, entry.stat(follow_symlinks=False).st_size))
            else:
                raise UnsafeInput(
                    f"{name} is not a regular file (a device, FIFO or socket); it cannot be signed",
                    path=name,
                )
    return found, ignored


def _regular_file_inside(root: Path, name: str) -> _File | None:
    """``root/name`` if it is a regular file reached without any symbolic link, else None."""
    path = root
    for part in name.split("/"):
        path = path / part
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeInput(
                f"{name} goes through a symbolic link; signatures cover regular files only",
                path=name,
            )
    return _File(name, os.fspath(path), st.st_size) if stat.S_ISREG(st.st_mode) else None


def _check_folder(folder: str | os.PathLike[str]) -> Path:
    root = Path(folder)
    try:
        st = root.stat()
    except FileNotFoundError:
        raise NotFound(f"folder {root} does not exist", path=str(root)) from None
    except OSError as err:
        raise BatonError(f"cannot open folder {root}: {err.strerror}", path=str(root)) from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{root} is not a folder", path=str(root))
    return root


# --------------------------------------------------------------------------- hashing


class _Stopped(Exception):
    """Internal: another worker failed or the user cancelled."""


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after listing must not block us
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _hash_file(
    f: _File, view: memoryview, done: list[int], slot: int, stop: threading.Event
) -> str:
    try:
        fd = os.open(f.path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise BatonError(f"{f.name} disappeared while it was being hashed", path=f.name) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafeInput(
                f"{f.name} is a symbolic link; signatures cover regular files only", path=f.name
            ) from None
        raise BatonError(f"cannot read {f.name}: {err.strerror}", path=f.name) from None
    with open(fd, "rb", buffering=0, closefd=True) as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeInput(f"{f.name} is not a regular file; it cannot be signed", path=f.name)
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):  # a hint only
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        h = hashlib.sha256()
        while True:
            n = fh.readinto(view)
            if not n:
                break
            # hashlib releases the GIL for large buffers, so workers hash in parallel.
            h.update(view[:n])
            done[slot] += n
            if stop.is_set():
                raise _Stopped
        return h.hexdigest()


def default_workers() -> int:
    """One hashing thread per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _hash_files(
    found: list[_File],
    *,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    workers: int | None,
    message: str,
) -> dict[str, str]:
    """SHA-256 of each file, in parallel threads; progress and cancel from this thread.

    OMS "files" hashes each file whole, so one file cannot be split between cores; the
    largest files start first so the cores finish together.
    """
    total = sum(f.size for f in found)
    queue = iter(sorted(found, key=lambda f: f.size, reverse=True))
    n = max(1, min(workers or default_workers(), len(found)))
    lock = threading.Lock()
    stop = threading.Event()
    done = [0] * n
    digests: dict[str, str] = {}

    def work(slot: int) -> None:
        view = memoryview(bytearray(READ_CHUNK))
        while not stop.is_set():
            with lock:
                f = next(queue, None)
            if f is None:
                return
            digests[f.name] = _hash_file(f, view, done, slot, stop)

    def report() -> None:
        if progress is not None:
            progress(float(sum(done)), float(total), message)

    report()
    if not found:
        return {}
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=n, thread_name_prefix="baton-hash"
    ) as pool:
        futures = [pool.submit(work, slot) for slot in range(n)]
        try:
            while True:
                finished, pending = concurrent.futures.wait(
                    futures, timeout=0.1, return_when=concurrent.futures.FIRST_EXCEPTION
                )
                for fut in finished:
                    exc = fut.exception()
                    if exc is not None and not isinstance(exc, _Stopped):
                        raise exc
                if not pending:
                    break
                report()
                if cancel is not None:
                    cancel.check()
        except BaseException:
            stop.set()
            raise
    report()
    if cancel is not None:
        cancel.check()
    return digests


def hash_tree(
    folder: str | os.PathLike[str],
    ignore_paths: Iterable[str | os.PathLike[str]] = (),
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> dict[str, str]:
    """``{relative POSIX path: hex sha256}`` of every regular file under ``folder``.

    ``ignore_paths`` are relative paths excluded with their subtrees, exactly as given:
    the OMS defaults and the signature file are added by :func:`sign_folder` and
    :func:`verify_folder`, not here. Symbolic links and special files are refused.
    Files are hashed by ``workers`` threads (default: one per core). The result is
    ordered by code point.
    """
    root = _check_folder(folder)
    found, _ = _enumerate(root, _ignore_set(_normalise_ignore(ignore_paths)))
    digests = _hash_files(
        found, progress=progress, cancel=cancel, workers=workers, message="Hashing files"
    )
    return {name: digests[name] for name in sorted(digests)}


def root_digest(hex_digests: Iterable[str]) -> str:
    """The OMS root digest: SHA-256 over the raw bytes of the given digests, in order."""
    h = hashlib.sha256()
    for d in hex_digests:
        h.update(bytes.fromhex(d))
    return h.hexdigest()


# --------------------------------------------------------------------------- signing


def default_ignore_paths(sig_name: str = SIGNATURE_NAME) -> list[str]:
    """What a signer leaves out and records: the OMS defaults and the signature file."""
    return sorted({*DEFAULT_IGNORE_PATHS, sig_name})


def build_statement(
    digests: Mapping[str, str],
    *,
    model_name: str = "model",
    ignore_paths: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The in-toto Statement v1 with the OMS v1.0 predicate for ``{path: sha256 hex}``.

    ``ignore_paths`` (recorded in ``serialization``) defaults to
    :func:`default_ignore_paths`; an empty list omits the field, as the stock tool does.
    """
    if not digests:
        raise UsageError("nothing to sign: the model holds no files")
    if not model_name:
        raise UsageError("the model name in a signature cannot be empty")
    resources = []
    for name in sorted(digests):
        digest = digests[name]
        if not _is_canonical(name):
            raise UsageError(f"{name!r} is not a relative path inside the model")
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or not re.fullmatch(r"[0-9a-f]+", digest)
        ):
            raise UsageError(f"the digest of {name} is not a lowercase hex SHA-256")
        resources.append({"name": name, "digest": digest, "algorithm": "sha256"})
    ignored = default_ignore_paths() if ignore_paths is None else sorted(set(ignore_paths))
    serialization_: dict[str, Any] = {
        "method": "files",
        "hash_type": "sha256",
        "allow_symlinks": False,
    }
    if ignored:
        serialization_["ignore_paths"] = ignored
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": model_name, "digest": {"sha256": root_digest(r["digest"] for r in resources)}}
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"resources": resources, "serialization": serialization_},
    }


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: the exact bytes that are signed."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _signature_hash(curve: ec.EllipticCurve) -> hashes.HashAlgorithm:
    # The pairing used by the stock tool and Sigstore's algorithm registry.
    match curve.name:
        case "secp256r1":
            return hashes.SHA256()
        case "secp384r1":
            return hashes.SHA384()
        case "secp521r1":
            return hashes.SHA512()
    raise KeyError_(f"unsupported elliptic curve {curve.name}; OMS keys are P-256, P-384 or P-521")


def sign_statement(statement: Mapping[str, Any], private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The ``model.sig`` bytes for ``statement``, signed with ``private_key``."""
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyError_("OMS key signatures need an elliptic-curve private key")
    payload = json.dumps(
        statement, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    der = private_key.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(_signature_hash(private_key.curve)))
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": fingerprint(private_key.public_key())},
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(der).decode("ascii"), "keyid": ""}],
        },
    }
    # The spec asks producers to validate their output; a failure here is a bug.
    for name, instance in (("bundle", bundle), ("statement", statement)):
        problem = _schema_problem(_validator(name), instance)
        if problem:
            raise BatonError(
                f"internal error: the signature does not follow the OMS {name} schema: {problem}"
            )
    return json.dumps(bundle, indent=2).encode("ascii") + b"\n"


def sign_folder(
    folder: str | os.PathLike[str],
    private_key: ec.EllipticCurvePrivateKey,
    sig_name: str = SIGNATURE_NAME,
    ignore_paths: Iterable[str | os.PathLike[str]] = (),
    *,
    model_name: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> bytes:
    """Sign every regular file in ``folder``; write ``folder/sig_name`` atomically.

    Leaves out (and records) the OMS default paths, the signature file and
    ``ignore_paths``. The subject name is the folder's name unless ``model_name``.
    Returns the bytes written.
    """
    root = _check_folder(folder)
    if not _is_canonical(sig_name):
        raise UsageError(f"signature name {sig_name!r} must be a path inside the model folder")
    ignored = sorted({*default_ignore_paths(sig_name), *_normalise_ignore(ignore_paths)})
    digests = hash_tree(root, ignored, progress=progress, cancel=cancel, workers=workers)
    if not digests:
        raise UsageError(f"nothing to sign: {root} holds no files", path=str(root))
    name = model_name or root.resolve().name or "model"
    data = sign_statement(
        build_statement(digests, model_name=name, ignore_paths=ignored), private_key
    )
    if cancel is not None:
        cancel.check()
    atomic_write_bytes(root / sig_name, data)
    return data


# --------------------------------------------------------------------------- parsing


def _b64decode(text: Any, what: str) -> bytes:
    """Strict base64: standard or URL-safe alphabet (DSSE allows both), padded, nothing else."""
    if not isinstance(text, str) or not text.isascii():
        raise VerificationError(f"{what} is not base64")
    if "-" in text or "_" in text:
        if "+" in text or "/" in text:
            raise VerificationError(f"{what} mixes two base64 alphabets")
        text = text.translate(str.maketrans("-_", "+/"))
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} is not valid base64") from None


def _load_raw_public_key(raw: bytes, source: str) -> ec.EllipticCurvePublicKey:
    try:
        key = (
            serialization.load_pem_public_key(raw)
            if raw.lstrip().startswith(b"-----BEGIN")
            else serialization.load_der_public_key(raw)
        )
    except (ValueError, TypeError, UnicodeError):
        raise VerificationError(f"{source}: publicKey.rawBytes is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise VerificationError(f"{source}: publicKey.rawBytes is not an elliptic-curve key")
    return key


@dataclass(frozen=True)
class ParsedSignature:
    """A ``model.sig`` that passed every structural check; its signature is not yet checked.

    ``key_fingerprint`` (lowercase hex, the OMS hint) identifies the signing key for a
    trust-store lookup; it is None for non-key methods or an unrecognised hint.
    ``digests`` maps each signed path to its hex digest, in the order of the file.
    """

    source: str
    bundle: Mapping[str, Any]
    method: str  # "key", "certificate" or "sigstore"
    key_fingerprint: str | None
    key_hint: str | None  # as written in the file (hint form) or None (rawBytes form)
    payload_type: str
    payload: bytes
    signature: bytes
    statement: Mapping[str, Any]
    digests: Mapping[str, str] = field(repr=False)

    @property
    def model_name(self) -> str:
        return str(self.statement["subject"][0]["name"])

    @property
    def root_digest(self) -> str:
        return str(self.statement["subject"][0]["digest"]["sha256"])

    @property
    def serialization(self) -> Mapping[str, Any]:
        return self.statement["predicate"]["serialization"]

    @property
    def ignore_paths(self) -> tuple[str, ...]:
        return tuple(self.serialization.get("ignore_paths", ()))


def parse_signature(
    data: bytes,
    *,
    source: str = SIGNATURE_NAME,
    max_bytes: int = MAX_SIGNATURE_BYTES,
) -> ParsedSignature:
    """Strictly parse ``model.sig`` bytes: size, UTF-8, JSON, the four OMS schemas.

    Refuses duplicate JSON keys, NaN/Infinity, non-canonical or duplicate file names,
    a root digest that does not match the file list, and more than one signature.
    Every failure is a :class:`VerificationError` naming ``source`` and the reason.
    The DSSE signature itself is checked later by :func:`verify_signature`.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_signature expects bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise VerificationError(
            f"{source} is too large ({len(data):,} bytes; a signature is at most {max_bytes:,})",
            path=source,
        )
    bundle = jsonsafe.loads(data, source=source, max_bytes=max_bytes)
    problem = _schema_problem(_validator("bundle"), bundle)
    if problem:
        raise VerificationError(f"{source} is not a valid OMS signature: {problem}", path=source)
    media_type = bundle["mediaType"]
    if media_type not in ACCEPTED_MEDIA_TYPES:
        raise VerificationError(
            f"{source} has media type {_clip(media_type, 80)!r}; expected {BUNDLE_MEDIA_TYPE!r}",
            path=source,
        )

    material = bundle["verificationMaterial"]
    kinds = [k for k in ("publicKey", "x509CertificateChain", "certificate") if k in material]
    if len(kinds) != 1:
        raise VerificationError(
            f"{source} names more than one kind of signer ({', '.join(kinds)})", path=source
        )
    method = {"publicKey": "key", "x509CertificateChain": "certificate", "certificate": "sigstore"}[
        kinds[0]
    ]
    key_fingerprint: str | None = None
    key_hint: str | None = None
    if method == "key":
        ident = material["publicKey"]
        if "rawBytes" in ident:
            # Pre-v1.1.0 bundles carry the key itself; we use it only to derive the
            # fingerprint, and still take the key from the trust store.
            raw = _b64decode(ident["rawBytes"], f"{source}: publicKey.rawBytes")
            key_fingerprint = fingerprint(_load_raw_public_key(raw, source))
        if "hint" in ident:
            key_hint = ident["hint"]
            normal = key_hint.lower()
            hinted = normal if _FINGERPRINT_RE.fullmatch(normal) else None
            if key_fingerprint is not None and hinted != key_fingerprint:
                raise VerificationError(
                    f"{source}: publicKey.hint does not match publicKey.rawBytes", path=source
                )
            key_fingerprint = hinted

    envelope = bundle["dsseEnvelope"]
    if len(envelope["signatures"]) != 1:
        raise VerificationError(
            f"{source} carries {len(envelope['signatures'])} signatures; exactly one is expected",
            path=source,
        )
    signature = _b64decode(envelope["signatures"][0]["sig"], f"{source}: the signature")
    payload = _b64decode(envelope["payload"], f"{source}: the DSSE payload")
    statement = jsonsafe.loads(payload, source=f"the signed statement in {source}", path=source)
    for key, expected in (("_type", STATEMENT_TYPE), ("predicateType", PREDICATE_TYPE)):
        found = statement.get(key)
        if found != expected:
            shown = _clip(found, 80) if isinstance(found, str) else found
            raise VerificationError(
                f"{source} does not hold an OMS model signature: {key} is {shown!r}, expected {expected!r}",
                path=source,
            )
    problem = _schema_problem(_validator("statement"), statement)
    if problem:
        raise VerificationError(
            f"the signed statement in {source} is not valid: {problem}", path=source
        )

    digests = _check_manifest_shape(statement, source)
    return ParsedSignature(
        source=source,
        bundle=bundle,
        method=method,
        key_fingerprint=key_fingerprint,
        key_hint=key_hint,
        payload_type=envelope["payloadType"],
        payload=payload,
        signature=signature,
        statement=statement,
        digests=digests,
    )


def _check_manifest_shape(statement: Mapping[str, Any], source: str) -> dict[str, str]:
    """Checks the schemas cannot express; returns ``{name: digest}`` in file order."""
    predicate = statement["predicate"]
    ser = predicate["serialization"]
    hash_type = ser["hash_type"]
    resources = predicate["resources"]
    if not resources:
        raise VerificationError(f"{source} lists no files", path=source)
    if ser["method"] == "files" and "shard_size" in ser:
        raise VerificationError(
            f"{source}: shard_size is set but the method is 'files'", path=source
        )
    for p in ser.get("ignore_paths", ()):
        if PurePosixPath(p).is_absolute() or ".." in p.split("/"):
            raise VerificationError(
                f"{source}: ignore path {_clip(p, 80)!r} points outside the model", path=source
            )
    digests: dict[str, str] = {}
    for res in resources:
        name, digest, algorithm = res["name"], res["digest"], res["algorithm"]
        shown = _clip(repr(name), 100)
        if ser["method"] == "files" and not _is_canonical(name):
            raise VerificationError(
                f"{source} names a file by a non-canonical path {shown}", path=source
            )
        if name in digests:
            raise VerificationError(f"{source} lists {shown} twice", path=source)
        if algorithm != hash_type:
            raise VerificationError(
                f"{source}: {shown} is hashed with {algorithm}, but the signature says {hash_type}",
                path=source,
            )
        if len(digest) != _HEX_LENGTH[algorithm]:
            raise VerificationError(
                f"{source}: the digest of {shown} is not a {algorithm} digest", path=source
            )
        digests[name] = digest
    subject_digest = statement["subject"][0]["digest"].get("sha256")
    if subject_digest is None:
        raise VerificationError(f"{source}: the subject has no sha256 root digest", path=source)
    if root_digest(digests.values()) != subject_digest:
        raise VerificationError(
            f"{source} is inconsistent: its root digest does not match its file list", path=source
        )
    return digests


def read_signature(
    path: str | os.PathLike[str],
    *,
    source: str | None = None,
    max_bytes: int = MAX_SIGNATURE_BYTES,
) -> ParsedSignature:
    """Read and parse a signature file; refuses symbolic links and oversized files."""
    path = Path(path)
    source = source or path.name
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise VerificationError(
            f"{source} is missing: {path.parent} is not signed", path=source
        ) from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise VerificationError(f"{source} is not a regular file", path=source)
    if st.st_size > max_bytes:
        raise VerificationError(
            f"{source} is too large ({st.st_size:,} bytes; a signature is at most {max_bytes:,})",
            path=source,
        )
    fd = os.open(path, _OPEN_FLAGS)
    with open(fd, "rb", closefd=True) as fh:
        data = fh.read(max_bytes + 1)
    return parse_signature(data, source=source, max_bytes=max_bytes)


# ---------------------------------------------------------------------- verification


def lookup_key(parsed: ParsedSignature, keys: KeyLookup) -> ec.EllipticCurvePublicKey:
    """The public key that should have made ``parsed``, found by its fingerprint.

    ``keys`` is a mapping ``{fingerprint hex: key or PEM}``, a callable
    ``fingerprint -> key, PEM or None`` (a trust store; it may itself raise
    :class:`UntrustedSigner`, e.g. for a revoked key), or a single public key.
    An unknown signer raises :class:`UntrustedSigner`.
    """
    if parsed.method != "key":
        raise VerificationError(
            f"{parsed.source} uses the '{parsed.method}' signing method; "
            "Baton verifies signatures made with a signing key only",
            path=parsed.source,
        )
    fp = parsed.key_fingerprint
    if fp is None:
        raise UntrustedSigner(
            f"{parsed.source} names its signing key by an unrecognised hint; it cannot be matched to a trusted key",
            path=parsed.source,
        )
    if isinstance(keys, ec.EllipticCurvePublicKey):
        key: Any = keys if fingerprint(keys) == fp else None
    elif isinstance(keys, Mapping):
        key = keys.get(fp)
    else:
        key = keys(fp)
    if key is None:
        raise UntrustedSigner(
            f"{parsed.source} is signed by a key you do not trust (fingerprint {format_fingerprint(fp)})",
            path=parsed.source,
        )
    if isinstance(key, bytes | str):
        key = load_public_pem(key, source=f"the trusted key {format_fingerprint(fp)}")
    return key


def verify_signature(
    parsed: ParsedSignature, public_key: ec.EllipticCurvePublicKey | bytes | str
) -> Mapping[str, Any]:
    """Check the DSSE signature over the exact payload bytes; return the signed statement.

    ``public_key`` must be the key the signature names (its fingerprint equals the hint).
    """
    source = parsed.source
    if parsed.method != "key":
        raise VerificationError(
            f"{source} uses the '{parsed.method}' signing method; Baton verifies signatures made with a signing key only",
            path=source,
        )
    if isinstance(public_key, bytes | str):
        public_key = load_public_pem(public_key)
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise VerificationError(
            f"{source} can only be checked with an elliptic-curve public key", path=source
        )
    fp = fingerprint(public_key)
    if parsed.key_fingerprint != fp:
        named = (
            format_fingerprint(parsed.key_fingerprint)
            if parsed.key_fingerprint
            else "an unrecognised key"
        )
        raise VerificationError(
            f"{source} was signed with key {named}, not with the key given ({format_fingerprint(fp)})",
            path=source,
        )
    try:
        public_key.verify(
            parsed.signature,
            pae(parsed.payload_type, parsed.payload),
            ec.ECDSA(_signature_hash(public_key.curve)),
        )
    except InvalidSignature:
        raise VerificationError(
            f"the signature in {source} does not match its content: {source} was altered after signing",
            path=source,
        ) from None
    except KeyError_ as err:
        raise VerificationError(f"{source}: {err}", path=source) from None
    return parsed.statement


def compare_manifest(
    expected: Mapping[str, str],
    actual: Mapping[str, str | None],
    *,
    source: str = SIGNATURE_NAME,
) -> None:
    """Refuse unless ``actual`` (the files found) equals ``expected`` (the signed list).

    Each difference is named: "X was changed after signing", "X was added after
    signing", "X was removed after signing", "X was renamed to Y after signing".
    ``actual`` may hold ``None`` for files found but not hashed (added files, when
    nothing was removed and a rename is therefore impossible).
    """
    changed = sorted(n for n in expected.keys() & actual.keys() if expected[n] != actual[n])
    added = sorted(actual.keys() - expected.keys())
    removed = sorted(expected.keys() - actual.keys())
    problems: list[str] = []
    by_digest: dict[str, list[str]] = {}
    for name in removed:
        by_digest.setdefault(expected[name], []).append(name)
    renamed_from: set[str] = set()
    renamed_to: set[str] = set()
    for name in added:
        digest = actual[name]
        olds = by_digest.get(digest) if digest else None
        if olds:
            old = olds.pop(0)
            renamed_from.add(old)
            renamed_to.add(name)
            problems.append(f"{old} was renamed to {name} after signing")
    problems += [f"{n} was changed after signing" for n in changed]
    problems += [f"{n} was removed after signing" for n in removed if n not in renamed_from]
    problems += [
        f"{n} was added after signing (it is not in {source})" for n in added if n not in renamed_to
    ]
    if not problems:
        return
    if len(problems) == 1:
        message = problems[0]
    else:
        shown = problems[:5]
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        message = f"{len(problems)} files differ from {source}: " + "; ".join(shown) + more
    first = next(iter(changed or removed or added), None)
    err = VerificationError(message, path=first)
    err.problems = problems  # type: ignore[attr-defined]
    raise err


@dataclass(frozen=True)
class VerifiedFolder:
    """What :func:`verify_folder` proved: who signed, and the exact files they signed."""

    folder: Path
    signer_fingerprint: str
    model_name: str
    root_digest: str
    digests: Mapping[str, str]
    total_bytes: int
    statement: Mapping[str, Any] = field(repr=False)

    @property
    def file_count(self) -> int:
        return len(self.digests)

    @property
    def signer(self) -> str:
        """The fingerprint grouped for people: ``"AB12 CD34 ..."``."""
        return format_fingerprint(self.signer_fingerprint)


def verify_folder(
    folder: str | os.PathLike[str],
    keys: KeyLookup,
    *,
    sig_name: str = SIGNATURE_NAME,
    strict: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> VerifiedFolder:
    """Verify ``folder`` against ``folder/sig_name``: signer, signature, then every file.

    ``keys`` finds the signer's public key by fingerprint (see :func:`lookup_key`).
    Files under the recorded ``ignore_paths`` and the OMS defaults are not expected in
    the manifest, per the spec; with ``strict`` they are refused too, so that the folder
    must hold exactly the signed files plus the signature (what a bundle requires).
    """
    root = _check_folder(folder)
    if not _is_canonical(sig_name):
        raise UsageError(f"signature name {sig_name!r} must be a path inside the model folder")
    parsed = read_signature(root / sig_name, source=sig_name)
    key = lookup_key(parsed, keys)
    verify_signature(parsed, key)
    ser = parsed.serialization
    if ser["method"] != "files" or ser["hash_type"] != "sha256":
        raise VerificationError(
            f"{sig_name} uses {ser['method']} serialization with {ser['hash_type']}; "
            "Baton verifies per-file sha256 signatures only",
            path=sig_name,
        )
    if cancel is not None:
        cancel.check()

    ignore_list = {*DEFAULT_IGNORE_PATHS, sig_name, *parsed.ignore_paths}
    ignore = _ignore_set(ignore_list)
    found, ignored = _enumerate(root, ignore)
    expected = parsed.digests
    present = {f.name for f in found}
    # A signed file under an ignore path (e.g. signed with git paths included) is
    # still checked: "ignored" only means "not expected in the manifest".
    for name in expected:
        if name not in present and _is_ignored(name, ignore):
            signed_file = _regular_file_inside(root, name)
            if signed_file is not None:
                found.append(signed_file)
                present.add(name)
    if strict:
        extra = [
            n
            for n in ignored
            if n != sig_name
            and n not in expected
            and not any(e.startswith(n + "/") for e in expected)
        ]
        if extra:
            raise VerificationError(
                f"{extra[0]} was added after signing (it is not in {sig_name})"
                + (f"; and {len(extra) - 1} more" if len(extra) > 1 else ""),
                path=extra[0],
            )
    missing = expected.keys() - present
    # Added files are hashed only when something is missing: then they may be renames.
    to_hash = [f for f in found if f.name in expected or missing]
    actual: dict[str, str | None] = dict.fromkeys(present - expected.keys())
    actual.update(
        _hash_files(
            to_hash, progress=progress, cancel=cancel, workers=workers, message="Verifying files"
        )
    )
    compare_manifest(expected, actual, source=sig_name)
    sizes = {f.name: f.size for f in found}
    return VerifiedFolder(
        folder=root,
        signer_fingerprint=fingerprint(key),
        model_name=parsed.model_name,
        root_digest=parsed.root_digest,
        digests=dict(expected),
        total_bytes=sum(sizes[n] for n in expected),
        statement=parsed.statement,
    )
