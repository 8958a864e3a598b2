"""The demo: a workspace built from scikit-learn's bundled datasets, and a round trip.

Everything is made here, offline, from data that ships inside scikit-learn: the
breast-cancer (binary), wine (multiclass) and diabetes (regression) tables, models
fitted on them (scikit-learn pipelines saved with skops, and a small neural network
written as ONNX from a fitted ``MLPClassifier``'s weights), their evaluations and
profiles, and for the round trip two homes, a data scientist's and an engineer's, with
their own keys.

The first run of ``baton demo`` builds the workspace; on two cores that takes about
twenty seconds. The models are measured two at a time, each child process on one
thread (a thread count the profiles record), since OpenMP's worker threads spinning
against each other made a gradient-boosting fit or profile take minutes on a busy
machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from baton.core.catalog.overview import DEMO_MARKER as MARKER
from baton.core.catalog.store import Catalog
from baton.core.contract import candidates, drafts
from baton.core.data.importer import import_dataset, import_model
from baton.core.data.sandbox import THREAD_ENV_VARS
from baton.core.handover import desk, drift, optimize, packing, review, trust
from baton.core.measure import runs as measure
from baton.core.present import fmt_duration, fmt_ratio, fmt_target_value, format_fingerprint

DEMO_PASSPHRASE = "baton-demo"
Echo = Callable[[str], None]


def _split(frame, seed: int = 0, test_share: float = 0.3):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    cut = int(len(frame) * (1 - test_share))
    return frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(
        drop=True
    )


def mlp_to_onnx(mlp, n_features: int, path: Path) -> Path:
    """Write a fitted scikit-learn MLPClassifier (ReLU, softmax/logistic) as an ONNX graph."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes, current = [], [], "input"
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_, strict=True)):
        inits += [
            numpy_helper.from_array(w.astype(np.float32), f"W{i}"),
            numpy_helper.from_array(b.astype(np.float32), f"b{i}"),
        ]
        nodes += [
            helper.make_node("MatMul", [current, f"W{i}"], [f"m{i}"]),
            helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
        ]
        current = f"a{i}"
        if i < len(mlp.coefs_) - 1:
            nodes.append(helper.make_node("Relu", [current], [f"r{i}"]))
            current = f"r{i}"
    if mlp.coefs_[-1].shape[1] == 1:  # binary: one logit -> [1 - p, p]
        nodes += [
            helper.make_node("Sigmoid", [current], ["p1"]),
            helper.make_node("Neg", ["p1"], ["negp"]),
            helper.make_node(
                "Constant", [], ["one"], value=numpy_helper.from_array(np.array([1.0], np.float32))
            ),
            helper.make_node("Add", ["one", "negp"], ["p0"]),
            helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
        ]
    else:
        nodes.append(helper.make_node("Softmax", [current], ["probabilities"], axis=1))
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", n_features])],
        [
            helper.make_tensor_value_info(
                "probabilities", TensorProto.FLOAT, ["batch", len(mlp.classes_)]
            )
        ],
        inits,
    )
    model = helper.make_model(
        graph, producer_name="baton-demo", opset_imports=[helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))
    return path


@contextlib.contextmanager
def one_thread_each() -> Iterator[None]:
    """Model code on one thread, here and in the child processes started meanwhile:
    two of them then share two cores without their thread pools fighting."""
    from threadpoolctl import threadpool_limits

    saved = {name: os.environ.get(name) for name in THREAD_ENV_VARS}
    os.environ.update(dict.fromkeys(THREAD_ENV_VARS, "1"))
    try:
        with threadpool_limits(1):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def make_inputs(folder: Path) -> dict[str, Path]:
    """Datasets (CSV and Parquet) and fitted models from scikit-learn's bundled data."""
    with one_thread_each():
        return _make_inputs(folder)


