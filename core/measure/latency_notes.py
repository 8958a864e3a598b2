"""The notes that qualify latency figures: a busy machine, a p50 that never settled.

Apart from :mod:`baton.core.measure.profiling` (which measures, with numpy): the card,
``verify`` and the desktop word these notes from a contract without importing numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

P50_TOLERANCE = 0.05
"""The p50 is stable when the p50 of the last two rounds differ by at most 5 %."""


def as_share(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _batch_list(sizes: Iterable[int]) -> str:
    sizes = list(sizes)
    noun = "batch size" if len(sizes) == 1 else "batch sizes"
    return f"{noun} " + ", ".join(f"{b:,}" for b in sizes)


def latency_caveats(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Short notes on latency figures that should not be taken at face value.

    One sentence for the batch sizes measured while the machine was busy (with the
    busiest reason), one for those whose p50 never settled within 5 %. Rows without
    these fields (measured before Baton recorded them) get no note. The CLI, the card,
    the desktop and reproduce all show these same sentences.
    """
    rows = list(rows)
    notes = []
    busy = [r for r in rows if r.get("machine_busy")]
    if busy:
        # Rows may come from a contract someone else wrote: read them defensively.
        worst = max(busy, key=lambda r: as_share(r.get("other_cpu_share")))
        reason = str(worst.get("busy_reason") or "other work was running")[:200]
        notes.append(
            f"Measured on a busy machine at {_batch_list(r['batch_size'] for r in busy)}"
            f" ({reason}): these latencies are likely higher than on a quiet machine."
        )
    unstable = [r for r in rows if r.get("p50_stable") is False]
    if unstable:
        notes.append(
            f"Unstable at {_batch_list(r['batch_size'] for r in unstable)}: the p50 still moved "
            f"by more than {P50_TOLERANCE * 100:g} % between the last rounds of sampling."
        )
    return notes
