/* The checkpoint directory of one query: metadata, the offset log and the
 * commit log (Spark's OffsetSeqLog / CommitLog on a local file system). */
#include "runtime/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsio.h"
#include "core/mem.h"
#include "state/ckpt_file.h"

struct checkpoint {
    char *dir;
    char *offsets_dir;
    char *commits_dir;
    char *source_dir;
    char *state_dir;
    int64_t purged_below; /* entries below this batch are gone */
};

static char *entry_path(const char *dir, int64_t n)
{
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)n);
    return fsio_path_join(dir, name);
}

/* mkdir -p; 0 or -EDDY_IO naming the directory. */
static int make_dirs(const char *dir, eddy_error *err)
{
    char *failed = NULL;
    if (fsio_mkdirs(dir, &failed) == 0)
        return 0;
    int rc = err_set(err, EDDY_IO, "cannot create checkpoint directory '%s': %s", failed,
                     strerror(errno));
    free(failed);
    return rc;
}

/* ---- payloads ---------------------------------------------------------------- */

static int parse_json(const char *path, const char *what, const uint8_t *data, size_t len,
                      json_t **out, eddy_error *err)
{
    json_error_t je;
    *out = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
    if (!*out)
        return err_set(err, EDDY_CORRUPT, "corrupt checkpoint file '%s': %s is not valid JSON (%s)",
                       path, what, je.text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return err_set(err, EDDY_CORRUPT, "corrupt checkpoint file '%s': %s is not a JSON object",
                       path, what);
    }
    return 0;
}

static int bad_field(json_t **obj, const char *path, const char *what, const char *field,
                     const char *expected, eddy_error *err)
{
    json_decref(*obj);
    *obj = NULL;
    return err_set(err, EDDY_CORRUPT, "corrupt checkpoint file '%s': %s field '%s' %s", path,
                   what, field, expected);
}

static bool is_int(const json_t *o, const char *k)
{
    return json_is_integer(json_object_get(o, k));
}

int checkpoint_parse_metadata(const char *path, const uint8_t *data, size_t len, json_t **out,
                              eddy_error *err)
{
    int rc = parse_json(path, "metadata", data, len, out, err);
    if (rc)
        return rc;
    const char *id = json_string_value(json_object_get(*out, "id"));
    if (!id || strlen(id) != 36)
        return bad_field(out, path, "metadata", "id", "must be a 36-character UUID", err);
    if (!json_is_object(json_object_get(*out, "query")))
        return bad_field(out, path, "metadata", "query", "must be an object", err);
    return 0;
}

int checkpoint_parse_offsets(const char *path, const uint8_t *data, size_t len, json_t **out,
                             eddy_error *err)
{
    int rc = parse_json(path, "offset log entry", data, len, out, err);
    if (rc)
        return rc;
    static const char *const ints[] = {"batchId", "batchTimestampMs", "batchWatermarkMs"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (!is_int(*out, ints[i]))
            return bad_field(out, path, "offset log entry", ints[i], "must be an integer", err);
    if (json_integer_value(json_object_get(*out, "batchId")) < 0)
        return bad_field(out, path, "offset log entry", "batchId", "must not be negative", err);
    if (!json_is_object(json_object_get(*out, "conf")))
        return bad_field(out, path, "offset log entry", "conf", "must be an object", err);
    json_t *src = json_object_get(*out, "source");
    if (!src || !(json_is_null(src) || json_is_object(src)))
        return bad_field(out, path, "offset log entry", "source", "must be an object or null",
                         err);
    return 0;
}

int checkpoint_parse_commit(const char *path, const uint8_t *data, size_t len, json_t **out,
                            eddy_error *err)
{
    int rc = parse_json(path, "commit log entry", data, len, out, err);
    if (rc)
        return rc;
    if (!is_int(*out, "nextBatchWatermarkMs"))
        return bad_field(out, path, "commit log entry", "nextBatchWatermarkMs",
                         "must be an integer", err);
    json_t *m = json_object_get(*out, "maxEventTimeMs");
    if (!m || !(json_is_null(m) || json_is_integer(m)))
        return bad_field(out, path, "commit log entry", "maxEventTimeMs",
                         "must be an integer or null", err);
    return 0;
}

typedef int (*parse_fn)(const char *path, const uint8_t *data, size_t len, json_t **out,
                        eddy_error *err);

static int read_entry(const char *path, ckpt_kind kind, parse_fn parse, json_t **out,
                      eddy_error *err)
{
    uint8_t *data;
    size_t len;
    int rc = ckpt_read(path, kind, &data, &len, err);
    if (rc)
        return rc;
    rc = parse(path, data, len, out, err);
    free(data);
    return rc;
}

static int write_entry(const char *path, ckpt_kind kind, const json_t *entry, eddy_error *err)
{
    char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return err_set(err, EDDY_RUNTIME, "cannot encode checkpoint entry '%s'", path);
    int rc = ckpt_write(path, kind, text, strlen(text), err);
    free(text);
    return rc;
}

/* ---- directory scans -------------------------------------------------------- */

static bool batch_name(const char *s, int64_t *n)
{
    if (!*s || strlen(s) > 18)
        return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    *n = v;
    return true;
}

/* The lowest and highest batch numbers among dir's entries (-1 if none);
 * removes the hidden temporaries an interrupted ckpt_write left. */
static int scan_log(const char *dir, int64_t *first, int64_t *last, eddy_error *err)
{
    *first = *last = -1;
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, EDDY_IO, "cannot list checkpoint directory '%s': %s", dir,
                       strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t n;
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' && l > 5 && strcmp(e->d_name + l - 4, ".tmp") == 0) {
            char *p = fsio_path_join(dir, e->d_name);
            unlink(p);
            free(p);
        } else if (batch_name(e->d_name, &n)) {
            if (n > *last)
                *last = n;
            if (*first < 0 || n < *first)
                *first = n;
        }
    }
    closedir(d);
    return 0;
}

