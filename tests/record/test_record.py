"""kiln record and libkiln-preload.so (helper "record").

Ground truth comes from real tools: the workloads measure their own thread
CPU time, addresses are resolved with binutils (readelf, nm) against the
recorded maps, profiles are read with an independent reader (kilnfile.py)
and with `kiln top`, and every fault case is compared with the same program
run without the collector."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kilnfile import Kiln  # noqa: E402

KILN = os.environ.get("KILN")
SRC = os.environ.get("KILN_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KILN_BUILD", "")
HERE = os.path.join(SRC, "tests", "record")


def have(tool):
    return shutil.which(tool) is not None


class Symbols:
    """Address -> function name for one ELF file, with binutils."""

    def __init__(self, path):
        self.segs = []  # (p_offset, p_vaddr, p_filesz)
        out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if f and f[0] == "LOAD":
                self.segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
        self.syms = []
        out = subprocess.run(["nm", "-S", "--defined-only", path], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 4 and f[2] in "tTwW":
                self.syms.append((int(f[0], 16), int(f[1], 16), f[3]))

    def name(self, file_offset):
        for off, vaddr, size in self.segs:
            if off <= file_offset < off + size:
                v = file_offset - off + vaddr
                for start, size_, name in self.syms:
                    if start <= v < start + size_:
                        return name
        return None


class Resolver:
    def __init__(self, profile, binary):
        self.binary = os.path.realpath(binary)
        self.maps = [m for m in profile.maps if m[3] and os.path.realpath(m[3]) == self.binary]
        self.syms = Symbols(binary)

    def __call__(self, addr):
        for start, end, off, _, _ in self.maps:
            if start <= addr < end:
                return self.syms.name(addr - start + off)
        return None


def compile_c(src, out, extra=()):
    srcs = [src] if isinstance(src, str) else list(src)
    subprocess.run(["gcc", "-O1", "-g", "-o", out, *srcs, "-lpthread", *extra], check=True)


@unittest.skipUnless(KILN and have("gcc") and have("nm") and have("readelf"),
                     "needs KILN, gcc and binutils (nm, readelf)")
class RecordTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kiln-record-")
        cls.burn = os.path.join(cls.tmp, "burn")
        cls.faults = os.path.join(cls.tmp, "faults")
        compile_c(os.path.join(HERE, "burn.c"), cls.burn)
        compile_c([os.path.join(HERE, "faults.c"), os.path.join(HERE, "faults_more.c")], cls.faults)
        cls.churnlib = os.path.join(cls.tmp, "libchurn.so")
        subprocess.run(["gcc", "-O1", "-g", "-shared", "-fPIC", "-DCHURN_LIB", "-o", cls.churnlib,
                        os.path.join(HERE, "faults_more.c")], check=True)
        cls.lib = os.path.join(BUILD, "collector", "libkiln-preload.so")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def record(self, out, args, hz=None, mode=None, timeout=120, env=None):
        cmd = [KILN, "record", "-q", "-o", out]
        if hz:
            cmd += ["-F", str(hz)]
        if mode:
            cmd += ["--mode", mode]
        return subprocess.run(cmd + ["--", *args], capture_output=True, timeout=timeout, env=env)

    def profiles(self, out):
        d = os.path.dirname(out)
        base = os.path.basename(out)
        return sorted(os.path.join(d, f) for f in os.listdir(d) if f == base or f.startswith(base + "."))

    def assert_readable(self, path):
        r = subprocess.run([KILN, "top", path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "kiln top %s: %s" % (path, r.stderr))
        return r

    # ---- attribution -----------------------------------------------------------

    def attribution(self, threads, hz, rounds):
        out = os.path.join(self.tmp, "burn%d_%d.kiln" % (threads, hz))
        r = self.record(out, [self.burn, str(threads), str(rounds), "100"], hz=hz)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = Kiln(out)
        self.assertTrue(p.complete, "no END chunk")
        self.assertEqual(p.types, [("cpu", "nanoseconds"), ("samples", "count")])
        resolve = Resolver(p, self.burn)
        total = a = b = reach = 0.0
        for stack, n in p.samples():
            names = [resolve(x) for x in stack]
            total += n
            a += n * ("burn_a" in names)
            b += n * ("burn_b" in names)
            reach += n * (("main" in names) if threads == 1 else ("worker" in names and names[0] is None))
        self.assertGreater(total, 0.5 * threads * rounds * 0.1 * hz, "too few samples")
        share_a, share_b = a / total, b / total
        print("threads=%d hz=%d samples=%d burn_a=%.3f burn_b=%.3f complete=%.3f rate=%s" %
              (threads, hz, total, share_a, share_b, reach / total, p.meta.get("sampling_rate_hz")))
        self.assertAlmostEqual(share_a, 0.6, delta=0.04)
        self.assertAlmostEqual(share_b, 0.3, delta=0.04)
        self.assertGreater(reach / total, 0.97, "stacks do not reach main/the thread start")
        for key in ("command", "host", "kernel", "timestamp", "tool", "sampling_rate_hz", "sampling_period_ns"):
            self.assertIn(key, p.meta)
        self.assertTrue(p.meta["tool"].startswith("kiln record "))
        self.assertEqual(p.meta["sampling_period_ns"], str(10**9 // hz))
        # every frame: native, no name, absolute address; maps carry build-ids
        self.assertTrue(all(f[:5] == (0, 0, 0, 0, 1) for f in p.frames))
        self.assertTrue(any(m[4] for m in p.maps if m[3] == resolve.binary or
                            os.path.realpath(m[3] or "/") == resolve.binary))
        top = self.assert_readable(out).stdout
        if os.path.exists(os.path.join(SRC, "libreport", "src", "symbolize.c")):
            self.assertIn("burn_a", top)
        return p

    def test_attribution_one_thread_1000hz(self):
        p = self.attribution(1, 1000, 10)
        # perf_event task-clock reaches the asked rate (timer-based profilers stop at the tick rate)
        if p.meta.get("collector_timer") == "perf_event task-clock":
            self.assertGreater(float(p.meta["sampling_rate_hz"]), 500)

    def test_attribution_four_threads_1000hz(self):
        self.attribution(4, 1000, 8)

    def test_attribution_one_thread_100hz(self):
        self.attribution(1, 100, 20)

    def test_timer_create_fallback(self):
        out = os.path.join(self.tmp, "posix.kiln")
        env = dict(os.environ, KILN_OUTPUT=out, KILN_TIMER="posix", KILN_HZ="100", LD_PRELOAD=self.lib)
        r = subprocess.run([self.burn, "2", "10", "100"], env=env, capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0)
        p = Kiln(out)
        self.assertEqual(p.meta.get("collector_timer"), "timer_create(CLOCK_THREAD_CPUTIME_ID)")
        resolve = Resolver(p, self.burn)
        total = sum(n for _, n in p.samples())
        a = sum(n for s, n in p.samples() if "burn_a" in [resolve(x) for x in s])
        self.assertGreater(total, 100)
        self.assertAlmostEqual(a / total, 0.6, delta=0.06)

    # ---- wall mode -------------------------------------------------------------

    def test_wall_mode_sees_sleep_without_eintr(self):
        out = os.path.join(self.tmp, "wall.kiln")
        base = subprocess.run([self.faults, "sleep"], capture_output=True, timeout=60)
        r = self.record(out, [self.faults, "sleep"], hz=200, mode="wall",
                        env=dict(os.environ, FAULTS_TIMING="1"))
        t_burn, t_all = [float(x) for x in r.stderr.decode().split("timing ")[1].split()]
        self.assertEqual(r.stdout, base.stdout)  # nanosleep returned 0, sleep left 0
        self.assertIn(b"nanosleep returned 0", r.stdout)
        p = Kiln(out)
        self.assertEqual(p.types[0], ("wall", "nanoseconds"))
        resolve = Resolver(p, self.faults)
        total = burn = 0
        for s, n in p.samples():
            names = [resolve(x) for x in s]
            total += n
            burn += n * ("burn" in names)
            self.assertIn("main", names)
        # 0.3 s of CPU work (longer in wall time on a busy machine: the
        # program measured it), then 1.3 s asleep
        print("wall samples=%d burn share=%.3f expected %.3f" % (total, burn / total, t_burn / t_all))
        self.assertGreater(total, 0.5 * t_all * 200)
        self.assertAlmostEqual(burn / total, t_burn / t_all, delta=0.05)

    def test_sleeps_never_cut_short(self):
        """1500 rounds of 0.5 ms of work then a short nanosleep and usleep, at
        1000 Hz: the samplers signal only running threads, but a thread can
        fall asleep between the check and the signal; sleeps are never
        restarted (SA_RESTART does not apply), so without the collector's
        sleep wrappers 10-32 of them returned early per run."""
        src = os.path.join(self.tmp, "sleeps.c")
        with open(src, "w") as f:
            f.write(r"""
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(void) {
    int ns = 0, us = 0; volatile unsigned x = 0;
    for (int i = 0; i < 1500; i++) {
        double t0 = now(); while (now() - t0 < 0.0005) x++;
        struct timespec ts = {0, 300000};
        if (nanosleep(&ts, NULL) != 0) ns++;
        if (usleep(200) != 0) us++;
    }
    printf("nanosleep cut short %d, usleep cut short %d\n", ns, us);
    return 0;
}
""")
        exe = os.path.join(self.tmp, "sleeps")
        compile_c(src, exe)
        base = subprocess.run([exe], capture_output=True, timeout=60)
        self.assertEqual(base.stdout, b"nanosleep cut short 0, usleep cut short 0\n")
        for mode in ("wall", "cpu"):
            with self.subTest(mode=mode):
                out = os.path.join(self.tmp, "sleeps-%s.kiln" % mode)
                r = self.record(out, [exe], hz=1000, mode=mode)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, base.stdout)
                self.assertGreater(sum(n for _, n in Kiln(out).samples()), 0)

    # ---- the fault suite --------------------------------------------------------

    def fault(self, mode, args=(), hz=None):
        out = os.path.join(self.tmp, "fault-%s.kiln" % mode)
        base = subprocess.run([self.faults, mode, *args], capture_output=True, timeout=60)
        rec = self.record(out, [self.faults, mode, *args], hz=hz)
        self.assertEqual(rec.stdout, base.stdout, mode)
        self.assertEqual(rec.returncode, base.returncode, mode)
        # preloaded by hand: stderr identical too (the collector is silent)
        env = dict(os.environ, KILN_OUTPUT=out + "-direct", LD_PRELOAD=self.lib)
        if hz:
            env["KILN_HZ"] = str(hz)
        env.pop("KILN_ROOT_PID", None)
        direct = subprocess.run([self.faults, mode, *args], capture_output=True, timeout=60, env=env)
        self.assertEqual(direct.stdout, base.stdout, mode)
        self.assertEqual(direct.returncode, base.returncode, mode)
        self.assertEqual(direct.stderr, base.stderr, mode)
        files = self.profiles(out)
        self.assertIn(out, files)
        kilns = {}
        for f in files:
            self.assert_readable(f)
            kilns[f] = Kiln(f)
        self.assertGreater(sum(n for _, n in kilns[out].samples()), 0, mode)
        return out, kilns

    def cpu_seconds(self, k):
        return sum(v[0] for v in k.values.values()) / 1e9

    def test_fault_fork(self):
        out, k = self.fault("fork")
        self.assertEqual(len(k), 2, "the child must write its own file")
        child = [f for f in k if f != out][0]
        self.assertTrue(k[out].complete and k[child].complete)
        # parent: 0.3 s + 0.1 s; child: 0.2 s of its own, none of the parent's
        self.assertLess(self.cpu_seconds(k[child]), 0.3)
        self.assertGreater(self.cpu_seconds(k[child]), 0.1)
        self.assertGreater(self.cpu_seconds(k[out]), 0.25)

    def test_fault_exec(self):
        out, k = self.fault("exec")
        self.assertTrue(k[out].complete, "the pre-exec image's profile is finished before exec")
        others = [f for f in k if f != out]
        self.assertEqual(len(others), 1, "the new image writes its own file")
        self.assertGreater(self.cpu_seconds(k[others[0]]), 0.1)

    def test_fault_exec_fails_then_continues(self):
        out, k = self.fault("exec-fail")
        self.assertEqual(len(k), 2)  # finished before exec, continued in <out>.<pid>
        cont = [f for f in k if f != out][0]
        self.assertGreater(self.cpu_seconds(k[cont]), 0.1)

    def test_fault_64_threads(self):
        out, k = self.fault("threads")
        self.assertTrue(k[out].complete)
        # 0.3 s + 64 x 30 ms of CPU; a thread loses its last unfinished
        # 10 ms period, and the workload's system time is not sampled
        self.assertGreater(self.cpu_seconds(k[out]), 0.3 + 64 * 0.015)

    def test_fault_segv(self):
        out, k = self.fault("segv")
        self.assertEqual(len(k), 1)
        self.assertGreater(self.cpu_seconds(k[out]), 0.15)

    def test_fault_exit(self):
        out, k = self.fault("exit")
        self.assertTrue(k[out].complete, "_exit flushes")

    def test_fault_abort(self):
        out, k = self.fault("abort")
        self.assertGreater(self.cpu_seconds(k[out]), 0.15)

    def test_fault_sigkill(self):
        out, k = self.fault("kill")
        self.assertFalse(k[out].complete)  # nothing runs after SIGKILL...
        self.assertGreater(self.cpu_seconds(k[out]), 0.1)  # ...but the streamed chunks are there

    def test_fault_program_owns_sigprof(self):
        out, k = self.fault("sigprof")
        rec = self.record(out + "-again", [self.faults, "sigprof"])
        self.assertIn(b"own SIGPROF handler ran: yes", rec.stdout)
        self.assertIn("collector_note", k[out].meta)
        self.assertGreater(self.cpu_seconds(k[out]), 0.4)  # still sampled, on another signal

    # ---- processes without fork(), threads without pthread_create (PRE-03) -----

    def test_fault_vfork_exec(self):
        out, k = self.fault("vfork", hz=1000)
        rec = self.record(out + "-again", [self.faults, "vfork"], hz=1000)
        self.assertIn(b"vfork + exec: child status 4", rec.stdout)  # the new image was not killed
        self.assertIn(b"vfork: parent intact: yes", rec.stdout)
        self.assertTrue(k[out].complete)
        # the failed exec left no file; the exec'd image wrote its own
        others = [f for f in k if f != out]
        self.assertEqual(len(others), 1)
        self.assertLess(self.cpu_seconds(k[others[0]]), 0.25)
        self.assertGreater(self.cpu_seconds(k[out]), 0.35)  # 0.3 s + 0.2 s in the parent

    def test_fault_posix_spawn(self):
        out, k = self.fault("spawn", hz=1000)
        rec = self.record(out + "-again", [self.faults, "spawn"], hz=1000)
        for line in (b"posix_spawn rc 0, child status 4", b"posix_spawnp sh rc 0, child status 3",
                     b"10 x posix_spawnp true: 10 ok", b"system: status 2", b"posix_spawn: parent intact: yes"):
            self.assertIn(line, rec.stdout)
        self.assertTrue(k[out].complete)
        self.assertGreater(self.cpu_seconds(k[out]), 0.35)
        # the spawned image of faults burned 0.1 s and has its own file
        spawned = [f for f in k if f != out and self.cpu_seconds(k[f]) > 0.03]
        self.assertEqual(len(spawned), 1)

    def test_fault_clone_without_clone_thread(self):
        out, k = self.fault("clone", hz=1000)
        rec = self.record(out + "-again", [self.faults, "clone"], hz=1000)
        for line in (b"clone: child status 6, flag 0", b"clone CLONE_VM: child status 0, flag 2",
                     b"clone CLONE_VM|CLONE_VFORK + exec: child status 4", b"clone: parent intact: yes"):
            self.assertIn(line, rec.stdout)
        self.assertTrue(k[out].complete)
        # docs/record.md: a clone() child that does not exec is not profiled
        # (no atfork handler runs), the exec'd image is
        self.assertEqual(len(k), 2)
        cpu = self.cpu_seconds(k[out])
        self.assertGreater(cpu, 0.4)  # 0.3 s + 0.2 s in the parent ...
        self.assertLess(cpu, 0.65)    # ... and not the children's 2 x 0.1 s

    def test_raw_clone_thread_not_hurt(self):
        out, k = self.fault("rawthread", hz=1000)
        rec = self.record(out + "-again", [self.faults, "rawthread"], hz=1000)
        self.assertIn(b"raw thread done: burned 0.4 s", rec.stdout)
        self.assertTrue(k[out].complete)
        cpu = self.cpu_seconds(k[out])
        # the main thread's 0.5 s; the raw thread's 0.4 s is not sampled (docs/record.md)
        self.assertGreater(cpu, 0.4)
        self.assertLess(cpu, 0.75)

    # ---- dlopen/dlclose churn while another thread is sampled (PRE-16) -------------

    def hwm_kb(self, env):
        r = subprocess.run([self.faults, "dlchurn", self.churnlib, "3000"], capture_output=True, timeout=120,
                           env=dict(env, FAULTS_RSS="1"))
        self.assertEqual(r.returncode, 0)
        return int(r.stderr.decode().split("hwm_kb ")[1].split()[0])

    def test_dlopen_churn(self):
        # timeouts in fault() catch a deadlock with the loader lock
        out, k = self.fault("dlchurn", [self.churnlib, "3000"], hz=2000)
        self.assertTrue(k[out].complete)
        self.assertGreater(self.cpu_seconds(k[out]), 0.2)
        # superseded module tables are freed: memory does not grow with the churn
        without = self.hwm_kb(os.environ)
        env = dict(os.environ, KILN_OUTPUT=out + "-rss", LD_PRELOAD=self.lib, KILN_HZ="2000")
        env.pop("KILN_ROOT_PID", None)
        with_ = self.hwm_kb(env)
        print("dlopen churn: peak RSS %d KB without the collector, %d KB with" % (without, with_))
        self.assertLess(with_ - without, 6 * 1024)

    # ---- a daemonizing program (PRE-17) ---------------------------------------------

    def daemon_run(self, name, cmd_prefix, env=None, cwd=None):
        d = os.path.join(self.tmp, "daemon-" + name)
        os.mkdir(d)
        r = subprocess.run([*cmd_prefix, self.faults, "daemon", d], capture_output=True, timeout=60,
                           env=env, cwd=cwd)
        files = {}
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f), "rb") as fh:
                files[f] = fh.read()
        return r, files

    def test_daemon_closes_everything(self):
        base, want = self.daemon_run("base", [])
        self.assertIn(b"daemon done", want["daemon.out"])
        self.assertEqual(len(want), 11)
        for mode in ("cpu", "wall"):
            out = os.path.join(self.tmp, "daemon-%s.kiln" % mode)
            r, got = self.daemon_run("rec-" + mode, [KILN, "record", "-q", "-o", out, "--mode", mode, "--"])
            self.assertEqual((r.stdout, r.returncode), (base.stdout, base.returncode), mode)
            # byte for byte what the program wrote: no profile bytes, no wake-up
            # bytes, and the descriptor numbers the program got are the same
            self.assertEqual(got, want, mode)
            self.assert_readable(out)
            p = Kiln(out)
            self.assertTrue(p.complete, mode)
            total = self.cpu_seconds(p)
            print("daemon %s: %.2f s sampled (0.3 s before daemonizing, 0.85 s after)" % (mode, total))
            # still sampled after every descriptor was closed
            self.assertGreater(total, 0.8, mode)
            if mode == "cpu" and p.meta.get("collector_timer") == "perf_event task-clock":
                self.assertIn("timer_create", p.meta.get("collector_note", ""))
        # a relative KILN_OUTPUT is resolved at start: chdir("/") does not move it
        env = dict(os.environ, KILN_OUTPUT="daemon-rel.kiln", LD_PRELOAD=self.lib)
        env.pop("KILN_ROOT_PID", None)
        r, got = self.daemon_run("direct", [], env=env, cwd=self.tmp)
        self.assertEqual((r.stdout, r.stderr, r.returncode), (base.stdout, base.stderr, base.returncode))
        self.assertEqual(got, want)
        self.assertFalse(os.path.exists("/daemon-rel.kiln"))
        self.assertTrue(Kiln(os.path.join(self.tmp, "daemon-rel.kiln")).complete)

    # ---- async-signal safety by construction ----------------------------------

    def test_handler_path_symbols(self):
        objs = []
        for name in ("handler.c", "unwind.c"):
            o = os.path.join(self.tmp, name + ".o")
            subprocess.run(["gcc", "-O2", "-fPIC", "-D_GNU_SOURCE", "-std=c11", "-c",
                            "-I" + os.path.join(SRC, "collector", "preload"),
                            os.path.join(SRC, "collector", "preload", name), "-o", o], check=True)
            objs.append(o)
        merged = os.path.join(self.tmp, "handler_path.o")
        subprocess.run(["ld", "-r", "-o", merged, *objs], check=True)
        out = subprocess.run(["nm", "-u", merged], capture_output=True, text=True, check=True).stdout
        undefined = {line.split()[-1] for line in out.splitlines() if line.strip()}
        allowed = {"ioctl", "timer_getoverrun", "__errno_location", "memcpy", "memset",
                   "__stack_chk_fail", "kc_g", "kc_modules", "_GLOBAL_OFFSET_TABLE_"}
        self.assertEqual(undefined - allowed, set(), "the signal path calls something unsafe")
        self.assertNotIn("__tls_get_addr", undefined)

    # ---- the command line --------------------------------------------------------

    def test_cli(self):
        r = subprocess.run([KILN, "record"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([KILN, "record", "--mode", "nonesuch", "--", "true"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cpu", r.stderr)
        out = os.path.join(self.tmp, "nf.kiln")
        r = subprocess.run([KILN, "record", "-o", out, "--", "/nonexistent/prog"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 127)
        r = subprocess.run([KILN, "record", "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        for word in ("KILN_OUTPUT", "KILN_HZ", "KILN_MODE", "KILN_DEBUG", "wall", "<pid>"):
            self.assertIn(word, r.stdout)
        # options after the program belong to the program
        r = subprocess.run([KILN, "record", "-q", "-o", out, "sh", "-c", "echo -o x; exit 4"],
                           capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout), (4, "-o x\n"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
