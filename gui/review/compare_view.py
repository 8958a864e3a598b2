"""Two versions of one model side by side, from :func:`baton.core.handover.bundle.diff`.

:class:`ComparePage` verifies both bundles on a worker (``desk.compare``;
untrusted signers are allowed, as for ``baton diff``) and shows: the two versions'
headers, the targets of each contract side by side with what changed, every measured
figure that moved with its delta coloured by direction (core's ``better``: green better,
red worse), each metric's paired difference on the same test rows with its interval and
verdict (when both were measured on one test set), every contract field change, and the
changed files. A bundle that fails
verification, or two bundles of different models, end in a red banner with core's
message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from baton.core.errors import BatonError
from baton.core.present import (
    MB,
    counted,
    fmt_count,
    fmt_duration,
    fmt_rate,
    fmt_ratio,
    fmt_size,
    fmt_target_value,
    fmt_when,
    half_width,
    target_label,
)
from baton.gui.common import theme
from baton.gui.common.review_worker import Job, compare_job
from baton.gui.common.signed import SignedDocumentPage
from baton.gui.common.tables import ReadOnlyTable, pair, scroll_page
from baton.gui.common.verdicts import (
    VERDICT_TEXT,
    change_kind,
    direction_text,
    fmt_delta,
    fmt_threshold,
    fmt_value,
    is_setting,
    target_expr,
    target_key,
)
from baton.gui.common.widgets import KeyValueGrid, card, muted_label, title_label
from baton.gui.common.workers import TaskRunner

TARGET_PREFIX = "targets["
PAIRED_HEADERS = (
    "Metric",
    "Old",
    "New",
    "Difference",
    "95 % interval",
    "McNemar p",
    "Verdict",
)
PAIRED_KIND = {"better": "ok", "worse": "error"}


class ComparePage(SignedDocumentPage):
    """Two bundles of the same model compared; see the module docstring.

    Signals: ``compared(state)`` with ``compared``, ``refused`` or ``cancelled``.
    """

    compared = Signal(str)

    def __init__(
        self,
        home: str | Path,
        old: str | Path,
        new: str | Path,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(home, f"{Path(old).name} → {Path(new).name}", parent, runner=runner)
        self.old_path, self.new_path = Path(old), Path(new)
        self.state = "comparing"
        self.result: Any = None  # the desk's Comparison once compared
        layout = self.layout_
        self.summary = muted_label()
        layout.addWidget(self.summary)
        self.old_card, self.new_card = KeyValueGrid(), KeyValueGrid()
        self.old_title = title_label("", "SectionTitle")
        self.new_title = title_label("", "SectionTitle")
        self.headers = pair(
            card(self.old_title, self.old_card), card(self.new_title, self.new_card)
        )
        layout.addWidget(self.headers)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.targets = ReadOnlyTable(
            (
                "Target",
                "Old agreed",
                "Old claimed",
                "Old verdict",
                "New agreed",
                "New claimed",
                "New verdict",
                "What changed",
            ),
            numeric=(2, 5),
        )
        self.measurements = ReadOnlyTable(
            ("Measured figure", "Old", "New", "Change", "Direction"), numeric=(1, 2, 3)
        )
        self.changes = ReadOnlyTable(
            ("Contract field", "Change", "Old", "New", "Change by"), numeric=(4,)
        )
        self.paired = ReadOnlyTable(PAIRED_HEADERS, numeric=(1, 2, 3, 4, 5))
        self.paired_note = muted_label()
        self.files = ReadOnlyTable(("File", "Change"))
        self.no_files = muted_label("No file differs: the two bundles carry the same files.")
        for widget, name, icon in (
            (card(self.targets, title="Targets, old and new"), "Targets", "contract"),
            (
                card(
                    self.measurements, title="Measured figures that moved (green better, red worse)"
                ),
                "Metrics",
                "evaluate",
            ),
            (
                card(
                    self.paired_note,
                    self.paired,
                    title="Differences on the same test rows (new minus old)",
                ),
                "Differences",
                "evaluate",
            ),
            (
                card(self.changes, title="Every contract field that changed"),
                "Contract changes",
                "handover",
            ),
            (card(self.files, self.no_files, title="Signed files that differ"), "Files", "dataset"),
        ):
            body = QWidget()
            bl = QVBoxLayout(body)
            bl.setContentsMargins(8, 10, 8, 8)
            bl.addWidget(widget)
            bl.addStretch(1)
            self.tabs.addTab(scroll_page(body), theme.icon(icon), name)
        layout.addWidget(self.tabs, 1)
        self.headers.hide()
        self.tabs.hide()
        self.compare()

    # -- verifying and comparing

    def compare(self) -> None:
        self.verify()

    def verify(self) -> None:
        super().verify()
        self.state = "comparing"

    def cancel(self) -> None:
        self.cancel_verification()

    def verify_job(self) -> Job:
        return compare_job(self.old_path, self.new_path)

    def busy_headline(self) -> str:
        return f"Verifying and comparing {self.old_path.name} and {self.new_path.name}…"

    def task_title(self) -> str:
        return f"Comparing {self.old_path.name} and {self.new_path.name}"

    def file_line(self) -> str:
        return ""

    def cancelled_headline(self) -> str:
        return "The comparison was cancelled."

    def finish(self, state: str) -> None:
        self.compared.emit(state)

    def refused_file_line(self) -> str:
        return f"Files: {self.old_path} and {self.new_path}"  # either may be the one refused

    def show_refused(self, error: BatonError) -> None:
        self.result = None
        self.headers.hide()
        self.tabs.hide()

    def show_document(self, comparison: Any) -> None:
        self.result = comparison
        self.state = "compared"
        diff, old, new = comparison.diff, comparison.old, comparison.new
        self.title.setText(
            f"{diff['name']}: version {diff['old']['version']} → {diff['new']['version']}"
        )
        untrusted = [s for s in (old, new) if not s["trusted"]]
        if untrusted:
            self.banner.show_state(
                "warning",
                "Both bundles are intact, but "
                + " and ".join(f"version {s['version']}" for s in untrusted)
                + (" is" if len(untrusted) == 1 else " are")
                + " signed by a key you do not trust",
                "Compare the signer's fingerprint before relying on it: "
                + "; ".join(s["signer"] for s in untrusted),
            )
        else:
            self.banner.show_state(
                "ok",
                f"Both bundles verified: version {old['version']} signed by {old.get('signer_name')}, "
                f"version {new['version']} signed by {new.get('signer_name')}",
            )
        for title, grid, s in (
            (self.old_title, self.old_card, old),
            (self.new_title, self.new_card, new),
        ):
            self._fill_header(title, grid, s)
        self._fill(diff, old["contract"], new["contract"])
        self.headers.show()
        self.tabs.show()

    def _fill_header(self, title, grid: KeyValueGrid, s: Mapping[str, Any]) -> None:
        c = s["contract"]
        title.setText(f"Version {s['version']}")
        grid.set_rows(
            [
                ("Created", fmt_when(c["identity"].get("created"))),
                ("Signed by", f"{s.get('signer_name') or 'an untrusted key'} ({s['signer']})"),
                ("Model", c["model"].get("estimator") or c["model"].get("format")),
                ("Parameters", fmt_count(c["model"].get("params"))),
                (
                    "Targets",
                    ", ".join(target_label(target_key(t)) for t in c.get("targets") or [])
                    or "none",
                ),
            ]
        )

    def _fill(
        self, diff: Mapping[str, Any], old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        changes = diff["changes"]
        # targets: the two contracts' lists matched by core's target key
        by_key_old = {target_key(t): t for t in old.get("targets") or []}
        by_key_new = {target_key(t): t for t in new.get("targets") or []}
        keys = list(by_key_old) + [k for k in by_key_new if k not in by_key_old]
        target_changes: dict[str, list[Mapping[str, Any]]] = {}
        for ch in changes:
            if ch["path"].startswith(TARGET_PREFIX):
                key = ch["path"][len(TARGET_PREFIX) :].split("]", 1)[0]
                target_changes.setdefault(key, []).append(ch)
        rows, kinds = [], []
        for key in keys:
            a, b = by_key_old.get(key), by_key_new.get(key)
            chs = target_changes.get(key, [])
            rows.append(
                (
                    target_label(key),
                    fmt_threshold(a) if a else "—",
                    fmt_target_value(a["metric"], a.get("measured")) if a else "—",
                    VERDICT_TEXT.get(a.get("verdict"), "—") if a else "—",
                    fmt_threshold(b) if b else "—",
                    fmt_target_value(b["metric"], b.get("measured")) if b else "—",
                    VERDICT_TEXT.get(b.get("verdict"), "—") if b else "—",
                    _describe_target_changes(chs, (a or b)["metric"]),
                )
            )
            if any(ch.get("better") is False for ch in chs) or (b and b.get("verdict") == "fail"):
                kinds.append("error")
            elif (
                chs
                and all(ch.get("better") is True for ch in chs if ch.get("better") is not None)
                and any(ch.get("better") for ch in chs)
            ):
                kinds.append("ok")
            elif chs:
                kinds.append("warning")
            else:
                kinds.append(None)
        self.targets.set_rows(rows, kinds=kinds, status_column=7)

        moved = sorted(
            (
                ch
                for ch in changes
                if ch.get("better") is not None and not ch["path"].startswith(TARGET_PREFIX)
            ),
            key=lambda ch: _figure_rank(ch["path"]),
        )
        self.measurements.set_rows(
            [
                (
                    _figure_name(ch["path"]),
                    _fmt_figure(ch["path"], ch.get("old")),
                    _fmt_figure(ch["path"], ch.get("new")),
                    _fmt_figure(ch["path"], ch.get("delta"), signed=True),
                    direction_text(ch),
                )
                for ch in moved
            ],
            kinds=[change_kind(ch) for ch in moved],
            status_column=4,
        )
        self.changes.set_rows(
            [
                (
                    ch["path"],
                    ch["kind"],
                    _fmt_change_value(ch["path"], ch.get("old")),
                    _fmt_change_value(ch["path"], ch.get("new")),
                    fmt_delta(ch.get("delta"), exact=is_setting(ch["path"])),
                )
                for ch in changes
            ],
            kinds=[change_kind(ch) for ch in changes],
            tooltips=[
                f"{ch['path']}\nold: {ch.get('old')}\nnew: {ch.get('new')}" for ch in changes
            ],
        )
        self._fill_paired(diff.get("paired") or {})
        files = diff.get("files") or []
        self.files.set_rows([(f["file"], f["change"]) for f in files])
        self.files.setVisible(bool(files))
        self.no_files.setVisible(not files)
        better = sum(1 for ch in moved if ch.get("better"))
        worse = len(moved) - better
        self.summary.setText(
            f"{counted(len(target_changes), 'target')} changed · "
            f"{counted(better, 'measured figure')} better, {worse:,} worse · "
            f"{counted(len(changes), 'contract field change')} · "
            f"{counted(len(files), 'file')} {'differs' if len(files) == 1 else 'differ'}"
        )

    def _fill_paired(self, paired: Mapping[str, Any]) -> None:
        """Core's paired differences: better green, worse red, not distinguishable plain."""
        found = paired.get("differences") or []
        if paired.get("compared"):
            self.paired_note.setText(
                f"Both versions predicted the same {paired['rows']:,} test rows (matched by "
                f"{paired['matched_by']}). Each difference has a {round(100 * paired['level'])} % "
                "paired bootstrap interval; accuracy also McNemar's exact test. A difference "
                "whose interval covers 0 is not distinguishable from chance."
            )
        else:
            self.paired_note.setText(
                f"Not paired: {paired.get('why') or 'this comparison has no paired figures'}."
            )
        self.paired.set_rows(
            [
                (
                    m["metric"],
                    fmt_ratio(m["a"]),
                    fmt_ratio(m["b"]),
                    fmt_delta(m["difference"], half_width(m["ci_low"], m["ci_high"])),
                    "—"
                    if m["ci_low"] is None
                    else (
                        f"{fmt_delta(m['ci_low'], half_width(m['ci_low'], m['ci_high']))} to "
                        f"{fmt_delta(m['ci_high'], half_width(m['ci_low'], m['ci_high']))}"
                    ),
                    fmt_ratio(m["mcnemar_p"]),
                    m["verdict"],
                )
                for m in found
            ],
            kinds=[PAIRED_KIND.get(m["verdict"]) for m in found],
            status_column=6,
        )
        self.paired.setVisible(bool(found))

    def paired_rows(self) -> list[dict[str, str]]:
        """The differences table as the user reads it (for tests)."""
        return [dict(zip(PAIRED_HEADERS, row, strict=True)) for row in self.paired.cell_texts()]

    def retheme(self) -> None:
        # Row colours come from the palette: redraw them in the new theme.
        if self.state == "compared":
            r = self.result
            self._fill(r.diff, r.old["contract"], r.new["contract"])

    def target_rows(self) -> list[dict[str, str]]:
        """The targets table as the user reads it (for tests and the main window)."""
        return [
            dict(zip(self.targets.headers, row, strict=True)) for row in self.targets.cell_texts()
        ]


