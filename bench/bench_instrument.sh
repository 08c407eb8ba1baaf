#!/bin/sh
# Cost of kiln's -finstrument-functions runtime and allocation tracker, side
# by side with the floor (glibc's empty hooks), uftrace and gprof (-pg), and
# heaptrack. CPU time (user+sys) of the whole run, median of REPS runs; the
# added cost per call is ((instrumented - floor) at size 2 - the same at
# size 1) / (calls at size 2 - calls at size 1), with the call counts taken
# exactly from kiln's own profile. Usage:
#   bench/bench_instrument.sh [BUILD_DIR]    (default: build)
# Env: REPS (default 3). Tools that are missing are reported and skipped.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
KILN=$BUILD/cmd/kiln
COL=$BUILD/collector
REPS=${REPS:-3}
W=$(mktemp -d /tmp/kiln-bench-instr.XXXXXX)
trap 'rm -rf "$W"' EXIT

cat > "$W/fib.c" <<'E'
#include <stdio.h>
#include <stdlib.h>
long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int c, char **v) { int n = atoi(v[1]); printf("%ld\n", fib(n)); return 0; }
E
cat > "$W/hash.c" <<'E'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct ent { unsigned key; unsigned val; struct ent *next; } ent;
static ent *tab[1 << 16];
static unsigned hash(unsigned k) { k ^= k >> 16; k *= 0x45d9f3b; return k ^ (k >> 16); }
static ent *find(unsigned k) { for (ent *e = tab[hash(k) & 0xffff]; e; e = e->next) if (e->key == k) return e; return NULL; }
static void put(unsigned k) {
    ent *e = find(k);
    if (e) { e->val++; return; }
    e = malloc(sizeof *e); e->key = k; e->val = 1; e->next = tab[hash(k) & 0xffff]; tab[hash(k) & 0xffff] = e;
}
static int cmp(const void *a, const void *b) { unsigned x = *(const unsigned *)a, y = *(const unsigned *)b; return x < y ? -1 : x > y; }
int main(int c, char **v) {
    int n = atoi(v[1]); unsigned *keys = malloc(n * sizeof *keys), x = 1;
    for (int i = 0; i < n; i++) { x = x * 1103515245u + 12345u; keys[i] = x % (n / 2 + 1); put(keys[i]); }
    qsort(keys, n, sizeof *keys, cmp);
    unsigned long s = 0; for (int i = 0; i < n; i++) s += find(keys[i])->val;
    printf("%lu\n", s); return 0;
}
E
cat > "$W/mt.c" <<'E'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
static int n;
__attribute__((noinline)) static unsigned step(unsigned x) { return x * 2654435761u + 1; }
__attribute__((noinline)) static unsigned inner(unsigned x) { for (int i = 0; i < 10; i++) x = step(x); return x; }
static void *run(void *a) { unsigned x = (unsigned)(size_t)a; for (int i = 0; i < n; i++) x = inner(x); return (void *)(size_t)x; }
int main(int c, char **v) {
    n = atoi(v[1]); pthread_t t[8]; unsigned s = 0; void *r;
    for (int i = 0; i < 8; i++) pthread_create(&t[i], 0, run, (void *)(size_t)i);
    for (int i = 0; i < 8; i++) { pthread_join(t[i], &r); s += (unsigned)(size_t)r; }
    printf("%u\n", s); return 0;
}
E
cat > "$W/storm.c" <<'E'
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
static int n;
__attribute__((noinline)) static void *get(size_t k) { return malloc(k); }
static void *run(void *a) {
    void *volatile keep[64] = {0};
    for (int i = 0; i < n; i++) { int j = i & 63; free(keep[j]); keep[j] = get(16 + (size_t)(i % 200)); }
    for (int j = 0; j < 64; j++) free(keep[j]);
    return a;
}
int main(int c, char **v) {
    n = atoi(v[1]); pthread_t t[8];
    for (int i = 0; i < 8; i++) pthread_create(&t[i], 0, run, 0);
    for (int i = 0; i < 8; i++) pthread_join(t[i], 0);
    printf("ok\n"); return 0;
}
E

for p in fib hash mt; do
    gcc -O2 -g -pthread -finstrument-functions "$W/$p.c" -o "$W/$p.fi"
    gcc -O2 -g -pthread -finstrument-functions "$W/$p.c" $("$KILN" cflags --link) -o "$W/$p.lnk"
    gcc -O2 -g -pthread -pg "$W/$p.c" -o "$W/$p.pg"
done
gcc -O2 -g -pthread "$W/storm.c" -o "$W/storm"

