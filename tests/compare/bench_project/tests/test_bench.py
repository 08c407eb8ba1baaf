import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import algos  # noqa: E402

# small sizes: the whole list stays in the CPU cache, so the growth is the
# algorithm's, not the memory hierarchy's
SIZES = [100, 200, 400, 800]


def data(n):
    return list(range(n))


@pytest.mark.parametrize("n", SIZES)
def test_quadratic(benchmark, n):
    benchmark.group = "scaling"
    items = data(n)
    assert len(benchmark(algos.dedupe_quadratic, items)) == n


@pytest.mark.parametrize("n", SIZES)
def test_linear(benchmark, n):
    benchmark.group = "scaling"
    items = data(n)
    assert len(benchmark(algos.dedupe_linear, items)) == n


@pytest.mark.parametrize("n", [300, 600])
def test_work(benchmark, n):
    benchmark.group = "work"
    items = data(n)
    assert len(benchmark(algos.work, items)) == n
