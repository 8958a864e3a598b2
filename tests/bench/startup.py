"""Benchmark of the desktop's start-up: the usable window (DESIGN.md section 7: GUI start).

    python tests/bench/startup.py [--quick] [--runs N]

Figure: time from launching ``baton gui`` as a process (the command line's entry point,
on an empty temporary home) to the first paint of its window with the catalog listed in
the sidebar: the moment the window is usable. Reference: a bare PySide6 QMainWindow of
the same size launched as a process in the same Python, to its first paint. Each run is a
new process; runs alternate between the two so that machine noise hits both alike, after
one discarded warm-up each. Medians over the runs, with each process's peak resident
memory. Goal: the usable window within 2 x the bare window.

Baton's own first paint (the empty shell, before the catalog is listed) is printed too,
for information, and so is a window of the same kinds of Qt object without Baton (the Qt
namespace, a tree with a delegate, a search field, a splitter, a stack, a style sheet, a
menu of actions), timed in the same rotation: PySide6 creates each class's enums in
Python the first time the class is used, a cost any window made of them pays. Qt runs
offscreen unless a display is configured. Ends with one SUMMARY line; the exit code is 1
when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GOAL_RATIO = 2.0

# The child prints "shown" at its window's first paint and, for Baton, "listed" at the
# first paint of the sidebar after the catalog is listed in it; then it leaves at once
# (os._exit) so that tear-down is not measured. Baton runs through its command line
# (``baton gui``), with one hook on the window class to watch for those two moments.
CHILD = r"""
import os, sys
mode, home = sys.argv[1], sys.argv[2]
command = sys.argv[3] if len(sys.argv) > 3 else "gui"  # or "demo": tests/bench/demo.py
if mode != "bare":
    # As the `baton` script does: the command line first, Qt when the command needs it.
    # (Imported after PySide6, every module would pay PySide6's import hook, which reads
    # each new module's source: a cost `baton gui` does not have.)
    from baton.core.cli.main import cli
from PySide6.QtCore import QEvent, QObject

class FirstPaint(QObject):
    # Watches one widget only: a filter on the whole application would wrap every event
    # of every widget in Python and so tax the window with more widgets.
    def __init__(self, word):
        super().__init__()
        self.word = word
        self.seen = False
    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            print(self.word, flush=True)
            if self.word != "shown":
                os._exit(0)
        return False

shown = FirstPaint("shown")
if mode == "bare":
    from PySide6.QtWidgets import QApplication, QMainWindow
    shown.word = "listed"
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Bare")
    window.resize(1280, 820)
    window.installEventFilter(shown)
    window.show()
    sys.exit(app.exec())
if mode == "widgets":
    # For information: no Baton, only the kinds of Qt object its usable window is made of
    # (the Qt namespace, a tree with a delegate, a search field, a splitter, a stack, a
    # style sheet, a menu of actions with shortcuts), each created once.
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import (
        QAbstractItemView, QApplication, QLabel, QLineEdit, QMainWindow, QSplitter,
        QStackedWidget, QStyledItemDelegate, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
        QWidget,
    )
    app = QApplication([*sys.argv[:1], "-style", "fusion"])
    window = QMainWindow()
    window.setWindowTitle("Widgets")
    window.resize(1280, 820)
    side = QWidget()
    layout = QVBoxLayout(side)
    layout.addWidget(QLineEdit(placeholderText="Search"))
    tree = QTreeWidget()
    tree.setItemDelegate(QStyledItemDelegate(tree))
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    for section in ("Models", "Datasets", "Handovers"):
        QTreeWidgetItem(tree, [section]).setTextAlignment(0, Qt.AlignmentFlag.AlignLeft)
    layout.addWidget(tree)
    pages = QStackedWidget()
    pages.addWidget(QLabel("Home"))
    splitter = QSplitter()
    splitter.addWidget(side)
    splitter.addWidget(pages)
    window.setCentralWidget(splitter)
    app.setStyleSheet("QLineEdit { border: 1px solid #888; border-radius: 4px; padding: 4px }")
    menu = window.menuBar().addMenu("&File")
    for i in range(20):
        action = QAction(f"Action {i}", window)
        action.setShortcut(QKeySequence(f"Ctrl+{i % 10}"))
        menu.addAction(action)
    shown.word = "listed"
    tree.viewport().installEventFilter(shown)
    window.show()
    sys.exit(app.exec())

from baton.gui.shell import main_window
listed = FirstPaint("listed")
init = main_window.MainWindow.__init__

