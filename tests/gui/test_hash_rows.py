"""A hash in a key-value grid is shown whole: beside its name when the grid is wide enough,
under it when not, and never cut off at the edge of a field."""

from __future__ import annotations

from baton.gui.common.widgets import KeyValueGrid, hash_field_fits

DIGEST = "abf1b583bcde07b9cb48098a3a67b880156a58b77387257533481777504596d1"


def _grid(qtbot, width: int) -> KeyValueGrid:
    grid = KeyValueGrid()
    qtbot.addWidget(grid)
    grid.set_rows(
        [("Bundle", "breast-cancer-lr 1"), ("Root digest", DIGEST)], mono=("Root digest",)
    )
    grid.resize(width, 200)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def test_a_digest_sits_beside_its_name_when_the_grid_is_wide(qtbot):
    grid = _grid(qtbot, 900)
    field = grid._values["Root digest"]
    label = grid.name_label("Root digest")
    assert hash_field_fits(field)
    assert abs(label.geometry().center().y() - field.geometry().center().y()) <= 2
    assert field.x() > label.geometry().right()
    assert grid.value("Root digest") == DIGEST  # copies exactly


def test_a_digest_goes_under_its_name_rather_than_being_cut_off(qtbot):
    probe = _grid(qtbot, 900)
    needed = probe._values["Root digest"].width()  # room enough beside the name at 900 px
    grid = _grid(qtbot, 480)
    field = grid._values["Root digest"]
    label = grid.name_label("Root digest")
    assert hash_field_fits(field), f"cut off: {field.width()} px wide, {needed} px beside"
    assert field.y() > label.geometry().bottom()  # under its name
    grid.resize(900, 200)  # wide again: back beside its name
    qtbot.waitUntil(lambda: field.y() <= label.geometry().bottom())
    assert hash_field_fits(field)
