/* Unit tests for the generators: determinism, file layout, row counts, value
 * domains, late rows and atomic writes. */
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/stop.h"
#include "core/timefmt.h"
#include "gen/gen.h"

/* 2024-11-05 14:00:00 UTC */
#define START_US 1730815200000000LL

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/eddy_test_gen_XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void remove_tmpdir(char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Names in dir, sorted; hidden names counted in *hidden. */
static int list_dir(const char *dir, char ***names, int *hidden)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    assert_true(n >= 0);
    int k = 0;
    *hidden = 0;
    *names = calloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            if (nm[0] == '.')
                (*hidden)++;
            else
                (*names)[k++] = strdup(nm);
        }
        free(ents[i]);
    }
    free(ents);
    return k;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void run_ok(const gen_options *o)
{
    eddy_error err = {0};
    int rc = gen_run(o, &err);
    if (rc != 0)
        fail_msg("gen_run: %s", err.message);
}

static void votes_opts(gen_options *o, const char *dir, uint64_t seed, double sample, int ticks)
{
    gen_options_default(o, "votes");
    o->out_dir = dir;
    o->seed = seed;
    o->sample = sample;
    o->ticks = ticks;
    o->interval_us = 0;
    o->start_time_us = START_US;
    o->quiet = 1;
}

static int64_t count_lines(const char *path)
{
    size_t len;
    char *buf = read_all(path, &len);
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    free(buf);
    return n;
}

static void test_rng_known_answer(void **state)
{
    (void)state;
    gen_rng a, b, c;
    gen_rng_seed(&a, 42, 0);
    gen_rng_seed(&b, 42, 0);
    gen_rng_seed(&c, 42, 1);
    uint64_t first = gen_rng_next(&a);
    assert_int_equal(first, 0x19e479e2aaa77bfbULL);
    assert_int_equal(first, gen_rng_next(&b));
    assert_int_not_equal(first, gen_rng_next(&c));
    int seen[7] = {0};
    for (int i = 0; i < 10000; i++) {
        uint32_t v = gen_rng_below(&a, 7);
        assert_true(v < 7);
        seen[v]++;
        double u = gen_rng_unit(&a);
        assert_true(u >= 0.0 && u < 1.0);
    }
    for (int i = 0; i < 7; i++)
        assert_in_range(seen[i], 1200, 1660);
}

static void test_format_second(void **state)
{
    (void)state;
    int64_t day = INT64_MIN;
    char date[10], buf[20] = {0};
    gen_format_second(START_US + 3723456789LL, ' ', buf, &day, date);
    assert_string_equal(buf, "2024-11-05 15:02:03");
    gen_format_second(START_US + 36LL * 3600 * 1000000, 'T', buf, &day, date);
    assert_string_equal(buf, "2024-11-07T02:00:00");
    gen_format_second(0, ' ', buf, &day, date);
    assert_string_equal(buf, "1970-01-01 00:00:00");
}