def watched_init(self, *args, **kwargs):
    init(self, *args, **kwargs)  # builds the shell; the first paint comes after
    self.installEventFilter(shown)
    def on_listed():
        viewport = self.sidebar.viewport()
        viewport.installEventFilter(listed)
        viewport.update()
    self.catalog_listed.connect(on_listed)

main_window.MainWindow.__init__ = watched_init
cli(["--home", home, command])
"""


PYCACHE = tempfile.mkdtemp(prefix="baton-startup-pycache-")


def one_run(mode: str) -> tuple[float | None, float, float, float]:
    """Milliseconds to the first paint (Baton only) and to the usable window, the
    process's peak resident memory in MB and the CPU time it used in milliseconds (on a
    busy machine, the part of the wait that was the process's own work)."""
    env = dict(os.environ)
    # An installed app runs from compiled bytecode (pip compiles on install); a source
    # checkout with PYTHONDONTWRITEBYTECODE would recompile Baton on every start. Let the
    # warm-up runs write bytecode to a private cache that the measured runs then use.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("BATON_HOME", None)
    with tempfile.TemporaryDirectory(prefix="baton-startup-") as tmp:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, mode, os.path.join(tmp, "home")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        shown = listed = None
        assert proc.stdout is not None
        for line in proc.stdout:
            now = (time.perf_counter() - start) * 1000
            if line.strip() == "shown":
                shown = now
            elif line.strip() == "listed":
                listed = now
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if listed is None:
        raise SystemExit(f"the {mode} window never became usable (exit code {proc.returncode})")
    return shown, listed, usage.ru_maxrss / 1024, (usage.ru_utime + usage.ru_stime) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each instead of 7")
    parser.add_argument("--runs", type=int, default=None, help="runs per window (default 7)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)

    platform = os.environ.get("QT_QPA_PLATFORM") or (
        "offscreen" if not os.environ.get("DISPLAY") else "default"
    )
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, platform {platform}")
    one_run("bare")  # warm-up: file cache, font cache, bytecode
    one_run("baton")
    one_run("widgets")
    bare, usable, first, bare_mb, baton_mb, bare_cpu, baton_cpu = [], [], [], [], [], [], []
    floor = []
    for i in range(runs):
        _, b, b_mb, b_cpu = one_run("bare")
        floor.append(one_run("widgets")[1])
        s, u, u_mb, u_cpu = one_run("baton")
        bare.append(b)
        usable.append(u)
        bare_mb.append(b_mb)
        baton_mb.append(u_mb)
        bare_cpu.append(b_cpu)
        baton_cpu.append(u_cpu)
        if s is not None:
            first.append(s)
        print(
            f"  run {i + 1}: bare QMainWindow {b:7.1f} ms ({b_mb:.0f} MB, {b_cpu:.0f} ms CPU)   "
            f"baton gui usable {u:7.1f} ms ({u_mb:.0f} MB, {u_cpu:.0f} ms CPU)"
            + (f", first paint {s:.1f} ms" if s is not None else "")
        )
    shutil.rmtree(PYCACHE, ignore_errors=True)
    m_bare, m_usable = statistics.median(bare), statistics.median(usable)
    ratio = m_usable / m_bare
    print(
        f"usable window (catalog listed), median of {runs}: baton gui {m_usable:.1f} ms, "
        f"peak {statistics.median(baton_mb):.0f} MB; bare QMainWindow (reference) "
        f"{m_bare:.1f} ms, peak {statistics.median(bare_mb):.0f} MB -> {ratio:.2f} x"
    )
    print(
        f"CPU time per process, median: baton gui {statistics.median(baton_cpu):.0f} ms "
        f"(to the usable window and a little after), bare {statistics.median(bare_cpu):.0f} ms"
    )
    m_floor = statistics.median(floor)
    print(
        f"for information: a window of the same kinds of Qt object without Baton, median "
        f"{m_floor:.1f} ms = {m_floor / m_bare:.2f} x the bare window (PySide6's own cost "
        "of what any such window creates)"
    )
    if first:
        print(f"Baton's first paint (the shell, before the catalog), median: "
              f"{statistics.median(first):.1f} ms")  # fmt: skip
    ok = ratio <= GOAL_RATIO
    print(
        f"SUMMARY startup: usable window {m_usable:.0f} ms = {ratio:.2f} x a bare window "
        f"{m_bare:.0f} ms (goal <= {GOAL_RATIO:.1f} x) {'PASS' if ok else 'MISS'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
