/* The micro-batch loop of one streaming query (Spark's MicroBatchExecution):
 * wait for the trigger, ask the source for a new offset range, read it chunk
 * by chunk through the stateless operators into the aggregation (or straight
 * to the output), emit what the output mode says, hand it to the sink,
 * commit, report progress. */
#include "runtime/query.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/stop.h"
#include "core/timefmt.h"
#include "exec/expr_eval.h"
#include "exec/join.h"
#include "exec/ops.h"
#include "exec/session_agg.h"
#include "exec/window.h"
#include "io/sink.h"
#include "io/source.h"
#include "runtime/checkpoint.h"
#include "runtime/live.h"
#include "state/state_store.h"

/* Spark's spark.sql.streaming.stateStore.minDeltasForSnapshot. */
#define STATE_SNAPSHOT_INTERVAL 10
/* Old checkpoint files are purged every this many batches. */
#define PURGE_EVERY 10

/* Batches that must live until the end of the micro-batch. */
typedef struct batch_list {
    batch **items;
    int n, cap;
} batch_list;

static void list_push(batch_list *l, batch *b)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = xrealloc(l->items, (size_t)l->cap * sizeof(batch *));
    }
    l->items[l->n++] = b;
}

static void list_free(batch_list *l)
{
    for (int i = 0; i < l->n; i++)
        batch_free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* The operators of the chain in execution order (scan first). */
typedef struct stage_chain {
    const plan_node *nodes[64];
    int n;
    int agg_at; /* index of the aggregation, or -1 */
} stage_chain;

static void chain_build(const query_plan *q, stage_chain *c)
{
    const plan_node *rev[64];
    int n = 0;
    for (const plan_node *x = q->root; x && n < 64; x = x->child)
        rev[n++] = x;
    c->n = n;
    c->agg_at = -1;
    for (int i = 0; i < n; i++) {
        c->nodes[i] = rev[n - 1 - i];
        if (c->nodes[i]->kind == PLAN_AGGREGATE)
            c->agg_at = i;
    }
}

typedef struct batch_run {
    query_rt *r;
    stage_chain chain;
    func_ctx fctx;
    batch_list keep;   /* inputs and intermediates alive until the batch ends */
    batch_list output; /* result batches for the sink */
    eddy_error *err;
    int64_t wm_us;     /* the watermark this batch runs with */
    /* Event-time statistics of this batch's input, in ms (Spark's
     * EventTimeStats: min, max, avg over non-NULL times, late rows included). */
    int64_t ev_min, ev_max, ev_count;
    double ev_sum;
    int64_t dropped;   /* rows (row-window pairs) dropped as late */
} batch_run;

/* Spark's watermark predicate on a stateful operator's key: a window key
 * expires when window.end <= watermark, a plain event-time key when
 * time <= watermark (WatermarkSupport.watermarkExpression). */
typedef struct wm_pred {
    int key;
    int64_t wm_us;
} wm_pred;

static bool value_expired(const value *v, int64_t wm_us)
{
    if (v->is_null)
        return false;
    return v->type == TYPE_WINDOW ? v->v.w.end <= wm_us : v->v.i64 <= wm_us;
}

static bool key_expired(const value *keys, void *ctx)
{
    const wm_pred *p = ctx;
    return value_expired(&keys[p->key], p->wm_us);
}

static bool key_alive(const value *keys, void *ctx)
{
    return !key_expired(keys, ctx);
}

/* The stream-static join: probe keys over the chunk, matched against the
 * table's hash table built at query start. */
static int join_stage(batch_run *br, const plan_node *x, batch *in, batch **out)
{
    int nk = x->njoin_keys;
    column keys[64];
    int owned[64] = {0};
    int rc = 0, done = 0;
    for (; done < nk && rc == 0; done++)
        rc = expr_eval_view(x->probe_keys[done], in, &br->fctx, &keys[done], &owned[done],
                            br->err);
    if (rc == 0)
        rc = hash_join_probe(br->r->join, in, keys, x->residual, &br->fctx, out, br->err);
    for (int i = 0; i < done; i++)
        if (owned[i])
            column_free(&keys[i]);
    return rc;
}

/* The static table of a join as one batch whose strings borrow from the
 * loaded table (which outlives the query), so no reference counts are
 * shared between query threads. */
static batch *table_as_one_batch(batch *const *parts, int nparts, const schema *s)
{
    type_id *types = schema_types(s);
    uint32_t total = 0;
    for (int i = 0; i < nparts; i++)
        total += parts[i]->nrows;
    batch *b = batch_new((uint32_t)s->n, types, total ? total : 1);
    free(types);
    uint32_t at = 0;
    for (int i = 0; i < nparts; i++) {
        const batch *p = parts[i];
        for (uint32_t c = 0; c < b->ncols; c++) {
            size_t w = type_width(b->cols[c].type);
            memcpy(b->cols[c].valid + at, p->cols[c].valid, p->nrows);
            memcpy((char *)b->cols[c].data.raw + (size_t)at * w, p->cols[c].data.raw,
                   (size_t)p->nrows * w);
        }
        at += p->nrows;
    }
    b->nrows = total;
    return b;
}

/* Builds the join's hash table from the static table (query start). */
static int open_join(query_rt *r, const plan_node *x, eddy_error *err)
{
    const catalog_table *t = &r->bp->tables[x->table];
    batch *build = table_as_one_batch(r->shared->tables[x->table],
                                      r->shared->ntable_batches[x->table], &t->schema);
    column keys[64];
    int owned[64] = {0};
    int rc = 0, done = 0;
    func_ctx fctx = {build->arena, now_us()};
    if (x->njoin_keys > 64)
        rc = err_set(err, EDDY_RUNTIME, "too many join keys (max 64)");
    for (; done < x->njoin_keys && rc == 0; done++)
        rc = expr_eval_view(x->build_keys[done], build, &fctx, &keys[done], &owned[done], err);
    if (rc == 0)
        r->join = hash_join_new(build, keys, x->njoin_keys,
                                x->left_outer ? JOIN_TYPE_LEFT_OUTER : JOIN_TYPE_INNER);
    for (int i = 0; i < done; i++)
        if (owned[i])
            column_free(&keys[i]);
    if (rc)
        batch_free(build);
    return rc;
}

/* Applies stateless stages [from, to) to b. Every batch produced is added to
 * `keep` (b included); returns the final one. */
static int run_stages(batch_run *br, int from, int to, batch *b, batch **out)
{
    list_push(&br->keep, b);
    for (int i = from; i < to; i++) {
        const plan_node *x = br->chain.nodes[i];
        batch *next = NULL;
        int rc = 0;
        switch (x->kind) {
        case PLAN_FILTER:
            rc = op_filter(x->predicate, b, &br->fctx, &next, br->err);
            break;
        case PLAN_PROJECT:
            rc = op_project(x->exprs, x->nexprs, b, &br->fctx, &next, br->err);
            break;
        case PLAN_SORT:
            rc = op_sort(x->sort_keys, x->sort_desc, x->sort_nulls_first, x->nsort, b,
                         &br->fctx, &next, br->err);
            break;
        case PLAN_LIMIT:
            if ((long long)b->nrows > x->limit)
                b->nrows = (uint32_t)x->limit;
            next = b;
            break;
        case PLAN_WINDOW:
            if (x->session)
                rc = op_session_window(x->time_col, x->win_size_us, b, &br->fctx, &next,
                                       br->err);
            else
                rc = op_time_window(x->time_col, x->win_size_us, x->win_slide_us,
                                    x->win_start_us, b, &br->fctx, &next, br->err);
            break;
        case PLAN_JOIN:
            rc = join_stage(br, x, b, &next);
            break;
        default:
            rc = err_set(br->err, EDDY_RUNTIME, "unexpected operator in stateless stage");
            break;
        }
        if (rc)
            return rc;
        if (next != b)
            list_push(&br->keep, next);
        b = next;
    }
    *out = b;
    return 0;
}

/* Drops the rows of `in` whose watermarked key has expired (late rows):
 * sets *out to `in` when none are late, else to a new batch (added to keep). */
static int drop_late_rows(batch_run *br, const plan_node *agg, batch *in, batch **out)
{
    *out = in;
    column kc;
    int owned = 0;
    int rc = expr_eval_view(agg->keys[agg->wm_key], in, &br->fctx, &kc, &owned, br->err);
    if (rc)
        return rc;
    uint32_t n = in->nrows, m = 0;
    uint32_t *sel = xmalloc((n ? n : 1) * sizeof(uint32_t));
    int64_t wm = br->wm_us;
    if (kc.type == TYPE_WINDOW) {
        for (uint32_t i = 0; i < n; i++)
            if (!kc.valid[i] || kc.data.w[i].end > wm)
                sel[m++] = i;
    } else {
        for (uint32_t i = 0; i < n; i++)
            if (!kc.valid[i] || kc.data.i64[i] > wm)
                sel[m++] = i;
    }
    if (owned)
        column_free(&kc);
    if (m < n) {
        br->dropped += n - m;
        *out = batch_gather(in, sel, m);
        list_push(&br->keep, *out);
    }
    free(sel);
    return 0;
}

static int aggregate_chunk(batch_run *br, batch *in)
{
    const plan_node *agg = br->chain.nodes[br->chain.agg_at];
    int nk = agg->nkeys, na = agg->naggs;
    if (nk > 64 || na > 64)
        return err_set(br->err, EDDY_RUNTIME, "too many grouping keys or aggregates (max 64)");
    column keys[64], args[64];
    int key_owned[64] = {0}, arg_owned[64] = {0};
    const column *argp[64] = {NULL};
    int rc = 0;
    if (br->r->evicts) {
        if ((rc = drop_late_rows(br, agg, in, &in)) != 0)
            return rc;
        if (in->nrows == 0)
            return 0;
    }
    for (int k = 0; k < nk && rc == 0; k++)
        rc = expr_eval_view(agg->keys[k], in, &br->fctx, &keys[k], &key_owned[k], br->err);
    for (int a = 0; a < na && rc == 0; a++) {
        if (!agg->agg_args[a])
            continue; /* count(*) */
        rc = expr_eval_view(agg->agg_args[a], in, &br->fctx, &args[a], &arg_owned[a], br->err);
        argp[a] = &args[a];
    }
    if (rc == 0 && br->r->sagg)
        session_agg_update(br->r->sagg, keys, argp, in->nrows);
    else if (rc == 0)
        hash_agg_update(br->r->agg, keys, argp, in->nrows);
    for (int i = 0; i < nk; i++)
        if (key_owned[i])
            column_free(&keys[i]);
    for (int i = 0; i < na; i++)
        if (arg_owned[i])
            column_free(&args[i]);
    return rc;
}

/* source_emit_fn: one parsed chunk of the batch's input. */
/* Event-time statistics over the source's watermark column. */
static void event_time_stats(batch_run *br, const batch *b)
{
    const column *c = &b->cols[br->r->src->wm_column];
    for (uint32_t i = 0; i < b->nrows; i++) {
        if (!c->valid[i])
            continue;
        int64_t ms = c->data.i64[i] / 1000; /* Java's division, as Spark */
        if (br->ev_count == 0 || ms < br->ev_min)
            br->ev_min = ms;
        if (br->ev_count == 0 || ms > br->ev_max)
            br->ev_max = ms;
        br->ev_sum += (double)ms;
        br->ev_count++;
    }
}

static int on_chunk(void *ctx, batch *b, eddy_error *err)
{
    batch_run *br = ctx;
    if (br->r->has_watermark)
        event_time_stats(br, b);
    int end = br->chain.agg_at >= 0 ? br->chain.agg_at : br->chain.n;
    batch *staged;
    int mark = br->keep.n;
    int rc = run_stages(br, 1, end, b, &staged);
    if (rc)
        return rc;
    if (br->chain.agg_at < 0) {
        list_push(&br->output, staged);
        /* staged is in keep too; the output list only borrows it. */
        return 0;
    }
    if (staged->nrows)
        rc = aggregate_chunk(br, staged);
    /* Aggregation copied what it keeps: free this chunk's batches now. */
    for (int i = mark; i < br->keep.n; i++)
        batch_free(br->keep.items[i]);
    br->keep.n = mark;
    return rc;
}

/* Result rows of the stateful operator for this batch, per output mode
 * (Spark's StateStoreSaveExec / StreamingDeduplicateExec):
 *   complete: every group; update: groups changed in this batch, then groups
 *   the watermark closed are evicted silently; append: groups the watermark
 *   closed, emitted once and evicted. Deduplication emits the rows seen for
 *   the first time and evicts keys the watermark passed. *removed counts the
 *   groups evicted. Rows then go through the stages above the aggregation. */
static int emit_rows(batch_run *br, const plan_node *agg, batch *res);

static int emit_aggregation(batch_run *br, int64_t *state_rows_updated, int64_t *removed)
{
    query_rt *r = br->r;
    const plan_node *agg = br->chain.nodes[br->chain.agg_at];
    wm_pred wp = {agg->wm_key, br->wm_us};
    batch *res;
    if (r->sagg) {
        /* Session windows: sessions end `gap` after their last event. */
        *state_rows_updated = (int64_t)session_agg_nupdated(r->sagg);
        uint64_t before = session_agg_nsessions(r->sagg);
        if (r->q->mode == OUTPUT_COMPLETE) {
            res = session_agg_output(r->sagg, false);
        } else if (r->q->mode == OUTPUT_UPDATE) {
            res = session_agg_output(r->sagg, true);
            if (r->evicts)
                session_agg_take(r->sagg, br->wm_us, false);
        } else {
            res = session_agg_take(r->sagg, br->wm_us, true);
        }
        *removed = (int64_t)(before - session_agg_nsessions(r->sagg));
        return emit_rows(br, agg, res);
    }
    *state_rows_updated = (int64_t)hash_agg_nupdated(r->agg);
    uint64_t before = hash_agg_ngroups(r->agg);
    if (agg->dedup) {
        res = hash_agg_output_new(r->agg);
        if (r->evicts)
            hash_agg_evict(r->agg, key_alive, &wp);
    } else if (r->q->mode == OUTPUT_COMPLETE) {
        res = hash_agg_output(r->agg, false);
    } else if (r->q->mode == OUTPUT_UPDATE) {
        res = hash_agg_output(r->agg, true);
        if (r->evicts)
            hash_agg_evict(r->agg, key_alive, &wp);
    } else {
        res = hash_agg_take(r->agg, key_expired, &wp);
    }
    *removed = (int64_t)(before - hash_agg_ngroups(r->agg));
    return emit_rows(br, agg, res);
}

/* Orders the stateful operator's result rows as Spark would emit them and
 * runs the stages above the aggregation over them. */
static int emit_rows(batch_run *br, const plan_node *agg, batch *res)
{
    query_rt *r = br->r;
    bool sorted = false;
    for (int i = br->chain.agg_at + 1; i < br->chain.n; i++)
        sorted |= br->chain.nodes[i]->kind == PLAN_SORT;
    if (!agg->dedup && !sorted && agg->nkeys > 0 && res->nrows > 1) {
        batch *ordered = op_partition_order(res, agg->nkeys, r->shuffle_partitions);
        list_push(&br->keep, res); /* ordered's strings point into res */
        res = ordered;
    }
    batch *out;
    int rc = run_stages(br, br->chain.agg_at + 1, br->chain.n, res, &out);
    if (rc)
        return rc;
    list_push(&br->output, out);
    return 0;
}

static void uuid4(char *out)
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, 16) != 16) {
        uint64_t x = (uint64_t)now_us() * 6364136223846793005ULL + (uint64_t)getpid();
        for (int i = 0; i < 16; i++) {
            x ^= x >> 33;
            x *= 0xff51afd7ed558ccdULL;
            b[i] = (unsigned char)(x >> 24);
        }
    }
    if (fd >= 0)
        close(fd);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
            b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15]);
}