/* ---- open ---------------------------------------------------------------------- */

static const char *part_label(const char *key)
{
    static const char *const labels[][2] = {
        {"source", "source"},
        {"outputMode", "output mode"},
        {"stateOperator", "stateful operator"},
        {"groupingKeys", "grouping keys"},
        {"aggregates", "aggregates"},
        {"window", "window"},
    };
    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++)
        if (strcmp(labels[i][0], key) == 0)
            return labels[i][1];
    return key;
}

static int compare_signature(const char *dir, const json_t *stored, const json_t *now,
                             eddy_error *err)
{
    /* Every part either side has, in the query's order first. */
    const json_t *sides[2] = {now, stored};
    for (int s = 0; s < 2; s++) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)sides[s], key, v) {
            json_t *a = json_object_get(stored, key), *b = json_object_get(now, key);
            if (a && b && json_equal(a, b))
                continue;
            char *ta = a ? json_dumps(a, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("none");
            char *tb = b ? json_dumps(b, JSON_ENCODE_ANY | JSON_COMPACT) : xstrdup("none");
            int rc = err_set(err, EDDY_RUNTIME,
                             "checkpoint '%s' was written by a different query: the %s changed "
                             "(checkpoint: %s, query: %s); use a new checkpoint location for "
                             "the changed query",
                             dir, part_label(key), ta, tb);
            free(ta);
            free(tb);
            return rc;
        }
    }
    return 0;
}

static int open_metadata(checkpoint *c, const json_t *signature, bool has_log, char id_out[40],
                         eddy_error *err)
{
    char *path = fsio_path_join(c->dir, "metadata");
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0) {
        if (has_log) {
            rc = err_set(err, EDDY_CORRUPT,
                         "corrupt checkpoint '%s': 'metadata' is missing but the offset log "
                         "has entries",
                         c->dir);
        } else {
            json_t *m = json_pack("{s:s, s:O}", "id", id_out, "query", signature);
            rc = write_entry(path, CKPT_METADATA, m, err);
            json_decref(m);
        }
    } else {
        json_t *m;
        rc = read_entry(path, CKPT_METADATA, checkpoint_parse_metadata, &m, err);
        if (rc == 0) {
            snprintf(id_out, 40, "%s", json_string_value(json_object_get(m, "id")));
            rc = compare_signature(c->dir, json_object_get(m, "query"), signature, err);
            json_decref(m);
        }
    }
    free(path);
    return rc;
}

