/* Session-window aggregation: per key (the grouping keys other than the
 * session window), a sorted vector of disjoint sessions with their aggregate
 * states, merged across micro-batches as Spark's MergingSessionsIterator
 * merges them.
 *
 * Storage. Every key is one group block in the aggregation's arena (a
 * header, then the key values; strings interned once per key) found through
 * an open-addressing table on the XXH3 hash of the keys, exactly as hash_agg
 * finds groups. Every session is one block in the same arena: a header
 * ([start, end) in µs, update epoch) then each aggregate's state. A group's
 * sessions are a malloc'd vector sorted by start; sessions never overlap or
 * touch (s2 > e1), so the vector is sorted by end too, and the sessions a
 * watermark expires are always a prefix.
 *
 * One update call works in three passes:
 *   1. find every row's key group and bucket the rows by group (a stable
 *      counting sort), sorting a bucket by time only when it is out of order;
 *   2. per group, sweep its rows and its existing sessions in start order
 *      (binary search skips the untouched sessions), building the new session
 *      structure and choosing for each row the state block it updates;
 *   3. run each aggregate's columnar update once over the whole call, then
 *      apply the recorded combines of merged sessions.
 * Contributions fold in start order (see session_agg.h): a run of rows that
 * follows a session's first piece updates that session's state directly; a
 * run that follows a merged-in existing session updates a temporary state
 * that is combined after it, so first/last see Spark's order.
 *
 * Sessions removed by merging or by the watermark, temporary states and
 * emptied groups stay in the arena as garbage until enough accumulates; then
 * the live blocks are copied into a fresh arena (as hash_agg compacts). */
#include "exec/session_agg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/err.h"
#include "core/mem.h"
#include "exec/key_cell.h"

#define SESSION_AGG_FORMAT 1
/* The format byte of a delta (session_agg_serialize_delta): the high bit
 * sets it apart from every snapshot format version. */
#define SESSION_AGG_DELTA_FORMAT 0x81
#define TABLE_MIN_CAP 16
#define NO_GROUP UINT32_MAX
/* Compact once the arena holds at least as many dead blocks (sessions,
 * temporary states, groups) as live ones, and at least this many bytes: the
 * copy then costs at most one block copy per dead block. */
#define COMPACT_MIN_BYTES (1u << 20)

typedef struct sgroup sgroup;

/* A session; the aggregate states follow at session_agg.agg_off[j]. A
 * temporary state block has the same layout with group NULL and live 0. */
typedef struct sess {
    sgroup *group;
    int64_t start;  /* µs, inclusive */
    int64_t end;    /* µs, exclusive */
    uint32_t epoch; /* batch epoch of the last update */
    uint32_t live;  /* 0 once merged away or expired */
} sess;

/* A key: the values of the grouping keys other than the session window
 * follow at nulls_off (one present byte per key) and key_off[k]. */
struct sgroup {
    uint64_t hash;
    uint64_t seq;   /* first-seen order */
    uint64_t stamp; /* the update call that last touched the group */
    sess **v;       /* sessions by start; malloc'd, owned by the group */
    uint32_t n;
    uint32_t cap;
    uint32_t local; /* bucket index within the update call `stamp` */
    uint32_t mark;  /* epoch in which take listed it in `expired` */
};

typedef struct slot {
    uint64_t hash;
    sgroup *g; /* NULL: empty */
} slot;


/* A row of an update call, sorted within its group by (start, idx). */
typedef struct sort_ent {
    int64_t start;
    uint32_t idx;
} sort_ent;

/* "fold src's states into dst", applied after the columnar updates. */
typedef struct merge_op {
    sess *dst;
    sess *src;
} merge_op;

struct session_agg {
    int nkeys;
    int naggs;
    int session_key;
    type_id *key_types;
    agg_spec *aggs;
    size_t nulls_off; /* in a group block */
    size_t *key_off;  /* in a group block; unused for session_key */
    size_t group_size;
    size_t *agg_off; /* in a session block */
    size_t sess_size;
    char *tmpl; /* a fresh session block: header zero, states initialised */

    arena *arena;
    slot *table;
    size_t cap; /* power of two */
    size_t count;
    sgroup **order; /* live groups, first-seen order */
    size_t norder;
    size_t order_cap;
    sess **updated; /* sessions marked in this epoch (some may be dead since) */
    size_t nlisted;
    size_t updated_cap;
    uint64_t nupdated; /* live sessions marked in this epoch */
    uint64_t nsessions;
    uint32_t epoch;
    uint64_t stamp;
    uint64_t next_seq;
    uint64_t dead;    /* dead blocks in the arena since the last compaction */
    size_t vec_bytes; /* bytes of all groups' session vectors */

    /* Removals since begin_batch, recorded while track_removals is on. */
    bool track_removals;
    sgroup **expired; /* groups that lost some sessions to take and kept others */
    size_t nexpired;
    size_t expired_cap;
    agg_buf removed; /* keys of groups take left without sessions */
    uint64_t nremoved;

    /* Scratch of one update call, kept between calls. */
    uint32_t scratch_cap;
    uint64_t *hashes;
    uint32_t *rowgrp; /* row -> bucket, NO_GROUP when skipped */
    char **rowptr;    /* row -> the state block it updates */
    char **sortptr;   /* the same in ents order, when rows are gathered */
    sort_ent *ents;
    sgroup **locals;  /* bucket -> group */
    uint32_t *bounds; /* bucket b's rows are ents[bounds[b] .. bounds[b + 1]) */
    sess **tail;
    size_t tail_cap;
    merge_op *ops;
    size_t nops;
    size_t ops_cap;
};

#define GROUP_BYTES(g) ((char *)(g))
#define STATE(blk, s, j) ((char *)(blk) + (s)->agg_off[j])



/* ---- construction ----------------------------------------------------------- */

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

