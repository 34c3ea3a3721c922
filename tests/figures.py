"""Figures the fuzz, fault and load tests measure, printed at the end of the run (the numbers
in docs/reliability.md come from there)."""

from collections import Counter, defaultdict

LINES: dict[str, str] = {}
REQUESTS: Counter[str] = Counter()
OPERATIONS: defaultdict[str, set[str]] = defaultdict(set)


def record(name: str, line: str) -> None:
    LINES[name] = line


def count(run: str, operation: str) -> None:
    """One generated request of `run` to `operation`."""
    REQUESTS[run] += 1
    OPERATIONS[run].add(operation)


def summary() -> list[str]:
    counted = [
        f"{run}: {len(OPERATIONS[run])} operations, {REQUESTS[run]} generated requests"
        for run in sorted(REQUESTS)
    ]
    return counted + [LINES[name] for name in sorted(LINES)]
