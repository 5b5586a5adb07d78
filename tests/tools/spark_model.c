/*
 * spark_model: a small, row-at-a-time reference model of Spark Structured
 * Streaming's event-time semantics (SPEC §3), used by
 * tests/e2e/test_event_time_model.sh to check eddy batch by batch.
 *
 * It shares no code with eddy on purpose: every rule is written out here the
 * plain way (linear scans, one row at a time), so that a reader can check it
 * against the SPEC in one sitting.  Speed does not matter: a case has at most
 * a few hundred rows.
 *
 *   spark_model gen SEED [VARIANT]
 *       Print a random case (a "spec", format below) for SEED to stdout.
 *       VARIANT 0..12 picks query and output mode (see variant_names);
 *       without it the variant is SEED mod 13.
 *   spark_model run SPEC DIR [--drops pairs|groups]
 *       Read SPEC and write into DIR: in/fNN.csv (one file per micro-batch,
 *       header "ts,k,v"), pipeline.sql, expected.txt (the console output in
 *       canonical form) and expected_progress.txt.  --drops groups counts
 *       numRowsDroppedByWatermark the way Spark really does (see
 *       count_drop); the default counts every dropped (row, window) pair.
 *
 * Spec format, one item per line; "#" lines and blank lines are ignored, and
 * reading stops at a line "expect" (hand-written cases keep their expected
 * output after it):
 *   query window SIZE SLIDE START   durations in whole seconds
 *   query session GAP
 *   query dedup
 *   mode append|update|complete
 *   delay D                         watermark delay, whole seconds
 *   file                            starts the next input file (= batch)
 *   TS,K,V                          a CSV data row, copied verbatim into the
 *                                   file; TS is "yyyy-MM-dd HH:mm:ss[.fff]"
 *                                   (UTC) or empty for NULL, V may be empty
 *
 * Canonical output (expected.txt): for every batch a line "Batch N", a line
 * "cols NAME|NAME|...", then one line per output row, fields separated by
 * "|", timestamps as Spark prints them, NULL as NULL; rows sorted bytewise.
 * expected_progress.txt: per batch "BATCHID WATERMARK DROPPED TOTAL", i.e.
 * batchId, eventTime.watermark, stateOperators[0].numRowsDroppedByWatermark
 * and stateOperators[0].numRowsTotal.
 *
 * The rules (all times in µs unless named _ms):
 *   - Watermark W (ms).  Batch 0 runs with W = 0; after batch b, if the batch
 *     saw a non-NULL ts, W = max(W, floor(max_ts / 1000) - delay_ms); batch
 *     b + 1 runs with that W.  Comparisons use W * 1000 µs.
 *   - NULL ts: ignored by the watermark, dropped by window() and
 *     session_window() (not counted as late); in DISTINCT it is an ordinary
 *     value: (k, NULL) is emitted once, is never late, never evicted.
 *   - window(ts, size, slide, start): windows [s, s + size), s = start +
 *     n * slide, containing ts (Spark's TimeWindowing, see assign_windows).
 *   - Late data, append and update only: a (row, window) pair whose window
 *     end <= W is dropped; a session row when ts + gap <= W; a DISTINCT row
 *     when ts <= W.  Complete mode never drops and never evicts.
 *   - After a batch's rows: complete emits every group; update emits the
 *     groups the batch changed, then evicts end <= W; append emits and
 *     evicts end <= W.  numRowsTotal = state rows after eviction.
 *   - Sessions per key: a row starts [ts, ts + gap); sessions sorted by start
 *     merge when next.start <= current.end, end = max (Spark's
 *     MergingSessionsIterator), across batches too.
 *   - DISTINCT: state = the (k, ts) pairs seen; a row is emitted the first
 *     time its pair is seen; pairs with ts <= W are evicted after the batch.
 *   - Data batches run one per file, back to back.  Then one no-data batch
 *     runs if the new W is greater than the one the last batch ran with, the
 *     mode is append or update, and some state row would be emitted or
 *     evicted by it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef long long i64;

#define US_PER_SEC 1000000LL
#define MAX_FILES 64
#define KEY_MAX 32

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "spark_model: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory", NULL);
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* Floor division and non-negative modulo (C's / and % truncate). */
static i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
static i64 pos_mod(i64 a, i64 b) { return a - floor_div(a, b) * b; }