session_agg *session_agg_new(int nkeys, const type_id *key_types, int session_key, int naggs,
                             const agg_spec *aggs)
{
    if (nkeys < 1 || naggs < 0 || session_key < 0 || session_key >= nkeys ||
        key_types[session_key] != TYPE_WINDOW)
        return NULL;
    for (int j = 0; j < naggs; j++)
        if (aggs[j].distinct)
            return NULL;

    session_agg *s = xcalloc(1, sizeof *s);
    s->nkeys = nkeys;
    s->naggs = naggs;
    s->session_key = session_key;
    s->key_types = xmalloc((size_t)nkeys * sizeof(type_id));
    memcpy(s->key_types, key_types, (size_t)nkeys * sizeof(type_id));
    s->aggs = xmalloc((size_t)(naggs ? naggs : 1) * sizeof(agg_spec));
    if (naggs)
        memcpy(s->aggs, aggs, (size_t)naggs * sizeof(agg_spec));

    s->key_off = xcalloc((size_t)nkeys, sizeof(size_t));
    size_t off = sizeof(sgroup);
    s->nulls_off = off;
    off = align8(off + (size_t)nkeys);
    for (int k = 0; k < nkeys; k++) {
        if (k == session_key)
            continue;
        s->key_off[k] = off;
        off += align8(type_width(key_types[k]));
    }
    s->group_size = off;

    s->agg_off = xmalloc((size_t)(naggs ? naggs : 1) * sizeof(size_t));
    off = align8(sizeof(sess));
    for (int j = 0; j < naggs; j++) {
        s->agg_off[j] = off;
        off += align8(aggs[j].fn->state_size(aggs[j].arg_type));
    }
    s->sess_size = off;
    s->tmpl = xcalloc(1, s->sess_size);
    for (int j = 0; j < naggs; j++)
        aggs[j].fn->init(STATE(s->tmpl, s, j), aggs[j].arg_type);

    s->arena = arena_new(0);
    s->cap = TABLE_MIN_CAP;
    s->table = xcalloc(s->cap, sizeof(slot));
    s->epoch = 1;
    return s;
}

static void free_scratch(session_agg *s)
{
    free(s->hashes);
    free(s->rowgrp);
    free(s->rowptr);
    free(s->sortptr);
    free(s->ents);
    free(s->locals);
    free(s->bounds);
}

void session_agg_free(session_agg *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->norder; i++)
        free(s->order[i]->v);
    arena_free(s->arena);
    free(s->table);
    free(s->order);
    free(s->updated);
    free_scratch(s);
    free(s->tail);
    free(s->ops);
    free(s->expired);
    agg_buf_free(&s->removed);
    free(s->tmpl);
    free(s->key_off);
    free(s->agg_off);
    free(s->key_types);
    free(s->aggs);
    free(s);
}

void session_agg_begin_batch(session_agg *s)
{
    s->epoch++;
    if (s->epoch == 0) {
        /* Wrapped: clear every session's mark so none looks updated. */
        for (size_t i = 0; i < s->norder; i++) {
            s->order[i]->mark = 0;
            for (uint32_t k = 0; k < s->order[i]->n; k++)
                s->order[i]->v[k]->epoch = 0;
        }
        s->epoch = 1;
    }
    s->nlisted = 0;
    s->nupdated = 0;
    s->nexpired = 0;
    s->nremoved = 0;
    s->removed.len = 0;
    if (s->removed.cap > COMPACT_MIN_BYTES)
        agg_buf_free(&s->removed);
}

void session_agg_track_removals(session_agg *s, bool on)
{
    s->track_removals = on;
    if (!on) {
        free(s->expired);
        s->expired = NULL;
        s->nexpired = s->expired_cap = 0;
        agg_buf_free(&s->removed);
        s->nremoved = 0;
    }
}

/* ---- the key table ------------------------------------------------------------ */

static void table_place(slot *table, size_t mask, uint64_t hash, sgroup *g)
{
    size_t pos = hash & mask;
    while (table[pos].g)
        pos = (pos + 1) & mask;
    table[pos].hash = hash;
    table[pos].g = g;
}

static void table_grow(session_agg *s)
{
    size_t cap = s->cap * 2;
    slot *t = xcalloc(cap, sizeof(slot));
    for (size_t i = 0; i < s->cap; i++)
        if (s->table[i].g)
            table_place(t, cap - 1, s->table[i].hash, s->table[i].g);
    free(s->table);
    s->table = t;
    s->cap = cap;
}

/* Removes g (which must be in the table) by backward-shift deletion, so
 * every remaining key stays reachable from its home slot. */
static void table_remove(session_agg *s, sgroup *g)
{
    size_t mask = s->cap - 1;
    size_t i = g->hash & mask;
    while (s->table[i].g != g)
        i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->table[j].g)
            break;
        size_t home = s->table[j].hash & mask;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            s->table[i] = s->table[j];
            i = j;
        }
    }
    s->table[i].g = NULL;
    s->table[i].hash = 0;
    s->count--;
}

static inline bool group_matches(const session_agg *s, const sgroup *g, const void *const *cells)
{
    const char *gb = GROUP_BYTES(g);
    for (int k = 0; k < s->nkeys; k++) {
        if (k == s->session_key)
            continue;
        bool present = gb[s->nulls_off + k] != 0;
        if (!cells[k]) {
            if (present)
                return false;
        } else if (!present || !cell_eq(s->key_types[k], gb + s->key_off[k], cells[k])) {
            return false;
        }
    }
    return true;
}

static uint64_t group_hash(const session_agg *s, const void *const *cells)
{
    uint64_t hv = 0;
    for (int k = 0; k < s->nkeys; k++)
        if (k != s->session_key)
            hv = cell_hash(s->key_types[k], cells[k], hv);
    return hv;
}

/* The group of a key tuple (as group_find_or_insert), or NULL. */
static sgroup *group_find(const session_agg *s, uint64_t hash, const void *const *cells)
{
    size_t mask = s->cap - 1;
    for (size_t pos = hash & mask; s->table[pos].g; pos = (pos + 1) & mask)
        if (s->table[pos].hash == hash && group_matches(s, s->table[pos].g, cells))
            return s->table[pos].g;
    return NULL;
}

