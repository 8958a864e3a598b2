"""How a handover's decisions, verdicts, targets and changes read on screen: one wording for
every page that shows them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QColor

from baton.core.present import fmt_count, fmt_difference, fmt_ratio, fmt_size, fmt_target_value
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


def fmt_threshold(target: Mapping[str, Any]) -> str:
    op = {">=": "≥", "<=": "≤", "==": "="}.get(target.get("op", ""), target.get("op", ""))
    metric = target.get("metric", "")
    text = f"{op} {fmt_target_value(metric, target.get('threshold'), exact=True)}"
    if target.get("tolerance"):
        text += f" ± {fmt_target_value(metric, target['tolerance'], exact=True)}"
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
        ("Parameters", fmt_count(model.get("params"))),
        ("Size", fmt_size(model.get("size_bytes"))),
        ("Classes", ", ".join(map(str, classes)) if classes else None),
        ("Opset", model.get("opset")),
        ("SHA-256", model.get("sha256")),
    ]


def verified_headline(summary: Mapping[str, Any]) -> str:
    name = summary.get("signer_name") or "an unnamed key"
    return f"Verified: signed by {name} ({summary['signer']}), {summary['files']} files intact"


def refused_headline(message: str) -> str:
    return f"Refused: {message}"


#: The contract fields a person sets rather than measures: their figures are exact.
SETTING_FIELDS = frozenset({"threshold", "tolerance"})


def is_setting(path: str) -> bool:
    """Whether a contract path (``targets[accuracy].threshold``) names a figure a person set."""
    return path.rsplit(".", 1)[-1] in SETTING_FIELDS


def fmt_value(value: Any, limit: int = 90, exact: bool = False) -> str:
    """A contract value for a table cell: numbers formatted (an ``exact`` one without
    trailing zeros), structures as short JSON."""
    if value is None:
        return "—"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return fmt_count(value)
    if isinstance(value, float):
        return fmt_ratio(value, exact=exact)
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


def fmt_delta(delta: Any, uncertainty: Any = None, exact: bool = False) -> str:
    """A change's signed difference for its column; blank when there is none."""
    return "" if delta is None else fmt_difference(delta, uncertainty, exact)
