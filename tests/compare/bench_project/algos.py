"""Tiny workload for kiln's compare/scaling tests: a quadratic dedupe and
its linear twin. KILN_BENCH_VARIANT=slow makes `work` use the quadratic one
(the "regression" run)."""
import os


def dedupe_quadratic(items):
    seen = []
    for x in items:
        if x not in seen:  # list membership: O(n) per item
            seen.append(x)
    return seen


def dedupe_linear(items):
    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def work(items):
    if os.environ.get("KILN_BENCH_VARIANT") == "slow":
        return dedupe_quadratic(items)
    return dedupe_linear(items)
