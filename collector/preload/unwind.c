/* The unwinder: a small DWARF CFI interpreter over the .eh_frame_hdr binary
 * search tables that modules.c prepared outside the signal handler, with a
 * frame-pointer walk as the fallback for code without unwind tables (JIT
 * code, stripped hand-written assembly). Handler path: no calls into libc at
 * all; every memory read is bounds-checked against the module's segment or
 * the thread's stack. */
#include "collector.h"

typedef struct cursor {
    const uint8_t *p, *end;
    int bad;
} cursor;

static uint8_t rd_u8(cursor *c)
{
    if (c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

static uint64_t rd_fixed(cursor *c, int n)
{
    if (c->end - c->p < n) {
        c->bad = 1;
        c->p = c->end;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint64_t rd_uleb(cursor *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        uint8_t b = rd_u8(c);
        if (c->bad)
            return 0;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = 1;
    return 0;
}

static int64_t rd_sleb(cursor *c)
{
    uint64_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
        b = rd_u8(c);
        if (c->bad || shift >= 70) {
            c->bad = 1;
            return 0;
        }
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

static int64_t sext(uint64_t v, int bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    return (int64_t)((v ^ m) - m);
}

/* A pointer in DW_EH_PE encoding. Indirect pointers (only used for
 * personality routines) are returned undereferenced. */
static uint64_t rd_enc(cursor *c, uint8_t enc, const kc_module *m)
{
    if (enc == 0xff)
        return 0;
    uintptr_t here = (uintptr_t)c->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = rd_fixed(c, 8); break;
    case 0x01: v = rd_uleb(c); break;
    case 0x02: v = rd_fixed(c, 2); break;
    case 0x03: v = rd_fixed(c, 4); break;
    case 0x04: v = rd_fixed(c, 8); break;
    case 0x09: v = (uint64_t)rd_sleb(c); break;
    case 0x0a: v = (uint64_t)sext(rd_fixed(c, 2), 16); break;
    case 0x0b: v = (uint64_t)sext(rd_fixed(c, 4), 32); break;
    case 0x0c: v = rd_fixed(c, 8); break;
    default: c->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += here; break;
    case 0x30: v += (uintptr_t)m->hdr; break;
    default: c->bad = 1; return 0;
    }
    return v;
}

/* ---- CIE / FDE ------------------------------------------------------------- */

typedef struct frame_info {
    uint64_t code_align;
    int64_t data_align;
    unsigned ra_reg;
    int signal_frame;
    uint64_t pc_begin, pc_end;
    const uint8_t *cie_ins, *cie_end; /* initial instructions */
    const uint8_t *fde_ins, *fde_end;
    uint8_t fde_enc;
    int has_z;
} frame_info;

/* Reads an entry's length; sets *end to the entry's end. 0 or -1. */
static int entry_bounds(const kc_module *m, const uint8_t *at, cursor *c, const uint8_t **end, int *is64)
{
    c->p = at;
    c->end = m->mem_hi;
    c->bad = 0;
    if (at < m->mem_lo)
        return -1;
    uint64_t len = rd_fixed(c, 4);
    *is64 = 0;
    if (len == 0xffffffffu) {
        len = rd_fixed(c, 8);
        *is64 = 1;
    }
    if (c->bad || len == 0 || len > (uint64_t)(m->mem_hi - c->p))
        return -1;
    *end = c->p + len;
    c->end = *end;
    return 0;
}

static int parse_cie(const kc_module *m, const uint8_t *at, frame_info *fi)
{
    cursor c;
    const uint8_t *end;
    int is64;
    if (entry_bounds(m, at, &c, &end, &is64) < 0)
        return -1;
    uint64_t id = rd_fixed(&c, is64 ? 8 : 4);
    if (id != 0)
        return -1;
    uint8_t version = rd_u8(&c);
    if (version != 1 && version != 3 && version != 4)
        return -1;
    char aug[8];
    int na = 0;
    for (;;) {
        uint8_t ch = rd_u8(&c);
        if (c.bad || na >= (int)sizeof aug - 1)
            return -1;
        if (!ch)
            break;
        aug[na++] = (char)ch;
    }
    aug[na] = 0;
    if (version == 4) {
        rd_u8(&c); /* address size */
        rd_u8(&c); /* segment size */
    }
    fi->code_align = rd_uleb(&c);
    fi->data_align = rd_sleb(&c);
    fi->ra_reg = version == 1 ? rd_u8(&c) : (unsigned)rd_uleb(&c);
    fi->fde_enc = 0; /* absptr */
    fi->signal_frame = 0;
    fi->has_z = na > 0 && aug[0] == 'z';
    if (fi->has_z) {
        uint64_t alen = rd_uleb(&c);
        if (c.bad || alen > (uint64_t)(c.end - c.p))
            return -1;
        const uint8_t *aend = c.p + alen;
        for (int i = 1; i < na && !c.bad; i++) {
            switch (aug[i]) {
            case 'R': fi->fde_enc = rd_u8(&c); break;
            case 'L': rd_u8(&c); break;
            case 'P': {
                uint8_t penc = rd_u8(&c);
                rd_enc(&c, penc & 0x7f, m);
                break;
            }
            case 'S': fi->signal_frame = 1; break;
            default: i = na; break; /* unknown: the length lets us skip the rest */
            }
        }
        c.p = aend;
    } else if (na > 0) {
        return -1; /* "eh" and other pre-z augmentations are not used on x86-64 */
    }
    if (c.bad)
        return -1;
    fi->cie_ins = c.p;
    fi->cie_end = end;
    return 0;
}

static int parse_fde(const kc_module *m, const uint8_t *at, frame_info *fi)
{
    cursor c;
    const uint8_t *end;
    int is64;
    if (entry_bounds(m, at, &c, &end, &is64) < 0)
        return -1;
    const uint8_t *idpos = c.p;
    uint64_t cie_off = rd_fixed(&c, is64 ? 8 : 4);
    if (c.bad || cie_off == 0 || cie_off > (uint64_t)(idpos - m->mem_lo))
        return -1;
    if (parse_cie(m, idpos - cie_off, fi) < 0)
        return -1;
    fi->pc_begin = rd_enc(&c, fi->fde_enc, m);
    fi->pc_end = fi->pc_begin + rd_enc(&c, fi->fde_enc & 0x0f, m);
    if (fi->has_z) {
        uint64_t alen = rd_uleb(&c);
        if (c.bad || alen > (uint64_t)(end - c.p))
            return -1;
        c.p += alen;
    }
    if (c.bad)
        return -1;
    fi->fde_ins = c.p;
    fi->fde_end = end;
    return 0;
}

static int find_fde(const kc_module *m, uintptr_t pc, frame_info *fi)
{
    if (!m->table || m->fde_count == 0)
        return -1;
    const uint8_t *t = m->table;
    uint64_t lo = 0, hi = m->fde_count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        cursor c = {t + mid * 8, t + mid * 8 + 4, 0};
        uintptr_t loc = (uintptr_t)m->hdr + (uintptr_t)sext(rd_fixed(&c, 4), 32);
        if (loc <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    cursor c = {t + (lo - 1) * 8 + 4, t + (lo - 1) * 8 + 8, 0};
    const uint8_t *fde = m->hdr + sext(rd_fixed(&c, 4), 32);
    if (parse_fde(m, fde, fi) < 0)
        return -1;
    if (pc < fi->pc_begin || pc >= fi->pc_end)
        return -1;
    return 0;
}

/* ---- the rule table -------------------------------------------------------- */

enum { R_SAME = 0, R_UNDEF, R_OFFSET, R_VALOFF, R_REG, R_EXPR, R_VALEXPR };

typedef struct rule {
    int64_t off;
    const uint8_t *expr; /* uleb length + bytes */
    uint8_t kind, reg;
} rule;

typedef struct cfa_state {
    rule r[KC_NREGS];
    int64_t cfa_off;
    const uint8_t *cfa_expr;
    uint8_t cfa_reg;
} cfa_state;

#define KC_REMEMBER 4

static int run_cfi(const kc_module *m, const frame_info *fi, const uint8_t *ins, const uint8_t *end,
                   uintptr_t pc, uint64_t *loc, cfa_state *st, const cfa_state *init)
{
    cfa_state stack[KC_REMEMBER];
    int sp = 0;
    cursor c = {ins, end, 0};
    while (c.p < c.end) {
        uint8_t op = rd_u8(&c);
        uint64_t reg = 0, delta = 0;
        int64_t off = 0;
        switch (op & 0xc0) {
        case 0x40:
            delta = (op & 0x3f) * fi->code_align;
            goto advance;
        case 0x80:
            reg = op & 0x3f;
            off = (int64_t)rd_uleb(&c) * fi->data_align;
            goto set_offset;
        case 0xc0:
            reg = op & 0x3f;
            goto restore;
        default: break;
        }
        switch (op) {
        case 0x00: continue;
        case 0x01: *loc = rd_enc(&c, fi->fde_enc, m); if (*loc > pc) return 0; continue;
        case 0x02: delta = rd_fixed(&c, 1) * fi->code_align; goto advance;
        case 0x03: delta = rd_fixed(&c, 2) * fi->code_align; goto advance;
        case 0x04: delta = rd_fixed(&c, 4) * fi->code_align; goto advance;
        case 0x05: reg = rd_uleb(&c); off = (int64_t)rd_uleb(&c) * fi->data_align; goto set_offset;
        case 0x06: reg = rd_uleb(&c); goto restore;
        case 0x07: reg = rd_uleb(&c); if (reg < KC_NREGS) st->r[reg].kind = R_UNDEF; continue;
        case 0x08: reg = rd_uleb(&c); if (reg < KC_NREGS) st->r[reg].kind = R_SAME; continue;
        case 0x09: {
            reg = rd_uleb(&c);
            uint64_t r2 = rd_uleb(&c);
            if (reg < KC_NREGS) {
                st->r[reg].kind = r2 < KC_NREGS ? R_REG : R_UNDEF;
                st->r[reg].reg = (uint8_t)r2;
            }
            continue;
        }
        case 0x0a:
            if (sp >= KC_REMEMBER)
                return -1;
            stack[sp++] = *st;
            continue;
        case 0x0b: {
            if (sp == 0)
                return -1;
            /* the CFA is not part of the remembered rules in practice, but
             * GCC and the spec agree to restore it with them */
            *st = stack[--sp];
            continue;
        }
        case 0x0c:
            st->cfa_reg = (uint8_t)rd_uleb(&c);
            st->cfa_off = (int64_t)rd_uleb(&c);
            st->cfa_expr = 0;
            continue;
        case 0x0d: st->cfa_reg = (uint8_t)rd_uleb(&c); st->cfa_expr = 0; continue;
        case 0x0e: st->cfa_off = (int64_t)rd_uleb(&c); st->cfa_expr = 0; continue;
        case 0x0f: {
            st->cfa_expr = c.p;
            uint64_t len = rd_uleb(&c);
            if (c.bad || len > (uint64_t)(c.end - c.p))
                return -1;
            c.p += len;
            continue;
        }
        case 0x10:
        case 0x16: {
            reg = rd_uleb(&c);
            const uint8_t *e = c.p;
            uint64_t len = rd_uleb(&c);
            if (c.bad || len > (uint64_t)(c.end - c.p))
                return -1;
            c.p += len;
            if (reg < KC_NREGS) {
                st->r[reg].kind = op == 0x10 ? R_EXPR : R_VALEXPR;
                st->r[reg].expr = e;
            }
            continue;
        }
        case 0x11: reg = rd_uleb(&c); off = rd_sleb(&c) * fi->data_align; goto set_offset;
        case 0x12:
            st->cfa_reg = (uint8_t)rd_uleb(&c);
            st->cfa_off = rd_sleb(&c) * fi->data_align;
            st->cfa_expr = 0;
            continue;
        case 0x13: st->cfa_off = rd_sleb(&c) * fi->data_align; st->cfa_expr = 0; continue;
        case 0x14:
        case 0x15:
            reg = rd_uleb(&c);
            off = op == 0x14 ? (int64_t)rd_uleb(&c) * fi->data_align : rd_sleb(&c) * fi->data_align;
            if (reg < KC_NREGS) {
                st->r[reg].kind = R_VALOFF;
                st->r[reg].off = off;
            }
            continue;
        case 0x2e: rd_uleb(&c); continue; /* GNU_args_size */
        case 0x2f: reg = rd_uleb(&c); off = -(int64_t)rd_uleb(&c) * fi->data_align; goto set_offset;
        default: return -1;
        }
    advance:
        if (*loc + delta > pc)
            return 0;
        *loc += delta;
        continue;
    set_offset:
        if (reg < KC_NREGS) {
            st->r[reg].kind = R_OFFSET;
            st->r[reg].off = off;
        }
        continue;
    restore:
        if (reg < KC_NREGS)
            st->r[reg] = init ? init->r[reg] : (rule){0, 0, R_SAME, 0};
        continue;
    }
    return c.bad ? -1 : 0;
}

/* ---- DWARF expressions (CFA expressions of PLT entries, signal frames,
 * realigned stacks) ----------------------------------------------------------- */

static int stack_read(uintptr_t addr, uintptr_t lo, uintptr_t hi, uint64_t *v)
{
    if (addr < lo || addr > hi - 8 || hi < 8 || (addr & 7))
        return -1;
    *v = *(const uint64_t *)addr;
    return 0;
}

static int eval_expr(const uint8_t *e, const kc_regs *g, uintptr_t lo, uintptr_t hi, int push_cfa,
                     uint64_t cfa, const uint8_t *limit, uint64_t *out)
{
    cursor c = {e, limit, 0};
    uint64_t len = rd_uleb(&c);
    if (c.bad || len > (uint64_t)(limit - c.p))
        return -1;
    c.end = c.p + len;
    uint64_t s[16];
    int n = 0;
    if (push_cfa)
        s[n++] = cfa;
    while (c.p < c.end) {
        uint8_t op = rd_u8(&c);
        uint64_t a, b;
        if (n >= 15)
            return -1;
        if (op >= 0x30 && op <= 0x4f) { s[n++] = op - 0x30; continue; }
        if ((op >= 0x50 && op <= 0x6f) || (op >= 0x70 && op <= 0x8f)) {
            unsigned r = op >= 0x70 ? op - 0x70u : op - 0x50u;
            int64_t o = op >= 0x70 ? rd_sleb(&c) : 0;
            if (r >= KC_NREGS || !(g->valid & (1u << r)))
                return -1;
            s[n++] = g->r[r] + (uint64_t)o;
            continue;
        }
        switch (op) {
        case 0x06:
            if (n < 1 || stack_read((uintptr_t)s[n - 1], lo, hi, &s[n - 1]) < 0)
                return -1;
            break;
        case 0x08: s[n++] = rd_fixed(&c, 1); break;
        case 0x09: s[n++] = (uint64_t)sext(rd_fixed(&c, 1), 8); break;
        case 0x0a: s[n++] = rd_fixed(&c, 2); break;
        case 0x0b: s[n++] = (uint64_t)sext(rd_fixed(&c, 2), 16); break;
        case 0x0c: s[n++] = rd_fixed(&c, 4); break;
        case 0x0d: s[n++] = (uint64_t)sext(rd_fixed(&c, 4), 32); break;
        case 0x0e:
        case 0x0f: s[n++] = rd_fixed(&c, 8); break;
        case 0x10: s[n++] = rd_uleb(&c); break;
        case 0x11: s[n++] = (uint64_t)rd_sleb(&c); break;
        case 0x12: if (n < 1) return -1; s[n] = s[n - 1]; n++; break;
        case 0x13: if (n < 1) return -1; n--; break;
        case 0x16: if (n < 2) return -1; a = s[n - 1]; s[n - 1] = s[n - 2]; s[n - 2] = a; break;
        case 0x23: if (n < 1) return -1; s[n - 1] += rd_uleb(&c); break;
        case 0x96: break;
        case 0x1a: case 0x1c: case 0x1e: case 0x21: case 0x22: case 0x24: case 0x25:
        case 0x27: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e:
            if (n < 2)
                return -1;
            b = s[--n];
            a = s[n - 1];
            switch (op) {
            case 0x1a: a &= b; break;
            case 0x1c: a -= b; break;
            case 0x1e: a *= b; break;
            case 0x21: a |= b; break;
            case 0x22: a += b; break;
            case 0x24: a = b < 64 ? a << b : 0; break;
            case 0x25: a = b < 64 ? a >> b : 0; break;
            case 0x27: a ^= b; break;
            case 0x29: a = a == b; break;
            case 0x2a: a = (int64_t)a >= (int64_t)b; break;
            case 0x2b: a = (int64_t)a > (int64_t)b; break;
            case 0x2c: a = (int64_t)a <= (int64_t)b; break;
            case 0x2d: a = (int64_t)a < (int64_t)b; break;
            case 0x2e: a = a != b; break;
            }
            s[n - 1] = a;
            break;
        default: return -1;
        }
        if (c.bad)
            return -1;
    }
    if (n < 1)
        return -1;
    *out = s[n - 1];
    return 0;
}

/* ---- one step ------------------------------------------------------------- */

/* Moves g from a frame to its caller. Returns 1 on success, 0 at the
 * outermost frame, -1 when the stack cannot be unwound further.
 * *exact is set when the caller's pc is not a return address (the frame was
 * a signal trampoline). */
static int step_cfi(const kc_module *m, kc_regs *g, uintptr_t lookup, uintptr_t lo, uintptr_t hi,
                    int *exact)
{
    frame_info fi;
    if (find_fde(m, lookup, &fi) < 0)
        return -1;
    cfa_state st = {0}, init;
    for (int i = 0; i < KC_NREGS; i++)
        st.r[i].kind = R_SAME;
    uint64_t loc = fi.pc_begin;
    if (run_cfi(m, &fi, fi.cie_ins, fi.cie_end, ~(uintptr_t)0, &loc, &st, 0) < 0)
        return -1;
    init = st;
    loc = fi.pc_begin;
    if (run_cfi(m, &fi, fi.fde_ins, fi.fde_end, lookup, &loc, &st, &init) < 0)
        return -1;
    if (fi.ra_reg >= KC_NREGS)
        return -1;

    uint64_t cfa;
    if (st.cfa_expr) {
        if (eval_expr(st.cfa_expr, g, lo, hi, 0, 0, fi.fde_end, &cfa) < 0)
            return -1;
    } else {
        if (st.cfa_reg >= KC_NREGS || !(g->valid & (1u << st.cfa_reg)))
            return -1;
        cfa = g->r[st.cfa_reg] + (uint64_t)st.cfa_off;
    }
    kc_regs n = *g;
    n.r[KC_RSP] = cfa;
    n.valid |= 1u << KC_RSP;
    for (int i = 0; i < KC_NREGS; i++) {
        const rule *r = &st.r[i];
        uint64_t v;
        switch (r->kind) {
        case R_SAME: break;
        case R_UNDEF: n.valid &= ~(1u << i); break;
        case R_OFFSET:
            if (stack_read((uintptr_t)(cfa + (uint64_t)r->off), lo, hi, &v) < 0)
                return -1;
            n.r[i] = v;
            n.valid |= 1u << i;
            break;
        case R_VALOFF: n.r[i] = cfa + (uint64_t)r->off; n.valid |= 1u << i; break;
        case R_REG:
            if (!(g->valid & (1u << r->reg)))
                n.valid &= ~(1u << i);
            else
                n.r[i] = g->r[r->reg];
            break;
        case R_EXPR:
        case R_VALEXPR:
            if (eval_expr(r->expr, g, lo, hi, 1, cfa, fi.fde_end, &v) < 0)
                return -1;
            if (r->kind == R_EXPR && stack_read((uintptr_t)v, lo, hi, &v) < 0)
                return -1;
            n.r[i] = v;
            n.valid |= 1u << i;
            break;
        }
    }
    const rule *ra = &st.r[fi.ra_reg];
    if (ra->kind == R_UNDEF)
        return 0; /* _start, clone: the outermost frame says so */
    if (ra->kind == R_SAME)
        return -1;
    n.r[KC_RIP] = n.r[fi.ra_reg];
    if (!(n.valid & (1u << fi.ra_reg)))
        return -1;
    n.valid |= 1u << KC_RIP;
    if (!fi.signal_frame && n.r[KC_RSP] <= g->r[KC_RSP])
        return -1; /* the stack must grow towards the caller */
    *exact = fi.signal_frame;
    *g = n;
    return 1;
}

static int step_fp(kc_regs *g, uintptr_t lo, uintptr_t hi)
{
    if ((g->valid & (1u << KC_RBP)) == 0)
        return -1;
    uintptr_t fp = (uintptr_t)g->r[KC_RBP];
    uint64_t next_fp, ra;
    if (fp < (uintptr_t)g->r[KC_RSP] || stack_read(fp, lo, hi, &next_fp) < 0 ||
        stack_read(fp + 8, lo, hi, &ra) < 0)
        return -1;
    g->r[KC_RBP] = next_fp;
    g->r[KC_RSP] = fp + 16;
    g->r[KC_RIP] = ra;
    g->valid = (1u << KC_RBP) | (1u << KC_RSP) | (1u << KC_RIP);
    return 1;
}

int kc_unwind(kc_regs *g, uintptr_t lo, uintptr_t hi, uint64_t *out, int max)
{
    if (max <= 0)
        return 0;
    int n = 0, exact = 1;
    out[n++] = g->r[KC_RIP];
    const kc_modtab *tab = atomic_load_explicit(&kc_modules, memory_order_acquire);
    while (n < max) {
        uintptr_t pc = (uintptr_t)g->r[KC_RIP];
        uintptr_t lookup = exact ? pc : pc - 1;
        const kc_module *m = tab ? kc_module_at(tab, lookup) : 0;
        int r = -1, was_exact = 0;
        if (m && m->table)
            r = step_cfi(m, g, lookup, lo, hi, &was_exact);
        if (r < 0 && !(m && m->table))
            r = step_fp(g, lo, hi); /* no unwind tables here: trust the frame pointer */
        if (r <= 0 || g->r[KC_RIP] == 0)
            break;
        exact = was_exact;
        out[n++] = exact ? g->r[KC_RIP] : g->r[KC_RIP] - 1;
    }
    return n;
}

const kc_module *kc_module_at(const kc_modtab *t, uintptr_t addr)
{
    int lo = 0, hi = t->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (t->m[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const kc_module *m = &t->m[lo - 1];
    return addr < m->hi ? m : 0;
}