static void test_votes_deterministic(void **state)
{
    (void)state;
    stop_reset();
    char *a = make_tmpdir(), *b = make_tmpdir(), *c = make_tmpdir();
    gen_options o;
    votes_opts(&o, a, 7, 0.0005, 1);
    run_ok(&o);
    votes_opts(&o, b, 7, 0.0005, 1);
    run_ok(&o);
    votes_opts(&o, c, 8, 0.0005, 1);
    run_ok(&o);

    char **names;
    int hidden;
    int n = list_dir(a, &names, &hidden);
    assert_int_equal(n, GEN_NSTATES);
    assert_int_equal(hidden, 0);
    for (int i = 0; i < n; i++) {
        char pa[512], pb[512], pc[512];
        snprintf(pa, sizeof pa, "%s/%s", a, names[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, names[i]);
        snprintf(pc, sizeof pc, "%s/%s", c, names[i]);
        size_t la, lb, lc;
        char *da = read_all(pa, &la), *db = read_all(pb, &lb), *dc = read_all(pc, &lc);
        assert_int_equal(la, lb);
        assert_memory_equal(da, db, la);
        assert_true(la != lc || memcmp(da, dc, la) != 0);
        free(da);
        free(db);
        free(dc);
    }
    free_names(names, n);
    remove_tmpdir(a);
    remove_tmpdir(b);
    remove_tmpdir(c);
}

/* The exact bytes for seed 42: a change here changes every user's data. */
static void test_first_rows_known(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir();
    gen_options o;
    votes_opts(&o, dir, 42, 0.00001, 1);
    o.interval_us = 5000000;
    run_ok(&o);
    gen_options_default(&o, "events");
    o.out_dir = dir;
    o.files = 1;
    o.interval_us = 0;
    o.start_time_us = START_US;
    o.quiet = 1;
    run_ok(&o);
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/votes_000000_CA.json", dir);
    char *buf = read_all(path, &len);
    *strchr(buf, '\n') = '\0';
    assert_string_equal(buf, "{\"vote_id\": \"84bac637-a06a-4473-b38c-65d42ff9bcbe\", "
                             "\"timestamp\": \"2024-11-05 14:00:04\", \"state\": \"California\", "
                             "\"age_group\": \"25-34\", \"candidate\": \"Kamala Harris\"}");
    free(buf);
    snprintf(path, sizeof path, "%s/event_batch_0.csv", dir);
    buf = read_all(path, &len);
    assert_int_equal(strncmp(buf, "timestamp,user_id,event\n2024-11-05T14:00:00.000022,1,login\n",
                             59), 0);
    free(buf);

    gen_options_default(&o, "accel");
    o.out_dir = dir;
    o.ticks = 1;
    o.pids = 1;
    o.rows = 2;
    o.interval_us = 0;
    o.start_time_us = START_US;
    o.quiet = 1;
    run_ok(&o);
    snprintf(path, sizeof path, "%s/accel_BK7610_000000.csv", dir);
    buf = read_all(path, &len);
    assert_string_equal(buf, "pid,time,x,y,z\n"
                             "BK7610,2024-11-05 14:00:00.004,-0.0349,-0.7728,-0.0221\n"
                             "BK7610,2024-11-05 14:00:00.027,-0.0578,-0.7151,-0.0718\n");
    free(buf);

    gen_options_default(&o, "stocks");
    o.out_dir = dir;
    o.ticks = 1;
    o.interval_us = 0;
    o.start_time_us = START_US;
    o.quiet = 1;
    run_ok(&o);
    snprintf(path, sizeof path, "%s/stocks_000000_2024-11-05.csv", dir);
    buf = read_all(path, &len);
    const char *want = "date,symbol,open,high,low,close,volume\n"
                       "2024-11-05,005930,78300,78400,77200,77600,14586689\n"
                       "2024-11-05,000660,140500,140600,138500,139700,3541569\n";
    assert_int_equal(strncmp(buf, want, strlen(want)), 0);
    free(buf);
    remove_tmpdir(dir);
}

static void test_votes_files_per_tick(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir();
    gen_options o;
    votes_opts(&o, dir, 1, 0.00002, 3);
    run_ok(&o);
    char **names;
    int hidden;
    int n = list_dir(dir, &names, &hidden);
    assert_int_equal(n, 3 * GEN_NSTATES);
    assert_int_equal(hidden, 0);
    for (int tick = 0; tick < 3; tick++) {
        for (int s = 0; s < GEN_NSTATES; s++) {
            char want[64], path[512];
            snprintf(want, sizeof want, "votes_%06d_%s.json", tick, gen_states[s].code);
            snprintf(path, sizeof path, "%s/%s", dir, want);
            assert_int_equal(access(path, R_OK), 0);
            assert_int_equal(count_lines(path), gen_votes_rows(&gen_states[s], 0.00002));
        }
    }
    free_names(names, n);
    remove_tmpdir(dir);
}

static void test_votes_average_rows(void **state)
{
    (void)state;
    stop_reset();
    int64_t pop = 0;
    for (int s = 0; s < GEN_NSTATES; s++) {
        assert_true(gen_states[s].voting_age_pop > 300000);
        pop += gen_states[s].voting_age_pop;
    }
    assert_int_equal(pop, 255429323);
    double expected = (double)pop * 0.005 / GEN_NSTATES;

    char *dir = make_tmpdir();
    gen_options o;
    votes_opts(&o, dir, 42, 0.005, 1);
    run_ok(&o);
    int64_t total = 0;
    for (int s = 0; s < GEN_NSTATES; s++) {
        char path[512];
        snprintf(path, sizeof path, "%s/votes_000000_%s.json", dir, gen_states[s].code);
        total += count_lines(path);
    }
    double avg = (double)total / GEN_NSTATES;
    assert_true(avg > expected * 0.98 && avg < expected * 1.02);
    assert_in_range((int64_t)avg, 25000, 26000);
    remove_tmpdir(dir);
}

static int in_list(const char *s, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
            return 0;
    }
    return s[14] == '4';
}

