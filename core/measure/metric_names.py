"""The names of the quality metrics, apart from the code that computes them: a contract
is checked (``baton verify``) without importing numpy."""

from __future__ import annotations

METRIC_NAMES_CLASSIFICATION: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "f1_macro",
    "f1_weighted",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "mcc",
)
METRIC_NAMES_REGRESSION: tuple[str, ...] = ("mae", "rmse", "r2", "mape", "max_error")
PROBLEM_TYPES: tuple[str, ...] = ("binary", "multiclass", "regression")
#: The quality metrics that get better as they get smaller; every other one, larger.
LOWER_IS_BETTER: frozenset[str] = frozenset(("log_loss", "mae", "rmse", "mape", "max_error"))
