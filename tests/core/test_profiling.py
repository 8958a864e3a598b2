"""Tests for the latency, memory, hardware and environment measurements.

Time budgets are tiny and nothing asserts on how long anything took: structure, order of
percentiles, sample counts and stop reasons only.
"""

from __future__ import annotations

import gc
import json
import sys
import time

import numpy as np
import pandas as pd
import pytest

from baton.core.errors import Cancelled, ModelError, UsageError
from baton.core.measure import machine, profiling
from baton.core.measure.profiling import (
    environment_info,
    hardware_info,
    measure_latency,
    peak_rss_bytes,
    profile_memory,
    reset_peak_rss,
    rss_bytes,
)
from baton.core.progress import CancelToken

REQUIRED_KEYS = {
    "batch_size",
    "samples",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "mean_ms",
    "std_ms",
    "min_ms",
    "max_ms",
    "throughput_rps",
    "p99_stable",
    "raw_ms",
}
TINY = 0.02  # seconds of budget per batch size


def _noop(batch):
    return None


def _check_result(r, *, min_samples=1):
    assert r.keys() >= REQUIRED_KEYS
    n = r["samples"]
    assert n >= min_samples
    assert r["min_ms"] <= r["p50_ms"] <= r["p90_ms"] <= r["p95_ms"] <= r["p99_ms"] <= r["max_ms"]
    assert r["min_ms"] <= r["mean_ms"] <= r["max_ms"]
    assert r["std_ms"] >= 0
    if r["mean_ms"] > 0:
        assert r["throughput_rps"] == pytest.approx(r["batch_size"] / (r["mean_ms"] / 1000))
    assert len(r["raw_ms"]) == min(n, profiling.RAW_SAMPLES_CAP)
    assert r["raw_ms_subsampled"] == (n > profiling.RAW_SAMPLES_CAP)
    assert r["p99_stable"] == (n >= profiling.STABLE_P99_SAMPLES)
    assert r["percentile_method"] == "linear"
    assert r["stop_reason"] in {"budget", "unstable", "max_samples", "hard_limit"}
    assert isinstance(r["p50_stable"], bool) and isinstance(r["machine_busy"], bool)
    assert all(isinstance(x, float) for x in r["raw_ms"][:10])
    assert min(r["raw_ms"]) >= 0


# --------------------------------------------------------------------------- latency


def test_trivial_predict_structure_and_json():
    X = np.random.default_rng(0).random((50, 4))
    results = measure_latency(_noop, X, budget_s=TINY, min_samples=20)
    assert [r["batch_size"] for r in results] == [1, 8, 64, 512]
    for r in results:
        _check_result(r, min_samples=20)
        assert r["samples"] <= r["max_samples"]
    json.loads(json.dumps(results))  # plain JSON values only, no numpy scalars
    assert type(results[0]["samples"]) is int
    assert type(results[0]["p99_stable"]) is bool


def test_percentiles_match_numpy_linear_on_raw_samples():
    X = np.zeros((5, 2))
    (r,) = measure_latency(_noop, X, batch_sizes=(1,), budget_s=TINY, max_samples=5000)
    raw = np.asarray(r["raw_ms"])
    assert r["samples"] == raw.size  # below the raw cap every sample is kept
    assert r["p50_ms"] == pytest.approx(np.percentile(raw, 50, method="linear"), abs=1e-6)
    assert r["p99_ms"] == pytest.approx(np.percentile(raw, 99, method="linear"), abs=1e-6)


def test_dataframe_batches_are_frames_cycled_over_rows():
    X = pd.DataFrame({"a": np.arange(10), "b": np.arange(10) * 2.0})
    seen = []

    def predict(batch):
        seen.append(batch)

    measure_latency(predict, X, batch_sizes=(4, 25), budget_s=TINY, max_samples=60, warmup=0)
    fours = [b for b in seen if len(b) == 4]
    big = [b for b in seen if len(b) == 25]
    assert fours and big
    assert all(isinstance(b, pd.DataFrame) and list(b.columns) == ["a", "b"] for b in seen)
    # Batches of 4 cycle through the rows: 0-3, 4-7, 8 9 0 1, ...
    assert fours[0]["a"].tolist() == [0, 1, 2, 3]
    assert fours[1]["a"].tolist() == [4, 5, 6, 7]
    assert fours[2]["a"].tolist() == [8, 9, 0, 1]
    # A batch larger than the data set repeats rows.
    assert big[0]["a"].tolist() == [i % 10 for i in range(25)]