def _describe_target_changes(changes: Sequence[Mapping[str, Any]], metric: str) -> str:
    if not changes:
        return "unchanged"
    parts = []
    for ch in changes:
        field = ch["path"].split("]", 1)[1].lstrip(".") or "target"
        if ch["kind"] in ("added", "removed"):
            parts.append(f"{field} {ch['kind']}" if field != "target" else ch["kind"])
            continue
        if field in ("measured", "threshold", "tolerance"):
            exact = field != "measured"  # a threshold is set, not measured
            old, new = (fmt_target_value(metric, ch.get(k), exact=exact) for k in ("old", "new"))
        else:
            old, new = fmt_value(ch.get("old"), 24), fmt_value(ch.get("new"), 24)
        text = f"{field} {old} → {new}"
        if ch.get("better") is not None:
            text += f" ({direction_text(ch)})"
        parts.append(text)
    # A line each: a measured figure and a threshold that both moved read whole side by
    # side in a window of any width, where one long line was elided in the middle.
    return "\n".join(parts)


def _fmt_change_value(path: str, value: Any) -> str:
    """A whole target added or removed reads as its expression, not as JSON."""
    if path.startswith(TARGET_PREFIX) and isinstance(value, Mapping):
        from baton.core.errors import BatonError

        try:
            return target_expr(value)
        except BatonError:  # a malformed entry is still shown, as JSON
            return fmt_value(value)
    return fmt_value(value, exact=is_setting(path))