/* ---- checkpoint ---------------------------------------------------------------- */

static json_t *expr_text(const expr *e)
{
    char buf[512];
    expr_to_string(e, buf, sizeof buf);
    return json_sprintf("%s %s", buf, type_name(e->type));
}

/* What a checkpoint's state and offsets depend on (Spark refuses a restart
 * that changes them: the source, the output mode, the stateful operator's
 * keys and aggregates). Filters, projections, triggers and sinks may
 * change. */
static json_t *query_signature(const query_rt *r)
{
    const query_plan *q = r->q;
    const char *fmt = options_get(&r->src->opts, "format");
    /* What the source reads: a path, or Kafka's topics (Spark refuses a
     * restart with other topics too: the offsets would not match). */
    const char *what = options_get(&r->src->opts, "path");
    static const char *const kafka_keys[] = {"subscribe", "subscribePattern", "assign"};
    char topics[512] = "";
    for (int i = 0; i < 3 && !what; i++) {
        const char *v = options_get(&r->src->opts, kafka_keys[i]);
        if (v) {
            snprintf(topics, sizeof topics, "%s %s", kafka_keys[i], v);
            what = topics;
        }
    }
    json_t *s = json_object();
    json_object_set_new(s, "source", json_sprintf("%s %s", fmt ? fmt : r->src->ops->name,
                                                  what ? what : ""));
    json_object_set_new(s, "outputMode", json_string(output_mode_name(q->mode)));
    const plan_node *agg = q->agg;
    if (!agg)
        return s;
    json_object_set_new(s, "stateOperator",
                        json_string(agg->session_key >= 0 ? "session window aggregation"
                                    : agg->dedup          ? "deduplication"
                                                          : "aggregation"));
    json_t *keys = json_array();
    for (int k = 0; k < agg->nkeys; k++)
        json_array_append_new(keys, expr_text(agg->keys[k]));
    json_object_set_new(s, "groupingKeys", keys);
    json_t *aggs = json_array();
    for (int a = 0; a < agg->naggs; a++) {
        const agg_spec *sp = &agg->aggs[a];
        char arg[512] = "*";
        if (agg->agg_args[a])
            expr_to_string(agg->agg_args[a], arg, sizeof arg);
        json_array_append_new(aggs, json_sprintf("%s(%s%s) %s", sp->fn->name,
                                                 sp->distinct ? "DISTINCT " : "", arg,
                                                 type_name(sp->ret_type)));
    }
    json_object_set_new(s, "aggregates", aggs);
    for (const plan_node *x = agg->child; x; x = x->child) {
        if (x->kind != PLAN_WINDOW)
            continue;
        char t[512];
        expr_to_string(x->time_col, t, sizeof t);
        if (x->session)
            json_object_set_new(s, "window", json_sprintf("session_window(%s, %lld us)", t,
                                                          (long long)x->win_size_us));
        else
            json_object_set_new(s, "window",
                                json_sprintf("window(%s, %lld us, %lld us, %lld us)", t,
                                             (long long)x->win_size_us,
                                             (long long)x->win_slide_us,
                                             (long long)x->win_start_us));
    }
    return s;
}

