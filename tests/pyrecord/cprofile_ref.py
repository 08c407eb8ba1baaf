"""Ground truth for the pyrecord tests: runs a script under cProfile, the
way `python -m cProfile -o OUT script ARGS` does, and also profiles threads
on interpreters whose cProfile sees only the thread that enabled it (before
3.12 each thread needs its own cProfile.Profile; their stats are added with
pstats, as pstats.Stats.add does for several runs).
Usage: cprofile_ref.py OUT.prof SCRIPT [ARGS...]"""
import cProfile
import pstats
import runpy
import sys
import threading

out, script = sys.argv[1], sys.argv[2]
extra = []
if sys.version_info < (3, 12):
    original_run = threading.Thread.run

    def run(self):
        p = cProfile.Profile()
        extra.append(p)
        p.enable()
        try:
            original_run(self)
        finally:
            p.disable()

    threading.Thread.run = run

sys.argv = sys.argv[2:]
prof = cProfile.Profile()
prof.enable()
try:
    runpy.run_path(script, run_name="__main__")
finally:
    prof.disable()
stats = pstats.Stats(prof)
for p in extra:
    stats.add(p)
stats.dump_stats(out)
