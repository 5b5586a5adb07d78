/* `eddy demo NAME`: a generator thread and a pipeline in one process. The
 * generator writes ticks into a fresh folder under /tmp while the pipeline of
 * the seed's example, pointed at that folder, prints its results on the
 * console each batch and serves them on the dashboard (web UI, SPEC §7),
 * whose URL it prints. Ctrl+C stops both cleanly.
 *
 *   votes  (default, the main job; seed 000, with seed 001's dashboard): a
 *          tick of 50 vote files every 2 s; votes per candidate (console
 *          and a bar chart), per age group (donut) and per state (table),
 *          complete mode.
 *   kafka  (seed 001): a mock Kafka broker in the process, the votes
 *          generator producing to votes_topic, examples/voting_kafka.sql
 *          writing the aggregates to two topics, and the dashboard.
 *   accel  (seed 002): 3 participants' accelerometer files, a tick every 2 s
 *          holding 5 s of samples; tumbling and sliding window averages.
 *   stocks (seed 004): one trading day of 10 KOSPI stocks per second from
 *          2024-01-02; big daily moves and weekly bars.
 *
 * The accel and stocks demos run examples/accelerometer.sql and
 * examples/stocks.sql as they are (file sinks, partitioned by symbol for
 * stocks, with checkpoint locations), writing under the demo folder, and add
 * a console sink per query with the same SELECT so the results are visible
 * as they are written; averages are rounded to keep the tables narrow. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/demo.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/stop.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "gen/gen.h"
#include "gen/mock_cluster.h"

/* In the SQL and messages below, every "@DIR@" becomes the demo folder. */
#define DIR_MARK "@DIR@"

/* examples/votes.sql with the folder filled in, plus views per age group
 * and per state; the dashboard draws them as a bar chart, a donut and a
 * table. */
static const char votes_sql[] =
    "-- eddy demo votes: seed 000 (votes per candidate from JSON files), with\n"
    "-- seed 001's dashboard\n"
    "CREATE SOURCE votes (\n"
    "  vote_id   STRING,\n"
    "  timestamp TIMESTAMP,\n"
    "  state     STRING,\n"
    "  age_group STRING,\n"
    "  candidate STRING\n"
    ") WITH (format = 'json', path = '@DIR@');\n"
    "\n"
    "CREATE SINK votes_per_candidate\n"
    "  WITH (format = 'console', outputMode = 'complete', trigger = '2 seconds',\n"
    "        chart = 'bar')\n"
    "  AS SELECT candidate, count(*) AS count FROM votes GROUP BY candidate;\n"
    "\n"
    "CREATE SINK votes_per_age_group\n"
    "  WITH (format = 'memory', outputMode = 'complete', trigger = '2 seconds',\n"
    "        chart = 'donut')\n"
    "  AS SELECT age_group, count(*) AS votes FROM votes GROUP BY age_group\n"
    "     ORDER BY age_group;\n"
    "\n"
    "CREATE SINK votes_per_state\n"
    "  WITH (format = 'memory', outputMode = 'complete', trigger = '2 seconds',\n"
    "        chart = 'table')\n"
    "  AS SELECT state, count(*) AS votes FROM votes GROUP BY state ORDER BY votes DESC;\n";

/* examples/voting_kafka.sql (seed 001), with the candidate counts also on
 * the console; the bootstrap servers come in as ${bootstrap}. */