static void test_votes_json_lines(void **state)
{
    (void)state;
    stop_reset();
    static const char *const ages[] = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
    static const char *const cands[] = {"Kamala Harris", "Donald Trump", "Jill Stein"};
    char *dir = make_tmpdir();
    gen_options o;
    votes_opts(&o, dir, 3, 0.001, 1);
    /* 5 s ticks spread timestamps over [start, start + 5 s); the last tick
     * does not sleep. */
    o.interval_us = 5000000;
    o.ticks = 1;
    run_ok(&o);

    int cand_count[3] = {0}, rows = 0;
    const char *codes[] = {"CA", "WY", "TX"};
    const char *names[] = {"California", "Wyoming", "Texas"};
    for (int f = 0; f < 3; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/votes_000000_%s.json", dir, codes[f]);
        size_t len;
        char *buf = read_all(path, &len);
        assert_true(len > 0 && buf[len - 1] == '\n');
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            json_error_t jerr;
            json_t *obj = json_loads(line, 0, &jerr);
            assert_non_null(obj);
            assert_true(json_is_object(obj));
            assert_int_equal(json_object_size(obj), 5);
            const char *id = json_string_value(json_object_get(obj, "vote_id"));
            const char *ts = json_string_value(json_object_get(obj, "timestamp"));
            const char *st = json_string_value(json_object_get(obj, "state"));
            const char *age = json_string_value(json_object_get(obj, "age_group"));
            const char *cand = json_string_value(json_object_get(obj, "candidate"));
            assert_non_null(id);
            assert_non_null(ts);
            assert_non_null(st);
            assert_non_null(age);
            assert_non_null(cand);
            assert_true(is_uuid(id));
            assert_int_equal(strlen(ts), 19);
            int64_t us;
            assert_int_equal(ts_parse(ts, strlen(ts), &us), 0);
            assert_true(us >= START_US && us < START_US + 5000000);
            assert_string_equal(st, names[f]);
            assert_true(in_list(age, ages, 6));
            assert_true(in_list(cand, cands, 3));
            for (int c = 0; c < 3; c++)
                cand_count[c] += strcmp(cand, cands[c]) == 0;
            rows++;
            json_decref(obj);
        }
        free(buf);
    }
    assert_int_equal(rows, gen_votes_rows(&gen_states[4], 0.001) +
                               gen_votes_rows(&gen_states[49], 0.001) +
                               gen_votes_rows(&gen_states[42], 0.001));
    assert_in_range(cand_count[2] * 1000 / rows, 35, 65);
    assert_in_range(cand_count[0] * 100 / rows, 44, 52);
    remove_tmpdir(dir);
}

static void test_events_csv(void **state)
{
    (void)state;
    stop_reset();
    static const char *const evs[] = {"login", "logout", "purchase", "view"};
    char *dir = make_tmpdir();
    gen_options o;
    gen_options_default(&o, "events");
    assert_int_equal(o.files, 10);
    assert_int_equal(o.rows, 10);
    assert_int_equal(o.interval_us, 3000000);
    o.out_dir = dir;
    o.interval_us = 0;
    o.files = 4;
    o.rows = 500;
    o.start_time_us = START_US;
    o.quiet = 1;
    run_ok(&o);

    char **names;
    int hidden;
    int n = list_dir(dir, &names, &hidden);
    assert_int_equal(n, 4);
    assert_int_equal(hidden, 0);
    int64_t prev = 0;
    int user_seen[6] = {0};
    for (int i = 0; i < 4; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/event_batch_%d.csv", dir, i);
        size_t len;
        char *buf = read_all(path, &len);
        assert_int_equal(strncmp(buf, "timestamp,user_id,event\n", 24), 0);
        int rows = 0;
        char *save = NULL;
        for (char *line = strtok_r(buf + 24, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
            assert_non_null(c2);
            assert_null(strchr(c2 + 1, ','));
            size_t tlen = (size_t)(c1 - line);
            assert_true(tlen == 19 || tlen == 26);
            assert_int_equal(line[10], 'T');
            int64_t us;
            assert_int_equal(ts_parse(line, tlen, &us), 0);
            assert_true(us > prev);
            prev = us;
            assert_int_equal(c2 - c1, 2);
            int user = c1[1] - '0';
            assert_in_range(user, 1, 5);
            user_seen[user]++;
            assert_true(in_list(c2 + 1, evs, 4));
            rows++;
        }
        assert_int_equal(rows, 500);
        free(buf);
    }
    for (int u = 1; u <= 5; u++)
        assert_true(user_seen[u] > 300);
    free_names(names, n);
    remove_tmpdir(dir);
}

static void test_events_late_rows(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir();
    gen_options o;
    gen_options_default(&o, "events");
    o.out_dir = dir;
    o.interval_us = 0;
    o.files = 1;
    o.rows = 1000;
    o.start_time_us = START_US;
    o.late_fraction = 0.2;
    o.max_lateness_us = 30000000;
    o.quiet = 1;
    run_ok(&o);
    char path[512];
    snprintf(path, sizeof path, "%s/event_batch_0.csv", dir);
    size_t len;
    char *buf = read_all(path, &len);
    int late = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf + 24, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int64_t us;
        assert_int_equal(ts_parse(line, (size_t)(strchr(line, ',') - line), &us), 0);
        assert_true(us > START_US - 30000000 - 1);
        late += us < START_US;
    }
    assert_in_range(late, 120, 280);
    free(buf);
    remove_tmpdir(dir);
}

