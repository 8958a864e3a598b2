"""The machine under a measurement: whether other work kept it busy (CPU time taken by other
processes, load average), this process's memory counters (RSS and its peak), and the
hardware and software environment a result is reported with."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import Any

from baton.core.data.sandbox import THREAD_ENV_VARS, network_isolation

BUSY_CPU_SHARE = 0.25
"""Other processes taking this share of the machine's CPU time make it busy."""


BUSY_LOAD_PER_CPU = 0.5
"""Other work keeping this many runnable tasks per CPU (1-minute load) makes it busy."""


_MIN_CPU_WINDOW_TICKS = 20  # below this many clock ticks of CPU time a share is noise


PACKAGES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "pyarrow",
    "onnx",
    "onnxruntime",
    "skops",
)


def _proc_stat_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, from ``/proc/stat``; else None."""
    text = _read_text("/proc/stat")
    if not text or not text.startswith("cpu "):
        return None
    try:
        # user nice system idle iowait irq softirq steal; guest time is inside user already
        ticks = [int(v) for v in text.split("\n", 1)[0].split()[1:9]]
    except ValueError:
        return None
    if len(ticks) < 4:
        return None
    total = sum(ticks)
    return total - sum(ticks[3:5]), total


def _load_average() -> float | None:
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):  # Windows has no load average
        return None


def machine_snapshot() -> dict[str, Any]:
    """The counters :func:`machine_load` compares: CPU ticks, own CPU time, the clock."""
    own = os.times()
    return {
        "ticks": _proc_stat_ticks(),
        "own_cpu_s": own.user + own.system,
        "clock_s": time.perf_counter(),
    }


def machine_load(
    before: dict[str, Any], after: dict[str, Any], cpus: int | None = None
) -> dict[str, Any]:
    """How busy the machine was between two :func:`machine_snapshot` readings.

    ``other_cpu_share`` is the share of all CPUs' time that other processes used: the busy
    ticks of ``/proc/stat`` minus this process's own CPU time (every thread of it), over
    all ticks; None where the system has no ``/proc/stat`` or the window is too short to
    tell. ``load_avg_1m`` is the 1-minute load average, of which this process's own
    average parallelism (``own_cpus``) is taken off before it is compared with ``cpus``.
    ``machine_busy`` holds when other processes took :data:`BUSY_CPU_SHARE` of the CPU
    time or more, or their load reached :data:`BUSY_LOAD_PER_CPU` per CPU;
    ``busy_reason`` says which, in words.
    """
    cpus = cpus or os.cpu_count() or 1
    elapsed = max(after["clock_s"] - before["clock_s"], 1e-9)
    own_cpu = max(0.0, after["own_cpu_s"] - before["own_cpu_s"])
    own_cpus = own_cpu / elapsed
    share = None
    if before["ticks"] and after["ticks"]:
        busy = after["ticks"][0] - before["ticks"][0]
        total = after["ticks"][1] - before["ticks"][1]
        if total >= _MIN_CPU_WINDOW_TICKS:
            own_ticks = own_cpu * os.sysconf("SC_CLK_TCK")
            share = min(1.0, max(0.0, (busy - own_ticks) / total))
    load = _load_average()
    reasons = []
    if share is not None and share >= BUSY_CPU_SHARE:
        reasons.append(f"other processes took {share * 100:.0f} % of the CPU time")
    if load is not None and max(0.0, load - own_cpus) / cpus >= BUSY_LOAD_PER_CPU:
        reasons.append(f"the load average was {load:.2f} on {cpus} CPUs")
    return {
        "cpus": cpus,
        "load_avg_1m": None if load is None else round(load, 2),
        "other_cpu_share": None if share is None else round(share, 4),
        "own_cpus": round(own_cpus, 3),
        "machine_busy": bool(reasons),
        "busy_reason": " and ".join(reasons) or None,
    }


def _linux_status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _ru_maxrss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # macOS reports bytes; Linux and the BSDs report kilobytes.
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def _windows_counters() -> tuple[int, int] | None:
    """(WorkingSetSize, PeakWorkingSetSize) of this process, or None."""
    if sys.platform != "win32":
        return None
    try:
        import ctypes
        from ctypes import wintypes

        class _Counters(ctypes.Structure):
            _fields_ = [
                ("cb", wintypes.DWORD),
                ("PageFaultCount", wintypes.DWORD),
                ("PeakWorkingSetSize", ctypes.c_size_t),
                ("WorkingSetSize", ctypes.c_size_t),
                ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
                ("QuotaPagedPoolUsage", ctypes.c_size_t),
                ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                ("PagefileUsage", ctypes.c_size_t),
                ("PeakPagefileUsage", ctypes.c_size_t),
            ]

        counters = _Counters()
        counters.cb = ctypes.sizeof(_Counters)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.GetCurrentProcess.restype = wintypes.HANDLE
        ok = kernel32.K32GetProcessMemoryInfo(
            kernel32.GetCurrentProcess(), ctypes.byref(counters), counters.cb
        )
        if not ok:
            return None
        return int(counters.WorkingSetSize), int(counters.PeakWorkingSetSize)
    except (OSError, AttributeError, ValueError):
        return None


def rss_counter() -> tuple[int | None, str]:
    """Current RSS in bytes and the name of the counter it came from."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            resident_pages = int(fh.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE"), "/proc/self/statm"
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    win = _windows_counters()
    if win is not None:
        return win[0], "WorkingSetSize"
    peak = _ru_maxrss_bytes()
    if peak is not None:
        return peak, "ru_maxrss (peak so far; current RSS unavailable)"
    return None, "unavailable"


