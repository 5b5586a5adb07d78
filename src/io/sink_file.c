/* The csv and json file sinks (Spark's FileStreamSink): each micro-batch's
 * rows become part files under `path`, in Hive-style partition directories,
 * written to hidden temporary names, fsync'd and renamed; a commit log in
 * path/_eddy_metadata/ makes every batch land exactly once. */
#include <dirent.h>
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
#include "core/timefmt.h"
#include "core/valuefmt.h"
#include "io/json_writer.h"
#include "io/sink.h"

#define META_DIR "_eddy_metadata"
#define HIVE_DEFAULT_PARTITION "__HIVE_DEFAULT_PARTITION__"
#define FLUSH_BYTES (1u << 20)

typedef enum file_format {
    FILE_CSV,
    FILE_JSON,
} file_format;

typedef struct file_sink {
    file_format format;
    const char *ext;      /* "csv" or "json" */
    char *path;           /* output directory */
    char *meta_dir;       /* path/_eddy_metadata */
    schema schema;
    int *part_cols;       /* schema indices of the partitionBy columns */
    int npart;
    int *data_cols;       /* the other columns, written in the files */
    int ndata;
    /* csv */
    bool header;
    char sep, quote, escape;
    bool trim_leading, trim_trailing;
    char *null_value;
    /* json */
    bool ignore_null_fields;
} file_sink;

/* ---- file system helpers ------------------------------------------------ */

/* mkdir -p. Returns 0 or -EDDY_IO naming the directory. */
static int make_dirs(const char *dir, eddy_error *err)
{
    char *failed = NULL;
    if (fsio_mkdirs(dir, &failed) == 0)
        return 0;
    int rc = err_set(err, EDDY_IO, "cannot create directory '%s': %s", failed, strerror(errno));
    free(failed);
    return rc;
}

static int fsync_dir(const char *dir, eddy_error *err)
{
    if (fsio_fsync_dir(dir) != 0 && errno != EINVAL)
        return err_set(err, EDDY_IO, "cannot sync directory '%s': %s", dir, strerror(errno));
    return 0;
}

/* A file being written under a hidden name (".NAME.tmp" in the same
 * directory) and renamed to NAME when complete. */
typedef struct atomic_file {
    int fd;
    char *tmp_path;
    char *final_path;
    uint64_t size;
    textbuf buf;
} atomic_file;

static int af_open(atomic_file *f, const char *dir, const char *name, eddy_error *err)
{
    char *hidden = xmalloc(strlen(name) + 6);
    sprintf(hidden, ".%s.tmp", name);
    f->tmp_path = fsio_path_join(dir, hidden);
    free(hidden);
    f->final_path = fsio_path_join(dir, name);
    f->size = 0;
    textbuf_init(&f->buf);
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (f->fd < 0) {
        int rc = err_set(err, EDDY_IO, "cannot create '%s': %s", f->tmp_path, strerror(errno));
        free(f->tmp_path);
        free(f->final_path);
        return rc;
    }
    return 0;
}

static int af_flush(atomic_file *f, eddy_error *err)
{
    if (f->buf.len && fsio_write_all(f->fd, f->buf.data, f->buf.len) != 0)
        return err_set(err, EDDY_IO, "cannot write '%s': %s", f->tmp_path, strerror(errno));
    f->size += f->buf.len;
    f->buf.len = 0;
    return 0;
}

/* Discards the temporary file. */
static void af_abort(atomic_file *f)
{
    close(f->fd);
    unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->final_path);
    textbuf_free(&f->buf);
}

/* Flushes, fsyncs and renames into place (the caller fsyncs the directory).
 * On error the temporary file is removed. */
static int af_commit(atomic_file *f, eddy_error *err)
{
    int rc = af_flush(f, err);
    if (rc == 0 && fsio_fsync(f->fd) != 0)
        rc = err_set(err, EDDY_IO, "cannot sync '%s': %s", f->tmp_path, strerror(errno));
    if (rc == 0 && fsio_rename(f->tmp_path, f->final_path) != 0)
        rc = err_set(err, EDDY_IO, "cannot rename '%s' to '%s': %s", f->tmp_path,
                     f->final_path, strerror(errno));
    if (rc < 0) {
        af_abort(f);
        return rc;
    }
    close(f->fd);
    free(f->tmp_path);
    free(f->final_path);
    textbuf_free(&f->buf);
    return 0;
}