static void test_lateness(void **state)
{
    (void)state;
    gen_options o;
    gen_options_default(&o, "accel");
    gen_rng a, b;
    gen_rng_seed(&a, 5, 0);
    gen_rng_seed(&b, 5, 0);
    /* no late rows: no draws, so the stream is unchanged */
    for (int i = 0; i < 100; i++)
        assert_int_equal(gen_lateness(&a, &o), 0);
    assert_int_equal(gen_rng_next(&a), gen_rng_next(&b));
    o.late_fraction = 1;
    o.max_lateness_us = 3;
    int seen[4] = {0};
    for (int i = 0; i < 3000; i++) {
        int64_t d = gen_lateness(&a, &o);
        assert_in_range(d, 1, 3);
        seen[d]++;
    }
    for (int d = 1; d <= 3; d++)
        assert_in_range(seen[d], 850, 1150);
    o.late_fraction = 0.25;
    o.max_lateness_us = 10000000;
    int late = 0;
    for (int i = 0; i < 10000; i++)
        late += gen_lateness(&a, &o) > 0;
    assert_in_range(late, 2300, 2700);
    double sum = 0, sq = 0;
    for (int i = 0; i < 20000; i++) {
        double v = gen_rng_normal(&a);
        assert_true(isfinite(v));
        sum += v;
        sq += v * v;
    }
    assert_true(fabs(sum / 20000) < 0.03);
    assert_true(fabs(sq / 20000 - 1) < 0.05);
}

/* Splits a line in place into at most max fields at commas; returns the
 * number of fields. */
