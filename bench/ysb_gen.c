/* Data generators for two benchmarks of bench/run, deterministic for a seed:
 *
 *   ysb      Yahoo Streaming Benchmark ad events as JSON lines, plus the
 *            static campaigns table (CSV, ad_id,campaign_id) they join with.
 *   groupby  a two-column CSV (key,value) with many distinct keys, for the
 *            high-cardinality count-per-key benchmark.
 *
 * Usage (see usage() below):
 *   ysb_gen ysb --out bench/data/ysb [--events 3000000] [--files 4]
 *               [--rate 5000] [--campaigns 100] [--ads 10] [--seed 1]
 *               [--start '2024-01-01 00:00:00']
 *   ysb_gen groupby --out bench/data/groupby [--rows 10000000]
 *               [--keys 1000000] [--seed 1]
 *
 * Same arguments, same bytes, on every machine: the random numbers come from
 * xoshiro256** seeded through splitmix64 and nothing reads the clock. Every
 * file is written to ".NAME.tmp" in its directory and renamed into place, so
 * a reader never sees a partial file. Self-contained on purpose: it uses no
 * internal eddy header, so changes inside the library cannot change the data.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- random numbers ----------------------------------------------------- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Independent streams of one seed: (seed, stream) -> state. */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n), n >= 1 (multiply-shift on the high 32 bits). */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* A version-4 UUID, 36 characters, lower-case hex, written to out (+ NUL). */
static void rng_uuid(rng *r, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = rng_next(r), lo = rng_next(r);
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                     /* version 4 */
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62);               /* variant 10 */
    uint8_t b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(hi >> (56 - 8 * i));
        b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = 0;
}

/* ---- civil time (UTC) ----------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "yyyy-MM-dd HH:mm:ss" (UTC, years 1000..9999) to milliseconds since the
 * epoch. Returns 0, or -1 when s is not exactly that form. */
static int parse_start(const char *s, int64_t *ms)
{
    unsigned y, mo, d, h, mi, sec;
    char tail;
    if (strlen(s) != 19 ||
        sscanf(s, "%4u-%2u-%2u %2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &sec, &tail) != 6)
        return -1;
    if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return -1;
    *ms = ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + sec) * 1000;
    return 0;
}

/* Writes "yyyy-MM-dd HH:mm:ss.SSS" (23 bytes, no NUL) for ms >= 0. The date
 * part of the last day seen is cached in *day / date[10]. */
static void format_ms(int64_t ms, char *p, int64_t *day, char *date)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (days != *day) {
        int64_t y;
        unsigned m, d;
        civil_from_days(days, &y, &m, &d);
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%04" PRId64 "-%02u-%02u", y, m, d);
        memcpy(date, tmp, 10);
        *day = days;
    }
    memcpy(p, date, 10);
    unsigned sod = (unsigned)(rem / 1000), frac = (unsigned)(rem % 1000);
    unsigned h = sod / 3600, mi = sod / 60 % 60, s = sod % 60;
    p[10] = ' ';
    p[11] = (char)('0' + h / 10), p[12] = (char)('0' + h % 10), p[13] = ':';
    p[14] = (char)('0' + mi / 10), p[15] = (char)('0' + mi % 10), p[16] = ':';
    p[17] = (char)('0' + s / 10), p[18] = (char)('0' + s % 10), p[19] = '.';
    p[20] = (char)('0' + frac / 100), p[21] = (char)('0' + frac / 10 % 10);
    p[22] = (char)('0' + frac % 10);
}

/* ---- files ------------------------------------------------------------------ */

typedef struct out_file {
    FILE *f;
    char tmp[4096];
    char path[4096];
} out_file;

/* Prints "ysb_gen: " and the message on stderr, then exits 1. */
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ysb_gen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void mkdirs(const char *dir)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        die("path too long: %s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                die("cannot create directory %s: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
}

static void out_open(out_file *o, const char *dir, const char *name)
{
    snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
    snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp", dir, name);
    o->f = fopen(o->tmp, "w");
    if (!o->f)
        die("cannot create %s: %s", o->tmp, strerror(errno));
    setvbuf(o->f, NULL, _IOFBF, 1 << 20);
}

