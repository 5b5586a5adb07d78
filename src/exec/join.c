/* The stream-static hash join (Spark's BroadcastHashJoinExec, build side =
 * the static table): building the table's hash index once, and probing it
 * with each micro-batch.
 *
 * Build: the table's key tuples are hashed with XXH3 into an open-addressing
 * table (linear probing, at most half full) whose slots hold the first row of
 * each distinct key; `next` chains the rows that repeat a key, in table order.
 * Probe: hash every probe row's keys a column at a time, find every row's
 * chain, expand the chains into (probe row, table row) index pairs, filter
 * the pairs with the residual a chunk at a time, and gather the output
 * columns from the two index arrays. */
#include "exec/join.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/err.h"
#include "core/mem.h"
#include "exec/expr_eval.h"
#include "exec/key_cell.h"
#include "exec/ops.h"

#define NO_ROW UINT32_MAX
#define TABLE_MIN_CAP 16
/* Candidate pairs per residual evaluation: small enough that the scratch
 * columns stay in L2, large enough to amortise one expression-tree walk. */
#define RESIDUAL_CHUNK 16384u

typedef struct slot {
    uint32_t tag;  /* high 32 bits of the key hash */
    uint32_t head; /* first table row with this key, plus 1; 0 = empty */
} slot;

struct hash_join {
    join_type type;
    /* The table's rows plus one all-NULL row at index nrows: the index the
     * NULL-extended rows of a left outer join gather from. */
    batch *build;
    uint32_t nbuild;
    int nkeys;
    column *keys;   /* copied build keys; strings point into `strings` */
    rcbuf *strings; /* every non-empty string of `build` and `keys`; NULL if none */
    bool build_has_strings;
    slot *table;     /* NULL when nkeys == 0 */
    size_t mask;     /* table capacity - 1 (a power of two minus one) */
    uint32_t *next;  /* per row: next row with the same key, or NO_ROW */
    uint32_t *chain; /* per chain head: rows in its chain */
};

/* Index pairs of the joined rows: probe row, table row (nbuild = NULL). */
typedef struct pairs {
    uint32_t *p;
    uint32_t *b;
    size_t n;
    size_t cap;
} pairs;

/* ---- key hashing and equality ------------------------------------------- */

/* Floating keys are normalised as Spark's NormalizeFloatingNumbers does for
 * join keys (-0.0 -> 0.0, one NaN): norm_double_bits in exec/key_cell.h. */

/* Hashes the key tuples of rows [0, n) into h, chaining the keys through the
 * seed, and sets null[i] when any key of row i is NULL (such rows never
 * match, so their hash is left incomplete). One pass per key column. */
static void hash_keys(const column *keys, int nkeys, uint32_t n, uint64_t *h, uint8_t *null)
{
    memset(h, 0, (size_t)n * sizeof *h);
    memset(null, 0, n);
    for (int k = 0; k < nkeys; k++) {
        const column *c = &keys[k];
        const uint8_t *valid = c->valid;
        for (uint32_t i = 0; i < n; i++)
            null[i] |= !valid[i];
        /* Invalid rows are skipped: their data may be uninitialised, and a
         * NULL string's pointer may be anything. */
        switch (c->type) {
        case TYPE_BOOLEAN:
            for (uint32_t i = 0; i < n; i++)
                if (valid[i])
                    h[i] = hash_u64(c->data.b[i] != 0, h[i]);
            break;
        case TYPE_INT:
        case TYPE_DATE:
            for (uint32_t i = 0; i < n; i++)
                if (valid[i])
                    h[i] = hash_u64((uint64_t)(int64_t)c->data.i32[i], h[i]);
            break;
        case TYPE_BIGINT:
        case TYPE_TIMESTAMP:
            for (uint32_t i = 0; i < n; i++)
                if (valid[i])
                    h[i] = hash_u64((uint64_t)c->data.i64[i], h[i]);
            break;
        case TYPE_DOUBLE:
            for (uint32_t i = 0; i < n; i++)
                if (valid[i])
                    h[i] = hash_u64(norm_double_bits(c->data.f64[i]), h[i]);
            break;
        case TYPE_STRING:
            for (uint32_t i = 0; i < n; i++)
                if (valid[i])
                    h[i] = XXH3_64bits_withSeed(c->data.s[i].ptr, c->data.s[i].len, h[i]);
            break;
        case TYPE_WINDOW:
            for (uint32_t i = 0; i < n; i++)
                if (valid[i])
                    h[i] = XXH3_64bits_withSeed(&c->data.w[i], sizeof(window_val), h[i]);
            break;
        default: /* TYPE_NULL: every value is NULL */
            memset(null, 1, n);
            break;
        }
    }
}