def test_sklearn_logistic_regression():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    model = LogisticRegression(max_iter=200).fit(X, y)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    model_df = LogisticRegression(max_iter=200).fit(frame, y)
    for predict, data in ((model.predict_proba, X), (model_df.predict, frame)):
        results = measure_latency(predict, data, batch_sizes=(1, 64), budget_s=TINY, min_samples=30)
        assert [r["batch_size"] for r in results] == [1, 64]
        for r in results:
            _check_result(r, min_samples=30)


def test_min_samples_beats_the_budget():
    def slow(batch):
        time.sleep(0.001)

    (r,) = measure_latency(
        slow, np.zeros((3, 1)), batch_sizes=(1,), budget_s=0.001, min_samples=15, warmup=1
    )
    assert r["samples"] >= 15
    assert r["stop_reason"] in {"budget", "unstable"}  # not before min_samples either way
    assert r["p99_stable"] is False


def test_hard_limit_ends_sampling_below_min_samples():
    def slow(batch):
        time.sleep(0.005)

    (r,) = measure_latency(
        slow,
        np.zeros((3, 1)),
        batch_sizes=(1,),
        budget_s=0.005,
        max_time_s=0.02,
        min_samples=10_000,
        max_samples=20_000,
        warmup=0,
    )
    assert r["stop_reason"] == "hard_limit"
    assert 1 <= r["samples"] < 10_000


def test_max_samples_and_raw_cap():
    (r,) = measure_latency(
        _noop, np.zeros((3, 1)), batch_sizes=(1,), budget_s=30.0, max_samples=500, raw_cap=100
    )
    assert r["samples"] == 500
    assert r["stop_reason"] == "max_samples"
    assert len(r["raw_ms"]) == 100
    assert r["raw_ms_subsampled"] is True


def test_progress_is_reported_and_monotonic():
    calls = []
    measure_latency(
        _noop,
        np.zeros((4, 1)),
        batch_sizes=(1, 8),
        budget_s=0.12,
        max_samples=10**7,
        progress=lambda done, total, msg: calls.append((done, total, msg)),
    )
    assert len(calls) >= 4
    dones = [c[0] for c in calls]
    assert dones == sorted(dones)
    assert calls[-1][0] == calls[-1][1] == 2
    assert all(isinstance(c[2], str) and c[2] for c in calls)


def test_cancel_before_start_never_calls_predict():
    token = CancelToken()
    token.cancel()
    called = []
    with pytest.raises(Cancelled):
        measure_latency(called.append, np.zeros((2, 1)), cancel=token)
    assert called == []
    assert gc.isenabled()


def test_cancel_during_sampling_stops_promptly():
    token = CancelToken()
    sizes_seen = set()

    def predict(batch):
        sizes_seen.add(len(batch))

    def progress(done, total, msg):
        if "samples" in msg:  # first report from inside the sampling loop
            token.cancel()

    # A 60 s budget: the test only finishes quickly because cancellation is polled.
    with pytest.raises(Cancelled):
        measure_latency(
            predict,
            np.zeros((4, 1)),
            batch_sizes=(1, 8),
            budget_s=60.0,
            max_samples=10**9,
            progress=progress,
            cancel=token,
        )
    assert sizes_seen == {1}  # never reached the second batch size
    assert gc.isenabled()


def test_gc_state_restored():
    assert gc.isenabled()
    states = []
    measure_latency(
        lambda b: states.append(gc.isenabled()),
        np.zeros((2, 1)),
        batch_sizes=(1,),
        budget_s=TINY,
        warmup=0,
        max_samples=100,
    )
    assert gc.isenabled()
    assert states and not any(states)  # disabled while timing
    gc.disable()
    try:
        measure_latency(_noop, np.zeros((2, 1)), batch_sizes=(1,), budget_s=TINY, max_samples=50)
        assert not gc.isenabled()  # a disabled collector is left disabled
    finally:
        gc.enable()


