"""The skops allowlist: every node of a model's schema, by loader and exact class.

A ``.skops`` file is a ZIP whose ``schema.json`` tells skops what to build. The hostile
files here start from a real, fitted scikit-learn pipeline saved by skops (the one the
handover bundle carries) and edit its ``schema.json`` to add one node that makes skops
*call* a dangerous function from numpy, scipy or the standard library while loading,
with arguments that leave a marker file behind. Each is first shown to run its code when
plain skops loads it the way Baton used to (trusting whatever ``get_untrusted_types``
names), then refused by ``baton model add``, ``baton verify`` and ``baton review
--reproduce`` (in a bundle signed by a key the engineer trusts), with the off-list type
named in one line and no marker written.

The list itself is checked against the installed scikit-learn, numpy and scipy: see
``tests/skops_catalog.py``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from baton.core.data import allowlist
from baton.core.data.models import child_load_skops, skops_allowed_types
from baton.core.errors import ModelError, UnsafeInput

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests import skops_catalog  # noqa: E402
from tests.handover import Snapshot, error_line, evil_pickle, run  # noqa: E402
from tests.hostile_skops import (  # noqa: E402
    bundle_with_model,
    call_as_constructor,
    call_as_key_type,
    call_as_loss,
    edit_schema,
    mapping,
    plant,
    ref,
    seq,
    value,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp


# --- a dozen dangerous callables ---------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """A node that calls ``target`` on load; ``shown`` is how Baton names it."""

    id: str
    shown: str
    writes: bool  # whether running it leaves a marker file (readers only read)

    def node(self, marker: Path, payload: Path) -> dict:
        m, p = str(marker), str(payload)
        code = f"open({m!r}, 'w').write('ran')"
        return {
            "runstring": lambda: call_as_loss("numpy.testing._private.utils.runstring", code, {}),
            "exec": lambda: call_as_key_type(ref("builtins.exec", "TypeNode"), code),
            "eval": lambda: call_as_constructor("builtins.eval", code),
            "os.system": lambda: call_as_key_type(
                ref("os.system", "FunctionNode"), f"touch {shlex.quote(m)}"
            ),  # fmt: skip
            "numpy.save": lambda: call_as_loss("numpy.save", m, [1]),
            "numpy.savetxt": lambda: call_as_constructor("numpy.savetxt", m, [1.0]),
            "open_memmap": lambda: call_as_loss(
                "numpy.lib.format.open_memmap", m, "w+", "<f8", [1]
            ),
            "scipy.io.savemat": lambda: call_as_loss("scipy.io.savemat", m, {}),
            "numpy.memmap": lambda: call_as_constructor("numpy.memmap", m, "<f8", "w+", 0, [1]),
            "numpy.savez": lambda: call_as_loss("numpy.savez", m, [1]),
            "numpy.load": lambda: call_as_loss("numpy.load", p, None, True),
            "numpy.fromfile": lambda: call_as_key_type(ref("numpy.fromfile", "FunctionNode"), p),
            "numpy.loadtxt": lambda: call_as_constructor("numpy.loadtxt", p),
            "read_array": lambda: call_as_loss("numpy.lib.format.read_array", p, True),
            "scipy.io.loadmat": lambda: call_as_key_type(
                ref("scipy.io.loadmat", "FunctionNode"), p
            ),
            "numpy.add": lambda: call_as_key_type(ref("numpy.add", "FunctionNode"), p),
        }[self.id]()


HOSTILE = [
    Hostile("runstring", "numpy.testing._private.utils.runstring (loss)", True),
    Hostile("exec", "builtins.exec (reference)", True),
    Hostile("eval", "builtins.eval (constructor call)", True),
    Hostile("os.system", "os.system (function)", True),
    Hostile("numpy.save", "numpy.save (loss)", True),
    Hostile("numpy.savetxt", "numpy.savetxt (constructor call)", True),
    Hostile("open_memmap", "numpy.lib.format.open_memmap (loss)", True),
    Hostile("scipy.io.savemat", "scipy.io.savemat (loss)", True),
    Hostile("numpy.memmap", "numpy.memmap (constructor call)", True),
    Hostile("numpy.savez", "numpy.savez (loss)", True),
    Hostile("numpy.load", "numpy.load (loss)", True),  # unpickles the payload file
    Hostile("numpy.fromfile", "numpy.fromfile (function)", False),
    Hostile("numpy.loadtxt", "numpy.loadtxt (constructor call)", False),
    Hostile("read_array", "numpy.lib.format.read_array (loss)", False),
    Hostile("scipy.io.loadmat", "scipy.io.loadmat (function)", False),
    Hostile("numpy.add", "numpy.add (function)", False),  # a ufunc skops trusts by default
]


def ran(marker: Path) -> list[str]:
    """Files the hostile code left (numpy and scipy add .npy / .mat to the name)."""
    return sorted(p.name for p in marker.parent.glob(marker.name + "*"))


def hostile_skops(h: Hostile, base: bytes, folder: Path) -> tuple[Path, Path]:
    """The planted model at ``folder/model.skops``, and its marker path."""
    marker, payload = folder / "EXECUTED", folder / "payload.bin"
    payload.write_bytes(evil_pickle(marker))  # what numpy.load(..., allow_pickle=True) runs
    path = folder / "model.skops"
    path.write_bytes(plant(base, h.node(marker, payload)))
    return path, marker


@pytest.fixture
def base_skops(files) -> bytes:
    return files.lr_skops.read_bytes()


@pytest.mark.parametrize("h", [h for h in HOSTILE if h.writes], ids=lambda h: h.id)
def test_the_hostile_models_run_code_when_skops_trusts_what_it_finds(h, base_skops, tmp_path):
    """Otherwise "no marker" below would prove nothing: this is how Baton loaded them."""
    path, marker = hostile_skops(h, base_skops, tmp_path)
    assert sio.get_untrusted_types(file=path)  # the types Baton's old prefix check let through
    # some calls fail after their side effect (a None loss, say)
    with contextlib.suppress(Exception):
        sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert ran(marker), f"{h.id} did not run"


def _refusal(h: Hostile, message: str, prefix: str) -> None:
    assert message.startswith(prefix), message
    assert "outside Baton's allowlist" in message, message
    assert h.shown in message, message


@pytest.mark.parametrize("h", HOSTILE, ids=lambda h: h.id)
def test_model_add_refuses_the_hostile_model(h, base_skops, world, tmp_path, private_tmp):
    path, marker = hostile_skops(h, base_skops, tmp_path)
    snap = Snapshot([world.ds], [world.root], private_tmp)
    result = run(world.ds, "model", "add", path, "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    _refusal(h, error_line(result), "Error: model.skops needs types outside Baton's allowlist")
    assert ran(marker) == []
    snap.unchanged()


def _refused_by(world, private_tmp, command: tuple, marker: Path) -> str:
    snap = Snapshot([world.mle, world.ds], [world.root], private_tmp)
    result = run(world.mle, *command)
    assert result.exit_code == 1, (command, result.stdout, result.stderr)
    assert ran(marker) == []
    snap.unchanged()
    return error_line(result)


@pytest.mark.parametrize("h", HOSTILE, ids=lambda h: h.id)
def test_verify_refuses_the_hostile_model_under_a_trusted_signature(
    h, base_skops, world, tmp_path, private_tmp
):
    path, marker = hostile_skops(h, base_skops, tmp_path)
    bundle = bundle_with_model(world, path.read_bytes(), "hostile.baton")
    message = _refused_by(world, private_tmp, ("verify", bundle, "--json"), marker)
    _refusal(h, message, "Error: hostile.baton: model/model.skops: ")


def test_reproduce_refuses_a_model_carrying_every_hostile_node(base_skops, world, tmp_path,
                                                               private_tmp):  # fmt: skip
    """``review --reproduce`` runs the model: all sixteen calls in one file, all named."""
    marker, payload = tmp_path / "EXECUTED", tmp_path / "payload.bin"
    payload.write_bytes(evil_pickle(marker))
    skops = base_skops
    for i, h in enumerate(HOSTILE):
        skops = plant(skops, h.node(marker, payload), attribute=f"evil_{i}_")
    bundle = bundle_with_model(world, skops, "hostile.baton")
    command = ("review", bundle, "--reproduce", "--budget", "0.05", "--json")
    message = _refused_by(world, private_tmp, command, marker)
    for h in HOSTILE:
        _refusal(h, message, "Error: hostile.baton: model/model.skops: ")


# --- every node, by its loader -----------------------------------------------------------------

LR = "sklearn.linear_model._logistic.LogisticRegression"
TREE = "sklearn.tree._tree.Tree"


@pytest.mark.parametrize(
    ("node", "shown"),
    [
        # Allowed class names, built by a loader that hands back a callable or calls one.
        (ref(LR, "FunctionNode"), f"{LR} (function)"),
        (ref(LR, "TypeNode"), f"{LR} (reference)"),
        ({**ref(LR, "MethodNode"), "content": {"func": "fit", "obj": ref(LR, "ObjectNode")}},
         f"{LR}.fit (method)"),
        ({**ref("functools.partial", "PartialNode"), "content": {
            "func": ref("numpy.add", "FunctionNode"), "args": seq([], "TupleNode", "tuple"),
            "kwds": mapping({}), "namespace": mapping({})}}, "functools.partial (partial function)"),
        ({**ref("operator.methodcaller", "OperatorFuncNode"),
          "attrs": seq([value("system"), value("true")], "TupleNode", "tuple")},
         "operator.methodcaller (operator)"),
        (call_as_constructor(LR), f"{LR} (constructor call)"),
        ({**ref("collections.defaultdict", "DefaultDictNode"), "content": {
            "main": mapping({}), "default_factory": ref("builtins.str", "TypeNode")}},
         "collections.defaultdict (DefaultDictNode)"),
        ({**ref("builtins.bytes", "BytesNode"), "file": "schema.json"}, "builtins.bytes (BytesNode)"),
        ({**ref(LR, "EvilNode")}, f"{LR} (EvilNode)"),
        # A class on the list, but not for this loader.
        ({**ref(TREE, "ObjectNode"), "content": mapping({})}, TREE),
        ({**ref(LR, "NdArrayNode"), "type": "json", "content": [], "shape": value([0])},
         f"{LR} (array)"),
        ({**ref("numpy.memmap", "NdArrayNode"), "type": "json", "content": [],
          "shape": value([0])}, "numpy.memmap (array)"),
        (ref("builtins.type", "TypeNode"), "builtins.type (reference)"),
        # Names that only join up to a listed one.
        ({"__class__": "_tree.Tree", "__module__": "sklearn.tree", "__loader__": "ObjectNode"},
         TREE),
        ({"__class__": "LogisticRegression\x1b[2J", "__module__": "sklearn.linear_model._logistic",
          "__loader__": "ObjectNode"}, f"{LR}\\x1b[2J"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)  # fmt: skip
def test_every_node_is_checked_by_its_loader_and_exact_class(node, shown, base_skops, tmp_path):
    path = tmp_path / "odd.skops"
    path.write_bytes(plant(base_skops, node))
    with pytest.raises(UnsafeInput) as info:
        skops_allowed_types(path)
    message = str(info.value)
    assert message.startswith("odd.skops needs types outside Baton's allowlist"), message
    assert shown in message, message


def test_a_bit_generator_off_the_list_is_refused(tmp_path):
    """numpy's Generator names its bit generator as a plain string, which skops calls."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    model = HistGradientBoostingClassifier(max_iter=2).fit(X, y)
    good = sio.dumps(model)
    assert "numpy.random._generator.Generator" in skops_allowed_types_of(good, tmp_path)

    def swap(schema):
        text = json.dumps(schema).replace('"\\"PCG64\\""', '"\\"seed\\""')
        schema.clear()
        schema.update(json.loads(text))

    bad = tmp_path / "seeded.skops"
    bad.write_bytes(edit_schema(good, swap))
    with pytest.raises(UnsafeInput, match=r"numpy\.random\.seed \(bit generator\)"):
        skops_allowed_types(bad)


