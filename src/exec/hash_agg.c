/* Hash aggregation: the groups of a streaming aggregation and their aggregate
 * states, kept across micro-batches (the state of Spark's StateStoreSaveExec).
 *
 * Each group is one fixed-size row in the aggregation's arena: a header, the
 * key values (strings interned once per group), then every aggregate's state.
 * An open-addressing table (linear probing, backward-shift deletion) maps the
 * XXH3 hash of the key tuple to rows; `order` lists live rows in first-seen
 * order. A batch is processed column-wise: hash every row, find or insert
 * every row's group, then run each aggregate's update over the whole column. */
#include "exec/agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/err.h"
#include "core/mem.h"
#include "exec/key_cell.h"

#define HASH_AGG_FORMAT 1
/* The format byte of a delta (hash_agg_serialize_delta): the high bit sets
 * it apart from every snapshot format version. */
#define HASH_AGG_DELTA_FORMAT 0x81
#define TABLE_MIN_CAP 16
#define DSET_MIN_CAP 8
/* Compact the arena once at least as many groups have been evicted since
 * the last compaction as are alive, and the arena holds at least this many
 * bytes: copying the live groups then costs at most one copy per evicted
 * group. */
#define COMPACT_MIN_BYTES (1u << 20)

typedef struct group_hdr {
    uint64_t hash;
    uint64_t seq;   /* first-seen order */
    uint32_t epoch; /* batch epoch of the last update */
    uint32_t live;  /* 0 once evicted */
} group_hdr;

typedef struct slot {
    uint64_t hash;
    char *row; /* NULL: empty */
} slot;


/* The set of distinct non-NULL values of one group for one DISTINCT
 * aggregate: open addressing in the aggregation's arena, replaced by a copy
 * twice as large when 3/4 full. tag = hash | top bit, 0 = empty. */
typedef struct dset_entry {
    uint64_t tag;
    cell v;
} dset_entry;

typedef struct dset {
    uint32_t cap;
    uint32_t count;
    dset_entry e[];
} dset;

struct hash_agg {
    int nkeys;
    int naggs;
    type_id *key_types;
    agg_spec *aggs;
    size_t nulls_off; /* nkeys bytes: 1 = key present, 0 = NULL */
    size_t *key_off;
    size_t *agg_off;
    size_t row_size;
    char *tmpl; /* a freshly initialised row's bytes (header and keys zero) */

    arena *arena;
    slot *table;
    size_t cap; /* power of two */
    size_t count;

    char **order; /* live rows, first-seen order */
    size_t norder;
    size_t order_cap;
    char **updated; /* rows touched since begin_batch, touch order */
    size_t nupdated;
    size_t updated_cap;
    uint32_t epoch;
    uint64_t next_seq;
    uint64_t batch_seq0; /* next_seq at begin_batch: newer groups are new */
    size_t dead_groups; /* evicted (or states replaced) since the last compaction */

    bool track_removals; /* hash_agg_track_removals */
    agg_buf removed;     /* keys of the groups removed since begin_batch */
    uint64_t nremoved;

    uint64_t *hashes; /* per-batch scratch */
    char **rows;
    const void **cells;
    uint32_t scratch_cap;
};

#define HDR(row) ((group_hdr *)(row))


/* ---- distinct sets -------------------------------------------------------- */

static dset *dset_alloc(arena *a, uint32_t cap)
{
    dset *s = arena_calloc(a, sizeof(dset) + (size_t)cap * sizeof(dset_entry));
    s->cap = cap;
    return s;
}

/* Adds a non-NULL cell; strings are interned in `a` when new. The set
 * doubles only when a new value would fill it beyond 3/4, so its capacity
 * is a function of its size (dset_cap_for). */
static void dset_add(dset **ps, type_id t, const void *c, arena *a)
{
    dset *s = *ps;
    if (!s)
        s = *ps = dset_alloc(a, DSET_MIN_CAP);
    uint64_t tag = cell_hash(t, c, 0) | (UINT64_C(1) << 63);
    uint32_t pos = (uint32_t)tag & (s->cap - 1);
    while (s->e[pos].tag) {
        if (s->e[pos].tag == tag && cell_eq(t, &s->e[pos].v, c))
            return;
        pos = (pos + 1) & (s->cap - 1);
    }
    if ((s->count + 1) * 4 > s->cap * 3) {
        dset *g = dset_alloc(a, s->cap * 2);
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->e[i].tag)
                continue;
            uint32_t p = (uint32_t)s->e[i].tag & (g->cap - 1);
            while (g->e[p].tag)
                p = (p + 1) & (g->cap - 1);
            g->e[p] = s->e[i];
        }
        g->count = s->count;
        s = *ps = g;
        pos = (uint32_t)tag & (s->cap - 1);
        while (s->e[pos].tag)
            pos = (pos + 1) & (s->cap - 1);
    }
    s->e[pos].tag = tag;
    cell_store(t, &s->e[pos].v, c, a);
    s->count++;
}

static void dset_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                        type_id t, arena *a)
{
    size_t w = type_width(t);
    for (uint32_t i = 0; i < n; i++) {
        if (arg->valid[i])
            dset_add((dset **)(rows[i] + off), t, (const char *)arg->data.raw + i * w, a);
    }
}

