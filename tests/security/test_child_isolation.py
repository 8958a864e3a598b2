"""The child that runs model code cannot steal: what it imports, sees, writes and reaches.

Model code is made to run in the child through the one door Baton opens to arbitrary code
on purpose: a pickle imported with the user's consent. Its payload writes what it found
(environment, working folder, ``sys.path``, whether a socket reached the parent) to a
report file, exactly as a hostile model would look around before sending things away.
A payload that is not a model ends the import with Baton's usual refusal.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from baton.core.data import sandbox
from baton.core.data.importer import import_dataset, import_model
from baton.core.errors import ModelError, RunnerTimeout
from baton.core.measure import runs as measure

SECRETS = {
    "BATON_PASSPHRASE": "correct horse battery staple",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "GITHUB_TOKEN": "ghp_notarealtoken0000000000000000000000",
    "BATON_HOME": "/somewhere/the/catalog/lives",
    "PYTHONPATH": "/somewhere/else",
    "HOME": "/home/someone",
}
SHADOWED = ("numpy", "sklearn", "onnxruntime", "skops", "pandas", "pyarrow", "joblib")


class Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _run_payload(catalog, files, tmp_path, code: str) -> dict:
    """Run ``code`` as model code in the child; return the report it wrote."""
    report = tmp_path / "report.json"
    code = f"REPORT = {str(report)!r}\n{code}"
    path = tmp_path / "hostile.pkl"
    path.write_bytes(pickle.dumps(Payload(exec, code)))
    with pytest.raises(
        ModelError, match=r"^the pickle holds a NoneType, not a fitted scikit-learn model$"
    ):
        import_model(
            catalog, path, trust_pickle=True, check_on=str(files.bc_test_csv), target="target"
        )
    return json.loads(report.read_text())


LOOK_AROUND = """
import json, os, sys
cwd = os.getcwd()
json.dump({
    "env": dict(os.environ),
    "cwd": cwd,
    "cwd_listing": sorted(os.listdir(cwd)),
    "cwd_mode": os.stat(cwd).st_mode & 0o777,
    "isolated": sys.flags.isolated,
    "sys_path": sys.path,
}, open(REPORT, "w"))
"""


def _shadow_modules(folder: Path, marker: Path) -> Path:
    """Modules named like Baton's dependencies that leave a marker when imported."""
    folder.mkdir()
    for name in SHADOWED:
        (folder / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r} + ' imported from ' + __file__ + '\\n')\n"
        )
    return folder


def _add_test_set(catalog, files):
    import_dataset(catalog, files.bc_test_csv, name="bc-test", role="test", target="target")


# --- 1. an isolated interpreter ------------------------------------------------------------


def test_a_numpy_py_in_the_working_folder_is_never_imported(catalog, files, tmp_path, monkeypatch):
    marker = tmp_path / "imported.txt"
    monkeypatch.chdir(_shadow_modules(tmp_path / "downloads", marker))
    _add_test_set(catalog, files)
    import_model(catalog, files.lr_skops, name="lr")
    import_model(catalog, files.mlp_onnx, name="mlp")
    measure.evaluate(catalog, "lr", "bc-test", bootstrap=0)
    measure.profile(catalog, "mlp", "bc-test", batch_sizes=(1,), budget_s=0.05)
    assert not marker.exists(), marker.read_text()


