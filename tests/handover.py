"""A data scientist, an engineer and a stranger, with one signed bundle, for handover tests.

The expensive part (three signing keys, one ``baton pack`` of a real scikit-learn model)
runs once per test session, through the command line; each test then works on copies
(:func:`world`), so it may revoke keys, receive versions or fill catalogs freely.

Also here: tools that turn the bundle into hostile variants by rewriting its ZIP, either
leaving the signature alone (tampering) or re-signing with a key from the fixture homes
(hostile content under a *valid* signature), pickles and skops files that leave a marker
file behind if anything ever loads them, and :class:`Snapshot`, which proves a refusal
wrote nothing outside its staging folder and left every catalog table as it was.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import shutil
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sklearn.base import BaseEstimator, TransformerMixin

from baton.core.cli.base import one_line
from baton.core.cli.main import cli
from baton.core.contract import card
from baton.core.errors import BatonError
from baton.core.handover import keys, oms

PASSPHRASE = "correct horse battery staple"
NAME, VERSION = "bc-lr", "1"
BUNDLE = f"{NAME}-{VERSION}.baton"
REQUIRE = "accuracy>=0.95"
INTENDED_USE = "Flag breast-cancer biopsies for a second reading; decision support only."
CATALOG_TABLES = ("handovers", "reviews", "reproductions", "trusted_keys", "models", "datasets")


# --- the command line ---------------------------------------------------------------------


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``baton --home HOME ARGS...`` through click's runner, the passphrase in the env."""
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--home", str(home), *map(str, args)],
        env={"BATON_PASSPHRASE": PASSPHRASE, **(env or {})},
        catch_exceptions=False,
    )
    result.baton_json = "--json" in map(str, args)  # type: ignore[attr-defined]
    return result


def ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def as_json(result: Result) -> dict[str, Any]:
    """The one JSON object a ``--json`` command printed (and nothing else on stdout)."""
    return json.loads(result.stdout)


def error_line(result: Result) -> str:
    """The one-line error of a failed command; with ``--json``, stdout holds the same
    failure as one JSON object (and nothing else), without ``--json`` stdout is empty."""
    text = result.stderr.strip()
    assert text.startswith("Error: "), text
    assert "\n" not in text, text
    if getattr(result, "baton_json", False):
        said = one_line(json_error(result)["message"])
        assert said == text.removeprefix("Error: "), result.stdout
    else:
        assert result.stdout == "", result.stdout
    return text


def json_error(result: Result) -> dict[str, Any]:
    """The ``{"error": ...}`` object a failed ``--json`` command printed on stdout."""
    printed = json.loads(result.stdout)
    assert list(printed) == ["error"], printed
    error = printed["error"]
    assert error["exit_code"] == result.exit_code, (error, result.exit_code)
    assert set(error) <= {"message", "exit_code", "file"}, error
    return error


# --- the session fixture -------------------------------------------------------------------


@dataclass
class Handover:
    """The pristine homes and bundle, built once; tests must copy before changing them."""

    root: Path
    ds_home: Path
    mle_home: Path
    stranger_home: Path
    dana_pub: Path
    eli_pub: Path
    mallory_pub: Path
    bundle: Path
    pack: dict[str, Any]
    dana_fp: str
    eli_fp: str
    mallory_fp: str
    _keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict, repr=False)

    def private_key(self, home: Path) -> ec.EllipticCurvePrivateKey:
        """The signing key kept in one of the fixture homes (or a copy of it)."""
        fp = json.loads((home / "keys" / "identity.json").read_text())["fingerprint"]
        if fp not in self._keys:
            self._keys[fp] = keys.load_private_key(home / "keys" / "signing-key.pem", PASSPHRASE)
        return self._keys[fp]


_BUILT: Handover | None = None


