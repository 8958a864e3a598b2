"""Every page and dialog of both desks, light and dark, with no clipped text and no
overlapping widgets (:mod:`tests.gui.gallery`; run it as a script to look at the pictures)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QWidget

from baton.gui.shell.main_window import MainWindow
from tests.gui import gallery


def test_the_check_sees_clipped_text_and_overlaps(qtbot):
    root = QWidget()
    qtbot.addWidget(root)
    label = QLabel("A sentence far too long for the twenty pixels it is given", root)
    label.setGeometry(0, 0, 20, 20)
    wrapped = QLabel("A wrapped sentence needs lines of its own " * 4, root)
    wrapped.setWordWrap(True)
    wrapped.setGeometry(0, 40, 80, 20)
    button = QPushButton("Export the signed bundle…", root)
    button.setGeometry(0, 100, 40, 24)
    QLabel("under", root).setGeometry(200, 0, 50, 20)
    QLabel("over", root).setGeometry(220, 5, 50, 20)
    elided = QLabel("Too long…", root)
    elided.setToolTip("Too long for its box, so elided with the whole text here")
    elided.setGeometry(300, 0, 20, 20)
    root.resize(400, 200)
    root.show()
    found = gallery.problems(root)
    assert any(p.startswith("QLabel 'A sentence far too long") for p in found)
    assert any(p.startswith("QLabel 'A wrapped sentence") and "height" in p for p in found)
    assert any(p.startswith("QPushButton 'Export the signed bundle…'") for p in found)
    assert any("QLabel 'under' overlaps QLabel 'over'" in p for p in found)
    assert not any("Too long" in p for p in found), found  # elided on purpose

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QScrollArea

    area = QScrollArea()
    qtbot.addWidget(area)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    wide = QWidget()
    wide.setMinimumWidth(900)
    area.setWidget(wide)
    area.resize(300, 200)
    area.show()
    assert any("no scroll bar" in p for p in gallery.problems(area))

    from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

    from baton.gui.common.tables import ReadOnlyTable

    table = QTableWidget(1, 1)
    qtbot.addWidget(table)
    table.setItem(0, 0, QTableWidgetItem("A cell far too long for the column it is given"))
    table.setColumnWidth(0, 60)
    table.resize(200, 100)
    table.show()
    assert any("is cut short" in p for p in gallery.problems(table))
    hovered = ReadOnlyTable(["What changed"], fit_to_rows=False)
    qtbot.addWidget(hovered)
    hovered.set_rows([["A cell far too long for the column it is given"]])
    hovered.horizontalHeader().setStretchLastSection(False)
    hovered.setColumnWidth(0, 60)
    hovered.show()
    assert not any("is cut short" in p for p in gallery.problems(hovered))  # read on hover

    fine = QWidget()
    qtbot.addWidget(fine)
    row = QHBoxLayout(fine)
    row.addWidget(QLabel("Fits"))
    row.addWidget(QPushButton("&Open"))
    fine.show()
    assert gallery.problems(fine) == []


def test_every_page_of_both_desks_in_light_and_dark(world, homes, qtbot):
    app = QApplication.instance()
    found: dict[str, list[str]] = {}
    try:
        for mode in gallery.THEMES:
            ds = MainWindow(home=homes.ds)
            mle = MainWindow(home=homes.mle)
            for window in (ds, mle):
                qtbot.addWidget(window)
                window.resize(*gallery.SIZE)
                window.show()
            found.update(gallery.walk(app, ds, mle, world, None, mode))
            for window in (ds, mle):
                window.close()
    finally:
        from baton.gui.common import theme

        theme.manager(app).apply("light")
    # each page in each theme: the scientist's 8 and 3 dialogs, the engineer's 7, the
    # Drift tab with a batch checked, the Optimise tab with a result, the compare page's 5 tabs
    assert len(found) == 2 * (8 + 3 + 7 + 1 + 1 + 5)
    assert {name: p for name, p in found.items() if p} == {}