def _make_inputs(folder: Path) -> dict[str, Path]:
    import skops.io as sio
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    bc = load_breast_cancer(as_frame=True).frame
    bc.insert(0, "patient_id", [f"P{i:04d}" for i in range(len(bc))])
    train, test = _split(bc)
    train.to_csv(folder / "breast_cancer_train.csv", index=False)
    test.to_csv(folder / "breast_cancer_test.csv", index=False)
    test.to_parquet(folder / "breast_cancer_test.parquet", index=False)
    X, y = train.drop(columns=["patient_id", "target"]), train["target"]
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X, y)
    sio.dump(lr, folder / "breast_cancer_lr.skops")
    hgb = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X, y)
    sio.dump(hgb, folder / "breast_cancer_hgb.skops")
    scaler = StandardScaler().fit(X)
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=2000, random_state=0).fit(
        scaler.transform(X), y
    )
    # Fold the scaler into the first layer so the ONNX graph takes raw features.
    mlp.coefs_[0] = mlp.coefs_[0] / scaler.scale_[:, None]
    mlp.intercepts_[0] = mlp.intercepts_[0] - (scaler.mean_ @ mlp.coefs_[0])
    mlp_to_onnx(mlp, X.shape[1], folder / "breast_cancer_mlp.onnx")
    out.update(
        bc_train=folder / "breast_cancer_train.csv",
        bc_test=folder / "breast_cancer_test.csv",
        bc_lr=folder / "breast_cancer_lr.skops",
        bc_hgb=folder / "breast_cancer_hgb.skops",
        bc_mlp=folder / "breast_cancer_mlp.onnx",
    )

    wine = load_wine(as_frame=True).frame
    wtrain, wtest = _split(wine, seed=1)
    wtest.to_csv(folder / "wine_test.csv", index=False)
    wine_model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(
        wtrain.drop(columns="target"), wtrain["target"]
    )
    sio.dump(wine_model, folder / "wine_lr.skops")
    out.update(wine_test=folder / "wine_test.csv", wine_lr=folder / "wine_lr.skops")

    diabetes = load_diabetes(as_frame=True).frame
    dtrain, dtest = _split(diabetes, seed=2)
    dtest.to_parquet(folder / "diabetes_test.parquet", index=False)
    ridge = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(
        dtrain.drop(columns="target"), dtrain["target"]
    )
    sio.dump(ridge, folder / "diabetes_ridge.skops")
    out.update(
        diabetes_test=folder / "diabetes_test.parquet",
        diabetes_ridge=folder / "diabetes_ridge.skops",
    )
    return out


def needs_building(home: Path) -> bool:
    """Whether ``baton demo`` has still to build the workspace in ``home``."""
    return not (Path(home) / MARKER).is_file()


def build_workspace(
    home: Path, echo: Echo = lambda s: None, *, budget_s: float = 0.2, workers: int = 2
) -> Catalog:
    """Fill ``home`` with the demo catalog once (models, datasets, measurements, a key).

    ``echo`` hears one line per step, numbered; ``workers`` models are imported and
    measured at a time."""
    home = Path(home)
    catalog = Catalog(home)
    if not needs_building(home):
        return catalog
    with one_thread_each():
        _build(catalog, home, echo, budget_s, workers)
    return catalog


def _build(catalog: Catalog, home: Path, echo: Echo, budget_s: float, workers: int) -> None:
    steps = 9  # inputs, datasets, five models, the key, the draft
    done = [0]
    lock = threading.Lock()

    def step(text: str) -> None:
        with lock:
            done[0] += 1
            echo(f"[{done[0]}/{steps}] {text}")

    step("Fitting the demo models on scikit-learn's bundled datasets")
    inputs = _make_inputs(home / "demo-inputs")
    step("Importing datasets")
    demo_datasets = [
        (
            "breast-cancer-train",
            "bc_train",
            "train",
            "patient_id",
            "Wisconsin breast-cancer biopsies, 70 % split",
            ["medical", "demo"],
        ),
        (
            "breast-cancer-test",
            "bc_test",
            "test",
            "patient_id",
            "Wisconsin breast-cancer biopsies, 30 % held out",
            ["medical", "demo"],
        ),
        ("wine-test", "wine_test", "test", None, "Wine cultivars, held out", ["demo"]),
        (
            "diabetes-test",
            "diabetes_test",
            "test",
            None,
            "Diabetes progression, held out",
            ["medical", "demo"],
        ),
    ]
    for name, key, role, id_column, description, tags in demo_datasets:
        import_dataset(
            catalog,
            inputs[key],
            name=name,
            role=role,
            target="target",
            id_column=id_column,
            description=description,
            tags=tags,
        )
    models = [
        ("breast-cancer-lr", inputs["bc_lr"], "breast-cancer-test", "Scaled logistic regression"),
        (
            "breast-cancer-hgb",
            inputs["bc_hgb"],
            "breast-cancer-test",
            "Histogram gradient boosting",
        ),
        (
            "breast-cancer-mlp",
            inputs["bc_mlp"],
            "breast-cancer-test",
            "A small neural network exported to ONNX",
        ),
        ("wine-lr", inputs["wine_lr"], "wine-test", "Multiclass logistic regression"),
        ("diabetes-ridge", inputs["diabetes_ridge"], "diabetes-test", "Ridge regression"),
    ]

    def add(name: str, path: Path, data: str, description: str) -> None:
        step(f"Importing, evaluating and profiling {name}")
        # A connection of its own: the catalog's is bound to the thread that opened it.
        mine = Catalog(home)
        try:
            import_model(mine, path, name=name, description=description, tags=["demo"])
            measure.evaluate(mine, name, data)
            measure.profile(mine, name, data, budget_s=budget_s)
        finally:
            mine.close()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="baton-demo") as pool:
        for future in [pool.submit(add, *m) for m in models]:
            future.result()
    step("Creating the demo signing key")
    if trust.identity(home) is None:
        trust.create_identity(catalog, "Demo Scientist", "scientist@example.org", DEMO_PASSPHRASE)
    step("Drafting a handover of two candidates")
    draft = drafts.new_draft(
        catalog,
        "breast-cancer-lr",
        test="breast-cancer-test",
        train="breast-cancer-train",
        name="breast-cancer",
        version="1",
        requires=("accuracy>=0.93", "roc_auc>=0.97", "latency_p95_ms@1<=50"),
        intended_use="Second reader for breast-cancer biopsies; a pathologist decides.",
        limitations="Trained on one hospital's data (Wisconsin); not validated elsewhere.",
        budget_s=budget_s,
    )
    draft = drafts.add_candidate(
        catalog, draft, "breast-cancer-hgb", primary="breast-cancer-lr", budget_s=budget_s
    )
    drafts.save(catalog, draft, catalog.get_model("breast-cancer-lr"))
    (home / MARKER).write_text(
        f"Demo workspace; the demo signing key's passphrase is {DEMO_PASSPHRASE!r}.\n"
    )


