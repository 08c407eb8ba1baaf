/* Analysis tested on synthetic profiles (perf-style): a table of fake
 * functions and call edges, built through profile.h exactly as the cProfile
 * importer would, and the classification each one must get.
 *
 * The main table mirrors fixtures/python/prof/slow_n8000_runcall.prof
 * (times in seconds, from its pstats output):
 *
 *   run_pipeline   1      self 0.000 total 0.277   junction (root)
 *   parse_lines    1      self 0.003 total 0.070   junction, one callee
 *   parse_line     8000   self 0.026 total 0.067
 *   re.compile     48000  self 0.007 total 0.024   regex family, 6/call
 *   re._compile    48000  self 0.012 total 0.017
 *   _compiler.compile  6  self 0.005 total 0.005   (stands for all of re's cache misses)
 *   search         48000  self 0.011 total 0.011
 *   unique_events  1      self 0.111 total 0.114   slow leaf, linear scan
 *   event_key      8000   self 0.003 total 0.003
 *   build          1      self 0.003 total 0.082   junction, one callee
 *   add_line       5732   self 0.080 total 0.080   slow leaf, linear scan
 *   score_events   1      self 0.001 total 0.009
 *   retry_budget   57313/1 self 0.007 total 0.007  recursion blow-up
 *
 * Expected ranking (leverage = saved percent points per hour):
 *   unique_events (scan) > add_line (scan) > regex compile > retry_budget. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/analysis.h"
#include "kiln/profile.h"

typedef struct {
    const char *name, *file;
    uint32_t line;
    int64_t calls, prim;
    double self, total;
} fake_func;

typedef struct {
    int caller, callee;
    int64_t calls, prim;
    double self, total;
} fake_edge;

static kiln_profile *build_graph(const fake_func *fs, size_t nf, const fake_edge *es, size_t ne)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "cpu", "seconds");
    kiln_profile_set_graph_given(p, 1);
    kiln_func_id ids[64];
    for (size_t i = 0; i < nf; i++) {
        kiln_frame fr = {0};
        fr.name = kiln_profile_intern_cstr(p, fs[i].name);
        fr.file = kiln_profile_intern_cstr(p, fs[i].file);
        fr.line = fs[i].line;
        fr.kind = fs[i].file[0] == '~' ? KILN_KIND_BUILTIN : KILN_KIND_PYTHON;
        ids[i] = kiln_profile_func(p, kiln_profile_frame(p, &fr));
        kiln_func *f = kiln_profile_func_get(p, ids[i]);
        f->calls = fs[i].calls;
        f->prim_calls = fs[i].prim;
        f->self = fs[i].self;
        f->total = fs[i].total;
    }
    for (size_t i = 0; i < ne; i++) {
        kiln_edge *e = kiln_profile_edge(p, ids[es[i].caller], ids[es[i].callee]);
        e->calls = es[i].calls;
        e->prim_calls = es[i].prim;
        e->self = es[i].self;
        e->total = es[i].total;
    }
    kiln_error err;
    kiln_error_clear(&err);
    if (kiln_profile_finish(p, &err) != KILN_OK)
        fprintf(stderr, "finish: %s\n", err.msg);
    return p;
}

static const char *fname(const kiln_profile *p, kiln_func_id f)
{
    if (f == KILN_NONE)
        return "(none)";
    return kiln_profile_frame_name(p, kiln_profile_func_at(p, f)->frame);
}

static const kiln_finding *find(const kiln_analysis *a, const kiln_profile *p, kiln_pattern pat,
                                const char *name)
{
    for (size_t i = 0; i < a->n_findings; i++)
        if (a->findings[i].pattern == pat && strcmp(fname(p, a->findings[i].func), name) == 0)
            return &a->findings[i];
    return NULL;
}

#define SRC "/home/dev/logpipe/scripts/src_slow/logpipe/"
#define RE "/usr/lib/python3.11/re/__init__.py"

static const fake_func slow_funcs[] = {
    /* 0 */ {"run_pipeline", SRC "pipeline.py", 15, 1, 1, 0.0003, 0.277},
    /* 1 */ {"parse_lines", SRC "parse.py", 26, 1, 1, 0.003, 0.070},
    /* 2 */ {"parse_line", SRC "parse.py", 13, 8000, 8000, 0.026, 0.067},
    /* 3 */ {"compile", RE, 225, 48000, 48000, 0.007, 0.024},
    /* 4 */ {"_compile", RE, 272, 48000, 48000, 0.012, 0.017},
    /* 5 */ {"<method 'search' of 're.Pattern' objects>", "~", 0, 48000, 48000, 0.011, 0.011},
    /* 6 */ {"unique_events", SRC "dedupe.py", 5, 1, 1, 0.111, 0.114},
    /* 7 */ {"event_key", SRC "dedupe.py", 1, 8000, 8000, 0.003, 0.003},
    /* 8 */ {"build", SRC "report.py", 9, 1, 1, 0.003, 0.082},
    /* 9 */ {"add_line", SRC "report.py", 5, 5732, 5732, 0.080, 0.080},
    /* 10 */ {"score_events", SRC "scoring.py", 11, 1, 1, 0.001, 0.009},
    /* 11 */ {"retry_budget", SRC "scoring.py", 1, 57313, 1, 0.007, 0.007},
    /* 12 */ {"<method 'disable' of '_lsprof.Profiler' objects>", "~", 0, 1, 1, 0.0, 0.0},
    /* 13 */ {"compile", "/usr/lib/python3.11/re/_compiler.py", 738, 6, 6, 0.005, 0.005},
};
static const fake_edge slow_edges[] = {
    {0, 1, 1, 1, 0.003, 0.070},     {1, 2, 8000, 8000, 0.026, 0.067},
    {2, 3, 48000, 48000, 0.007, 0.024}, {3, 4, 48000, 48000, 0.012, 0.017},
    {2, 5, 48000, 48000, 0.011, 0.011}, {0, 6, 1, 1, 0.111, 0.114},
    {6, 7, 8000, 8000, 0.003, 0.003}, {0, 8, 1, 1, 0.003, 0.082},
    {8, 9, 5732, 5732, 0.080, 0.080}, {0, 10, 1, 1, 0.001, 0.009},
    {10, 11, 1, 1, 0.007, 0.007},   {11, 11, 57312, 0, 0.007, 0.007},
    {0, 12, 1, 1, 0.0, 0.0},        {4, 13, 6, 6, 0.005, 0.005},
};