/* Removes, below dir, every file of batch `prefix` ("part-00007-") and its
 * temporaries, left by an attempt that did not reach the commit log. */
static int remove_batch_files(const char *dir, const char *prefix, eddy_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : err_set(err, EDDY_IO, "cannot list '%s': %s", dir,
                                             strerror(errno));
    int rc = 0;
    size_t np = strlen(prefix);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, META_DIR) == 0)
            continue;
        char *full = fsio_path_join(dir, n);
        struct stat st;
        if (lstat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                rc = remove_batch_files(full, prefix, err);
            } else if (strncmp(n, prefix, np) == 0 ||
                       (n[0] == '.' && strncmp(n + 1, prefix, np) == 0)) {
                if (unlink(full) != 0 && errno != ENOENT)
                    rc = err_set(err, EDDY_IO, "cannot remove '%s': %s", full, strerror(errno));
            }
        }
        free(full);
    }
    closedir(d);
    return rc;
}

/* ---- text of rows -------------------------------------------------------- */

/* ExternalCatalogUtils.escapePathName: %XX for control characters, 0x7F
 * and the characters of the set below; other bytes, UTF-8 included, as they
 * are. */
static void put_path_escaped(textbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 0x01 && c <= 0x1F) || c == 0x7F || (c && strchr("\"#%'*/:=?\\{[]^", c))) {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            textbuf_put(b, esc, 3);
        } else {
            textbuf_putc(b, (char)c);
        }
    }
}

/* "c1=v1/c2=v2" for row r of b (no trailing slash). */
static void put_partition_path(textbuf *out, const file_sink *f, const batch *b, uint32_t r,
                               textbuf *scratch)
{
    for (int k = 0; k < f->npart; k++) {
        int c = f->part_cols[k];
        const char *name = f->schema.fields[c].name;
        if (k > 0)
            textbuf_putc(out, '/');
        put_path_escaped(out, name, strlen(name));
        textbuf_putc(out, '=');
        value v = column_get(&b->cols[c], r);
        scratch->len = 0;
        if (!v.is_null)
            textbuf_value(scratch, &v);
        if (v.is_null || scratch->len == 0)
            textbuf_puts(out, HIVE_DEFAULT_PARTITION);
        else
            put_path_escaped(out, scratch->data, scratch->len);
    }
}

static bool is_csv_space(char c)
{
    return (unsigned char)c <= ' ' && c != 0;
}

/* One CSV field as Spark's (univocity) writer emits it: leading/trailing
 * whitespace dropped (ignoreLeading/TrailingWhiteSpace default true for
 * writing), quoted when it holds the separator, the quote or a line break,
 * quotes escaped with the escape character. An empty string value is
 * written as "" (Spark's emptyValue), so it differs from NULL. */
static void csv_put_field(textbuf *b, const file_sink *f, const char *s, size_t n, bool is_string)
{
    if (is_string && n == 0) {
        if (f->quote) {
            textbuf_putc(b, f->quote);
            textbuf_putc(b, f->quote);
        }
        return;
    }
    if (f->trim_leading)
        while (n > 0 && is_csv_space(*s))
            s++, n--;
    if (f->trim_trailing)
        while (n > 0 && is_csv_space(s[n - 1]))
            n--;
    bool quote = false;
    for (size_t i = 0; i < n && f->quote && !quote; i++)
        quote = s[i] == f->sep || s[i] == f->quote || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        textbuf_put(b, s, n);
        return;
    }
    textbuf_putc(b, f->quote);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == f->quote)
            textbuf_putc(b, f->escape ? f->escape : f->quote);
        textbuf_putc(b, s[i]);
    }
    textbuf_putc(b, f->quote);
}

/* Spark's JSON/CSV text for non-string values: timestamps as
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX in UTC, dates yyyy-MM-dd, doubles as Java. */
static int scalar_text(const value *v, char *buf)
{
    switch (v->type) {
    case TYPE_TIMESTAMP:
        return ts_format_iso(v->v.i64, buf);
    case TYPE_DATE:
        return date_format(v->v.i32, buf);
    default:
        return value_to_text(v, buf, 64);
    }
}