/* ---------------------------------------------------------------- time -- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static i64 days_from_civil(i64 y, int m, int d)
{
    y -= m <= 2;
    i64 era = floor_div(y, 400);
    i64 yoe = y - era * 400;
    i64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(i64 z, i64 *y, int *m, int *d)
{
    z += 719468;
    i64 era = floor_div(z, 146097);
    i64 doe = z - era * 146097;
    i64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    i64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    i64 mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, int n, i64 *out)
{
    i64 v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parses "yyyy-MM-dd HH:mm:ss" with an optional ".f" of 1-6 digits, UTC.
 * Returns 0 and the time in µs since the epoch in *out, -1 if malformed. */
static int parse_ts(const char *s, i64 *out)
{
    i64 y, mo, d, h, mi, se, frac = 0;
    size_t n = strlen(s);
    if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -1;
    if (n > 19) {
        int nf = (int)n - 20;
        if (s[19] != '.' || nf < 1 || nf > 6 || digits(s + 20, nf, &frac))
            return -1;
        for (int i = nf; i < 6; i++)
            frac *= 10;
    }
    i64 days = days_from_civil(y, (int)mo, (int)d);
    *out = ((days * 24 + h) * 60 + mi) * 60 * US_PER_SEC + se * US_PER_SEC + frac;
    return 0;
}

/* Splits µs since the epoch into date, time of day and µs fraction. */
static void split_ts(i64 us, i64 *y, int *mo, int *d, int *h, int *mi, int *s, i64 *frac)
{
    i64 secs = floor_div(us, US_PER_SEC);
    *frac = us - secs * US_PER_SEC;
    i64 days = floor_div(secs, 86400), sod = secs - days * 86400;
    civil_from_days(days, y, mo, d);
    *h = (int)(sod / 3600);
    *mi = (int)(sod / 60 % 60);
    *s = (int)(sod % 60);
}

/* A timestamp as Spark's console prints it: "yyyy-MM-dd HH:mm:ss", then the
 * fraction with trailing zeros trimmed, only when non-zero (".5", ".123"). */
static void fmt_console_ts(i64 us, char *buf, size_t cap)
{
    i64 y, frac;
    int mo, d, h, mi, s;
    split_ts(us, &y, &mo, &d, &h, &mi, &s, &frac);
    int n = snprintf(buf, cap, "%04lld-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06lld", frac);
        for (int i = 5; i > 0 && f[i] == '0'; i--)
            f[i] = '\0';
        snprintf(buf + n, cap - (size_t)n, ".%s", f);
    }
}

/* A watermark (ms) as progress reports print it: "yyyy-MM-ddTHH:mm:ss.SSSZ". */
static void fmt_progress_ts(i64 ms, char *buf, size_t cap)
{
    i64 y, frac;
    int mo, d, h, mi, s;
    split_ts(ms * 1000, &y, &mo, &d, &h, &mi, &s, &frac);
    snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02d.%03lldZ", y, mo, d, h, mi, s, frac / 1000);
}

/* ---------------------------------------------------------------- spec -- */

enum query_kind { Q_WINDOW, Q_SESSION, Q_DEDUP };
enum output_mode { M_APPEND, M_UPDATE, M_COMPLETE };
static const char *mode_names[] = {"append", "update", "complete"};

typedef struct {
    char *line;     /* the CSV line as written to the file */
    int has_ts, has_v;
    i64 ts;         /* µs */
    i64 v;
    char k[KEY_MAX];
} Row;

typedef struct {
    Row *rows;
    int n, cap;
} InputFile;

typedef struct {
    enum query_kind kind;
    enum output_mode mode;
    i64 size, slide, start, gap; /* seconds */
    i64 delay;                   /* seconds */
    InputFile files[MAX_FILES];
    int nfiles;
} Spec;

