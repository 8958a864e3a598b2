"""``baton optimize`` as a user meets it: the parity and gain printed, the lineage shown by
``verify`` and ``inspect`` to the data scientist, a lossy conversion refused with exit 1."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.handover", "tests.optimized")

from tests.handover import as_json, error_line, ok, run  # noqa: E402
from tests.optimized import copy_of, lossy_converter  # noqa: E402

pytest_plugins = ["tests.handover", "tests.optimized"]  # handover, world, optimised


def test_json_names_the_parent_parity_and_gain(optimised):
    d = optimised.result
    assert d["written"] and d["file"] == str(optimised.bundle)
    assert (d["name"], d["version"], d["candidate"]) == ("bc-lr", "1.0.0.1", "bc-lr")
    assert d["operation"]["to"] == "onnx" and d["operation"]["quantize"] is None
    assert d["operation"]["by"] == "Eli"
    p = d["parity"]
    assert p["passed"] and p["failed"] == [] and p["agreement_required"] == 1.0
    assert p["max_probability_difference_allowed"] == 1e-4
    assert d["gain"]["latency"][0]["batch_size"] == 1
    assert d["line"].startswith("optimised by Eli from bc-lr 1 (root digest ")


def test_the_data_scientist_verifies_it_and_reads_its_lineage(optimised, world):
    bundle = copy_of(optimised, world)
    text = ok(run(world.ds, "verify", bundle)).stdout
    assert "VERIFIED: bc-lr-1.0.0.1.baton" in text
    assert "signed by Eli" in text
    assert f"\n  {optimised.result['line']}\n" in text
    assert "bc-lr 1.0.0.1 (binary), model model/model.onnx" in text
    d = as_json(ok(run(world.ds, "verify", bundle, "--json")))
    assert d["lineage"]["line"] == optimised.result["line"]
    assert d["lineage"]["parent"] == optimised.result["parent"]
    shown = ok(run(world.ds, "inspect", bundle)).stdout
    assert optimised.result["line"] in shown


def test_an_ordinary_bundle_has_no_lineage(world):
    d = as_json(ok(run(world.mle, "verify", world.bundle, "--json")))
    assert "lineage" not in d
    assert "optimised by" not in ok(run(world.mle, "verify", world.bundle)).stdout


def test_text_shows_parity_then_gain(world):
    out = world.path("opt.baton")
    text = ok(run(world.mle, "optimize", world.bundle, "--quantize", "dynamic",
                  "--budget", "0.02", "--out", out)).stdout  # fmt: skip
    assert text.startswith(f"Wrote {out}: bc-lr 1.0.0.1, bc-lr to ONNX, quantised (dynamic)\n")
    assert "Parity (all within tolerance):" in text
    assert "prediction agreement: 169 of 169 rows (100 %; required 100 %)" in text
    assert "(allowed 0.0001)" in text
    assert "Gain, measured here for both models:" in text
    assert "batch  p50 original  p50 optimised  speed" in text
    assert "size: " in text
    assert out.is_file()


def test_a_lossy_conversion_exits_1_naming_the_failed_checks(world, monkeypatch):
    lossy_converter(monkeypatch)
    out = world.path("lossy.baton")
    done = ok(run(world.mle, "optimize", world.bundle, "--budget", "0.02", "--out", out), 1)
    text = done.stdout
    assert text.startswith(
        "PARITY LOST: bc-lr to ONNX does not predict as the original; nothing was signed.\n"
        "failed checks: agreement, max_probability_difference, accuracy"
    )
    assert "NO" in text
    assert not out.exists()
    d = as_json(ok(run(world.mle, "optimize", world.bundle, "--budget", "0.02", "--out", out,
                       "--json"), 1))  # fmt: skip
    assert d["written"] is False and d["file"] is None and not d["parity"]["passed"]


def test_usage_and_trust_errors(world, optimised):
    bad = ok(run(world.mle, "optimize", world.bundle, "--out", world.path("x.zip"), "--json"), 2)
    assert error_line(bad) == "Error: --out must end in .baton (and not .review.baton)"
    bad = ok(run(world.mle, "optimize", world.bundle, "--to", "tflite", "--out", "x.baton"), 2)
    assert "'tflite' is not 'onnx'" in bad.stderr
    untrusted = ok(run(world.stranger, "optimize", world.bundle, "--out", world.path("x.baton"),
                       "--json"), 3)  # fmt: skip
    assert "is intact but" in error_line(untrusted)
    onnx = copy_of(optimised, world)
    already = ok(run(world.ds, "optimize", onnx, "--out", world.path("y.baton"), "--json"), 2)
    assert error_line(already) == (
        "Error: bc-lr is already ONNX; nothing to convert (pass --quantize dynamic to quantise it)"
    )
