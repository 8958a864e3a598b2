"""The engineer's optimisation: ``baton optimize``."""

from __future__ import annotations

import sys

import click

from baton.core.cli.base import (
    Context,
    budget_option,
    bundle_out_option,
    emit,
    handle_errors,
    json_option,
    one_line,
    pass_ctx,
    stderr_progress,
    table,
)
from baton.core.present import (
    MB,
    fmt_count,
    fmt_duration,
    fmt_percent,
    fmt_ratio,
    fmt_size,
    fmt_speedup,
    fmt_target_value,
    metric_label,
)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--candidate", help="The candidate to optimise (default: the only or recommended one)."
)
@click.option("--to", "to", type=click.Choice(["onnx"]), default="onnx", show_default=True,
              help="The format to convert to.")  # fmt: skip
@click.option("--quantize", type=click.Choice(["dynamic"]),
              help="Also quantise the weights to 8 bits (onnxruntime's dynamic quantisation).")  # fmt: skip
@click.option("--opset", type=int, help="The ONNX opset to target (default: skl2onnx's latest).")
@budget_option
@bundle_out_option
@json_option
@pass_ctx
@handle_errors
def optimize(obj: Context, file, candidate, to, quantize, opset, budget, out, as_json) -> None:
    """Convert a received bundle's model to ONNX, prove it predicts as the original on the
    bundle's test set, measure the gain, and sign the result as a new bundle.

    A conversion that loses parity is reported (exit 1) and nothing is signed.
    """
    from baton.core.handover.optimize import optimize as run_optimize

    result = run_optimize(
        obj.catalog(),
        file,
        out=out,
        passphrase=obj.passphrase(),
        candidate=candidate,
        to=to,
        quantize=quantize,
        opset=opset,
        budget_s=budget,
        progress=None if as_json else stderr_progress,
    )
    emit(result.as_dict(), as_json, optimize_text)
    if not result.passed:
        sys.exit(1)


def _parity_lines(p: dict) -> list[str]:
    lines = [
        f"prediction agreement: {p['agreeing']:,} of {p['rows']:,} rows ({fmt_percent(p['agreement'])}; "
        f"required {fmt_percent(p['agreement_required'])})"
    ]
    if p.get("max_probability_difference") is not None:
        lines.append(
            f"largest probability difference: {fmt_ratio(p['max_probability_difference'])} "
            f"(allowed {fmt_ratio(p['max_probability_difference_allowed'], exact=True)})"
        )
    if p.get("max_abs_difference") is not None:
        lines.append(
            f"largest value difference: {fmt_ratio(p['max_abs_difference'])} "
            f"(allowed {fmt_ratio(p['value_tolerance'], exact=True)} of each value)"
        )
    rows = [
        {
            "metric": metric_label(m["metric"]),
            "original": fmt_target_value(m["metric"], m["original"]),
            "optimised": fmt_target_value(m["metric"], m["optimised"]),
            "difference": fmt_target_value(m["metric"], m["difference"]),
            "tolerance": fmt_target_value(m["metric"], m["tolerance"], exact=True)
            + (" (target)" if m["tolerance_from"] == "target" else ""),
            "parity": "yes" if m["within"] else "NO",
        }
        for m in p["metrics"]
    ]
    cols = ["metric", "original", "optimised", "difference", "tolerance", "parity"]
    return [*lines, "", table(rows, cols)]


def _mb(value: float | None) -> str:
    """A size the profiler measured in MB."""
    return fmt_size(None if value is None else value * MB)


def _gain_lines(g: dict) -> list[str]:
    lat = [
        {
            "batch": fmt_count(r["batch_size"]),
            "p50 original": fmt_duration(r["original_p50_ms"]),
            "p50 optimised": fmt_duration(r["optimised_p50_ms"]),
            "speed": fmt_speedup(r["speedup"])
            + (" (busy machine)" if r.get("machine_busy") else ""),
        }
        for r in g["latency"]
    ]
    mem, size = g["memory"], g["size_bytes"]

    def footprint(m: dict) -> float | None:
        a, b = m.get("rss_delta_after_load_mb"), m.get("peak_predict_mb")
        return None if a is None or b is None else a + b

    targets = [
        {
            "target": t["expr"],
            "original": fmt_target_value(t["metric"], t["original"]),
            "optimised": fmt_target_value(t["metric"], t["optimised"]),
            "verdict": t["verdict"] if t["verdict"] == "pass" else t["verdict"].upper(),
        }
        for t in g["targets"]
    ]
    return [
        table(lat, ["batch", "p50 original", "p50 optimised", "speed"]),
        "",
        f"memory (loaded + peak while predicting): {_mb(footprint(mem['original']))} -> "
        f"{_mb(footprint(mem['optimised']))}",
        f"size: {fmt_size(size['original'])} -> {fmt_size(size['optimised'])}",
        "",
        table(targets, ["target", "original", "optimised", "verdict"])
        or "(no latency, memory or size targets were agreed)",
    ]


def optimize_text(d: dict) -> str:
    p = d["parity"]
    op = d["operation"]
    what = f"{one_line(d['candidate'])} to {op['to'].upper()}" + (
        f", quantised ({op['quantize']})" if op.get("quantize") else ""
    )
    if not p["passed"]:
        return "\n".join(
            [
                f"PARITY LOST: {what} does not predict as the original; nothing was signed.",
                f"failed checks: {', '.join(p['failed'])}",
                "",
                *_parity_lines(p),
            ]
        )
    return "\n".join(
        [
            f"Wrote {one_line(d['file'])}: {one_line(d['name'])} {one_line(d['version'])}, {what}",
            f"  {one_line(d['line'])}",
            f"  root digest {d['root_digest']}",
            "",
            "Parity (all within tolerance):",
            *_parity_lines(p),
            "",
            "Gain, measured here for both models:",
            *_gain_lines(d["gain"]),
        ]
    )