def peak_rss_counter() -> tuple[int | None, str]:
    """Peak RSS in bytes and the name of the counter it came from."""
    hwm = _linux_status_kb("VmHWM")
    if hwm is not None:
        return hwm, "VmHWM"
    win = _windows_counters()
    if win is not None:
        return win[1], "PeakWorkingSetSize"
    peak = _ru_maxrss_bytes()
    if peak is not None:
        return peak, "ru_maxrss"
    return None, "unavailable"


def rss_bytes() -> int | None:
    """This process's current resident set size in bytes, or None if unknown.

    Linux reads ``/proc/self/statm``; Windows asks ``K32GetProcessMemoryInfo``. Elsewhere
    (macOS, the BSDs) there is no cheap current figure without extra packages, so this
    falls back to ``resource.getrusage().ru_maxrss``, which is the *peak* RSS so far: it
    never goes down, so differences of it understate growth that stays below an earlier
    peak. :func:`profile_memory` reports which counter was used.
    """
    return rss_counter()[0]


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS; False if that is not possible.

    Linux (4.0 and later) resets ``VmHWM`` when "5" is written to
    ``/proc/self/clear_refs``; sandboxes can forbid it. Other systems cannot reset
    ``ru_maxrss`` or the peak working set, so this returns False there.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int | None:
    """Peak resident set size in bytes: ``VmHWM`` on Linux (see :func:`reset_peak_rss`),
    ``PeakWorkingSetSize`` on Windows, else ``ru_maxrss``; None if unknown."""
    return peak_rss_counter()[0]


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _sysctl(name: str) -> str | None:
    try:
        out = subprocess.run(
            ["sysctl", "-n", name], capture_output=True, text=True, timeout=2, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None


def _linux_cpu() -> tuple[str | None, int | None]:
    """CPU model name and physical core count from /proc/cpuinfo (then sysfs)."""
    text = _read_text("/proc/cpuinfo") or ""
    model = None
    cores: set[tuple[str, str]] = set()
    phys = core = None
    for line in text.splitlines() + [""]:
        if not line.strip():  # end of one processor's block
            if core is not None:
                cores.add((phys or "0", core))
            phys = core = None
            continue
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key in ("model name", "hardware", "cpu model", "processor name") and not model:
            if value:
                model = value
        elif key == "physical id":
            phys = value
        elif key == "core id":
            core = value
    physical = len(cores) or None
    if physical is None:
        topo = set()
        base = "/sys/devices/system/cpu"
        try:
            names = [n for n in os.listdir(base) if n.startswith("cpu") and n[3:].isdigit()]
        except OSError:
            names = []
        for name in names:
            pkg = _read_text(f"{base}/{name}/topology/physical_package_id")
            cid = _read_text(f"{base}/{name}/topology/core_id")
            if pkg is not None and cid is not None:
                topo.add((pkg.strip(), cid.strip()))
        physical = len(topo) or None
    return model, physical


def _windows_cpu_name() -> str | None:
    try:
        import winreg

        reg: Any = winreg  # its functions exist on Windows only, where this runs
        with reg.OpenKey(
            reg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
        ) as key:
            return str(reg.QueryValueEx(key, "ProcessorNameString")[0]).strip() or None
    except (ImportError, OSError):
        return None


def _ram_total() -> int | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        pages = size = -1
    if pages > 0 and size > 0:
        return int(pages) * int(size)
    if sys.platform == "darwin":
        value = _sysctl("hw.memsize")
        return int(value) if value and value.isdigit() else None
    if sys.platform == "win32":
        try:
            import ctypes

            class _MemStatus(ctypes.Structure):
                _fields_ = [
                    ("dwLength", ctypes.c_ulong),
                    ("dwMemoryLoad", ctypes.c_ulong),
                    ("ullTotalPhys", ctypes.c_ulonglong),
                    ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong),
                    ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong),
                    ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
                ]

            status = _MemStatus()
            status.dwLength = ctypes.sizeof(_MemStatus)
            if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
                return int(status.ullTotalPhys)
        except (OSError, AttributeError):
            return None
    return None


