"""Benchmark of the desktop's start-up (DESIGN.md section 7: GUI start).

    python tests/bench/startup.py [--quick] [--runs N]

Figure: time from launching a fresh Python process to the first paint of its first
window, for Baton's MainWindow (the way ``baton gui`` starts it, on an empty temporary
home) and, as the reference, a bare QMainWindow of the same size in the same Python.
Each run is a new subprocess; runs alternate between the two so that machine noise hits
both alike, after one discarded warm-up each. Medians over the runs. Goal: Baton's first
window within 1.25 x the bare one.

Baton opens its catalog right after its first paint (the catalog code loads on a helper
thread, see baton.gui.shell.main_window); the time until the catalog is listed is printed
too, for information. Qt runs offscreen unless a display is configured. Ends with one
SUMMARY line.
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

GOAL_RATIO = 1.25

# The child prints "shown" when its first window receives its first paint event, and
# for Baton "listed" once the catalog is open; then it leaves at once (os._exit) so that
# tear-down is not measured.
CHILD = r"""
import os, sys
mode, home = sys.argv[1], sys.argv[2]
from PySide6.QtCore import QEvent, QObject, QTimer

class FirstPaint(QObject):
    # Watches the top-level window only: a filter on the whole application would wrap
    # every event of every widget in Python and so tax the window with more widgets.
    def __init__(self):
        super().__init__()
        self.seen = False
    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            print("shown", flush=True)
            if mode == "bare":
                os._exit(0)
            QTimer.singleShot(0, wait_for_catalog)
        return False

def wait_for_catalog():
    if window.catalog is not None:
        print("listed", flush=True)
        os._exit(0)
    QTimer.singleShot(2, wait_for_catalog)

watcher = FirstPaint()
if mode == "bare":
    from PySide6.QtWidgets import QApplication, QMainWindow
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Bare")
    window.resize(1280, 820)
else:
    from baton.gui.shell.app import make_window  # what `baton gui` runs, minus app.exec()
    app, window = make_window(home)
window.installEventFilter(watcher)
window.show()
app.exec()
"""


PYCACHE = tempfile.mkdtemp(prefix="baton-startup-pycache-")


def one_run(mode: str) -> tuple[float, float | None]:
    """Milliseconds to the first paint (and, for Baton, to the listed catalog)."""
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
        proc.wait(timeout=60)
    if shown is None:
        raise SystemExit(f"the {mode} window never painted (exit code {proc.returncode})")
    return shown, listed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each instead of 5")
    parser.add_argument("--runs", type=int, default=None, help="runs per window (default 5)")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 5)

    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"platform {os.environ.get('QT_QPA_PLATFORM') or ('offscreen' if not os.environ.get('DISPLAY') else 'default')}"
    )
    one_run("bare")  # warm-up: file cache, font cache
    one_run("baton")
    bare, baton, listed = [], [], []
    for i in range(runs):
        b = one_run("bare")[0]
        s, ls = one_run("baton")
        bare.append(b)
        baton.append(s)
        if ls is not None:
            listed.append(ls)
        print(
            f"  run {i + 1}: bare QMainWindow {b:7.1f} ms   Baton MainWindow {s:7.1f} ms"
            + (f"   (catalog listed at {ls:.1f} ms)" if ls is not None else "")
        )
    m_bare, m_baton = statistics.median(bare), statistics.median(baton)
    ratio = m_baton / m_bare
    print(
        f"first window, median of {runs}: Baton {m_baton:.1f} ms vs bare QMainWindow "
        f"{m_bare:.1f} ms (reference) -> {ratio:.2f} x"
    )
    if listed:
        print(f"catalog listed, median: {statistics.median(listed):.1f} ms after launch")
    shutil.rmtree(PYCACHE, ignore_errors=True)
    verdict = "PASS" if ratio <= GOAL_RATIO else "MISS"
    print(
        f"SUMMARY startup: first window {ratio:.2f} x a bare QMainWindow "
        f"(goal <= {GOAL_RATIO:.2f} x) {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