static const char kafka_sql[] =
    "-- eddy demo kafka: seed 001 (the voting pipeline through Kafka)\n"
    "CREATE SOURCE votes (\n"
    "  vote_id   STRING,\n"
    "  timestamp TIMESTAMP,\n"
    "  state     STRING,\n"
    "  age_group STRING,\n"
    "  candidate STRING,\n"
    "  WATERMARK FOR timestamp AS timestamp - INTERVAL 1 MINUTE\n"
    ") WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',\n"
    "        subscribe = 'votes_topic', startingOffsets = 'earliest', valueFormat = 'json');\n"
    "\n"
    "CREATE SINK aggregated_votes_per_candidate\n"
    "  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',\n"
    "        topic = 'aggregated_votes_per_candidate', outputMode = 'update',\n"
    "        'kafka.transactional.id' = 'eddy-votes-per-candidate',\n"
    "        checkpointLocation = 'checkpoints/votes_per_candidate')\n"
    "  AS SELECT candidate, count(*) AS total_votes FROM votes GROUP BY candidate;\n"
    "\n"
    "CREATE SINK aggregated_turnout_by_location\n"
    "  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',\n"
    "        topic = 'aggregated_turnout_by_location', outputMode = 'update',\n"
    "        'kafka.transactional.id' = 'eddy-turnout-by-location',\n"
    "        checkpointLocation = 'checkpoints/turnout_by_location')\n"
    "  AS SELECT state, count(*) AS total_votes FROM votes GROUP BY state;\n"
    "\n"
    "CREATE SINK votes_per_candidate\n"
    "  WITH (format = 'console', outputMode = 'complete', chart = 'bar', trigger = '2 seconds')\n"
    "  AS SELECT candidate, count(*) AS total_votes FROM votes GROUP BY candidate;\n"
    "\n"
    "CREATE SINK votes_per_age_group\n"
    "  WITH (format = 'memory', outputMode = 'complete', chart = 'donut')\n"
    "  AS SELECT age_group, count(*) AS total_votes FROM votes GROUP BY age_group\n"
    "     ORDER BY age_group;\n"
    "\n"
    "CREATE SINK turnout_by_state\n"
    "  WITH (format = 'memory', outputMode = 'complete', chart = 'table')\n"
    "  AS SELECT state, count(*) AS total_votes FROM votes GROUP BY state\n"
    "     ORDER BY total_votes DESC;\n";

/* examples/accelerometer.sql under the demo folder, plus console sinks. */
static const char accel_sql[] =
    "-- eddy demo accel: seed 002 (tumbling and sliding windows over accelerometer data)\n"
    "CREATE SOURCE accel (\n"
    "  pid  STRING,\n"
    "  time TIMESTAMP,\n"
    "  x    DOUBLE,\n"
    "  y    DOUBLE,\n"
    "  z    DOUBLE,\n"
    "  WATERMARK FOR time AS time - INTERVAL 10 SECONDS\n"
    ") WITH (format = 'csv', path = '@DIR@/accel_stream', header = true);\n"
    "\n"
    "CREATE SINK accel_tumbling\n"
    "  WITH (format = 'csv', path = '@DIR@/accel_out/tumbling', header = true,\n"
    "        outputMode = 'append', trigger = '5 seconds',\n"
    "        checkpointLocation = '@DIR@/accel_checkpoints/tumbling')\n"
    "  AS SELECT pid, window.start AS window_start, window.end AS window_end,\n"
    "            avg(x) AS avg_x, avg(y) AS avg_y, avg(z) AS avg_z, count(*) AS samples\n"
    "     FROM accel\n"
    "     GROUP BY pid, window(time, '5 seconds');\n"
    "\n"
    "CREATE SINK accel_sliding\n"
    "  WITH (format = 'csv', path = '@DIR@/accel_out/sliding', header = true,\n"
    "        outputMode = 'append', trigger = '5 seconds',\n"
    "        checkpointLocation = '@DIR@/accel_checkpoints/sliding')\n"
    "  AS SELECT pid, window.start AS window_start, window.end AS window_end,\n"
    "            avg(x) AS avg_x, avg(y) AS avg_y, avg(z) AS avg_z, count(*) AS samples\n"
    "     FROM accel\n"
    "     GROUP BY pid, window(time, '10 seconds', '5 seconds');\n"
    "\n"
    "CREATE SINK tumbling_5s\n"
    "  WITH (format = 'console', outputMode = 'append', trigger = '5 seconds')\n"
    "  AS SELECT pid, window.start AS window_start, window.end AS window_end,\n"
    "            round(avg(x), 3) AS avg_x, round(avg(y), 3) AS avg_y,\n"
    "            round(avg(z), 3) AS avg_z, count(*) AS samples\n"
    "     FROM accel\n"
    "     GROUP BY pid, window(time, '5 seconds');\n"
    "\n"
    "CREATE SINK sliding_10s_every_5s\n"
    "  WITH (format = 'console', outputMode = 'append', trigger = '5 seconds')\n"
    "  AS SELECT pid, window.start AS window_start, window.end AS window_end,\n"
    "            round(avg(x), 3) AS avg_x, round(avg(y), 3) AS avg_y,\n"
    "            round(avg(z), 3) AS avg_z, count(*) AS samples\n"
    "     FROM accel\n"
    "     GROUP BY pid, window(time, '10 seconds', '5 seconds');\n";