def skops_allowed_types_of(data: bytes, folder: Path) -> list[str]:
    path = folder / "model.skops"
    path.write_bytes(data)
    return skops_allowed_types(path)


@pytest.mark.parametrize("protocol", [0, 3, "2", None])
def test_an_unreviewed_skops_protocol_is_refused(protocol, base_skops, tmp_path):
    path = tmp_path / "old.skops"
    path.write_bytes(edit_schema(base_skops, lambda s: s.update(protocol=protocol)))
    with pytest.raises(
        ModelError,
        match=r"old.skops was saved with skops protocol .*; Baton reads protocols 1 and 2",
    ):
        skops_allowed_types(path)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda s: s.update(__loader__=["ObjectNode"]), "a node without a loader, module and class"),
        (lambda s: s["content"].update(__module__=None), "a node without a loader, module and class"),
        (lambda s: s["content"]["content"].update(n_features_in_={**ref("numpy.ndarray", "NdArrayNode"),
                                                                  "type": "numpy", "file": "missing.npy"}),
         "missing.npy, which it does not contain"),
        (lambda s: s["content"]["content"].update(n_features_in_={**ref("numpy.ndarray", "NdArrayNode"),
                                                                  "type": "pickle"}),
         "an array stored as 'pickle'"),
    ],
)  # fmt: skip
def test_a_malformed_schema_is_a_clear_error(edit, reason, base_skops, tmp_path):
    path = tmp_path / "odd.skops"
    path.write_bytes(edit_schema(base_skops, edit))
    with pytest.raises(ModelError) as info:
        skops_allowed_types(path)
    assert str(info.value).startswith("odd.skops is not a readable .skops file"), info.value
    assert reason in str(info.value)


