"""Benchmark of the catalog at 100 k models: search ranked over every match, and the
command line as a process (DESIGN.md section 7).

    python tests/bench/catalog.py [--quick] [--models N] [--passes P] [--rounds R]

Builds a catalog in a temporary Baton home with 100 k models (10 k with --quick) and one
dataset per 50 models, inserted in one ``Catalog.write()`` transaction with ``insert_all``
(so the FTS triggers index them as an import would). The records look like real ones:
names such as ``churn-hgb-v12``, scikit-learn and ONNX estimators, a sentence of
description, tags, feature lists, model info; datasets with 8-60 columns and a full
per-column profile.

(a) In process: ``Catalog.search(text)`` with its default limit of 50 (as ``baton search``
    runs it) over about 200 queries, mostly typed as you type ("l", "lo", ..., "logistic
    r"), plus tags, column names, estimator and model names, and words that match nothing.
    Reference, measured in the same run and interleaved query by query: the ranked FTS5
    query on the same database (``SELECT rowid, rank FROM models_fts WHERE models_fts
    MATCH ? ORDER BY rank LIMIT 50``, and the same on datasets_fts), which ranks every
    match. Goal: Catalog.search p99 <= 10 ms.
(b) Same results: for every query, Catalog.search's hits against a full ranking (every
    match of both tables, ranked, no LIMIT): the same ranks in the same order, the same
    entries but for the order among equal ranks. Goal: every query.
(c) As a process, interleaved rounds, medians, peak memory: ``baton search`` (a few
    queries), ``baton model list`` (the first 100), ``baton status`` (what the home page
    shows: every model's stage counted) and, for reference, a bare ``python
    -c`` that opens the database and runs the ranked FTS5 query. Goal: each baton command
    <= 150 ms.
(d) Listing every model as a process, ``baton model list --limit 0`` (text and --json):
    time to the first line, total time and peak memory. Goal: it streams: peak memory
    <= 100 MB (the summaries of 100 k models take several times that as a list), and the
    JSON is one valid document with every model.

The last line is one SUMMARY with PASS or MISS per goal; the exit code is 1 when a goal
is missed. The temporary home is removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from baton.core.catalog.store import Catalog, fts_query

SEARCH_P99_GOAL_MS = 10.0
PROCESS_GOAL_MS = 150.0
LIST_ALL_PEAK_GOAL_MB = 100.0
LIMIT = 50
# As a process: a precise query, a word of a few letters, two words.
PROCESS_QUERIES = ("churn", "tenure", "random forest")
BARE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
for table in ("models", "datasets"):
    print(conn.execute(
        f"select rowid, rank from {table}_fts where {table}_fts match ? order by rank limit 50",
        [sys.argv[2]],
    ).fetchall())
"""


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
                "features": json.dumps([{"name": f, "dtype": "double"} for f in features]),
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


def reference_ranked(conn: sqlite3.Connection, query: str, limit: int | None) -> list:
    """(rank, table order, table, rowid) of both tables' matches, best first: the ranked
    FTS5 query, with ``limit`` per table (None: every match)."""
    out = []
    for order, table in enumerate(("models", "datasets")):
        sql = f"select rowid, rank from {table}_fts where {table}_fts match ? order by rank"
        rows = conn.execute(
            sql + (" limit ?" if limit else ""), [query, limit] if limit else [query]
        )
        out += [(rank, order, table, rowid) for rowid, rank in rows]
    out.sort(key=lambda c: (c[0], c[1]))
    return out


def same_top(conn: sqlite3.Connection, query: str, hits: list[dict]) -> bool:
    """Whether ``hits`` are the best LIMIT of a full ranking, ties in any order."""
    full = reference_ranked(conn, query, None)
    expected = full[:LIMIT]
    if len(hits) != len(expected) or not expected:
        return len(hits) == len(expected)
    ids = {}
    for table in ("models", "datasets"):
        rowids = [c[3] for c in full if c[2] == table and c[0] <= expected[-1][0]]
        for start in range(0, len(rowids), 500):
            part = rowids[start : start + 500]
            for rowid, row_id in conn.execute(
                f"select rowid, id from {table} where rowid in ({', '.join('?' * len(part))})", part
            ):
                ids[(table, rowid)] = row_id
    rank_of = {(c[2][:-1], ids[(c[2], c[3])]): c[0] for c in full if (c[2], c[3]) in ids}
    got = [rank_of.get((h["kind"], h["id"])) for h in hits]
    return None not in got and got == [c[0] for c in expected]


# A child forked from this (large) process would report this process's memory as its
# peak, so each command runs under GNU time, a small process that reports the peak of its
# own child. Both the commands and the reference pay the same few milliseconds for it.
GNU_TIME = "/usr/bin/time"


