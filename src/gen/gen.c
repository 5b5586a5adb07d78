/* Generator options and dispatch, plus what every generator shares: the
 * deterministic random number generator, atomic file writing and fast
 * timestamp formatting. */
#include "gen/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsio.h"
#include "core/mem.h"
#include "core/strutil.h"
#include "core/timefmt.h"

void gen_options_default(gen_options *o, const char *kind)
{
    memset(o, 0, sizeof *o);
    o->kind = kind ? kind : "votes";
    o->seed = 42;
    o->sample = 0.005;
    o->files = 10;
    o->rows = 10;
    o->pids = 3;
    o->interval_us = 5000000;
    if (str_ieq(o->kind, "events")) {
        o->interval_us = 3000000;
    } else if (str_ieq(o->kind, "accel")) {
        o->rows = 200;
    } else if (str_ieq(o->kind, "stocks")) {
        o->interval_us = 1000000;
    }
}

int gen_run(const gen_options *o, eddy_error *err)
{
    const char *kind = o->kind ? o->kind : "votes";
    if (o->kafka_bootstrap) {
        if (!str_ieq(kind, "votes"))
            return err_set(err, EDDY_USAGE, "gen %s: Kafka output exists for votes only", kind);
        if (o->out_dir)
            return err_set(err, EDDY_USAGE, "gen: give either an output directory or Kafka "
                                            "bootstrap servers, not both");
        if (!*o->kafka_bootstrap)
            return err_set(err, EDDY_USAGE, "gen: empty Kafka bootstrap server list");
    } else if (!o->out_dir || !*o->out_dir) {
        return err_set(err, EDDY_USAGE, "gen: an output directory is required");
    }
    if (o->interval_us < 0)
        return err_set(err, EDDY_USAGE, "gen: the interval must not be negative");
    if (o->late_fraction < 0 || o->late_fraction > 1)
        return err_set(err, EDDY_USAGE, "gen: late fraction must be between 0 and 1");
    if (o->late_fraction > 0 && o->max_lateness_us <= 0)
        return err_set(err, EDDY_USAGE, "gen: a late fraction needs a positive max lateness");
    if (str_ieq(kind, "votes"))
        return gen_votes_run(o, err);
    if (str_ieq(kind, "events"))
        return gen_events_run(o, err);
    if (str_ieq(kind, "accel"))
        return gen_accel_run(o, err);
    if (str_ieq(kind, "stocks"))
        return gen_stocks_run(o, err);
    return err_set(err, EDDY_USAGE, "gen: unknown kind '%s'", kind);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void gen_rng_seed(gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t mixed = splitmix64(&x) ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&mixed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t gen_rng_below(gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double gen_rng_unit(gen_rng *r)
{
    return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

double gen_rng_normal(gen_rng *r)
{
    double u1 = 1.0 - gen_rng_unit(r); /* (0, 1]: log is finite */
    double u2 = gen_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int64_t gen_lateness(gen_rng *r, const gen_options *o)
{
    if (!(o->late_fraction > 0) || gen_rng_unit(r) >= o->late_fraction)
        return 0;
    return 1 + (int64_t)(gen_rng_unit(r) * (double)o->max_lateness_us);
}

int gen_mkdirs(const char *dir, eddy_error *err)
{
    char *failed = NULL;
    if (fsio_mkdirs(dir, &failed) == 0)
        return 0;
    int rc = err_set(err, EDDY_IO, "gen: cannot create directory '%s': %s", failed,
                     strerror(errno));
    free(failed);
    return rc;
}

void gen_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}

int gen_file_open(gen_file *f, const char *dir, const char *name, eddy_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if ((size_t)snprintf(f->path, sizeof f->path, "%s/%s", dir, name) >= sizeof f->path ||
        (size_t)snprintf(f->tmp_path, sizeof f->tmp_path, "%s/.%s.tmp", dir, name) >=
            sizeof f->tmp_path)
        return err_set(err, EDDY_IO, "gen: path too long: %s/%s", dir, name);
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return err_set(err, EDDY_IO, "gen: cannot create '%s': %s", f->tmp_path,
                       strerror(errno));
    f->buf = xmalloc(GEN_FILE_BUF);
    return 0;
}

static void file_flush(gen_file *f)
{
    size_t off = 0;
    while (off < f->len && !f->failed) {
        ssize_t w = write(f->fd, f->buf + off, f->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            f->failed = 1;
            f->errno_saved = errno;
            break;
        }
        off += (size_t)w;
    }
    f->len = 0;
}

char *gen_file_reserve(gen_file *f, size_t n)
{
    if (f->len + n > GEN_FILE_BUF)
        file_flush(f);
    return f->buf + f->len;
}

void gen_file_write(gen_file *f, const void *p, size_t n)
{
    while (n > 0) {
        size_t room = GEN_FILE_BUF - f->len;
        if (room == 0) {
            file_flush(f);
            room = GEN_FILE_BUF;
        }
        size_t k = n < room ? n : room;
        memcpy(f->buf + f->len, p, k);
        f->len += k;
        p = (const char *)p + k;
        n -= k;
    }
}

void gen_file_abort(gen_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp_path);
        f->fd = -1;
    }
    free(f->buf);
    f->buf = NULL;
}

int gen_file_commit(gen_file *f, eddy_error *err)
{
    file_flush(f);
    if (!f->failed && fsync(f->fd) != 0) {
        f->failed = 1;
        f->errno_saved = errno;
    }
    if (f->failed) {
        int e = f->errno_saved;
        gen_file_abort(f);
        return err_set(err, EDDY_IO, "gen: cannot write '%s': %s", f->tmp_path, strerror(e));
    }
    int rc = close(f->fd);
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
    if (rc != 0 || rename(f->tmp_path, f->path) != 0) {
        int e = errno;
        unlink(f->tmp_path);
        return err_set(err, EDDY_IO, "gen: cannot write '%s': %s", f->path, strerror(e));
    }
    return 0;
}

static inline void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void gen_format_second(int64_t us, char sep, char *buf, int64_t *day_cache,
                       char *date_cache)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t day = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - day * 86400;
    if (day != *day_cache) {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%04d-%02u-%02u", (int)y, m, d);
        memcpy(date_cache, tmp, 10);
        *day_cache = day;
    }
    memcpy(buf, date_cache, 10);
    buf[10] = sep;
    put2(buf + 11, (unsigned)(sod / 3600));
    buf[13] = ':';
    put2(buf + 14, (unsigned)(sod / 60 % 60));
    buf[16] = ':';
    put2(buf + 17, (unsigned)(sod % 60));
}