def _figure_rank(path: str) -> tuple[int, int]:
    """Quality metrics first, then size and memory, then the latency percentiles."""
    if path.startswith("results.metrics."):
        return (0, 0)
    if path.startswith(("model.", "results.memory.")):
        return (1, 0)
    if path.startswith("results.latency["):
        field = path.rsplit(".", 1)[-1]
        order = ("p50_ms", "p95_ms", "p99_ms", "throughput_rps", "p90_ms", "mean_ms")
        return (2, order.index(field) if field in order else len(order))
    return (3, 0)


def _fmt_figure(path: str, value: Any, signed: bool = False) -> str:
    """A measured figure in its unit: ms, rows/s, MB, bytes; else as a number."""
    if value is None:
        return "—"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return fmt_value(value)
    field = path.rsplit(".", 1)[-1]
    sign = "+" if signed and value > 0 else "−" if signed and value < 0 else ""
    magnitude = abs(value) if signed else value
    if field.endswith("_ms"):
        text = fmt_duration(magnitude)
    elif field == "throughput_rps":
        text = fmt_rate(magnitude)
    elif field.endswith("_mb"):
        text = fmt_size(magnitude * MB)
    elif field.endswith("_bytes"):
        text = fmt_size(magnitude)
    elif isinstance(magnitude, int):
        text = fmt_count(magnitude)
    else:
        text = fmt_ratio(magnitude)
    return sign + text


def _figure_name(path: str) -> str:
    """``results.metrics.roc_auc.value`` as ``roc_auc``; ``results.latency[8].p95_ms`` as
    ``p95_ms at batch 8``; other paths as they are."""
    if path.startswith("results.metrics.") and path.endswith(".value"):
        return path[len("results.metrics.") : -len(".value")]
    if path.startswith("results.latency["):
        batch, rest = path[len("results.latency[") :].split("]", 1)
        return f"{rest.lstrip('.')} at batch {batch}"
    if path.startswith("results.memory."):
        return f"memory: {path[len('results.memory.') :]}"
    return path


def open_compare_page(
    home: str | Path, old: str | Path, new: str | Path, parent: QWidget | None = None, **kwargs: Any
) -> ComparePage:
    """A page comparing two bundles of one model (old, new); work starts at once."""
    return ComparePage(home, old, new, parent, **kwargs)