/* Runs the aggregate over the set's values and writes its result. Scratch
 * state and any strings it keeps go to `a` (the output batch's arena). */
static void dset_finalize(const dset *s, const agg_spec *spec, column *out, uint32_t row,
                          arena *a)
{
    uint32_t n = s ? s->count : 0;
    column col;
    column_init(&col, spec->arg_type, n);
    uint32_t k = 0;
    for (uint32_t i = 0; s && i < s->cap; i++) {
        if (!s->e[i].tag)
            continue;
        col.valid[k] = 1;
        memcpy((char *)col.data.raw + (size_t)k * type_width(spec->arg_type), &s->e[i].v,
               type_width(spec->arg_type));
        k++;
    }
    char *state = arena_alloc(a, spec->fn->state_size(spec->arg_type));
    spec->fn->init(state, spec->arg_type);
    char **rows = xmalloc((n ? n : 1) * sizeof(char *));
    for (uint32_t i = 0; i < n; i++)
        rows[i] = state;
    spec->fn->update(rows, 0, &col, n, spec->arg_type, a);
    spec->fn->finalize(state, spec->arg_type, out, row);
    free(rows);
    column_free(&col);
}

/* The capacity a set of n values has: dset_add starts at DSET_MIN_CAP and
 * doubles whenever the next value would fill it beyond 3/4, so it is the
 * smallest such power of two that holds n at most 3/4 full. */
static uint32_t dset_cap_for(uint32_t n)
{
    uint64_t cap = DSET_MIN_CAP;
    while ((uint64_t)n * 4 > cap * 3)
        cap *= 2;
    return (uint32_t)cap;
}

/* The values in slot order, starting just after an empty slot and wrapping
 * around. Inserting them in this order into an empty table of the same
 * capacity puts every value back into its own slot (each one's probe run
 * from its home slot holds only values already inserted), so a reloaded set
 * has the same layout, serializes to the same bytes and finalizes in the
 * same order as the original. */
static void dset_serialize(const dset *s, type_id t, agg_buf *out)
{
    agg_buf_put_u32(out, s ? s->count : 0);
    if (!s)
        return;
    uint32_t mask = s->cap - 1, empty = 0;
    while (s->e[empty].tag)
        empty++;
    for (uint32_t k = 1; k <= s->cap; k++) {
        const dset_entry *e = &s->e[(empty + k) & mask];
        if (e->tag)
            cell_serialize(t, &e->v, out);
    }
}

/* Reads a set written by dset_serialize into a table of the original's
 * capacity (see there). Returns -1 on truncation, a count larger than the
 * bytes left could hold, or a repeated value. */
static int dset_deserialize(dset **ps, type_id t, agg_reader *in, arena *a)
{
    *ps = NULL;
    uint32_t n = agg_read_u32(in);
    if (in->bad || n == 0)
        return in->bad ? -1 : 0;
    if (n > (size_t)(in->end - in->p)) { /* every value takes at least a byte */
        in->bad = true;
        return -1;
    }
    dset *s = dset_alloc(a, dset_cap_for(n));
    for (uint32_t i = 0; i < n; i++) {
        cell c;
        cell_deserialize(t, &c, in);
        if (in->bad)
            return -1;
        uint64_t tag = cell_hash(t, &c, 0) | (UINT64_C(1) << 63);
        uint32_t pos = (uint32_t)tag & (s->cap - 1);
        while (s->e[pos].tag) {
            if (s->e[pos].tag == tag && cell_eq(t, &s->e[pos].v, &c))
                return -1;
            pos = (pos + 1) & (s->cap - 1);
        }
        s->e[pos].tag = tag;
        cell_store(t, &s->e[pos].v, &c, a);
        s->count++;
    }
    *ps = s;
    return 0;
}

