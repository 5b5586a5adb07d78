/* The public pipeline API (include/eddy.h): parse and bind a SQL file, explain
 * it, and run all of its queries in this process, one thread per query. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/stop.h"
#include "runtime/live.h"
#include "runtime/query.h"
#include "server/http.h"
#include "sql/binder.h"
#include "sql/parser.h"
#include "sql/subst.h"

struct eddy_pipeline {
    arena *arena;
    char *text;
    char *file_name;
    ast_file ast;
    bound_pipeline bound;
};

int eddy_pipeline_parse(const char *sql, const char *file_name, const char *const *settings,
                        int nsettings, eddy_pipeline **out, eddy_error *err)
{
    *out = NULL;
    options presets;
    options_init(&presets);
    for (int i = 0; i < nsettings; i++) {
        const char *eq = strchr(settings[i], '=');
        if (!eq || eq == settings[i]) {
            options_free(&presets);
            return err_set(err, EDDY_USAGE, "-D expects key=value, got '%s'", settings[i]);
        }
        char *key = xstrndup(settings[i], (size_t)(eq - settings[i]));
        options_set(&presets, key, eq + 1, 0, 0);
        free(key);
    }
    eddy_pipeline *p = xcalloc(1, sizeof *p);
    p->arena = arena_new(0);
    p->text = xstrdup(sql);
    p->file_name = xstrdup(file_name ? file_name : "<sql>");
    int rc = sql_parse(p->text, p->file_name, p->arena, &p->ast, err);
    if (rc == 0)
        rc = sql_substitute_options(&p->ast, p->text, p->file_name, &presets, err);
    if (rc == 0)
        rc = sql_bind(&p->ast, p->text, p->file_name, &presets, p->arena, &p->bound, err);
    options_free(&presets);
    if (rc) {
        eddy_pipeline_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void eddy_pipeline_free(eddy_pipeline *p)
{
    if (!p)
        return;
    bound_pipeline_free(&p->bound);
    ast_file_free(&p->ast);
    arena_free(p->arena);
    free(p->text);
    free(p->file_name);
    free(p);
}

int eddy_pipeline_explain(const eddy_pipeline *p, void *out)
{
    FILE *f = out;
    for (int i = 0; i < p->bound.nqueries; i++) {
        const query_plan *q = &p->bound.queries[i];
        if (i)
            fputc('\n', f);
        plan_explain(q, p->bound.sources[q->scan->source].name, f);
    }
    return 0;
}

typedef struct query_thread {
    query_rt rt;
    eddy_error err;
    int rc;
} query_thread;

static void *query_main(void *arg)
{
    query_thread *t = arg;
    t->rc = query_run(&t->rt, &t->err);
    if (t->rt.lq)
        live_set_status(t->rt.lq, t->rc ? LIVE_FAILED : LIVE_STOPPED,
                        t->rc ? t->err.message : NULL);
    if (t->rc)
        stop_request(); /* one failed query stops the run */
    return NULL;
}

static int shuffle_partitions(const options *settings, eddy_error *err)
{
    int64_t n;
    if (options_int(settings, "spark.sql.shuffle.partitions", 200, &n, err) != 0)
        return -1;
    if (n < 1 || n > 100000) {
        err_set(err, EDDY_USAGE, "spark.sql.shuffle.partitions must be between 1 and 100000");
        return -1;
    }
    return (int)n;
}

int eddy_pipeline_run(eddy_pipeline *p, const eddy_run_options *opts, eddy_error *err)
{
    eddy_run_options defaults = {0};
    defaults.log_level = LOG_INFO;
    if (!opts)
        opts = &defaults;
    log_set_level(opts->log_level);
    run_shared shared;
    memset(&shared, 0, sizeof shared);
    pthread_mutex_init(&shared.progress_lock, NULL);
    pthread_mutex_init(&shared.console_lock, NULL);
    shared.available_now = opts->available_now != 0;
    shared.console = stdout;
    shared.checkpoint_root = opts->checkpoint_root;
    int rc = 0;
    shared.shuffle_partitions = shuffle_partitions(&p->bound.settings, err);
    if (shared.shuffle_partitions < 0)
        return -EDDY_USAGE;
    /* A bad --ui-host is a usage error before anything is opened or made. */
    if (opts->ui && http_check(opts->ui_host, opts->ui_port, err) != 0)
        return -EDDY_USAGE;
    if (opts->progress_path) {
        shared.progress = fopen(opts->progress_path, "a");
        if (!shared.progress)
            return err_set(err, EDDY_IO, "cannot open progress file '%s'", opts->progress_path);
    }

    /* Static tables are loaded once, at start; a missing path is an error
     * before any query runs. */
    batch ***tables = xcalloc((size_t)(p->bound.ntables + 1), sizeof(batch **));
    int *ntable_batches = xcalloc((size_t)(p->bound.ntables + 1), sizeof(int));
    for (int i = 0; i < p->bound.ntables && rc == 0; i++) {
        const catalog_table *t = &p->bound.tables[i];
        rc = table_load(t->name, &t->opts, &t->schema, &tables[i], &ntable_batches[i], err);
        if (rc == 0) {
            uint64_t rows = 0;
            for (int k = 0; k < ntable_batches[i]; k++)
                rows += tables[i][k]->nrows;
            log_debug("table '%s': %llu rows loaded", t->name, (unsigned long long)rows);
        }
    }

    shared.tables = tables;
    shared.ntable_batches = ntable_batches;
    int nq = p->bound.nqueries;
    query_thread *qt = xcalloc((size_t)nq, sizeof *qt);
    int opened = 0;
    for (; opened < nq && rc == 0; opened++) {
        rc = query_open(&qt[opened].rt, &p->bound, &p->bound.queries[opened], &shared, err);
        if (rc)
            break;
    }
    http_server *server = NULL;
    if (rc == 0 && opts->ui) {
        shared.live = live_new();
        for (int i = 0; i < nq; i++)
            qt[i].rt.lq = live_add(shared.live, qt[i].rt.q, qt[i].rt.id, qt[i].rt.run_id);
        rc = http_start(shared.live, opts->ui_host, opts->ui_port, &server, err);
        if (rc == 0) {
            log_info("web UI at %s", http_url(server));
            if (opts->ui_ready)
                opts->ui_ready(opts->ui_ready_ctx, http_url(server));
        }
    }
    if (rc == 0) {
        for (int i = 0; i < nq; i++)
            pthread_create(&qt[i].rt.thread, NULL, query_main, &qt[i]);
        for (int i = 0; i < nq; i++)
            pthread_join(qt[i].rt.thread, NULL);
        for (int i = 0; i < nq && rc == 0; i++) {
            if (qt[i].rc) {
                rc = qt[i].rc;
                if (err)
                    *err = qt[i].err;
            }
        }
    }
    if (shared.live) {
        live_close(shared.live);
        http_stop(server);
        live_free(shared.live);
    }
    for (int i = 0; i < opened; i++)
        query_close(&qt[i].rt);
    free(qt);
    for (int i = 0; i < p->bound.ntables; i++) {
        for (int k = 0; k < ntable_batches[i]; k++)
            batch_free(tables[i][k]);
        free(tables[i]);
    }
    free(tables);
    free(ntable_batches);
    if (shared.progress)
        fclose(shared.progress);
    pthread_mutex_destroy(&shared.progress_lock);
    pthread_mutex_destroy(&shared.console_lock);
    return rc;
}