/* examples/stocks.sql under the demo folder, plus console sinks. Every
 * query triggers every 5 s, i.e. about once per generated week. */
static const char stocks_sql[] =
    "-- eddy demo stocks: seed 004 (KOSPI daily bars to partitioned files)\n"
    "CREATE SOURCE stocks (\n"
    "  date   TIMESTAMP,\n"
    "  symbol STRING,\n"
    "  open   DOUBLE,\n"
    "  high   DOUBLE,\n"
    "  low    DOUBLE,\n"
    "  close  DOUBLE,\n"
    "  volume BIGINT,\n"
    "  WATERMARK FOR date AS date - INTERVAL 3 DAYS\n"
    ") WITH (format = 'csv', path = '@DIR@/stock_stream', header = true);\n"
    "\n"
    "CREATE SINK big_moves\n"
    "  WITH (format = 'csv', path = '@DIR@/stock_out/big_moves', header = true,\n"
    "        partitionBy = 'symbol', trigger = '5 seconds',\n"
    "        checkpointLocation = '@DIR@/stock_checkpoints/big_moves')\n"
    "  AS SELECT CAST(date AS DATE) AS date, symbol, open, close,\n"
    "            round((close - open) / open * 100, 2) AS change_pct, volume\n"
    "     FROM stocks\n"
    "     WHERE abs(close - open) / open >= 0.02;\n"
    "\n"
    "CREATE SINK weekly\n"
    "  WITH (format = 'csv', path = '@DIR@/stock_out/weekly', header = true,\n"
    "        outputMode = 'append', partitionBy = 'symbol', trigger = '5 seconds',\n"
    "        checkpointLocation = '@DIR@/stock_checkpoints/weekly')\n"
    "  AS SELECT symbol, window.start AS week_start, window.end AS week_end,\n"
    "            avg(close) AS avg_close, max(high) AS max_high, min(low) AS min_low,\n"
    "            sum(volume) AS total_volume, count(*) AS days\n"
    "     FROM stocks\n"
    "     GROUP BY symbol, window(date, '7 days', '7 days', '4 days');\n"
    "\n"
    "CREATE SINK big_moves_console\n"
    "  WITH (format = 'console', trigger = '5 seconds')\n"
    "  AS SELECT CAST(date AS DATE) AS date, symbol, open, close,\n"
    "            round((close - open) / open * 100, 2) AS change_pct, volume\n"
    "     FROM stocks\n"
    "     WHERE abs(close - open) / open >= 0.02;\n"
    "\n"
    "CREATE SINK weekly_console\n"
    "  WITH (format = 'console', outputMode = 'append', trigger = '5 seconds')\n"
    "  AS SELECT symbol, CAST(window.start AS DATE) AS week, round(avg(close), 1) AS avg_close,\n"
    "            max(high) AS max_high, min(low) AS min_low, sum(volume) AS total_volume\n"
    "     FROM stocks\n"
    "     GROUP BY symbol, window(date, '7 days', '7 days', '4 days');\n";

typedef struct demo {
    const char *name;
    const char *kind;          /* generator kind */
    const char *input;         /* generator folder under the demo folder ("" = itself) */
    int64_t interval_us;       /* generator pause between ticks */
    const char *start;         /* first event time, ts_parse form; NULL = now */
    const char *sql;           /* pipeline, with DIR_MARK */
    const char *intro;         /* printed on stderr before starting, with DIR_MARK */
    bool kafka;                /* a mock Kafka broker in the process: the
                                  generator produces to votes_topic, the
                                  pipeline runs in the demo folder with
                                  ${bootstrap} set */
    double sample;             /* generator's sample, or 0 for its default */
} demo;

