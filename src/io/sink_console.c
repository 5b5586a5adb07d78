/* The console sink: each micro-batch printed as Spark's ConsoleSink does, a
 * "Batch: N" banner and the table of Dataset.showString(numRows, truncate),
 * byte for byte (display widths, truncation, meta-character escapes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/strutil.h"
#include "core/valuefmt.h"
#include "io/sink.h"

typedef struct console_sink {
    FILE *out;
    schema schema;
    int64_t num_rows;
    int truncate; /* 0: cells neither cut nor right-aligned */
} console_sink;

/* One rendered cell: bytes in the cell buffer at [off, off + len). */
typedef struct cell {
    size_t off;
    size_t len;
    int width; /* Spark's Utils.stringHalfWidth */
} cell;

/* Decodes one UTF-8 code point at s[*i] (n bytes total) and advances *i.
 * Malformed input yields U+FFFD for one byte, as Java's decoder replaces it;
 * *valid tells whether the bytes can be copied as they are. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i, int *valid)
{
    unsigned char c = s[*i];
    *valid = 1;
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    int len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (len && *i + (size_t)len <= n) {
        uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        int k;
        for (k = 1; k < len && (s[*i + k] & 0xC0) == 0x80; k++)
            cp = cp << 6 | (s[*i + k] & 0x3F);
        if (k == len && !(len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) &&
            !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
            *i += (size_t)len;
            return cp;
        }
    }
    (*i)++;
    *valid = 0;
    return 0xFFFD;
}

/* Characters Spark counts as two half-widths (Utils.fullWidthRegex, applied
 * to UTF-16 chars, so only BMP code points qualify). */
static int is_full_width(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE10 && cp <= 0xFE19) || (cp >= 0xFE30 && cp <= 0xFE6F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6);
}

/* SchemaUtils.escapeMetaCharacters: the letter that follows the backslash,
 * or 0 when c is printed as it is. */
static char meta_escape(uint32_t c)
{
    switch (c) {
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\f': return 'f';
    case '\b': return 'b';
    case 0x0B: return 'v';
    case 0x07: return 'a';
    default: return 0;
    }
}

/* UTF-16 length of s after meta-character escaping (Java's String.length). */
static size_t escaped_units(const char *s, size_t n)
{
    size_t units = 0, i = 0;
    int valid;
    while (i < n) {
        uint32_t cp = utf8_next((const unsigned char *)s, n, &i, &valid);
        units += meta_escape(cp) ? 2 : cp >= 0x10000 ? 2 : 1;
    }
    return units;
}

/* Appends the cell text s[0..n) as getRows renders it (escaped, then cut to
 * `truncate` UTF-16 chars when longer, with "..." when truncate >= 4) to
 * out and returns its display width. A surrogate pair split by the cut
 * leaves a lone surrogate, which Java prints as '?'. */
static int render_cell(textbuf *out, const char *s, size_t n, int truncate)
{
    size_t keep = SIZE_MAX;
    int dots = 0;
    if (truncate > 0 && escaped_units(s, n) > (size_t)truncate) {
        keep = truncate < 4 ? (size_t)truncate : (size_t)truncate - 3;
        dots = truncate >= 4;
    }
    size_t units = 0, i = 0;
    int width = 0, valid;
    while (i < n && units < keep) {
        size_t start = i;
        uint32_t cp = utf8_next((const unsigned char *)s, n, &i, &valid);
        char esc = meta_escape(cp);
        size_t u = esc || cp >= 0x10000 ? 2 : 1;
        if (units + u > keep) {
            if (esc) {
                textbuf_putc(out, '\\');
            } else {
                textbuf_putc(out, '?');
            }
            units++;
            width++;
            break;
        }
        if (esc) {
            textbuf_putc(out, '\\');
            textbuf_putc(out, esc);
        } else if (valid) {
            textbuf_put(out, s + start, i - start);
        } else {
            textbuf_put(out, "\xEF\xBF\xBD", 3);
        }
        units += u;
        width += (int)u + is_full_width(cp);
    }
    if (dots) {
        textbuf_put(out, "...", 3);
        width += 3;
    }
    return width;
}

static int console_open(const sink_open_args *args, void **state, eddy_error *err)
{
    int64_t num_rows;
    int rc = options_int(args->opts, "numRows", 20, &num_rows, err);
    if (rc < 0)
        return rc;
    if (num_rows < 0)
        num_rows = 0;
    if (num_rows > INT32_MAX - 16)
        num_rows = INT32_MAX - 16;

    int truncate = 20;
    const char *t = options_get(args->opts, "truncate");
    if (t) {
        char *end;
        long n = strtol(t, &end, 10);
        if (str_ieq(t, "true"))
            truncate = 20;
        else if (str_ieq(t, "false"))
            truncate = 0;
        else if (end != t && !*end)
            truncate = n > 0 ? (n > INT32_MAX ? INT32_MAX : (int)n) : 0;
        else
            return err_set(err, EDDY_SQL,
                           "option 'truncate': expected true, false or a number of "
                           "characters, got '%s'", t);
    }

    console_sink *c = xcalloc(1, sizeof *c);
    c->out = args->console ? args->console : stdout;
    schema_copy(&c->schema, args->schema);
    c->num_rows = num_rows;
    c->truncate = truncate;
    *state = c;
    return 0;
}

