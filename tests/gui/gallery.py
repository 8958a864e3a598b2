"""Every page of both desks, in light and dark: pictures for a person to look at, and a
check that no text is clipped and no widget overlaps another.

    python tests/gui/gallery.py OUT_DIR

builds a handover in a temporary folder (the test session's world: the demo's round trip of
a data scientist and an engineer, a signed bundle, a reproduction, an accepted receipt, and
a second version of the bundle to compare with the first), opens a window on each
desk offscreen and writes one PNG per page and theme to ``OUT_DIR``, with ``problems.txt``
listing what :func:`problems` found. ``tests/gui/test_gallery.py`` runs the same walk and
fails on any problem.

What counts as a problem, on every visible widget of a page:

- a label whose text does not fit: wider than the label on one line (unless it is
  elided and its tooltip holds the whole text), or taller than the label when wrapped;
- a button whose text and icon do not fit its width;
- two visible widgets of one parent whose rectangles overlap (scroll bars, the size grip
  and widgets stacked on purpose aside);
- a scroll area whose content is wider than its viewport without a scroll bar to reach
  the rest;
- a table cell whose text is cut short with no way to read the rest (no tooltip of its
  own, in a table that does not show an elided cell's text when hovered).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QScrollBar,
    QSizeGrip,
    QStackedWidget,
    QTableWidget,
    QWidget,
)

THEMES = ("light", "dark")
SIZE = (1400, 900)


# --- the check ------------------------------------------------------------------------------


def _name(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, QLabel | QAbstractButton):
        text = " " + repr(widget.text()[:50])
    return (
        f"{type(widget).__name__}{'#' + widget.objectName() if widget.objectName() else ''}{text}"
    )


def _shown_text(text: str) -> str:
    """A label's or button's text as drawn: a mnemonic's '&' is not."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _label_problem(label: QLabel) -> str | None:
    text = label.text()
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    if label.buddy() is not None:
        text = _shown_text(text)
    rect = label.contentsRect()
    if rect.width() <= 0:
        return f"{_name(label)} has no width"
    if label.wordWrap():
        needed = label.heightForWidth(label.width())  # padding and margins included
        if needed > label.height() + 2:
            return f"{_name(label)} needs {needed} px of height, has {label.height()}"
        return None
    metrics = label.fontMetrics()
    widest = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
    if widest > rect.width() + 2:
        tooltip = label.toolTip()
        if tooltip and text.rstrip("…") in tooltip:
            return None  # elided on purpose, the whole text in its tooltip
        return f"{_name(label)} needs {widest} px, has {rect.width()}"
    return None


def _button_problem(button: QAbstractButton) -> str | None:
    text = _shown_text(button.text())
    if not text:
        return None
    needed = button.fontMetrics().horizontalAdvance(text)
    if not button.icon().isNull():
        needed += button.iconSize().width() + 4
    if needed > button.contentsRect().width():
        return f"{_name(button)} needs {needed} px, has {button.contentsRect().width()}"
    return None


def _field_problem(field: QLineEdit) -> str | None:
    """A read-only field (a hash) scrolled short of its end looks cut off."""
    from baton.gui.common.widgets import hash_field_fits

    if not field.isReadOnly() or not field.text() or hash_field_fits(field):
        return None
    return f"{_name(field)} {field.text()[:24]!r}… is cut off at {field.width()} px"


def _overlaps(parent: QWidget) -> list[str]:
    if isinstance(parent, QStackedWidget | QAbstractScrollArea):
        return []  # stacked pages, and a viewport with its bars, overlap by design
    children = [
        c
        for c in parent.children()
        if isinstance(c, QWidget)
        and c.isVisible()
        and not c.isWindow()
        and not isinstance(c, QScrollBar | QSizeGrip)
    ]
    found = []
    for i, a in enumerate(children):
        for b in children[i + 1 :]:
            overlap = a.geometry().intersected(b.geometry())
            if overlap.width() > 1 and overlap.height() > 1:
                found.append(
                    f"{_name(a)} overlaps {_name(b)} by {overlap.width()}x{overlap.height()}"
                )
    return found


def _cut_off(area: QAbstractScrollArea) -> str | None:
    """A scroll area whose content is wider than its viewport with no bar to reach the
    rest: whatever sits at the right is cut off."""
    from PySide6.QtWidgets import QScrollArea

    if not isinstance(area, QScrollArea) or area.widget() is None:
        return None
    bar = area.horizontalScrollBar()
    wide, room = area.widget().width(), area.viewport().width()
    if wide > room + 2 and not (bar.isVisible() and bar.maximum() > 0):
        return f"{_name(area)} content {wide} px wide in {room} px, no scroll bar"
    return None