static const demo demos[] = {
    {
        .name = "votes",
        .kind = "votes",
        .input = "",
        .interval_us = 2000000,
        .sql = votes_sql,
        .intro = "eddy demo votes: writing a tick of 50 vote files every 2 s into @DIR@\n",
    },
    {
        .name = "kafka",
        .kind = "votes",
        .input = "",
        .interval_us = 2000000,
        .sql = kafka_sql,
        .kafka = true,
        .sample = 0.00001,
        .intro = "eddy demo kafka: a mock Kafka broker (librdkafka's) on 127.0.0.1; a tick of\n"
                 "  about 2,500 votes every 2 s to votes_topic; the pipeline writes votes per\n"
                 "  candidate and turnout per state to aggregated_votes_per_candidate and\n"
                 "  aggregated_turnout_by_location (checkpoints in @DIR@)\n",
    },
    {
        .name = "accel",
        .kind = "accel",
        .input = "/accel_stream",
        .interval_us = 2000000,
        .sql = accel_sql,
        .intro = "eddy demo accel: every 2 s, one file of 5 s of 40 Hz samples per participant\n"
                 "  (BK7610, BU4707, CC6740) into @DIR@/accel_stream;\n"
                 "  event time runs 2.5 times faster than the clock, and a window is printed\n"
                 "  once the watermark (latest time - 10 s) passes its end\n"
                 "eddy demo accel: results also go to @DIR@/accel_out/{tumbling,sliding}/\n",
    },
    {
        .name = "stocks",
        .kind = "stocks",
        .input = "/stock_stream",
        .interval_us = 1000000,
        .start = "2024-01-02",
        .sql = stocks_sql,
        .intro = "eddy demo stocks: one trading day of 10 KOSPI stocks per second, from\n"
                 "  2024-01-02, into @DIR@/stock_stream; a week is printed once the\n"
                 "  watermark (latest date - 3 days) passes its end\n"
                 "eddy demo stocks: results also go to @DIR@/stock_out/{big_moves,weekly}/"
                 "symbol=*/\n",
    },
};
#define NDEMOS ((int)(sizeof demos / sizeof demos[0]))

/* Copy of `text` with every DIR_MARK replaced by dir; the caller frees it. */
static char *fill_dir(const char *text, const char *dir)
{
    size_t mark = strlen(DIR_MARK), dlen = strlen(dir), n = 0;
    for (const char *p = strstr(text, DIR_MARK); p; p = strstr(p + mark, DIR_MARK))
        n++;
    char *out = xmalloc(strlen(text) + n * dlen + 1), *q = out;
    for (const char *p = text;;) {
        const char *m = strstr(p, DIR_MARK);
        size_t k = m ? (size_t)(m - p) : strlen(p);
        memcpy(q, p, k);
        q += k;
        if (!m)
            break;
        memcpy(q, dir, dlen);
        q += dlen;
        p = m + mark;
    }
    *q = '\0';
    return out;
}

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

static void print_dashboard(void *ctx, const char *url)
{
    const demo *d = ctx;
    fprintf(stderr, "eddy demo %s: dashboard at %s (open it in a browser)\n", d->name, url);
}

