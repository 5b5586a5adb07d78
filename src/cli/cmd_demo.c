/* `eddy demo votes`: the main job. A generator thread writes a tick of vote
 * files (one per US state) every 2 s into a fresh folder while the pipeline
 * of examples/votes.sql, pointed at that folder, prints votes per candidate
 * and per state each batch. Ctrl+C stops both cleanly. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo.h"
#include "core/log.h"
#include "core/stop.h"
#include "core/strutil.h"
#include "gen/gen.h"

/* examples/votes.sql with the folder filled in, plus a per-state view. */
static const char votes_sql[] =
    "-- eddy demo votes: seed 000 (votes per candidate from JSON files)\n"
    "CREATE SOURCE votes (\n"
    "  vote_id   STRING,\n"
    "  timestamp TIMESTAMP,\n"
    "  state     STRING,\n"
    "  age_group STRING,\n"
    "  candidate STRING\n"
    ") WITH (format = 'json', path = '%s');\n"
    "\n"
    "CREATE SINK votes_per_candidate\n"
    "  WITH (format = 'console', outputMode = 'complete', trigger = '2 seconds')\n"
    "  AS SELECT candidate, count(*) AS count FROM votes GROUP BY candidate;\n"
    "\n"
    "CREATE SINK votes_per_state\n"
    "  WITH (format = 'console', outputMode = 'complete', numRows = 50,\n"
    "        trigger = '2 seconds')\n"
    "  AS SELECT state, count(*) AS votes FROM votes GROUP BY state ORDER BY votes DESC;\n";

typedef struct gen_thread {
    gen_options opts;
    eddy_error err;
    int rc;
} gen_thread;

static void *gen_main(void *arg)
{
    gen_thread *g = arg;
    g->rc = gen_run(&g->opts, &g->err);
    return NULL;
}

static int demo_votes(void)
{
    char dir[] = "/tmp/eddy-demo-votes-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("eddy demo: cannot create a folder under /tmp");
        return 1;
    }
    fprintf(stderr,
            "eddy demo votes: writing a tick of 50 vote files every 2 s into %s\n"
            "eddy demo votes: Ctrl+C stops the generator and the pipeline\n",
            dir);
    gen_thread g;
    memset(&g, 0, sizeof g);
    gen_options_default(&g.opts, "votes");
    g.opts.out_dir = dir;
    g.opts.interval_us = 2000000;
    g.opts.ticks = 0;
    g.opts.quiet = 1;
    cli_install_signals();
    pthread_t th;
    pthread_create(&th, NULL, gen_main, &g);

    char sql[sizeof votes_sql + 512];
    snprintf(sql, sizeof sql, votes_sql, dir);
    eddy_run_options ro = {0};
    ro.log_level = LOG_WARN;
    int status = cli_run_sql(sql, "demo-votes.sql", NULL, 0, &ro);
    stop_request();
    pthread_join(th, NULL);
    if (g.rc) {
        fprintf(stderr, "eddy demo: generator failed: %s\n", g.err.message);
        if (!status)
            status = 1;
    }
    fprintf(stderr, "eddy demo votes: stopped; the generated files are in %s\n", dir);
    return status;
}

int cmd_demo(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "votes";
    if (strcmp(name, "votes") == 0)
        return demo_votes();
    static const char *const demos[] = {"votes"};
    const char *near = str_nearest(name, demos, 1);
    fprintf(stderr, "eddy demo: unknown demo '%s'%s%s%s; available: votes\n", name,
            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return 2;
}