/* Appends a group's key values other than the session window: per key a
 * present byte, then the cell if present. */
static void put_key(const session_agg *s, const sgroup *g, agg_buf *out)
{
    const char *gb = GROUP_BYTES(g);
    for (int k = 0; k < s->nkeys; k++) {
        if (k == s->session_key)
            continue;
        uint8_t present = gb[s->nulls_off + k] != 0;
        agg_buf_put_u8(out, present);
        if (present)
            cell_serialize(s->key_types[k], (const cell *)(gb + s->key_off[k]), out);
    }
}

/* Appends x to a growable array of any element type. */
#define PUSH(list, n, cap, x)                                              \
    do {                                                                   \
        if ((n) == (cap)) {                                                \
            (cap) = (cap) ? (cap) * 2 : 64;                                \
            (list) = xrealloc((list), (cap) * sizeof *(list));             \
        }                                                                  \
        (list)[(n)++] = (x);                                               \
    } while (0)

/* The group for a key tuple (cells[k] points at key k's storage, NULL for a
 * NULL key; cells[session_key] is ignored), created if new. */
static sgroup *group_find_or_insert(session_agg *s, uint64_t hash, const void *const *cells)
{
    size_t mask = s->cap - 1;
    size_t pos = hash & mask;
    for (;;) {
        slot *sl = &s->table[pos];
        if (!sl->g)
            break;
        if (sl->hash == hash && group_matches(s, sl->g, cells))
            return sl->g;
        pos = (pos + 1) & mask;
    }
    if ((s->count + 1) * 4 > s->cap * 3) {
        table_grow(s);
        mask = s->cap - 1;
        pos = hash & mask;
        while (s->table[pos].g)
            pos = (pos + 1) & mask;
    }
    sgroup *g = arena_calloc(s->arena, s->group_size);
    char *gb = GROUP_BYTES(g);
    g->hash = hash;
    g->seq = s->next_seq++;
    for (int k = 0; k < s->nkeys; k++) {
        if (k != s->session_key && cells[k]) {
            gb[s->nulls_off + k] = 1;
            cell_store(s->key_types[k], (cell *)(gb + s->key_off[k]), cells[k], s->arena);
        }
    }
    s->table[pos].hash = hash;
    s->table[pos].g = g;
    s->count++;
    PUSH(s->order, s->norder, s->order_cap, g);
    return g;
}

/* Makes room for n sessions in g's vector. */
static void group_reserve(session_agg *s, sgroup *g, uint32_t n)
{
    if (n <= g->cap)
        return;
    uint32_t cap = g->cap ? g->cap : 2;
    while (cap < n)
        cap *= 2;
    g->v = xrealloc(g->v, (size_t)cap * sizeof(sess *));
    s->vec_bytes += (size_t)(cap - g->cap) * sizeof(sess *);
    g->cap = cap;
}

/* ---- sessions ------------------------------------------------------------------ */

static sess *sess_new(session_agg *s, sgroup *g, int64_t start, int64_t end)
{
    sess *x = arena_alloc(s->arena, s->sess_size);
    memcpy(x, s->tmpl, s->sess_size);
    x->group = g;
    x->start = start;
    x->end = end;
    x->epoch = 0;
    x->live = 1;
    s->nsessions++;
    return x;
}

/* A temporary state block for one run of rows; garbage after the call. */
static sess *temp_state(session_agg *s)
{
    sess *x = arena_alloc(s->arena, s->sess_size);
    memcpy(x, s->tmpl, s->sess_size);
    s->dead++;
    return x;
}

static inline void mark_updated(session_agg *s, sess *x)
{
    if (x->epoch != s->epoch) {
        x->epoch = s->epoch;
        PUSH(s->updated, s->nlisted, s->updated_cap, x);
        s->nupdated++;
    }
}

/* x leaves the state (merged away or expired); its block stays readable
 * until the next compaction. */
static void sess_kill(session_agg *s, sess *x)
{
    x->live = 0;
    if (x->epoch == s->epoch)
        s->nupdated--;
    s->nsessions--;
    s->dead++;
}

static void push_op(session_agg *s, sess *dst, sess *src)
{
    if (s->nops == s->ops_cap) {
        s->ops_cap = s->ops_cap ? s->ops_cap * 2 : 16;
        s->ops = xrealloc(s->ops, s->ops_cap * sizeof(merge_op));
    }
    s->ops[s->nops].dst = dst;
    s->ops[s->nops].src = src;
    s->nops++;
}

static void tail_append(session_agg *s, size_t *nt, sess *const *v, size_t n)
{
    if (!n)
        return;
    if (*nt + n > s->tail_cap) {
        size_t cap = s->tail_cap ? s->tail_cap : 64;
        while (cap < *nt + n)
            cap *= 2;
        s->tail = xrealloc(s->tail, cap * sizeof(sess *));
        s->tail_cap = cap;
    }
    memcpy(s->tail + *nt, v, n * sizeof(sess *));
    *nt += n;
}

/* First index in v[lo, hi) whose session ends at or after t (ends ascend). */
static uint32_t first_end_at_least(sess *const *v, uint32_t lo, uint32_t hi, int64_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid]->end < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* How many leading sessions of v[0, n) end at or before t (ends ascend). */
static uint32_t count_ended_by(sess *const *v, uint32_t n, int64_t t)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid]->end <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Pass 2 for one group: merges its rows ent[0, ne) (sorted by start, then
 * arrival) into its sessions with MergingSessionsIterator's rule, sets
 * rowptr[] for every row and records the combines of merged sessions.
 * Sessions before the first affected one stay in place; the rest of the
 * vector is rebuilt through s->tail. */