static void csv_put_row(textbuf *b, const file_sink *f, const batch *bt, uint32_t r)
{
    for (int k = 0; k < f->ndata; k++) {
        if (k > 0)
            textbuf_putc(b, f->sep);
        value v = column_get(&bt->cols[f->data_cols[k]], r);
        if (v.is_null) {
            textbuf_puts(b, f->null_value);
        } else if (v.type == TYPE_STRING) {
            csv_put_field(b, f, v.v.s.ptr, v.v.s.len, true);
        } else {
            char tmp[80];
            int n = scalar_text(&v, tmp);
            csv_put_field(b, f, tmp, (size_t)n, false);
        }
    }
    textbuf_putc(b, '\n');
}

static void csv_put_header(textbuf *b, const file_sink *f)
{
    for (int k = 0; k < f->ndata; k++) {
        if (k > 0)
            textbuf_putc(b, f->sep);
        const char *name = f->schema.fields[f->data_cols[k]].name;
        csv_put_field(b, f, name, strlen(name), true);
    }
    textbuf_putc(b, '\n');
}

static void json_put_row(textbuf *b, const file_sink *f, const batch *bt, uint32_t r)
{
    json_write_row(b, &f->schema, f->data_cols, f->ndata, bt, r, f->ignore_null_fields);
    textbuf_putc(b, '\n');
}

/* ---- open ------------------------------------------------------------------ */

static void file_sink_free(file_sink *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->meta_dir);
    schema_free(&f->schema);
    free(f->part_cols);
    free(f->data_cols);
    free(f->null_value);
    free(f);
}

/* Splits partitionBy ("c1, c2") into schema indices. */
static int parse_partition_by(file_sink *f, const char *spec, eddy_error *err)
{
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (*p == ',')
            p++;
        if (end == start) {
            if (*start == 0 && f->npart > 0)
                break;
            return err_set(err, EDDY_SQL, "option 'partitionBy': empty column name in '%s'",
                           spec);
        }
        char *name = xstrndup(start, (size_t)(end - start));
        int idx = schema_find(&f->schema, name);
        if (idx < 0) {
            textbuf cols;
            textbuf_init(&cols);
            for (int i = 0; i < f->schema.n; i++) {
                if (i > 0)
                    textbuf_puts(&cols, ", ");
                textbuf_puts(&cols, f->schema.fields[i].name);
            }
            int rc = err_set(err, EDDY_SQL,
                             "option 'partitionBy': column '%s' is not in the result columns "
                             "(%s)", name, cols.data ? cols.data : "");
            textbuf_free(&cols);
            free(name);
            return rc;
        }
        for (int k = 0; k < f->npart; k++) {
            if (f->part_cols[k] == idx) {
                int rc = err_set(err, EDDY_SQL,
                                 "option 'partitionBy': column '%s' is listed twice", name);
                free(name);
                return rc;
            }
        }
        if (f->schema.fields[idx].type == TYPE_WINDOW) {
            int rc = err_set(err, EDDY_SQL,
                             "option 'partitionBy': cannot partition by the struct column "
                             "'%s'; partition by window.start instead", name);
            free(name);
            return rc;
        }
        free(name);
        f->part_cols = xrealloc(f->part_cols, sizeof *f->part_cols * (size_t)(f->npart + 1));
        f->part_cols[f->npart++] = idx;
    }
    return 0;
}