/* ---- construction ----------------------------------------------------------- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t agg_state_bytes(const agg_spec *s)
{
    return s->distinct ? sizeof(dset *) : s->fn->state_size(s->arg_type);
}

hash_agg *hash_agg_new(int nkeys, const type_id *key_types, int naggs, const agg_spec *aggs)
{
    hash_agg *h = xcalloc(1, sizeof *h);
    h->nkeys = nkeys;
    h->naggs = naggs;
    h->key_types = xmalloc((size_t)(nkeys ? nkeys : 1) * sizeof(type_id));
    if (nkeys)
        memcpy(h->key_types, key_types, (size_t)nkeys * sizeof(type_id));
    h->aggs = xmalloc((size_t)(naggs ? naggs : 1) * sizeof(agg_spec));
    if (naggs)
        memcpy(h->aggs, aggs, (size_t)naggs * sizeof(agg_spec));
    h->key_off = xmalloc((size_t)(nkeys ? nkeys : 1) * sizeof(size_t));
    h->agg_off = xmalloc((size_t)(naggs ? naggs : 1) * sizeof(size_t));

    size_t off = sizeof(group_hdr);
    h->nulls_off = off;
    off = align8(off + (size_t)nkeys);
    for (int k = 0; k < nkeys; k++) {
        h->key_off[k] = off;
        off += align8(type_width(key_types[k]));
    }
    for (int j = 0; j < naggs; j++) {
        h->agg_off[j] = off;
        off += align8(agg_state_bytes(&aggs[j]));
    }
    h->row_size = off;
    h->tmpl = xcalloc(1, h->row_size);
    for (int j = 0; j < naggs; j++)
        if (!aggs[j].distinct)
            aggs[j].fn->init(h->tmpl + h->agg_off[j], aggs[j].arg_type);

    h->arena = arena_new(0);
    h->cap = TABLE_MIN_CAP;
    h->table = xcalloc(h->cap, sizeof(slot));
    h->epoch = 1;
    return h;
}

void hash_agg_free(hash_agg *h)
{
    if (!h)
        return;
    arena_free(h->arena);
    free(h->table);
    free(h->order);
    free(h->updated);
    free(h->hashes);
    free(h->rows);
    free(h->cells);
    agg_buf_free(&h->removed);
    free(h->tmpl);
    free(h->key_off);
    free(h->agg_off);
    free(h->key_types);
    free(h->aggs);
    free(h);
}

void hash_agg_begin_batch(hash_agg *h)
{
    h->epoch++;
    if (h->epoch == 0) {
        /* Wrapped: clear every row's mark so none looks updated. */
        for (size_t i = 0; i < h->norder; i++)
            HDR(h->order[i])->epoch = 0;
        h->epoch = 1;
    }
    h->nupdated = 0;
    h->batch_seq0 = h->next_seq;
    h->nremoved = 0;
    h->removed.len = 0;
    if (h->removed.cap > COMPACT_MIN_BYTES)
        agg_buf_free(&h->removed);
}

void hash_agg_track_removals(hash_agg *h, bool on)
{
    h->track_removals = on;
    if (!on) {
        agg_buf_free(&h->removed);
        h->nremoved = 0;
    }
}

/* ---- the table -------------------------------------------------------------- */

static void table_place(slot *table, size_t mask, uint64_t hash, char *row)
{
    size_t pos = hash & mask;
    while (table[pos].row)
        pos = (pos + 1) & mask;
    table[pos].hash = hash;
    table[pos].row = row;
}

static void table_grow(hash_agg *h)
{
    size_t cap = h->cap * 2;
    slot *t = xcalloc(cap, sizeof(slot));
    for (size_t i = 0; i < h->cap; i++)
        if (h->table[i].row)
            table_place(t, cap - 1, h->table[i].hash, h->table[i].row);
    free(h->table);
    h->table = t;
    h->cap = cap;
}

static void table_rebuild(hash_agg *h)
{
    memset(h->table, 0, h->cap * sizeof(slot));
    for (size_t i = 0; i < h->norder; i++)
        table_place(h->table, h->cap - 1, HDR(h->order[i])->hash, h->order[i]);
    h->count = h->norder;
}

/* Removes `row` (which must be in the table) by backward-shift deletion, so
 * every remaining key stays reachable from its home slot. */
static void table_remove(hash_agg *h, char *row)
{
    size_t mask = h->cap - 1;
    size_t i = HDR(row)->hash & mask;
    while (h->table[i].row != row)
        i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!h->table[j].row)
            break;
        size_t home = h->table[j].hash & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            h->table[i] = h->table[j];
            i = j;
        }
    }
    h->table[i].row = NULL;
    h->table[i].hash = 0;
    h->count--;
}

static void push_row(char ***list, size_t *n, size_t *cap, char *row)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *list = xrealloc(*list, *cap * sizeof(char *));
    }
    (*list)[(*n)++] = row;
}

static inline void mark_updated(hash_agg *h, char *row)
{
    if (HDR(row)->epoch != h->epoch) {
        HDR(row)->epoch = h->epoch;
        push_row(&h->updated, &h->nupdated, &h->updated_cap, row);
    }
}

static inline bool row_matches(const hash_agg *h, const char *row, const void *const *cells)
{
    for (int k = 0; k < h->nkeys; k++) {
        bool present = row[h->nulls_off + k] != 0;
        if (!cells[k]) {
            if (present)
                return false;
        } else if (!present || !cell_eq(h->key_types[k], row + h->key_off[k], cells[k])) {
            return false;
        }
    }
    return true;
}

static uint64_t cells_hash(const hash_agg *h, const void *const *cells)
{
    uint64_t hv = 0;
    for (int k = 0; k < h->nkeys; k++)
        hv = cell_hash(h->key_types[k], cells[k], hv);
    return hv;
}

/* Appends a row's key: per key a present byte, then the cell if present. */
static void put_key(const hash_agg *h, const char *row, agg_buf *out)
{
    for (int k = 0; k < h->nkeys; k++) {
        uint8_t present = row[h->nulls_off + k] != 0;
        agg_buf_put_u8(out, present);
        if (present)
            cell_serialize(h->key_types[k], (const cell *)(row + h->key_off[k]), out);
    }
}

