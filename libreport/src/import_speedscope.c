/* Importer for speedscope's JSON file format (file-format-spec.ts in
 * jlfwong/speedscope). Owner: helper "interchange".
 *
 * shared.frames become kiln frames (name, file, line). Profiles:
 *   - written by kiln (exporter "kiln..."): profile i is sample type i, its
 *     name "<file name> (<type>)" gives the type's name: kiln -> speedscope
 *     -> kiln keeps every type;
 *   - otherwise profiles are threads/processes of one measure: with more
 *     than one, each gets a root frame (kind process) named after it; time
 *     units are converted to nanoseconds (type "time"), bytes stay bytes,
 *     "none" is "samples" in "count". A profile with another kind of unit
 *     than the first is skipped with a warning.
 * Sampled profiles add each sample (frame indices root first) with its
 * weight; evented ones replay open/close events, giving each stack the time
 * between consecutive events while it is on top. Events must nest and `at`
 * must not decrease. Errors name the JSON path, or the line for bad JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "import_internal.h"

#define SPEEDSCOPE_MAX_INPUT ((uint64_t)1 << 30)

typedef struct sstate {
    kiln_profile *p;
    kiln_error *err;
    const kiln_import_opts *opts;
    kiln_frame_id *frames;
    size_t nframes;
    kiln_frame_id *stack;
    size_t cap;
} sstate;

static kiln_status bad(sstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static kiln_status bad(sstate *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_status st = kiln_error_setv(s->err, KILN_ERR_DATA, fmt, ap);
    va_end(ap);
    return st;
}

/* Time unit to nanoseconds factor; 0 for non-time units. */
static double ns_factor(const char *u)
{
    if (!strcmp(u, "nanoseconds"))
        return 1;
    if (!strcmp(u, "microseconds"))
        return 1e3;
    if (!strcmp(u, "milliseconds"))
        return 1e6;
    if (!strcmp(u, "seconds"))
        return 1e9;
    return 0;
}

static kiln_status load_frames(sstate *s, json_t *root)
{
    json_t *frames = json_object_get(json_object_get(root, "shared"), "frames");
    if (!json_is_array(frames))
        return bad(s, "shared.frames: missing or not an array");
    size_t n = json_array_size(frames);
    if (n > KILN_MAX_FRAMES)
        return kiln_error_set(s->err, KILN_ERR_LIMIT, "shared.frames: more than %u frames", KILN_MAX_FRAMES);
    s->frames = malloc((n ? n : 1) * sizeof *s->frames);
    if (!s->frames)
        return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(frames, i), *name = json_object_get(f, "name");
        if (!json_is_string(name))
            return bad(s, "shared.frames[%zu]: no \"name\" string", i);
        kiln_frame fr;
        memset(&fr, 0, sizeof fr);
        fr.name = kiln_profile_intern(s->p, json_string_value(name), json_string_length(name));
        json_t *file = json_object_get(f, "file"), *line = json_object_get(f, "line");
        if (json_is_string(file))
            fr.file = kiln_profile_intern(s->p, json_string_value(file), json_string_length(file));
        if (json_is_integer(line) && json_integer_value(line) > 0 && json_integer_value(line) < UINT32_MAX)
            fr.line = (uint32_t)json_integer_value(line);
        if (fr.name == KILN_NONE || fr.file == KILN_NONE)
            return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
        s->frames[i] = kiln_profile_frame(s->p, &fr);
        if (s->frames[i] == KILN_NONE)
            return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
    }
    s->nframes = n;
    return KILN_OK;
}

static int frame_index(sstate *s, json_t *v, kiln_frame_id *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (size_t)json_integer_value(v) >= s->nframes)
        return -1;
    *out = s->frames[json_integer_value(v)];
    return 0;
}

static int reserve(sstate *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t nc = s->cap ? s->cap : 256;
    while (nc < n)
        nc *= 2;
    kiln_frame_id *a = realloc(s->stack, nc * sizeof *a);
    if (!a)
        return -1;
    s->stack = a;
    s->cap = nc;
    return 0;
}

/* Adds one profile: values go to sample type t, scaled; root (a frame, or
 * KILN_NONE) is put above every stack. */