def _cut_cells(table: QTableWidget) -> list[str]:
    from baton.gui.common.tables import cell_fits

    if getattr(table, "tips_elided_cells", False):
        return []
    found = []
    for r in range(table.rowCount()):
        for c in range(table.columnCount()):
            item = table.item(r, c)
            if table.isColumnHidden(c) or item is None or item.toolTip():
                continue
            if not cell_fits(table, r, c):
                found.append(f"{_name(table)} cell {item.text()[:40]!r} is cut short")
    return found


def problems(root: QWidget) -> list[str]:
    """What a person would see as broken on ``root``: clipped text and overlapping widgets."""
    found: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel):
            found.append(_label_problem(widget) or "")
        elif isinstance(widget, QAbstractButton):
            found.append(_button_problem(widget) or "")
        elif isinstance(widget, QLineEdit):
            found.append(_field_problem(widget) or "")
        elif isinstance(widget, QAbstractScrollArea):
            found.append(_cut_off(widget) or "")
            if isinstance(widget, QTableWidget):
                found.extend(_cut_cells(widget))
        found.extend(_overlaps(widget))
    return [p for p in found if p]


# --- the walk -------------------------------------------------------------------------------


def settle(app: QApplication, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()


def wait_until(done: Callable[[], bool], seconds: float = 60) -> None:
    """Process events until ``done()`` (work on a worker or in a child process), at most
    ``seconds``; the page is shown as it is then, unfinished work and all."""
    app = QApplication.instance()
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        settle(app, 1)
        time.sleep(0.05)
    settle(app)


Page = tuple[str, Callable[[], QWidget]]


def scientist_pages(window: QMainWindow, receipt: Path | None = None) -> Iterator[Page]:
    """The data scientist's desk: home, a model's four tabs, a dataset, the keys and the
    receipt that came back."""
    yield "ds-home", lambda: (window.show_home(), window)[1]
    models = window.listed_items("models")
    datasets = window.listed_items("datasets")
    if models:
        for tab in ("overview", "evaluation", "profiling", "contract"):

            def model_tab(tab: str = tab) -> QWidget:
                window.select_item("models", models[-1])
                page = window.model_page
                page.tabs.setCurrentWidget(getattr(page, tab))
                return window

            yield f"ds-model-{tab}", model_tab
    if datasets:
        yield "ds-dataset", lambda: (window.select_item("datasets", datasets[0]), window)[1]
    yield "ds-keys", lambda: (window.show_keys(), window)[1]
    if receipt is not None:

        def receipt_page() -> QWidget:
            page = window.open_document(receipt)
            for _ in range(600):  # the receipt is verified on a worker
                settle(QApplication.instance(), 1)
                if getattr(page, "state", "") != "verifying":
                    break
                time.sleep(0.1)
            return window

        yield "ds-receipt", receipt_page


def scientist_dialogs(window: QMainWindow, inputs: Path) -> Iterator[Page]:
    """The data scientist's dialogs, filled in: importing a dataset and a model from the
    files in ``inputs``, and exporting a freshly drafted contract."""

    def import_dialog(name: str) -> QWidget:
        window.open_path(inputs / name)
        settle(QApplication.instance())
        return window.import_dialog

    yield "ds-import-dataset", lambda: import_dialog("breast_cancer_test.csv")
    yield "ds-import-model", lambda: import_dialog("breast_cancer_lr.skops")

    def export_dialog() -> QWidget:
        models = window.listed_items("models")
        window.select_item("models", models[-1])
        page = window.model_page
        page.tabs.setCurrentWidget(page.contract)
        contract = page.contract
        if not contract.has_draft():
            dialog = contract.open_new_draft_dialog()
            settle(QApplication.instance())
            dialog.accept()
            wait_until(contract.has_draft)
        return window.export_bundle()

    yield "ds-export", export_dialog


def engineer_pages(window: QMainWindow, bundle: Path, app: QApplication) -> Iterator[Page]:
    """The engineer's desk: home, then each tab of a received bundle's page."""
    yield "mle-home", lambda: (window.show_home(), window)[1]
    state: dict[str, QWidget] = {}

    def bundle_tab(index: int) -> QWidget:
        if "page" not in state:
            state["page"] = window.open_document(bundle)
            for _ in range(600):  # verification runs on a worker: up to a minute
                settle(app, 1)
                if getattr(state["page"], "state", "") != "verifying":
                    break
                time.sleep(0.1)
        page = state["page"]
        page.tabs.setCurrentIndex(index)
        return window

    yield "mle-bundle-0", lambda: bundle_tab(0)
    for i in range(1, 6):
        yield f"mle-bundle-{i}", lambda i=i: bundle_tab(i)


def engineer_results(
    window: QMainWindow, bundle: Path, newer: Path, batch: Path, scratch: Path
) -> Iterator[Page]:
    """The engineer's pages once there is something on them: the Drift tab with ``batch``
    checked, the Optimise tab with the model optimised (into ``scratch``), and the compare
    page of ``bundle`` and its ``newer`` version, tab by tab."""
    state: dict[str, QWidget] = {}

    def drift() -> QWidget:
        page = window.open_document(bundle)
        wait_until(lambda: getattr(page, "state", "") != "verifying")
        view = page.drift_view
        page.tabs.setCurrentIndex(page.tabs.count() - 1)
        done: list[object] = []
        view.checked.connect(done.append)
        view.check_failed.connect(done.append)
        view.check(batch)
        wait_until(lambda: bool(done), 120)
        return window

    yield "mle-drift", drift

    def optimised() -> QWidget:
        from tests.gui.world import PASSPHRASE

        page = window.open_document(bundle)
        wait_until(lambda: getattr(page, "state", "") != "verifying")
        page.show_optimize()
        view = page.optimize_view
        scratch.mkdir(parents=True, exist_ok=True)
        view.out.setText(str(scratch / "optimised.baton"))
        view.passphrase.setText(PASSPHRASE)
        done: list[object] = []
        page.optimized.connect(done.append)
        page.optimize_failed.connect(done.append)
        view.start_button.click()
        wait_until(lambda: bool(done), 240)
        return window

    yield "mle-optimise", optimised

    def compare_tab(index: int) -> QWidget:
        if "page" not in state:
            page = state["page"] = window.compare_bundles(bundle, newer)
            done: list[str] = []
            page.compared.connect(done.append)
            wait_until(lambda: bool(done), 120)
        page = state["page"]
        window.documents.setCurrentWidget(page)
        page.tabs.setCurrentIndex(index)
        return window

    yield "mle-compare-0", lambda: compare_tab(0)
    for i in range(1, 5):
        yield f"mle-compare-{i}", lambda i=i: compare_tab(i)


def shoot(
    app: QApplication, pages: Iterator[Page], out: Path | None, mode: str
) -> dict[str, list[str]]:
    """Show each page in theme ``mode``; its problems by name (and a PNG if ``out``)."""
    from baton.gui.common import theme

    theme.manager(app).apply(mode)
    found: dict[str, list[str]] = {}
    for name, show in pages:
        widget = show()
        settle(app)
        found[f"{name}-{mode}"] = problems(widget)
        if out is not None:
            widget.grab().save(str(out / f"{name}-{mode}.png"))
        if widget.isWindow() and not isinstance(widget, QMainWindow):
            widget.close()  # a dialog: out of the way of the next page
    return found


def walk(
    app: QApplication, ds: QMainWindow, mle: QMainWindow, world, out: Path | None, mode: str
) -> dict[str, list[str]]:
    """Every page of both desks in theme ``mode``: the data scientist's in ``ds``, the
    engineer's in ``mle``, on a :class:`tests.gui.world.World`."""
    inputs = world.root / "inputs"
    found = shoot(app, scientist_pages(ds, world.receipt), out, mode)
    found.update(shoot(app, scientist_dialogs(ds, inputs), out, mode))
    found.update(shoot(app, engineer_pages(mle, world.bundle, app), out, mode))
    batch = world.root / "week-shifted.parquet"
    scratch = Path(tempfile.mkdtemp(prefix="baton-gallery-"))
    try:
        results = engineer_results(mle, world.bundle, world.bundle_v2, batch, scratch)
        found.update(shoot(app, results, out, mode))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return found


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script
    from baton.gui.shell.main_window import MainWindow
    from tests.gui.world import build_world

    if len(argv) != 1:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="baton-gallery-") as tmp:
        print("Building a handover (about half a minute)…", flush=True)
        world = build_world(Path(tmp))
        found: dict[str, list[str]] = {}
        for mode in THEMES:
            windows = []
            for home in ("scientist", "engineer"):
                window = MainWindow(home=Path(tmp) / home)
                window.resize(*SIZE)
                window.show()
                windows.append(window)
            settle(app)
            found.update(walk(app, *windows, world, out, mode))
            for window in windows:
                window.close()
    lines = [f"{name}: {p}" for name, ps in found.items() for p in ps]
    (out / "problems.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(found)} pictures in {out}; {len(lines)} problems (problems.txt)")
    for line in lines[:40]:
        print("  " + line)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
