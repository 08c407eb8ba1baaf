"""kiln record --python: loads kiln's profiler into this interpreter.

`kiln record --python` puts this file's directory first on PYTHONPATH and
sets KILN_OUTPUT, so every Python process it starts (and their Python
subprocesses) imports it at startup. It picks the `_kiln_profiler` build for
this interpreter (interpreters.txt one directory up), starts the C profile
hook and arranges for the profile to be completed at exit, at os._exit, on
SIGTERM/SIGINT and in forked children. The first process writes KILN_OUTPUT;
every other one writes KILN_OUTPUT.<pid>. Afterwards the sitecustomize this
file shadows, if any, is run as usual.
"""
import os
import sys


def _kiln_pick(root):
    """The directory holding the extension built for this interpreter."""
    try:
        with open(os.path.join(root, "interpreters.txt")) as f:
            rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    except OSError:
        return None
    ver = "%d.%d" % sys.version_info[:2]
    prefix = os.path.realpath(getattr(sys, "base_prefix", sys.prefix))
    same = [r for r in rows if len(r) == 3 and r[0] == ver]
    for r in same:
        if r[1] == prefix:
            return os.path.join(root, r[2])
    return os.path.join(root, same[0][2]) if same else None


def _kiln_command():
    try:
        with open("/proc/self/cmdline", "rb") as f:
            args = f.read().split(b"\0")
        return " ".join(a.decode("utf-8", "replace") for a in args if a)
    except OSError:
        return " ".join([sys.executable] + list(getattr(sys, "argv", [])))


def _kiln_start():
    out = os.environ.get("KILN_OUTPUT")
    if not out or os.environ.get("KILN_PY_DISABLE"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.environ.get("KILN_PY_COLLECTOR") or os.path.dirname(here)
    ext = _kiln_pick(root)
    if ext is None:
        sys.stderr.write("kiln: python %d.%d: no kiln collector was built for this interpreter; "
                         "not profiled\n" % sys.version_info[:2])
        return
    sys.path.insert(0, ext)
    try:
        import _kiln_profiler as kp
    except ImportError as e:
        sys.stderr.write("kiln: cannot load the profiler from %s: %s; not profiled\n" % (ext, e))
        return
    finally:
        sys.path.remove(ext)

    import atexit
    import marshal
    import time

    also_prof = os.environ.get("KILN_PY_ALSO_PROF") or None
    flush_ms = float(os.environ.get("KILN_PY_FLUSH_MS") or 100)
    state = {"done": False, "out": out, "prof": also_prof}

    def meta():
        return {"tool": "kiln record --python", "source_format": "kiln-python",
                "python_version": sys.version.split()[0], "command": _kiln_command(),
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    def own(path):
        return path + "." + str(os.getpid()) if path else path

    if os.environ.get("KILN_PY_CLAIMED"):
        state["out"], state["prof"] = own(out), own(also_prof)
    else:
        os.environ["KILN_PY_CLAIMED"] = str(os.getpid())

    def finish():
        if state["done"]:
            return
        state["done"] = True
        if "threading" in sys.modules:
            sys.modules["threading"].setprofile(None)
        kp.finish()
        if state["prof"]:
            tmp = state["prof"] + ".tmp%d" % os.getpid()
            with open(tmp, "wb") as f:
                marshal.dump(kp.pstats(), f)
            os.replace(tmp, state["prof"])

    real_exit = os._exit

    def _exit(status):
        finish()
        real_exit(status)

    _exit.__doc__ = real_exit.__doc__
    os._exit = _exit

    def after_fork():
        state["out"], state["prof"] = own(out), own(also_prof)
        kp.after_fork(state["out"], meta())

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=after_fork)

    import signal
    previous = {}

    def on_signal(signum, frame):
        prev = previous.get(signum)
        if callable(prev):  # e.g. SIGINT's KeyboardInterrupt: the exit path finishes the profile
            kp.flush()
            return prev(signum, frame)
        finish()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for name in ("SIGTERM", "SIGINT"):
        signum = getattr(signal, name, None)
        try:
            prev = signal.getsignal(signum)
            if prev is not None and prev != signal.SIG_IGN:
                previous[signum] = prev
                signal.signal(signum, on_signal)
        except (TypeError, ValueError, OSError):
            pass

    atexit.register(finish)
    kp.start(state["out"], meta(), flush_ms)
    import threading
    threading.setprofile(kp.thread_hook)


def _kiln_chain():
    """Runs the sitecustomize this one shadows (e.g. Debian's)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for d in sys.path:
        if not d or os.path.abspath(d) == here:
            continue
        path = os.path.join(d, "sitecustomize.py")
        if os.path.isfile(path):
            with open(path, "rb") as f:
                code = compile(f.read(), path, "exec")
            exec(code, {"__name__": "sitecustomize", "__file__": path})
            return


try:
    _kiln_start()
except Exception as e:  # never break the program being profiled
    sys.stderr.write("kiln: profiler not started: %s\n" % (e,))
try:
    _kiln_chain()
except Exception:
    pass