static int demo_run(const demo *d, const eddy_run_options *ui)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/eddy-demo-%s-XXXXXX", d->name);
    if (!mkdtemp(dir)) {
        perror("eddy demo: cannot create a folder under /tmp");
        return 1;
    }
    char input[128];
    snprintf(input, sizeof input, "%s%s", dir, d->input);
    gen_thread g;
    memset(&g, 0, sizeof g);
    gen_options_default(&g.opts, d->kind);
    g.opts.out_dir = input;
    if (d->sample > 0)
        g.opts.sample = d->sample;
    mock_cluster *broker = NULL;
    char setting[160] = "";
    if (d->kafka) {
        static const mock_topic topics[] = {{"votes_topic", 3},
                                            {"aggregated_votes_per_candidate", 1},
                                            {"aggregated_turnout_by_location", 1}};
        eddy_error berr = {0};
        if (mock_cluster_start(1, topics, 3, &broker, &berr) != 0) {
            fprintf(stderr, "eddy demo: %s\n", berr.message);
            return 1;
        }
        g.opts.out_dir = NULL;
        g.opts.kafka_bootstrap = mock_cluster_bootstrap(broker);
        g.opts.kafka_topic = "votes_topic";
        snprintf(setting, sizeof setting, "bootstrap=%s", mock_cluster_bootstrap(broker));
        /* The pipeline's checkpoint locations are relative: keep them in
         * the demo folder. */
        if (chdir(dir) != 0) {
            perror("eddy demo: cannot enter the demo folder");
            mock_cluster_stop(broker);
            return 1;
        }
        fprintf(stderr, "eddy demo kafka: bootstrap servers %s (try: kcat -b %s -C -t "
                        "aggregated_votes_per_candidate)\n",
                mock_cluster_bootstrap(broker), mock_cluster_bootstrap(broker));
    }
    g.opts.interval_us = d->interval_us;
    g.opts.ticks = 0;
    g.opts.quiet = 1;
    if (d->start && ts_parse(d->start, strlen(d->start), &g.opts.start_time_us) != 0)
        abort(); /* the table above holds a bad literal */
    /* The file source refuses a missing folder: create it before starting. */
    eddy_error err = {0};
    if (!d->kafka && gen_mkdirs(input, &err) != 0) {
        fprintf(stderr, "eddy demo: %s\n", err.message);
        return 1;
    }

    char *intro = fill_dir(d->intro, dir);
    fputs(intro, stderr);
    fprintf(stderr, "eddy demo %s: Ctrl+C stops the generator and the pipeline\n", d->name);
    free(intro);
    cli_install_signals();
    pthread_t th;
    if (pthread_create(&th, NULL, gen_main, &g) != 0) {
        fprintf(stderr, "eddy demo: cannot start the generator thread\n");
        return 1;
    }

    char *sql = fill_dir(d->sql, dir);
    char file_name[64];
    snprintf(file_name, sizeof file_name, "demo-%s.sql", d->name);
    eddy_run_options ro = *ui;
    ro.log_level = LOG_WARN;
    ro.ui_ready = print_dashboard;
    ro.ui_ready_ctx = (void *)d;
    const char *settings[1] = {setting};
    int status = cli_run_sql(sql, file_name, settings, d->kafka ? 1 : 0, &ro);
    free(sql);
    stop_request();
    pthread_join(th, NULL);
    if (g.rc) {
        fprintf(stderr, "eddy demo: generator failed: %s\n", g.err.message);
        if (!status)
            status = 1;
    }
    if (d->kafka)
        fprintf(stderr, "eddy demo kafka: stopped; the checkpoints are in %s\n", dir);
    else
        fprintf(stderr, "eddy demo %s: stopped; the generated files are in %s\n", d->name,
                input);
    mock_cluster_stop(broker);
    return status;
}

int cmd_demo(int argc, char **argv)
{
    const char *name = "votes";
    eddy_run_options ui = {0};
    ui.ui = 1;
    ui.ui_port = 4040;
    bool named = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-ui") == 0) {
            ui.ui = 0;
        } else if (strcmp(a, "--ui-port") == 0 || strcmp(a, "--ui-host") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "eddy demo: option '%s' needs a value\n", a);
                return 2;
            }
            const char *val = argv[++i];
            if (strcmp(a, "--ui-host") == 0) {
                ui.ui_host = val;
                continue;
            }
            char *end;
            long port = strtol(val, &end, 10);
            if (!*val || *end || port < 0 || port > 65535) {
                fprintf(stderr,
                        "eddy demo: --ui-port expects a port number (0 for any free port), "
                        "got '%s'\n",
                        val);
                return 2;
            }
            ui.ui_port = (int)port;
        } else if (a[0] == '-' || named) {
            fprintf(stderr, "eddy demo: unexpected argument '%s' (usage: eddy demo [NAME] "
                            "[--ui-port N] [--ui-host H] [--no-ui])\n",
                    a);
            return 2;
        } else {
            name = a;
            named = true;
        }
    }
    const char *names[NDEMOS];
    for (int i = 0; i < NDEMOS; i++) {
        if (strcmp(name, demos[i].name) == 0)
            return demo_run(&demos[i], &ui);
        names[i] = demos[i].name;
    }
    const char *near = str_nearest(name, names, NDEMOS);
    fprintf(stderr, "eddy demo: unknown demo '%s'%s%s%s; available: votes, kafka, accel, stocks\n",
            name,
            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return 2;
}