int checkpoint_open(const char *dir, const json_t *signature, char id_out[40],
                    checkpoint **out, checkpoint_resume *resume, eddy_error *err)
{
    memset(resume, 0, sizeof *resume);
    resume->last_planned = resume->last_committed = -1;
    *out = NULL;
    checkpoint *c = xcalloc(1, sizeof *c);
    c->dir = xstrdup(dir);
    size_t l = strlen(c->dir);
    while (l > 1 && c->dir[l - 1] == '/')
        c->dir[--l] = 0;
    c->offsets_dir = fsio_path_join(c->dir, "offsets");
    c->commits_dir = fsio_path_join(c->dir, "commits");
    c->source_dir = fsio_path_join(c->dir, "sources/0");
    c->state_dir = fsio_path_join(c->dir, "state/0");
    int rc = 0;
    /* state/0 is made by the state store, for stateful queries only. */
    const char *dirs[] = {c->offsets_dir, c->commits_dir, c->source_dir};
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = make_dirs(dirs[i], err);
    int64_t fp = -1, lp = -1, fc = -1, lc = -1;
    if (rc == 0)
        rc = scan_log(c->offsets_dir, &fp, &lp, err);
    if (rc == 0)
        rc = scan_log(c->commits_dir, &fc, &lc, err);
    /* Retention resumes from the oldest entry left. */
    c->purged_below = fp < 0 ? (fc < 0 ? 0 : fc) : (fc < 0 || fp < fc ? fp : fc);
    if (rc == 0)
        rc = open_metadata(c, signature, lp >= 0, id_out, err);
    if (rc == 0 && lc > lp)
        rc = err_set(err, EDDY_CORRUPT,
                     "corrupt checkpoint '%s': commits/%lld exists but offsets/%lld does not",
                     c->dir, (long long)lc, (long long)lc);
    if (rc == 0 && lp >= 0 && lc < lp - 1)
        rc = err_set(err, EDDY_CORRUPT,
                     "corrupt checkpoint '%s': offsets/%lld exists but commits/%lld is missing "
                     "(a batch is only planned after the previous one committed)",
                     c->dir, (long long)lp, (long long)(lp - 1));
    if (rc == 0 && lp >= 0) {
        rc = checkpoint_read_offsets(c, lp, &resume->offsets, err);
        resume->last_planned = lp;
    }
    if (rc == 0 && lc >= 0) {
        char *p = entry_path(c->commits_dir, lc);
        rc = read_entry(p, CKPT_COMMIT, checkpoint_parse_commit, &resume->commit, err);
        free(p);
        resume->last_committed = lc;
    }
    if (rc) {
        checkpoint_resume_free(resume);
        checkpoint_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void checkpoint_resume_free(checkpoint_resume *r)
{
    json_decref(r->offsets);
    json_decref(r->commit);
    r->offsets = r->commit = NULL;
}

/* ---- entries ------------------------------------------------------------------ */

int checkpoint_write_offsets(checkpoint *c, int64_t batch_id, const json_t *entry,
                             eddy_error *err)
{
    char *p = entry_path(c->offsets_dir, batch_id);
    int rc = write_entry(p, CKPT_OFFSETS, entry, err);
    free(p);
    return rc;
}

int checkpoint_read_offsets(checkpoint *c, int64_t batch_id, json_t **out, eddy_error *err)
{
    char *p = entry_path(c->offsets_dir, batch_id);
    int rc = read_entry(p, CKPT_OFFSETS, checkpoint_parse_offsets, out, err);
    json_int_t said = rc == 0 ? json_integer_value(json_object_get(*out, "batchId")) : 0;
    if (rc == 0 && said != batch_id) {
        json_decref(*out);
        *out = NULL;
        rc = err_set(err, EDDY_CORRUPT, "corrupt checkpoint file '%s': it says batchId %lld", p,
                     (long long)said);
    }
    free(p);
    return rc;
}

int checkpoint_write_commit(checkpoint *c, int64_t batch_id, const json_t *entry,
                            eddy_error *err)
{
    char *p = entry_path(c->commits_dir, batch_id);
    int rc = write_entry(p, CKPT_COMMIT, entry, err);
    free(p);
    return rc;
}

int checkpoint_purge(checkpoint *c, int64_t committed, eddy_error *err)
{
    int64_t keep_from = committed + 1 - CHECKPOINT_RETAIN_BATCHES;
    const char *dirs[] = {c->offsets_dir, c->commits_dir};
    for (int64_t k = c->purged_below; k < keep_from; k++) {
        for (int i = 0; i < 2; i++) {
            char *p = entry_path(dirs[i], k);
            int gone = unlink(p) == 0 || errno == ENOENT;
            int e = errno;
            free(p);
            if (!gone)
                return err_set(err, EDDY_IO, "cannot remove old checkpoint entry %s/%lld: %s",
                               dirs[i], (long long)k, strerror(e));
        }
    }
    if (keep_from > c->purged_below)
        c->purged_below = keep_from;
    return 0;
}

const char *checkpoint_dir(const checkpoint *c)
{
    return c->dir;
}

const char *checkpoint_source_dir(const checkpoint *c)
{
    return c->source_dir;
}

const char *checkpoint_state_dir(const checkpoint *c)
{
    return c->state_dir;
}

void checkpoint_close(checkpoint *c)
{
    if (!c)
        return;
    free(c->dir);
    free(c->offsets_dir);
    free(c->commits_dir);
    free(c->source_dir);
    free(c->state_dir);
    free(c);
}