static kiln_status add_profile(sstate *s, json_t *prof, size_t pi, int t, double scale, kiln_frame_id root)
{
    double values[KILN_MAX_SAMPLE_TYPES] = {0};
    const char *type = json_string_value(json_object_get(prof, "type"));
    size_t base = root != KILN_NONE;
    if (reserve(s, 1) < 0)
        return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
    if (base)
        s->stack[0] = root;
    if (type && !strcmp(type, "sampled")) {
        json_t *samples = json_object_get(prof, "samples"), *weights = json_object_get(prof, "weights");
        if (!json_is_array(samples))
            return bad(s, "profiles[%zu].samples: missing or not an array", pi);
        if (weights && (!json_is_array(weights) || json_array_size(weights) != json_array_size(samples)))
            return bad(s, "profiles[%zu].weights: not an array as long as samples", pi);
        for (size_t i = 0; i < json_array_size(samples); i++) {
            json_t *smp = json_array_get(samples, i);
            if (!json_is_array(smp))
                return bad(s, "profiles[%zu].samples[%zu]: not an array", pi, i);
            size_t depth = json_array_size(smp);
            if (depth + base > KILN_MAX_DEPTH)
                return kiln_error_set(s->err, KILN_ERR_LIMIT, "profiles[%zu].samples[%zu]: deeper than %u", pi,
                                      i, KILN_MAX_DEPTH);
            if (reserve(s, depth + base) < 0)
                return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
            for (size_t k = 0; k < depth; k++)
                if (frame_index(s, json_array_get(smp, k), &s->stack[base + k]) < 0)
                    return bad(s, "profiles[%zu].samples[%zu][%zu]: not a frame index", pi, i, k);
            double w = 1;
            if (weights) {
                json_t *wv = json_array_get(weights, i);
                if (!json_is_number(wv) || !isfinite(json_number_value(wv)))
                    return bad(s, "profiles[%zu].weights[%zu]: not a number", pi, i);
                w = json_number_value(wv);
            }
            values[t] = w * scale;
            if (kiln_profile_add_stack(s->p, s->stack, depth + base, values) == KILN_NONE)
                return kiln_error_set(s->err, KILN_ERR_LIMIT, "more than %u tree nodes", KILN_MAX_NODES);
        }
        return KILN_OK;
    }
    if (!type || strcmp(type, "evented"))
        return bad(s, "profiles[%zu].type: neither \"sampled\" nor \"evented\"", pi);
    json_t *events = json_object_get(prof, "events");
    if (!json_is_array(events))
        return bad(s, "profiles[%zu].events: missing or not an array", pi);
    json_t *sv = json_object_get(prof, "startValue");
    double prev = json_is_number(sv) ? json_number_value(sv) : 0;
    kiln_node_id top = base ? kiln_profile_child(s->p, KILN_ROOT, root) : KILN_ROOT;
    kiln_node_id bottom = top;
    if (top == KILN_NONE)
        return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *ev = json_array_get(events, i), *at = json_object_get(ev, "at");
        const char *et = json_string_value(json_object_get(ev, "type"));
        kiln_frame_id f;
        if (!json_is_number(at) || !isfinite(json_number_value(at)) || !et ||
            frame_index(s, json_object_get(ev, "frame"), &f) < 0)
            return bad(s, "profiles[%zu].events[%zu]: needs type, at and a frame index", pi, i);
        double now = json_number_value(at);
        if (now < prev)
            return bad(s, "profiles[%zu].events[%zu]: \"at\" goes back in time", pi, i);
        if (top != bottom)
            kiln_profile_add_self(s->p, top, t, (now - prev) * scale);
        prev = now;
        if (!strcmp(et, "O")) {
            if (kiln_profile_node_depth(s->p, top) >= KILN_MAX_DEPTH)
                return kiln_error_set(s->err, KILN_ERR_LIMIT, "profiles[%zu].events[%zu]: deeper than %u", pi,
                                      i, KILN_MAX_DEPTH);
            top = kiln_profile_child(s->p, top, f);
            if (top == KILN_NONE)
                return kiln_error_set(s->err, KILN_ERR_LIMIT, "more than %u tree nodes", KILN_MAX_NODES);
        } else if (!strcmp(et, "C")) {
            if (top == bottom || kiln_profile_node_frame(s->p, top) != f)
                return bad(s, "profiles[%zu].events[%zu]: closes a frame that is not open on top", pi, i);
            top = kiln_profile_node_parent(s->p, top);
        } else {
            return bad(s, "profiles[%zu].events[%zu]: type is neither \"O\" nor \"C\"", pi, i);
        }
    }
    if (top != bottom)
        return bad(s, "profiles[%zu].events: frames left open at the end", pi);
    return KILN_OK;
}