static int file_open(const sink_open_args *args, void **state, eddy_error *err,
                     file_format format)
{
    const char *fmt_name = format == FILE_CSV ? "csv" : "json";
    const char *path = options_get(args->opts, "path");
    if (!path || !*path)
        return err_set(err, EDDY_SQL,
                       "%s sink: option 'path' is required (the output directory)", fmt_name);

    file_sink *f = xcalloc(1, sizeof *f);
    f->format = format;
    f->ext = fmt_name;
    f->path = xstrdup(path);
    size_t n = strlen(f->path);
    while (n > 1 && f->path[n - 1] == '/')
        f->path[--n] = 0;
    f->meta_dir = fsio_path_join(f->path, META_DIR);
    schema_copy(&f->schema, args->schema);

    int rc = 0;
    const char *pb = options_get(args->opts, "partitionBy");
    if (pb)
        rc = parse_partition_by(f, pb, err);
    if (rc == 0 && f->npart > 0 && f->npart == f->schema.n)
        rc = err_set(err, EDDY_SQL,
                     "option 'partitionBy': cannot use all columns for partition columns");
    if (rc == 0) {
        f->data_cols = xmalloc(sizeof *f->data_cols * (size_t)(f->schema.n ? f->schema.n : 1));
        for (int i = 0; i < f->schema.n; i++) {
            bool part = false;
            for (int k = 0; k < f->npart; k++)
                part = part || f->part_cols[k] == i;
            if (!part)
                f->data_cols[f->ndata++] = i;
        }
    }
    if (format == FILE_CSV) {
        for (int k = 0; rc == 0 && k < f->ndata; k++) {
            const field *fd = &f->schema.fields[f->data_cols[k]];
            if (fd->type == TYPE_WINDOW)
                rc = err_set(err, EDDY_SQL,
                             "csv sink: the CSV format cannot write the column '%s' of type "
                             "%s; select %s.start and %s.end instead", fd->name,
                             type_name(fd->type), fd->name, fd->name);
        }
        if (rc == 0)
            rc = options_bool(args->opts, "header", false, &f->header, err);
        if (rc == 0) {
            char sep = ',';
            rc = options_char(args->opts, "delimiter", ',', &sep, err);
            if (rc == 0)
                rc = options_char(args->opts, "sep", sep, &f->sep, err);
            if (rc == 0 && f->sep == 0)
                rc = err_set(err, EDDY_SQL, "option 'sep': expected a single character, got ''");
        }
        if (rc == 0)
            rc = options_char(args->opts, "quote", '"', &f->quote, err);
        if (rc == 0)
            rc = options_char(args->opts, "escape", '\\', &f->escape, err);
        if (rc == 0)
            rc = options_bool(args->opts, "ignoreLeadingWhiteSpace", true, &f->trim_leading, err);
        if (rc == 0)
            rc = options_bool(args->opts, "ignoreTrailingWhiteSpace", true, &f->trim_trailing,
                              err);
        const char *nv = options_get(args->opts, "nullValue");
        f->null_value = xstrdup(nv ? nv : "");
    } else if (rc == 0) {
        rc = options_bool(args->opts, "ignoreNullFields", true, &f->ignore_null_fields, err);
    }
    if (rc == 0)
        rc = make_dirs(f->meta_dir, err);
    if (rc < 0) {
        file_sink_free(f);
        return rc;
    }
    *state = f;
    return 0;
}

static int csv_open(const sink_open_args *args, void **state, eddy_error *err)
{
    return file_open(args, state, err, FILE_CSV);
}

static int json_open(const sink_open_args *args, void **state, eddy_error *err)
{
    return file_open(args, state, err, FILE_JSON);
}

/* ---- add_batch ------------------------------------------------------------- */

/* Files written by one batch (paths relative to the sink's path), for the
 * commit log, and the directories to fsync. */
typedef struct batch_files {
    char **paths;
    uint64_t *sizes;
    int n;
    char **dirs;
    int ndirs;
} batch_files;

static void batch_files_free(batch_files *bf)
{
    for (int i = 0; i < bf->n; i++)
        free(bf->paths[i]);
    for (int i = 0; i < bf->ndirs; i++)
        free(bf->dirs[i]);
    free(bf->paths);
    free(bf->sizes);
    free(bf->dirs);
}

static void note_dir(batch_files *bf, const char *dir)
{
    for (int i = 0; i < bf->ndirs; i++)
        if (strcmp(bf->dirs[i], dir) == 0)
            return;
    bf->dirs = xrealloc(bf->dirs, sizeof *bf->dirs * (size_t)(bf->ndirs + 1));
    bf->dirs[bf->ndirs++] = xstrdup(dir);
}

