"""CPU time each process of a `ketnap up` stack spends per command (`make bench`'s API part).

On a shared, loaded machine a command's latency measures the scheduler as much as Ketnap; the CPU
a command costs each process does not. The stack's `state.json` names every service process and
server; PostgreSQL's work is done by its backends, the postmaster's children, counted with it.
A backend that ends between two readings takes its time with it (the pools keep theirs open).

`python -m tests.bench.cpu DATA_DIR` prints the CPU seconds of a running stack's processes, for a
measurement by hand: read it before and after a load and divide by the commands sent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def reading(state: dict) -> dict[str, float]:
    """CPU seconds so far of each service and server of the stack whose `state.json` is `state`."""
    seconds: dict[str, float] = {}
    for name, pid in {**state.get("services", {}), **state.get("servers", {})}.items():
        if pid is None:
            continue
        try:
            process = psutil.Process(pid)
            total = cpu_seconds(process)
            for child in process.children(recursive=True):
                try:
                    total += cpu_seconds(child)
                except psutil.NoSuchProcess:
                    pass
        except psutil.NoSuchProcess:
            continue
        seconds[name] = total
    return seconds


def per_command(before: dict[str, float], after: dict[str, float], commands: int) -> dict[str, float]:
    """Milliseconds of CPU per command of each process between two readings, the costliest first."""
    spent = {name: (after[name] - before.get(name, 0.0)) * 1000 / max(commands, 1) for name in after}
    return dict(sorted(spent.items(), key=lambda item: -item[1]))


def main(data_dir: str) -> None:
    state = json.loads((Path(data_dir) / "state.json").read_text())
    for name, seconds in sorted(reading(state).items()):
        print(f"{name:<14}{seconds:>10.2f} s")


if __name__ == "__main__":
    main(sys.argv[1])