/* SQL equality of two non-NULL cells of the same type. */
static inline bool cell_equal(const column *a, uint32_t i, const column *b, uint32_t r)
{
    switch (a->type) {
    case TYPE_BOOLEAN: return (a->data.b[i] != 0) == (b->data.b[r] != 0);
    case TYPE_INT:
    case TYPE_DATE: return a->data.i32[i] == b->data.i32[r];
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: return a->data.i64[i] == b->data.i64[r];
    case TYPE_DOUBLE: return norm_double_bits(a->data.f64[i]) == norm_double_bits(b->data.f64[r]);
    case TYPE_STRING: {
        strv x = a->data.s[i], y = b->data.s[r];
        return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
    }
    case TYPE_WINDOW:
        return a->data.w[i].start == b->data.w[r].start && a->data.w[i].end == b->data.w[r].end;
    default: return false;
    }
}

static inline bool keys_equal(const hash_join *j, const column *keys, uint32_t i, uint32_t r)
{
    for (int k = 0; k < j->nkeys; k++)
        if (!cell_equal(&keys[k], i, &j->keys[k], r))
            return false;
    return true;
}

/* The first table row whose key equals row i of `keys` (hash h), or NO_ROW.
 * With `insert`, a key not yet present is added with row i as its head and
 * i is returned. The table is at most half full, so an empty slot ends
 * every search. */
static uint32_t table_find(hash_join *j, const column *keys, uint32_t i, uint64_t h, bool insert)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t pos = h & j->mask;; pos = (pos + 1) & j->mask) {
        slot s = j->table[pos];
        if (!s.head) {
            if (!insert)
                return NO_ROW;
            j->table[pos].tag = tag;
            j->table[pos].head = i + 1;
            return i;
        }
        if (s.tag == tag && keys_equal(j, keys, i, s.head - 1))
            return s.head - 1;
    }
}

/* ---- build -------------------------------------------------------------- */

static size_t string_bytes(const column *c, uint32_t n)
{
    size_t total = 0;
    if (c->type == TYPE_STRING)
        for (uint32_t i = 0; i < n; i++)
            if (c->valid[i])
                total += c->data.s[i].len;
    return total;
}

/* Copies the bytes of column c's non-empty strings to buf at *off and points
 * the views there; NULL and empty strings become "" (static). */
static void intern_strings(column *c, uint32_t n, rcbuf *buf, size_t *off)
{
    if (c->type != TYPE_STRING)
        return;
    for (uint32_t i = 0; i < n; i++) {
        strv *s = &c->data.s[i];
        if (!c->valid[i] || s->len == 0) {
            s->ptr = "";
            s->len = 0;
            continue;
        }
        memcpy(buf->data + *off, s->ptr, s->len);
        s->ptr = buf->data + *off;
        *off += s->len;
    }
}

/* Links rows with equal keys into chains in table order and indexes each
 * chain's head. Rows with a NULL key are in no chain. */