static void settle_group(session_agg *s, sgroup *g, const sort_ent *ent, uint32_t ne,
                         const window_val *w)
{
    sess **v = g->v;
    uint32_t n = g->n, pos = 0, keep = n, i = 0;
    size_t nt = 0;
    while (i < ne) {
        int64_t a = ent[i].start;
        /* Sessions ending before a are untouched by this and every later row. */
        uint32_t k = first_end_at_least(v, pos, n, a);
        if (i == 0)
            keep = k;
        else if (k > pos)
            tail_append(s, &nt, v + pos, k - pos);

        /* The cluster's first piece: the existing session when it starts no
         * later than the row (state first on ties, as Spark), else the row. */
        sess *target;
        if (k < n && v[k]->start <= a)
            target = v[k++];
        else
            target = sess_new(s, g, a, a);
        sess *run = target; /* where the current run of rows goes; NULL: new temp */
        int64_t end = target->end;
        for (;;) {
            bool have_row = i < ne, have_old = k < n;
            if (!have_row && !have_old)
                break;
            bool take_old = have_old && (!have_row || v[k]->start <= ent[i].start);
            if ((take_old ? v[k]->start : ent[i].start) > end)
                break;
            if (take_old) {
                sess *x = v[k++];
                push_op(s, target, x);
                sess_kill(s, x);
                if (x->end > end)
                    end = x->end;
                run = NULL;
            } else {
                if (!run) {
                    run = temp_state(s);
                    push_op(s, target, run);
                }
                uint32_t idx = ent[i++].idx;
                s->rowptr[idx] = (char *)run;
                if (w[idx].end > end)
                    end = w[idx].end;
            }
        }
        target->end = end;
        mark_updated(s, target);
        tail_append(s, &nt, &target, 1);
        pos = k;
    }
    if (n > pos) /* v is NULL for a new key */
        tail_append(s, &nt, v + pos, n - pos);
    group_reserve(s, g, keep + (uint32_t)nt);
    memcpy(g->v + keep, s->tail, nt * sizeof(sess *));
    g->n = keep + (uint32_t)nt;
}

/* ---- batch update ------------------------------------------------------------- */

static void reserve_scratch(session_agg *s, uint32_t n)
{
    if (n <= s->scratch_cap)
        return;
    free_scratch(s);
    s->scratch_cap = n;
    s->hashes = xmalloc((size_t)n * sizeof(uint64_t));
    s->rowgrp = xmalloc((size_t)n * sizeof(uint32_t));
    s->rowptr = xmalloc((size_t)n * sizeof(char *));
    s->sortptr = xmalloc((size_t)n * sizeof(char *));
    s->ents = xmalloc((size_t)n * sizeof(sort_ent));
    s->locals = xmalloc((size_t)n * sizeof(sgroup *));
    s->bounds = xmalloc(((size_t)n + 1) * sizeof(uint32_t));
}

