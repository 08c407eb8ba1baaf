/* kiln/analysis.h: what the measured profile says, as numbers.
 *
 * kiln_analyze() reads a finished kiln_profile (its function-level call
 * graph) and produces, without rendering anything:
 *
 *   slow leaf nodes    functions whose own time dominates (self/total high)
 *                      and is a large share of the run;
 *   busy junctions     large total, small self: time spread over children;
 *   findings           pattern detectors, each a small rule that states its
 *                      evidence in numbers (recursion blow-up, call-count
 *                      explosion under one caller, known costly families,
 *                      time mostly in one callee, linear scans, and, given
 *                      measured growth with input size, superlinear growth);
 *   recommendations    one per function, category A-D as in the seed
 *                      workflow, with an Amdahl's-law estimate of the
 *                      whole-program speedup, effort in hours from a fixed
 *                      table, leverage, and the 80/20 set.
 *
 * Every threshold is an option with a stated default (kiln_analysis_opts);
 * renderers print them. All estimates are estimates: the local speedup of a
 * fix ("remaining fraction") and its effort come from kiln_pattern_info(),
 * a fixed table that the report prints.
 *
 * Text produced here (evidence) holds only numbers and fixed words, never a
 * name from the profile: names are referred to by kiln_func_id so renderers
 * escape them for their output format. */
#ifndef KILN_ANALYSIS_H
#define KILN_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/complexity.h"
#include "kiln/profile.h"
#include "kiln/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_analysis_opts {
    double leaf_min_self_ratio;       /* slow leaf: self/total >= this (0.80) */
    double leaf_min_share;            /* slow leaf: self/run >= this (0.05) */
    double junction_min_share;        /* busy junction: total/run >= this (0.10) */
    double junction_max_self_ratio;   /* busy junction: self/total <= this (0.20) */
    double recursion_min_ratio;       /* recursion: calls/primitive >= this (500) */
    int64_t recursion_min_calls;      /* recursion: calls >= this (1000) */
    double explosion_min_per_call;    /* explosion: edge calls per caller call >= (1000) */
    double explosion_max_callee_us;   /* explosion: callee total per call <= (5 us) */
    double dominant_min_ratio;        /* one callee: edge total/caller total >= (0.80) */
    double scan_min_us_per_call;      /* linear scan: leaf self per call >= (5 us) */
    double finding_min_share;         /* findings below this share are dropped (0.01) */
    double pareto_target;             /* the 80/20 statement's cover (0.80) */
    uint32_t max_list;                /* leaves/junctions kept (20) */
    uint32_t max_recommendations;     /* (12) */
    /* Empirical complexity (kiln_growth_match), or NULL: borrowed for the
     * call, copied into the analysis. Every finding on a function with a
     * measured growth states it in its evidence. A function grows
     * superlinearly by its own doing when the calls it makes grow as n^k
     * with k >= growth_min_exponent, or its time per call does (time
     * exponent minus calls exponent) with R² >= growth_min_r2 (or at two
     * sizes). Such a function that holds >= finding_min_share of the run and
     * is neither a built-in nor a costly-family member gets a
     * superlinear-growth finding (Category B) unless a linear-scan or
     * recursion finding already speaks for it. */
    const kiln_growth *growth;
    size_t n_growth;
    double growth_min_exponent;       /* (1.6, where "quadratic" starts: timed
                                       * growth of linear code measures up to
                                       * ~1.6 over small sizes from cache effects) */
    double growth_min_r2;             /* (0.90) */
} kiln_analysis_opts;

/* Fills o with the defaults above. */
void kiln_analysis_opts_default(kiln_analysis_opts *o);

typedef enum kiln_pattern {
    KILN_PAT_SLOW_LEAF = 0,      /* a hot leaf with no more specific pattern */
    KILN_PAT_BUSY_JUNCTION,      /* time spread over children */
    KILN_PAT_RECURSION,          /* calls >> primitive calls: memoize */
    KILN_PAT_CALL_EXPLOSION,     /* many cheap calls per caller call: hoist/batch/cache */
    KILN_PAT_REGEX_COMPILE,      /* re.compile / re._compile in a hot path */
    KILN_PAT_IO,                 /* file/socket I/O */
    KILN_PAT_SLEEP,              /* sleeps */
    KILN_PAT_LOCK,               /* lock/condition waits */
    KILN_PAT_ALLOC,              /* allocation / garbage collection */
    KILN_PAT_SERIALIZE,          /* JSON / pickle / marshal (de)serialisation */
    KILN_PAT_NUMERIC_LOOP,       /* Python-level loop over numbers (math builtins) */
    KILN_PAT_DOMINANT_CALLEE,    /* a function whose time is mostly in one callee */
    KILN_PAT_LINEAR_SCAN,        /* a hot leaf with a large per-call cost */
    KILN_PAT_SUPERLINEAR,        /* measured time grows faster than the input */
    KILN_PAT_COUNT_
} kiln_pattern;

