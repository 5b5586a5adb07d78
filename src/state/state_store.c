/* The versioned state store: <N>.delta and <N>.snapshot files of one
 * operator, committed after each batch, restored after a crash, purged
 * once no restorable version needs them (see state_store.h). */
#include "state/state_store.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsio.h"
#include "core/mem.h"
#include "exec/session_agg.h"
#include "state/ckpt_file.h"

#define TAG_DELTA 'D'
#define TAG_SNAPSHOT 'S'
#define PREFIX_BYTES 9 /* tag, u64 version */
/* A commit buffer grown past this by a snapshot is freed afterwards, so the
 * store does not hold a second copy of a large state between snapshots. */
#define KEEP_BUF_BYTES (1u << 20)

/* States smaller than this follow the interval alone: restoring them is
 * cheap whatever the chain. */
#define SIZE_RULE_MIN_BYTES (1u << 20)

struct state_store {
    char *dir;
    state_ops ops;
    int interval;
    int64_t version;       /* last restored or committed version; -1: empty */
    int64_t last_snapshot; /* latest snapshot at or below `version`; -1: none */
    int64_t max_on_disk;   /* highest version that may have a file; -1: none */
    uint64_t snapshot_bytes; /* size of the snapshot at last_snapshot (0: none) */
    uint64_t delta_bytes;  /* bytes of the deltas after it */
    agg_buf buf;           /* the payload of a commit, reused */
};

/* The versions found in the directory, each list ascending. */
typedef struct listing {
    int64_t *snaps;
    size_t nsnaps;
    int64_t *deltas;
    size_t ndeltas;
    int64_t max; /* -1 when empty */
} listing;

/* ---- names ---------------------------------------------------------------- */

/* Parses "<N>.delta" / "<N>.snapshot" with N canonical decimal (no sign, no
 * leading zero, no overflow). False for any other name. */
static bool parse_name(const char *name, int64_t *version, bool *snapshot)
{
    const char *p = name;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return false;
    int64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (strcmp(p, ".delta") == 0)
        *snapshot = false;
    else if (strcmp(p, ".snapshot") == 0)
        *snapshot = true;
    else
        return false;
    *version = v;
    return true;
}

static bool is_tmp_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 5 && strcmp(name + n - 4, ".tmp") == 0;
}

/* dir/<version>.<kind> into buf (PATH_MAX). -EDDY_IO when too long. */
static int file_path(const state_store *s, int64_t version, bool snapshot, char *buf,
                     eddy_error *err)
{
    int n = snprintf(buf, PATH_MAX, "%s/%lld.%s", s->dir, (long long)version,
                     snapshot ? "snapshot" : "delta");
    if (n < 0 || n >= PATH_MAX)
        return err_set(err, EDDY_IO, "state store path too long: '%s'", s->dir);
    return 0;
}

/* mkdir -p; 0 or -EDDY_IO naming the directory. */
static int make_dirs(const char *dir, eddy_error *err)
{
    char *failed = NULL;
    if (fsio_mkdirs(dir, &failed) == 0)
        return 0;
    int rc = err_set(err, EDDY_IO, "cannot create state store directory '%s': %s", failed,
                     strerror(errno));
    free(failed);
    return rc;
}

/* ---- listing -------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void push_i64(int64_t **list, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *list = xrealloc(*list, *cap * sizeof(int64_t));
    }
    (*list)[(*n)++] = v;
}

static void listing_free(listing *l)
{
    free(l->snaps);
    free(l->deltas);
}

static int list_dir(const state_store *s, listing *l, eddy_error *err)
{
    memset(l, 0, sizeof *l);
    l->max = -1;
    DIR *d = opendir(s->dir);
    if (!d)
        return err_set(err, EDDY_IO, "cannot list state store directory '%s': %s", s->dir,
                       strerror(errno));
    size_t scap = 0, dcap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t v;
        bool snap;
        if (!parse_name(e->d_name, &v, &snap))
            continue;
        if (snap)
            push_i64(&l->snaps, &l->nsnaps, &scap, v);
        else
            push_i64(&l->deltas, &l->ndeltas, &dcap, v);
        if (v > l->max)
            l->max = v;
    }
    closedir(d);
    if (l->nsnaps)
        qsort(l->snaps, l->nsnaps, sizeof(int64_t), cmp_i64);
    if (l->ndeltas)
        qsort(l->deltas, l->ndeltas, sizeof(int64_t), cmp_i64);
    return 0;
}

/* The latest snapshot at or below version, -1 when none. */
static int64_t latest_snapshot(const listing *l, int64_t version)
{
    int64_t best = -1;
    for (size_t i = 0; i < l->nsnaps && l->snaps[i] <= version; i++)
        best = l->snaps[i];
    return best;
}

