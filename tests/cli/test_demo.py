"""`baton demo --headless`: the whole handover round trip, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def test_headless_round_trip_without_network(tmp_path):
    baton = str(Path(sys.executable).with_name("baton"))
    cmd = [baton, "demo", "--headless", "--keep", str(tmp_path / "demo")]
    # As root, cut the network off entirely: the demo must not need it.
    offline = (
        os.geteuid() == 0
        and shutil.which("unshare")
        and subprocess.run(["unshare", "-n", "true"]).returncode == 0
    )
    if offline:
        cmd = ["unshare", "-n", *cmd]
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "BATON_PASSPHRASE": ""}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in (
        "1. Data scientist and engineer each create a signing key",
        "4. Eli verifies the bundle offline",
        "7. Dana verifies the receipt",
    ):
        assert step in out
    assert "candidate lr (recommended): accuracy 0.9649" in out
    assert "candidate hgb: accuracy" in out
    assert "prediction agreement 171/171" in out
    assert "chose candidate lr" in out
    assert "parity held: 171/171 predictions agree" in out
    assert "optimised by Eli Engineer from breast-cancer-lr 1 (root digest " in out
    assert "an ordinary week: No drift: 30 features and the predictions stable" in out
    assert "a week with a shifted feature: Drift: 1 of 30 features drifted (mean radius)" in out
    assert "Round trip complete: ACCEPT" in out
    assert (tmp_path / "demo" / "breast-cancer-lr-1.baton").is_file()
    assert (tmp_path / "demo" / "breast-cancer-lr-1.review.baton").is_file()
