#!/usr/bin/env python3
"""measure.py RUNS OUT -- CMD...: run CMD RUNS times (stdout to OUT, '-' =
/dev/null) and print one JSON line: best wall seconds, best CPU seconds
(user+sys of the child and its children), peak RSS in KiB (max over runs,
from wait4's rusage of that child alone), exit code."""
import json
import os
import sys
import time


def once(cmd, out):
    fd = os.open(out if out != '-' else os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(fd, 1)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(fd)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)


def main():
    runs = int(sys.argv[1])
    out = sys.argv[2]
    cmd = sys.argv[sys.argv.index('--') + 1:]
    res = [once(cmd, out) for _ in range(runs)]
    print(json.dumps({'wall': min(r[0] for r in res), 'cpu': min(r[1] for r in res),
                      'rss_kb': max(r[2] for r in res), 'rc': max(r[3] for r in res)}))


if __name__ == '__main__':
    main()