static void out_commit(out_file *o)
{
    if (ferror(o->f) || fclose(o->f) != 0) {
        remove(o->tmp);
        die("cannot write %s: %s", o->tmp, strerror(errno));
    }
    if (rename(o->tmp, o->path) != 0)
        die("cannot rename %s: %s", o->tmp, strerror(errno));
}

/* ---- arguments ---------------------------------------------------------------- */

static void usage(FILE *to)
{
    fputs("usage: ysb_gen ysb --out DIR [--events N] [--files F] [--rate R]\n"
          "                   [--campaigns C] [--ads A] [--seed S] [--start 'yyyy-MM-dd HH:mm:ss']\n"
          "         writes DIR/events/ysb_events_NNN.json (JSON lines) and DIR/campaigns.csv\n"
          "         defaults: 3000000 events in 4 files at 5000 events/s of event time,\n"
          "         100 campaigns x 10 ads, seed 1, start 2024-01-01 00:00:00 (UTC)\n"
          "       ysb_gen groupby --out DIR [--rows N] [--keys K] [--seed S]\n"
          "         writes DIR/rows.csv: header key,value; N rows, keys drawn uniformly\n"
          "         from K (defaults 10000000 rows, 1000000 keys, seed 1)\n",
          to);
}

static long long arg_num(const char *name, const char *v, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "ysb_gen: %s: expected an integer in [%lld, %lld], got '%s'\n", name, lo,
                hi, v);
        exit(2);
    }
    return x;
}

/* ---- ysb -------------------------------------------------------------------- */