def test_baton_model_add_run_from_a_folder_holding_numpy_py(files, tmp_path):
    marker = tmp_path / "imported.txt"
    downloads = _shadow_modules(tmp_path / "downloads", marker)
    baton = Path(sys.executable).with_name("baton")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BATON_HOME")}
    result = subprocess.run(
        [str(baton), "--home", str(tmp_path / "home"), "model", "add", str(files.lr_skops),
         "--name", "lr", "--json"],
        cwd=downloads, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "lr"
    assert not marker.exists(), marker.read_text()


def test_a_numpy_py_on_pythonpath_never_reaches_the_child(catalog, files, tmp_path, monkeypatch):
    # The parent has numpy loaded already; only the child could still pick up the copy.
    marker = tmp_path / "imported.txt"
    monkeypatch.setenv("PYTHONPATH", str(_shadow_modules(tmp_path / "site", marker)))
    _add_test_set(catalog, files)
    import_model(catalog, files.lr_skops, name="lr")
    measure.evaluate(catalog, "lr", "bc-test", bootstrap=0)
    assert not marker.exists(), marker.read_text()


def test_the_child_interpreter_is_isolated(catalog, files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen = _run_payload(catalog, files, tmp_path, LOOK_AROUND)
    assert seen["isolated"] == 1
    assert "" not in seen["sys_path"]
    assert str(tmp_path) not in seen["sys_path"]
    assert seen["cwd"] not in seen["sys_path"]


# --- 2. a scrubbed environment -------------------------------------------------------------


def test_secrets_never_reach_the_child(catalog, files, tmp_path, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    env = _run_payload(catalog, files, tmp_path, LOOK_AROUND)["env"]
    assert not set(SECRETS) & set(env), sorted(env)
    for value in SECRETS.values():
        assert value not in json.dumps(env)
    # scikit-learn sets these two itself when the child imports it.
    started_with = set(env) - {"KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK"}
    unexpected = started_with - sandbox.CHILD_ENVIRONMENT
    assert not unexpected, sorted(unexpected)
    # What numpy, onnxruntime and the locale need still arrives.
    assert env["LC_ALL"] == "C.UTF-8"
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == str(os.cpu_count())
    assert env["PATH"] == os.environ["PATH"]


def test_the_allowlist_holds_names_only_and_no_secret():
    assert all(name.isupper() and "*" not in name for name in sandbox.CHILD_ENVIRONMENT)
    assert not set(SECRETS) & sandbox.CHILD_ENVIRONMENT


def test_limits_from_the_environment_still_apply_in_the_parent(
    catalog, files, tmp_path, monkeypatch
):
    import time

    monkeypatch.setenv("BATON_CHILD_TIMEOUT_S", "4")
    path = tmp_path / "hang.pkl"
    path.write_bytes(pickle.dumps(Payload(time.sleep, 120)))
    refused = r"^hang.pkl did not finish within 4 s and was stopped$"
    with pytest.raises(RunnerTimeout, match=refused):
        import_model(
            catalog, path, trust_pickle=True, check_on=str(files.bc_test_csv), target="target"
        )


# --- 3. a private, empty working folder ---------------------------------------------------


def test_the_child_works_in_a_private_empty_folder_removed_afterwards(
    catalog, files, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    seen = _run_payload(catalog, files, tmp_path, LOOK_AROUND)
    cwd = Path(seen["cwd"])
    assert cwd != tmp_path and tmp_path not in cwd.parents
    assert seen["cwd_listing"] == []
    assert seen["cwd_mode"] == 0o700
    assert seen["env"]["TMPDIR" if os.name == "posix" else "TEMP"] == str(cwd)
    assert not cwd.exists()


def test_relative_paths_given_by_the_user_still_work(catalog, files, monkeypatch):
    monkeypatch.chdir(files.root)
    skops = import_model(catalog, files.lr_skops.name, name="lr")
    pickled = import_model(
        catalog,
        files.lr_joblib.name,
        name="lr-pickled",
        trust_pickle=True,
        check_on=files.bc_test_csv.name,
        target="target",
    )
    assert skops["name"] == "lr" and pickled["safety"]["identical_predictions"] is True


# --- 4. no network where Linux allows it ---------------------------------------------------

CONNECT = """
import errno, json, socket
from baton.core.data import sandbox
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=5).close()
    outcome = "connected"
except OSError as exc:
    outcome = errno.errorcode.get(exc.errno, str(exc))
json.dump({"outcome": outcome, "isolation": sandbox.network_isolation()}, open(REPORT, "w"))
"""


def _what_this_machine_allows() -> dict:
    """Network isolation as a fresh single-threaded process gets it here: the child must
    get the same, whatever it imports before leaving the network."""
    probe = "import json, baton.core.data.sandbox as s; print(json.dumps(s.isolate_network()))"
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    allowed = json.loads(result.stdout)
    if not allowed["in_force"]:
        pytest.skip(f"no network isolation on this machine: {allowed['detail']}")
    return allowed


def test_the_child_cannot_reach_a_server_of_the_parent(catalog, files, tmp_path):
    allowed = _what_this_machine_allows()
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # it does listen
        seen = _run_payload(catalog, files, tmp_path, f"PORT = {port}\n{CONNECT}")
    assert seen["isolation"] == allowed
    assert seen["outcome"] == "ENETUNREACH"  # not even the loopback device is up


def test_models_run_inside_the_isolation_and_the_profile_says_so(catalog, files):
    _add_test_set(catalog, files)
    import_model(catalog, files.mlp_onnx, name="mlp")
    onnx = measure.profile(catalog, "mlp", "bc-test", batch_sizes=(1, 64), budget_s=0.05)
    isolation = onnx["result"]["environment"]["network_isolation"]
    assert set(isolation) == {"in_force", "detail"}
    if not sys.platform.startswith("linux"):
        assert isolation == {"in_force": False, "detail": f"not available on {sys.platform}"}
        return
    assert isolation == _what_this_machine_allows()
    # onnxruntime's and numpy's thread pools work inside the namespaces.
    assert all(row["samples"] > 0 for row in onnx["result"]["latency"])
    assert measure.evaluate(catalog, "mlp", "bc-test", bootstrap=0)["result"]["n_rows"] == 169