/* Appends start, the cells joined by sep (each padded to its column width),
 * and end: Scala's addString on the padded row. */
static void put_row(textbuf *out, const console_sink *c, const textbuf *text, const cell *cells,
                    const int *widths)
{
    int n = c->schema.n;
    textbuf_putc(out, '|');
    for (int i = 0; i < n; i++) {
        if (i > 0)
            textbuf_putc(out, '|');
        int pad = widths[i] - cells[i].width;
        if (c->truncate > 0)
            for (int k = 0; k < pad; k++)
                textbuf_putc(out, ' ');
        textbuf_put(out, text->data + cells[i].off, cells[i].len);
        if (c->truncate <= 0)
            for (int k = 0; k < pad; k++)
                textbuf_putc(out, ' ');
    }
    textbuf_put(out, "|\n", 2);
}

static int console_add_batch(void *state, int64_t batch_id, batch *const *parts, int nparts,
                             eddy_error *err)
{
    console_sink *c = state;
    int ncols = c->schema.n;
    uint64_t total = 0;
    for (int p = 0; p < nparts; p++)
        total += parts[p]->nrows;
    uint64_t shown = total < (uint64_t)c->num_rows ? total : (uint64_t)c->num_rows;

    textbuf text, scratch, out;
    textbuf_init(&text);
    textbuf_init(&scratch);
    textbuf_init(&out);
    textbuf_reserve(&text, 64);
    cell *cells = xmalloc(sizeof *cells * (size_t)(ncols ? ncols : 1) * (size_t)(shown + 1));
    int *widths = xmalloc(sizeof *widths * (size_t)(ncols ? ncols : 1));

    for (int i = 0; i < ncols; i++) {
        const char *name = c->schema.fields[i].name;
        cells[i].off = text.len;
        cells[i].width = render_cell(&text, name, strlen(name), 0);
        cells[i].len = text.len - cells[i].off;
        widths[i] = cells[i].width > 3 ? cells[i].width : 3;
    }
    uint64_t row = 0;
    for (int p = 0; p < nparts && row < shown; p++) {
        const batch *b = parts[p];
        for (uint32_t r = 0; r < b->nrows && row < shown; r++, row++) {
            cell *rc = cells + (size_t)(row + 1) * (size_t)ncols;
            for (int i = 0; i < ncols; i++) {
                value v = column_get(&b->cols[i], r);
                scratch.len = 0;
                textbuf_value(&scratch, &v);
                rc[i].off = text.len;
                rc[i].width = render_cell(&text, scratch.data, scratch.len, c->truncate);
                rc[i].len = text.len - rc[i].off;
                if (rc[i].width > widths[i])
                    widths[i] = rc[i].width;
            }
        }
    }

    textbuf sep;
    textbuf_init(&sep);
    textbuf_putc(&sep, '+');
    for (int i = 0; i < ncols; i++) {
        if (i > 0)
            textbuf_putc(&sep, '+');
        for (int k = 0; k < widths[i]; k++)
            textbuf_putc(&sep, '-');
    }
    textbuf_put(&sep, "+\n", 2);

    char banner[128];
    int bn = snprintf(banner, sizeof banner,
                      "-------------------------------------------\n"
                      "Batch: %lld\n"
                      "-------------------------------------------\n",
                      (long long)batch_id);
    textbuf_put(&out, banner, (size_t)bn);
    textbuf_put(&out, sep.data, sep.len);
    put_row(&out, c, &text, cells, widths);
    textbuf_put(&out, sep.data, sep.len);
    for (uint64_t r = 0; r < shown; r++)
        put_row(&out, c, &text, cells + (size_t)(r + 1) * (size_t)ncols, widths);
    textbuf_put(&out, sep.data, sep.len);
    if (total > shown) {
        char footer[64];
        int fn = snprintf(footer, sizeof footer, "only showing top %lld %s\n",
                          (long long)c->num_rows, c->num_rows == 1 ? "row" : "rows");
        textbuf_put(&out, footer, (size_t)fn);
    }
    textbuf_putc(&out, '\n');

    int rc = 0;
    if (fwrite(out.data, 1, out.len, c->out) != out.len || fflush(c->out) != 0)
        rc = err_set(err, EDDY_IO, "console sink: cannot write batch %lld to the console",
                     (long long)batch_id);
    textbuf_free(&sep);
    textbuf_free(&out);
    textbuf_free(&scratch);
    textbuf_free(&text);
    free(cells);
    free(widths);
    return rc;
}

static void console_close(void *state)
{
    console_sink *c = state;
    if (!c)
        return;
    schema_free(&c->schema);
    free(c);
}

static const char *const console_options[] = {"numRows", "truncate", NULL};

const sink_ops sink_console_ops = {
    .name = "console",
    .options = console_options,
    .modes = 1u << OUTPUT_APPEND | 1u << OUTPUT_UPDATE | 1u << OUTPUT_COMPLETE,
    .open = console_open,
    .add_batch = console_add_batch,
    .close = console_close,
};