# --- the list itself ------------------------------------------------------------------------------


def test_every_listed_name_is_a_class_and_never_a_callable_of_another_kind():
    for loader, names in allowlist.CLASSES_BY_LOADER.items():
        assert list(names) == sorted(set(names)) or loader in ("ObjectNode", "NdArrayNode",
                                                                  "TypeNode"), loader  # fmt: skip
        for name in names:
            module, _, cls = name.rpartition(".")
            obj = getattr(importlib.import_module(module), cls)
            assert isinstance(obj, type), name  # a class, never a function or method
            assert not issubclass(obj, type), name  # and no metaclass: it builds no classes
    for group in (allowlist.SKLEARN_ESTIMATORS, allowlist.SKLEARN_HELPERS,
                  allowlist.NUMPY_SCALARS, allowlist.SPARSE_CLASSES, allowlist.LOSSES):  # fmt: skip
        assert list(group) == sorted(set(group))


def test_the_skops_format_read_is_one_baton_reviewed():
    from skops.io._protocol import PROTOCOL

    assert PROTOCOL in allowlist.SKOPS_PROTOCOLS
    assert skops_catalog.bit_generators() == allowlist.BIT_GENERATORS


# What the installed scikit-learn saves with a function in it. Each stays refused until
# someone decides otherwise; a change here is a decision to review, not to paper over.
REFUSED_BY_DESIGN = {
    "BisectingKMeans": ("sklearn.cluster._kmeans._kmeans_single_lloyd (FunctionNode)",),
    "FeatureAgglomeration": ("numpy.mean (FunctionNode)",),
    "GenericUnivariateSelect": ("sklearn.feature_selection._univariate_selection.f_classif (FunctionNode)",),
    "SelectFdr": ("sklearn.feature_selection._univariate_selection.f_classif (FunctionNode)",),
    "SelectFpr": ("sklearn.feature_selection._univariate_selection.f_classif (FunctionNode)",),
    "SelectFwe": ("sklearn.feature_selection._univariate_selection.f_classif (FunctionNode)",),
    "SelectKBest": ("sklearn.feature_selection._univariate_selection.f_classif (FunctionNode)",),
    "SelectPercentile": ("sklearn.feature_selection._univariate_selection.f_classif (FunctionNode)",),
    "SplineTransformer": ("scipy._lib.array_api_compat.numpy._aliases.asarray (FunctionNode)",),
    "TunedThresholdClassifierCV": ("sklearn.metrics._classification.balanced_accuracy_score (FunctionNode)",),
    "categorical HistGradientBoostingClassifier": (
        "functools.partial (PartialNode)", "sklearn.utils.validation.check_array (FunctionNode)"),
}  # fmt: skip


