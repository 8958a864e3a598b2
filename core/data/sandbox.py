"""What the child process that runs model code may see: environment and network.

Model code is hostile until proven otherwise, so the child gets only what numpy,
onnxruntime and the locale need. Its environment is built from an exact list of variable
names, never a pattern and never a copy of the parent's: the passphrase of the signing
key, cloud credentials, tokens and the catalog's location stay in the parent. On Linux
it then leaves the network, first thing, by entering new user and network namespaces.

The interpreter flags (``-I``) and the private working folder are set where the child is
started, in :mod:`baton.core.data.runner`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

# Thread counts change latency: the child gets them and the profile records them.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# Each name, and why the child needs it. Everything else is left out, HOME included:
# nothing the child runs reads per-user settings (Python finds "~" in the password
# database without it), and PYTHON* variables are ignored by ``-I`` anyway.
_NEEDED = {
    # Tools the child may call by name: sysctl for the CPU model on macOS, lscpu from
    # joblib's core count.
    "PATH",
    # The locale decides the default text encoding of files the child reads and writes.
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    # Part of the user's locale settings: local times in the child agree with the parent.
    "TZ",
    # OpenBLAS cannot detect some CPUs (VMs, new ARM cores) and then needs to be told.
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    *THREAD_ENV_VARS,
}
_NEEDED_ON = {
    # The loader may need it to start this interpreter at all, as it did for the parent.
    "linux": {"LD_LIBRARY_PATH"},
    # Python cannot seed its hash or random numbers without SYSTEMROOT; platform.machine()
    # and platform.processor() read the PROCESSOR_* variables for the hardware record.
    "win32": {
        "SYSTEMROOT",
        "PROCESSOR_ARCHITECTURE",
        "PROCESSOR_ARCHITEW6432",
        "PROCESSOR_IDENTIFIER",
    },
}
# Temporary files go to the child's private staging folder, removed after the run.
_TEMP = ("TEMP", "TMP") if sys.platform == "win32" else ("TMPDIR",)

CHILD_ENVIRONMENT = frozenset(_NEEDED | _NEEDED_ON.get(sys.platform, set()) | set(_TEMP))

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000

_network: dict[str, Any] | None = None


def child_environment(staging: Path) -> dict[str, str]:
    """The child's whole environment: the allowed names the parent has, temp in ``staging``."""
    env = {name: os.environ[name] for name in CHILD_ENVIRONMENT if name in os.environ}
    # One BLAS/OpenMP thread per core unless the user chose; the profile records it.
    env.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    env.update(dict.fromkeys(_TEMP, str(staging)))
    return env


def isolate_network() -> dict[str, Any]:
    """Leave the network, first thing in the child, and say truthfully whether it worked.

    New user and network namespaces need no privilege where the kernel allows them; the
    new network has only a loopback device that is down, so no connection goes anywhere,
    the parent's own servers on 127.0.0.1 included. Root without user namespaces (some
    containers) still gets a network namespace alone, which root code could leave.
    Must run while the process has a single thread: the kernel refuses otherwise.
    """
    global _network
    _network = _leave_network()
    return _network


def _leave_network() -> dict[str, Any]:
    if not sys.platform.startswith("linux"):
        return {"in_force": False, "detail": f"not available on {sys.platform}"}
    uid, gid = os.geteuid(), os.getegid()
    try:
        _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
    except OSError as exc:
        try:
            _unshare(_CLONE_NEWNET)
        except OSError:
            return {"in_force": False, "detail": f"the kernel refused namespaces ({exc.strerror})"}
        return {"in_force": True, "detail": "network namespace (root code could leave it)"}
    # Keep the same ids inside, or the child sees itself and its own files as "nobody"
    # (and "~" as nobody's home). Cosmetic for the isolation, so a refusal is ignored.
    with contextlib.suppress(OSError):
        _write_proc("setgroups", "deny")  # required before gid_map without privilege
    with contextlib.suppress(OSError):
        _write_proc("uid_map", f"{uid} {uid} 1")
        _write_proc("gid_map", f"{gid} {gid} 1")
    return {"in_force": True, "detail": "user and network namespaces"}


def network_isolation() -> dict[str, Any] | None:
    """What :func:`isolate_network` found in this process (None outside the child)."""
    return _network


def _unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python 3.12+
        os.unshare(flags)
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _write_proc(name: str, text: str) -> None:
    with open(f"/proc/self/{name}", "w") as fh:
        fh.write(text)