static void test_slow_profile(void)
{
    kiln_profile *p = build_graph(slow_funcs, sizeof slow_funcs / sizeof *slow_funcs, slow_edges,
                                  sizeof slow_edges / sizeof *slow_edges);
    kiln_analysis *a = NULL;
    kiln_error err;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    if (!a)
        return;
    /* run = sum of self */
    CHECK_EQ_DBL(a->run_total, 0.2693, 1e-9);
    CHECK_EQ_INT(a->has_calls, 1);

    /* slow leaves: unique_events first, then add_line; nothing else >= 5% */
    CHECK_EQ_INT(a->n_leaves, 2);
    if (a->n_leaves == 2) {
        CHECK_EQ_STR(fname(p, a->leaves[0].func), "unique_events");
        CHECK_EQ_STR(fname(p, a->leaves[1].func), "add_line");
        CHECK_EQ_DBL(a->leaves[0].self_ratio, 0.111 / 0.114, 1e-9);
        CHECK_EQ_DBL(a->leaves[0].share, 0.111 / 0.2693, 1e-9);
    }
    /* busy junctions: run_pipeline, build, parse_lines (by total) */
    CHECK_EQ_INT(a->n_junctions, 3);
    if (a->n_junctions == 3) {
        CHECK_EQ_STR(fname(p, a->junctions[0].func), "run_pipeline");
        CHECK_EQ_STR(fname(p, a->junctions[1].func), "build");
        CHECK_EQ_STR(fname(p, a->junctions[2].func), "parse_lines");
        CHECK_EQ_STR(fname(p, a->junctions[1].top_child), "add_line");
        CHECK_EQ_STR(fname(p, a->junctions[0].top_child), "unique_events");
    }

    const kiln_finding *f = find(a, p, KILN_PAT_RECURSION, "retry_budget");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_INT(f->calls, 57313);
        CHECK_EQ_INT(f->prim_calls, 1);
        CHECK_EQ_DBL(f->ratio, 57313.0, 1e-9);
        CHECK(strstr(f->evidence, "57313") != NULL);
    }
    f = find(a, p, KILN_PAT_REGEX_COMPILE, "parse_line");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_INT(f->calls, 48000);
        CHECK_EQ_STR(fname(p, f->other), "compile");
        CHECK_EQ_DBL(f->ratio, 6.0, 1e-9);
        CHECK_EQ_DBL(f->time, 0.024, 1e-12);   /* entry edge total, _compile not added twice */
    }
    CHECK(find(a, p, KILN_PAT_LINEAR_SCAN, "unique_events") != NULL);
    CHECK(find(a, p, KILN_PAT_LINEAR_SCAN, "add_line") != NULL);
    f = find(a, p, KILN_PAT_DOMINANT_CALLEE, "build");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_STR(fname(p, f->other), "add_line");
        CHECK_EQ_DBL(f->ratio, 0.080 / 0.082, 1e-9);
    }
    /* 8000 calls per call of parse_lines, but each costs 8 us: not "cheap
     * calls", so no call-count explosion */
    CHECK(find(a, p, KILN_PAT_CALL_EXPLOSION, "parse_lines") == NULL);
    /* findings are sorted by share */
    for (size_t i = 1; i < a->n_findings; i++)
        CHECK(a->findings[i - 1].share >= a->findings[i].share);

    /* recommendations: ranked by leverage, one per function */
    /* the fifth: event_key, 8000 calls per call of unique_events at 0.38 us
     * each (1.1% of the run): a weak call-count explosion, ranked last */
    CHECK_EQ_INT(a->n_recs, 5);
    const char *order[] = {"unique_events", "add_line", "parse_line", "retry_budget", "unique_events"};
    const kiln_pattern pats[] = {KILN_PAT_LINEAR_SCAN, KILN_PAT_LINEAR_SCAN, KILN_PAT_REGEX_COMPILE,
                                 KILN_PAT_RECURSION, KILN_PAT_CALL_EXPLOSION};
    for (size_t i = 0; i < a->n_recs && i < 5; i++) {
        const kiln_recommendation *r = &a->recs[i];
        CHECK_EQ_STR(fname(p, r->func), order[i]);
        CHECK_EQ_INT(r->pattern, pats[i]);
        const kiln_pattern_info *pi = kiln_pattern_info_get(r->pattern);
        CHECK_EQ_INT(r->category, pi->category);
        CHECK_EQ_DBL(r->effort_hours, pi->effort_hours, 0);
        /* Amdahl, recomputed here from the inputs */
        CHECK_EQ_DBL(r->speedup, 1.0 / ((1.0 - r->share) + r->share * r->remaining), 1e-12);
        CHECK_EQ_DBL(r->saved_share, r->share * (1.0 - r->remaining), 1e-12);
        CHECK_EQ_DBL(r->leverage, 100.0 * r->saved_share / r->effort_hours, 1e-9);
        if (i)
            CHECK(a->recs[i - 1].leverage >= r->leverage);
    }
    if (a->n_recs >= 5) {
        CHECK_EQ_STR(fname(p, a->recs[4].other), "event_key");
        CHECK_EQ_INT(a->recs[0].category, 'B');
        CHECK_EQ_INT(a->recs[2].category, 'C');
        CHECK_EQ_INT(a->recs[3].category, 'A');
        CHECK_EQ_DBL(a->recs[0].share, 0.111 / 0.2693, 1e-9);
        CHECK_EQ_DBL(a->recs[2].share, 0.024 / 0.2693, 1e-9);
        CHECK_EQ_DBL(a->recs[3].share, 0.007 / 0.2693, 1e-9);
        /* disjoint regions here, so marginal == standalone saving */
        for (int i = 0; i < 5; i++)
            CHECK_EQ_DBL(a->recs[i].marginal_saved, a->recs[i].saved_share, 1e-9);
    }
    /* 80/20: the two scans save (0.111 + 0.080) * 0.95 = 0.18145 of 0.2693,
     * out of a combined 0.20215: 89.8% >= 80% */
    CHECK_EQ_INT(a->pareto_count, 2);
    double combined = (0.111 * 0.95 + 0.080 * 0.95 + 0.024 * 0.95 + 0.007 * 0.9 + 0.003 * 0.5) / 0.2693;
    CHECK_EQ_DBL(a->combined_saved_share, combined, 1e-9);
    CHECK_EQ_DBL(a->combined_speedup, 1.0 / (1.0 - combined), 1e-9);
    CHECK_EQ_INT(a->recs[0].in_pareto, 1);
    CHECK_EQ_INT(a->recs[1].in_pareto, 1);
    CHECK_EQ_INT(a->recs[2].in_pareto, 0);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

