/* File stream sources (csv, json, text): discovers files in a directory or
 * glob, takes each file once, oldest first, up to maxFilesPerTrigger per
 * batch, and parses the files of a batch with the schema-directed readers.
 * Follows Spark's FileStreamSource: hidden names (. or _) ignored, latestFirst,
 * maxFileAge relative to the newest file seen, cleanSource after commit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/err.h"
#include "core/fsio.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "io/source.h"
#include "state/ckpt_file.h"

/* Spark's spark.sql.streaming.fileSource.log.compactInterval: the log of
 * files taken is compacted every this many batches. */
#define LOG_COMPACT_INTERVAL 10

typedef int (*reader_fn)(const read_options *o, const schema *s, const uint8_t *needed,
                         const char *buf, size_t len, const char *file_name, parse_cursor *cur,
                         batch *out, uint32_t max_rows, parse_stats *st, eddy_error *err);

typedef struct file_entry {
    char *path;
    int64_t mtime_us;
    int64_t size;
    int64_t batch_id; /* -1: discovered, not yet taken */
} file_entry;

typedef enum clean_mode { CLEAN_OFF, CLEAN_DELETE, CLEAN_ARCHIVE } clean_mode;

typedef struct file_source {
    char *name;
    char *path;
    bool is_glob;
    reader_fn read;
    read_options ropts;
    char *null_value;
    char *timestamp_format;
    schema schema;
    int64_t max_files;     /* maxFilesPerTrigger, 0 = unlimited */
    bool latest_first;
    int64_t max_file_age_us;
    clean_mode clean;
    char *archive_dir;
    bool available_now;
    bool listed_once;

    /* Every file seen, by path (open addressing on XXH3 of the path). */
    file_entry *files;
    size_t nfiles, capfiles;
    size_t *slots; /* index+1 into files, 0 = empty */
    size_t nslots;
    int64_t max_mtime_us;
    char *log_dir;         /* sources/<i>/ of the checkpoint, or NULL */
    char describe[PATH_MAX + 64];
} file_source;

static const char *const csv_options[] = {
    "format", "path", "header", "sep", "delimiter", "quote", "escape", "nullValue",
    "timestampFormat", "mode", "columnNameOfCorruptRecord", "maxFilesPerTrigger", "latestFirst",
    "maxFileAge", "cleanSource", "sourceArchiveDir", "schema", "encoding", NULL};
static const char *const json_options[] = {
    "format", "path", "timestampFormat", "mode", "columnNameOfCorruptRecord",
    "maxFilesPerTrigger", "latestFirst", "maxFileAge", "cleanSource", "sourceArchiveDir",
    "schema", "multiLine", "encoding", NULL};
static const char *const text_options[] = {
    "format", "path", "maxFilesPerTrigger", "latestFirst", "maxFileAge", "cleanSource",
    "sourceArchiveDir", "schema", NULL};

static void text_schema(schema *out)
{
    schema_init(out);
    schema_add(out, "value", TYPE_STRING);
}

static size_t path_slot(const file_source *fs, const char *path)
{
    size_t mask = fs->nslots - 1;
    size_t i = XXH3_64bits(path, strlen(path)) & mask;
    while (fs->slots[i] && strcmp(fs->files[fs->slots[i] - 1].path, path) != 0)
        i = (i + 1) & mask;
    return i;
}

static void rehash(file_source *fs)
{
    free(fs->slots);
    fs->nslots = fs->nslots ? fs->nslots * 2 : 1024;
    fs->slots = xcalloc(fs->nslots, sizeof(size_t));
    for (size_t k = 0; k < fs->nfiles; k++)
        fs->slots[path_slot(fs, fs->files[k].path)] = k + 1;
}