static int split_csv(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void accel_opts(gen_options *o, const char *dir, uint64_t seed, int pids, int ticks,
                       int rows)
{
    gen_options_default(o, "accel");
    assert_int_equal(o->pids, 3);
    assert_int_equal(o->rows, 200);
    assert_int_equal(o->interval_us, 5000000);
    o->out_dir = dir;
    o->seed = seed;
    o->pids = pids;
    o->ticks = ticks;
    o->rows = rows;
    o->interval_us = 0;
    o->start_time_us = START_US;
    o->quiet = 1;
}

/* Same bytes for the same seed, different for another; one file per
 * participant per tick, named accel_<pid>_<tick>.csv. */
static void test_accel_deterministic(void **state)
{
    (void)state;
    stop_reset();
    char *a = make_tmpdir(), *b = make_tmpdir(), *c = make_tmpdir();
    gen_options o;
    accel_opts(&o, a, 7, 4, 3, 50);
    run_ok(&o);
    accel_opts(&o, b, 7, 4, 3, 50);
    run_ok(&o);
    accel_opts(&o, c, 8, 4, 3, 50);
    run_ok(&o);
    char **names;
    int hidden;
    int n = list_dir(a, &names, &hidden);
    assert_int_equal(n, 12);
    assert_int_equal(hidden, 0);
    for (int pi = 0; pi < 4; pi++)
        for (int tick = 0; tick < 3; tick++) {
            char want[64];
            snprintf(want, sizeof want, "accel_%s_%06d.csv", gen_accel_pids[pi], tick);
            assert_true(in_list(want, (const char *const *)names, n));
        }
    for (int i = 0; i < n; i++) {
        char pa[512], pb[512], pc[512];
        snprintf(pa, sizeof pa, "%s/%s", a, names[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, names[i]);
        snprintf(pc, sizeof pc, "%s/%s", c, names[i]);
        size_t la, lb, lc;
        char *da = read_all(pa, &la), *db = read_all(pb, &lb), *dc = read_all(pc, &lc);
        assert_int_equal(la, lb);
        assert_memory_equal(da, db, la);
        assert_true(la != lc || memcmp(da, dc, la) != 0);
        free(da);
        free(db);
        free(dc);
    }
    free_names(names, n);
    remove_tmpdir(a);
    remove_tmpdir(b);
    remove_tmpdir(c);
}

/* Header, row counts, 40 Hz timestamps continuing across ticks, the pid
 * column, and values shaped like a phone in a walking person's pocket. */
static void test_accel_csv(void **state)
{
    (void)state;
    stop_reset();
    static const char *const all[GEN_ACCEL_NPIDS] = {
        "BK7610", "BU4707", "CC6740", "DC6359", "DK3500", "HV0618", "JB3156",
        "JR8022", "MC7070", "MJ8002", "PC6771", "SA0297", "SF3079"};
    for (int i = 0; i < GEN_ACCEL_NPIDS; i++)
        assert_string_equal(gen_accel_pids[i], all[i]);
    char *dir = make_tmpdir();
    gen_options o;
    enum { PIDS = GEN_ACCEL_NPIDS, TICKS = 6, ROWS = 200 };
    accel_opts(&o, dir, 42, PIDS, TICKS, ROWS);
    run_ok(&o);
    char **names;
    int hidden;
    int n = list_dir(dir, &names, &hidden);
    assert_int_equal(n, PIDS * TICKS);
    assert_int_equal(hidden, 0);
    free_names(names, n);
    int walking_ticks = 0;
    for (int pi = 0; pi < PIDS; pi++) {
        double sum_y = 0;
        int64_t prev = INT64_MIN;
        for (int tick = 0; tick < TICKS; tick++) {
            char path[512];
            snprintf(path, sizeof path, "%s/accel_%s_%06d.csv", dir, gen_accel_pids[pi], tick);
            size_t len;
            char *buf = read_all(path, &len);
            assert_int_equal(strncmp(buf, "pid,time,x,y,z\n", 15), 0);
            assert_true(buf[len - 1] == '\n');
            int rows = 0;
            double ty = 0, ty2 = 0;
            char *save = NULL;
            for (char *line = strtok_r(buf + 15, "\n", &save); line;
                 line = strtok_r(NULL, "\n", &save)) {
                char *f[6];
                assert_int_equal(split_csv(line, f, 6), 5);
                assert_string_equal(f[0], gen_accel_pids[pi]);
                /* yyyy-MM-dd HH:mm:ss.SSS */
                assert_int_equal(strlen(f[1]), 23);
                assert_int_equal(f[1][19], '.');
                int64_t us;
                assert_int_equal(ts_parse(f[1], strlen(f[1]), &us), 0);
                assert_int_equal(us % 1000, 0);
                int64_t nominal = START_US + ((int64_t)tick * ROWS + rows) * GEN_ACCEL_STEP_US;
                assert_true(us >= nominal && us < nominal + 5000);
                assert_true(us > prev);
                prev = us;
                double v[3];
                for (int k = 0; k < 3; k++) {
                    char *end;
                    v[k] = strtod(f[2 + k], &end);
                    assert_true(*end == '\0' && end > f[2 + k]);
                    const char *dot = strchr(f[2 + k], '.');
                    assert_non_null(dot);
                    assert_int_equal(strlen(dot), 5);
                    assert_true(fabs(v[k]) < 2);
                }
                assert_true(v[1] < -0.4 && v[1] > -1.6);
                assert_true(fabs(v[0]) < 0.5 && fabs(v[2]) < 0.6);
                double mag = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
                assert_true(mag > 0.4 && mag < 1.7);
                ty += v[1];
                ty2 += v[1] * v[1];
                rows++;
            }
            assert_int_equal(rows, ROWS);
            double mean = ty / ROWS, sd = sqrt(ty2 / ROWS - mean * mean);
            /* standing: noise only (0.02 g); walking: a step bounce of 0.15-0.35 g */
            assert_true(sd > 0.01);
            walking_ticks += sd > 0.08;
            sum_y += ty;
            free(buf);
        }
        /* gravity: y averages about -1 g */
        double mean_y = sum_y / (TICKS * ROWS);
        assert_true(mean_y > -1.05 && mean_y < -0.95);
    }
    /* 70% of ticks are walking */
    assert_in_range(walking_ticks, PIDS * TICKS / 2, PIDS * TICKS * 9 / 10);
    remove_tmpdir(dir);
}

/* Reads every row's time (column `col`, parsed with ts_parse) of the files
 * named by fmt for ticks 0..ticks-1 and streams 0..nstreams-1, in the order
 * the generator wrote them (tick, then stream). Returns the row count;
 * *late gets the rows earlier than the largest time before them. */
static int times_in_write_order(const char *dir, int ticks, int nstreams,
                                void (*name)(char *, size_t, int, int), int col,
                                int64_t *min_out, int *late)
{
    int rows = 0;
    int64_t max = INT64_MIN, min = INT64_MAX;
    *late = 0;
    for (int tick = 0; tick < ticks; tick++)
        for (int s = 0; s < nstreams; s++) {
            char file[128], path[512];
            name(file, sizeof file, tick, s);
            snprintf(path, sizeof path, "%s/%s", dir, file);
            size_t len;
            char *buf = read_all(path, &len);
            char *save = NULL;
            strtok_r(buf, "\n", &save); /* header */
            for (char *line = strtok_r(NULL, "\n", &save); line;
                 line = strtok_r(NULL, "\n", &save)) {
                char *f[8];
                assert_true(split_csv(line, f, 8) > col);
                int64_t us;
                assert_int_equal(ts_parse(f[col], strlen(f[col]), &us), 0);
                if (rows > 0 && us < max)
                    (*late)++;
                if (us > max)
                    max = us;
                if (us < min)
                    min = us;
                rows++;
            }
            free(buf);
        }
    *min_out = min;
    return rows;
}

static void accel_name(char *buf, size_t n, int tick, int s)
{
    snprintf(buf, n, "accel_%s_%06d.csv", gen_accel_pids[s], tick);
}

static void test_accel_late_rows(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir(), *dir2 = make_tmpdir();
    gen_options o;
    accel_opts(&o, dir, 9, 1, 4, 1000);
    run_ok(&o);
    int64_t min;
    int late;
    int rows = times_in_write_order(dir, 4, 1, accel_name, 1, &min, &late);
    assert_int_equal(rows, 4000);
    assert_int_equal(late, 0);
    assert_true(min >= START_US);

    accel_opts(&o, dir2, 9, 1, 4, 1000);
    o.late_fraction = 0.1;
    o.max_lateness_us = 30000000;
    run_ok(&o);
    rows = times_in_write_order(dir2, 4, 1, accel_name, 1, &min, &late);
    assert_int_equal(rows, 4000);
    /* 10% moved back by up to 30 s; almost all of them (those moved by more
     * than the 25 ms to the previous sample) land before an earlier row */
    assert_in_range(late, 330, 470);
    assert_true(min >= START_US - 30000000);
    assert_true(min < START_US);
    remove_tmpdir(dir);
    remove_tmpdir(dir2);
}

/* ---- stocks ---- */

static void test_stocks_tick_size(void **state)
{
    (void)state;
    static const int64_t cases[][2] = {
        {1, 1},        {1999, 1},      {2000, 5},       {4999, 5},     {5000, 10},
        {19999, 10},   {20000, 50},    {49999, 50},     {50000, 100},  {199999, 100},
        {200000, 500}, {499999, 500},  {500000, 1000},  {2000000, 1000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(gen_stocks_tick_size(cases[i][0]), cases[i][1]);
    for (int si = 0; si < GEN_NSTOCKS; si++) {
        const gen_stock *s = &gen_stocks[si];
        assert_int_equal(strlen(s->symbol), 6);
        assert_true(s->name && *s->name);
        assert_int_equal(s->first_close % gen_stocks_tick_size(s->first_close), 0);
        assert_true(s->daily_volume > 0);
        for (int sj = 0; sj < si; sj++)
            assert_string_not_equal(s->symbol, gen_stocks[sj].symbol);
    }
    assert_string_equal(gen_stocks[0].symbol, "005930");
    assert_string_equal(gen_stocks[1].symbol, "000660");
}

/* 2024-11-09 11:30:00 UTC, a Saturday */
#define SATURDAY_US (START_US + 4LL * 86400000000LL - 3LL * 3600000000LL + 1800000000LL)

static void stocks_opts(gen_options *o, const char *dir, uint64_t seed, int ticks)
{
    gen_options_default(o, "stocks");
    assert_int_equal(o->interval_us, 1000000);
    o->out_dir = dir;
    o->seed = seed;
    o->ticks = ticks;
    o->interval_us = 0;
    o->start_time_us = SATURDAY_US;
    o->quiet = 1;
}

/* The date of tick t: weekdays from Monday 2024-11-11. */
static void stocks_date(int tick, char *buf)
{
    int32_t day = (int32_t)((SATURDAY_US / 86400000000LL) + 2 + tick / 5 * 7 + tick % 5);
    date_format(day, buf);
}

static void stocks_name(char *buf, size_t n, int tick, int s)
{
    (void)s;
    char date[16];
    stocks_date(tick, date);
    snprintf(buf, n, "stocks_%06d_%s.csv", tick, date);
}

typedef struct bar {
    char date[16];
    int64_t v[5]; /* open, high, low, close, volume */
} bar;

/* Reads tick `tick`'s file into bars[GEN_NSTOCKS], checking layout. */
static void read_stock_file(const char *dir, int tick, bar *bars)
{
    char file[128], path[512];
    stocks_name(file, sizeof file, tick, 0);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t len;
    char *buf = read_all(path, &len);
    memset(bars, 0, GEN_NSTOCKS * sizeof *bars); /* compared with memcmp */
    assert_int_equal(strncmp(buf, "date,symbol,open,high,low,close,volume\n", 39), 0);
    char *save = NULL;
    int si = 0;
    for (char *line = strtok_r(buf + 39, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_true(si < GEN_NSTOCKS);
        char *f[8];
        assert_int_equal(split_csv(line, f, 8), 7);
        assert_int_equal(strlen(f[0]), 10);
        int32_t d;
        assert_int_equal(date_parse(f[0], 10, &d), 0);
        strcpy(bars[si].date, f[0]);
        assert_string_equal(f[1], gen_stocks[si].symbol);
        for (int k = 0; k < 5; k++) {
            char *end;
            bars[si].v[k] = strtoll(f[2 + k], &end, 10);
            assert_true(*end == '\0' && end > f[2 + k]);
        }
        si++;
    }
    assert_int_equal(si, GEN_NSTOCKS);
    free(buf);
}

static void test_stocks_csv(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir(), *dir2 = make_tmpdir(), *dir3 = make_tmpdir();
    enum { TICKS = 60 };
    gen_options o;
    stocks_opts(&o, dir, 42, TICKS);
    run_ok(&o);
    stocks_opts(&o, dir2, 42, TICKS);
    run_ok(&o);
    stocks_opts(&o, dir3, 43, 1);
    run_ok(&o);
    char **names;
    int hidden;
    int n = list_dir(dir, &names, &hidden);
    assert_int_equal(n, TICKS);
    assert_int_equal(hidden, 0);
    free_names(names, n);

    bar prev[GEN_NSTOCKS], cur[GEN_NSTOCKS], other[GEN_NSTOCKS];
    int up = 0, down = 0;
    for (int tick = 0; tick < TICKS; tick++) {
        char date[16];
        stocks_date(tick, date);
        read_stock_file(dir, tick, cur);
        read_stock_file(dir2, tick, other);
        if (tick == 0) {
            /* the first weekday on or after the Saturday start */
            assert_string_equal(date, "2024-11-11");
            bar third[GEN_NSTOCKS];
            read_stock_file(dir3, 0, third);
            assert_true(memcmp(third, cur, sizeof cur) != 0);
        }
        assert_memory_equal(cur, other, sizeof cur);
        for (int si = 0; si < GEN_NSTOCKS; si++) {
            const int64_t *v = cur[si].v;
            int64_t open = v[0], high = v[1], low = v[2], close = v[3], volume = v[4];
            assert_string_equal(cur[si].date, date);
            assert_true(low >= 1);
            assert_true(low <= open && low <= close);
            assert_true(high >= open && high >= close);
            assert_true(volume > 0);
            for (int k = 0; k < 4; k++)
                assert_int_equal(v[k] % gen_stocks_tick_size(v[k]), 0);
            int64_t pc = tick ? prev[si].v[3] : gen_stocks[si].first_close;
            /* the KRX limit: within 30% of the previous close */
            assert_true(high <= pc * 13 / 10 + 1 && low * 10 >= pc * 7 - 10);
            /* overnight gaps are small */
            assert_true(fabs((double)open / (double)pc - 1) < 0.05);
            up += close > open;
            down += close < open;
        }
        memcpy(prev, cur, sizeof cur);
    }
    assert_true(up > TICKS * GEN_NSTOCKS / 4 && down > TICKS * GEN_NSTOCKS / 4);
    remove_tmpdir(dir);
    remove_tmpdir(dir2);
    remove_tmpdir(dir3);
}

/* Late rows move dates back by up to --max-lateness; prices stay as they
 * were without late rows. */
static void test_stocks_late_rows(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir(), *dir2 = make_tmpdir();
    enum { TICKS = 100 };
    gen_options o;
    stocks_opts(&o, dir, 5, TICKS);
    run_ok(&o);
    stocks_opts(&o, dir2, 5, TICKS);
    o.late_fraction = 0.3;
    o.max_lateness_us = 3LL * 86400000000LL;
    run_ok(&o);
    int64_t min;
    int late;
    int rows = times_in_write_order(dir, TICKS, 1, stocks_name, 0, &min, &late);
    assert_int_equal(rows, TICKS * GEN_NSTOCKS);
    assert_int_equal(late, 0);
    rows = times_in_write_order(dir2, TICKS, 1, stocks_name, 0, &min, &late);
    assert_int_equal(rows, TICKS * GEN_NSTOCKS);
    /* A moved row is at least a day before its file's date, so behind an
     * earlier row unless it is its file's first row (or follows moved rows
     * only) or a Monday's row moved onto the weekend. */
    assert_in_range(late, 200, 350);
    int moved = 0;
    for (int tick = 0; tick < TICKS; tick++) {
        bar a[GEN_NSTOCKS], b[GEN_NSTOCKS];
        read_stock_file(dir, tick, a);
        read_stock_file(dir2, tick, b);
        for (int si = 0; si < GEN_NSTOCKS; si++) {
            assert_memory_equal(a[si].v, b[si].v, sizeof a[si].v);
            int32_t da, db;
            assert_int_equal(date_parse(a[si].date, 10, &da), 0);
            assert_int_equal(date_parse(b[si].date, 10, &db), 0);
            assert_in_range(da - db, 0, 3);
            moved += da != db;
        }
    }
    assert_in_range(moved, 250, 350);
    assert_in_range(moved - late, 0, moved / 5);
    remove_tmpdir(dir);
    remove_tmpdir(dir2);
}

/* votes honour --late-fraction too: about 20% * (1 - 2 s / 30 s) of the
 * rows fall before the tick's first second. */
static void test_votes_late_rows(void **state)
{
    (void)state;
    stop_reset();
    char *dir = make_tmpdir();
    gen_options o;
    votes_opts(&o, dir, 4, 0.0001, 1);
    o.interval_us = 5000000;
    o.late_fraction = 0.2;
    o.max_lateness_us = 30000000;
    run_ok(&o);
    int rows = 0, late = 0;
    for (int s = 0; s < GEN_NSTATES; s++) {
        char path[512];
        snprintf(path, sizeof path, "%s/votes_000000_%s.json", dir, gen_states[s].code);
        size_t len;
        char *buf = read_all(path, &len);
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            const char *ts = strstr(line, "\"timestamp\": \"");
            assert_non_null(ts);
            ts += 14;
            int64_t us;
            assert_int_equal(ts_parse(ts, 19, &us), 0);
            assert_true(us >= START_US - 30000000 && us < START_US + 5000000);
            late += us < START_US;
            rows++;
        }
        free(buf);
    }
    assert_true(rows > 25000);
    assert_in_range(late * 1000 / rows, 160, 215);
    remove_tmpdir(dir);
}

static void test_errors(void **state)
{
    (void)state;
    stop_reset();
    eddy_error err = {0};
    gen_options o;
    gen_options_default(&o, "bonds");
    o.out_dir = "/tmp";
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    assert_non_null(strstr(err.message, "bonds"));

    gen_options_default(&o, NULL);
    assert_string_equal(o.kind, "votes");
    assert_int_equal(o.seed, 42);
    assert_int_equal(o.interval_us, 5000000);
    assert_true(o.sample == 0.005);
    o.out_dir = "/dev/null/sub";
    o.quiet = 1;
    o.ticks = 1;
    assert_int_equal(gen_run(&o, &err), -EDDY_IO);
    assert_non_null(strstr(err.message, "/dev/null/sub"));

    char *dir = make_tmpdir();
    o.out_dir = dir;
    o.sample = 0;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    o.sample = 0.005;
    o.late_fraction = 0.5;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);

    gen_options_default(&o, "accel");
    o.out_dir = dir;
    o.quiet = 1;
    o.ticks = 1;
    o.pids = 0;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    assert_non_null(strstr(err.message, "pids"));
    o.pids = GEN_ACCEL_NPIDS + 1;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    o.pids = 3;
    o.rows = 0;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    o.rows = 10;
    o.ticks = -1;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    gen_options_default(&o, "stocks");
    o.out_dir = dir;
    o.ticks = -1;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    o.ticks = 1;
    o.late_fraction = 1.5;
    o.max_lateness_us = 1000000;
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    /* nothing was written by the refused runs */
    char **names;
    int hidden;
    int n = list_dir(dir, &names, &hidden);
    assert_int_equal(n, 0);
    assert_int_equal(hidden, 0);
    free_names(names, n);
    remove_tmpdir(dir);
}

static void test_stop_requested(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    gen_options o;
    votes_opts(&o, dir, 1, 0.00001, 0);
    o.interval_us = 60000000;
    stop_request();
    run_ok(&o);
    stop_reset();
    char **names;
    int hidden;
    int n = list_dir(dir, &names, &hidden);
    assert_int_equal(n, 0);
    assert_int_equal(hidden, 0);
    free_names(names, n);
    remove_tmpdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_known_answer),
        cmocka_unit_test(test_format_second),
        cmocka_unit_test(test_votes_deterministic),
        cmocka_unit_test(test_first_rows_known),
        cmocka_unit_test(test_votes_files_per_tick),
        cmocka_unit_test(test_votes_average_rows),
        cmocka_unit_test(test_votes_json_lines),
        cmocka_unit_test(test_events_csv),
        cmocka_unit_test(test_events_late_rows),
        cmocka_unit_test(test_votes_late_rows),
        cmocka_unit_test(test_lateness),
        cmocka_unit_test(test_accel_deterministic),
        cmocka_unit_test(test_accel_csv),
        cmocka_unit_test(test_accel_late_rows),
        cmocka_unit_test(test_stocks_tick_size),
        cmocka_unit_test(test_stocks_csv),
        cmocka_unit_test(test_stocks_late_rows),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stop_requested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