/* source_offset_fn: the logged end offset of batch k. */
static json_t *logged_offset(void *ctx, int64_t k, eddy_error *err)
{
    query_rt *r = ctx;
    json_t *e;
    if (checkpoint_read_offsets(r->ckpt, k, &e, err) != 0)
        return NULL;
    json_t *src = json_incref(json_object_get(e, "source"));
    json_decref(e);
    return src;
}

/* The watermark state a commit entry carries for the batch after it. */
static void restore_watermark(query_rt *r, const json_t *commit)
{
    r->watermark_ms = json_integer_value(json_object_get(commit, "nextBatchWatermarkMs"));
    json_t *m = json_object_get(commit, "maxEventTimeMs");
    r->seen_event = json_is_integer(m);
    r->max_event_ms = r->seen_event ? json_integer_value(m) : 0;
}

/* The checkpoint's settings that a restart keeps (Spark's OffsetSeqMetadata
 * conf): the checkpoint's value wins over the run's. */
static void restore_conf(query_rt *r, const json_t *offsets)
{
    const char *sp = json_string_value(json_object_get(
        json_object_get(offsets, "conf"), "spark.sql.shuffle.partitions"));
    int n = sp ? atoi(sp) : 0;
    if (n > 0 && n != r->shuffle_partitions) {
        log_warn("query '%s': using spark.sql.shuffle.partitions = %d from the checkpoint "
                 "(this run asked for %d)",
                 r->q->name, n, r->shuffle_partitions);
        r->shuffle_partitions = n;
    }
}