/* The entry for `path`, created (not yet taken) when new. */
static file_entry *file_entry_for(file_source *fs, const char *path, int64_t mtime_us,
                                  int64_t size, bool *created)
{
    if ((fs->nfiles + 1) * 2 > fs->nslots)
        rehash(fs);
    size_t slot = path_slot(fs, path);
    *created = fs->slots[slot] == 0;
    if (!*created)
        return &fs->files[fs->slots[slot] - 1];
    if (fs->nfiles == fs->capfiles) {
        fs->capfiles = fs->capfiles ? fs->capfiles * 2 : 256;
        fs->files = xrealloc(fs->files, fs->capfiles * sizeof(file_entry));
    }
    file_entry *e = &fs->files[fs->nfiles];
    e->path = xstrdup(path);
    e->mtime_us = mtime_us;
    e->size = size;
    e->batch_id = -1;
    fs->slots[slot] = ++fs->nfiles;
    if (e->mtime_us > fs->max_mtime_us)
        fs->max_mtime_us = e->mtime_us;
    return e;
}

/* Records a file the first time it is seen. */
static void file_seen(file_source *fs, const char *path, const struct stat *st)
{
    bool created;
    file_entry_for(fs, path, (int64_t)st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000,
                   st->st_size, &created);
}

static bool hidden_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return base[0] == '.' || base[0] == '_';
}

/* A file already recorded keeps the mtime and size it was first seen
 * with, so it is not stat()ed again on every poll. */
static void consider(file_source *fs, const char *path)
{
    struct stat st;
    if (hidden_name(path) || (fs->nslots && fs->slots[path_slot(fs, path)]) ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    file_seen(fs, path, &st);
}

static int list_files(file_source *fs, eddy_error *err)
{
    if (fs->is_glob) {
        glob_t g;
        int rc = glob(fs->path, 0, NULL, &g);
        if (rc == 0) {
            for (size_t i = 0; i < g.gl_pathc; i++)
                consider(fs, g.gl_pathv[i]);
        }
        globfree(&g);
        if (rc != 0 && rc != GLOB_NOMATCH)
            return err_set(err, EDDY_IO, "source '%s': cannot list '%s'", fs->name, fs->path);
        return 0;
    }
    struct stat st;
    if (stat(fs->path, &st) != 0)
        return err_set(err, EDDY_IO, "source '%s': path '%s' does not exist", fs->name,
                       fs->path);
    if (S_ISREG(st.st_mode)) {
        consider(fs, fs->path);
        return 0;
    }
    DIR *d = opendir(fs->path);
    if (!d)
        return err_set(err, EDDY_IO, "source '%s': cannot open directory '%s': %s", fs->name,
                       fs->path, strerror(errno));
    struct dirent *de;
    char full[PATH_MAX];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        snprintf(full, sizeof full, "%s/%s", fs->path, de->d_name);
        consider(fs, full);
    }
    closedir(d);
    return 0;
}

static int parse_mode_opt(const options *o, parse_mode *out, eddy_error *err)
{
    const char *m = options_get(o, "mode");
    if (!m || str_ieq(m, "PERMISSIVE"))
        *out = PARSE_PERMISSIVE;
    else if (str_ieq(m, "DROPMALFORMED"))
        *out = PARSE_DROPMALFORMED;
    else if (str_ieq(m, "FAILFAST"))
        *out = PARSE_FAILFAST;
    else
        return err_set(err, EDDY_SQL,
                       "option 'mode': expected PERMISSIVE, DROPMALFORMED or FAILFAST, got '%s'",
                       m);
    return 0;
}

