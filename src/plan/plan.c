/* Plan nodes, triggers and EXPLAIN output. */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "core/timefmt.h"

plan_node *plan_node_new(arena *a, plan_kind kind, plan_node *child)
{
    plan_node *n = arena_calloc(a, sizeof *n);
    n->kind = kind;
    n->child = child;
    n->limit = -1;
    n->wm_key = -1;
    n->session_key = -1;
    schema_init(&n->out);
    return n;
}

void plan_free(plan_node *root)
{
    while (root) {
        plan_node *child = root->child;
        schema_free(&root->out);
        free(root->exprs);
        free(root->keys);
        free(root->agg_args);
        free(root->aggs);
        free(root->sort_keys);
        free(root->sort_desc);
        free(root->sort_nulls_first);
        free(root->probe_keys);
        free(root->build_keys);
        root->probe_keys = root->build_keys = NULL;
        root->exprs = root->keys = root->agg_args = root->sort_keys = NULL;
        root->aggs = NULL;
        root->sort_desc = root->sort_nulls_first = NULL;
        root = child;
    }
}

int trigger_parse(const char *s, trigger_spec *out)
{
    out->kind = TRIGGER_DEFAULT;
    out->interval_us = 0;
    if (!s || !*s)
        return 0;
    if (str_ieq(s, "once")) {
        out->kind = TRIGGER_ONCE;
        return 0;
    }
    if (str_ieq(s, "availableNow") || str_ieq(s, "available_now") ||
        str_ieq(s, "available now")) {
        out->kind = TRIGGER_AVAILABLE_NOW;
        return 0;
    }
    int64_t us;
    if (duration_parse(s, strlen(s), &us) != 0 || us < 0)
        return -1;
    if (us > 0) {
        out->kind = TRIGGER_PROCESSING_TIME;
        out->interval_us = us;
    }
    return 0;
}

static void indent(FILE *f, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs(i == depth - 1 ? "+- " : "   ", f);
}

static void print_exprs(FILE *f, expr **es, int n, const schema *names)
{
    char buf[512];
    for (int i = 0; i < n; i++) {
        if (!es[i]) {
            fputs(i ? ", *" : "*", f);
            continue;
        }
        expr_to_string(es[i], buf, sizeof buf);
        fprintf(f, "%s%s", i ? ", " : "", buf);
        if (names && i < names->n)
            fprintf(f, " AS %s", names->fields[i].name);
    }
}

static void print_node(const plan_node *n, const char *source_name, FILE *f, int depth)
{
    char buf[512];
    indent(f, depth);
    switch (n->kind) {
    case PLAN_SCAN:
        fprintf(f, "StreamingRelation %s [", source_name);
        for (int i = 0; i < n->out.n; i++)
            fprintf(f, "%s%s#%d: %s", i ? ", " : "", n->out.fields[i].name, i,
                    type_name(n->out.fields[i].type));
        fputs("]\n", f);
        break;
    case PLAN_FILTER:
        expr_to_string(n->predicate, buf, sizeof buf);
        fprintf(f, "Filter %s\n", buf);
        break;
    case PLAN_PROJECT:
        fputs("Project [", f);
        print_exprs(f, n->exprs, n->nexprs, &n->out);
        fputs("]\n", f);
        break;
    case PLAN_AGGREGATE:
        if (n->dedup) {
            fputs("Deduplicate [", f);
            print_exprs(f, n->keys, n->nkeys, NULL);
            fputs("]\n", f);
            break;
        }
        fputs("Aggregate [", f);
        print_exprs(f, n->keys, n->nkeys, NULL);
        fputs("], [", f);
        for (int i = 0; i < n->naggs; i++) {
            char arg[256] = "*";
            if (n->agg_args[i])
                expr_to_string(n->agg_args[i], arg, sizeof arg);
            fprintf(f, "%s%s(%s%s) AS %s", i ? ", " : "", n->aggs[i].fn->name,
                    n->aggs[i].distinct ? "DISTINCT " : "", arg,
                    n->out.fields[n->nkeys + i].name);
        }
        fputs("]\n", f);
        break;
    case PLAN_SORT:
        fputs("Sort [", f);
        for (int i = 0; i < n->nsort; i++) {
            expr_to_string(n->sort_keys[i], buf, sizeof buf);
            fprintf(f, "%s%s %s NULLS %s", i ? ", " : "", buf, n->sort_desc[i] ? "DESC" : "ASC",
                    n->sort_nulls_first[i] ? "FIRST" : "LAST");
        }
        fputs("]\n", f);
        break;
    case PLAN_LIMIT:
        fprintf(f, "Limit %lld\n", n->limit);
        break;
    case PLAN_WINDOW: {
        char size[64], slide[64], start[64];
        expr_to_string(n->time_col, buf, sizeof buf);
        duration_format(n->win_size_us, size, sizeof size);
        if (n->session) {
            fprintf(f, "SessionWindow %s, gap %s -> session_window\n", buf, size);
            break;
        }
        duration_format(n->win_slide_us, slide, sizeof slide);
        duration_format(n->win_start_us, start, sizeof start);
        fprintf(f, "%s %s, size %s, slide %s, start %s -> window\n",
                n->win_slide_us == n->win_size_us ? "TumblingWindow" : "SlidingWindow (Expand)",
                buf, size, slide, start);
        break;
    }
    case PLAN_JOIN:
        fprintf(f, "Join %s, table %s, [", n->left_outer ? "LeftOuter" : "Inner", n->table_name);
        for (int i = 0; i < n->njoin_keys; i++) {
            char l[256], r[256];
            expr_to_string(n->probe_keys[i], l, sizeof l);
            expr_to_string(n->build_keys[i], r, sizeof r);
            fprintf(f, "%s%s = %s.%s", i ? ", " : "", l, n->table_name, r);
        }
        fputs("]", f);
        if (n->residual) {
            expr_to_string(n->residual, buf, sizeof buf);
            fprintf(f, ", condition %s", buf);
        }
        fputs("\n", f);
        break;
    }
    if (n->child)
        print_node(n->child, source_name, f, depth + 1);
}