/* Opens the checkpoint (if any) and recovers from it: see query_open. */
static int open_checkpoint(query_rt *r, eddy_error *err)
{
    const char *loc = options_get(&r->q->sink_opts, "checkpointLocation");
    char *owned = NULL;
    if (!loc && r->shared->checkpoint_root) {
        const char *root = r->shared->checkpoint_root;
        int n = (int)strlen(root);
        while (n > 1 && root[n - 1] == '/')
            n--;
        owned = xmalloc((size_t)n + strlen(r->q->name) + 2);
        sprintf(owned, "%.*s/%s", n, root, r->q->name);
        loc = owned;
    }
    if (!loc) {
        if (r->q->sink->needs_checkpoint)
            return err_set(err, EDDY_USAGE,
                           "a %s sink needs a checkpoint: set checkpointLocation in its WITH "
                           "options or run with --checkpoint DIR (as Spark requires)",
                           r->q->sink->name);
        return 0;
    }
    json_t *sig = query_signature(r);
    checkpoint_resume res;
    int rc = checkpoint_open(loc, sig, r->id, &r->ckpt, &res, err);
    json_decref(sig);
    free(owned);
    if (rc)
        return rc;
    if (r->agg || r->sagg) {
        state_ops ops;
        if (r->agg) /* (these also turn on the tracking of removals) */
            state_ops_hash_agg(r->agg, &ops);
        else
            state_ops_session_agg(r->sagg, &ops);
        rc = state_store_open(checkpoint_state_dir(r->ckpt), &ops, STATE_SNAPSHOT_INTERVAL,
                              &r->store, err);
    }
    int64_t planned = res.last_planned, committed = res.last_committed;
    if (rc == 0 && r->src->ops->recover)
        rc = r->src->ops->recover(r->src_state, checkpoint_source_dir(r->ckpt), planned,
                                  logged_offset, r, err);
    if (rc == 0 && planned >= 0) {
        if (r->store)
            rc = state_store_restore(r->store, committed, err);
        if (committed >= 0)
            restore_watermark(r, res.commit);
        restore_conf(r, res.offsets);
        if (committed == planned) {
            r->batch_id = planned + 1;
            r->last_batch_wm_ms =
                json_integer_value(json_object_get(res.offsets, "batchWatermarkMs"));
        } else {
            r->batch_id = planned;
            r->replay = json_incref(res.offsets);
        }
        /* Redo the cleanup of the last committed batch: a crash may have come
         * between its commit and its cleanSource. */
        if (rc == 0 && committed >= 0)
            rc = r->src->ops->commit(r->src_state, committed, err);
        if (rc == 0)
            log_info("query '%s': resuming from checkpoint '%s' at batch %lld%s", r->q->name,
                     checkpoint_dir(r->ckpt), (long long)r->batch_id,
                     r->replay ? " (re-running it with its logged input)" : "");
    }
    checkpoint_resume_free(&res);
    return rc;
}