static kiln_status import(sstate *s, json_t *root)
{
    if (!json_is_object(root))
        return bad(s, "line 1: not a JSON object");
    kiln_status st = load_frames(s, root);
    if (st)
        return st;
    json_t *profiles = json_object_get(root, "profiles");
    if (!json_is_array(profiles))
        return bad(s, "profiles: missing or not an array");
    size_t np = json_array_size(profiles);
    const char *exporter = json_string_value(json_object_get(root, "exporter"));
    int by_type = exporter && !strncmp(exporter, "kiln", 4) && np <= KILN_MAX_SAMPLE_TYPES;
    json_t *name = json_object_get(root, "name");
    if (by_type) {
        for (size_t i = 0; i < np; i++) {
            json_t *prof = json_array_get(profiles, i);
            const char *pn = json_string_value(json_object_get(prof, "name"));
            const char *unit = json_string_value(json_object_get(prof, "unit"));
            char tname[128] = "value";
            const char *open = pn ? strrchr(pn, '(') : NULL;
            size_t pl = pn ? strlen(pn) : 0;
            if (open && pl && pn[pl - 1] == ')' && (size_t)(pn + pl - 1 - open - 1) < sizeof tname) {
                size_t k = (size_t)(pn + pl - 1 - open - 1);
                memcpy(tname, open + 1, k);
                tname[k] = 0;
            }
            if (!unit || !strcmp(unit, "none"))
                unit = "count";
            if (kiln_profile_add_sample_type(s->p, tname, unit) != (int)i)
                return bad(s, "profiles[%zu]: cannot add sample type '%s'", i, tname);
        }
        for (size_t i = 0; i < np && st == KILN_OK; i++)
            st = add_profile(s, json_array_get(profiles, i), i, (int)i, 1.0, KILN_NONE);
    } else {
        const char *unit0 = np ? json_string_value(json_object_get(json_array_get(profiles, 0), "unit")) : NULL;
        if (!unit0)
            unit0 = "none";
        int time = ns_factor(unit0) > 0;
        if (time)
            kiln_profile_add_sample_type(s->p, "time", "nanoseconds");
        else if (!strcmp(unit0, "bytes"))
            kiln_profile_add_sample_type(s->p, "space", "bytes");
        else
            kiln_profile_add_sample_type(s->p, "samples", "count");
        for (size_t i = 0; i < np && st == KILN_OK; i++) {
            json_t *prof = json_array_get(profiles, i);
            const char *unit = json_string_value(json_object_get(prof, "unit"));
            if (!unit)
                unit = "none";
            double f = ns_factor(unit);
            if (time ? f == 0 : strcmp(unit, unit0) != 0) {
                ki_warn(s->opts, "profiles[%zu]: unit '%s' differs from the first profile's; skipped", i, unit);
                continue;
            }
            kiln_frame_id top_frame = KILN_NONE;
            if (np > 1) {
                json_t *pn = json_object_get(prof, "name");
                kiln_frame fr;
                memset(&fr, 0, sizeof fr);
                fr.kind = KILN_KIND_PROCESS;
                fr.name = json_is_string(pn) ? kiln_profile_intern(s->p, json_string_value(pn), json_string_length(pn))
                                             : kiln_profile_intern_cstr(s->p, "profile");
                top_frame = fr.name == KILN_NONE ? KILN_NONE : kiln_profile_frame(s->p, &fr);
                if (top_frame == KILN_NONE)
                    return kiln_error_set(s->err, KILN_ERR_NOMEM, "out of memory");
            }
            st = add_profile(s, prof, i, 0, time ? f : 1.0, top_frame);
        }
    }
    if (st == KILN_OK && json_is_string(name) && !kiln_profile_meta_get(s->p, KILN_META_COMMAND))
        st = kiln_profile_meta_set(s->p, KILN_META_COMMAND, json_string_value(name));
    if (st == KILN_OK && exporter)
        st = kiln_profile_meta_set(s->p, KILN_META_TOOL, exporter);
    return st;
}

kiln_status ki_import_speedscope(ki_reader *r, const kiln_import_opts *opts, kiln_profile *p, kiln_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (ki_reader_slurp(r, SPEEDSCOPE_MAX_INPUT, &data, &len) < 0)
        return err->status;
    json_error_t je;
    json_t *root = json_loadb((const char *)data, len, 0, &je);
    free(data);
    if (!root)
        return kiln_error_set(err, KILN_ERR_DATA, "line %d: %s", je.line, je.text);
    sstate s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.err = err;
    s.opts = opts;
    kiln_status st = import(&s, root);
    json_decref(root);
    free(s.frames);
    free(s.stack);
    return st;
}

int ki_sniff_speedscope(const unsigned char *head, size_t len)
{
    size_t i = 0;
    while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if (i >= len || head[i] != '{')
        return 0;
    return memmem(head, len, "speedscope.app/file-format-schema.json", 38) ? 90 : 0;
}