static const char *const ad_types[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
static const char *const event_types[] = {"view", "click", "purchase"};

#define POOL 100 /* distinct user ids and page ids, as in YSB's generator */

/* Events: ad_id uniform over all campaigns' ads, event_type and ad_type
 * uniform, user/page ids from pools of 100 UUIDs, event_time at exactly
 * `rate` events per second of event time from `start_ms`, in order. The last
 * event of every file is a view, so the latest event time of a file is also
 * its latest view's (the watermark is then the same whether the filter on
 * event_type runs before or after it, as Spark's optimizer may push it). */
static void gen_ysb(const char *out, long long events, int files, long long rate, int campaigns,
                    int ads_per, uint64_t seed, int64_t start_ms)
{
    int nads = campaigns * ads_per;
    char (*ads)[37] = malloc((size_t)nads * 37);
    char (*camps)[37] = malloc((size_t)campaigns * 37);
    char users[POOL][37], pages[POOL][37];
    if (!ads || !camps)
        die("out of memory");
    rng r;
    rng_seed(&r, seed, 1);
    for (int i = 0; i < campaigns; i++)
        rng_uuid(&r, camps[i]);
    for (int i = 0; i < nads; i++)
        rng_uuid(&r, ads[i]);
    for (int i = 0; i < POOL; i++)
        rng_uuid(&r, users[i]);
    for (int i = 0; i < POOL; i++)
        rng_uuid(&r, pages[i]);

    mkdirs(out);
    out_file cf;
    out_open(&cf, out, "campaigns.csv");
    fputs("ad_id,campaign_id\n", cf.f);
    for (int i = 0; i < nads; i++)
        fprintf(cf.f, "%s,%s\n", ads[i], camps[i / ads_per]);
    out_commit(&cf);

    char dir[4096];
    snprintf(dir, sizeof dir, "%s/events", out);
    mkdirs(dir);
    int64_t day = INT64_MIN;
    char date[10];
    long long done = 0;
    for (int fi = 0; fi < files; fi++) {
        long long n = events / files + (fi < events % files);
        char name[64];
        snprintf(name, sizeof name, "ysb_events_%03d.json", fi);
        out_file of;
        out_open(&of, dir, name);
        rng er;
        rng_seed(&er, seed, 100 + (uint64_t)fi);
        for (long long k = 0; k < n; k++, done++) {
            int64_t ms = start_ms + (int64_t)(done * 1000 / rate);
            char ts[24];
            format_ms(ms, ts, &day, date);
            ts[23] = 0;
            uint32_t u = rng_below(&er, POOL), p = rng_below(&er, POOL);
            uint32_t a = rng_below(&er, (uint32_t)nads);
            uint32_t at = rng_below(&er, 5), et = rng_below(&er, 3);
            if (k == n - 1)
                et = 0;
            fprintf(of.f,
                    "{\"user_id\": \"%s\", \"page_id\": \"%s\", \"ad_id\": \"%s\", "
                    "\"ad_type\": \"%s\", \"event_type\": \"%s\", \"event_time\": \"%s\", "
                    "\"ip_address\": \"1.2.3.4\"}\n",
                    users[u], pages[p], ads[a], ad_types[at], event_types[et], ts);
        }
        out_commit(&of);
    }
    free(ads);
    free(camps);
    fprintf(stderr, "ysb_gen: %lld events in %d files under %s, %d campaigns x %d ads\n", events,
            files, dir, campaigns, ads_per);
}

/* ---- groupby ---------------------------------------------------------------- */

/* Keys are 16 hex digits: a bijective mix of the key index, so they neither
 * sort nor hash in index order. Values are uniform in [0, 1000). */
static void gen_groupby(const char *out, long long rows, long long keys, uint64_t seed)
{
    mkdirs(out);
    out_file of;
    out_open(&of, out, "rows.csv");
    fputs("key,value\n", of.f);
    rng r;
    rng_seed(&r, seed, 2);
    static const char hex[] = "0123456789abcdef";
    char line[40];
    for (long long i = 0; i < rows; i++) {
        uint64_t k = rng_below(&r, (uint32_t)keys);
        uint64_t x = k * 0x9e3779b97f4a7c15ULL + seed; /* odd multiplier: bijective */
        x ^= x >> 31;
        x *= 0xbf58476d1ce4e5b9ULL; /* odd: bijective */
        x ^= x >> 29;
        for (int j = 15; j >= 0; j--, x >>= 4)
            line[j] = hex[x & 15];
        line[16] = ',';
        int n = 17 + snprintf(line + 17, sizeof line - 17, "%u\n", rng_below(&r, 1000));
        fwrite(line, 1, (size_t)n, of.f);
    }
    out_commit(&of);
    fprintf(stderr, "ysb_gen: %lld rows over up to %lld keys in %s/rows.csv\n", rows, keys, out);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *kind = argv[1], *out = NULL, *start = "2024-01-01 00:00:00";
    long long events = 3000000, files = 4, rate = 5000, campaigns = 100, ads = 10, seed = 1;
    long long rows = 10000000, keys = 1000000;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "ysb_gen: option '%s' needs a value (or is unknown)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--start"))
            start = v;
        else if (!strcmp(a, "--events"))
            events = arg_num(a, v, 1, 1LL << 40);
        else if (!strcmp(a, "--files"))
            files = arg_num(a, v, 1, 1000);
        else if (!strcmp(a, "--rate"))
            rate = arg_num(a, v, 1, 1000000000);
        else if (!strcmp(a, "--campaigns"))
            campaigns = arg_num(a, v, 1, 100000);
        else if (!strcmp(a, "--ads"))
            ads = arg_num(a, v, 1, 1000);
        else if (!strcmp(a, "--seed"))
            seed = arg_num(a, v, 0, INT64_MAX);
        else if (!strcmp(a, "--rows"))
            rows = arg_num(a, v, 0, 1LL << 40);
        else if (!strcmp(a, "--keys"))
            keys = arg_num(a, v, 1, UINT32_MAX);
        else {
            fprintf(stderr, "ysb_gen: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "ysb_gen: --out DIR is required\n");
        return 2;
    }
    if (!strcmp(kind, "ysb")) {
        int64_t start_ms;
        if (parse_start(start, &start_ms) != 0) {
            fprintf(stderr, "ysb_gen: --start: expected 'yyyy-MM-dd HH:mm:ss', got '%s'\n", start);
            return 2;
        }
        if (files > events)
            files = events;
        gen_ysb(out, events, (int)files, rate, (int)campaigns, (int)ads, (uint64_t)seed,
                start_ms);
    } else if (!strcmp(kind, "groupby")) {
        gen_groupby(out, rows, keys, (uint64_t)seed);
    } else {
        fprintf(stderr, "ysb_gen: unknown kind '%s' (ysb or groupby)\n", kind);
        usage(stderr);
        return 2;
    }
    return 0;
}