static bool has_delta(const listing *l, int64_t version)
{
    return l->ndeltas &&
           bsearch(&version, l->deltas, l->ndeltas, sizeof(int64_t), cmp_i64) != NULL;
}

/* ---- open / close --------------------------------------------------------- */

int state_store_open(const char *dir, const state_ops *ops, int snapshot_interval,
                     state_store **out, eddy_error *err)
{
    *out = NULL;
    if (!dir || !*dir)
        return err_set(err, EDDY_USAGE, "state store: empty directory name");
    int rc = make_dirs(dir, err);
    if (rc)
        return rc;
    state_store *s = xcalloc(1, sizeof *s);
    s->dir = xstrdup(dir);
    size_t n = strlen(s->dir);
    while (n > 1 && s->dir[n - 1] == '/')
        s->dir[--n] = 0;
    s->ops = *ops;
    s->interval = snapshot_interval < 1 ? 1 : snapshot_interval;
    s->version = -1;
    s->last_snapshot = -1;
    listing l;
    rc = list_dir(s, &l, err);
    if (rc) {
        state_store_close(s);
        return rc;
    }
    s->max_on_disk = l.max;
    listing_free(&l);
    *out = s;
    return 0;
}

void state_store_close(state_store *s)
{
    if (!s)
        return;
    agg_buf_free(&s->buf);
    free(s->dir);
    free(s);
}

/* ---- restore -------------------------------------------------------------- */

/* Reads one file of the chain and hands its bytes to the operator. */
static int load_file(state_store *s, int64_t version, bool snapshot, eddy_error *err)
{
    char path[PATH_MAX];
    int rc = file_path(s, version, snapshot, path, err);
    if (rc)
        return rc;
    uint8_t *data;
    size_t len;
    rc = ckpt_read(path, CKPT_STATE, &data, &len, err);
    if (rc)
        return rc;
    uint8_t want = snapshot ? TAG_SNAPSHOT : TAG_DELTA;
    if (len < PREFIX_BYTES || data[0] != want) {
        free(data);
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s' (state version %lld): not a state %s",
                       path, (long long)version, snapshot ? "snapshot" : "delta");
    }
    uint64_t v = 0;
    for (int i = 8; i >= 1; i--)
        v = v << 8 | data[i];
    if (v != (uint64_t)version) {
        free(data);
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': holds state version %llu, not %lld", path,
                       (unsigned long long)v, (long long)version);
    }
    rc = snapshot ? s->ops.load_snapshot(s->ops.op, data + PREFIX_BYTES, len - PREFIX_BYTES, err)
                  : s->ops.apply_delta(s->ops.op, data + PREFIX_BYTES, len - PREFIX_BYTES, err);
    free(data);
    if (snapshot) {
        s->snapshot_bytes = len;
        s->delta_bytes = 0;
    } else {
        s->delta_bytes += len;
    }
    if (rc)
        err_prefix(err, "corrupt checkpoint file '%s' (state version %lld)", path,
                   (long long)version);
    return rc;
}

int state_store_restore(state_store *s, int64_t version, eddy_error *err)
{
    s->version = version < 0 ? -1 : version;
    s->last_snapshot = -1;
    s->snapshot_bytes = s->delta_bytes = 0;
    if (version < 0)
        return 0;
    listing l;
    int rc = list_dir(s, &l, err);
    if (rc)
        return rc;
    if (l.max > s->max_on_disk)
        s->max_on_disk = l.max;
    int64_t snap = latest_snapshot(&l, version);
    if (snap >= 0)
        rc = load_file(s, snap, true, err);
    for (int64_t k = snap + 1; rc == 0 && k <= version; k++) {
        if (!has_delta(&l, k)) {
            if (snap >= 0)
                rc = err_set(err, EDDY_CORRUPT,
                             "state version %lld of '%s' is missing (no %lld.delta; version "
                             "%lld is restored from %lld.snapshot and every delta after it)",
                             (long long)k, s->dir, (long long)k, (long long)version,
                             (long long)snap);
            else
                rc = err_set(err, EDDY_CORRUPT,
                             "state version %lld of '%s' is missing (no %lld.delta, and no "
                             "snapshot at or below version %lld to start from)",
                             (long long)k, s->dir, (long long)k, (long long)version);
            break;
        }
        rc = load_file(s, k, false, err);
        if (k == INT64_MAX)
            break;
    }
    listing_free(&l);
    if (rc == 0)
        s->last_snapshot = snap;
    return rc;
}

/* ---- commit --------------------------------------------------------------- */

/* Removes path if it exists. 0, or -EDDY_IO. */
static int remove_file(const char *path, eddy_error *err)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return err_set(err, EDDY_IO, "cannot remove state file '%s': %s", path, strerror(errno));
    return 0;
}