/* Writes rows[0..nrows) of b (row indices) to <path>/<rel_dir>/NAME. */
static int write_part(file_sink *f, int64_t batch_id, int seq, const char *rel_dir,
                      const batch *b, const uint32_t *rows, uint32_t nrows, batch_files *bf,
                      eddy_error *err)
{
    char *dir = rel_dir[0] ? fsio_path_join(f->path, rel_dir) : xstrdup(f->path);
    char name[64];
    snprintf(name, sizeof name, "part-%05lld-%05d.%s", (long long)batch_id, seq, f->ext);
    int rc = make_dirs(dir, err);
    atomic_file af;
    if (rc == 0)
        rc = af_open(&af, dir, name, err);
    if (rc < 0) {
        free(dir);
        return rc;
    }
    if (f->format == FILE_CSV && f->header)
        csv_put_header(&af.buf, f);
    for (uint32_t i = 0; i < nrows && rc == 0; i++) {
        if (f->format == FILE_CSV)
            csv_put_row(&af.buf, f, b, rows[i]);
        else
            json_put_row(&af.buf, f, b, rows[i]);
        if (af.buf.len >= FLUSH_BYTES)
            rc = af_flush(&af, err);
    }
    if (rc < 0)
        af_abort(&af);
    else
        rc = af_commit(&af, err);
    if (rc == 0) {
        uint64_t size = af.size;
        bf->paths = xrealloc(bf->paths, sizeof *bf->paths * (size_t)(bf->n + 1));
        bf->sizes = xrealloc(bf->sizes, sizeof *bf->sizes * (size_t)(bf->n + 1));
        bf->paths[bf->n] = rel_dir[0] ? fsio_path_join(rel_dir, name) : xstrdup(name);
        bf->sizes[bf->n++] = size;
        /* The directory and, for new partition directories, their parents up
         * to the sink's path need an fsync for the entries to be durable. */
        size_t root = strlen(f->path);
        for (size_t k = strlen(dir); k >= root; k--) {
            if (dir[k] == '/' || dir[k] == 0) {
                char c = dir[k];
                dir[k] = 0;
                note_dir(bf, dir);
                dir[k] = c;
            }
            if (k == root)
                break;
        }
    }
    free(dir);
    return rc;
}

typedef struct keyed_row {
    size_t off; /* partition path in the key buffer */
    uint32_t row;
} keyed_row;

static int keyed_row_cmp(const void *a, const void *b, void *keys)
{
    const keyed_row *x = a, *y = b;
    int c = strcmp((const char *)keys + x->off, (const char *)keys + y->off);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Writes one input part: a single file, or one per partition directory. */
static int write_input_part(file_sink *f, int64_t batch_id, int seq, const batch *b,
                            batch_files *bf, eddy_error *err)
{
    uint32_t *rows = xmalloc(sizeof *rows * b->nrows);
    int rc = 0;
    if (f->npart == 0) {
        for (uint32_t r = 0; r < b->nrows; r++)
            rows[r] = r;
        rc = write_part(f, batch_id, seq, "", b, rows, b->nrows, bf, err);
        free(rows);
        return rc;
    }
    textbuf keys, scratch;
    textbuf_init(&keys);
    textbuf_init(&scratch);
    keyed_row *kr = xmalloc(sizeof *kr * b->nrows);
    for (uint32_t r = 0; r < b->nrows; r++) {
        kr[r].off = keys.len;
        kr[r].row = r;
        put_partition_path(&keys, f, b, r, &scratch);
        textbuf_putc(&keys, 0);
    }
    qsort_r(kr, b->nrows, sizeof *kr, keyed_row_cmp, keys.data);
    for (uint32_t i = 0; i < b->nrows && rc == 0;) {
        uint32_t j = i;
        const char *key = keys.data + kr[i].off;
        while (j < b->nrows && strcmp(keys.data + kr[j].off, key) == 0) {
            rows[j - i] = kr[j].row;
            j++;
        }
        rc = write_part(f, batch_id, seq, key, b, rows, j - i, bf, err);
        i = j;
    }
    free(kr);
    free(rows);
    textbuf_free(&keys);
    textbuf_free(&scratch);
    return rc;
}

/* Writes the commit log entry meta/<batch_id>: "v1" then one JSON line per
 * file, as Spark's _spark_metadata entries. */
static int write_log_entry(file_sink *f, int64_t batch_id, const batch_files *bf,
                           eddy_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)batch_id);
    atomic_file af;
    int rc = af_open(&af, f->meta_dir, name, err);
    if (rc < 0)
        return rc;
    textbuf_puts(&af.buf, "v1\n");
    for (int i = 0; i < bf->n; i++) {
        char size[32];
        textbuf_puts(&af.buf, "{\"path\":");
        json_write_string(&af.buf, bf->paths[i], strlen(bf->paths[i]));
        snprintf(size, sizeof size, ",\"size\":%llu", (unsigned long long)bf->sizes[i]);
        textbuf_puts(&af.buf, size);
        textbuf_puts(&af.buf, ",\"action\":\"add\"}\n");
    }
    rc = af_commit(&af, err);
    if (rc == 0)
        rc = fsync_dir(f->meta_dir, err);
    return rc;
}