static int file_open_common(const source_open_args *a, reader_fn fn, void **state,
                            eddy_error *err)
{
    const options *o = a->opts;
    const char *path = options_get(o, "path");
    if (!path || !*path)
        return err_set(err, EDDY_SQL, "source '%s': option 'path' is required", a->name);
    file_source *fs = xcalloc(1, sizeof *fs);
    fs->name = xstrdup(a->name);
    fs->path = xstrdup(path);
    size_t pl = strlen(fs->path);
    while (pl > 1 && fs->path[pl - 1] == '/')
        fs->path[--pl] = 0;
    fs->is_glob = strpbrk(path, "*?[") != NULL;
    fs->read = fn;
    fs->available_now = a->available_now;
    schema_copy(&fs->schema, a->schema);
    read_options_default(&fs->ropts);
    int rc = 0;
    bool header = false, latest = false;
    char sep = ',', quote = '"', escape = '\\';
    int64_t maxf = 0;
    if ((rc = options_bool(o, "header", false, &header, err)) ||
        (rc = options_char(o, options_get(o, "sep") ? "sep" : "delimiter", ',', &sep, err)) ||
        (rc = options_char(o, "quote", '"', &quote, err)) ||
        (rc = options_char(o, "escape", '\\', &escape, err)) ||
        (rc = options_int(o, "maxFilesPerTrigger", 0, &maxf, err)) ||
        (rc = options_bool(o, "latestFirst", false, &latest, err)) ||
        (rc = parse_mode_opt(o, &fs->ropts.mode, err)))
        goto fail;
    if (maxf < 0) {
        rc = err_set(err, EDDY_SQL, "option 'maxFilesPerTrigger': must be positive, got %lld",
                     (long long)maxf);
        goto fail;
    }
    fs->ropts.header = header;
    fs->ropts.sep = sep;
    fs->ropts.quote = quote;
    fs->ropts.escape = escape;
    fs->max_files = a->once ? 0 : maxf;
    fs->latest_first = latest;
    const char *nv = options_get(o, "nullValue");
    if (nv) {
        fs->null_value = xstrdup(nv);
        fs->ropts.null_value = fs->null_value;
    }
    const char *tf = options_get(o, "timestampFormat");
    if (tf) {
        fs->timestamp_format = xstrdup(tf);
        fs->ropts.timestamp_format = fs->timestamp_format;
    }
    const char *ccol = options_get(o, "columnNameOfCorruptRecord");
    fs->ropts.corrupt_column = schema_find(&fs->schema, ccol ? ccol : "_corrupt_record");
    if (ccol && fs->ropts.corrupt_column < 0) {
        rc = err_set(err, EDDY_SQL,
                     "source '%s': columnNameOfCorruptRecord '%s' is not a column of the schema",
                     a->name, ccol);
        goto fail;
    }
    if (fs->ropts.corrupt_column >= 0 &&
        fs->schema.fields[fs->ropts.corrupt_column].type != TYPE_STRING) {
        rc = err_set(err, EDDY_SQL, "source '%s': the corrupt record column '%s' must be STRING",
                     a->name, fs->schema.fields[fs->ropts.corrupt_column].name);
        goto fail;
    }
    const char *age = options_get(o, "maxFileAge");
    fs->max_file_age_us = 7LL * 86400 * 1000000;
    if (age && duration_parse(age, strlen(age), &fs->max_file_age_us) != 0) {
        rc = err_set(err, EDDY_SQL, "option 'maxFileAge': expected a duration such as '7d' or "
                                    "'1 hour', got '%s'", age);
        goto fail;
    }
    const char *clean = options_get(o, "cleanSource");
    if (!clean || str_ieq(clean, "off")) {
        fs->clean = CLEAN_OFF;
    } else if (str_ieq(clean, "delete")) {
        fs->clean = CLEAN_DELETE;
    } else if (str_ieq(clean, "archive")) {
        fs->clean = CLEAN_ARCHIVE;
        const char *ad = options_get(o, "sourceArchiveDir");
        if (!ad) {
            rc = err_set(err, EDDY_SQL, "source '%s': cleanSource 'archive' needs option "
                                        "'sourceArchiveDir'", a->name);
            goto fail;
        }
        fs->archive_dir = xstrdup(ad);
    } else {
        rc = err_set(err, EDDY_SQL,
                     "option 'cleanSource': expected off, delete or archive, got '%s'", clean);
        goto fail;
    }
    if (!fs->is_glob) {
        struct stat st;
        if (stat(fs->path, &st) != 0) {
            rc = err_set(err, EDDY_IO, "source '%s': path '%s' does not exist", a->name, path);
            goto fail;
        }
    } else {
        char *dup = xstrdup(fs->path);
        char *dir = dirname(dup);
        struct stat st;
        bool ok = strpbrk(dir, "*?[") || stat(dir, &st) == 0;
        free(dup);
        if (!ok) {
            rc = err_set(err, EDDY_IO, "source '%s': path '%s' does not exist", a->name, path);
            goto fail;
        }
    }
    snprintf(fs->describe, sizeof fs->describe, "FileStreamSource[%s]", fs->path);
    *state = fs;
    return 0;
fail:
    free(fs->name);
    free(fs->path);
    free(fs->null_value);
    free(fs->timestamp_format);
    free(fs->archive_dir);
    schema_free(&fs->schema);
    free(fs);
    return rc;
}