# cpu SECONDS of one command (median of REPS), run in $W with a timeout
cpu() {
    for i in $(seq "$REPS"); do
        ( cd "$W" && rm -rf uftrace.data gmon.out && \
          /usr/bin/time -f "%U %S" -o "$W/t" timeout -k 5 300 "$@" >/dev/null 2>&1 ) || echo "FAILED($?)" >> "$W/fail"
        awk '{printf "%.4f\n", $1 + $2}' "$W/t"
    done | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'
}
calls() { # exact instrumented calls of PROG ARG, from kiln's own profile
    KILN_OUTPUT="$W/c.kiln" LD_PRELOAD="$COL/libkiln-instrument.so" "$W/$1.fi" "$2" >/dev/null
    "$KILN" top --sort calls --limit 100000 "$W/c.kiln" 2>/dev/null |
        awk '$0 ~ /^ *[LJ ]? *[0-9.]+%/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+(\/[0-9]+)?$/) {split($i, a, "/"); s += a[1]; break}} END{print s}'
}

echo "machine: $(nproc) CPUs, $(uname -r); median of $REPS runs; CPU = user+sys seconds"
printf '%-6s %-9s %12s %9s %9s %9s %9s %9s\n' work size calls floor kiln-pre kiln-lnk uftrace gprof
sizes_fib="30 33"; sizes_hash="300000 900000"; sizes_mt="200000 600000"
have_uftrace=$(command -v uftrace >/dev/null && echo 1 || echo 0)
for p in fib hash mt; do
    eval sizes=\$sizes_$p
    for s in $sizes; do
        c=$(calls $p $s)
        f=$(cpu "$W/$p.fi" $s)
        kp=$(KILN_OUTPUT="$W/o.kiln" LD_PRELOAD="$COL/libkiln-instrument.so" cpu "$W/$p.fi" $s)
        kl=$(KILN_OUTPUT="$W/o.kiln" cpu "$W/$p.lnk" $s)
        if [ "$have_uftrace" = 1 ]; then u=$(cpu uftrace record --no-libcall -d "$W/uftrace.data" "$W/$p.fi" $s); else u=-; fi
        g=$(cpu "$W/$p.pg" $s)
        printf '%-6s %-9s %12s %9s %9s %9s %9s %9s\n' $p $s $c $f $kp $kl $u $g
        echo "$p $s $c $f $kp $kl $u $g" >> "$W/rows"
    done
done
echo
echo "added ns per call = (delta instrumented - delta floor) / delta calls, between the two sizes:"
awk '{k=$1; if (k in c1) {dc=$3-c1[k];
        printf "  %-5s kiln preloaded %6.1f  kiln linked %6.1f  uftrace %s  (gprof total CPU %s s vs floor %s s)\n", k,
          (($5-kp1[k])-($4-f1[k]))*1e9/dc, (($6-kl1[k])-($4-f1[k]))*1e9/dc,
          ($7=="-" ? "-" : sprintf("%6.1f", (($7-u1[k])-($4-f1[k]))*1e9/dc)), $8, $4}
      else {c1[k]=$3; f1[k]=$4; kp1[k]=$5; kl1[k]=$6; u1[k]=$7}}' "$W/rows"
ls -l "$W/o.kiln" | awk '{print "  kiln profile size (last run): " $5 " bytes"}'

echo
echo "allocation mode, 8-thread malloc storm (each event = one malloc or free):"
for s in 200000 600000; do
    p=$(cpu "$W/storm" $s)
    k=$(KILN_OUTPUT="$W/a.kiln" LD_PRELOAD="$COL/libkiln-alloc.so" cpu "$W/storm" $s)
    if command -v heaptrack >/dev/null; then h=$(cpu heaptrack -o "$W/ht" "$W/storm" $s); else h=-; fi
    echo "$s $p $k $h" >> "$W/arows"
    printf '  n=%-8s events=%-9s plain %6s s  kiln %6s s  heaptrack %6s s\n' $s $((16 * s)) $p $k $h
done
awk '{if (NR==1) {s=$1; p=$2; k=$3; h=$4} else {e=16*($1-s);
      printf "  added per event: kiln %.3f us, heaptrack %s us\n", (($3-k)-($2-p))*1e6/e,
        ($4=="-" ? "-" : sprintf("%.3f", (($4-h)-($2-p))*1e6/e))}}' "$W/arows"
[ -f "$W/fail" ] && { echo "some runs failed or timed out:"; sort "$W/fail" | uniq -c; }
exit 0