/* Splits a CSV line "TS,K,V" (no quoting) into a Row. */
static void parse_row(const char *line, Row *r)
{
    char buf[256];
    if (strlen(line) >= sizeof buf)
        die("row too long", line);
    strcpy(buf, line);
    char *c1 = strchr(buf, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
    if (!c2)
        die("a row needs three fields", line);
    *c1 = *c2 = '\0';
    memset(r, 0, sizeof *r);
    r->line = xstrdup(line);
    if (buf[0]) {
        if (parse_ts(buf, &r->ts))
            die("bad timestamp in row", line);
        r->has_ts = 1;
    }
    if (strlen(c1 + 1) >= KEY_MAX || !c1[1])
        die("key empty or too long", line);
    strcpy(r->k, c1 + 1);
    if (c2[1]) {
        char *end;
        r->v = strtoll(c2 + 1, &end, 10);
        if (*end)
            die("bad value in row", line);
        r->has_v = 1;
    }
}

static void read_spec(const char *path, Spec *sp)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open", path);
    memset(sp, 0, sizeof *sp);
    sp->kind = -1;
    sp->mode = -1;
    sp->delay = -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (!strcmp(line, "expect"))
            break;
        char w1[32], w2[32];
        long long a, b, c;
        if (!strcmp(line, "file")) {
            if (sp->nfiles == MAX_FILES)
                die("too many files", path);
            sp->nfiles++;
        } else if (sscanf(line, "query window %lld %lld %lld", &a, &b, &c) == 3) {
            sp->kind = Q_WINDOW, sp->size = a, sp->slide = b, sp->start = c;
            if (a <= 0 || b <= 0 || b > a || llabs(c) >= b)
                die("need 0 < slide <= size and |start| < slide", line);
        } else if (sscanf(line, "query session %lld", &a) == 1) {
            sp->kind = Q_SESSION, sp->gap = a;
            if (a <= 0)
                die("need gap > 0", line);
        } else if (!strcmp(line, "query dedup")) {
            sp->kind = Q_DEDUP;
        } else if (sscanf(line, "mode %31s", w1) == 1 && strchr(line, ',') == NULL) {
            for (int i = 0; i < 3; i++)
                if (!strcmp(w1, mode_names[i]))
                    sp->mode = i;
            if ((int)sp->mode < 0)
                die("unknown mode", w1);
        } else if (sscanf(line, "delay %lld%31s", &a, w2) == 1) {
            sp->delay = a;
        } else if (strchr(line, ',')) {
            if (sp->nfiles == 0)
                die("a row before the first 'file' line", line);
            InputFile *in = &sp->files[sp->nfiles - 1];
            if (in->n == in->cap) {
                in->cap = in->cap ? 2 * in->cap : 16;
                in->rows = xrealloc(in->rows, (size_t)in->cap * sizeof *in->rows);
            }
            parse_row(line, &in->rows[in->n++]);
        } else {
            die("cannot read spec line", line);
        }
    }
    fclose(f);
    if ((int)sp->kind < 0 || (int)sp->mode < 0 || sp->delay < 0 || sp->nfiles == 0)
        die("spec needs query, mode, delay and at least one file", path);
    if (sp->kind == Q_DEDUP && sp->mode != M_APPEND)
        die("DISTINCT is modelled in append mode only", path);
}

/* --------------------------------------------------------------- model -- */

/* One state row.  Windows: [start, end) and k.  Sessions: the same, for a
 * session.  DISTINCT: start = ts (has_ts = 0 for NULL), end unused. */
typedef struct {
    i64 start, end;
    int has_ts;
    char k[KEY_MAX];
    i64 count, sum, mn, mx;
    int nv;      /* rows with a non-NULL v */
    int updated; /* changed by the current batch */
} Group;

typedef struct {
    const Spec *sp;
    int drops_groups; /* --drops groups */
    Group *g;
    int ng, cap;
    i64 wm_ms;        /* watermark the next batch runs with */
    int batch;        /* id of the next batch */
    FILE *out, *prog;
    /* Per batch: distinct late keys, for --drops groups. */
    struct { i64 a; char k[KEY_MAX]; } *late;
    int nlate, late_cap;
    i64 dropped;
} Model;

static Group *group_add(Model *m)
{
    if (m->ng == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->g = xrealloc(m->g, (size_t)m->cap * sizeof *m->g);
    }
    Group *g = &m->g[m->ng++];
    memset(g, 0, sizeof *g);
    return g;
}