def test_predict_error_becomes_model_error_and_gc_restored():
    calls = []

    def broken(batch):
        calls.append(1)
        if len(calls) > 3:
            raise ValueError("feature mismatch")

    with pytest.raises(ModelError, match="feature mismatch") as info:
        measure_latency(broken, np.zeros((2, 1)), batch_sizes=(1,), budget_s=TINY, warmup=2)
    assert isinstance(info.value.__cause__, ValueError)
    assert gc.isenabled()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_sizes": (0,)},
        {"batch_sizes": ()},
        {"batch_sizes": (1.5,)},
        {"budget_s": 0},
        {"min_samples": 0},
        {"min_samples": 10, "max_samples": 5},
        {"warmup": -1},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(UsageError):
        measure_latency(_noop, np.zeros((2, 1)), **kwargs)


def test_empty_data_set():
    with pytest.raises(UsageError):
        measure_latency(_noop, np.zeros((0, 3)), budget_s=TINY)


# --------------------------------------------------------------------------- memory


def test_rss_counters():
    rss = rss_bytes()
    peak = peak_rss_bytes()
    assert rss is not None and rss > 1 << 20
    assert peak is not None and peak >= rss * 0.9
    assert isinstance(reset_peak_rss(), bool)


def test_profile_memory_sees_a_100_mb_model():
    holder = {}

    def load():
        holder["weights"] = weights = np.ones(100 * (1 << 20) // 8)  # 100 MB, all touched
        return lambda batch: float(weights[: len(batch)].sum())

    X = pd.DataFrame({"a": np.arange(20.0)})
    result = profile_memory(load, X, batch_size=16)
    try:
        json.dumps(result)
        assert result["batch_size"] == 16
        assert result["resident_delta_mb"] >= 80
        assert result["rss_after_load_mb"] > result["rss_before_load_mb"]
        assert result["peak_during_predict_mb"] >= 0
        assert result["peak_method"] in {
            "VmHWM after reset",
            "VmHWM (not reset)",
            "ru_maxrss (not reset)",
            "PeakWorkingSetSize (not reset)",
        }
        assert result["peak_reset"] == result["peak_method"].endswith("after reset")
        assert result["notes"] and all(isinstance(n, str) for n in result["notes"])
    finally:
        holder.clear()


def test_profile_memory_peak_during_predict():
    class Model:
        def predict(self, batch):
            scratch = np.ones(60 * (1 << 20) // 8)  # 60 MB, freed on return
            return np.full(len(batch), scratch[0])

    result = profile_memory(Model, np.zeros((8, 2)), batch_size=8)
    if not result["peak_reset"]:
        pytest.skip("the peak RSS counter cannot be reset here")
    assert result["peak_during_predict_mb"] >= 45
    assert result["resident_delta_mb"] < 45  # the scratch array is gone after warm-up
    assert result["footprint_mb"] == pytest.approx(
        max(0, result["resident_delta_mb"]) + result["peak_during_predict_mb"]
    )


def test_profile_memory_errors():
    with pytest.raises(ModelError, match="could not be loaded"):
        profile_memory(lambda: 1 / 0, np.zeros((2, 1)))
    with pytest.raises(UsageError):
        profile_memory(lambda: 42, np.zeros((2, 1)))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        profile_memory(lambda: _noop, np.zeros((2, 1)), cancel=token)


# --------------------------------------------------------------------------- hardware


def test_hardware_info():
    info = hardware_info()
    assert {
        "cpu_model",
        "cores_physical",
        "cores_logical",
        "cores_available",
        "ram_total_bytes",
        "os",
        "machine",
    } <= info.keys()
    json.dumps(info)
    assert info["cores_logical"] >= 1
    assert 1 <= info["cores_available"] <= info["cores_logical"]
    if info["cores_physical"] is not None:
        assert 1 <= info["cores_physical"] <= info["cores_logical"]
    assert isinstance(info["os"], str) and info["os"]
    if sys.platform.startswith("linux"):
        assert info["cpu_model"]
        assert info["ram_total_bytes"] > 256 * (1 << 20)


def test_environment_info():
    import sklearn

    info = environment_info()
    json.dumps(info)
    assert info["python_version"].count(".") == 2
    assert info["python_implementation"]
    pkgs = info["packages"]
    assert set(machine.PACKAGES) <= pkgs.keys()
    assert pkgs["numpy"] == np.__version__
    assert pkgs["scikit-learn"] == sklearn.__version__
    assert info["baton_version"]
    assert environment_info(["no-such-package-xyz"])["packages"] == {"no-such-package-xyz": None}


# --------------------------------------------------------------------------- machine load


def _matmul(batch):
    return batch @ batch.T


@pytest.fixture
def cpu_burners():
    """One CPU-bound process per CPU (at most 8), each ending by itself after 60 s."""
    import os
    import subprocess

    code = "import time\nend = time.monotonic() + 60\nwhile time.monotonic() < end: pass\n"
    procs = [
        subprocess.Popen([sys.executable, "-c", code]) for _ in range(min(os.cpu_count() or 1, 8))
    ]
    time.sleep(0.5)  # let them reach the CPUs
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/stat")
def test_latency_taken_beside_cpu_burners_is_marked_busy(cpu_burners):
    X = np.random.default_rng(0).random((64, 32))
    (r,) = measure_latency(_matmul, X, batch_sizes=(8,), budget_s=0.6, min_samples=20)
    assert r["machine_busy"] is True
    assert r["other_cpu_share"] >= machine.BUSY_CPU_SHARE
    assert r["busy_reason"].startswith("other processes took ")
    assert r["busy_reason"].split(" took ")[1].startswith(f"{r['other_cpu_share'] * 100:.0f} % ")
    (note,) = [n for n in profiling.latency_caveats([r]) if n.startswith("Measured")]
    assert note.startswith("Measured on a busy machine at batch size 8 (other processes took ")
    assert note.endswith("these latencies are likely higher than on a quiet machine.")


def _others_share(before, after, own_cpu_s):
    """Share of all CPU ticks that other processes used, read here from /proc/stat."""
    import os

    busy, total = after[0] - before[0], after[1] - before[1]
    return (busy - own_cpu_s * os.sysconf("SC_CLK_TCK")) / total


def _ticks():
    with open("/proc/stat") as fh:
        first = fh.readline().split()[1:9]
    ticks = [int(v) for v in first]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


#: How long the quiet-machine test waits for the load average to fall below the busy mark.
QUIET_WAIT_S = 60.0


def _load_once_quiet(cpus: int) -> tuple[bool, float]:
    """Whether the 1-minute load average fell below the busy mark within QUIET_WAIT_S, and
    its last reading. It decays over about a minute: the work just before this test (an
    install, a type check, the test run itself) keeps it above the mark for a while after
    it ends, so the test waits for that rather than skip nearly every time."""
    import os

    deadline = time.monotonic() + QUIET_WAIT_S
    while True:
        load = os.getloadavg()[0]
        if load / cpus < machine.BUSY_LOAD_PER_CPU:
            return True, load
        if time.monotonic() >= deadline:
            return False, load
        time.sleep(1.0)


@pytest.mark.serial
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/stat")
def test_latency_on_a_quiet_machine_is_not_marked_busy():
    import os

    cpus = os.cpu_count() or 1
    quiet, load = _load_once_quiet(cpus)
    if not quiet:
        pytest.skip(
            f"the machine stayed loaded for {QUIET_WAIT_S:.0f} s "
            f"(load average {load:.2f} on {cpus} CPUs)"
        )
    X = np.random.default_rng(0).random((64, 32))
    before, own = _ticks(), os.times()
    (r,) = measure_latency(_matmul, X, batch_sizes=(8,), budget_s=0.6, min_samples=20)
    after, own_after = _ticks(), os.times()
    others = _others_share(before, after, own_after.user + own_after.system - own.user - own.system)
    if others >= machine.BUSY_CPU_SHARE / 2:
        pytest.skip(f"other processes took {others:.0%} of the CPU time during the test")
    assert r["machine_busy"] is False and r["busy_reason"] is None
    assert r["other_cpu_share"] < machine.BUSY_CPU_SHARE
    assert r["cpus"] == cpus and r["load_avg_1m"] is not None
    assert not [n for n in profiling.latency_caveats([r]) if n.startswith("Measured")]


def test_machine_load_counts_other_processes_cpu_time(monkeypatch):
    import os

    monkeypatch.setattr(machine, "_load_average", lambda: 0.4)
    hz = os.sysconf("SC_CLK_TCK")
    before = {"ticks": (1000, 4000), "own_cpu_s": 1.0, "clock_s": 10.0}
    # over 1 s on 2 CPUs (2 * hz ticks): 1.5 * hz busy ticks, 0.5 s of them our own
    after = {"ticks": (1000 + int(1.5 * hz), 4000 + 2 * hz), "own_cpu_s": 1.5, "clock_s": 11.0}
    load = machine.machine_load(before, after, cpus=2)
    assert load["other_cpu_share"] == pytest.approx(0.5)
    assert load["own_cpus"] == pytest.approx(0.5)
    assert load["machine_busy"] is True
    assert load["busy_reason"] == "other processes took 50 % of the CPU time"
    quiet = {**after, "ticks": (1000 + int(0.6 * hz), 4000 + 2 * hz)}
    assert machine.machine_load(before, quiet, cpus=2)["machine_busy"] is False
    monkeypatch.setattr(machine, "_load_average", lambda: 3.5)  # others: 3 runnable on 2 CPUs
    loaded = machine.machine_load(before, quiet, cpus=2)
    assert loaded["busy_reason"] == "the load average was 3.50 on 2 CPUs"
    no_proc = machine.machine_load({**before, "ticks": None}, quiet, cpus=2)
    assert no_proc["other_cpu_share"] is None and no_proc["machine_busy"] is True


class SimulatedClock:
    """Stands for ``time`` in the profiling module: a call to predict takes exactly what it
    says (:meth:`spend`), whatever else the machine is doing, so a test of when sampling
    stops does not depend on the scheduler."""

    def __init__(self) -> None:
        self.now_ns = 0

    def perf_counter_ns(self) -> int:
        return self.now_ns

    def spend(self, seconds: float) -> None:
        self.now_ns += round(seconds * 1e9)


@pytest.fixture
def clock(monkeypatch) -> SimulatedClock:
    simulated = SimulatedClock()
    monkeypatch.setattr(profiling, "time", simulated)
    return simulated


def test_p50_that_keeps_moving_samples_past_the_budget_and_is_marked_unstable(clock):
    calls = []

    def slower_and_slower(batch):
        calls.append(None)
        clock.spend(0.0002 * (1 + len(calls) / 10))

    budget = 0.2
    (r,) = measure_latency(
        slower_and_slower, np.zeros((3, 1)), batch_sizes=(1,), budget_s=budget, min_samples=5
    )
    assert r["stop_reason"] == "unstable" and r["p50_stable"] is False
    assert r["rounds"] > profiling.ROUNDS_PER_BUDGET  # it sampled on past the budget
    assert r["round_p50_ms"] == sorted(r["round_p50_ms"])
    # It stopped once twice the budget was spent, not before.
    assert clock.now_ns >= profiling.MAX_BUDGET_FACTOR * budget * 1e9
    (note,) = [n for n in profiling.latency_caveats([r]) if n.startswith("Unstable")]
    assert note == (
        "Unstable at batch size 1: the p50 still moved by more than 5 % between the last "
        "rounds of sampling."
    )


def test_steady_p50_is_stable_and_stops_at_the_budget(clock):
    def steady(batch):
        clock.spend(0.001)

    budget = 0.2
    (r,) = measure_latency(steady, np.zeros((3, 1)), batch_sizes=(1,), budget_s=budget, warmup=2)
    assert r["p50_stable"] is True and r["stop_reason"] == "budget"
    assert r["p50_ms"] == pytest.approx(1.0)
    assert clock.now_ns < profiling.MAX_BUDGET_FACTOR * budget * 1e9
    last, before = r["round_p50_ms"][-1], r["round_p50_ms"][-2]
    assert abs(last - before) <= 0.05 * max(last, before)
