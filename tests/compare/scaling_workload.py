"""A workload profiled at several sizes by test_compare.py: `same` is called
n(n-1)/2 times by the quadratic pair scan, `key` n times by its linear twin.
Usage: python3 scaling_workload.py N OUT.prof"""
import cProfile
import sys


def same(a, b):
    return a == b


def key(x):
    return x


def duplicates_quadratic(items):
    found = 0
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if same(items[i], items[j]):
                found += 1
    return found


def duplicates_linear(items):
    seen, found = set(), 0
    for x in items:
        k = key(x)
        found += k in seen
        seen.add(k)
    return found


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    items = list(range(n))
    prof = cProfile.Profile()
    prof.enable()
    duplicates_quadratic(items)
    duplicates_linear(items)
    prof.disable()
    prof.dump_stats(out)


if __name__ == "__main__":
    main()