/* The live group of a key tuple (cells as for find_or_insert), or NULL. */
static char *find_row(const hash_agg *h, uint64_t hash, const void *const *cells)
{
    size_t mask = h->cap - 1;
    for (size_t pos = hash & mask; h->table[pos].row; pos = (pos + 1) & mask)
        if (h->table[pos].hash == hash && row_matches(h, h->table[pos].row, cells))
            return h->table[pos].row;
    return NULL;
}

static char *insert_row(hash_agg *h, size_t pos, uint64_t hash, const void *const *cells)
{
    char *row = arena_alloc(h->arena, h->row_size);
    memcpy(row, h->tmpl, h->row_size);
    group_hdr *g = HDR(row);
    g->hash = hash;
    g->seq = h->next_seq++;
    g->epoch = 0;
    g->live = 1;
    for (int k = 0; k < h->nkeys; k++) {
        if (cells[k]) {
            row[h->nulls_off + k] = 1;
            cell_store(h->key_types[k], (cell *)(row + h->key_off[k]), cells[k], h->arena);
        }
    }
    h->table[pos].hash = hash;
    h->table[pos].row = row;
    h->count++;
    push_row(&h->order, &h->norder, &h->order_cap, row);
    return row;
}

/* The group for a key tuple (cells[k] points at key k's storage, NULL for a
 * NULL key), created if new. *created tells which. */
static char *find_or_insert(hash_agg *h, uint64_t hash, const void *const *cells, bool *created)
{
    size_t mask = h->cap - 1;
    size_t pos = hash & mask;
    for (;;) {
        slot *s = &h->table[pos];
        if (!s->row)
            break;
        if (s->hash == hash && row_matches(h, s->row, cells)) {
            *created = false;
            return s->row;
        }
        pos = (pos + 1) & mask;
    }
    *created = true;
    if ((h->count + 1) * 4 > h->cap * 3) {
        table_grow(h);
        mask = h->cap - 1;
        pos = hash & mask;
        while (h->table[pos].row)
            pos = (pos + 1) & mask;
    }
    return insert_row(h, pos, hash, cells);
}

/* ---- batch update ----------------------------------------------------------- */

static void reserve_scratch(hash_agg *h, uint32_t n)
{
    if (n <= h->scratch_cap)
        return;
    free(h->hashes);
    free(h->rows);
    free(h->cells);
    h->scratch_cap = n;
    h->hashes = xmalloc((size_t)n * sizeof(uint64_t));
    h->rows = xmalloc((size_t)n * sizeof(char *));
    h->cells = xmalloc((size_t)n * (h->nkeys ? h->nkeys : 1) * sizeof(void *));
}


/* Large tables do not fit in cache: fetch the home slot of row i + 16 and
 * the group row of row i + 8 (whose slot was fetched 8 rows ago) while
 * row i is probed. */
static inline void prefetch_ahead(const hash_agg *h, uint32_t i, uint32_t n)
{
    size_t mask = h->cap - 1;
    if (i + 16 < n)
        __builtin_prefetch(&h->table[h->hashes[i + 16] & mask]);
    if (i + 8 < n) {
        const slot *s = &h->table[h->hashes[i + 8] & mask];
        if (s->row)
            __builtin_prefetch(s->row);
    }
}

/* Fast path for one string key: probing compares hash, length and bytes
 * without going through the generic cell machinery. */
static void lookup_string_key(hash_agg *h, const column *key, uint32_t n)
{
    const uint8_t *valid = key->valid;
    const strv *sv = key->data.s;
    size_t koff = h->key_off[0], noff = h->nulls_off;
    for (uint32_t i = 0; i < n; i++) {
        prefetch_ahead(h, i, n);
        uint64_t hv = h->hashes[i];
        size_t mask = h->cap - 1;
        size_t pos = hv & mask;
        char *row;
        for (;;) {
            slot *s = &h->table[pos];
            row = s->row;
            if (!row)
                break;
            if (s->hash == hv) {
                if (!valid[i]) {
                    if (!row[noff])
                        break;
                } else if (row[noff]) {
                    const strv *k = (const strv *)(row + koff);
                    if (k->len == sv[i].len && (k->len == 0 || memcmp(k->ptr, sv[i].ptr, k->len) == 0))
                        break;
                }
            }
            pos = (pos + 1) & mask;
        }
        if (!row) {
            const void *c = valid[i] ? (const void *)&sv[i] : NULL;
            bool created;
            row = find_or_insert(h, hv, &c, &created);
        }
        h->rows[i] = row;
        mark_updated(h, row);
    }
}

static void lookup_generic(hash_agg *h, const column *keys, uint32_t n)
{
    int nk = h->nkeys;
    size_t width[nk > 0 ? nk : 1];
    for (int k = 0; k < nk; k++)
        width[k] = type_width(h->key_types[k]);
    const void **cells = h->cells;
    for (uint32_t i = 0; i < n; i++) {
        prefetch_ahead(h, i, n);
        for (int k = 0; k < nk; k++)
            cells[k] = keys[k].valid[i] ? (const char *)keys[k].data.raw + i * width[k] : NULL;
        bool created;
        char *row = find_or_insert(h, h->hashes[i], cells, &created);
        h->rows[i] = row;
        mark_updated(h, row);
    }
}