int state_store_commit(state_store *s, int64_t version, eddy_error *err)
{
    if (version < 0)
        return err_set(err, EDDY_USAGE, "state store '%s': cannot commit version %lld", s->dir,
                       (long long)version);
    bool follows = version <= s->version + 1;
    /* A snapshot every `interval` versions, or, for a large state, sooner
     * once the deltas since the last one outweigh it: restoring then reads
     * at most about twice the state's size (the deltas of batches that
     * update much of the state add up fast). */
    bool snapshot = !follows || s->last_snapshot >= version ||
                    version - s->last_snapshot >= s->interval ||
                    (s->snapshot_bytes >= SIZE_RULE_MIN_BYTES &&
                     s->delta_bytes >= s->snapshot_bytes);
    char path[PATH_MAX], other[PATH_MAX];
    int rc = file_path(s, version, snapshot, path, err);
    if (rc == 0)
        rc = file_path(s, version, !snapshot, other, err);
    if (rc)
        return rc;
    bool rerun = version <= s->max_on_disk;
    /* A stale snapshot of this version would shadow the new delta. */
    if (rerun && !snapshot && (rc = remove_file(other, err)) != 0)
        return rc;

    s->buf.len = 0;
    agg_buf_put_u8(&s->buf, snapshot ? TAG_SNAPSHOT : TAG_DELTA);
    agg_buf_put_u64(&s->buf, (uint64_t)version);
    if (snapshot)
        s->ops.snapshot(s->ops.op, &s->buf);
    else
        s->ops.delta(s->ops.op, &s->buf);
    rc = ckpt_write(path, CKPT_STATE, s->buf.data, s->buf.len, err);
    size_t written = s->buf.len;
    if (s->buf.cap > KEEP_BUF_BYTES)
        agg_buf_free(&s->buf);
    if (rc)
        return rc;
    /* A stale delta beside the new snapshot is never read; tidy it anyway. */
    if (rerun && snapshot)
        (void)unlink(other);
    s->version = version;
    if (snapshot) {
        s->last_snapshot = version;
        s->snapshot_bytes = written;
        s->delta_bytes = 0;
    } else {
        s->delta_bytes += written;
    }
    if (version > s->max_on_disk)
        s->max_on_disk = version;
    return 0;
}

/* ---- purge ---------------------------------------------------------------- */

int state_store_purge(state_store *s, int64_t committed_version, eddy_error *err)
{
    listing l;
    int rc = list_dir(s, &l, err);
    if (rc)
        return rc;
    int64_t snap = latest_snapshot(&l, committed_version);
    listing_free(&l);
    DIR *d = opendir(s->dir);
    if (!d)
        return err_set(err, EDDY_IO, "cannot list state store directory '%s': %s", s->dir,
                       strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t v;
        bool is_snap;
        bool drop = is_tmp_name(e->d_name);
        if (!drop && parse_name(e->d_name, &v, &is_snap))
            drop = v < snap || (v == snap && !is_snap);
        if (!drop)
            continue;
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        if (n < 0 || n >= (int)sizeof path)
            continue;
        eddy_error e2;
        if (remove_file(path, &e2) != 0 && rc == 0) {
            rc = -EDDY_IO;
            if (err)
                *err = e2;
        }
    }
    closedir(d);
    return rc;
}

/* ---- operators ------------------------------------------------------------ */

static void ha_snapshot(const void *op, agg_buf *out)
{
    hash_agg_serialize(op, out);
}

static void ha_delta(const void *op, agg_buf *out)
{
    hash_agg_serialize_delta(op, out);
}

static int ha_load(void *op, const uint8_t *d, size_t n, eddy_error *err)
{
    return hash_agg_deserialize(op, d, n, err);
}

static int ha_apply(void *op, const uint8_t *d, size_t n, eddy_error *err)
{
    return hash_agg_apply_delta(op, d, n, err);
}

void state_ops_hash_agg(hash_agg *h, state_ops *out)
{
    hash_agg_track_removals(h, true);
    out->op = h;
    out->snapshot = ha_snapshot;
    out->delta = ha_delta;
    out->load_snapshot = ha_load;
    out->apply_delta = ha_apply;
}

static void sa_snapshot(const void *op, agg_buf *out)
{
    session_agg_serialize(op, out);
}

static void sa_delta(const void *op, agg_buf *out)
{
    session_agg_serialize_delta(op, out);
}

static int sa_load(void *op, const uint8_t *d, size_t n, eddy_error *err)
{
    return session_agg_deserialize(op, d, n, err);
}

static int sa_apply(void *op, const uint8_t *d, size_t n, eddy_error *err)
{
    return session_agg_apply_delta(op, d, n, err);
}

void state_ops_session_agg(struct session_agg *s, state_ops *out)
{
    session_agg_track_removals(s, true);
    out->op = s;
    out->snapshot = sa_snapshot;
    out->delta = sa_delta;
    out->load_snapshot = sa_load;
    out->apply_delta = sa_apply;
}