static void build_chains(hash_join *j)
{
    uint32_t n = j->nbuild;
    j->next = xmalloc((n ? n : 1) * sizeof(uint32_t));
    j->chain = xcalloc(n ? n : 1, sizeof(uint32_t));
    if (j->nkeys == 0) {
        /* A cross join: one chain of every row. */
        for (uint32_t r = 0; r < n; r++)
            j->next[r] = r + 1 < n ? r + 1 : NO_ROW;
        if (n)
            j->chain[0] = n;
        return;
    }
    uint64_t *h = xmalloc((n ? n : 1) * sizeof(uint64_t));
    uint8_t *null = xmalloc(n ? n : 1);
    hash_keys(j->keys, j->nkeys, n, h, null);
    size_t live = 0;
    for (uint32_t r = 0; r < n; r++)
        live += !null[r];
    size_t cap = TABLE_MIN_CAP;
    while (cap < live * 2)
        cap *= 2;
    j->table = xcalloc(cap, sizeof(slot));
    j->mask = cap - 1;
    uint32_t *tail = xmalloc((n ? n : 1) * sizeof(uint32_t));
    for (uint32_t r = 0; r < n; r++) {
        j->next[r] = NO_ROW;
        if (null[r])
            continue;
        uint32_t head = table_find(j, j->keys, r, h[r], true);
        if (head == r) {
            tail[r] = r;
        } else {
            j->next[tail[head]] = r;
            tail[head] = r;
        }
        j->chain[head]++;
    }
    free(tail);
    free(null);
    free(h);
}

hash_join *hash_join_new(batch *build, const column *build_keys, int nkeys, join_type type)
{
    hash_join *j = xcalloc(1, sizeof *j);
    uint32_t n = build->nrows;
    j->type = type;
    j->build = build;
    j->nbuild = n;
    j->nkeys = nkeys > 0 ? nkeys : 0;

    /* Every string goes into one buffer, so that an output batch needs one
     * reference to keep the table's strings alive, whatever happens to the
     * join. The keys are copied before `build` changes: they may alias it. */
    size_t bytes = 0;
    for (int k = 0; k < j->nkeys; k++)
        bytes += string_bytes(&build_keys[k], n);
    for (uint32_t c = 0; c < build->ncols; c++) {
        bytes += string_bytes(&build->cols[c], n);
        j->build_has_strings |= build->cols[c].type == TYPE_STRING;
    }
    if (bytes)
        j->strings = rcbuf_new(bytes);
    size_t off = 0;
    j->keys = xcalloc((size_t)(j->nkeys ? j->nkeys : 1), sizeof(column));
    for (int k = 0; k < j->nkeys; k++) {
        const column *src = &build_keys[k];
        column_init(&j->keys[k], src->type, n);
        if (n) {
            memcpy(j->keys[k].valid, src->valid, n);
            memcpy(j->keys[k].data.raw, src->data.raw, (size_t)n * type_width(src->type));
        }
        intern_strings(&j->keys[k], n, j->strings, &off);
    }
    for (uint32_t c = 0; c < build->ncols; c++)
        intern_strings(&build->cols[c], n, j->strings, &off);

    /* Nothing points into the table's own buffers any more. */
    for (uint32_t i = 0; i < build->nkeep; i++)
        rcbuf_unref(build->keep[i]);
    free(build->keep);
    build->keep = NULL;
    build->nkeep = 0;
    arena_reset(build->arena);

    batch_reserve(build, n + 1);
    for (uint32_t c = 0; c < build->ncols; c++) {
        column *col = &build->cols[c];
        size_t w = type_width(col->type);
        col->valid[n] = 0;
        memset((char *)col->data.raw + (size_t)n * w, 0, w);
        if (col->type == TYPE_STRING)
            col->data.s[n].ptr = "";
    }

    build_chains(j);
    return j;
}

void hash_join_free(hash_join *j)
{
    if (!j)
        return;
    batch_free(j->build);
    for (int k = 0; k < j->nkeys; k++)
        column_free(&j->keys[k]);
    free(j->keys);
    rcbuf_unref(j->strings);
    free(j->table);
    free(j->next);
    free(j->chain);
    free(j);
}

uint64_t hash_join_build_rows(const hash_join *j)
{
    return j->nbuild;
}

static size_t column_bytes(const column *c)
{
    return (size_t)c->cap * (1 + type_width(c->type));
}

