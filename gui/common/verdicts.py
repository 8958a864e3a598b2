"""How a handover's decisions, verdicts, targets and changes read on screen: one wording for
every page that shows them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QColor

from baton.core.present import fmt_bytes, fmt_mb, fmt_ms, fmt_number
from baton.gui.common import theme

# A failure must stand out in either theme: the same strong red everywhere.
FAIL_BG, FAIL_FG = "#c62828", "#ffffff"

DECISION_TEXT = {
    "accept": "Accept",
    "changes": "Request changes",
    "reject": "Reject",
}


DECISION_HELP = {
    "accept": "The model may go to production as handed over.",
    "changes": "The data scientist should change something and send a new version.",
    "reject": "The model is not fit for the intended use.",
}


VERDICT_TEXT = {"pass": "PASS", "fail": "FAIL", "unmeasured": "NOT MEASURED"}


VERDICT_KIND = {"pass": "ok", "fail": "error", "unmeasured": "warning"}


def fmt_target_value(metric: str, value: Any) -> str:
    """A target's figure in its unit (latency in ms, memory in MB, throughput in rows/s)."""
    if value is None:
        return "—"
    if metric.endswith("_ms"):
        return fmt_ms(value)
    if metric.endswith("_mb"):
        return fmt_mb(value)
    if metric == "throughput_rps":
        return f"{float(value):,.0f} rows/s"
    if metric == "params":  # a count: 12,345, never 12,345.0000 or 0.0000
        return f"{round(float(value)):,}"
    return fmt_number(value)


def fmt_threshold(target: Mapping[str, Any]) -> str:
    op = {">=": "≥", "<=": "≤", "==": "="}.get(target.get("op", ""), target.get("op", ""))
    text = f"{op} {fmt_target_value(target.get('metric', ''), target.get('threshold'))}"
    if target.get("tolerance"):
        text += f" ± {fmt_target_value(target.get('metric', ''), target['tolerance'])}"
    return text


def target_key(entry: Mapping[str, Any]) -> str:
    """What identifies a contract target (core's ``Target.key``): ``latency_p95_ms@1``."""
    from baton.core.contract.targets import Target

    return Target.from_dict(entry).key


def target_expr(entry: Mapping[str, Any]) -> str:
    from baton.core.contract.targets import Target

    return Target.from_dict(entry).expr()


def kind_colors(kind: str | None) -> tuple[QColor, QColor] | None:
    """Background and text colours for a row kind (ok, error, warning)."""
    c = theme.current_colors()
    pairs = {
        "ok": ("ok_bg", "ok_text"),
        "error": ("err_bg", "err_text"),
        "warning": ("warn_bg", "warn_text"),
    }
    if kind not in pairs:
        return None
    bg, fg = pairs[kind]
    return QColor(c[bg]), QColor(c[fg])


KIND_ICONS = {"ok": "shield-ok", "error": "error", "warning": "warning"}


def model_rows(model: Mapping[str, Any], file_label: str = "File") -> list[tuple[str, Any]]:
    """The rows of a contract's ``model`` section, as the model grids show them."""
    framework = " ".join(str(model[k]) for k in ("framework", "framework_version") if model.get(k))
    classes = model.get("classes")
    return [
        (file_label, model.get("file")),
        ("Format", model.get("format")),
        ("Framework", framework or None),
        ("Estimator", model.get("estimator")),
        ("Parameters", fmt_number(model.get("params"))),
        ("Size", fmt_bytes(model.get("size_bytes"))),
        ("Classes", ", ".join(map(str, classes)) if classes else None),
        ("Opset", model.get("opset")),
        ("SHA-256", model.get("sha256")),
    ]


def verified_headline(summary: Mapping[str, Any]) -> str:
    name = summary.get("signer_name") or "an unnamed key"
    return f"Verified: signed by {name} ({summary['signer']}), {summary['files']} files intact"


def refused_headline(message: str) -> str:
    return f"Refused: {message}"


def fmt_value(value: Any, limit: int = 90) -> str:
    """A contract value for a table cell: numbers formatted, structures as short JSON."""
    if value is None:
        return "—"
    if value == "":
        return "(empty)"
    if isinstance(value, bool | int | float):
        return fmt_number(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_kind(change: Mapping[str, Any]) -> str | None:
    """Row colour of a change: core's ``better`` decides green or red; no direction, none."""
    better = change.get("better")
    if better is True:
        return "ok"
    if better is False:
        return "error"
    return None


def direction_text(change: Mapping[str, Any]) -> str:
    better = change.get("better")
    return "better" if better is True else "worse" if better is False else ""


def fmt_delta(delta: Any) -> str:
    return "" if delta is None else f"{delta:+.4g}"