/* Writes the part files and the log entry of a batch not yet committed. */
static int write_batch(file_sink *f, int64_t batch_id, batch *const *parts, int nparts,
                       const char *pending, eddy_error *err)
{
    struct stat st;
    int rc = 0;
    /* A pending marker means an earlier attempt at this batch stopped before
     * its log entry; its files may not match this attempt's, so they go. */
    if (stat(pending, &st) == 0) {
        char prefix[40];
        snprintf(prefix, sizeof prefix, "part-%05lld-", (long long)batch_id);
        rc = remove_batch_files(f->path, prefix, err);
    } else {
        int fd = open(pending, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0)
            return err_set(err, EDDY_IO, "cannot create '%s': %s", pending, strerror(errno));
        close(fd);
        rc = fsync_dir(f->meta_dir, err);
    }

    batch_files bf = {0};
    for (int p = 0; p < nparts && rc == 0; p++)
        if (parts[p]->nrows)
            rc = write_input_part(f, batch_id, p, parts[p], &bf, err);
    for (int i = 0; i < bf.ndirs && rc == 0; i++)
        rc = fsync_dir(bf.dirs[i], err);
    if (rc == 0)
        rc = write_log_entry(f, batch_id, &bf, err);
    if (rc == 0)
        unlink(pending);
    batch_files_free(&bf);
    return rc;
}

static int file_add_batch(void *state, int64_t batch_id, batch *const *parts, int nparts,
                          eddy_error *err)
{
    file_sink *f = state;
    uint64_t total = 0;
    for (int p = 0; p < nparts; p++)
        total += parts[p]->nrows;
    if (total == 0)
        return 0;

    char name[48];
    snprintf(name, sizeof name, "%lld", (long long)batch_id);
    char *log_path = fsio_path_join(f->meta_dir, name);
    snprintf(name, sizeof name, ".%lld.pending", (long long)batch_id);
    char *pending = fsio_path_join(f->meta_dir, name);
    struct stat st;
    int rc = 0;
    if (stat(log_path, &st) != 0)
        rc = write_batch(f, batch_id, parts, nparts, pending, err);
    else /* committed before: skip, as Spark does; drop a marker a failed
            directory sync after the log entry may have left */
        unlink(pending);
    if (rc < 0)
        err_prefix(err, "%s sink '%s', batch %lld", f->ext, f->path, (long long)batch_id);
    free(log_path);
    free(pending);
    return rc;
}

static void file_close(void *state)
{
    file_sink_free(state);
}

static const char *const csv_options[] = {
    "path", "partitionBy", "header", "sep", "delimiter", "quote", "escape", "nullValue",
    "ignoreLeadingWhiteSpace", "ignoreTrailingWhiteSpace", NULL,
};

static const char *const json_options[] = {"path", "partitionBy", "ignoreNullFields", NULL};

const sink_ops sink_csv_ops = {
    .name = "csv",
    .options = csv_options,
    .modes = 1u << OUTPUT_APPEND,
    .needs_checkpoint = true,
    .open = csv_open,
    .add_batch = file_add_batch,
    .close = file_close,
};

const sink_ops sink_json_ops = {
    .name = "json",
    .options = json_options,
    .modes = 1u << OUTPUT_APPEND,
    .needs_checkpoint = true,
    .open = json_open,
    .add_batch = file_add_batch,
    .close = file_close,
};