static void group_remove(Model *m, int i) { m->g[i] = m->g[--m->ng]; }

/* Adds one row's v to an aggregate. */
static void group_add_value(Group *g, const Row *r)
{
    g->count++;
    if (r->has_v) {
        if (g->nv == 0 || r->v < g->mn)
            g->mn = r->v;
        if (g->nv == 0 || r->v > g->mx)
            g->mx = r->v;
        g->sum += r->v;
        g->nv++;
    }
    g->updated = 1;
}

/* Counts one late (row, window) pair, or, with --drops groups, one late row
 * of the stateful operator's input the way Spark counts: its input is
 * partially aggregated per batch, so a windowed aggregation counts distinct
 * late (window, k), a session aggregation distinct late (k, ts), and
 * DISTINCT every late row.  key_a is the window start or the ts. */
static void count_drop(Model *m, i64 key_a, const char *k)
{
    if (m->drops_groups && m->sp->kind != Q_DEDUP) {
        for (int i = 0; i < m->nlate; i++)
            if (m->late[i].a == key_a && !strcmp(m->late[i].k, k))
                return;
        if (m->nlate == m->late_cap) {
            m->late_cap = m->late_cap ? 2 * m->late_cap : 16;
            m->late = xrealloc(m->late, (size_t)m->late_cap * sizeof *m->late);
        }
        m->late[m->nlate].a = key_a;
        strcpy(m->late[m->nlate].k, k);
        m->nlate++;
    }
    m->dropped++;
}

/* The windows of an event at ts, as Spark's TimeWindowing computes them:
 * last_start = ts - ((ts - start) mod slide), then the candidates
 * last_start - i * slide for i < ceil(size / slide), kept when they contain
 * ts.  Writes the window starts to starts[], returns their number. */
static int assign_windows(const Spec *sp, i64 ts, i64 *starts, int cap)
{
    i64 size = sp->size * US_PER_SEC, slide = sp->slide * US_PER_SEC;
    i64 start = sp->start * US_PER_SEC;
    i64 last_start = ts - pos_mod(ts - start, slide);
    i64 ncand = (size + slide - 1) / slide;
    int n = 0;
    for (i64 i = 0; i < ncand; i++) {
        i64 s = last_start - i * slide;
        if (s <= ts && ts < s + size) {
            if (n == cap)
                die("too many windows per row", NULL);
            starts[n++] = s;
        }
    }
    return n;
}

static void add_window_row(Model *m, const Row *r, i64 wm_us)
{
    i64 starts[256];
    int n = assign_windows(m->sp, r->ts, starts, 256);
    for (int w = 0; w < n; w++) {
        i64 s = starts[w], e = s + m->sp->size * US_PER_SEC;
        if (m->sp->mode != M_COMPLETE && e <= wm_us) {
            count_drop(m, s, r->k);
            continue;
        }
        Group *g = NULL;
        for (int i = 0; i < m->ng && !g; i++)
            if (m->g[i].start == s && !strcmp(m->g[i].k, r->k))
                g = &m->g[i];
        if (!g) {
            g = group_add(m);
            g->start = s, g->end = e;
            strcpy(g->k, r->k);
        }
        group_add_value(g, r);
    }
}

/* Adds a row as the session [ts, ts + gap), then merges the sessions of its
 * key until none touch: two sessions merge when the later one starts at or
 * before the earlier one's end. */
static void add_session_row(Model *m, const Row *r, i64 wm_us)
{
    i64 gap = m->sp->gap * US_PER_SEC;
    if (m->sp->mode != M_COMPLETE && r->ts + gap <= wm_us) {
        count_drop(m, r->ts, r->k);
        return;
    }
    Group *g = group_add(m);
    g->start = r->ts, g->end = r->ts + gap;
    strcpy(g->k, r->k);
    group_add_value(g, r);
    for (int merged = 1; merged;) {
        merged = 0;
        for (int i = 0; i < m->ng && !merged; i++)
            for (int j = 0; j < m->ng && !merged; j++) {
                Group *a = &m->g[i], *b = &m->g[j];
                if (i == j || strcmp(a->k, b->k) || a->start > b->start)
                    continue;
                if (b->start <= a->end) { /* a starts first and b touches it */
                    if (b->end > a->end)
                        a->end = b->end;
                    a->count += b->count;
                    a->sum += b->sum;
                    if (b->nv && (!a->nv || b->mn < a->mn))
                        a->mn = b->mn;
                    if (b->nv && (!a->nv || b->mx > a->mx))
                        a->mx = b->mx;
                    a->nv += b->nv;
                    a->updated |= b->updated;
                    group_remove(m, j);
                    merged = 1;
                }
            }
    }
}