def _build(root: Path, files) -> Handover:
    ds, mle, stranger = root / "ds", root / "mle", root / "stranger"
    people = {ds: ("Dana", "dana"), mle: ("Eli", "eli"), stranger: ("Mallory", "mallory")}
    fps = {}
    for home, (name, short) in people.items():
        made = as_json(ok(run(home, "keys", "create", "--name", name,
                              "--email", f"{short}@example.org", "--json")))  # fmt: skip
        fps[short] = made["fingerprint"]
        ok(run(home, "keys", "export", "--out", root / f"{short}.pub"))
    ok(run(mle, "keys", "trust", root / "dana.pub", "--name", "Dana"))
    ok(run(ds, "keys", "trust", root / "eli.pub", "--name", "Eli"))
    bundle = root / BUNDLE
    packed = ok(
        run(ds, "pack", files.lr_skops, "--test", files.bc_test_csv, "--target", "target",
            "--name", NAME, "--version", VERSION, "--require", REQUIRE,
            "--intended-use", INTENDED_USE, "--budget", "0.05", "--out", bundle, "--json")
    )  # fmt: skip
    return Handover(
        root=root,
        ds_home=ds,
        mle_home=mle,
        stranger_home=stranger,
        dana_pub=root / "dana.pub",
        eli_pub=root / "eli.pub",
        mallory_pub=root / "mallory.pub",
        bundle=bundle,
        pack=as_json(packed),
        dana_fp=fps["dana"],
        eli_fp=fps["eli"],
        mallory_fp=fps["mallory"],
    )


@pytest.fixture(scope="session")
def handover(tmp_path_factory, files) -> Handover:
    """Dana (DS) packed ``bc-lr-1.baton``; Eli (MLE) trusts Dana, Dana trusts Eli;
    Mallory trusts nobody and nobody trusts Mallory. Built once per session, even when
    several test modules import this fixture."""
    global _BUILT
    if _BUILT is None:
        _BUILT = _build(tmp_path_factory.mktemp("handover"), files)
    return _BUILT


@dataclass
class World:
    """Per-test copies of the homes and the bundle, in ``tmp_path``."""

    base: Handover
    root: Path
    ds: Path
    mle: Path
    stranger: Path
    bundle: Path
    marker: Path

    @property
    def dana_key(self) -> ec.EllipticCurvePrivateKey:
        return self.base.private_key(self.base.ds_home)

    @property
    def eli_key(self) -> ec.EllipticCurvePrivateKey:
        return self.base.private_key(self.base.mle_home)

    @property
    def mallory_key(self) -> ec.EllipticCurvePrivateKey:
        return self.base.private_key(self.base.stranger_home)

    def path(self, name: str) -> Path:
        return self.root / name


def make_world(base: Handover, folder: Path) -> World:
    """Copies of the three homes and the bundle under ``folder``."""
    root = folder / "w"
    root.mkdir()
    copies = {}
    for label, home in (("ds", base.ds_home), ("mle", base.mle_home),
                        ("stranger", base.stranger_home)):  # fmt: skip
        copies[label] = root / label
        shutil.copytree(home, copies[label])
    bundle = root / BUNDLE
    shutil.copyfile(base.bundle, bundle)
    return World(base, root, copies["ds"], copies["mle"], copies["stranger"], bundle,
                 marker=folder / "EXECUTED")  # fmt: skip


@pytest.fixture
def world(handover: Handover, tmp_path: Path) -> World:
    return make_world(handover, tmp_path)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch) -> Path:
    """A dedicated, empty temp folder for everything Baton stages (``TMPDIR``)."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert tempfile.gettempdir() == str(folder)
    return folder


# --- hostile content -----------------------------------------------------------------------


class _RunsCode:
    """Unpickling this runs ``code`` (it writes the marker file)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def evil_pickle(marker: Path, protocol: int = 4) -> bytes:
    """A real pickle whose loading writes ``marker``."""
    return pickle.dumps(_RunsCode(f"open({str(marker)!r}, 'w').write('ran')"), protocol=protocol)