def first_line_ms(argv: list[str]) -> tuple[float, float, float, bytes]:
    """Time to the first line and in all (ms), peak memory (MB) and stdout of a process."""
    with tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [GNU_TIME, "-f", "%M", "-o", peak.name, *argv]
        t0 = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()  # type: ignore[union-attr]
        t_first = (time.perf_counter() - t0) * 1e3
        rest = proc.stdout.read()  # type: ignore[union-attr]
        err = proc.stderr.read()  # type: ignore[union-attr]
        proc.wait()
        total = (time.perf_counter() - t0) * 1e3
        if proc.returncode != 0:
            raise SystemExit(f"{argv} failed ({proc.returncode}): {err.decode()[-500:]}")
        kb = float(peak.read().split()[-1])
    return t_first, total, kb / 1024, first + rest


def run_timed(argv: list[str]) -> tuple[float, float, bytes]:
    """Wall time (ms) and peak resident memory (MB) of one process, and its stdout."""
    _, total, mb, out = first_line_ms(argv)
    return total, mb, out


def build(home: Path, n_models: int, n_datasets: int) -> None:
    rng = random.Random(0)
    t0 = time.perf_counter()
    models, datasets = model_rows(n_models, rng), dataset_rows(n_datasets, rng)
    t1 = time.perf_counter()
    with Catalog(home) as catalog, catalog.write() as db:
        db["models"].insert_all(models, batch_size=500)
        db["datasets"].insert_all(datasets, batch_size=100)
    t2 = time.perf_counter()
    size = sum(p.stat().st_size for p in home.glob("catalog.db*")) / 1e6
    print(
        f"  generated in {t1 - t0:.1f} s, inserted in one transaction in {t2 - t1:.1f} s; "
        f"catalog.db {size:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 k models instead of 100 k")
    parser.add_argument("--models", type=int, help="number of models (overrides --quick's)")
    parser.add_argument("--passes", type=int, help="timed passes over the queries")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the processes")
    parser.add_argument(
        "--home",
        type=Path,
        help="keep the catalog in this Baton home: built there if it has none, reused if it "
        "has (its models are counted, not --models)",
    )
    args = parser.parse_args(argv)
    n_models = args.models or (10_000 if args.quick else 100_000)
    n_datasets = max(50, n_models // 50)
    passes = args.passes or (1 if args.quick else 3)
    rounds = args.rounds or (5 if args.quick else 11)
    baton_cmd = str(Path(sys.executable).with_name("baton"))

    print(
        f"Catalog benchmark: {n_models:,} models, {n_datasets:,} datasets; Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="baton-bench-catalog-") as tmp:
        home = args.home or Path(tmp) / "home"
        if not (home / "catalog.db").exists():
            build(home, n_models, n_datasets)
        else:
            with Catalog(home) as catalog:
                n_models = catalog.count("models")
            print(f"  reusing the catalog in {home}: {n_models:,} models")
        t0 = time.perf_counter()
        catalog = Catalog(home)
        open_ms = (time.perf_counter() - t0) * 1e3
        t0 = time.perf_counter()
        catalog.check()
        check_ms = (time.perf_counter() - t0) * 1e3
        conn = catalog.conn

        # (a) in process, interleaved with the ranked FTS5 query
        queries = make_queries(random.Random(1))
        for q in queries:  # warm up: page cache, SQLite cache, code paths
            catalog.search(q)
            reference_ranked(conn, fts_query(q), LIMIT)
        ours: dict[str, list[float]] = {q: [] for q in queries}
        ref: dict[str, list[float]] = {q: [] for q in queries}
        gc.collect()
        gc.disable()
        try:
            for _ in range(passes):
                for q in queries:
                    t0 = time.perf_counter()
                    catalog.search(q)
                    ours[q].append((time.perf_counter() - t0) * 1e3)
                    t0 = time.perf_counter()
                    reference_ranked(conn, fts_query(q), LIMIT)
                    ref[q].append((time.perf_counter() - t0) * 1e3)
        finally:
            gc.enable()
        times = [t for ts in ours.values() for t in ts]
        bare = [t for ts in ref.values() for t in ts]
        p50, p99 = percentile(times, 50), percentile(times, 99)
        print(f"(a) search in process: {len(queries)} queries x {passes} passes, interleaved")
        print(
            f"  Catalog.search         p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max "
            f"{max(times):7.2f} ms (goal p99 <= {SEARCH_P99_GOAL_MS:g} ms)"
        )
        print(
            f"  ranked FTS5 LIMIT {LIMIT}    p50 {percentile(bare, 50):7.2f} ms  p99 "
            f"{percentile(bare, 99):7.2f} ms  max {max(bare):7.2f} ms (reference)"
        )
        matches = {
            q: sum(
                conn.execute(
                    f"select count(*) from {t}_fts where {t}_fts match ?", [fts_query(q)]
                ).fetchone()[0]
                for t in ("models", "datasets")
            )
            for q in queries
            if fts_query(q)
        }
        slowest = sorted(ours, key=lambda q: -statistics.median(ours[q]))[:6]
        print(
            "  slowest (median ms, reference ms, matches): "
            + ", ".join(
                f"{q!r} {statistics.median(ours[q]):.1f}, {statistics.median(ref[q]):.1f}, "
                f"{matches.get(q, 0):,}"
                for q in slowest
            )
        )
        narrow = [t for q in queries if matches.get(q, 0) <= 2_000 for t in ours[q]]
        if narrow:
            print(
                f"  for information: queries matching at most 2,000 entries: p99 "
                f"{percentile(narrow, 99):.2f} ms over {len(narrow)} searches"
            )

        # (b) the same top results as a full ranking
        differ = [q for q in queries if not same_top(conn, fts_query(q), catalog.search(q))]
        print(
            f"(b) same top {LIMIT} as a full ranking (ties in any order): "
            f"{len(queries) - len(differ)}/{len(queries)} queries"
            + (f"; differ: {differ[:5]}" if differ else "")
        )
        print(
            f"  for information: opening the catalog {open_ms:.1f} ms (no integrity check "
            f"after a clean close); Catalog.check() (baton doctor) {check_ms:.0f} ms"
        )
        catalog.close()

        # (c) as a process, interleaved rounds. An installed Baton has its bytecode
        # compiled; a checkout run with PYTHONDONTWRITEBYTECODE would compile every module
        # on every run, so compile it once here as an installation does.
        import compileall

        from baton import core

        compileall.compile_dir(Path(core.__file__).parent, quiet=2)
        commands = {
            **{
                f"baton search {q!r}": [baton_cmd, "--home", str(home), "search", q]
                for q in PROCESS_QUERIES
            },
            "baton model list": [baton_cmd, "--home", str(home), "model", "list"],
            "baton status": [baton_cmd, "--home", str(home), "status"],
            "bare python -c ranked FTS5": [
                sys.executable,
                "-c",
                BARE,
                str(home / "catalog.db"),
                fts_query(PROCESS_QUERIES[0]),
            ],
        }
        for argv in commands.values():  # warm up
            run_timed(argv)
        wall: dict[str, list[float]] = {k: [] for k in commands}
        peak: dict[str, float] = dict.fromkeys(commands, 0.0)
        for _ in range(rounds):
            for label, argv in commands.items():
                ms, mb, _ = run_timed(argv)
                wall[label].append(ms)
                peak[label] = max(peak[label], mb)
        med = {k: statistics.median(v) for k, v in wall.items()}
        ref_ms = med["bare python -c ranked FTS5"]
        print(f"(c) as a process: medians of {rounds} interleaved rounds")
        for label in commands:
            print(
                f"  {label:<32} {med[label]:7.1f} ms  {med[label] / ref_ms:4.1f}x the bare "
                f"query  peak {peak[label]:5.1f} MB"
            )

        # (d) listing every model
        t_first, total, mb_text, out = first_line_ms(
            [baton_cmd, "--home", str(home), "model", "list", "--limit", "0"]
        )
        text_rows = out.count(b"\n") - 1
        j_first, j_total, mb_json, out = first_line_ms(
            [baton_cmd, "--home", str(home), "model", "list", "--limit", "0", "--json"]
        )
        try:
            json_rows = len(json.loads(out)["models"])
        except ValueError:
            json_rows = -1
        print(
            f"(d) baton model list --limit 0: first line {t_first:.0f} ms, all {text_rows:,} rows "
            f"{total / 1e3:.1f} s, peak {mb_text:.0f} MB; --json: first line {j_first:.0f} ms, "
            f"{json_rows:,} models {j_total / 1e3:.1f} s, peak {mb_json:.0f} MB"
        )

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    search_cmds = [k for k in commands if k.startswith("baton search")]
    worst_search = max(search_cmds, key=lambda k: med[k])
    list_peak = max(mb_text, mb_json)
    goals = [
        (p99 <= SEARCH_P99_GOAL_MS, f"search p99 {p99:.2f} ms (goal <= {SEARCH_P99_GOAL_MS:g})"),
        (not differ, f"same top results {len(queries) - len(differ)}/{len(queries)}"),
        (
            med[worst_search] <= PROCESS_GOAL_MS,
            f"{worst_search} {med[worst_search]:.0f} ms vs bare {ref_ms:.0f} ms "
            f"(goal <= {PROCESS_GOAL_MS:g})",
        ),
        (
            med["baton model list"] <= PROCESS_GOAL_MS,
            f"model list {med['baton model list']:.0f} ms (goal <= {PROCESS_GOAL_MS:g})",
        ),
        (
            med["baton status"] <= PROCESS_GOAL_MS,
            f"status {med['baton status']:.0f} ms (goal <= {PROCESS_GOAL_MS:g})",
        ),
        (
            list_peak <= LIST_ALL_PEAK_GOAL_MB and json_rows == n_models == text_rows,
            f"list all {n_models:,} peak {list_peak:.0f} MB (goal <= {LIST_ALL_PEAK_GOAL_MB:g}, "
            "one valid JSON)",
        ),
    ]
    print(
        f"SUMMARY catalog {n_models:,} models: "
        + " | ".join(f"{verdict(ok)} {text}" for ok, text in goals)
    )
    return 0 if all(ok for ok, _ in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
