"""``baton gui`` and ``baton demo`` check for a display and Qt's X11 libraries first, and
stop at once with the packages to install, instead of Qt aborting after the demo build."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from baton.core.cli import display
from baton.core.cli.main import cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


@pytest.fixture
def fake_ldd(tmp_path, monkeypatch):
    """An ``ldd`` on PATH that reports two of the xcb plugin's libraries missing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ldd"
    script.write_text(
        "#!/bin/sh\n"
        "echo '\tlibQt6XcbQpa.so.6 => /opt/qt/libQt6XcbQpa.so.6 (0x0001)'\n"
        "echo '\tlibxcb-cursor.so.0 => not found'\n"
        "echo '\tlibxkbcommon-x11.so.0 => not found'\n"
        "echo '\tlibxcb-cursor.so.0 => not found'\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return script


def test_no_display_is_said_plainly():
    problem = display.check({"HOME": "/tmp"})
    assert problem is not None
    assert problem.message().splitlines() == [
        "No display: DISPLAY is not set, so there is no screen to open the window on. "
        "Run Baton from a desktop session (or over ssh -X).",
        display.HEADLESS,
    ]


@pytest.mark.parametrize(
    "env",
    [{"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "wayland"}, {"WAYLAND_DISPLAY": "w-0"}],
)
def test_headless_and_wayland_need_no_x11_libraries(env):
    assert display.check(env) is None


def test_missing_xcb_libraries_are_named_with_each_distributions_packages(fake_ldd):
    problem = display.check({"DISPLAY": ":0"})
    assert problem is not None
    assert problem.missing == ("libxcb-cursor.so.0", "libxkbcommon-x11.so.0")
    assert problem.message().splitlines()[:6] == [
        "Qt cannot open a window here: its X11 platform plugin needs libxcb-cursor.so.0, "
        "libxkbcommon-x11.so.0, which are not installed.",
        "Install the missing libraries with your distribution's packages:",
        "  Debian / Ubuntu: sudo apt-get install -y libxcb-cursor0 libxkbcommon-x11-0",
        "  Fedora / RHEL: sudo dnf install -y xcb-util-cursor libxkbcommon-x11",
        "  Arch: sudo pacman -S --needed xcb-util-cursor libxkbcommon-x11",
        "  openSUSE: sudo zypper install -y libxcb-cursor0 libxkbcommon-x11-0",
    ]


@pytest.mark.parametrize("command", [["gui"], ["demo"], []])
def test_gui_and_demo_stop_before_building_anything(command, tmp_path):
    home = tmp_path / "home"
    result = CliRunner().invoke(
        cli,
        ["--home", str(home), *command],
        env={"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("No display: DISPLAY is not set")
    assert "baton demo --headless" in result.stderr
    assert "Preparing the demo workspace" not in result.stderr
    assert not home.exists()