static int cmp_ent(const void *a, const void *b)
{
    const sort_ent *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Pass 3 when every group's rows came in time order: each aggregate runs
 * over the input columns as they are, in runs of rows that were not skipped
 * (a run's row pointers are contiguous, the columns are offset to it). */
static void update_in_place(session_agg *s, const column *const *args, uint32_t n)
{
    for (int j = 0; j < s->naggs; j++) {
        const agg_spec *spec = &s->aggs[j];
        uint32_t i = 0;
        while (i < n) {
            if (s->rowgrp[i] == NO_GROUP) {
                i++;
                continue;
            }
            uint32_t r0 = i;
            while (i < n && s->rowgrp[i] != NO_GROUP)
                i++;
            column part;
            const column *arg = args[j];
            if (arg && r0 > 0) {
                part = *arg;
                part.valid += r0;
                part.data.raw = (char *)part.data.raw + (size_t)r0 * type_width(arg->type);
                arg = &part;
            }
            spec->fn->update(s->rowptr + r0, s->agg_off[j], arg, i - r0, spec->arg_type,
                             s->arena);
        }
    }
}

/* Pass 3 when some key's rows came out of time order: the m kept rows are
 * gathered in ents order (key, then start, then arrival), so every state
 * sees its rows in event-time order, as after Spark's sort. Each distinct
 * argument column is gathered once; string views still point into the
 * caller's column. */
static void update_gathered(session_agg *s, const column *const *args, uint32_t m)
{
    int na = s->naggs;
    for (uint32_t p = 0; p < m; p++)
        s->sortptr[p] = s->rowptr[s->ents[p].idx];
    column gathered[na > 0 ? na : 1];
    int source[na > 0 ? na : 1]; /* gathered[source[j]] holds args[j]; -1: NULL */
    for (int j = 0; j < na; j++) {
        const column *arg = args[j];
        source[j] = -1;
        if (!arg)
            continue;
        for (int q = 0; q < j && source[j] < 0; q++)
            if (args[q] == arg)
                source[j] = source[q];
        if (source[j] >= 0)
            continue;
        source[j] = j;
        column *c = &gathered[j];
        size_t width = type_width(arg->type);
        column_init(c, arg->type, m);
        for (uint32_t p = 0; p < m; p++) {
            uint32_t i = s->ents[p].idx;
            c->valid[p] = arg->valid[i];
            memcpy((char *)c->data.raw + (size_t)p * width,
                   (const char *)arg->data.raw + (size_t)i * width, width);
        }
    }
    for (int j = 0; j < na; j++) {
        const agg_spec *spec = &s->aggs[j];
        const column *arg = source[j] < 0 ? NULL : &gathered[source[j]];
        spec->fn->update(s->sortptr, s->agg_off[j], arg, m, spec->arg_type, s->arena);
    }
    for (int j = 0; j < na; j++)
        if (source[j] == j)
            column_free(&gathered[j]);
}

static void compact(session_agg *s);

static void maybe_compact(session_agg *s)
{
    if (s->dead >= s->nsessions + s->norder && arena_bytes(s->arena) >= COMPACT_MIN_BYTES)
        compact(s);
}

void session_agg_update(session_agg *s, const column *keys, const column *const *args,
                        uint32_t n)
{
    if (n == 0)
        return;
    reserve_scratch(s, n);
    int nk = s->nkeys, sk = s->session_key;
    const column *wcol = &keys[sk];
    const window_val *w = wcol->data.w;

    /* Pass 1: every row's group, bucketed. */
    bool first = true;
    for (int k = 0; k < nk; k++) {
        if (k == sk)
            continue;
        hash_key_column(&keys[k], s->key_types[k], n, s->hashes, first);
        first = false;
    }
    if (first)
        memset(s->hashes, 0, (size_t)n * sizeof(uint64_t));
    size_t width[nk];
    for (int k = 0; k < nk; k++)
        width[k] = type_width(s->key_types[k]);
    const void *cells[nk];
    cells[sk] = NULL;
    uint64_t stamp = ++s->stamp;
    uint32_t nlocal = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!wcol->valid[i] || w[i].end <= w[i].start) {
            s->rowgrp[i] = NO_GROUP;
            continue;
        }
        for (int k = 0; k < nk; k++)
            if (k != sk)
                cells[k] = keys[k].valid[i] ? (const char *)keys[k].data.raw + i * width[k]
                                            : NULL;
        sgroup *g = group_find_or_insert(s, s->hashes[i], cells);
        if (g->stamp != stamp) {
            g->stamp = stamp;
            g->local = nlocal;
            s->locals[nlocal++] = g;
        }
        s->rowgrp[i] = g->local;
    }
    if (nlocal == 0)
        return;
    uint32_t *bounds = s->bounds;
    memset(bounds, 0, ((size_t)nlocal + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        if (s->rowgrp[i] != NO_GROUP)
            bounds[s->rowgrp[i] + 1]++;
    for (uint32_t b = 0; b < nlocal; b++)
        bounds[b + 1] += bounds[b];
    /* bounds[b] is bucket b's fill position here, its start again after. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = s->rowgrp[i];
        if (b == NO_GROUP)
            continue;
        sort_ent *e = &s->ents[bounds[b]++];
        e->start = w[i].start;
        e->idx = i;
    }
    memmove(bounds + 1, bounds, (size_t)nlocal * sizeof(uint32_t));
    bounds[0] = 0;

    /* Pass 2: the session structure of every touched group. */
    s->nops = 0;
    bool in_order = true;
    for (uint32_t b = 0; b < nlocal; b++) {
        sort_ent *e = s->ents + bounds[b];
        uint32_t ne = bounds[b + 1] - bounds[b];
        for (uint32_t i = 1; i < ne; i++) {
            if (e[i].start < e[i - 1].start) {
                qsort(e, ne, sizeof *e, cmp_ent);
                in_order = false;
                break;
            }
        }
        settle_group(s, s->locals[b], e, ne, w);
    }

    /* Pass 3: each aggregate over the call's rows, then the combines in
     * fold order. */
    if (in_order)
        update_in_place(s, args, n);
    else
        update_gathered(s, args, bounds[nlocal]);
    for (size_t o = 0; o < s->nops; o++)
        for (int j = 0; j < s->naggs; j++)
            s->aggs[j].fn->combine(STATE(s->ops[o].dst, s, j), STATE(s->ops[o].src, s, j),
                                   s->aggs[j].arg_type, s->arena);
    s->nops = 0;
    maybe_compact(s);
}

/* ---- output ------------------------------------------------------------------- */

static int cmp_sess(const void *a, const void *b)
{
    const sess *x = *(sess *const *)a, *y = *(sess *const *)b;
    if (x->group->seq != y->group->seq)
        return x->group->seq < y->group->seq ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

/* Result rows for the sessions list[0, n), in that order. */
static batch *emit(const session_agg *s, sess *const *list, size_t n)
{
    int nk = s->nkeys, ncols = nk + s->naggs;
    type_id types[ncols];
    for (int k = 0; k < nk; k++)
        types[k] = s->key_types[k];
    for (int j = 0; j < s->naggs; j++)
        types[nk + j] = s->aggs[j].ret_type;
    batch *b = batch_new((uint32_t)ncols, types, (uint32_t)n);
    for (size_t r = 0; r < n; r++) {
        const sess *x = list[r];
        const char *gb = GROUP_BYTES(x->group);
        for (int k = 0; k < nk; k++) {
            column *out = &b->cols[k];
            if (k == s->session_key) {
                out->valid[r] = 1;
                out->data.w[r].start = x->start;
                out->data.w[r].end = x->end;
            } else if (gb[s->nulls_off + k]) {
                cell_to_column(s->key_types[k], (const cell *)(gb + s->key_off[k]), out,
                               (uint32_t)r, b->arena);
            } else {
                out->valid[r] = 0;
            }
        }
        for (int j = 0; j < s->naggs; j++) {
            const agg_spec *spec = &s->aggs[j];
            column *out = &b->cols[nk + j];
            spec->fn->finalize(STATE(x, s, j), spec->arg_type, out, (uint32_t)r);
            if (spec->ret_type == TYPE_STRING && out->valid[r]) {
                strv v = out->data.s[r];
                out->data.s[r].ptr = arena_strndup(b->arena, v.ptr ? v.ptr : "", v.len);
            }
        }
    }
    b->nrows = (uint32_t)n;
    return b;
}

batch *session_agg_output(session_agg *s, bool only_updated)
{
    sess **list;
    size_t n = 0;
    if (only_updated) {
        /* Drop the marks of sessions merged away or expired since. */
        for (size_t i = 0; i < s->nlisted; i++)
            if (s->updated[i]->live)
                s->updated[n++] = s->updated[i];
        s->nlisted = n;
        list = xmalloc((n ? n : 1) * sizeof(sess *));
        if (n)
            memcpy(list, s->updated, n * sizeof(sess *));
        qsort(list, n, sizeof(sess *), cmp_sess);
    } else {
        list = xmalloc((s->nsessions ? s->nsessions : 1) * sizeof(sess *));
        for (size_t i = 0; i < s->norder; i++) {
            const sgroup *g = s->order[i];
            memcpy(list + n, g->v, (size_t)g->n * sizeof(sess *));
            n += g->n;
        }
    }
    batch *b = emit(s, list, n);
    free(list);
    return b;
}

/* ---- watermark ---------------------------------------------------------------- */

/* Removes a group and all its sessions from the table (not from order). */
static void group_drop(session_agg *s, sgroup *g)
{
    for (uint32_t v = 0; v < g->n; v++)
        sess_kill(s, g->v[v]);
    g->n = 0;
    table_remove(s, g);
    free(g->v);
    s->vec_bytes -= (size_t)g->cap * sizeof(sess *);
    g->v = NULL;
    g->cap = 0;
    s->dead++;
}

batch *session_agg_take(session_agg *s, int64_t watermark_us, bool want_rows)
{
    sess **list = NULL;
    size_t nlist = 0, list_cap = 0;
    size_t w = 0;
    for (size_t i = 0; i < s->norder; i++) {
        sgroup *g = s->order[i];
        uint32_t p = count_ended_by(g->v, g->n, watermark_us);
        for (uint32_t k = 0; k < p; k++) {
            if (want_rows)
                PUSH(list, nlist, list_cap, g->v[k]);
            sess_kill(s, g->v[k]);
        }
        if (p && p < g->n)
            memmove(g->v, g->v + p, (size_t)(g->n - p) * sizeof(sess *));
        g->n -= p;
        if (p && s->track_removals) {
            if (g->n == 0) {
                put_key(s, g, &s->removed);
                s->nremoved++;
            } else if (g->mark != s->epoch) {
                g->mark = s->epoch;
                PUSH(s->expired, s->nexpired, s->expired_cap, g);
            }
        }
        if (g->n == 0) {
            group_drop(s, g);
            continue;
        }
        s->order[w++] = g;
    }
    s->norder = w;
    /* Built before compacting: the expired blocks die with the old arena. */
    batch *b = want_rows ? emit(s, list, nlist) : NULL;
    free(list);
    maybe_compact(s);
    return b;
}

bool session_agg_has_expired(const session_agg *s, int64_t watermark_us)
{
    for (size_t i = 0; i < s->norder; i++)
        if (s->order[i]->n && s->order[i]->v[0]->end <= watermark_us)
            return true;
    return false;
}

/* ---- compaction ------------------------------------------------------------------ */

/* Copies every live group and session into a fresh arena. States travel
 * through their serialize/deserialize pair, the one deep copy every
 * aggregate has (strings and other out-of-line data included). */
static void compact(session_agg *s)
{
    arena *old = s->arena;
    s->arena = arena_new(0);
    agg_buf scratch = {0};
    memset(s->table, 0, s->cap * sizeof(slot));
    s->nlisted = 0;
    s->nexpired = 0;
    for (size_t i = 0; i < s->norder; i++) {
        sgroup *from = s->order[i];
        sgroup *g = arena_alloc(s->arena, s->group_size);
        memcpy(g, from, s->group_size);
        char *gb = GROUP_BYTES(g);
        for (int k = 0; k < s->nkeys; k++)
            if (k != s->session_key && gb[s->nulls_off + k])
                cell_store(s->key_types[k], (cell *)(gb + s->key_off[k]),
                           GROUP_BYTES(from) + s->key_off[k], s->arena);
        for (uint32_t v = 0; v < g->n; v++) {
            const sess *x = g->v[v];
            sess *y = arena_alloc(s->arena, s->sess_size);
            memcpy(y, x, s->sess_size);
            y->group = g;
            for (int j = 0; j < s->naggs; j++) {
                const agg_spec *spec = &s->aggs[j];
                scratch.len = 0;
                spec->fn->serialize(STATE(x, s, j), spec->arg_type, &scratch);
                agg_reader in = {scratch.data, scratch.data + scratch.len, false};
                spec->fn->deserialize(STATE(y, s, j), spec->arg_type, &in, s->arena);
            }
            g->v[v] = y;
            if (y->epoch == s->epoch)
                PUSH(s->updated, s->nlisted, s->updated_cap, y);
        }
        table_place(s->table, s->cap - 1, g->hash, g);
        s->order[i] = g;
        if (g->mark == s->epoch && s->track_removals)
            PUSH(s->expired, s->nexpired, s->expired_cap, g);
    }
    agg_buf_free(&scratch);
    arena_free(old);
    s->count = s->norder;
    s->dead = 0;
}

/* ---- sizes ----------------------------------------------------------------------- */

uint64_t session_agg_nsessions(const session_agg *s)
{
    return s->nsessions;
}

uint64_t session_agg_nupdated(const session_agg *s)
{
    return s->nupdated;
}

size_t session_agg_memory(const session_agg *s)
{
    size_t per_row = sizeof(uint64_t) + sizeof(uint32_t) + 2 * sizeof(char *) +
                     sizeof(sort_ent) + sizeof(sgroup *) + sizeof(uint32_t);
    return arena_bytes(s->arena) + s->cap * sizeof(slot) + s->vec_bytes +
           (s->order_cap + s->updated_cap + s->tail_cap + s->expired_cap) * sizeof(void *) +
           s->removed.cap +
           s->ops_cap * sizeof(merge_op) + s->sess_size + (size_t)s->scratch_cap * per_row;
}

/* ---- checkpoint format --------------------------------------------------------------- */

/* The header of a snapshot or delta: format byte, keys, aggregates. */
static void put_header(const session_agg *s, uint8_t format, agg_buf *out)
{
    agg_buf_put_u8(out, format);
    agg_buf_put_u32(out, (uint32_t)s->nkeys);
    for (int k = 0; k < s->nkeys; k++)
        agg_buf_put_u8(out, (uint8_t)s->key_types[k]);
    agg_buf_put_u32(out, (uint32_t)s->session_key);
    agg_buf_put_u32(out, (uint32_t)s->naggs);
    for (int j = 0; j < s->naggs; j++) {
        const agg_spec *spec = &s->aggs[j];
        agg_buf_put_str(out, spec->fn->name, (uint32_t)strlen(spec->fn->name));
        agg_buf_put_u8(out, (uint8_t)spec->arg_type);
        agg_buf_put_u8(out, (uint8_t)spec->ret_type);
        agg_buf_put_u64(out, spec->fn->state_size(spec->arg_type));
    }
}

static void put_states(const session_agg *s, const sess *x, agg_buf *out)
{
    for (int j = 0; j < s->naggs; j++)
        s->aggs[j].fn->serialize(STATE(x, s, j), s->aggs[j].arg_type, out);
}

void session_agg_serialize(const session_agg *s, agg_buf *out)
{
    put_header(s, SESSION_AGG_FORMAT, out);
    agg_buf_put_u64(out, s->nsessions);
    for (size_t i = 0; i < s->norder; i++) {
        const sgroup *g = s->order[i];
        const char *gb = GROUP_BYTES(g);
        for (uint32_t v = 0; v < g->n; v++) {
            const sess *x = g->v[v];
            for (int k = 0; k < s->nkeys; k++) {
                if (k == s->session_key) {
                    agg_buf_put_u64(out, (uint64_t)x->start);
                    agg_buf_put_u64(out, (uint64_t)x->end);
                    continue;
                }
                uint8_t present = gb[s->nulls_off + k] != 0;
                agg_buf_put_u8(out, present);
                if (present)
                    cell_serialize(s->key_types[k], (const cell *)(gb + s->key_off[k]), out);
            }
            put_states(s, x, out);
        }
    }
}

static int cmp_group_seq(const void *a, const void *b)
{
    uint64_t x = (*(sgroup *const *)a)->seq, y = (*(sgroup *const *)b)->seq;
    return (x > y) - (x < y);
}

void session_agg_serialize_delta(const session_agg *s, agg_buf *out)
{
    put_header(s, SESSION_AGG_DELTA_FORMAT, out);
    agg_buf_put_u64(out, s->nremoved);
    if (s->removed.len)
        agg_buf_put(out, s->removed.data, s->removed.len);
    /* The touched keys: those of the sessions marked this batch (dead ones
     * included: a merge kills sessions of a key whose target is marked too)
     * and those take trimmed. A key left with no sessions is in `removed`;
     * its block stays readable until the next compaction, which rebuilds
     * both lists from the live keys. */
    size_t n = 0, cap = s->nlisted + s->nexpired;
    sgroup **keys = xmalloc((cap ? cap : 1) * sizeof(sgroup *));
    for (size_t i = 0; i < s->nlisted; i++)
        if (s->updated[i]->group->n)
            keys[n++] = s->updated[i]->group;
    for (size_t i = 0; i < s->nexpired; i++)
        if (s->expired[i]->n)
            keys[n++] = s->expired[i];
    qsort(keys, n, sizeof(sgroup *), cmp_group_seq);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || keys[u - 1] != keys[i])
            keys[u++] = keys[i];
    agg_buf_put_u64(out, u);
    for (size_t i = 0; i < u; i++) {
        const sgroup *g = keys[i];
        put_key(s, g, out);
        agg_buf_put_u32(out, g->n);
        for (uint32_t v = 0; v < g->n; v++) {
            agg_buf_put_u64(out, (uint64_t)g->v[v]->start);
            agg_buf_put_u64(out, (uint64_t)g->v[v]->end);
            put_states(s, g->v[v], out);
        }
    }
    free(keys);
}

static int corrupt(eddy_error *err, const char *what)
{
    return err_set(err, EDDY_CORRUPT, "session window state: %s", what);
}

/* Checks the header against s's shape. Returns 0 or -EDDY_CORRUPT. */
static int read_header(const session_agg *s, agg_reader *in, uint8_t format, eddy_error *err)
{
    uint8_t version = agg_read_u8(in);
    if (in->bad)
        return corrupt(err, "empty");
    if (version != format) {
        if (version == SESSION_AGG_FORMAT || version == SESSION_AGG_DELTA_FORMAT)
            return corrupt(err, format == SESSION_AGG_FORMAT
                                    ? "a delta where a snapshot was expected"
                                    : "a snapshot where a delta was expected");
        return err_set(err, EDDY_CORRUPT, "session window state: unknown format version %u",
                       version);
    }
    if (agg_read_u32(in) != (uint32_t)s->nkeys)
        return in->bad ? corrupt(err, "truncated header")
                       : corrupt(err, "number of grouping keys differs from the query's");
    for (int k = 0; k < s->nkeys; k++)
        if (agg_read_u8(in) != (uint8_t)s->key_types[k])
            return in->bad ? corrupt(err, "truncated header")
                           : corrupt(err, "grouping key types differ from the query's");
    if (agg_read_u32(in) != (uint32_t)s->session_key)
        return in->bad ? corrupt(err, "truncated header")
                       : corrupt(err, "session window key position differs from the query's");
    if (agg_read_u32(in) != (uint32_t)s->naggs)
        return in->bad ? corrupt(err, "truncated header")
                       : corrupt(err, "number of aggregates differs from the query's");
    arena *tmp = arena_new(256);
    int rc = 0;
    for (int j = 0; j < s->naggs && rc == 0; j++) {
        const agg_spec *spec = &s->aggs[j];
        strv name = agg_read_str(in, tmp);
        bool same = !in->bad && name.len == strlen(spec->fn->name) &&
                    memcmp(name.ptr, spec->fn->name, name.len) == 0;
        same = same && agg_read_u8(in) == (uint8_t)spec->arg_type;
        same = same && agg_read_u8(in) == (uint8_t)spec->ret_type;
        same = same && agg_read_u64(in) == spec->fn->state_size(spec->arg_type);
        if (!same)
            rc = in->bad ? corrupt(err, "truncated header")
                         : corrupt(err, "aggregate functions differ from the query's");
    }
    arena_free(tmp);
    return rc;
}

int session_agg_deserialize(session_agg *s, const uint8_t *data, size_t len, eddy_error *err)
{
    if (s->nsessions || s->norder)
        return err_set(err, EDDY_RUNTIME,
                       "session window state: loading into a non-empty aggregation");
    agg_reader in = {data, data + len, false};
    int rc = read_header(s, &in, SESSION_AGG_FORMAT, err);
    if (rc < 0)
        return rc;
    uint64_t nsess = agg_read_u64(&in);
    if (in.bad)
        return corrupt(err, "truncated header");
    int nk = s->nkeys;
    cell keys[nk];
    const void *cells[nk];
    for (uint64_t i = 0; i < nsess; i++) {
        int64_t start = 0, end = 0;
        for (int k = 0; k < nk; k++) {
            cells[k] = NULL;
            if (k == s->session_key) {
                start = (int64_t)agg_read_u64(&in);
                end = (int64_t)agg_read_u64(&in);
                continue;
            }
            uint8_t present = agg_read_u8(&in);
            if (present > 1)
                return corrupt(err, "bad key NULL flag");
            if (present) {
                cell_deserialize(s->key_types[k], &keys[k], &in);
                cells[k] = &keys[k];
            }
        }
        if (in.bad)
            return corrupt(err, "truncated session key");
        if (end <= start)
            return corrupt(err, "empty session window (end <= start)");
        sgroup *g = group_find_or_insert(s, group_hash(s, cells), cells);
        if (g->n && g->v[g->n - 1]->end >= start)
            return corrupt(err, "sessions of a key out of order or overlapping");
        sess *x = sess_new(s, g, start, end);
        group_reserve(s, g, g->n + 1);
        g->v[g->n++] = x;
        for (int j = 0; j < s->naggs; j++) {
            const agg_spec *spec = &s->aggs[j];
            if (spec->fn->deserialize(STATE(x, s, j), spec->arg_type, &in, s->arena) < 0 ||
                in.bad)
                return corrupt(err, "truncated or invalid aggregate state");
        }
    }
    if (in.p != in.end)
        return corrupt(err, "trailing bytes after the last session");
    return 0;
}

/* Reads a key written by put_key (cells[session_key] is NULL). 0 or
 * -EDDY_CORRUPT. */
static int read_key(const session_agg *s, agg_reader *in, cell *keys, const void **cells,
                    eddy_error *err)
{
    for (int k = 0; k < s->nkeys; k++) {
        cells[k] = NULL;
        if (k == s->session_key)
            continue;
        uint8_t present = agg_read_u8(in);
        if (present > 1)
            return corrupt(err, "bad key NULL flag");
        if (present) {
            cell_deserialize(s->key_types[k], &keys[k], in);
            cells[k] = &keys[k];
        }
    }
    return in->bad ? corrupt(err, "truncated session key") : 0;
}

int session_agg_apply_delta(session_agg *s, const uint8_t *data, size_t len, eddy_error *err)
{
    agg_reader in = {data, data + len, false};
    int rc = read_header(s, &in, SESSION_AGG_DELTA_FORMAT, err);
    if (rc < 0)
        return rc;
    int nk = s->nkeys;
    cell keys[nk];
    const void *cells[nk];

    uint64_t nremoved = agg_read_u64(&in);
    if (in.bad)
        return corrupt(err, "truncated header");
    bool removed = false;
    for (uint64_t i = 0; i < nremoved; i++) {
        const uint8_t *at = in.p;
        if ((rc = read_key(s, &in, keys, cells, err)) < 0)
            return rc;
        sgroup *g = group_find(s, group_hash(s, cells), cells);
        if (g) {
            group_drop(s, g);
            removed = true;
        }
        /* A key of no bytes (only the session window): all entries are one key. */
        if (in.p == at)
            break;
    }
    if (removed) {
        size_t w = 0;
        for (size_t i = 0; i < s->norder; i++)
            if (s->order[i]->n)
                s->order[w++] = s->order[i];
        s->norder = w;
    }

    uint64_t ngroups = agg_read_u64(&in);
    if (in.bad)
        return corrupt(err, "truncated list of updated keys");
    for (uint64_t i = 0; i < ngroups; i++) {
        if ((rc = read_key(s, &in, keys, cells, err)) < 0)
            return rc;
        uint32_t nsess = agg_read_u32(&in);
        if (in.bad)
            return corrupt(err, "truncated session list");
        if (nsess == 0)
            return corrupt(err, "a key with no sessions");
        /* The new list is read into s->tail first; the key's old sessions
         * are replaced only once all of it is read. */
        size_t nt = 0;
        const char *bad = NULL;
        for (uint32_t v = 0; v < nsess && !bad; v++) {
            int64_t start = (int64_t)agg_read_u64(&in);
            int64_t end = (int64_t)agg_read_u64(&in);
            if (in.bad) {
                bad = "truncated session window";
                break;
            }
            if (end <= start) {
                bad = "empty session window (end <= start)";
                break;
            }
            if (nt && s->tail[nt - 1]->end >= start) {
                bad = "sessions of a key out of order or overlapping";
                break;
            }
            sess *x = sess_new(s, NULL, start, end);
            tail_append(s, &nt, &x, 1);
            for (int j = 0; j < s->naggs && !bad; j++) {
                const agg_spec *spec = &s->aggs[j];
                if (spec->fn->deserialize(STATE(x, s, j), spec->arg_type, &in, s->arena) < 0 ||
                    in.bad)
                    bad = "truncated or invalid aggregate state";
            }
        }
        if (bad) {
            /* The sessions read so far never joined the state. */
            for (size_t v = 0; v < nt; v++)
                sess_kill(s, s->tail[v]);
            return corrupt(err, bad);
        }
        sgroup *g = group_find_or_insert(s, group_hash(s, cells), cells);
        for (uint32_t v = 0; v < g->n; v++)
            sess_kill(s, g->v[v]);
        group_reserve(s, g, (uint32_t)nt);
        for (size_t v = 0; v < nt; v++) {
            s->tail[v]->group = g;
            g->v[v] = s->tail[v];
        }
        g->n = (uint32_t)nt;
    }
    if (in.p != in.end)
        return corrupt(err, "trailing bytes after the last key");
    maybe_compact(s);
    session_agg_begin_batch(s);
    return 0;
}
