"""One handover world per test session, shared by the engineer's and the data scientist's tests.

Built with the demo's round trip (a data scientist and an engineer with their own keys, a
signed bundle, a reproduction and an accepted receipt), plus a second version of the
bundle, a tampered copy and a stranger's home that trusts nobody. Tests work on copies of
the homes (the ``homes`` fixture in ``conftest.py``), so they may trust, revoke and decide
freely.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock

from baton.core.catalog.store import Catalog
from baton.core.cli import demo
from baton.core.handover import packing, trust

PASSPHRASE = demo.DEMO_PASSPHRASE


@dataclass
class World:
    root: Path
    bundle: Path  # version 1, signed by Dana
    bundle_v2: Path  # version 2: another model, stricter targets
    tampered: Path  # version 1 with one byte of the model flipped
    receipt: Path  # Eli's "accept" of version 1
    dana: dict
    eli: dict


def _flip_a_byte(src: Path, dst: Path, member: str) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                data = bytearray(data)
                data[len(data) // 2] ^= 0x01
                data = bytes(data)
            zout.writestr(info, data)


def build_world(root: Path) -> World:
    """The session's handover (about 25 s): see the module docstring."""
    result = demo.round_trip(root, echo=lambda s: None, budget_s=0.05)
    ds = Catalog(root / "scientist")
    try:
        v2 = root / "breast-cancer-lr-2.baton"
        inputs = root / "inputs"  # as demo.make_inputs names them
        _pack_version_2(
            ds,
            {
                "bc_mlp": inputs / "breast_cancer_mlp.onnx",
                "bc_test": inputs / "breast_cancer_test.csv",
            },
            v2,
        )
        dana = trust.identity(root / "scientist")
    finally:
        ds.close()
    stranger = Catalog(root / "stranger")
    trust.create_identity(stranger, "Sam Stranger", "sam@example.org", PASSPHRASE)
    stranger.close()
    tampered = root / "tampered" / "breast-cancer-lr-1.baton"
    _flip_a_byte(Path(result["bundle"]), tampered, "model/model.skops")
    return World(
        root=root,
        bundle=Path(result["bundle"]),
        bundle_v2=v2,
        tampered=tampered,
        receipt=Path(result["receipt"]),
        dana=dana,
        eli=trust.identity(root / "engineer"),
    )


@dataclass
class Received:
    bundle: Path  # version 2 of the world's handover, signed by Dana
    engineer: Path  # Eli's home, which trusts Dana's key and has opened nothing yet


def build_received(root: Path) -> Received:
    """Version 2 of the world's bundle, as packed in :func:`build_world`, and the engineer
    who receives it, without the rest of the world (about 10 s instead of 40): for the
    stall probe of the tests that run alone, before the others build the world."""
    inputs = demo.make_inputs(root / "inputs")
    ds, mle = Catalog(root / "scientist"), Catalog(root / "engineer")
    try:
        dana = trust.create_identity(ds, "Dana Scientist", "dana@example.org", PASSPHRASE)
        public = root / "dana.pub"
        public.write_bytes(trust.my_public_pem(root / "scientist"))
        trust.create_identity(mle, "Eli Engineer", "eli@example.org", PASSPHRASE)
        trust.trust_key(mle, public, dana["name"], dana["email"])
        bundle = root / "breast-cancer-lr-2.baton"
        _pack_version_2(ds, inputs, bundle)
    finally:
        ds.close()
        mle.close()
    return Received(bundle, root / "engineer")


def _pack_version_2(ds: Catalog, inputs: dict[str, Path], out: Path) -> None:
    packing.pack(
        ds,
        str(inputs["bc_mlp"]),
        test=str(inputs["bc_test"]),
        target="target",
        id_column="patient_id",
        name="breast-cancer-lr",
        version="2",
        passphrase=PASSPHRASE,
        out=out,
        requires=("accuracy>=0.95", "roc_auc>=0.97", "latency_p95_ms@1<=20", "f1>=0.9"),
        budget_s=0.05,
        intended_use="Second reader for breast-cancer biopsies; a pathologist decides.",
    )


@dataclass
class Homes:
    ds: Path
    mle: Path
    stranger: Path


def shared_world(root: Path) -> World:
    """The world in ``root``, built by the first of several test processes (pytest-xdist's
    workers) to ask and read by the others: one build of ~40 s instead of one per core.
    Safe to share because tests only read it and work on copies of its homes."""
    root.mkdir(parents=True, exist_ok=True)
    built = root / "world.json"
    with FileLock(root.with_name(root.name + ".lock")):
        if not built.is_file():
            world = build_world(root)
            fields = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(world).items()}
            built.write_text(json.dumps(fields))
    fields = json.loads(built.read_text())
    return World(**{k: v if isinstance(v, dict) else Path(v) for k, v in fields.items()})