int query_open(query_rt *r, const bound_pipeline *bp, const query_plan *q, run_shared *shared,
               eddy_error *err)
{
    memset(r, 0, sizeof *r);
    r->bp = bp;
    r->q = q;
    r->shared = shared;
    r->src = &bp->sources[q->scan->source];
    r->trigger = q->trigger;
    if (shared->available_now)
        r->trigger.kind = TRIGGER_AVAILABLE_NOW;
    uuid4(r->id);
    uuid4(r->run_id);
    source_open_args sa = {
        .name = r->src->name,
        .opts = &r->src->opts,
        .schema = &r->src->schema,
        .available_now =
            r->trigger.kind == TRIGGER_AVAILABLE_NOW || r->trigger.kind == TRIGGER_ONCE,
        .once = r->trigger.kind == TRIGGER_ONCE,
    };
    int rc = r->src->ops->open(&sa, &r->src_state, err);
    if (rc)
        return err_prefix(err, "query '%s'", q->name);
    sink_open_args ka = {
        .query_name = q->name,
        .opts = &q->sink_opts,
        .schema = &q->root->out,
        .mode = q->mode,
        .console = shared->console,
    };
    rc = q->sink->open(&ka, &r->sink_state, err);
    if (rc) {
        r->src->ops->close(r->src_state);
        r->src_state = NULL;
        return err_prefix(err, "query '%s'", q->name);
    }
    r->shuffle_partitions = shared->shuffle_partitions;
    r->has_watermark = r->src->wm_column >= 0;
    r->wm_delay_ms = r->src->wm_delay_us / 1000;
    r->evicts = q->agg && q->agg->wm_key >= 0 && q->mode != OUTPUT_COMPLETE;
    r->nodata_checked_wm_ms = INT64_MIN;
    if (q->agg) {
        type_id kt[64];
        for (int k = 0; k < q->agg->nkeys && k < 64; k++)
            kt[k] = q->agg->keys[k]->type;
        if (q->agg->session_key >= 0)
            r->sagg = session_agg_new(q->agg->nkeys, kt, q->agg->session_key, q->agg->naggs,
                                      q->agg->aggs);
        else
            r->agg = hash_agg_new(q->agg->nkeys, kt, q->agg->naggs, q->agg->aggs);
    }
    for (const plan_node *x = q->root; x && rc == 0; x = x->child)
        if (x->kind == PLAN_JOIN)
            rc = open_join(r, x, err);
    if (rc == 0)
        rc = open_checkpoint(r, err);
    /* A sink with its own recovery (kafka's transactions) learns the query's
     * id, final only now (a checkpoint's id replaces the fresh one), and
     * where the checkpoint is. */
    if (rc == 0 && q->sink->recover)
        rc = q->sink->recover(r->sink_state, r->id, r->ckpt ? checkpoint_dir(r->ckpt) : NULL,
                              err);
    if (rc) {
        query_close(r);
        return err_prefix(err, "query '%s'", q->name);
    }
    r->status = QUERY_ACTIVE;
    return 0;
}

void query_close(query_rt *r)
{
    if (r->src_state)
        r->src->ops->close(r->src_state);
    if (r->sink_state)
        r->q->sink->close(r->sink_state);
    if (r->agg)
        hash_agg_free(r->agg);
    if (r->sagg)
        session_agg_free(r->sagg);
    if (r->join)
        hash_join_free(r->join);
    if (r->store)
        state_store_close(r->store);
    checkpoint_close(r->ckpt);
    json_decref(r->replay);
    r->store = NULL;
    r->ckpt = NULL;
    r->replay = NULL;
    r->src_state = r->sink_state = NULL;
    r->agg = NULL;
    r->sagg = NULL;
    r->join = NULL;
}