void hash_agg_update(hash_agg *h, const column *keys, const column *const *args, uint32_t n)
{
    reserve_scratch(h, n ? n : 1);
    if (h->nkeys == 0) {
        bool created;
        char *row = find_or_insert(h, 0, NULL, &created);
        mark_updated(h, row);
        for (uint32_t i = 0; i < n; i++)
            h->rows[i] = row;
    } else {
        for (int k = 0; k < h->nkeys; k++)
            hash_key_column(&keys[k], h->key_types[k], n, h->hashes, k == 0);
        if (h->nkeys == 1 && h->key_types[0] == TYPE_STRING)
            lookup_string_key(h, &keys[0], n);
        else
            lookup_generic(h, keys, n);
    }
    for (int j = 0; j < h->naggs; j++) {
        const agg_spec *s = &h->aggs[j];
        if (s->distinct)
            dset_update(h->rows, h->agg_off[j], args[j], n, s->arg_type, h->arena);
        else
            s->fn->update(h->rows, h->agg_off[j], args[j], n, s->arg_type, h->arena);
    }
}

/* ---- output ----------------------------------------------------------------- */

static int cmp_seq(const void *a, const void *b)
{
    uint64_t x = HDR(*(char *const *)a)->seq, y = HDR(*(char *const *)b)->seq;
    return (x > y) - (x < y);
}

/* The result rows for groups list[0..n) (see hash_agg_output). */
static batch *output_rows(const hash_agg *h, char *const *list, size_t n)
{
    int ncols = h->nkeys + h->naggs;
    type_id types[ncols > 0 ? ncols : 1];
    for (int k = 0; k < h->nkeys; k++)
        types[k] = h->key_types[k];
    for (int j = 0; j < h->naggs; j++)
        types[h->nkeys + j] = h->aggs[j].ret_type;
    batch *b = batch_new((uint32_t)ncols, types, (uint32_t)n);
    for (size_t r = 0; r < n; r++) {
        const char *row = list[r];
        for (int k = 0; k < h->nkeys; k++) {
            if (row[h->nulls_off + k])
                cell_to_column(h->key_types[k], (const cell *)(row + h->key_off[k]),
                               &b->cols[k], (uint32_t)r, b->arena);
            else
                b->cols[k].valid[r] = 0;
        }
        for (int j = 0; j < h->naggs; j++) {
            const agg_spec *s = &h->aggs[j];
            column *out = &b->cols[h->nkeys + j];
            if (s->distinct)
                dset_finalize(*(dset *const *)(row + h->agg_off[j]), s, out, (uint32_t)r, b->arena);
            else
                s->fn->finalize(row + h->agg_off[j], s->arg_type, out, (uint32_t)r);
            if (s->ret_type == TYPE_STRING && out->valid[r]) {
                strv v = out->data.s[r];
                out->data.s[r].ptr = arena_strndup(b->arena, v.ptr ? v.ptr : "", v.len);
            }
        }
    }
    b->nrows = (uint32_t)n;
    return b;
}

batch *hash_agg_output(hash_agg *h, bool only_updated)
{
    if (!only_updated) {
        if (h->nkeys == 0 && h->norder == 0) {
            char *empty_global = h->tmpl;
            return output_rows(h, &empty_global, 1);
        }
        return output_rows(h, h->order, h->norder);
    }
    char **sorted = xmalloc((h->nupdated ? h->nupdated : 1) * sizeof(char *));
    if (h->nupdated)
        memcpy(sorted, h->updated, h->nupdated * sizeof(char *));
    qsort(sorted, h->nupdated, sizeof(char *), cmp_seq);
    batch *b = output_rows(h, sorted, h->nupdated);
    free(sorted);
    return b;
}

batch *hash_agg_output_new(hash_agg *h)
{
    char **fresh = xmalloc((h->nupdated ? h->nupdated : 1) * sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < h->nupdated; i++)
        if (HDR(h->updated[i])->seq >= h->batch_seq0)
            fresh[n++] = h->updated[i];
    qsort(fresh, n, sizeof(char *), cmp_seq);
    batch *b = output_rows(h, fresh, n);
    free(fresh);
    return b;
}

static char *copy_row(const hash_agg *src, const char *row, hash_agg *dst, agg_buf *scratch)
{
    char *nrow = arena_alloc(dst->arena, dst->row_size);
    memcpy(nrow, row, dst->row_size);
    for (int k = 0; k < dst->nkeys; k++)
        if (row[dst->nulls_off + k])
            cell_store(dst->key_types[k], (cell *)(nrow + dst->key_off[k]), row + dst->key_off[k],
                       dst->arena);
    for (int j = 0; j < dst->naggs; j++) {
        const agg_spec *s = &dst->aggs[j];
        scratch->len = 0;
        if (s->distinct)
            dset_serialize(*(dset *const *)(row + src->agg_off[j]), s->arg_type, scratch);
        else
            s->fn->serialize(row + src->agg_off[j], s->arg_type, scratch);
        agg_reader in = {scratch->data, scratch->data + scratch->len, false};
        if (s->distinct)
            dset_deserialize((dset **)(nrow + dst->agg_off[j]), s->arg_type, &in, dst->arena);
        else
            s->fn->deserialize(nrow + dst->agg_off[j], s->arg_type, &in, dst->arena);
    }
    return nrow;
}