size_t hash_join_memory(const hash_join *j)
{
    size_t total = sizeof *j + sizeof(batch) + arena_bytes(j->build->arena);
    for (uint32_t c = 0; c < j->build->ncols; c++)
        total += sizeof(column) + column_bytes(&j->build->cols[c]);
    for (int k = 0; k < j->nkeys; k++)
        total += sizeof(column) + column_bytes(&j->keys[k]);
    if (j->strings)
        total += sizeof(rcbuf) + j->strings->len + 1;
    if (j->table)
        total += (j->mask + 1) * sizeof(slot);
    total += 2 * (size_t)(j->nbuild ? j->nbuild : 1) * sizeof(uint32_t);
    return total;
}

/* ---- probe -------------------------------------------------------------- */

/* head[i]: the first table row matching probe row i's keys, or NO_ROW. */
static void find_heads(hash_join *j, const column *keys, uint32_t n, uint32_t *head)
{
    if (j->nkeys == 0) {
        for (uint32_t i = 0; i < n; i++)
            head[i] = j->nbuild ? 0 : NO_ROW;
        return;
    }
    uint64_t *h = xmalloc((n ? n : 1) * sizeof(uint64_t));
    uint8_t *null = xmalloc(n ? n : 1);
    hash_keys(keys, j->nkeys, n, h, null);
    for (uint32_t i = 0; i < n; i++)
        head[i] = null[i] ? NO_ROW : table_find(j, keys, i, h[i], false);
    free(null);
    free(h);
}

static void pairs_push(pairs *ps, uint32_t p, uint32_t b)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 1024;
        ps->p = xrealloc(ps->p, ps->cap * sizeof(uint32_t));
        ps->b = xrealloc(ps->b, ps->cap * sizeof(uint32_t));
    }
    ps->p[ps->n] = p;
    ps->b[ps->n] = b;
    ps->n++;
}

static void pairs_free(pairs *ps)
{
    free(ps->p);
    free(ps->b);
}

/* Every key match, with a NULL-extended row for each unmatched probe row of
 * a left outer join: sized exactly, then filled. */
static int expand_chains(const hash_join *j, const uint32_t *head, uint32_t n, pairs *out,
                         eddy_error *err)
{
    bool outer = j->type == JOIN_TYPE_LEFT_OUTER;
    uint64_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        m += head[i] != NO_ROW ? j->chain[head[i]] : outer;
    if (m > UINT32_MAX)
        return err_set(err, EDDY_RUNTIME, "join output of %llu rows exceeds %u rows",
                       (unsigned long long)m, UINT32_MAX);
    out->cap = m ? (size_t)m : 1;
    out->p = xmalloc(out->cap * sizeof(uint32_t));
    out->b = xmalloc(out->cap * sizeof(uint32_t));
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (head[i] == NO_ROW) {
            if (outer) {
                out->p[o] = i;
                out->b[o++] = j->nbuild;
            }
            continue;
        }
        for (uint32_t r = head[i]; r != NO_ROW; r = j->next[r]) {
            out->p[o] = i;
            out->b[o++] = r;
        }
    }
    out->n = o;
    return 0;
}


/* Marks the columns `e` reads (indices below ncols). */
static void mark_columns(const expr *e, bool *used, uint32_t ncols)
{
    if (!e)
        return;
    if (e->kind == EXPR_COLUMN && e->column >= 0 && (uint32_t)e->column < ncols)
        used[e->column] = true;
    for (int a = 0; a < e->nargs; a++)
        mark_columns(e->args[a], used, ncols);
    mark_columns(e->else_expr, used, ncols);
}

/* Key matches that pass the residual, in probe order then table order, plus
 * (for a left outer join) a NULL-extended row where none passed. Candidate
 * pairs go through the residual RESIDUAL_CHUNK at a time, over a scratch
 * batch in which only the columns the residual reads are filled, so a cross
 * join never materialises its whole product. */