static double per_second(int64_t rows, int64_t us)
{
    return us > 0 ? (double)rows * 1e6 / (double)us : 0.0;
}

/* Durations of one batch's phases, µs (Spark's durationMs keys). */
typedef struct batch_times {
    int64_t latest_offset, get_batch, query_planning, add_batch, wal_commit, commit_offsets,
        trigger;
} batch_times;

static json_t *iso_ms(int64_t ms)
{
    char buf[40];
    ts_format_iso(ms * 1000, buf);
    return json_string(buf);
}

static void report_progress(query_rt *r, const batch_run *br, int64_t batch_id,
                            int64_t trigger_start_wall, int64_t since_last_us,
                            const source_metrics *m, json_t *end_offset, const batch_times *t,
                            int64_t rows_updated, int64_t rows_removed, int64_t out_rows)
{
    char ts[40];
    ts_format_iso(trigger_start_wall, ts);
    double in_rate = per_second((int64_t)m->rows, since_last_us);
    double proc_rate = per_second((int64_t)m->rows, t->trigger);
    json_t *p = json_object();
    json_object_set_new(p, "id", json_string(r->id));
    json_object_set_new(p, "runId", json_string(r->run_id));
    json_object_set_new(p, "name", json_string(r->q->name));
    json_object_set_new(p, "timestamp", json_string(ts));
    json_object_set_new(p, "batchId", json_integer(batch_id));
    json_object_set_new(p, "numInputRows", json_integer((json_int_t)m->rows));
    json_object_set_new(p, "inputRowsPerSecond", json_real(in_rate));
    json_object_set_new(p, "processedRowsPerSecond", json_real(proc_rate));
    json_object_set_new(
        p, "durationMs",
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "addBatch", (json_int_t)(t->add_batch / 1000),
                  "commitOffsets", (json_int_t)(t->commit_offsets / 1000), "getBatch", (json_int_t)(t->get_batch / 1000),
                  "latestOffset", (json_int_t)(t->latest_offset / 1000), "queryPlanning",
                  (json_int_t)(t->query_planning / 1000), "triggerExecution",
                  (json_int_t)(t->trigger / 1000), "walCommit", (json_int_t)(t->wal_commit / 1000)));
    /* Spark fills eventTime only for queries with a watermark: min/max/avg
     * of this batch's event times (when it had any) and the watermark the
     * batch ran with. */
    json_t *et = json_object();
    if (r->has_watermark) {
        if (br->ev_count > 0) {
            json_object_set_new(et, "avg",
                                iso_ms((int64_t)(br->ev_sum / (double)br->ev_count)));
            json_object_set_new(et, "max", iso_ms(br->ev_max));
            json_object_set_new(et, "min", iso_ms(br->ev_min));
        }
        json_object_set_new(et, "watermark", iso_ms(br->wm_us / 1000));
    }
    json_object_set_new(p, "eventTime", et);
    json_t *ops = json_array();
    if (r->agg || r->sagg) {
        const char *op = r->sagg ? "sessionWindowStateStoreSaveExec"
                         : r->q->agg->dedup ? "dedupe"
                                            : "stateStoreSave";
        uint64_t total = r->sagg ? session_agg_nsessions(r->sagg) : hash_agg_ngroups(r->agg);
        size_t mem = r->sagg ? session_agg_memory(r->sagg) : hash_agg_memory(r->agg);
        json_array_append_new(
            ops, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "operatorName", op, "numRowsTotal",
                           (json_int_t)total, "numRowsUpdated",
                           (json_int_t)rows_updated, "numRowsRemoved", (json_int_t)rows_removed,
                           "numRowsDroppedByWatermark", (json_int_t)br->dropped,
                           "memoryUsedBytes", (json_int_t)mem));
    }
    json_object_set_new(p, "stateOperators", ops);
    json_t *src = json_object();
    json_object_set_new(src, "description",
                        json_string(r->src->ops->describe(r->src_state)));
    json_object_set_new(src, "startOffset", json_null());
    json_object_set_new(src, "endOffset", end_offset ? json_incref(end_offset) : json_null());
    json_object_set_new(src, "latestOffset", json_null());
    json_object_set_new(src, "numInputRows", json_integer((json_int_t)m->rows));
    json_object_set_new(src, "inputRowsPerSecond", json_real(in_rate));
    json_object_set_new(src, "processedRowsPerSecond", json_real(proc_rate));
    json_object_set_new(p, "sources", json_pack("[o]", src));
    char sink_desc[128];
    snprintf(sink_desc, sizeof sink_desc, "%sSink[%s]", r->q->sink->name, r->q->name);
    json_object_set_new(p, "sink", json_pack("{s:s,s:I}", "description", sink_desc,
                                             "numOutputRows", (json_int_t)out_rows));
    /* Serialised once, for the --progress file and the web UI. */
    char *line = r->shared->progress || r->lq ? json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER)
                                              : NULL;
    if (r->shared->progress) {
        pthread_mutex_lock(&r->shared->progress_lock);
        fprintf(r->shared->progress, "%s\n", line);
        fflush(r->shared->progress);
        pthread_mutex_unlock(&r->shared->progress_lock);
    }
    if (r->lq)
        live_publish_progress(r->lq, line); /* takes it */
    else
        free(line);
    json_decref(p);
    if (!end_offset) {
        log_info("query '%s': batch %lld: no-data batch for watermark %lld ms in %.1f ms",
                 r->q->name, (long long)batch_id, (long long)(br->wm_us / 1000),
                 (double)t->trigger / 1000.0);
    } else {
        char files[48] = "";
        if (m->files)
            snprintf(files, sizeof files, " (%llu files)", (unsigned long long)m->files);
        log_info("query '%s': batch %lld: %llu rows from %s%s in %.1f ms (%.0f rows/s)%s",
                 r->q->name, (long long)batch_id, (unsigned long long)m->rows,
                 r->src->ops->describe(r->src_state), files, (double)t->trigger / 1000.0,
                 proc_rate, m->dropped ? " (malformed rows dropped)" : "");
    }
}