static int csv_open(const source_open_args *a, void **state, eddy_error *err)
{
    return file_open_common(a, csv_read, state, err);
}

static int json_open(const source_open_args *a, void **state, eddy_error *err)
{
    return file_open_common(a, json_read, state, err);
}

static int text_open(const source_open_args *a, void **state, eddy_error *err)
{
    return file_open_common(a, text_read, state, err);
}

static int cmp_entry_ptr(const void *a, const void *b)
{
    const file_entry *x = *(file_entry *const *)a, *y = *(file_entry *const *)b;
    if (x->mtime_us != y->mtime_us)
        return x->mtime_us < y->mtime_us ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int file_plan_batch(void *state, int64_t batch_id, json_t **offset, bool *has_data,
                           eddy_error *err)
{
    file_source *fs = state;
    *offset = NULL;
    *has_data = false;
    if (!fs->available_now || !fs->listed_once) {
        int rc = list_files(fs, err);
        if (rc)
            return rc;
        fs->listed_once = true;
    }
    file_entry **cand = NULL;
    size_t ncand = 0;
    int64_t oldest_ok = fs->max_mtime_us - fs->max_file_age_us;
    /* Spark ignores maxFileAge when latestFirst and maxFilesPerTrigger are
     * both set (FileStreamSource.scala). */
    bool age_applies = !(fs->latest_first && fs->max_files > 0);
    for (size_t i = 0; i < fs->nfiles; i++) {
        file_entry *e = &fs->files[i];
        if (e->batch_id >= 0)
            continue;
        if (age_applies && e->mtime_us < oldest_ok) {
            e->batch_id = INT64_MAX; /* too old: never taken */
            continue;
        }
        if (!cand)
            cand = xmalloc(fs->nfiles * sizeof *cand);
        cand[ncand++] = e;
    }
    if (!ncand)
        return 0;
    qsort(cand, ncand, sizeof *cand, cmp_entry_ptr);
    if (fs->latest_first) {
        for (size_t i = 0; i < ncand / 2; i++) {
            file_entry *t = cand[i];
            cand[i] = cand[ncand - 1 - i];
            cand[ncand - 1 - i] = t;
        }
    }
    size_t take = ncand;
    if (fs->max_files > 0 && (size_t)fs->max_files < take)
        take = (size_t)fs->max_files;
    json_t *files = json_array();
    for (size_t i = 0; i < take; i++) {
        cand[i]->batch_id = batch_id;
        json_array_append_new(files, json_string(cand[i]->path));
    }
    free(cand);
    *offset = json_pack("{s:I, s:o}", "logOffset", (json_int_t)batch_id, "files", files);
    *has_data = true;
    return 0;
}

static int read_whole_file(const char *path, rcbuf **out, eddy_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, EDDY_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return err_set(err, EDDY_IO, "cannot stat '%s': %s", path, strerror(errno));
    }
    /* Large files are mapped: no copy, and the page cache's pages are used
     * as they are. A file that changes size while mapped is read instead. */
    if (st.st_size >= (off_t)(1 << 20)) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (map != MAP_FAILED) {
            struct stat st2;
            if (fstat(fd, &st2) == 0 && st2.st_size == st.st_size) {
                madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
                close(fd);
                *out = rcbuf_mapped(map, (size_t)st.st_size);
                return 0;
            }
            munmap(map, (size_t)st.st_size);
        }
    }
    size_t cap = (size_t)st.st_size, len = 0;
    rcbuf *b = rcbuf_new(cap);
    for (;;) {
        if (len == cap) {
            /* The file grew since fstat: keep reading. */
            rcbuf *nb = rcbuf_new(cap * 2 + 4096);
            memcpy(nb->data, b->data, len);
            rcbuf_unref(b);
            b = nb;
            cap = cap * 2 + 4096;
        }
        ssize_t n = read(fd, b->data + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            rcbuf_unref(b);
            return err_set(err, EDDY_IO, "cannot read '%s': %s", path, strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    b->len = len;
    b->data[len] = 0;
    *out = b;
    return 0;
}

static int file_read_batch(void *state, int64_t batch_id, const json_t *offset,
                           source_read_ctx *rc, source_metrics *m, eddy_error *err)
{
    file_source *fs = state;
    json_t *files = json_object_get(offset, "files");
    type_id *types = schema_types(&fs->schema);
    int ret = 0;
    for (size_t i = 0; i < json_array_size(files) && ret == 0; i++) {
        const char *path = json_string_value(json_array_get(files, i));
        rcbuf *buf = NULL;
        if ((ret = read_whole_file(path, &buf, err)) != 0)
            break;
        m->files++;
        m->bytes += buf->len;
        parse_cursor cur = {0, 1, false};
        int more = 1;
        while (more == 1) {
            batch *b = batch_new((uint32_t)fs->schema.n, types, 4096);
            parse_stats st = {0, 0, 0};
            more = fs->read(&fs->ropts, &fs->schema, rc->needed, buf->data, buf->len, path, &cur,
                            b, BATCH_MAX_ROWS, &st, err);
            m->malformed += st.malformed;
            m->dropped += st.dropped;
            if (more < 0) {
                batch_free(b);
                ret = more;
                break;
            }
            if (b->nrows == 0) {
                batch_free(b);
                continue;
            }
            m->rows += b->nrows;
            batch_keep(b, rcbuf_ref(buf));
            if ((ret = rc->emit(rc->emit_ctx, b, err)) != 0)
                break;
        }
        rcbuf_unref(buf);
    }
    free(types);
    return ret;
}

/* ---- the log of files taken (checkpointed queries) -------------------------- */

static char *compact_path(const char *dir, int64_t batch_id)
{
    char *p = xmalloc(strlen(dir) + 40);
    sprintf(p, "%s/%lld.compact", dir, (long long)batch_id);
    return p;
}

/* "N.compact" -> N, or -1. */
static int64_t compact_batch(const char *name)
{
    int64_t n = 0;
    const char *s = name;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9' && s - name < 18; s++)
        n = n * 10 + (*s - '0');
    return strcmp(s, ".compact") == 0 ? n : -1;
}

int file_source_log_parse(const char *path, const uint8_t *data, size_t len, json_t **out,
                          eddy_error *err)
{
    json_error_t je;
    json_t *o = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': the source log is not valid JSON (%s)", path,
                       je.text);
    const char *bad = NULL;
    json_t *files = json_object_get(o, "files");
    json_int_t upto = json_integer_value(json_object_get(o, "batchId"));
    if (!json_is_object(o))
        bad = "is not a JSON object";
    else if (!json_is_integer(json_object_get(o, "batchId")) || upto < 0)
        bad = "has no valid batchId";
    else if (!json_is_array(files))
        bad = "has no files array";
    for (size_t i = 0; !bad && i < json_array_size(files); i++) {
        json_t *f = json_array_get(files, i);
        json_t *b = json_array_get(f, 1);
        if (!json_is_array(f) || json_array_size(f) != 2 ||
            !json_is_string(json_array_get(f, 0)) || !json_is_integer(b) ||
            json_integer_value(b) < 0 || json_integer_value(b) > upto)
            bad = "has a files entry that is not [path, batch <= batchId]";
    }
    if (bad) {
        json_decref(o);
        return err_set(err, EDDY_CORRUPT, "corrupt checkpoint file '%s': the source log %s",
                       path, bad);
    }
    *out = o;
    return 0;
}

/* Marks `path` as taken by batch k (from the log: the file may be gone). */
static void mark_taken(file_source *fs, const char *path, int64_t k)
{
    struct stat st;
    bool created;
    bool exists = stat(path, &st) == 0;
    file_entry *e = file_entry_for(
        fs, path, exists ? (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000 : 0,
        exists ? st.st_size : 0, &created);
    e->batch_id = k;
}

/* Writes dir/N.compact with every file taken in batches 0..N, then removes
 * the older compactions (Spark's CompactibleFileStreamLog). */
static int compact_log(file_source *fs, int64_t batch_id, eddy_error *err)
{
    json_t *files = json_array();
    for (size_t i = 0; i < fs->nfiles; i++) {
        const file_entry *e = &fs->files[i];
        if (e->batch_id >= 0 && e->batch_id <= batch_id)
            json_array_append_new(files, json_pack("[s, I]", e->path, (json_int_t)e->batch_id));
    }
    json_t *o = json_pack("{s:I, s:o}", "batchId", (json_int_t)batch_id, "files", files);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *path = compact_path(fs->log_dir, batch_id);
    int rc = ckpt_write(path, CKPT_SOURCE, text, strlen(text), err);
    free(text);
    free(path);
    if (rc)
        return rc;
    DIR *d = opendir(fs->log_dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t n = compact_batch(de->d_name);
        if (n >= 0 && n < batch_id) {
            char *old = compact_path(fs->log_dir, n);
            unlink(old);
            free(old);
        }
    }
    closedir(d);
    return 0;
}

static int file_recover(void *state, const char *dir, int64_t last_planned,
                        source_offset_fn offset_of, void *ctx, eddy_error *err)
{
    file_source *fs = state;
    free(fs->log_dir);
    fs->log_dir = xstrdup(dir);
    if (last_planned < 0)
        return 0;
    /* The newest compaction not after last_planned, then the offset log. */
    int64_t from = -1;
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, EDDY_IO, "cannot list '%s': %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t n = compact_batch(de->d_name);
        if (n > from && n <= last_planned)
            from = n;
    }
    closedir(d);
    int rc = 0;
    if (from >= 0) {
        char *path = compact_path(dir, from);
        uint8_t *data;
        size_t len;
        json_t *log = NULL;
        rc = ckpt_read(path, CKPT_SOURCE, &data, &len, err);
        if (rc == 0) {
            rc = file_source_log_parse(path, data, len, &log, err);
            free(data);
        }
        free(path);
        json_t *files = json_object_get(log, "files");
        for (size_t i = 0; rc == 0 && i < json_array_size(files); i++) {
            json_t *f = json_array_get(files, i);
            mark_taken(fs, json_string_value(json_array_get(f, 0)),
                       json_integer_value(json_array_get(f, 1)));
        }
        json_decref(log);
    }
    for (int64_t k = from + 1; rc == 0 && k <= last_planned; k++) {
        json_t *off = offset_of(ctx, k, err);
        if (!off)
            return err_prefix(err, "source '%s': recovering the files of batch %lld", fs->name,
                              (long long)k);
        json_t *files = json_object_get(off, "files");
        for (size_t i = 0; i < json_array_size(files); i++) {
            const char *p = json_string_value(json_array_get(files, i));
            if (p)
                mark_taken(fs, p, k);
        }
        json_decref(off);
    }
    return rc;
}

static int file_commit(void *state, int64_t batch_id, eddy_error *err)
{
    file_source *fs = state;
    if (fs->log_dir && (batch_id + 1) % LOG_COMPACT_INTERVAL == 0) {
        int rc = compact_log(fs, batch_id, err);
        if (rc)
            return err_prefix(err, "source '%s'", fs->name);
    }
    if (fs->clean == CLEAN_OFF)
        return 0;
    for (size_t i = 0; i < fs->nfiles; i++) {
        file_entry *e = &fs->files[i];
        if (e->batch_id != batch_id)
            continue;
        if (fs->clean == CLEAN_DELETE) {
            if (unlink(e->path) != 0 && errno != ENOENT)
                log_warn("source '%s': cannot delete '%s': %s", fs->name, e->path,
                         strerror(errno));
            continue;
        }
        /* Spark archives to sourceArchiveDir + the file's absolute path. */
        char abs[PATH_MAX], dest[PATH_MAX * 2];
        if (!realpath(e->path, abs))
            continue;
        snprintf(dest, sizeof dest, "%s%s", fs->archive_dir, abs);
        char *dup = xstrdup(dest);
        int mk = fsio_mkdirs(dirname(dup), NULL);
        free(dup);
        if (mk != 0 || rename(abs, dest) != 0)
            log_warn("source '%s': cannot archive '%s' to '%s': %s", fs->name, e->path, dest,
                     strerror(errno));
    }
    return 0;
}

static const char *file_describe(void *state)
{
    return ((file_source *)state)->describe;
}

static void file_close(void *state)
{
    file_source *fs = state;
    if (!fs)
        return;
    for (size_t i = 0; i < fs->nfiles; i++)
        free(fs->files[i].path);
    free(fs->files);
    free(fs->slots);
    free(fs->log_dir);
    free(fs->name);
    free(fs->path);
    free(fs->null_value);
    free(fs->timestamp_format);
    free(fs->archive_dir);
    schema_free(&fs->schema);
    free(fs);
}

const source_ops source_csv = {
    .name = "csv",
    .options = csv_options,
    .open = csv_open,
    .plan_batch = file_plan_batch,
    .read_batch = file_read_batch,
    .commit = file_commit,
    .recover = file_recover,
    .describe = file_describe,
    .close = file_close,
};

const source_ops source_json = {
    .name = "json",
    .options = json_options,
    .open = json_open,
    .plan_batch = file_plan_batch,
    .read_batch = file_read_batch,
    .commit = file_commit,
    .recover = file_recover,
    .describe = file_describe,
    .close = file_close,
};

const source_ops source_text = {
    .name = "text",
    .options = text_options,
    .fixed_schema = text_schema,
    .open = text_open,
    .plan_batch = file_plan_batch,
    .read_batch = file_read_batch,
    .commit = file_commit,
    .recover = file_recover,
    .describe = file_describe,
    .close = file_close,
};

typedef struct table_rows {
    batch ***out;
    int *nout;
} table_rows;

static int collect(void *ctx, batch *b, eddy_error *err)
{
    table_rows *t = ctx;
    *t->out = xrealloc(*t->out, (size_t)(*t->nout + 1) * sizeof(batch *));
    (*t->out)[(*t->nout)++] = b;
    return 0;
}

int table_load(const char *name, const options *opts, const schema *s, batch ***out, int *nout,
               eddy_error *err)
{
    const char *format = options_get(opts, "format");
    const source_ops *ops = source_lookup(format ? format : "csv");
    if (!ops || ops->read_batch != file_read_batch)
        return err_set(err, EDDY_SQL, "table '%s': format '%s' cannot be a static table", name,
                       format ? format : "");
    source_open_args a = {.name = name, .opts = opts, .schema = s, .available_now = true,
                          .once = true};
    void *st;
    int rc = ops->open(&a, &st, err);
    if (rc)
        return rc;
    *out = NULL;
    *nout = 0;
    json_t *off = NULL;
    bool has = false;
    rc = file_plan_batch(st, 0, &off, &has, err);
    if (rc == 0 && has) {
        uint8_t *needed = xmalloc((size_t)(s->n ? s->n : 1));
        memset(needed, 1, (size_t)(s->n ? s->n : 1));
        table_rows rows = {out, nout};
        source_read_ctx rctx = {needed, collect, &rows};
        source_metrics m = {0};
        rc = file_read_batch(st, 0, off, &rctx, &m, err);
        free(needed);
    }
    json_decref(off);
    file_close(st);
    if (rc) {
        for (int i = 0; i < *nout; i++)
            batch_free((*out)[i]);
        free(*out);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}