/* Appends a formatted output row to a growing array of strings. */
static void push_row(char ***rows, int *n, const char *s)
{
    *rows = xrealloc(*rows, (size_t)(*n + 1) * sizeof **rows);
    (*rows)[(*n)++] = xstrdup(s);
}

/* One output row in canonical form: the query's columns joined by "|". */
static void format_group(const Model *m, const Group *g, char *buf, size_t cap)
{
    char a[40], b[40], mn[24], mx[24], sum[24];
    if (m->sp->kind == Q_DEDUP) {
        if (g->has_ts)
            fmt_console_ts(g->start, a, sizeof a);
        else
            strcpy(a, "NULL");
        snprintf(buf, cap, "%s|%s", g->k, a);
        return;
    }
    fmt_console_ts(g->start, a, sizeof a);
    fmt_console_ts(g->end, b, sizeof b);
    if (g->nv) {
        snprintf(sum, sizeof sum, "%lld", g->sum);
        snprintf(mn, sizeof mn, "%lld", g->mn);
        snprintf(mx, sizeof mx, "%lld", g->mx);
    } else {
        strcpy(sum, "NULL"), strcpy(mn, "NULL"), strcpy(mx, "NULL");
    }
    if (m->sp->kind == Q_WINDOW)
        snprintf(buf, cap, "%s|%s|%s|%lld|%s|%s|%s", a, b, g->k, g->count, sum, mn, mx);
    else
        snprintf(buf, cap, "%s|%s|%s|%lld|%s", a, b, g->k, g->count, sum);
}

/* DISTINCT k, ts: drops a late row, emits a (k, ts) pair seen for the first
 * time (appending it to *rows) and remembers it in the state. */
static void add_dedup_row(Model *m, const Row *r, i64 wm_us, char ***rows, int *nrows)
{
    if (r->has_ts && r->ts <= wm_us) {
        count_drop(m, r->ts, r->k);
        return;
    }
    for (int i = 0; i < m->ng; i++) {
        const Group *g = &m->g[i];
        if (!strcmp(g->k, r->k) && g->has_ts == r->has_ts && (!r->has_ts || g->start == r->ts))
            return; /* seen before: a duplicate */
    }
    Group *g = group_add(m);
    g->has_ts = r->has_ts;
    g->start = r->has_ts ? r->ts : 0;
    strcpy(g->k, r->k);
    char buf[128];
    format_group(m, g, buf, sizeof buf);
    push_row(rows, nrows, buf);
}

/* Whether a state row is expired by watermark wm_us: a window or session
 * whose end is <= it, a DISTINCT pair whose (non-NULL) ts is <= it. */