/* Whether a batch without new input would emit or evict state: the
 * watermark moved past the one the last batch ran with and some state entry
 * has expired under it (SPEC §3). */
static bool no_data_batch_due(query_rt *r)
{
    if (!r->evicts || r->watermark_ms <= r->last_batch_wm_ms ||
        r->watermark_ms == r->nodata_checked_wm_ms)
        return false;
    bool due;
    if (r->sagg) {
        due = session_agg_has_expired(r->sagg, r->watermark_ms * 1000);
    } else {
        wm_pred wp = {r->q->agg->wm_key, r->watermark_ms * 1000};
        due = hash_agg_any(r->agg, key_expired, &wp);
    }
    /* State only changes in a batch: no need to scan it again at every poll. */
    if (!due)
        r->nodata_checked_wm_ms = r->watermark_ms;
    return due;
}

/* The offset log entry of the batch about to run (Spark's OffsetSeq with
 * its metadata). */
static json_t *offsets_entry(const query_rt *r, int64_t batch_ts_ms, const json_t *offset)
{
    char sp[16];
    snprintf(sp, sizeof sp, "%d", r->shuffle_partitions);
    return json_pack("{s:I, s:I, s:I, s:{s:s}, s:O}", "batchId", (json_int_t)r->batch_id,
                     "batchTimestampMs", (json_int_t)batch_ts_ms, "batchWatermarkMs",
                     (json_int_t)r->watermark_ms, "conf", "spark.sql.shuffle.partitions", sp,
                     "source", offset ? offset : json_null());
}

/* After the sink took batch N: the state version N is already durable;
 * commits/N, then the source's cleanup, then (now and then) retention. */
static int commit_batch(query_rt *r, bool has_data, eddy_error *err)
{
    int rc = 0;
    if (r->ckpt) {
        json_t *c = json_pack("{s:I, s:o}", "nextBatchWatermarkMs", (json_int_t)r->watermark_ms,
                              "maxEventTimeMs",
                              r->seen_event ? json_integer(r->max_event_ms) : json_null());
        rc = checkpoint_write_commit(r->ckpt, r->batch_id, c, err);
        json_decref(c);
    }
    if (rc == 0 && has_data)
        rc = r->src->ops->commit(r->src_state, r->batch_id, err);
    if (rc == 0 && r->ckpt && r->batch_id % PURGE_EVERY == 0) {
        rc = checkpoint_purge(r->ckpt, r->batch_id, err);
        if (rc == 0 && r->store)
            rc = state_store_purge(r->store, r->batch_id, err);
    }
    return rc;
}

/* Runs batch r->batch_id: the batch logged but not committed before a
 * crash (r->replay), else one with the source's new data, or a no-data
 * batch when one is due. Sets *ran. */
