"""What a person must be able to read on the evaluation charts: every class of a large
confusion matrix, and data the regression charts' labels must not hide."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from baton.gui.common import charts

CLASSES = [
    "barn owl",
    "blackbird",
    "blue tit",
    "chaffinch",
    "goldfinch",
    "great tit",
    "house sparrow",
    "jackdaw",
    "magpie",
    "robin",
    "starling",
    "wood pigeon",
]


def _drawn_texts(axis) -> list[tuple[str, object]]:
    """The tick texts an axis draws, with their rectangles (as its paint would)."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(text, rect) for rect, _flags, text in texts]


def _matrix(k: int) -> list[list[int]]:
    return [[20 if i == j else (i + j) % 3 for j in range(k)] for i in range(k)]


DIGITS = [f"d{i}" for i in range(12)]


def _shown(qtbot, width: int, labels=CLASSES, height: int = 520):
    chart = charts.ConfusionMatrixChart()
    qtbot.addWidget(chart)
    chart.resize(width, height)
    chart.show()
    chart.set_data({"labels": labels, "matrix": _matrix(len(labels))})
    for _ in range(5):
        QApplication.processEvents()
    return chart


def test_every_class_of_a_twelve_class_matrix_is_named(qtbot):
    # short names fit under their columns; long ones number the columns after the rows
    for width, names, numbered in ((900, DIGITS, False), (520, CLASSES, True)):
        chart = _shown(qtbot, width, names)
        plot = chart.view.getPlotItem()
        rows = _drawn_texts(plot.getAxis("left"))
        columns = _drawn_texts(plot.getAxis("bottom"))
        row_texts = [t for t, _ in rows]
        assert len(rows) == len(names), row_texts
        for name, text in zip(names, row_texts, strict=True):
            assert name in text  # every true class named on its row
        for (_, a), (_, b) in zip(rows, rows[1:], strict=False):
            assert a.bottom() <= b.top() + 1, "row names overlap"
        column_texts = [t for t, _ in columns]
        if not numbered:
            assert column_texts == names
        else:  # numbered columns, and each row says its number
            assert column_texts == [str(i + 1) for i in range(len(names))]
            assert row_texts == [f"{i + 1}  {name}" for i, name in enumerate(names)]
            assert "numbered as the rows" in plot.getAxis("bottom").labelText
        for (_, a), (_, b) in zip(columns, columns[1:], strict=False):
            assert a.right() <= b.left() + 1, f"column names overlap at width {width}"


def test_hovering_a_cell_names_its_true_and_predicted_class(qtbot):
    chart = _shown(qtbot, 700)
    vb = chart.view.getPlotItem().vb
    pos = vb.mapViewToScene(QPointF(4.5, 9.5))  # column 5, row 10
    chart._hovered(pos)
    assert chart.view.toolTip() == "True robin, predicted goldfinch: 1 rows (3.1% of robin)"
    chart._hovered(vb.mapViewToScene(QPointF(-3.0, 2.5)))  # outside the matrix
    assert chart.view.toolTip() == ""


def _covered_points(chart, x, y) -> list[int]:
    """Indices of the points (data coordinates) under any text drawn on the plot."""
    import pyqtgraph as pg

    plot = chart.view.getPlotItem()
    texts = [i for i in plot.items if isinstance(i, pg.TextItem)]
    covered = []
    for n, (px, py) in enumerate(zip(x, y, strict=True)):
        scene = plot.vb.mapViewToScene(QPointF(px, py))
        if any(t.sceneBoundingRect().contains(scene) for t in texts):
            covered.append(n)
    return covered


def test_the_largest_error_is_named_where_it_hides_no_point(qtbot):
    import numpy as np

    rng = np.random.default_rng(0)
    predicted = rng.uniform(50, 300, 400)
    residual = rng.normal(0, 40, 400)
    worst = int(np.argmax(np.abs(residual)))
    # a crowd of rows right beside the worst one, where a label beside it would go
    predicted[:60] = predicted[worst] + rng.uniform(-25, 25, 60)
    residual[:60] = residual[worst] * rng.uniform(0.6, 0.95, 60)
    max_error = {
        "predicted": float(predicted[worst]),
        "actual": float(predicted[worst] + residual[worst]),
        "value": float(abs(residual[worst])),
        "row": worst,
    }
    data = {"predicted": predicted.tolist(), "residual": residual.tolist()}
    for chart_class, x, y in (
        (charts.ResidualChart, predicted, residual),
        (charts.PredictedActualChart, predicted + residual, predicted),
    ):
        chart = chart_class()
        qtbot.addWidget(chart)
        chart.resize(640, 480)
        chart.show()
        chart.set_data(data, max_error)
        for _ in range(5):
            QApplication.processEvents()
        named = [e for e in chart.legend.entries() if e.startswith("largest error ")]
        assert len(named) == 1, chart.legend.entries()
        assert chart.legend.isVisible()
        assert _covered_points(chart, x, y) == []