static void compact(hash_agg *h)
{
    arena *old = h->arena;
    h->arena = arena_new(0);
    agg_buf scratch = {0};
    for (size_t i = 0; i < h->norder; i++)
        h->order[i] = copy_row(h, h->order[i], h, &scratch);
    agg_buf_free(&scratch);
    arena_free(old);
    size_t cap = TABLE_MIN_CAP;
    while (h->norder * 2 > cap)
        cap *= 2;
    if (cap < h->cap) {
        free(h->table);
        h->table = xcalloc(cap, sizeof(slot));
        h->cap = cap;
    }
    table_rebuild(h);
    h->nupdated = 0;
    for (size_t i = 0; i < h->norder; i++)
        if (HDR(h->order[i])->epoch == h->epoch)
            push_row(&h->updated, &h->nupdated, &h->updated_cap, h->order[i]);
    h->dead_groups = 0;
}

static void maybe_compact(hash_agg *h)
{
    if (h->dead_groups >= h->norder && arena_bytes(h->arena) >= COMPACT_MIN_BYTES)
        compact(h);
}

/* Drops rows no longer live from the updated list (one pass). */
static void drop_dead_updated(hash_agg *h)
{
    size_t u = 0;
    for (size_t i = 0; i < h->nupdated; i++)
        if (HDR(h->updated[i])->live)
            h->updated[u++] = h->updated[i];
    h->nupdated = u;
}

uint64_t hash_agg_evict(hash_agg *h, bool (*keep)(const value *keys, void *ctx), void *ctx)
{
    int nk = h->nkeys;
    value vals[nk > 0 ? nk : 1];
    uint64_t removed = 0;
    size_t w = 0;
    for (size_t i = 0; i < h->norder; i++) {
        char *row = h->order[i];
        for (int k = 0; k < nk; k++)
            vals[k] = cell_to_value(h->key_types[k], (const cell *)(row + h->key_off[k]),
                                    row[h->nulls_off + k] != 0);
        if (keep(vals, ctx)) {
            h->order[w++] = row;
            continue;
        }
        if (h->track_removals) {
            put_key(h, row, &h->removed);
            h->nremoved++;
        }
        table_remove(h, row);
        HDR(row)->live = 0;
        removed++;
    }
    h->norder = w;
    if (removed) {
        drop_dead_updated(h);
        h->dead_groups += removed;
        maybe_compact(h);
    }
    return removed;
}

/* ---- merge ----------------------------------------------------------------------- */

typedef struct take_ctx {
    bool (*take)(const value *keys, void *ctx);
    void *ctx;
} take_ctx;

static bool keep_untaken(const value *keys, void *ctx)
{
    const take_ctx *t = ctx;
    return !t->take(keys, t->ctx);
}

static void row_values(const hash_agg *h, const char *row, value *vals)
{
    for (int k = 0; k < h->nkeys; k++)
        vals[k] = cell_to_value(h->key_types[k], (const cell *)(row + h->key_off[k]),
                                row[h->nulls_off + k] != 0);
}

batch *hash_agg_take(hash_agg *h, bool (*take)(const value *keys, void *ctx), void *ctx)
{
    value vals[h->nkeys > 0 ? h->nkeys : 1];
    char **list = xmalloc((h->norder ? h->norder : 1) * sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < h->norder; i++) {
        row_values(h, h->order[i], vals);
        if (take(vals, ctx))
            list[n++] = h->order[i];
    }
    batch *b = output_rows(h, list, n);
    free(list);
    if (n) {
        take_ctx t = {take, ctx};
        hash_agg_evict(h, keep_untaken, &t);
    }
    return b;
}

bool hash_agg_any(const hash_agg *h, bool (*pred)(const value *keys, void *ctx), void *ctx)
{
    value vals[h->nkeys > 0 ? h->nkeys : 1];
    for (size_t i = 0; i < h->norder; i++) {
        row_values(h, h->order[i], vals);
        if (pred(vals, ctx))
            return true;
    }
    return false;
}

static void row_cells(const hash_agg *h, const char *row, const void **cells)
{
    for (int k = 0; k < h->nkeys; k++)
        cells[k] = row[h->nulls_off + k] ? row + h->key_off[k] : NULL;
}

void hash_agg_merge(hash_agg *dst, const hash_agg *src)
{
    const void *cells[dst->nkeys > 0 ? dst->nkeys : 1];
    for (size_t i = 0; i < src->norder; i++) {
        const char *srow = src->order[i];
        row_cells(src, srow, cells);
        bool created;
        char *row = find_or_insert(dst, HDR(srow)->hash, cells, &created);
        mark_updated(dst, row);
        for (int j = 0; j < dst->naggs; j++) {
            const agg_spec *s = &dst->aggs[j];
            if (s->distinct) {
                const dset *from = *(dset *const *)(srow + src->agg_off[j]);
                for (uint32_t e = 0; from && e < from->cap; e++)
                    if (from->e[e].tag)
                        dset_add((dset **)(row + dst->agg_off[j]), s->arg_type, &from->e[e].v,
                                 dst->arena);
            } else {
                s->fn->combine(row + dst->agg_off[j], srow + src->agg_off[j], s->arg_type,
                               dst->arena);
            }
        }
    }
}