def hardware_info() -> dict[str, Any]:
    """The machine the figures were measured on.

    ``cpu_model`` comes from ``/proc/cpuinfo`` on Linux, ``sysctl
    machdep.cpu.brand_string`` on macOS, the registry on Windows, else
    ``platform.processor()``. ``cores_physical`` counts distinct (package, core) pairs
    (None when the system does not say); ``cores_logical`` is ``os.cpu_count()`` and
    ``cores_available`` the CPUs this process may run on (affinity, containers).
    """
    model: str | None = None
    physical: int | None = None
    system = platform.system()
    if system == "Linux":
        model, physical = _linux_cpu()
    elif system == "Darwin":
        model = _sysctl("machdep.cpu.brand_string")
        value = _sysctl("hw.physicalcpu")
        physical = int(value) if value and value.isdigit() else None
    elif system == "Windows":
        model = _windows_cpu_name()
    if not model:
        model = platform.processor() or platform.machine() or None

    logical = os.cpu_count()
    available: int | None = logical
    if hasattr(os, "sched_getaffinity"):
        with contextlib.suppress(OSError):
            available = len(os.sched_getaffinity(0))
    ram = _ram_total()
    return {
        "cpu_model": model,
        "cores_physical": physical,
        "cores_logical": logical,
        "cores_available": available,
        "ram_total_bytes": ram,
        "ram_total_gb": None if ram is None else round(ram / float(1 << 30), 2),
        "os": platform.platform(),
        "system": system,
        "machine": platform.machine(),
    }


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_info(packages: Iterable[str] = PACKAGES) -> dict[str, Any]:
    """Python and package versions (None for a package that is not installed).

    ``threads_env`` lists the thread-count variables (OMP_NUM_THREADS and friends) that
    are set, since they change latency. ``network_isolation`` says whether the model
    child measuring this had the network cut (None outside the child).
    """
    from baton.core import __version__

    return {
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": {name: _version(name) for name in packages},
        "baton_version": _version("baton-handover") or __version__,
        "threads_env": {k: os.environ[k] for k in THREAD_ENV_VARS if k in os.environ},
        "network_isolation": network_isolation(),
    }