@pytest.mark.slow
def test_the_list_is_what_the_installed_libraries_need():
    """Regenerated from scikit-learn, numpy and scipy: a difference names the class."""
    from sklearn.utils import all_estimators

    classes, refused = skops_catalog.generate()
    assert set(allowlist.SKLEARN_ESTIMATORS) == {
        skops_catalog.type_name(c) for _, c in all_estimators()
    }
    assert set(allowlist.CLASSES_BY_LOADER) == set(skops_catalog.ACCEPTED_LOADERS)
    for loader in skops_catalog.ACCEPTED_LOADERS:
        listed, needed = set(allowlist.CLASSES_BY_LOADER[loader]), set(classes[loader])
        assert needed - listed == set(), f"{loader}: needed but not listed"
        assert listed - needed == set(), f"{loader}: listed but no longer needed"
    assert refused == REFUSED_BY_DESIGN


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "label",
    ["HistGradientBoostingClassifier", "multiclass HistGradientBoostingClassifier",
     "RandomForestClassifier", "GradientBoostingRegressor", "ball_tree manhattan KNeighborsClassifier",
     "MLPClassifier", "CalibratedClassifierCV", "isotonic CalibratedClassifierCV", "SVC",
     "StackingClassifier", "ColumnTransformer", "GridSearchCV", "SpectralEmbedding",
     "composed-kernel GaussianProcessRegressor", "huber SGDRegressor", "Pipeline"],
)  # fmt: skip
def test_real_models_pass_and_load_with_exactly_the_types_found(label, tmp_path):
    fit = dict(skops_catalog.recipes())[label]
    path = tmp_path / "model.skops"
    sio.dump(fit(), path)
    types = skops_allowed_types(path)
    assert all(any(t in names for names in allowlist.ALLOWED.values()) for t in types)
    model = child_load_skops(str(path))
    assert type(model).__name__ in label.split()[-1]