def round_trip(root: Path, echo: Echo = print, *, budget_s: float = 0.2) -> dict[str, Any]:
    """A complete DS -> engineer -> DS handover in two fresh homes under ``root``."""
    ds_home, mle_home = root / "scientist", root / "engineer"
    inputs = make_inputs(root / "inputs")
    echo("1. Data scientist and engineer each create a signing key")
    ds, mle = Catalog(ds_home), Catalog(mle_home)
    try:
        dana = trust.create_identity(ds, "Dana Scientist", "dana@example.org", DEMO_PASSPHRASE)
        eli = trust.create_identity(mle, "Eli Engineer", "eli@example.org", DEMO_PASSPHRASE)
        echo(f"   Dana {format_fingerprint(dana['fingerprint'])}")
        echo(f"   Eli  {format_fingerprint(eli['fingerprint'])}")
        echo("2. They exchange public keys and compare fingerprints (no trust on first use)")
        for catalog, other_home, person in ((mle, ds_home, dana), (ds, mle_home, eli)):
            pub = root / f"{person['name'].split()[0].lower()}.pub"
            pub.write_bytes(trust.my_public_pem(other_home))
            trust.trust_key(catalog, pub, person["name"], person["email"])
        echo(
            "3. Dana packs breast-cancer-lr 1 with two candidates (logistic regression, "
            "recommended, and gradient boosting), agreed targets, and signs it"
        )
        requires = ("accuracy>=0.93", "roc_auc>=0.97", "latency_p95_ms@1<=50", "memory_mb<=512")
        out = root / "breast-cancer-lr-1.baton"
        packed = packing.pack(
            ds,
            [str(inputs["bc_lr"]), str(inputs["bc_hgb"])],
            candidate_names=("lr", "hgb"),
            recommend="lr",
            test=str(inputs["bc_test"]),
            train=str(inputs["bc_train"]),
            target="target",
            id_column="patient_id",
            name="breast-cancer-lr",
            version="1",
            passphrase=DEMO_PASSPHRASE,
            out=out,
            requires=requires,
            budget_s=budget_s,
            intended_use="Second reader for breast-cancer biopsies; a pathologist decides.",
            limitations="Trained on one hospital's data (Wisconsin); not validated elsewhere.",
        )
        for row in candidates.comparison(packed.contract):
            accuracy = row["metrics"].get("accuracy", {}).get("value")
            echo(
                f"   candidate {row['name']}{' (recommended)' if row['recommended'] else ''}: "
                f"accuracy {fmt_ratio(accuracy)}, latency p95 at batch 1 "
                f"{fmt_duration(row['latency_p95_ms_batch_1'])}, targets passed "
                f"{row['targets']['pass']}/{sum(row['targets'].values())}"
            )
        for t in packed.contract["targets"]:
            echo(
                f"   {t['metric']}{'@' + str(t['batch']) if t.get('batch') else ''} {t['op']} {fmt_target_value(t['metric'], t['threshold'], exact=True)}: measured {fmt_target_value(t['metric'], t['measured'])} -> {t['verdict']}"
            )
        echo(f"   wrote {out.name}: {packed.files} files, root digest {packed.root_digest[:16]}…")
        echo("4. Eli verifies the bundle offline")
        summary = review.verify(mle, out)
        echo(
            f"   signed by {summary['signer_name']} ({summary['signer']}), {summary['files']} files intact"
        )
        echo("5. Eli reproduces every claim on this machine")
        result = review.reproduce(mle, out, budget_s=budget_s)
        a = result["agreement"]
        echo(f"   prediction agreement {a['agreeing']}/{a['rows']}")
        for t in result["targets"]:
            echo(
                f"   {t['expr']}: claimed {fmt_target_value(t['metric'], t['claimed'])}, here {fmt_target_value(t['metric'], t['here'])} -> {t['verdict_here']}"
            )
        for line in result["headline"]:
            echo(f"   {line}")
        # The demo accepts what it can check on any machine: every prediction agrees and
        # every target holds; a latency claim missed on a busy machine is said above.
        met = result["targets_met_on_this_machine"] and a["agreeing"] == a["rows"]
        decision = "accept" if met else "changes"
        echo(f"6. Eli countersigns the decision: {decision}" + (", choosing lr" if met else ""))
        receipt = root / "breast-cancer-lr-1.review.baton"
        review.decide(
            mle,
            out,
            decision=decision,
            comment="Reproduced on the serving workstation.",
            target_comments={"latency_p95_ms@1": "well inside the budget"},
            out=receipt,
            passphrase=DEMO_PASSPHRASE,
            choose="lr" if met else None,
        )
        echo("7. Dana verifies the receipt and records the decision")
        back = review.verify_receipt(ds, receipt)
        echo(
            f'   {back["review"]["decision"].upper()} by {back["review"]["reviewer"]["name"]}: "{back["review"]["comment"]}"'
            + (
                f", chose candidate {back['review']['chosen']}"
                if back["review"].get("chosen")
                else ""
            )
        )
        echo("8. Eli converts the chosen model to ONNX and proves it predicts the same (parity)")
        optimised = optimize.optimize(
            mle,
            out,
            candidate="lr",
            out=root / "breast-cancer-lr-optimised.baton",
            passphrase=DEMO_PASSPHRASE,
            budget_s=budget_s,
            bootstrap=200,
        )
        p = optimised.parity
        echo(
            f"   parity {'held' if optimised.passed else 'lost'}: "
            f"{p['agreeing']}/{p['rows']} predictions agree"
        )
        if optimised.path is not None:
            echo("9. Dana verifies the optimised bundle, signed by Eli, naming hers as its parent")
            seen = desk.open_for_review(ds, optimised.path)
            echo(f"   {optimize.lineage_words(seen.contract)}")
        echo("10. Eli checks two production batches for drift against the bundle's baseline")
        steady, shifted = _production_batches(inputs["bc_test"], root)
        for label, batch in (
            ("an ordinary week", steady),
            ("a week with a shifted feature", shifted),
        ):
            check = drift.check_drift(mle, out, batch)
            echo(f"   {label}: {check.result['headline']}")
        return {
            "bundle": str(out),
            "receipt": str(receipt),
            "verdict": result["verdict"],
            "decision": decision,
            "optimised": str(optimised.path) if optimised.path else None,
            "parity": optimised.passed,
        }
    finally:
        ds.close()
        mle.close()


def _production_batches(test_csv: Path, root: Path) -> tuple[Path, Path]:
    """Two batches drawn from the test set: one as it is, one with a feature moved by three
    of its standard deviations (what a recalibrated scanner might do)."""
    import pandas as pd

    test = pd.read_csv(test_csv).drop(columns=["target"])
    steady = test.sample(n=2000, replace=True, random_state=7)
    shifted = steady.copy()
    shifted["mean radius"] = shifted["mean radius"] + 3 * test["mean radius"].std()
    paths = root / "week-steady.parquet", root / "week-shifted.parquet"
    steady.to_parquet(paths[0], index=False)
    shifted.to_parquet(paths[1], index=False)
    return paths


def run_headless(echo: Echo = print, keep: Path | None = None) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="baton-demo-")) if keep is None else keep
    try:
        return round_trip(root, echo)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
