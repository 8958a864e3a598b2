"""Fitted scikit-learn models of every kind, and what skops writes for them.

:func:`generate` rebuilds Baton's skops allowlist (``baton.core.data.allowlist``) from the
installed scikit-learn, numpy and scipy: every estimator ``sklearn.utils.all_estimators()``
lists, plus the helper classes that fitted estimators keep (trees, losses, links, binners,
calibrators, neighbour trees, kernels, optimizers...), found by fitting each estimator
(and the variants below, which reach helpers the defaults do not) and reading every node
of the schema skops writes for it. ``tests/security/test_skops_allowlist.py`` compares
the result with the reviewed list, so a new scikit-learn that needs a new class fails
there, by name, instead of silently widening what Baton loads.

``python -m tests.skops_catalog`` prints the lists in the module's literal form.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

# How skops builds a node, for the loaders that only ever build data or an instance of
# the class they name. Any other loader (functions, methods, partials, operators, type
# references to non-data classes, constructor calls, ...) makes a model refused.
OBJECT_LOADERS = ("ObjectNode", "TreeNode", "LossNode", "RandomStateNode", "RandomGeneratorNode")
CONTAINER_LOADERS = ("DictNode", "ListNode", "TupleNode", "JsonNode", "SliceNode")
DATA_LOADERS = ("NdArrayNode", "DTypeNode", "MaskedArrayNode", "SparseMatrixNode", "TypeNode")
ACCEPTED_LOADERS = OBJECT_LOADERS + CONTAINER_LOADERS + DATA_LOADERS

# Fewer trees, iterations and folds than the defaults: the classes stored are the same.
_QUICK = {"n_estimators": 3, "max_iter": 5, "cv": 2, "n_init": 1, "n_iter": 5}


def type_name(t: type) -> str:
    return f"{t.__module__}.{t.__name__}"


def schema_nodes(data: bytes) -> set[tuple[str, str]]:
    """(loader, module.class) of every node in a skops file's schema (a plain walk)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        schema = json.loads(zf.read("schema.json"))
    found, stack = set(), [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                found.add((item["__loader__"], f"{item['__module__']}.{item['__class__']}"))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _data():
    from sklearn.datasets import make_classification, make_regression

    Xc, yc = make_classification(n_samples=80, n_features=6, n_informative=3, random_state=0)
    Xm, ym = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    Xr, yr = make_regression(n_samples=80, n_features=6, random_state=0)
    return np.abs(Xc), yc, Xm, ym, Xr, yr


def _fit_default(cls, data) -> Any:
    """``cls`` fitted with quick settings, or with its defaults if it refuses those."""
    Xc, yc, _, _, Xr, yr = data
    for quick in (True, False):
        est = cls()
        if quick:
            params = est.get_params(deep=False)
            est.set_params(**{k: v for k, v in _QUICK.items() if k in params})
        try:
            if est.__sklearn_tags__().estimator_type == "regressor":
                return est.fit(Xr, yr)
            try:
                return est.fit(Xc, yc)
            except TypeError:  # unsupervised: fit(X) only
                return est.fit(Xc)
        except (ValueError, TypeError):
            if not quick:
                raise


def recipes() -> Iterator[tuple[str, Callable[[], Any]]]:
    """(label, fit) for every estimator of ``all_estimators()`` and the variants."""
    from sklearn import (
        calibration,
        compose,
        decomposition,
        ensemble,
        neighbors,
        neural_network,
        preprocessing,
        tree,
    )
    from sklearn import gaussian_process as gp
    from sklearn import linear_model as lm
    from sklearn.gaussian_process import kernels as k
    from sklearn.utils import all_estimators

    data = Xc, yc, Xm, ym, Xr, yr = _data()
    yp, y2 = np.abs(yr) + 1, np.c_[yr, yr * 2]
    text = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"] * 10
    lr, ridge = lm.LogisticRegression, lm.Ridge

    def tree_pair(kind):
        return [("a", lr() if kind == "c" else ridge()),
                ("b", tree.DecisionTreeClassifier() if kind == "c" else tree.DecisionTreeRegressor())]  # fmt: skip

    special = {
        "CountVectorizer": lambda c: c().fit(text),
        "TfidfVectorizer": lambda c: c().fit(text),
        "DictVectorizer": lambda c: c().fit([{"a": 1, "b": 2}, {"a": 3}]),
        "IsotonicRegression": lambda c: c().fit(Xr[:, 0], yr),
        "LabelEncoder": lambda c: c().fit(yc),
        "LabelBinarizer": lambda c: c().fit(ym),
        "KernelCenterer": lambda c: c().fit(Xc @ Xc.T),
        "MultiTaskElasticNet": lambda c: c().fit(Xr, y2),
        "MultiTaskElasticNetCV": lambda c: c(cv=2).fit(Xr, y2),
        "MultiTaskLasso": lambda c: c().fit(Xr, y2),
        "MultiTaskLassoCV": lambda c: c(cv=2).fit(Xr, y2),
        "PoissonRegressor": lambda c: c().fit(Xr, yp),
        "GammaRegressor": lambda c: c().fit(Xr, yp),
        "GaussianRandomProjection": lambda c: c(n_components=2).fit(Xc),
        "SparseRandomProjection": lambda c: c(n_components=2).fit(Xc),
        "CCA": lambda c: c(n_components=1).fit(Xr, yr),
        "PLSCanonical": lambda c: c(n_components=1).fit(Xr, yr),
        "PLSSVD": lambda c: c(n_components=1).fit(Xr, y2),
        "SparseCoder": lambda c: c(dictionary=np.eye(6)).fit(Xc),
        "TSNE": lambda c: c(perplexity=5, max_iter=250).fit(Xc),
        "SelfTrainingClassifier": lambda c: c(lr(), max_iter=2).fit(Xc, yc),
        "ClassifierChain": lambda c: c(lr()).fit(Xc, np.c_[yc, 1 - yc]),
        "RegressorChain": lambda c: c(ridge()).fit(Xr, y2),
        "MultiOutputClassifier": lambda c: c(lr()).fit(Xc, np.c_[yc, 1 - yc]),
        "MultiOutputRegressor": lambda c: c(ridge()).fit(Xr, y2),
        "OneVsOneClassifier": lambda c: c(lr()).fit(Xm, ym),
        "OneVsRestClassifier": lambda c: c(lr()).fit(Xm, ym),
        "OutputCodeClassifier": lambda c: c(lr(), random_state=0).fit(Xm, ym),
        "RFE": lambda c: c(lr()).fit(Xc, yc),
        "RFECV": lambda c: c(lr(), cv=2).fit(Xc, yc),
        "SelectFromModel": lambda c: c(lr()).fit(Xc, yc),
        "SequentialFeatureSelector": lambda c: c(lr(), n_features_to_select=5, cv=2).fit(Xc, yc),
        "GridSearchCV": lambda c: c(lr(), {"C": [0.1, 1.0]}, cv=2).fit(Xc, yc),
        "RandomizedSearchCV": lambda c: c(lr(), {"C": [0.1, 1.0]}, n_iter=2, cv=2).fit(Xc, yc),
        "FixedThresholdClassifier": lambda c: c(lr()).fit(Xc, yc),
        "TunedThresholdClassifierCV": lambda c: c(lr(), cv=2).fit(Xc, yc),
        "FrozenEstimator": lambda c: c(lr().fit(Xc, yc)),
        "Pipeline": lambda c: c([("s", preprocessing.StandardScaler()), ("m", lr())]).fit(Xc, yc),
        "FeatureUnion": lambda c: c(
            [("a", decomposition.PCA(2)), ("b", preprocessing.StandardScaler())]
        ).fit(Xc),
        "ColumnTransformer": lambda c: c(
            [
                ("a", preprocessing.StandardScaler(), [0, 1]),
                ("b", preprocessing.OneHotEncoder(handle_unknown="ignore"), [2]),
            ],
            remainder="passthrough",
        ).fit(Xc),  # fmt: skip
        "VotingClassifier": lambda c: c(tree_pair("c"), voting="soft").fit(Xc, yc),
        "VotingRegressor": lambda c: c(tree_pair("r")).fit(Xr, yr),
        "StackingClassifier": lambda c: c(tree_pair("c"), cv=2).fit(Xc, yc),
        "StackingRegressor": lambda c: c(tree_pair("r"), cv=2).fit(Xr, yr),
    }
    for name, cls in all_estimators():
        fit = special.get(name)
        if fit is not None:
            yield name, lambda c=cls, f=fit: f(c)
        elif name != "Birch":  # skops cannot save Birch at all
            yield name, lambda c=cls: _fit_default(c, data)

    ens = ensemble
    yield "multiclass GradientBoostingClassifier", lambda: ens.GradientBoostingClassifier(n_estimators=2).fit(Xm, ym)  # fmt: skip
    yield "exponential GradientBoostingClassifier", lambda: ens.GradientBoostingClassifier(loss="exponential", n_estimators=2).fit(Xc, yc)  # fmt: skip
    yield "multiclass HistGradientBoostingClassifier", lambda: ens.HistGradientBoostingClassifier(max_iter=2).fit(Xm, ym)  # fmt: skip
    yield "string-labelled HistGradientBoostingClassifier", lambda: ens.HistGradientBoostingClassifier(max_iter=2).fit(Xc, np.where(yc, "yes", "no"))  # fmt: skip
    yield "categorical HistGradientBoostingClassifier", lambda: ens.HistGradientBoostingClassifier(max_iter=2, categorical_features=[0]).fit(np.c_[yc[::-1], Xc], yc)  # fmt: skip
    yield "multiclass LogisticRegression", lambda: lr().fit(Xm, ym)
    yield "class-weighted LogisticRegression", lambda: lr(class_weight={0: 1.0, 1: 2.0}).fit(Xc, yc)  # fmt: skip
    yield "multiclass MLPClassifier", lambda: neural_network.MLPClassifier(max_iter=5).fit(Xm, ym)  # fmt: skip
    yield "sgd MLPClassifier", lambda: neural_network.MLPClassifier(solver="sgd", max_iter=5).fit(Xc, yc)  # fmt: skip
    yield "isotonic CalibratedClassifierCV", lambda: calibration.CalibratedClassifierCV(lr(), method="isotonic", cv=2).fit(Xc, yc)  # fmt: skip
    yield "temperature CalibratedClassifierCV", lambda: calibration.CalibratedClassifierCV(lr(), method="temperature", cv=2).fit(Xm, ym)  # fmt: skip
    kernel = (k.ConstantKernel() * k.RBF() + k.WhiteKernel() + k.Matern() + k.RationalQuadratic()
              + k.ExpSineSquared() + k.DotProduct() + k.RBF() ** 2 + k.PairwiseKernel())  # fmt: skip
    yield "composed-kernel GaussianProcessRegressor", lambda: gp.GaussianProcessRegressor(kernel, optimizer=None).fit(Xr[:20], yr[:20])  # fmt: skip
    yield "scaled TransformedTargetRegressor", lambda: compose.TransformedTargetRegressor(ridge(), transformer=preprocessing.StandardScaler()).fit(Xr, yr)  # fmt: skip
    for loss in ("squared_error", "absolute_error", "huber", "quantile"):
        yield f"{loss} GradientBoostingRegressor", lambda loss=loss: ens.GradientBoostingRegressor(loss=loss, n_estimators=2).fit(Xr, yr)  # fmt: skip
    for loss, extra in (("absolute_error", {}), ("gamma", {}), ("poisson", {}),
                        ("quantile", {"quantile": 0.5})):  # fmt: skip
        yield f"{loss} HistGradientBoostingRegressor", lambda loss=loss, extra=extra: ens.HistGradientBoostingRegressor(loss=loss, max_iter=2, **extra).fit(Xr, yp)  # fmt: skip
    for loss in ("log_loss", "modified_huber", "squared_hinge", "perceptron", "squared_error",
                 "huber", "epsilon_insensitive", "squared_epsilon_insensitive"):  # fmt: skip
        yield f"{loss} SGDClassifier", lambda loss=loss: lm.SGDClassifier(loss=loss, max_iter=5).fit(Xc, yc)  # fmt: skip
    for loss in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
        yield f"{loss} SGDRegressor", lambda loss=loss: lm.SGDRegressor(loss=loss, max_iter=5).fit(Xr, yr)  # fmt: skip
    for power, link in ((0, "log"), (1.5, "auto"), (1.5, "identity")):
        yield f"power {power} {link} TweedieRegressor", lambda p=power, link=link: lm.TweedieRegressor(power=p, link=link).fit(Xr, yp)  # fmt: skip
    for algorithm in ("ball_tree", "kd_tree"):
        for metric in ("manhattan", "chebyshev", "minkowski"):
            yield f"{algorithm} {metric} KNeighborsClassifier", lambda a=algorithm, m=metric: neighbors.KNeighborsClassifier(algorithm=a, metric=m, p=3).fit(Xc, yc)  # fmt: skip


def dumps() -> Iterator[tuple[str, bytes]]:
    """(label, .skops bytes) of every recipe, fitted."""
    import skops.io as sio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, fit in recipes():
            yield label, sio.dumps(fit())


def generate() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The allowlist rebuilt from the installed libraries, and the refused recipes.

    Returns ``(classes, refused)``: the classes each accepted loader may build, and for
    each recipe whose file uses another loader, the nodes that make it refused.
    """
    import scipy.sparse
    from sklearn.utils import all_estimators

    seen: dict[str, set[str]] = defaultdict(set)
    refused: dict[str, tuple[str, ...]] = {}
    for label, data in dumps():
        nodes = schema_nodes(data)
        bad = sorted(
            f"{name} ({loader})" for loader, name in nodes if loader not in ACCEPTED_LOADERS
        )
        if bad:
            refused[label] = tuple(bad)
            continue
        for loader, name in nodes:
            seen[loader].add(name)
    # numpy's own scalar types only: importing onnx registers ml_dtypes' types there too
    scalars = {type_name(t) for t in np.sctypeDict.values() if t.__module__ == "numpy"}
    sparse = {
        type_name(t)
        for t in vars(scipy.sparse).values()
        if isinstance(t, type)
        and issubclass(t, scipy.sparse.spmatrix | scipy.sparse.sparray)
        and t not in (scipy.sparse.spmatrix, scipy.sparse.sparray)
    }
    seen["ObjectNode"] |= {type_name(c) for _, c in all_estimators()}
    seen["NdArrayNode"] |= {type_name(np.ndarray)} | scalars
    seen["TypeNode"] |= scalars
    seen["SparseMatrixNode"] |= sparse
    classes = {loader: tuple(sorted(seen[loader])) for loader in ACCEPTED_LOADERS}
    return classes, refused


def bit_generators() -> tuple[str, ...]:
    return tuple(
        sorted(
            name
            for name, t in vars(np.random).items()
            if isinstance(t, type)
            and issubclass(t, np.random.BitGenerator)
            and t is not np.random.BitGenerator
        )
    )


if __name__ == "__main__":
    classes, refused = generate()
    for loader, names in classes.items():
        print(f"{loader}: {len(names)}")
        for name in names:
            print(f'    "{name}",')
    print("BIT_GENERATORS =", bit_generators())
    for label, bad in sorted(refused.items()):
        print("refused:", label, bad)