static bool chain_has_sort(const query_plan *q)
{
    for (const plan_node *x = q->root; x; x = x->child)
        if (x->kind == PLAN_SORT)
            return true;
    return false;
}

void plan_explain(const query_plan *q, const char *source_name, FILE *f)
{
    fprintf(f, "== Query: %s (sink %s, output mode %s) ==\n", q->name, q->sink->name,
            output_mode_name(q->mode));
    fputs("== Logical Plan ==\n", f);
    print_node(q->root, source_name, f, 0);

    fputs("== Physical Plan ==\n", f);
    const plan_node *chain[256];
    int n = 0;
    for (const plan_node *x = q->root; x && n < 256; x = x->child)
        chain[n++] = x;
    int step = 1;
    fprintf(f, "%d. read %s, columns [", step++, source_name);
    int shown = 0;
    for (int i = 0; i < q->scan->out.n; i++)
        if (q->needed[i])
            fprintf(f, "%s%s", shown++ ? ", " : "", q->scan->out.fields[i].name);
    fputs("] (other columns skipped by the parser)\n", f);
    bool after_agg = false;
    for (int i = n - 2; i >= 0; i--) {
        const plan_node *x = chain[i];
        const char *where = after_agg ? "on the aggregation's output, each batch" : "per chunk";
        switch (x->kind) {
        case PLAN_FILTER:
            fprintf(f, "%d. filter (%s)\n", step++, where);
            break;
        case PLAN_PROJECT:
            fprintf(f, "%d. project %d column%s (%s)\n", step++, x->nexprs,
                    x->nexprs == 1 ? "" : "s", where);
            break;
        case PLAN_AGGREGATE: {
            bool evicts = x->wm_key >= 0 && q->mode != OUTPUT_COMPLETE;
            const char *key = x->wm_key >= 0 ? x->out.fields[x->wm_key].name : "";
            bool win = x->wm_key >= 0 && x->out.fields[x->wm_key].type == TYPE_WINDOW;
            if (evicts)
                fprintf(f, "%d. drop late rows: %s%s <= watermark (counted as "
                           "numRowsDroppedByWatermark)\n",
                        step++, key, win ? ".end" : "");
            if (x->dedup)
                fprintf(f, "%d. deduplicate on %d column%s: hash set kept across batches, emits "
                           "rows seen for the first time\n",
                        step++, x->nkeys, x->nkeys == 1 ? "" : "s");
            else if (x->session_key >= 0)
                fprintf(f, "%d. session-window aggregate: %d key%s, %d aggregate%s; sessions of "
                           "a key merge when they touch or overlap, state kept across "
                           "batches\n",
                        step++, x->nkeys, x->nkeys == 1 ? "" : "s", x->naggs,
                        x->naggs == 1 ? "" : "s");
            else
                fprintf(f, "%d. hash aggregate: %d key%s, %d aggregate%s, state kept across "
                           "batches (XXH3 open addressing)\n",
                        step++, x->nkeys, x->nkeys == 1 ? "" : "s", x->naggs,
                        x->naggs == 1 ? "" : "s");
            if (q->mode == OUTPUT_COMPLETE)
                fprintf(f, "%d. emit every group (complete mode)\n", step++);
            else if (x->dedup)
                fprintf(f, "%d. emit new rows (%s mode)\n", step++, output_mode_name(q->mode));
            else if (q->mode == OUTPUT_APPEND)
                fprintf(f, "%d. emit each group once, when the watermark reaches %s%s, then "
                           "drop its state (append mode)\n",
                        step++, key, win ? ".end" : "");
            else
                fprintf(f, "%d. emit groups changed in the batch (update mode)\n", step++);
            if (evicts && q->mode != OUTPUT_APPEND)
                fprintf(f, "%d. evict state where %s%s <= watermark\n", step++, key,
                        win ? ".end" : "");
            after_agg = true;
            break;
        }
        case PLAN_SORT:
            fprintf(f, "%d. sort %d key%s\n", step++, x->nsort, x->nsort == 1 ? "" : "s");
            break;
        case PLAN_LIMIT:
            fprintf(f, "%d. limit %lld\n", step++, x->limit);
            break;
        case PLAN_WINDOW:
            if (x->session)
                fprintf(f, "%d. session window: each row's own session [ts, ts + gap) (%s)\n",
                        step++, where);
            else if (x->win_slide_us == x->win_size_us)
                fprintf(f, "%d. tumbling window: one window per row, NULL times dropped (%s)\n",
                        step++, where);
            else
                fprintf(f, "%d. sliding window: each row repeated for the up to %lld windows "
                           "that contain it (%s)\n",
                        step++,
                        (long long)((x->win_size_us + x->win_slide_us - 1) / x->win_slide_us),
                        where);
            break;
        case PLAN_JOIN:
            fprintf(f, "%d. %s hash join with static table %s (built once at start; %d key%s) "
                       "(%s)\n",
                    step++, x->left_outer ? "left outer" : "inner", x->table_name,
                    x->njoin_keys, x->njoin_keys == 1 ? "" : "s", where);
            break;
        case PLAN_SCAN:
            break;
        }
    }
    if (q->agg && !q->agg->dedup && !chain_has_sort(q))
        fprintf(f, "%d. order rows by Spark's hash partition of the keys "
                   "(spark.sql.shuffle.partitions)\n",
                step++);
    fprintf(f, "%d. %s sink\n", step, q->sink->name);
}