/* Thresholds are respected: recursion under the ratio or the call floor is
 * not a blow-up; custom options move the cut. */
static void test_recursion_thresholds(void)
{
    static const fake_func fs[] = {
        {"main", "m.py", 1, 1, 1, 0.0, 1.0},
        {"fib", "m.py", 5, 8361, 1, 0.5, 0.5},        /* flagged */
        {"walk", "m.py", 9, 16072, 135, 0.3, 0.3},    /* ratio 119: legit recursion */
        {"small", "m.py", 20, 900, 1, 0.2, 0.2},      /* under 1000 calls */
    };
    static const fake_edge es[] = {
        {0, 1, 1, 1, 0.5, 0.5}, {1, 1, 8360, 0, 0.5, 0.5}, {0, 2, 135, 135, 0.3, 0.3},
        {2, 2, 15937, 0, 0.3, 0.3}, {0, 3, 1, 1, 0.2, 0.2}, {3, 3, 899, 0, 0.2, 0.2},
    };
    kiln_profile *p = build_graph(fs, 4, es, 6);
    kiln_analysis *a = NULL;
    kiln_error err;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    CHECK(find(a, p, KILN_PAT_RECURSION, "fib") != NULL);
    CHECK(find(a, p, KILN_PAT_RECURSION, "walk") == NULL);
    CHECK(find(a, p, KILN_PAT_RECURSION, "small") == NULL);
    kiln_analysis_free(a);

    kiln_analysis_opts o;
    kiln_analysis_opts_default(&o);
    CHECK_EQ_DBL(o.recursion_min_ratio, 500, 0);
    o.recursion_min_ratio = 100;
    o.recursion_min_calls = 500;
    CHECK_EQ_INT(kiln_analyze(p, &o, &a, &err), KILN_OK);
    CHECK(find(a, p, KILN_PAT_RECURSION, "walk") != NULL);
    CHECK(find(a, p, KILN_PAT_RECURSION, "small") != NULL);
    CHECK_EQ_DBL(a->opts.recursion_min_ratio, 100, 0);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

/* Families by name and file, with the builtin spellings cProfile uses. */
static void test_families(void)
{
    static const fake_func fs[] = {
        {"main", "app.py", 1, 1, 1, 0.01, 1.0},
        {"<built-in method time.sleep>", "~", 0, 10, 10, 0.30, 0.30},
        {"<method 'acquire' of '_thread.lock' objects>", "~", 0, 5, 5, 0.10, 0.10},
        {"dumps", "/usr/lib/python3.11/json/__init__.py", 183, 100, 100, 0.01, 0.20},
        {"encode", "/usr/lib/python3.11/json/encoder.py", 183, 100, 100, 0.19, 0.19},
        {"<built-in method io.open>", "~", 0, 40, 40, 0.15, 0.15},
        {"<built-in method math.sqrt>", "~", 0, 200000, 200000, 0.05, 0.05},
        {"compile", "/usr/lib/python2.7/re.py", 188, 10, 10, 0.001, 0.001},
        {"tokens", "app.py", 30, 1, 1, 0.19, 0.19},
    };
    static const fake_edge es[] = {
        {0, 1, 10, 10, 0.30, 0.30}, {0, 2, 5, 5, 0.10, 0.10},   {0, 3, 100, 100, 0.01, 0.20},
        {3, 4, 100, 100, 0.19, 0.19}, {0, 5, 40, 40, 0.15, 0.15}, {0, 6, 200000, 200000, 0.05, 0.05},
        {0, 7, 10, 10, 0.001, 0.001}, {0, 8, 1, 1, 0.19, 0.19},
    };
    kiln_profile *p = build_graph(fs, 9, es, 8);
    CHECK_EQ_INT(kiln_func_family(p, 1), KILN_PAT_SLEEP);
    CHECK_EQ_INT(kiln_func_family(p, 2), KILN_PAT_LOCK);
    CHECK_EQ_INT(kiln_func_family(p, 3), KILN_PAT_SERIALIZE);
    CHECK_EQ_INT(kiln_func_family(p, 4), KILN_PAT_SERIALIZE);
    CHECK_EQ_INT(kiln_func_family(p, 5), KILN_PAT_IO);
    CHECK_EQ_INT(kiln_func_family(p, 6), KILN_PAT_NUMERIC_LOOP);
    CHECK_EQ_INT(kiln_func_family(p, 7), KILN_PAT_REGEX_COMPILE);
    CHECK_EQ_INT(kiln_func_family(p, 8), KILN_PAT_COUNT_);
    CHECK_EQ_INT(kiln_func_family(p, 0), KILN_PAT_COUNT_);

    kiln_analysis *a = NULL;
    kiln_error err;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    CHECK(find(a, p, KILN_PAT_SLEEP, "main") != NULL);
    CHECK(find(a, p, KILN_PAT_LOCK, "main") != NULL);
    CHECK(find(a, p, KILN_PAT_IO, "main") != NULL);
    CHECK(find(a, p, KILN_PAT_NUMERIC_LOOP, "main") != NULL);
    const kiln_finding *f = find(a, p, KILN_PAT_SERIALIZE, "main");
    CHECK(f != NULL);
    if (f) /* json.dumps -> encoder counted once through the entry edge */
        CHECK_EQ_DBL(f->time, 0.20, 1e-12);
    /* 0.1% of the run: under finding_min_share */
    CHECK(find(a, p, KILN_PAT_REGEX_COMPILE, "main") == NULL);
    /* one recommendation per (function, pattern): each family under main
     * is its own change */
    size_t sleeps = 0;
    for (size_t i = 0; i < a->n_recs; i++)
        sleeps += a->recs[i].pattern == KILN_PAT_SLEEP;
    CHECK_EQ_INT(sleeps, 1);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

/* Many cheap calls per caller call: a call-count explosion. */
static void test_explosion(void)
{
    static const fake_func fs[] = {
        {"main", "a.py", 1, 1, 1, 0.1, 1.0},
        {"lookup", "a.py", 10, 500000, 500000, 0.4, 0.4},   /* 0.8 us per call */
        {"heavy", "a.py", 20, 2000, 2000, 0.5, 0.5},        /* 250 us per call, 2000/call */
    };
    static const fake_edge es[] = {{0, 1, 500000, 500000, 0.4, 0.4}, {0, 2, 2000, 2000, 0.5, 0.5}};
    kiln_profile *p = build_graph(fs, 3, es, 2);
    kiln_analysis *a = NULL;
    kiln_error err;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    const kiln_finding *f = find(a, p, KILN_PAT_CALL_EXPLOSION, "main");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_STR(fname(p, f->other), "lookup");
        CHECK_EQ_DBL(f->ratio, 500000.0, 1e-9);
    }
    /* heavy is not cheap per call: a slow leaf with a big per-call cost */
    CHECK(find(a, p, KILN_PAT_LINEAR_SCAN, "heavy") != NULL);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

/* A sampled profile (tree only, no call counts): leaves and junctions come
 * from the derived graph, call-count rules stay silent. */
static void test_sampled_tree(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "samples", "count");
    const char *names[] = {"main", "parse", "hash", "memcpy", "malloc"};
    kiln_frame_id fr[5];
    for (int i = 0; i < 5; i++) {
        kiln_frame f = {0};
        f.name = kiln_profile_intern_cstr(p, names[i]);
        f.kind = KILN_KIND_NATIVE;
        fr[i] = kiln_profile_frame(p, &f);
    }
    struct { int frames[4]; int depth; double n; } stacks[] = {
        {{0, 1, 2}, 3, 60}, {{0, 1, 3}, 3, 20}, {{0, 4}, 2, 15}, {{0}, 1, 5},
    };
    for (size_t i = 0; i < 4; i++) {
        kiln_frame_id ids[4];
        for (int d = 0; d < stacks[i].depth; d++)
            ids[d] = fr[stacks[i].frames[d]];
        kiln_profile_add_stack(p, ids, (size_t)stacks[i].depth, &stacks[i].n);
    }
    kiln_error err;
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    kiln_analysis *a = NULL;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    CHECK_EQ_DBL(a->run_total, 100, 1e-9);
    CHECK_EQ_INT(a->has_calls, 0);
    CHECK(a->n_leaves >= 3);
    if (a->n_leaves >= 3) {
        CHECK_EQ_STR(fname(p, a->leaves[0].func), "hash");
        CHECK_EQ_STR(fname(p, a->leaves[1].func), "memcpy");
        CHECK_EQ_STR(fname(p, a->leaves[2].func), "malloc");
    }
    CHECK(find(a, p, KILN_PAT_ALLOC, "main") != NULL);
    for (size_t i = 0; i < a->n_findings; i++) {
        CHECK(a->findings[i].pattern != KILN_PAT_RECURSION);
        CHECK(a->findings[i].pattern != KILN_PAT_LINEAR_SCAN);
        CHECK(a->findings[i].pattern != KILN_PAT_CALL_EXPLOSION);
    }
    /* main -> parse holds 80% of main: dominant callee */
    CHECK(find(a, p, KILN_PAT_DOMINANT_CALLEE, "main") != NULL);
    CHECK(a->n_junctions >= 1);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

/* A recommendation nested below a higher-ranked one only adds its marginal
 * gain: combined savings never exceed the run. */
static void test_overlap(void)
{
    static const fake_func fs[] = {
        {"main", "a.py", 1, 1, 1, 0.0, 1.0},
        {"fib", "a.py", 5, 100000, 1, 0.2, 0.9},          /* recursion over 90% */
        {"inner", "a.py", 9, 100000, 100000, 0.7, 0.7},   /* 7 us/call leaf under fib */
        {"other", "a.py", 19, 1, 1, 0.1, 0.1},
    };
    static const fake_edge es[] = {
        {0, 1, 1, 1, 0.9, 0.9}, {1, 1, 99999, 0, 0.9, 0.9}, {1, 2, 100000, 100000, 0.7, 0.7},
        {0, 3, 1, 1, 0.1, 0.1},
    };
    kiln_profile *p = build_graph(fs, 4, es, 4);
    kiln_analysis *a = NULL;
    kiln_error err;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    double sum = 0, sum_marginal = 0;
    for (size_t i = 0; i < a->n_recs; i++) {
        sum += a->recs[i].saved_share;
        sum_marginal += a->recs[i].marginal_saved;
        CHECK(a->recs[i].marginal_saved <= a->recs[i].saved_share + 1e-12);
        CHECK(a->recs[i].marginal_saved >= -1e-12);
    }
    CHECK(a->n_recs >= 2);
    CHECK(sum > a->combined_saved_share);           /* overlap was removed */
    CHECK_EQ_DBL(sum_marginal, a->combined_saved_share, 1e-9);
    CHECK(a->combined_saved_share < 1.0);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

static void test_empty(void)
{
    kiln_profile *p = kiln_profile_new();
    kiln_profile_add_sample_type(p, "cpu", "seconds");
    kiln_error err;
    CHECK_EQ_INT(kiln_profile_finish(p, &err), KILN_OK);
    kiln_analysis *a = NULL;
    CHECK_EQ_INT(kiln_analyze(p, NULL, &a, &err), KILN_OK);
    CHECK(a != NULL);
    if (a) {
        CHECK_EQ_INT(a->n_leaves + a->n_junctions + a->n_findings + a->n_recs, 0);
        CHECK_EQ_DBL(a->combined_speedup, 1.0, 0);
    }
    kiln_analysis_free(a);
    kiln_profile_free(p);
    for (int i = 0; i < KILN_PAT_COUNT_; i++) {
        const kiln_pattern_info *pi = kiln_pattern_info_get((kiln_pattern)i);
        CHECK(pi && pi->category >= 'A' && pi->category <= 'D');
        CHECK(pi && pi->remaining >= 0 && pi->remaining < 1 && pi->effort_hours > 0);
    }
    CHECK(kiln_pattern_info_get(KILN_PAT_COUNT_) == NULL);
}

/* Measured growth (kiln_growth): evidence appended to every finding on the
 * function; a superlinear-growth finding (Category B) only for a function
 * growing by its own doing (calls it makes, or time per call), not for a
 * callee whose calls grow, a built-in, a library function, or one a
 * linear-scan finding already names. */
static kiln_powerfit fit_of(double k, double r2)
{
    kiln_powerfit f = {k, 1.0, r2, 4, k >= 1.6 ? KILN_CX_QUADRATIC : KILN_CX_LINEAR, 0};
    return f;
}

static void test_growth(void)
{
    kiln_profile *p = build_graph(slow_funcs, sizeof slow_funcs / sizeof *slow_funcs, slow_edges,
                                  sizeof slow_edges / sizeof *slow_edges);
    kiln_growth g[5];
    memset(g, 0, sizeof g);
    /* build: the calls it makes grow as n^2 (exact counts), time only 1.5 */
    g[0].func = 8, g[0].fit = fit_of(1.5, 0.99), g[0].calls_fit = fit_of(0, 1), g[0].calls_out_fit = fit_of(2, 1);
    /* add_line: called n^2 times, time n^2 as well: per call constant */
    g[1].func = 9, g[1].fit = fit_of(2.0, 0.99), g[1].calls_fit = fit_of(2.0, 1);
    /* unique_events: quadratic time, but the linear-scan finding speaks */
    g[2].func = 6, g[2].fit = fit_of(2.0, 0.999), g[2].calls_fit = fit_of(0, 1);
    /* the 'search' built-in and re.compile: never rewritten */
    g[3].func = 5, g[3].fit = fit_of(2.5, 0.99), g[3].calls_fit = fit_of(0, 1);
    g[4].func = 3, g[4].fit = fit_of(2.5, 0.99), g[4].calls_fit = fit_of(0, 1);
    for (int i = 0; i < 5; i++)
        g[i].size_min = 1000, g[i].size_max = 8000, g[i].series = (size_t)i;
    kiln_analysis_opts o;
    kiln_analysis_opts_default(&o);
    o.growth = g;
    o.n_growth = 5;
    kiln_analysis *a = NULL;
    kiln_error err;
    CHECK_EQ_INT(kiln_analyze(p, &o, &a, &err), KILN_OK);
    if (!a)
        return;
    CHECK(a->growth != g && a->opts.growth == a->growth && a->n_growth == 5);
    const kiln_finding *f = find(a, p, KILN_PAT_SUPERLINEAR, "build");
    CHECK(f != NULL);
    if (f) {
        CHECK(strstr(f->evidence, "calls made \xE2\x88\x9D n^2.00") != NULL);
        CHECK_EQ_DBL(f->time, 0.082, 1e-12);
        CHECK_EQ_INT(f->growth, 0);
    }
    CHECK(find(a, p, KILN_PAT_SUPERLINEAR, "add_line") == NULL);
    CHECK(find(a, p, KILN_PAT_SUPERLINEAR, "unique_events") == NULL);
    CHECK(find(a, p, KILN_PAT_SUPERLINEAR, "compile") == NULL);
    CHECK(find(a, p, KILN_PAT_SUPERLINEAR, "<method 'search' of 're.Pattern' objects>") == NULL);
    f = find(a, p, KILN_PAT_LINEAR_SCAN, "unique_events");
    CHECK(f && strstr(f->evidence, "time \xE2\x88\x9D n^2.00, R\xC2\xB2 0.999: quadratic") && f->growth == 2);
    f = find(a, p, KILN_PAT_LINEAR_SCAN, "add_line");
    CHECK(f && strstr(f->evidence, "calls \xE2\x88\x9D n^2.00") && f->growth == 1);
    /* the superlinear recommendation is Category B, addressing build's subtree */
    int seen = 0;
    for (size_t i = 0; i < a->n_recs; i++)
        if (a->recs[i].pattern == KILN_PAT_SUPERLINEAR) {
            seen++;
            CHECK_EQ_INT(a->recs[i].category, 'B');
            CHECK_EQ_STR(fname(p, a->recs[i].func), "build");
        }
    CHECK_EQ_INT(seen, 1);
    /* a higher threshold removes it */
    kiln_analysis_free(a);
    o.growth_min_exponent = 2.5;
    CHECK_EQ_INT(kiln_analyze(p, &o, &a, &err), KILN_OK);
    CHECK(a && find(a, p, KILN_PAT_SUPERLINEAR, "build") == NULL);
    kiln_analysis_free(a);
    kiln_profile_free(p);
}

int main(void)
{
    test_slow_profile();
    test_recursion_thresholds();
    test_families();
    test_explosion();
    test_sampled_tree();
    test_overlap();
    test_empty();
    test_growth();
    return check_done();
}
