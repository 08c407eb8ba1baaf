"""Workload for the kiln record --python tests: every kind of call the
profiler must count like cProfile does. Deterministic call counts.
Usage: workload.py [main|child|twocallers|sleep SECONDS|osexit]"""
import asyncio
import os
import subprocess
import sys
import threading


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


class Shape:
    def __init__(self, w, h):
        self.w, self.h = w, h

    def area(self):
        return self.w * self.h

    @staticmethod
    def unit():
        return Shape(1, 1)


def squares(n):
    for i in range(n):
        yield i * i


def consume_generator():
    total = 0
    for v in squares(50):
        total += v
    return total + sum(x for x in range(10))


async def leaf(i):
    await asyncio.sleep(0)
    return i


async def gather_all():
    return sum(await asyncio.gather(*(leaf(i) for i in range(5))))


def averager():
    total, count = 0.0, 0
    while True:
        value = yield (total / count if count else None)
        total += value
        count += 1


def drive_coroutine():
    c = averager()
    next(c)
    for v in range(20):
        c.send(v)
    c.close()


def fails(i):
    if i % 3 == 0:
        raise ValueError(i)
    return i


def exceptions():
    caught = 0
    for i in range(30):
        try:
            fails(i)
        except ValueError:
            caught += 1
    try:
        int("not a number")
    except ValueError:
        caught += 1
    return caught


def worker(n):
    out = []
    for i in range(n):
        out.append(fib(10))
    return len(out)


def threads():
    ts = [threading.Thread(target=worker, args=(20 + k,)) for k in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def builtins_use():
    words = []
    for i in range(100):
        words.append(str(i))
    n = len(words) + len("".join(words))
    key = lambda w: (len(w), w)  # noqa: E731
    return n + len(sorted(words, key=key))


def child():
    return fib(15) + sum(Shape(i, 2).area() for i in range(40))


def spawn_child():
    subprocess.run([sys.executable, os.path.abspath(__file__), "child"], check=True)


def main():
    fib(18)
    is_even(200)
    shapes = [Shape(i, i + 1) for i in range(100)]
    sum(s.area() for s in shapes)
    Shape.unit()
    consume_generator()
    if hasattr(asyncio, "run"):
        asyncio.run(gather_all())
    else:  # 3.6
        asyncio.get_event_loop().run_until_complete(gather_all())
    drive_coroutine()
    exceptions()
    builtins_use()
    threads()


# --- two callers: the same function, cheap from one caller and costly from the other
# through a shared middle function whose own cost hides the split: both
# callers spend about the same time in dispatch(), but work() costs 20x more
# under costly_caller. A tree rebuilt from caller->callee pairs cannot know.
def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def dispatch(spin, n):
    s = 0
    for i in range(spin):
        s += i * i
    return s + work(n)


def cheap_caller():
    for _ in range(50):
        dispatch(20000, 1000)


def costly_caller():
    for _ in range(50):
        dispatch(1000, 20000)


def twocallers():
    cheap_caller()
    costly_caller()


def sleeper(seconds):
    import time
    fib(15)
    print("sleeping", flush=True)
    time.sleep(float(seconds))


def osexit():
    fib(16)
    sys.stdout.flush()
    os._exit(3)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "main"
    if what == "main":
        main()
        if len(sys.argv) <= 2 or sys.argv[2] != "nochild":
            spawn_child()
    elif what == "child":
        child()
    elif what == "twocallers":
        twocallers()
    elif what == "cheap":
        cheap_caller()
    elif what == "costly":
        costly_caller()
    elif what == "sleep":
        sleeper(sys.argv[2])
    elif what == "osexit":
        osexit()
