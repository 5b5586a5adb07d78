/* Unit tests for the generators: determinism, file layout, row counts, value
 * domains and atomic writes. */
#include <dirent.h>
#include <ftw.h>
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

static void test_errors(void **state)
{
    (void)state;
    stop_reset();
    eddy_error err = {0};
    gen_options o;
    gen_options_default(&o, "stocks");
    o.out_dir = "/tmp";
    assert_int_equal(gen_run(&o, &err), -EDDY_USAGE);
    assert_non_null(strstr(err.message, "stocks"));

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
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stop_requested),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