static int run_one_batch(query_rt *r, bool *ran, eddy_error *err)
{
    int64_t t0 = mono_us(), wall0 = now_us();
    int64_t since_last = r->last_trigger_start_us ? t0 - r->last_trigger_start_us : 0;
    json_t *offset = NULL;
    bool has_data = false;
    int64_t batch_ts_ms = wall0 / 1000;
    int rc = 0;
    *ran = false;
    if (r->replay) {
        json_t *src = json_object_get(r->replay, "source");
        has_data = json_is_object(src);
        offset = has_data ? json_incref(src) : NULL;
        batch_ts_ms = json_integer_value(json_object_get(r->replay, "batchTimestampMs"));
        r->watermark_ms = json_integer_value(json_object_get(r->replay, "batchWatermarkMs"));
        json_decref(r->replay);
        r->replay = NULL;
    } else {
        rc = r->src->ops->plan_batch(r->src_state, r->batch_id, &offset, &has_data, err);
        if (rc)
            return rc;
        if (!has_data && !no_data_batch_due(r))
            return 0;
    }
    r->last_trigger_start_us = t0;
    int64_t t1 = mono_us();
    /* The write-ahead log: the batch's input is fixed before it runs. */
    if (r->ckpt) {
        json_t *e = offsets_entry(r, batch_ts_ms, offset);
        rc = checkpoint_write_offsets(r->ckpt, r->batch_id, e, err);
        json_decref(e);
        if (rc) {
            json_decref(offset);
            return rc;
        }
    }
    int64_t t_wal = mono_us();

    batch_run br;
    memset(&br, 0, sizeof br);
    br.r = r;
    br.err = err;
    br.fctx.batch_time_us = batch_ts_ms * 1000;
    br.wm_us = r->watermark_ms * 1000;
    chain_build(r->q, &br.chain);
    if (r->agg)
        hash_agg_begin_batch(r->agg);
    if (r->sagg)
        session_agg_begin_batch(r->sagg);
    int64_t t_plan = mono_us();

    source_metrics m = {0};
    if (has_data) {
        source_read_ctx rc_ctx = {r->q->needed, on_chunk, &br};
        rc = r->src->ops->read_batch(r->src_state, r->batch_id, offset, &rc_ctx, &m, err);
    }
    int64_t rows_updated = 0, rows_removed = 0;
    if (rc == 0 && br.chain.agg_at >= 0)
        rc = emit_aggregation(&br, &rows_updated, &rows_removed);
    if (rc == 0 && r->store)
        rc = state_store_commit(r->store, r->batch_id, err);
    int64_t out_rows = 0;
    if (rc == 0) {
        for (int i = 0; i < br.output.n; i++)
            out_rows += br.output.items[i]->nrows;
        bool console = strcmp(r->q->sink->name, "console") == 0;
        if (console)
            pthread_mutex_lock(&r->shared->console_lock);
        rc = r->q->sink->add_batch(r->sink_state, r->batch_id, br.output.items, br.output.n, err);
        if (console)
            pthread_mutex_unlock(&r->shared->console_lock);
        if (rc == 0 && r->lq)
            live_publish_result(r->lq, r->batch_id, br.output.items, br.output.n,
                                r->sagg  ? (int64_t)session_agg_nsessions(r->sagg)
                                : r->agg ? (int64_t)hash_agg_ngroups(r->agg)
                                         : -1);
    }
    free(br.output.items); /* borrowed from keep */
    list_free(&br.keep);
    int64_t t_exec = mono_us();
    if (rc) {
        json_decref(offset);
        return rc;
    }
    /* The watermark for the next batch (Spark's WatermarkTracker): the max
     * event time seen so far minus the delay, never decreasing. */
    r->last_batch_wm_ms = br.wm_us / 1000;
    r->nodata_checked_wm_ms = INT64_MIN;
    if (br.ev_count > 0) {
        if (!r->seen_event || br.ev_max > r->max_event_ms)
            r->max_event_ms = br.ev_max;
        r->seen_event = true;
        int64_t cand = r->max_event_ms - r->wm_delay_ms;
        if (cand > r->watermark_ms)
            r->watermark_ms = cand;
    }
    rc = commit_batch(r, has_data, err);
    if (rc) {
        json_decref(offset);
        return rc;
    }
    int64_t t_end = mono_us();
    /* Spark's attribution: reading, operators, state store and sink all run
     * inside addBatch (the DataFrame is lazy); getBatch only builds it. */
    batch_times bt = {.latest_offset = t1 - t0,
                      .wal_commit = t_wal - t1,
                      .query_planning = t_plan - t_wal,
                      .get_batch = 0,
                      .add_batch = t_exec - t_plan,
                      .commit_offsets = t_end - t_exec,
                      .trigger = t_end - t0};
    report_progress(r, &br, r->batch_id, wall0, since_last, &m, has_data ? offset : NULL, &bt,
                    rows_updated, rows_removed, out_rows);
    json_decref(offset);
    r->batch_id++;
    *ran = true;
    return 0;
}

int query_run(query_rt *r, eddy_error *err)
{
    const int64_t poll_us = 100000;
    int64_t next_trigger = 0;
    for (;;) {
        if (stop_requested())
            break;
        if (r->trigger.kind == TRIGGER_PROCESSING_TIME) {
            int64_t now = now_us();
            if (next_trigger == 0)
                next_trigger = now;
            if (now < next_trigger && stop_sleep(next_trigger - now))
                break;
        }
        int64_t started = now_us();
        bool ran = false;
        int rc = run_one_batch(r, &ran, err);
        if (rc && err && err->code == EDDY_STOPPED && stop_requested()) {
            /* A stop interrupted the batch (a source or sink waiting on a
             * broker): the query stops, as Spark's stop() interrupts the
             * running batch, and since commits/N was not written the batch
             * runs again, with the same offsets, on restart. */
            log_info("query '%s': stopped during batch %lld (%s); it runs again on restart",
                     r->q->name, (long long)r->batch_id, err->message);
            err->code = EDDY_OK;
            err->message[0] = 0;
            goto stopped;
        }
        if (rc) {
            r->status = QUERY_FAILED;
            err_prefix(err, "query '%s' failed in batch %lld", r->q->name,
                       (long long)r->batch_id);
            err->code = EDDY_RUNTIME;
            return -EDDY_RUNTIME;
        }
        switch (r->trigger.kind) {
        case TRIGGER_ONCE:
            r->status = QUERY_STOPPED;
            return 0;
        case TRIGGER_AVAILABLE_NOW:
            if (!ran) {
                r->status = QUERY_STOPPED;
                return 0;
            }
            break;
        case TRIGGER_PROCESSING_TIME: {
            int64_t iv = r->trigger.interval_us;
            int64_t now = now_us();
            int64_t next = (started / iv + 1) * iv;
            if (ran && now > next) {
                log_warn("query '%s': current batch is falling behind: the trigger interval is "
                         "%lld ms, but the batch took %lld ms",
                         r->q->name, (long long)(iv / 1000), (long long)((now - started) / 1000));
                next = now;
            }
            next_trigger = next;
            break;
        }
        case TRIGGER_DEFAULT:
            if (!ran && stop_sleep(poll_us))
                goto stopped;
            break;
        }
    }
stopped:
    r->status = QUERY_STOPPED;
    return 0;
}