static int expired(const Model *m, const Group *g, i64 wm_us)
{
    if (m->sp->kind == Q_DEDUP)
        return g->has_ts && g->start <= wm_us;
    return g->end <= wm_us;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *column_names(const Spec *sp)
{
    switch (sp->kind) {
    case Q_WINDOW: return "ws|we|k|c|s|mn|mx";
    case Q_SESSION: return "ss|se|k|c|s";
    default: return "k|ts";
    }
}

/* Runs one micro-batch over `in` (NULL for a no-data batch) with watermark
 * m->wm_ms, writes its canonical output and progress line, then computes
 * the watermark of the next batch. */
static void run_batch(Model *m, const InputFile *in)
{
    const Spec *sp = m->sp;
    i64 wm_us = m->wm_ms * 1000;
    char **rows = NULL;
    int nrows = 0;
    char buf[256];
    int seen_ts = 0;
    i64 max_ts = 0;

    m->dropped = 0;
    m->nlate = 0;
    for (int i = 0; i < m->ng; i++)
        m->g[i].updated = 0;

    for (int i = 0; in && i < in->n; i++) {
        const Row *r = &in->rows[i];
        if (r->has_ts && (!seen_ts || r->ts > max_ts))
            max_ts = r->ts, seen_ts = 1;
        if (sp->kind == Q_DEDUP)
            add_dedup_row(m, r, wm_us, &rows, &nrows);
        else if (!r->has_ts)
            continue; /* window() and session_window() drop NULL times */
        else if (sp->kind == Q_WINDOW)
            add_window_row(m, r, wm_us);
        else
            add_session_row(m, r, wm_us);
    }

    /* Emit, then evict. */
    for (int i = 0; sp->kind != Q_DEDUP && i < m->ng; i++) {
        const Group *g = &m->g[i];
        int emit = sp->mode == M_COMPLETE || (sp->mode == M_UPDATE && g->updated) ||
                   (sp->mode == M_APPEND && expired(m, g, wm_us));
        if (emit) {
            format_group(m, g, buf, sizeof buf);
            push_row(&rows, &nrows, buf);
        }
    }
    if (sp->mode != M_COMPLETE)
        for (int i = m->ng - 1; i >= 0; i--)
            if (expired(m, &m->g[i], wm_us))
                group_remove(m, i);

    if (nrows > 1)
        qsort(rows, (size_t)nrows, sizeof *rows, cmp_str);
    fprintf(m->out, "Batch %d\ncols %s\n", m->batch, column_names(sp));
    for (int i = 0; i < nrows; i++) {
        fprintf(m->out, "%s\n", rows[i]);
        free(rows[i]);
    }
    free(rows);

    fmt_progress_ts(m->wm_ms, buf, sizeof buf);
    i64 dropped = m->drops_groups && sp->kind != Q_DEDUP ? m->nlate : m->dropped;
    fprintf(m->prog, "%d %s %lld %d\n", m->batch, buf, dropped, m->ng);

    if (seen_ts) {
        i64 cand = floor_div(max_ts, 1000) - sp->delay * 1000;
        if (cand > m->wm_ms)
            m->wm_ms = cand;
    }
    m->batch++;
}

static void write_pipeline(const Spec *sp, const char *dir)
{
    char path[4096], sel[512], grp[256];
    snprintf(path, sizeof path, "%s/pipeline.sql", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write", path);
#define SECS(n) (long long)(n), ((n) == 1 || (n) == -1 ? "second" : "seconds")
    fprintf(f, "CREATE SOURCE s (ts TIMESTAMP, k STRING, v BIGINT, "
               "WATERMARK FOR ts AS ts - INTERVAL %lld %s)\n"
               "  WITH (format = 'csv', path = 'in', header = true, maxFilesPerTrigger = 1);\n",
            (long long)sp->delay, sp->delay == 1 ? "SECOND" : "SECONDS");
    switch (sp->kind) {
    case Q_WINDOW:
        if (sp->slide == sp->size && sp->start == 0)
            snprintf(grp, sizeof grp, "window(ts, '%lld %s')", SECS(sp->size));
        else if (sp->start == 0)
            snprintf(grp, sizeof grp, "window(ts, '%lld %s', '%lld %s')", SECS(sp->size),
                     SECS(sp->slide));
        else
            snprintf(grp, sizeof grp, "window(ts, '%lld %s', '%lld %s', '%lld %s')",
                     SECS(sp->size), SECS(sp->slide), SECS(sp->start));
        snprintf(sel, sizeof sel,
                 "SELECT window.start AS ws, window.end AS we, k, count(*) AS c, sum(v) AS s, "
                 "min(v) AS mn, max(v) AS mx FROM s GROUP BY %s, k", grp);
        break;
    case Q_SESSION:
        snprintf(sel, sizeof sel,
                 "SELECT session_window.start AS ss, session_window.end AS se, k, count(*) AS c, "
                 "sum(v) AS s FROM s GROUP BY session_window(ts, '%lld %s'), k", SECS(sp->gap));
        break;
    case Q_DEDUP:
        snprintf(sel, sizeof sel, "SELECT DISTINCT k, ts FROM s");
        break;
    }
#undef SECS
    fprintf(f, "CREATE SINK out WITH (format = 'console', outputMode = '%s', truncate = false, "
               "numRows = 1000)\n  AS %s;\n", mode_names[sp->mode], sel);
    fclose(f);
}

/* mkdir that accepts an existing directory; parents must exist except for
 * DIR itself (run creates DIR and DIR/in).  Returns 0 or -1. */
static int mkdir_p(const char *path)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        mkdir(parent, 0777);
    }
    struct stat st;
    return mkdir(path, 0777) == 0 || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) ? 0 : -1;
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write", path);
    return f;
}