static int filter_pairs(const hash_join *j, const batch *probe, const uint32_t *head,
                        const expr *residual, func_ctx *ctx, pairs *out, eddy_error *err)
{
    uint32_t n = probe->nrows, np = probe->ncols, ncols = np + j->build->ncols;
    bool *used = xcalloc(ncols ? ncols : 1, sizeof(bool));
    mark_columns(residual, used, ncols);
    batch sb = {0};
    sb.ncols = ncols;
    sb.cols = xcalloc(ncols ? ncols : 1, sizeof(column));
    sb.arena = arena_new(0);
    for (uint32_t c = 0; c < ncols; c++) {
        type_id t = c < np ? probe->cols[c].type : j->build->cols[c - np].type;
        if (used[c])
            column_init(&sb.cols[c], t, RESIDUAL_CHUNK);
        else
            sb.cols[c].type = t; /* never read: no storage */
    }
    func_ctx local = {0};
    if (ctx)
        local = *ctx;
    local.arena = sb.arena;
    uint32_t *cp = xmalloc(RESIDUAL_CHUNK * sizeof(uint32_t));
    uint32_t *cb = xmalloc(RESIDUAL_CHUNK * sizeof(uint32_t));
    uint32_t *sel = xmalloc(RESIDUAL_CHUNK * sizeof(uint32_t));
    pairs pass = {0};
    int rc = 0;
    uint32_t i = 0, r = n ? head[0] : NO_ROW;
    for (;;) {
        uint32_t k = 0;
        while (k < RESIDUAL_CHUNK && i < n) {
            if (r == NO_ROW) {
                i++;
                r = i < n ? head[i] : NO_ROW;
                continue;
            }
            cp[k] = i;
            cb[k++] = r;
            r = j->next[r];
        }
        if (k == 0)
            break;
        for (uint32_t c = 0; c < ncols; c++) {
            if (!used[c])
                continue;
            if (c < np)
                column_gather(&sb.cols[c], &probe->cols[c], cp, k);
            else
                column_gather(&sb.cols[c], &j->build->cols[c - np], cb, k);
        }
        sb.nrows = k;
        uint32_t nsel = 0;
        rc = expr_eval_filter(residual, &sb, &local, sel, &nsel, err);
        arena_reset(sb.arena);
        if (rc < 0)
            break;
        for (uint32_t s = 0; s < nsel; s++)
            pairs_push(&pass, cp[sel[s]], cb[sel[s]]);
    }
    free(sel);
    free(cb);
    free(cp);
    for (uint32_t c = 0; c < ncols; c++)
        if (used[c])
            column_free(&sb.cols[c]);
    free(sb.cols);
    arena_free(sb.arena);
    free(used);
    if (rc < 0) {
        pairs_free(&pass);
        return rc;
    }
    if (j->type == JOIN_TYPE_INNER) {
        *out = pass;
        return 0;
    }
    /* Left outer: merge the passing pairs (sorted by probe row) with one
     * NULL-extended row per probe row that has none. */
    size_t s = 0;
    for (uint32_t p = 0; p < n; p++) {
        if (s < pass.n && pass.p[s] == p) {
            while (s < pass.n && pass.p[s] == p) {
                pairs_push(out, p, pass.b[s]);
                s++;
            }
        } else {
            pairs_push(out, p, j->nbuild);
        }
    }
    pairs_free(&pass);
    return 0;
}

static inline bool in_buffer(const rcbuf *buf, uintptr_t p, uint32_t len)
{
    uintptr_t lo = (uintptr_t)buf->data;
    return p >= lo && p - lo <= buf->len && len <= buf->len - (p - lo);
}

/* Gathers probe string column c into out's column c. A string inside one of
 * probe's kept buffers is shared and the buffer marked in kept_used[] (the
 * output takes a reference to it); any other string is copied into out's
 * arena, once per probe row even when the row repeats (pidx is sorted, so
 * repeats are adjacent). The buffer of the last shared string is tried
 * first: a batch's strings usually all lie in one file's buffer. */