/* ---- sizes ----------------------------------------------------------------------- */

uint64_t hash_agg_ngroups(const hash_agg *h)
{
    return h->norder;
}

uint64_t hash_agg_nupdated(const hash_agg *h)
{
    return h->nupdated;
}

size_t hash_agg_memory(const hash_agg *h)
{
    return arena_bytes(h->arena) + h->cap * sizeof(slot) +
           (h->order_cap + h->updated_cap) * sizeof(char *) + h->row_size + h->removed.cap +
           (size_t)h->scratch_cap * (sizeof(uint64_t) + sizeof(char *) +
                                     (h->nkeys ? h->nkeys : 1) * sizeof(void *));
}

/* ---- checkpoint format --------------------------------------------------------------- */

/* The header of a snapshot or delta: format byte, key types, aggregates. */
static void put_header(const hash_agg *h, uint8_t format, agg_buf *out)
{
    agg_buf_put_u8(out, format);
    agg_buf_put_u32(out, (uint32_t)h->nkeys);
    for (int k = 0; k < h->nkeys; k++)
        agg_buf_put_u8(out, (uint8_t)h->key_types[k]);
    agg_buf_put_u32(out, (uint32_t)h->naggs);
    for (int j = 0; j < h->naggs; j++) {
        const agg_spec *s = &h->aggs[j];
        agg_buf_put_str(out, s->fn->name, (uint32_t)strlen(s->fn->name));
        agg_buf_put_u8(out, (uint8_t)s->arg_type);
        agg_buf_put_u8(out, s->distinct);
        agg_buf_put_u8(out, (uint8_t)s->ret_type);
        agg_buf_put_u64(out, agg_state_bytes(s));
    }
}

static void put_states(const hash_agg *h, const char *row, agg_buf *out)
{
    for (int j = 0; j < h->naggs; j++) {
        const agg_spec *s = &h->aggs[j];
        if (s->distinct)
            dset_serialize(*(dset *const *)(row + h->agg_off[j]), s->arg_type, out);
        else
            s->fn->serialize(row + h->agg_off[j], s->arg_type, out);
    }
}

void hash_agg_serialize(const hash_agg *h, agg_buf *out)
{
    put_header(h, HASH_AGG_FORMAT, out);
    agg_buf_put_u64(out, h->norder);
    for (size_t i = 0; i < h->norder; i++) {
        put_key(h, h->order[i], out);
        put_states(h, h->order[i], out);
    }
}

void hash_agg_serialize_delta(const hash_agg *h, agg_buf *out)
{
    put_header(h, HASH_AGG_DELTA_FORMAT, out);
    agg_buf_put_u64(out, h->nremoved);
    if (h->removed.len)
        agg_buf_put(out, h->removed.data, h->removed.len);
    agg_buf_put_u64(out, h->nupdated);
    for (size_t i = 0; i < h->nupdated; i++) {
        put_key(h, h->updated[i], out);
        put_states(h, h->updated[i], out);
    }
}

static int corrupt(eddy_error *err, const char *what)
{
    return err_set(err, EDDY_CORRUPT, "aggregation state: %s", what);
}

/* Checks a header against h's shape. 0 or -EDDY_CORRUPT. */
static int read_header(const hash_agg *h, agg_reader *in, uint8_t format, eddy_error *err)
{
    uint8_t version = agg_read_u8(in);
    if (in->bad)
        return corrupt(err, "empty");
    if (version != format) {
        if (version == HASH_AGG_FORMAT || version == HASH_AGG_DELTA_FORMAT)
            return corrupt(err, format == HASH_AGG_FORMAT
                                    ? "a delta where a snapshot was expected"
                                    : "a snapshot where a delta was expected");
        return err_set(err, EDDY_CORRUPT, "aggregation state: unknown format version %u", version);
    }
    if (agg_read_u32(in) != (uint32_t)h->nkeys)
        return in->bad ? corrupt(err, "truncated header")
                       : corrupt(err, "number of grouping keys differs from the query's");
    for (int k = 0; k < h->nkeys; k++)
        if (agg_read_u8(in) != (uint8_t)h->key_types[k])
            return in->bad ? corrupt(err, "truncated header")
                           : corrupt(err, "grouping key types differ from the query's");
    if (agg_read_u32(in) != (uint32_t)h->naggs)
        return in->bad ? corrupt(err, "truncated header")
                       : corrupt(err, "number of aggregates differs from the query's");
    arena *tmp = arena_new(256);
    int rc = 0;
    for (int j = 0; j < h->naggs && rc == 0; j++) {
        const agg_spec *s = &h->aggs[j];
        strv name = agg_read_str(in, tmp);
        bool same = !in->bad && name.len == strlen(s->fn->name) &&
                    memcmp(name.ptr, s->fn->name, name.len) == 0;
        same = same && agg_read_u8(in) == (uint8_t)s->arg_type;
        same = same && agg_read_u8(in) == (uint8_t)s->distinct;
        same = same && agg_read_u8(in) == (uint8_t)s->ret_type;
        same = same && agg_read_u64(in) == agg_state_bytes(s);
        if (!same)
            rc = in->bad ? corrupt(err, "truncated header")
                         : corrupt(err, "aggregate functions differ from the query's");
    }
    arena_free(tmp);
    return rc;
}

