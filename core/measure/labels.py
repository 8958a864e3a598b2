"""Labels and predictions as class indices, and the small conversions every metric shares
(one column, safe division, JSON-friendly scalars, a metric's value and interval)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from baton.core.errors import DatasetError, UsageError


def _one_column(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DatasetError(f"{what} must be one column, but have shape {arr.shape}")
    return arr


def label_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    yt = _one_column(y_true, "the labels")
    yp = _one_column(y_pred, "the predictions")
    if len(yp) != len(yt):
        raise DatasetError(f"predictions have {len(yp)} rows but the labels have {len(yt)}")
    if len(yt) == 0:
        raise DatasetError("there is nothing to evaluate: the labels have no rows")
    return yt, yp


def quote_values(values: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(repr(_plain(v)) for v in values[:limit])
    return shown if len(values) <= limit else f"{shown} and {len(values) - limit} more"


def rows_text(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _plain(v: Any) -> Any:
    """A JSON-friendly Python scalar: numpy scalars unwrapped, NaN and inf as None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def as_floats(a: np.ndarray) -> list[float | None]:
    out = np.asarray(a, dtype=np.float64)
    if np.isfinite(out).all():
        return out.tolist()
    return [x if math.isfinite(x) else None for x in out.tolist()]


def safe_div(num: np.ndarray | int, den: np.ndarray | int) -> np.ndarray:
    """``num / den`` with 0 where ``den`` is 0 (scikit-learn's default zero_division)."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=np.float64), np.asarray(den))
    return np.divide(num, den, out=np.zeros(num.shape), where=den != 0)


def metric_entry(
    value: Any, ci: tuple[float | None, float | None] = (None, None)
) -> dict[str, Any]:
    return {"value": _plain(value), "ci_low": ci[0], "ci_high": ci[1]}


def block_sizes(total: int, per_block: int) -> Iterator[int]:
    done = 0
    while done < total:
        size = min(per_block, total - done)
        yield size
        done += size


def encode_labels(
    yt: np.ndarray, yp: np.ndarray, classes: Any, need_index: bool
) -> tuple[list[Any], np.ndarray, np.ndarray | None]:
    """Map labels to class indices and count the k x k confusion matrix in one pass.

    Returns ``(classes, matrix, true_index)``; ``true_index`` only when ``need_index``.
    """
    given = None
    if classes is not None:
        given = np.asarray(classes)
        if given.ndim != 1 or len(given) == 0:
            raise UsageError("classes must be a non-empty list of class labels")
        if len(set(given.tolist())) != len(given):
            raise UsageError(f"classes must be distinct, not {quote_values(given.tolist())}")
    direct = _encode_small_ints(yt, yp, given, need_index)
    if direct is not None:
        return direct
    return _encode_general(yt, yp, given, need_index)


def _check_known(
    true_values: Sequence[Any], pred_values: Sequence[Any], known: set[Any], given: bool
) -> None:
    unknown_pred = [v for v in pred_values if v not in known]
    if unknown_pred:
        where = "among the model's classes" if given else "in the test labels"
        raise DatasetError(f"predictions contain classes not {where}: {quote_values(unknown_pred)}")
    unknown_true = [v for v in true_values if v not in known]
    if unknown_true:
        raise DatasetError(
            f"the test labels contain classes not among the model's classes: {quote_values(unknown_true)}"
        )


def _encode_small_ints(
    yt: np.ndarray, yp: np.ndarray, given: np.ndarray | None, need_index: bool
) -> tuple[list[Any], np.ndarray, np.ndarray | None] | None:
    """Integer labels in a short span: count over the span and read classes off its margins."""
    if yt.dtype.kind not in "iu" or yp.dtype.kind not in "iu":
        return None
    if given is not None and given.dtype.kind not in "iu":
        return None
    ends = [int(yt.min()), int(yt.max()), int(yp.min()), int(yp.max())]
    if given is not None:
        ends += [int(given.min()), int(given.max())]
    lo, hi = min(ends), max(ends)
    span = hi - lo + 1
    if span > _MAX_DIRECT_SPAN or span * span > max(1 << 16, 4 * len(yt)) or abs(lo) > 1 << 52:
        return None
    codes = np.multiply(yt, span, dtype=np.intp, casting="unsafe")
    np.add(codes, yp, out=codes, casting="unsafe")
    if lo:
        codes -= lo * (span + 1)
    joint = np.bincount(codes, minlength=span * span).reshape(span, span)
    del codes
    true_seen = (lo + np.flatnonzero(joint.sum(1))).tolist()
    pred_seen = (lo + np.flatnonzero(joint.sum(0))).tolist()
    values = true_seen if given is None else [int(v) for v in given.tolist()]
    _check_known(true_seen, pred_seen, set(values), given is not None)
    at = np.asarray(values, dtype=np.intp) - lo
    matrix = joint[np.ix_(at, at)]
    index = None
    if need_index:
        lookup = np.full(span, -1, dtype=np.intp)
        lookup[at] = np.arange(len(at))
        index = lookup[np.subtract(yt, lo, dtype=np.intp, casting="unsafe") if lo else yt]
    return values, matrix, index


def _factorize(values: np.ndarray, what: str) -> tuple[np.ndarray, list[Any]]:
    import pandas as pd  # hash-based: O(n) where np.unique would sort the rows

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = int(np.count_nonzero(codes < 0))
    if missing:
        raise DatasetError(f"{what} contain missing values in {rows_text(missing)}")
    return codes, [_plain(v) for v in np.asarray(uniques).tolist()]


def _encode_general(
    yt: np.ndarray, yp: np.ndarray, given: np.ndarray | None, need_index: bool
) -> tuple[list[Any], np.ndarray, np.ndarray | None]:
    true_codes, true_uniques = _factorize(yt, "the labels")
    pred_codes, pred_uniques = _factorize(yp, "the predictions")
    if given is None:
        try:
            values = sorted(true_uniques)
        except TypeError:
            raise DatasetError(
                f"the labels mix numbers and text: {quote_values(true_uniques)}"
            ) from None
    else:
        values = [_plain(v) for v in given.tolist()]
    position = {v: i for i, v in enumerate(values)}
    _check_known(true_uniques, pred_uniques, set(position), given is not None)
    k = len(values)
    true_index = np.array([position[v] for v in true_uniques], dtype=np.intp)[true_codes]
    pred_index = np.array([position[v] for v in pred_uniques], dtype=np.intp)[pred_codes]
    flat = true_index * k
    flat += pred_index
    matrix = np.bincount(flat, minlength=k * k).reshape(k, k)
    return values, matrix, (true_index if need_index else None)


# Integer labels whose span (max - min + 1) is at most this are counted directly.
_MAX_DIRECT_SPAN = 1024
