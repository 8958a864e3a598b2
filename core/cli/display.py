"""Can this machine show Baton's window? Checked in a second, before anything is built.

Without a display, or without the system libraries Qt's X11 platform plugin links
against, Qt aborts with a message of its own (which may name a library that is in fact
installed, since it reports the first one it tried). ``baton gui`` and ``baton demo``
ask here first and stop at once with the exact packages to install for the user's
distribution, and the headless alternatives.

The check is exact: it lists what the dynamic linker cannot resolve for Qt's own ``xcb``
plugin (``ldd`` on the plugin that PySide6 ships), and never imports Qt.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Shared libraries Qt's xcb plugin needs, by soname, and the package that provides each:
# Debian / Ubuntu (apt), Fedora / RHEL (dnf), Arch (pacman), openSUSE (zypper).
PACKAGES: dict[str, tuple[str, str, str, str]] = {
    "libxcb-cursor.so.0": (
        "libxcb-cursor0",
        "xcb-util-cursor",
        "xcb-util-cursor",
        "libxcb-cursor0",
    ),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm", "libxcb-icccm4"),
    "libxcb-keysyms.so.1": (
        "libxcb-keysyms1",
        "xcb-util-keysyms",
        "xcb-util-keysyms",
        "libxcb-keysyms1",
    ),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image", "libxcb-image0"),
    "libxcb-render-util.so.0": (
        "libxcb-render-util0",
        "xcb-util-renderutil",
        "xcb-util-renderutil",
        "libxcb-render-util0",
    ),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb", "libxcb", "libxcb-xinerama0"),
    "libxkbcommon-x11.so.0": (
        "libxkbcommon-x11-0",
        "libxkbcommon-x11",
        "libxkbcommon-x11",
        "libxkbcommon-x11-0",
    ),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon", "libxkbcommon0"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11", "libX11-xcb1"),
    "libEGL.so.1": ("libegl1", "mesa-libEGL", "libglvnd", "libEGL1"),
    "libGL.so.1": ("libgl1", "mesa-libGL", "libglvnd", "libGL1"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd", "libOpenGL0"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig", "libfontconfig1"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2", "libfreetype6"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus", "libdbus-1-3"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2", "libglib-2_0-0"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb", "libxcb-shape0"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb", "libxcb-randr0"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb", "libxcb-xfixes0"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb", "libxcb-shm0"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb", "libxcb-render0"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb", "libxcb-sync1"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb", "libxcb-xkb1"),
}
MANAGERS = (
    ("Debian / Ubuntu", "sudo apt-get install -y"),
    ("Fedora / RHEL", "sudo dnf install -y"),
    ("Arch", "sudo pacman -S --needed"),
    ("openSUSE", "sudo zypper install -y"),
)
HEADLESS = (
    "Without a display: `baton demo --headless` runs the whole handover on the command "
    "line, and QT_QPA_PLATFORM=offscreen runs the window without showing it (for "
    "screenshots and tests)."
)


@dataclass(frozen=True)
class DisplayProblem:
    headline: str
    missing: tuple[str, ...] = ()

    def message(self) -> str:
        lines = [self.headline]
        if self.missing:
            lines.append("Install the missing libraries with your distribution's packages:")
            for i, (distro, command) in enumerate(MANAGERS):
                names = []
                for soname in self.missing:
                    known = PACKAGES.get(soname)
                    name = known[i] if known else soname
                    if name not in names:
                        names.append(name)
                lines.append(f"  {distro}: {command} {' '.join(names)}")
        lines.append(HEADLESS)
        return "\n".join(lines)


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        plugin = Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)


def unresolved(library: Path) -> tuple[str, ...]:
    """The sonames ``ldd`` cannot resolve for ``library`` (empty where ldd is missing)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return ()
    try:
        out = subprocess.run(
            [ldd, str(library)], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(dict.fromkeys(_NOT_FOUND.findall(out)))


def check(environ: dict[str, str] | None = None) -> DisplayProblem | None:
    """What stops the window from opening here, or None. Linux only: elsewhere Qt brings
    what it needs."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return None
    if platform.startswith("wayland") or (env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")):
        return None  # Qt's Wayland plugin needs none of the X11 libraries
    if not env.get("DISPLAY"):
        return DisplayProblem(
            "No display: DISPLAY is not set, so there is no screen to open the window on. "
            "Run Baton from a desktop session (or over ssh -X)."
        )
    plugin = xcb_plugin()
    missing = unresolved(plugin) if plugin else ()
    if missing:
        return DisplayProblem(
            f"Qt cannot open a window here: its X11 platform plugin needs "
            f"{', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed.",
            missing,
        )
    return None


def require_display() -> None:
    """Stop the command at once, saying what to install, when the window cannot open."""
    problem = check()
    if problem is not None:
        from baton.core.safetext import visible

        sys.stderr.write(visible(problem.message(), lines=True) + "\n")
        sys.exit(1)