/* Reads a key written by put_key: cells[k] points at keys[k] (string bytes
 * still in the input) or is NULL for a NULL key. 0 or -EDDY_CORRUPT. */
static int read_key(const hash_agg *h, agg_reader *in, cell *keys, const void **cells,
                    eddy_error *err)
{
    for (int k = 0; k < h->nkeys; k++) {
        uint8_t present = agg_read_u8(in);
        if (present > 1)
            return corrupt(err, in->bad ? "truncated group key" : "bad key NULL flag");
        if (present)
            cell_deserialize(h->key_types[k], &keys[k], in);
        cells[k] = present ? &keys[k] : NULL;
    }
    return in->bad ? corrupt(err, "truncated group key") : 0;
}

/* Reads a group's states into row (overwriting what it held). */
static int read_states(hash_agg *h, char *row, agg_reader *in, eddy_error *err)
{
    for (int j = 0; j < h->naggs; j++) {
        const agg_spec *s = &h->aggs[j];
        int rc = s->distinct
                     ? dset_deserialize((dset **)(row + h->agg_off[j]), s->arg_type, in, h->arena)
                     : s->fn->deserialize(row + h->agg_off[j], s->arg_type, in, h->arena);
        if (rc < 0 || in->bad)
            return corrupt(err, "truncated or invalid aggregate state");
    }
    return 0;
}

int hash_agg_deserialize(hash_agg *h, const uint8_t *data, size_t len, eddy_error *err)
{
    if (h->norder)
        return err_set(err, EDDY_RUNTIME, "aggregation state: loading into a non-empty aggregation");
    agg_reader in = {data, data + len, false};
    int rc = read_header(h, &in, HASH_AGG_FORMAT, err);
    if (rc)
        return rc;
    uint64_t ngroups = agg_read_u64(&in);
    if (in.bad)
        return corrupt(err, "truncated header");
    int nk = h->nkeys;
    cell keys[nk > 0 ? nk : 1];
    const void *cells[nk > 0 ? nk : 1];
    for (uint64_t g = 0; g < ngroups; g++) {
        if ((rc = read_key(h, &in, keys, cells, err)) != 0)
            return rc;
        bool created;
        char *row = find_or_insert(h, cells_hash(h, cells), cells, &created);
        if (!created)
            return corrupt(err, "duplicate group key");
        if ((rc = read_states(h, row, &in, err)) != 0)
            return rc;
    }
    if (in.p != in.end)
        return corrupt(err, "trailing bytes after the last group");
    return 0;
}

int hash_agg_apply_delta(hash_agg *h, const uint8_t *data, size_t len, eddy_error *err)
{
    agg_reader in = {data, data + len, false};
    int rc = read_header(h, &in, HASH_AGG_DELTA_FORMAT, err);
    if (rc)
        return rc;
    int nk = h->nkeys;
    cell keys[nk > 0 ? nk : 1];
    const void *cells[nk > 0 ? nk : 1];

    uint64_t nremoved = agg_read_u64(&in);
    if (in.bad)
        return corrupt(err, "truncated header");
    uint64_t removed = 0;
    for (uint64_t i = 0; i < nremoved; i++) {
        const uint8_t *at = in.p;
        if ((rc = read_key(h, &in, keys, cells, err)) != 0)
            return rc;
        char *row = find_row(h, cells_hash(h, cells), cells);
        if (row) {
            table_remove(h, row);
            HDR(row)->live = 0;
            removed++;
        }
        /* A key of no bytes (nkeys 0): every entry is the same key. */
        if (in.p == at)
            break;
    }
    if (removed) {
        size_t w = 0;
        for (size_t i = 0; i < h->norder; i++)
            if (HDR(h->order[i])->live)
                h->order[w++] = h->order[i];
        h->norder = w;
        drop_dead_updated(h);
        h->dead_groups += removed;
    }

    uint64_t nupserts = agg_read_u64(&in);
    if (in.bad)
        return corrupt(err, "truncated list of updated groups");
    for (uint64_t i = 0; i < nupserts; i++) {
        const uint8_t *at = in.p;
        if ((rc = read_key(h, &in, keys, cells, err)) != 0)
            return rc;
        bool created;
        char *row = find_or_insert(h, cells_hash(h, cells), cells, &created);
        /* Replaced states may leave strings and distinct sets behind in the
         * arena: count them towards compaction as an evicted group. */
        if (!created)
            h->dead_groups++;
        if ((rc = read_states(h, row, &in, err)) != 0)
            return rc;
        if (in.p == at)
            break;
    }
    if (in.p != in.end)
        return corrupt(err, "trailing bytes after the last group");
    maybe_compact(h);
    hash_agg_begin_batch(h);
    return 0;
}