static int cmd_run(const char *spec_path, const char *dir, int drops_groups)
{
    static Spec sp; /* large: keep it off the stack */
    read_spec(spec_path, &sp);

    char path[4096];
    snprintf(path, sizeof path, "%s/in", dir);
    if (mkdir_p(path))
        die("cannot create", path);
    for (int i = 0; i < sp.nfiles; i++) {
        char name[64];
        snprintf(name, sizeof name, "in/f%02d.csv", i + 1);
        FILE *f = open_in(dir, name);
        fputs("ts,k,v\n", f);
        for (int j = 0; j < sp.files[i].n; j++)
            fprintf(f, "%s\n", sp.files[i].rows[j].line);
        fclose(f);
    }
    write_pipeline(&sp, dir);

    Model m = {.sp = &sp, .drops_groups = drops_groups};
    m.out = open_in(dir, "expected.txt");
    m.prog = open_in(dir, "expected_progress.txt");
    i64 last_wm = 0;
    for (int i = 0; i < sp.nfiles; i++) {
        last_wm = m.wm_ms;
        run_batch(&m, &sp.files[i]);
    }
    /* The no-data batch: only if the watermark moved and it changes state. */
    if (sp.mode != M_COMPLETE && m.wm_ms > last_wm) {
        int any = 0;
        for (int i = 0; i < m.ng && !any; i++)
            any = expired(&m, &m.g[i], m.wm_ms * 1000);
        if (any)
            run_batch(&m, NULL);
    }
    fclose(m.out);
    fclose(m.prog);
    free(m.g);
    free(m.late);
    return 0;
}

/* ----------------------------------------------------------- generator -- */

/* splitmix64: a tiny PRNG whose sequence is the same on every platform. */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/* Uniform in [lo, hi]. */
static i64 rnd(i64 lo, i64 hi) { return lo + (i64)(rng_next() % (uint64_t)(hi - lo + 1)); }
static int chance(int percent) { return rnd(0, 99) < percent; }

#define NVARIANTS 13
static const char *variant_names[NVARIANTS] = {
    "tumbling/append", "tumbling/update", "tumbling/complete",
    "sliding/append",  "sliding/update",  "sliding/complete",
    "offset/append",   "offset/update",   "offset/complete",
    "session/append",  "session/update",  "session/complete",
    "dedup/append",
};