/* The fixed table behind every estimate (printed by the report). */
typedef struct kiln_pattern_info {
    const char *id;          /* "recursion" */
    const char *title;       /* "Recursion blow-up" */
    char category;           /* 'A'..'D' as in the seed workflow */
    double remaining;        /* estimated fraction of the addressed time left after the fix */
    double effort_hours;     /* estimated implementation effort */
    const char *current;     /* the current pattern, in words */
    const char *proposed;    /* the proposed change, in words */
    const char *root_cause;  /* why this is slow */
} kiln_pattern_info;

/* Borrowed static entry; NULL for an invalid pattern. */
const kiln_pattern_info *kiln_pattern_info_get(kiln_pattern p);

/* A function in the slow-leaf or busy-junction list. */
typedef struct kiln_hot_func {
    kiln_func_id func;
    double self, total;       /* in the graph's sample type */
    double self_ratio;        /* self/total */
    double share;             /* self/run for leaves, total/run for junctions */
    kiln_func_id top_child;   /* junctions: the most expensive callee, or KILN_NONE */
    double top_child_total;   /* its total on this edge */
    uint32_t expensive_children; /* callees holding >= 10% of this function's total */
} kiln_hot_func;

typedef struct kiln_finding {
    kiln_pattern pattern;
    kiln_func_id func;        /* the subject (for families: the calling function) */
    kiln_func_id other;       /* explosion/family/dominant: the callee; else KILN_NONE */
    double time;              /* the time the finding addresses (graph units) */
    double share;             /* time / run */
    int64_t calls;            /* calls involved (edge or function), 0 = unknown */
    int64_t prim_calls;       /* recursion: primitive calls */
    double ratio;             /* recursion: calls/prim; explosion/family: calls per
                               * caller call; dominant: callee share; scan: us/call;
                               * superlinear: the growth exponent */
    int growth;               /* index into growth[] when the function's growth
                               * was measured (stated in evidence), else -1 */
    char evidence[512];       /* numbers only, e.g. "57313 calls, 1 primitive (57313:1)..." */
} kiln_finding;

typedef struct kiln_recommendation {
    uint32_t finding;         /* index into findings */
    kiln_pattern pattern;
    char category;            /* 'A'..'D' */
    kiln_func_id func, other; /* as in the finding */
    double share;             /* p: measured share of the run this change addresses */
    double remaining;         /* r: estimated fraction of that time left (table) */
    double speedup;           /* Amdahl: 1 / ((1 - p) + p * r) */
    double saved_share;       /* p * (1 - r): fraction of the run saved */
    double saved_time;        /* saved_share * run (graph units) */
    double effort_hours;      /* table */
    double leverage;          /* saved percent points per hour: 100 * saved_share / effort */
    double marginal_saved;    /* run share saved by this change on top of all
                               * higher-ranked ones (overlap removed, see analysis.c) */
    int in_pareto;            /* 1 when part of the smallest prefix covering the target */
} kiln_recommendation;

typedef struct kiln_analysis {
    kiln_analysis_opts opts;  /* the thresholds used */
    int type;                 /* sample type of the graph */
    const char *unit;         /* borrowed from the profile: "seconds", "nanoseconds", ... */
    double run_total;         /* sum of self over all functions */
    int64_t total_calls, prim_calls; /* sums over functions (0 when unknown) */
    int has_calls;            /* 1 when the profile has call counts */

    kiln_hot_func *leaves;    size_t n_leaves;
    kiln_hot_func *junctions; size_t n_junctions;
    kiln_finding *findings;   size_t n_findings;      /* sorted by share, largest first */
    kiln_recommendation *recs; size_t n_recs;         /* ranked: highest leverage first */
    kiln_growth *growth;      size_t n_growth;        /* the measured growth used (a copy) */

    double combined_saved_share; /* all recommendations together, overlap removed */
    double combined_speedup;     /* 1 / (1 - combined_saved_share) */
    size_t pareto_count;         /* recommendations in the 80/20 set */
    double pareto_saved_share;   /* what that set saves */
} kiln_analysis;

/* Analyses a finished profile. opts may be NULL (defaults). On success *out
 * is new (free with kiln_analysis_free); the analysis keeps no pointer into
 * the profile except `unit`, so the profile must outlive the analysis when
 * unit is used. An empty profile (no functions or no time) is analysed into
 * empty lists, not an error. */
kiln_status kiln_analyze(const kiln_profile *p, const kiln_analysis_opts *opts,
                         kiln_analysis **out, kiln_error *err);
void kiln_analysis_free(kiln_analysis *a);

/* Which costly family a function belongs to (KILN_PAT_REGEX_COMPILE ..
 * KILN_PAT_NUMERIC_LOOP), or KILN_PAT_COUNT_ when none. Decided from the
 * frame's name and file only. */
kiln_pattern kiln_func_family(const kiln_profile *p, kiln_func_id f);

#ifdef __cplusplus
}
#endif
#endif