class MarkerTransformer(TransformerMixin, BaseEstimator):
    """An estimator outside Baton's allowlist that writes a marker file when loaded."""

    def __init__(self, marker: str = "") -> None:
        self.marker = marker

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X

    def __setstate__(self, state):
        Path(state["marker"]).write_text("ran")
        super().__setstate__(state)


def evil_skops(marker: Path, folder: Path) -> bytes:
    """A fitted scikit-learn pipeline with :class:`MarkerTransformer` in front, as skops."""
    import numpy as np
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 30)), np.arange(40) % 2
    model = make_pipeline(MarkerTransformer(str(marker)), LogisticRegression()).fit(X, y)
    path = folder / "evil.skops"
    sio.dump(model, path)
    return path.read_bytes()


def external_data_onnx(onnx_path: Path, location: str) -> bytes:
    """``onnx_path`` with its first weight moved to an external file at ``location``."""
    import onnx

    model = onnx.load(str(onnx_path))
    tensor = model.graph.initializer[0]
    size = len(tensor.raw_data) or 4 * len(tensor.float_data)
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(size))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return model.SerializeToString()


# --- rewriting bundles ---------------------------------------------------------------------


def read_members(path: Path) -> dict[str, bytes]:
    """Every member of a ZIP we made ourselves (never use this on hostile input)."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def zip_info(
    name: str, *, mode: int = stat.S_IFREG | 0o644, deflate: bool = True
) -> zipfile.ZipInfo:
    """A ZipInfo that keeps ``name`` verbatim (ZipInfo() would cut it at a NUL)."""
    info = zipfile.ZipInfo("placeholder", date_time=(1980, 1, 1, 0, 0, 0))
    info.filename = info.orig_filename = name
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def write_zip(
    path: Path, members: dict[str, bytes], extra: Iterable[tuple[zipfile.ZipInfo, bytes]] = ()
) -> Path:
    """A ZIP of ``members`` (sorted) followed by hand-made entries; nothing is checked."""
    import warnings

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w") as zf:
            for name in sorted(members):
                zf.writestr(zip_info(name), members[name])
            for info, data in extra:
                zf.writestr(info, data)
    return path


def folder_of(members: dict[str, bytes], folder: Path) -> Path:
    for name, data in members.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def members_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sign_members(
    members: dict[str, bytes], key: ec.EllipticCurvePrivateKey, work: Path, sig: str = "model.sig"
) -> dict[str, bytes]:
    """``members`` without their old signature, signed afresh with ``key`` (OMS v1.0)."""
    folder = Path(tempfile.mkdtemp(prefix="resign-", dir=work))
    try:
        folder_of({n: d for n, d in members.items() if n != sig}, folder / "bundle")
        oms.sign_folder(folder / "bundle", key, sig, model_name=f"{NAME}-{VERSION}")
        return members_of(folder / "bundle")
    finally:
        shutil.rmtree(folder)


def rewrite(
    src: Path,
    dst: Path,
    edit: Callable[[dict[str, bytes]], dict[str, bytes] | None] | None = None,
    *,
    resign: ec.EllipticCurvePrivateKey | None = None,
    sig: str = "model.sig",
    extra: Iterable[tuple[zipfile.ZipInfo, bytes]] = (),
) -> Path:
    """Copy bundle ``src`` to ``dst`` with its members edited, optionally re-signed."""
    members = read_members(src)
    if edit is not None:
        members = edit(members) or members
    if resign is not None:
        work = dst.parent / ".work"
        work.mkdir(parents=True, exist_ok=True)
        members = sign_members(members, resign, work, sig)
        shutil.rmtree(work)
    return write_zip(dst, members, extra)


def contract_of(members: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(members["contract.json"])


def with_contract(members: dict[str, bytes], contract: dict[str, Any]) -> dict[str, bytes]:
    """``members`` holding ``contract``, and ``card.md`` rendered from it as ``pack`` would
    (a bundle's card must be Baton's rendering of its contract). A contract that cannot be
    rendered (a test of a broken contract) keeps the old card."""
    members["contract.json"] = json.dumps(contract, indent=2, sort_keys=True).encode() + b"\n"
    with contextlib.suppress(BatonError, KeyError, TypeError, ValueError, IndexError):
        members["card.md"] = card.card_bytes(json.loads(members["contract.json"]))
    return members


def edit_contract(fn: Callable[[dict[str, Any]], None]):
    """An ``edit`` for :func:`rewrite` that changes the parsed contract in place."""

    def edit(members: dict[str, bytes]) -> dict[str, bytes]:
        contract = contract_of(members)
        fn(contract)
        return with_contract(members, contract)

    return edit


def public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return keys.public_pem(key).decode()


def signature_over(payload: bytes, key: ec.EllipticCurvePrivateKey, hint: str) -> bytes:
    """A ``model.sig`` whose DSSE signature (by ``key``) covers exactly ``payload``."""
    sig = key.sign(oms.pae(oms.PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    bundle = {
        "mediaType": oms.BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": oms.PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}],
        },
    }
    return json.dumps(bundle, indent=2).encode() + b"\n"


def payload_of(sig: bytes) -> bytes:
    return base64.b64decode(json.loads(sig)["dsseEnvelope"]["payload"])


# --- proving that nothing happened ---------------------------------------------------------


def catalog_rows(home: Path) -> dict[str, list[tuple]]:
    """Every row of the tables a handover can touch, in a stable order."""
    db = home / "catalog.db"
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table in CATALOG_TABLES:
            rows = conn.execute(f"select * from {table}").fetchall()  # noqa: S608
            out[table] = sorted(map(repr, rows))
        return out
    finally:
        conn.close()


def tree(root: Path, skip: Iterable[Path] = ()) -> set[str]:
    """Every path under ``root`` (catalog database files aside: SQLite owns them)."""
    skipped = [Path(s) for s in skip]
    out = set()
    for p in root.rglob("*"):
        if p.name.startswith("catalog.db") or any(s == p or s in p.parents for s in skipped):
            continue
        out.add(p.relative_to(root).as_posix())
    return out


class Snapshot:
    """Catalog rows of some homes and the file tree under some folders, before an action.

    ``unchanged()`` asserts both are the same afterwards, and that the dedicated temp
    folder (where Baton's staging folders live) is empty again.
    """

    def __init__(self, homes: Iterable[Path], folders: Iterable[Path], tmp: Path | None) -> None:
        self.homes = list(homes)
        self.folders = list(folders)
        self.tmp = tmp
        self.rows = {h: catalog_rows(h) for h in self.homes}
        self.trees = {f: tree(f, [tmp] if tmp else []) for f in self.folders}

    def unchanged(self, *, except_tables: Iterable[str] = ()) -> None:
        skip = set(except_tables)
        for home, before in self.rows.items():
            after = catalog_rows(home)
            for table in CATALOG_TABLES:
                if table not in skip:
                    assert after[table] == before[table], f"{home.name}: {table} changed"
        for folder, before in self.trees.items():
            after = tree(folder, [self.tmp] if self.tmp else [])
            assert after == before, f"written outside staging: {sorted(after ^ before)}"
        if self.tmp is not None:
            left = sorted(p.name for p in self.tmp.iterdir())
            assert left == [], f"staging left behind in the temp folder: {left}"


def handover_rows(home: Path, direction: str | None = None) -> list[dict[str, Any]]:
    conn = sqlite3.connect(home / "catalog.db")
    conn.row_factory = sqlite3.Row
    try:
        sql = "select * from handovers" + (" where direction = ?" if direction else "")
        return [dict(r) for r in conn.execute(sql, [direction] if direction else [])]
    finally:
        conn.close()