/* Writes a timestamp (ms) as a CSV field: whole seconds, or with ".SSS". */
static void fmt_csv_ts(i64 ms, char *buf, size_t cap)
{
    i64 y, frac;
    int mo, d, h, mi, s;
    split_ts(ms * 1000, &y, &mo, &d, &h, &mi, &s, &frac);
    int n = snprintf(buf, cap, "%04lld-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
    if (frac)
        snprintf(buf + n, cap - (size_t)n, ".%03lld", frac / 1000);
}

/* A random millisecond part: often a "round" one that prints short. */
static i64 random_millis(void)
{
    static const i64 round_ms[] = {500, 250, 125, 100, 10, 1, 750, 900};
    return chance(50) ? round_ms[rnd(0, 7)] : rnd(1, 999);
}

/* Prints a random case for `seed` and `variant` (a spec, see the top). */
static int cmd_gen(uint64_t seed, int variant)
{
    rng_state = seed * 0x2545F4914F6CDD1DULL + 12345;
    int family = variant / 3;
    enum output_mode mode = variant == 12 ? M_APPEND : (enum output_mode)(variant % 3);
    printf("# generated by spark_model gen %llu %d (%s)\n", (unsigned long long)seed, variant,
           variant_names[variant]);
    i64 span = 10; /* rough size of the query's time unit, seconds */
    if (family == 0) {
        i64 size = rnd(2, 15);
        printf("query window %lld %lld 0\n", size, size);
        span = size;
    } else if (family == 1) {
        i64 slide = rnd(1, 6), size = slide * rnd(1, 4) + rnd(1, slide); /* > slide */
        if (size > 10 * slide)
            size = 10 * slide;
        printf("query window %lld %lld 0\n", size, slide);
        span = size;
    } else if (family == 2) {
        i64 slide = rnd(2, 10), size = chance(50) ? slide : slide + rnd(1, 2 * slide);
        i64 start = rnd(1, slide - 1) * (chance(50) ? -1 : 1);
        printf("query window %lld %lld %lld\n", size, slide, start);
        span = size;
    } else if (family == 3) {
        span = rnd(1, 8);
        printf("query session %lld\n", span);
    } else {
        printf("query dedup\n");
    }
    printf("mode %s\n", mode_names[mode]);
    printf("delay %lld\n", chance(15) ? 0LL : rnd(1, 12));

    static const char *keys[] = {"a", "b", "c", "d"};
    int nkeys = (int)rnd(1, 4);
    int millis = chance(35);
    int nfiles = (int)rnd(3, 8);
    i64 cursor = 1704067200000LL + rnd(0, 59) * 1000; /* 2024-01-01 00:00:xx UTC */
    /* Earlier (k, ts) pairs, so DISTINCT cases see duplicates. */
    struct { int k; int has_ts; i64 ts; } seen[512];
    int nseen = 0;
    for (int f = 0; f < nfiles; f++) {
        printf("file\n");
        cursor += chance(20) ? rnd(span, 3 * span + 10) * 1000 : rnd(0, 6) * 1000;
        int nrows = chance(12) ? 0 : (int)rnd(0, 30);
        for (int r = 0; r < nrows; r++) {
            int k = (int)rnd(0, nkeys - 1), has_ts = 1;
            i64 ts = 0;
            int p = (int)rnd(0, 99);
            if (family == 4 && nseen > 0 && chance(30)) { /* a duplicate */
                int j = (int)rnd(0, nseen - 1);
                k = seen[j].k, has_ts = seen[j].has_ts, ts = seen[j].ts;
            } else {
                if (p < 5)
                    has_ts = 0;
                else if (p < 15) /* very late */
                    ts = cursor - rnd(8, 40) * 1000;
                else             /* out of order around the cursor */
                    ts = cursor + rnd(-5, 2) * 1000;
                ts -= pos_mod(ts, 1000); /* whole seconds, then maybe millis */
                if (has_ts && millis && chance(family == 4 ? 20 : 50))
                    ts += random_millis();
            }
            if (chance(30))
                cursor += rnd(0, 800);
            char tsbuf[40] = "", vbuf[24] = "";
            if (has_ts)
                fmt_csv_ts(ts, tsbuf, sizeof tsbuf);
            if (!chance(3))
                snprintf(vbuf, sizeof vbuf, "%lld", rnd(-3, 20));
            printf("%s,%s,%s\n", tsbuf, keys[k], vbuf);
            if (nseen < 512)
                seen[nseen].k = k, seen[nseen].has_ts = has_ts, seen[nseen].ts = ts, nseen++;
        }
    }
    return 0;
}

static void usage(void)
{
    fputs("usage: spark_model gen SEED [VARIANT]\n"
          "       spark_model run SPEC DIR [--drops pairs|groups]\n"
          "       spark_model variants\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "gen")) {
        uint64_t seed = strtoull(argv[2], NULL, 10);
        int variant = argc >= 4 ? atoi(argv[3]) : (int)(seed % NVARIANTS);
        if (variant < 0 || variant >= NVARIANTS)
            usage();
        return cmd_gen(seed, variant);
    }
    if (argc >= 4 && !strcmp(argv[1], "run")) {
        int drops_groups = 0;
        if (argc == 6 && !strcmp(argv[4], "--drops"))
            drops_groups = !strcmp(argv[5], "groups");
        else if (argc != 4)
            usage();
        return cmd_run(argv[2], argv[3], drops_groups);
    }
    if (argc == 2 && !strcmp(argv[1], "variants")) {
        for (int i = 0; i < NVARIANTS; i++)
            printf("%d %s\n", i, variant_names[i]);
        return 0;
    }
    usage();
}
