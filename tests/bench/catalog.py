"""Benchmark of the catalog with 100 k models (DESIGN.md section 7).

    python tests/bench/catalog.py [--quick] [--models N]

Builds a catalog in a temporary Baton home with 100 k models (20 k with --quick) and
2,000 datasets (400), inserted in one ``Catalog.write()`` transaction with
``insert_all`` (so the FTS triggers index them as an import would). The records look
like real ones: names such as ``churn-hgb-v12``, scikit-learn and ONNX estimators, a
sentence of description, tags, feature lists, model info; datasets with 8-60 columns
and a full per-column profile (histograms included).

(a) Search: ``Catalog.search(text)`` with its default limit of 50 (as ``baton search``
    runs it) for about 200 queries, mostly typed as you type ("l", "lo", ..., "logistic r"),
    plus tags, column names, estimator and model names, and words that match nothing.
    Every query runs once to warm up, then ``--passes`` timed passes over all of them.
    Goal: p99 <= 10 ms. For reference, a bare FTS5 query on the same database
    (``SELECT rowid FROM models_fts WHERE models_fts MATCH ? LIMIT 50``: no ranking, no
    join, no decoding) is timed over the same queries.
(b) First page of the model list: ``Catalog.list_models(limit=50)`` (newest first), median
    of repeats. Goal: <= 100 ms. Reference: a bare ``SELECT * FROM models LIMIT 50`` (no
    order) on the same connection.
For information: how much of each search is decoding the JSON of the records it returns,
how many queries match so many entries that only the newest are ranked, search with the
sidebar's limit of 500, the time to open the catalog (integrity check, migrations) and to
list all models.

The last line is one SUMMARY with PASS or MISS per goal. The temporary home is removed at
the end.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from baton.core.catalog.rows import decode as _decode
from baton.core.catalog.store import SEARCH_RANK_WINDOW, Catalog, fts_query

SEARCH_P99_GOAL_MS = 10.0
FIRST_PAGE_GOAL_MS = 100.0


def _words(text: str) -> list[str]:
    return text.split()


PROJECTS = _words(
    "churn retention fraud credit-risk default ltv upsell cross-sell demand forecast "
    "pricing markdown inventory returns delivery-eta lead-scoring conversion clv "
    "propensity next-best-offer sentiment spam toxicity intent triage claims "
    "underwriting aml kyc chargeback anomaly sensor-drift predictive-maintenance "
    "energy-load solar wind yield quality defect scrap routing fleet fuel "
    "readmission sepsis no-show length-of-stay diabetes heart breast-cancer wine "
    "iris housing rent footfall basket affinity ranking search-ctr ad-ctr bid "
    "budget fraud-card fraud-ach payroll attrition hiring"
)
ALGOS = {
    "lr": ("Pipeline(StandardScaler, LogisticRegression)", "sklearn", "classification"),
    "rf": ("RandomForestClassifier", "sklearn", "classification"),
    "hgb": ("HistGradientBoostingClassifier", "sklearn", "classification"),
    "gb": ("GradientBoostingClassifier", "sklearn", "classification"),
    "et": ("ExtraTreesClassifier", "sklearn", "classification"),
    "svc": ("Pipeline(StandardScaler, SVC)", "sklearn", "classification"),
    "knn": ("Pipeline(StandardScaler, KNeighborsClassifier)", "sklearn", "classification"),
    "nb": ("GaussianNB", "sklearn", "classification"),
    "mlp": ("Pipeline(StandardScaler, MLPClassifier)", "sklearn", "classification"),
    "ridge": ("Ridge", "sklearn", "regression"),
    "lasso": ("Lasso", "sklearn", "regression"),
    "linreg": ("LinearRegression", "sklearn", "regression"),
    "rfr": ("RandomForestRegressor", "sklearn", "regression"),
    "hgbr": ("HistGradientBoostingRegressor", "sklearn", "regression"),
    "xgb": ("XGBClassifier", "onnx", "classification"),
    "lgbm": ("LGBMClassifier", "onnx", "classification"),
    "lgbmr": ("LGBMRegressor", "onnx", "regression"),
    "torch": ("torch.nn.Sequential", "onnx", "classification"),
    "keras": ("keras.Sequential", "onnx", "classification"),
    "cnn": ("torchvision ResNet18", "onnx", "classification"),
}
TAGS = _words(
    "prod prod-candidate staging baseline champion challenger experiment retrain q1 q2 q3 q4 "
    "2023 2024 2025 retail banking insurance health logistics marketing emea apac amer "
    "gdpr pii-free fairness-reviewed calibrated shadow deprecated hotfix nightly"
)
COLUMNS = _words(
    "age tenure tenure_months income balance credit_score credit_limit utilization "
    "n_orders n_returns avg_basket last_purchase_days days_since_login sessions_30d "
    "clicks_7d pageviews support_tickets complaints region country city postcode channel "
    "device plan contract payment_method autopay paperless gender senior partner "
    "dependents monthly_charges total_charges discount_rate promo_code segment industry "
    "employees revenue margin price quantity sku category brand store_id weekday hour "
    "month holiday temperature humidity wind_speed pressure vibration rpm torque voltage "
    "current power load_kw occupancy bmi glucose blood_pressure insulin cholesterol "
    "heart_rate smoker alcohol radius texture perimeter area smoothness compactness "
    "concavity symmetry fractal_dimension label target churned is_fraud default_flag"
)
WORDS = _words(
    "predicts flags scores ranks estimates for of the customers accounts transactions "
    "claims patients machines stores orders sessions users merchants loans policies "
    "monthly weekly daily trained on data from with features including calibrated "
    "isotonic platt balanced class weights tuned grid search cross validated five fold "
    "holdout test set drift retrained after incident baseline replaces previous model "
    "higher recall lower latency smaller footprint explainable shap monotonic constraints "
    "early stopping dropout embeddings tfidf bigrams exported opset quantised int8"
)


def model_rows(n: int, rng: random.Random) -> list[dict]:
    rows = []
    start = time.mktime((2023, 1, 1, 0, 0, 0, 0, 0, 0))
    span = 3 * 365 * 86400
    seen: set[str] = set()
    algos = list(ALGOS)
    for i in range(n):
        project, algo = rng.choice(PROJECTS), rng.choice(algos)
        name = f"{project}-{algo}-v{rng.randint(1, 400)}"
        while name in seen:
            name = f"{project}-{algo}-v{rng.randint(1, 99_999)}"
        seen.add(name)
        estimator, fmt, task = ALGOS[algo]
        features = rng.sample(COLUMNS, rng.randint(5, 40))
        classes = [0, 1] if task == "classification" else None
        created = start + span * i / n + rng.random()
        sha = hashlib.sha256(name.encode()).hexdigest()
        rows.append(
            {
                "id": uuid.uuid4().hex,
                "name": name,
                "description": " ".join(rng.choices(WORDS, k=rng.randint(6, 18))).capitalize(),
                "tags": json.dumps(sorted(rng.sample(TAGS, rng.randint(0, 4)))),
                "file_name": f"{name}.{'skops' if fmt == 'sklearn' else 'onnx'}",
                "format": "skops" if fmt == "sklearn" else "onnx",
                "framework": "scikit-learn" if fmt == "sklearn" else "onnxruntime",
                "framework_version": "1.5.2" if fmt == "sklearn" else "1.19.0",
                "estimator": estimator,
                "task": task,
                "classes": json.dumps(classes),
                "features": json.dumps(features),
                "params": rng.randint(10, 5_000_000),
                "size_bytes": rng.randint(2_000, 80_000_000),
                "sha256": sha,
                "info": json.dumps(
                    {
                        "n_features": len(features),
                        "inputs": [{"name": "X", "shape": [None, len(features)]}],
                        "outputs": ["label", "probabilities"],
                        "source_file": f"{name}.joblib",
                        "opset": 17,
                    },
                    sort_keys=True,
                ),
                "safety": json.dumps({"allowlisted": True, "types": [estimator]}, sort_keys=True),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)),
            }
        )
    return rows


def dataset_rows(n: int, rng: random.Random) -> list[dict]:
    rows = []
    for i in range(n):
        cols = rng.sample(COLUMNS, rng.randint(8, 60))
        profile = []
        for c in cols:
            lo = rng.uniform(-100, 100)
            edges = [lo + k * 3.7 for k in range(21)]
            profile.append(
                {
                    "name": c,
                    "dtype": "double",
                    "kind": "number",
                    "missing": rng.randint(0, 500),
                    "distinct": rng.randint(2, 100_000),
                    "min": edges[0],
                    "max": edges[-1],
                    "mean": rng.uniform(edges[0], edges[-1]),
                    "std": rng.uniform(0.1, 30),
                    "histogram": {
                        "counts": [rng.randint(0, 9_000) for _ in range(20)],
                        "edges": edges,
                    },
                }
            )
        name = f"{rng.choice(PROJECTS)}-{rng.choice(('train', 'test', 'valid', 'holdout'))}-{i}"
        rows.append(
            {
                "id": uuid.uuid4().hex,
                "name": name,
                "description": " ".join(rng.choices(WORDS, k=rng.randint(4, 12))),
                "tags": json.dumps(sorted(rng.sample(TAGS, rng.randint(0, 3)))),
                "role": rng.choice(("train", "validation", "test")),
                "file_name": f"{name}.parquet",
                "format": "parquet",
                "sha256": hashlib.sha256(name.encode()).hexdigest(),
                "fingerprint": hashlib.sha256(name[::-1].encode()).hexdigest(),
                "rows": rng.randint(500, 5_000_000),
                "columns": json.dumps([{"name": c, "dtype": "double"} for c in cols]),
                "column_names": " ".join(cols),
                "target": cols[-1],
                "id_column": None,
                "profile": json.dumps(profile, sort_keys=True),
                "created_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_672_531_200 + i * 40_000)
                ),
            }
        )
    return rows


def as_you_type(phrase: str) -> list[str]:
    return [phrase[:k] for k in range(1, len(phrase) + 1) if not phrase[:k].endswith(" ")]


def make_queries(rng: random.Random) -> list[str]:
    typed = [
        "logistic regression",
        "random forest",
        "churn",
        "fraud card",
        "xgb",
        "gradient boosting",
        "torch",
        "tenure",
        "credit score",
        "prod candidate",
        "sepsis",
        "predictive maintenance",
        "ridge",
        "lgbm",
        "anomaly",
    ]
    queries = [q for phrase in typed for q in as_you_type(phrase)]
    queries += ["l", "lo", "log", "logistic reg", "s", "st", "c", "p", "r", "e", "t", "m"]
    queries += rng.sample(TAGS, 12) + rng.sample(COLUMNS, 16)
    queries += [
        f"{p}-{a}"
        for p, a in zip(rng.sample(PROJECTS, 10), rng.sample(list(ALGOS), 10), strict=True)
    ]
    queries += ["LGBMRegressor", "HistGradientBoosting", "Pipeline StandardScaler", "opset"]
    queries += ["zzz", "qwerty", "kubernetes", "recall", "calibrated isotonic", "shap values"]
    return queries


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 k models instead of 100 k")
    parser.add_argument("--models", type=int, help="number of models (overrides --quick's)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries")
    args = parser.parse_args(argv)
    n_models = args.models or (20_000 if args.quick else 100_000)
    n_datasets = max(50, n_models // 50)
    rng = random.Random(0)

    print(
        f"Catalog benchmark: {n_models:,} models, {n_datasets:,} datasets; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="baton-bench-catalog-") as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        models, datasets = model_rows(n_models, rng), dataset_rows(n_datasets, rng)
        t1 = time.perf_counter()
        catalog = Catalog(home)
        with catalog.write() as db:
            db["models"].insert_all(models, batch_size=500)
            db["datasets"].insert_all(datasets, batch_size=100)
        t2 = time.perf_counter()
        catalog.close()
        del models, datasets
        size = sum(p.stat().st_size for p in home.glob("catalog.db*")) / 1e6
        print(
            f"  generated in {t1 - t0:.1f} s, inserted in one transaction in {t2 - t1:.1f} s; "
            f"catalog.db {size:.0f} MB"
        )
        t0 = time.perf_counter()
        catalog = Catalog(home)
        open_ms = (time.perf_counter() - t0) * 1e3
        assert catalog.count("models") == n_models

        # (a) search
        queries = make_queries(random.Random(1))
        for q in queries:  # warm up: page cache, SQLite cache, code paths
            catalog.search(q)
        times: list[float] = []
        per_query: dict[str, list[float]] = {}
        hits: dict[str, int] = {}
        gc.collect()
        gc.disable()
        try:
            for _ in range(args.passes):
                for q in queries:
                    t0 = time.perf_counter()
                    found = catalog.search(q)
                    t = (time.perf_counter() - t0) * 1e3
                    times.append(t)
                    per_query.setdefault(q, []).append(t)
                    hits[q] = len(found)
        finally:
            gc.enable()
        bare: list[float] = []
        conn = catalog.conn
        for _ in range(args.passes):
            for q in queries:
                fq = fts_query(q)
                t0 = time.perf_counter()
                conn.execute(
                    "select rowid from models_fts where models_fts match ? limit 50", [fq]
                ).fetchall()
                bare.append((time.perf_counter() - t0) * 1e3)
        p50, p99, worst = percentile(times, 50), percentile(times, 99), max(times)
        print(
            f"(a) search: {len(queries)} queries x {args.passes} passes = {len(times)} timed "
            f"searches"
        )
        print(
            f"  Catalog.search  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  max {worst:6.2f} ms "
            f"(goal p99 <= {SEARCH_P99_GOAL_MS:g} ms)"
        )
        print(
            f"  bare FTS5 MATCH LIMIT 50  p50 {percentile(bare, 50):6.2f} ms  p99 "
            f"{percentile(bare, 99):6.2f} ms  max {max(bare):6.2f} ms (reference)"
        )
        # How much of each search is decoding the JSON fields of the records it returns
        # (tags, features, info; a dataset's columns and per-column profile).
        decode: dict[str, float] = {}
        for q in queries:
            raw = []
            found = catalog.search(q)
            for kind in ("model", "dataset"):
                ids = [h["id"] for h in found if h["kind"] == kind]
                if ids:
                    cursor = conn.execute(
                        f"select * from {kind}s where id in ({', '.join('?' * len(ids))})", ids
                    )
                    cols = [d[0] for d in cursor.description]
                    raw += [
                        (f"{kind}s", dict(zip(cols, row, strict=True))) for row in cursor.fetchall()
                    ]
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                for table, row in raw:
                    _decode(row, table)
                runs.append((time.perf_counter() - t0) * 1e3)
            decode[q] = statistics.median(runs)
        rest = [statistics.median(per_query[q]) - decode[q] for q in queries]
        print(
            f"  of which decoding the returned records' JSON: p50 "
            f"{percentile(list(decode.values()), 50):6.2f} ms  p99 "
            f"{percentile(list(decode.values()), 99):6.2f} ms; the rest (SQL, ranking): p50 "
            f"{percentile(rest, 50):6.2f} ms  p99 {percentile(rest, 99):6.2f} ms (per query, "
            "for information)"
        )
        broad = sum(
            any(
                conn.execute(
                    f"select count(*) from (select rowid from {t}_fts where {t}_fts match ? "
                    "limit ?)",
                    [fts_query(q), SEARCH_RANK_WINDOW + 1],
                ).fetchone()[0]
                > SEARCH_RANK_WINDOW
                for t in ("models", "datasets")
            )
            for q in queries
        )
        print(
            f"  {broad} of the {len(queries)} queries match more than {SEARCH_RANK_WINDOW:,} "
            "entries of a table, so rank only its newest matches (Catalog.search)"
        )
        slowest = sorted(per_query, key=lambda q: -statistics.median(per_query[q]))[:6]
        print(
            "  slowest queries (median ms, of which decoding; hits): "
            + ", ".join(
                f"{q!r} {statistics.median(per_query[q]):.1f}, {decode[q]:.1f}; {hits[q]}"
                for q in slowest
            )
        )

        # The GUI's sidebar asks for up to 500 hits per keystroke.
        wide = []
        for q in queries:
            t0 = time.perf_counter()
            catalog.search(q, limit=500)
            wide.append((time.perf_counter() - t0) * 1e3)
        print(
            f"  for information: Catalog.search(text, limit=500), as the sidebar calls it: p50 "
            f"{percentile(wide, 50):6.2f} ms  p99 {percentile(wide, 99):6.2f} ms (one pass)"
        )

        # (b) first page of the model list
        page: list[float] = []
        ref: list[float] = []
        for _ in range(15):
            t0 = time.perf_counter()
            first = catalog.list_models(limit=50)
            page.append((time.perf_counter() - t0) * 1e3)
            t0 = time.perf_counter()
            conn.execute("select * from models limit 50").fetchall()
            ref.append((time.perf_counter() - t0) * 1e3)
        assert len(first) == 50
        newest = max(r["created_at"] for r in first)
        page_ms, ref_ms = statistics.median(page), statistics.median(ref)
        print("(b) first page of the model list (median of 15)")
        print(
            f"  list_models(limit=50) {page_ms:7.2f} ms | bare SELECT * ... LIMIT 50 "
            f"{ref_ms:6.2f} ms -> {page_ms / ref_ms:5.1f}x (goal <= {FIRST_PAGE_GOAL_MS:g} ms; "
            f"first row {first[0]['created_at']}, newest on page {newest})"
        )
        t0 = time.perf_counter()
        everything = catalog.list_models()
        all_ms = (time.perf_counter() - t0) * 1e3
        print(
            f"  for information: opening the catalog {open_ms:.0f} ms; list_models() of all "
            f"{len(everything):,} models {all_ms:.0f} ms"
        )
        catalog.close()

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    goals = [
        (p99 <= SEARCH_P99_GOAL_MS, f"search p99 {p99:.2f} ms (goal <= {SEARCH_P99_GOAL_MS:g})"),
        (
            page_ms <= FIRST_PAGE_GOAL_MS,
            f"first page {page_ms:.2f} ms (goal <= {FIRST_PAGE_GOAL_MS:g})",
        ),
    ]
    print(
        f"SUMMARY catalog {n_models:,} models: "
        + " | ".join(f"{verdict(ok)} {text}" for ok, text in goals)
    )
    return 0 if all(ok for ok, _ in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