static void gather_probe_strings(batch *out, const batch *probe, uint32_t c, const uint32_t *pidx,
                                 uint32_t m, bool *kept_used)
{
    const column *src = &probe->cols[c];
    column *dst = &out->cols[c];
    const uint8_t *valid = src->valid;
    const strv *in = src->data.s;
    uint32_t prev = NO_ROW;
    /* [lo, hi): the buffer of the last shared string, empty at first */
    uintptr_t lo = 1, hi = 0;
    strv cur = {"", 0};
    for (uint32_t o = 0; o < m; o++) {
        uint32_t p = pidx[o];
        if (p != prev) {
            prev = p;
            strv s = in[p];
            uintptr_t at = (uintptr_t)s.ptr;
            if (!valid[p] || s.len == 0) {
                s.ptr = "";
                s.len = 0;
            } else if (!(at >= lo && at <= hi && s.len <= hi - at)) {
                bool shared = false;
                for (uint32_t b = 0; b < probe->nkeep && !shared; b++) {
                    if (in_buffer(probe->keep[b], at, s.len)) {
                        lo = (uintptr_t)probe->keep[b]->data;
                        hi = lo + probe->keep[b]->len;
                        shared = kept_used[b] = true;
                    }
                }
                if (!shared) {
                    char *copy = arena_alloc(out->arena, s.len);
                    memcpy(copy, s.ptr, s.len);
                    s.ptr = copy;
                }
            }
            cur = s;
        }
        dst->valid[o] = valid[p];
        dst->data.s[o] = cur;
    }
}

/* The output batch: probe columns gathered by ps->p, table columns by ps->b
 * (the table's NULL row for NULL-extended rows). */
static batch *assemble(const hash_join *j, const batch *probe, const pairs *ps)
{
    uint32_t np = probe->ncols, nb = j->build->ncols, m = (uint32_t)ps->n;
    type_id *types = xmalloc((size_t)(np + nb ? np + nb : 1) * sizeof(type_id));
    for (uint32_t c = 0; c < np; c++)
        types[c] = probe->cols[c].type;
    for (uint32_t c = 0; c < nb; c++)
        types[np + c] = j->build->cols[c].type;
    batch *out = batch_new(np + nb, types, m ? m : 1);
    free(types);
    out->nrows = m;
    bool *kept_used = xcalloc(probe->nkeep ? probe->nkeep : 1, sizeof(bool));
    for (uint32_t c = 0; c < np; c++) {
        if (probe->cols[c].type == TYPE_STRING)
            gather_probe_strings(out, probe, c, ps->p, m, kept_used);
        else
            column_gather(&out->cols[c], &probe->cols[c], ps->p, m);
    }
    for (uint32_t c = 0; c < nb; c++)
        column_gather(&out->cols[np + c], &j->build->cols[c], ps->b, m);
    for (uint32_t k = 0; k < probe->nkeep; k++)
        if (kept_used[k])
            batch_keep(out, rcbuf_ref(probe->keep[k]));
    free(kept_used);
    if (j->strings && j->build_has_strings && m)
        batch_keep(out, rcbuf_ref(j->strings));
    return out;
}

int hash_join_probe(hash_join *j, batch *probe, const column *probe_keys, const expr *residual,
                    func_ctx *ctx, batch **out, eddy_error *err)
{
    uint32_t n = probe->nrows;
    for (int k = 0; k < j->nkeys; k++) {
        if (probe_keys[k].type != j->keys[k].type)
            return err_set(err, EDDY_RUNTIME, "join key %d is %s on the stream side but %s on "
                           "the table side", k + 1, type_name(probe_keys[k].type),
                           type_name(j->keys[k].type));
        if (probe_keys[k].cap < n)
            return err_set(err, EDDY_RUNTIME, "join key %d has %u rows, the batch %u", k + 1,
                           probe_keys[k].cap, n);
    }
    uint32_t *head = xmalloc((n ? n : 1) * sizeof(uint32_t));
    find_heads(j, probe_keys, n, head);
    pairs ps = {0};
    int rc = residual ? filter_pairs(j, probe, head, residual, ctx, &ps, err)
                      : expand_chains(j, head, n, &ps, err);
    free(head);
    if (rc < 0)
        return rc;
    if (ps.n > UINT32_MAX) {
        size_t rows = ps.n;
        pairs_free(&ps);
        return err_set(err, EDDY_RUNTIME, "join output of %zu rows exceeds %u rows", rows,
                       UINT32_MAX);
    }
    *out = assemble(j, probe, &ps);
    pairs_free(&ps);
    return 0;
}
