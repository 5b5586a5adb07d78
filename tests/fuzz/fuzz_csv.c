/* Fuzz target for the CSV and text readers: the first two bytes pick the
 * options (separator, quoting, header, mode, corrupt-record column, read
 * columns, rows per call), the rest is the file. Checks the row accounting
 * and reads every string so out-of-bounds views are caught. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "io/reader.h"

static void check_batch(const batch *b)
{
    volatile unsigned sum = 0;
    for (uint32_t c = 0; c < b->ncols; c++) {
        if (b->cols[c].type != TYPE_STRING)
            continue;
        for (uint32_t r = 0; r < b->nrows; r++) {
            strv s = b->cols[c].data.s[r];
            if (!b->cols[c].valid[r] && (s.ptr || s.len))
                abort();
            for (uint32_t i = 0; i < s.len; i++)
                sum += (unsigned char)s.ptr[i];
        }
    }
}

static void run(int (*fn)(const read_options *, const schema *, const uint8_t *, const char *,
                          size_t, const char *, parse_cursor *, batch *, uint32_t, parse_stats *,
                          eddy_error *),
                const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
                size_t len, uint32_t step)
{
    type_id *types = schema_types(s);
    batch *b = batch_new((uint32_t)s->n, types, 1);
    parse_cursor cur = {0, 1, false};
    parse_stats st = {0, 0, 0};
    eddy_error err;
    int rc;
    uint32_t limit = 0;
    do {
        limit += step;
        uint32_t before = b->nrows;
        rc = fn(o, s, needed, buf, len, "fuzz", &cur, b, limit, &st, &err);
        if (b->nrows > limit || b->nrows < before || cur.pos > len)
            abort();
    } while (rc == 1);
    if (rc == 0 && cur.pos != len)
        abort();
    if (rc < 0 && (rc != -EDDY_PARSE || o->mode != PARSE_FAILFAST || err.code != EDDY_PARSE))
        abort();
    if (st.rows != b->nrows || st.dropped > st.malformed)
        abort();
    if (o->mode != PARSE_DROPMALFORMED && st.dropped)
        abort();
    check_batch(b);
    batch_free(b);
    free(types);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char seps[] = {',', ';', '\t', '|'};
    uint8_t a = data[0], m = data[1];
    read_options o;
    read_options_default(&o);
    o.sep = seps[a & 3];
    if (a & 4)
        o.quote = 0;
    if (a & 8)
        o.escape = o.quote;
    o.header = (a & 16) != 0;
    o.mode = (parse_mode)((a >> 5) % 3);
    if (a & 128)
        o.null_value = "NA";
    schema s;
    schema_init(&s);
    schema_add(&s, "a", TYPE_INT);
    schema_add(&s, "b", TYPE_STRING);
    schema_add(&s, "c", TYPE_DOUBLE);
    schema_add(&s, "_corrupt_record", TYPE_STRING);
    schema_add(&s, "d", TYPE_TIMESTAMP);
    schema_add(&s, "e", TYPE_BOOLEAN);
    schema_add(&s, "f", TYPE_BIGINT);
    schema_add(&s, "g", TYPE_DATE);
    o.corrupt_column = (m & 1) ? 3 : -1;
    uint8_t needed[8];
    for (int i = 0; i < 8; i++)
        needed[i] = (m & 2) ? 1 : (uint8_t)((m >> (i % 6 + 2)) & 1);
    uint32_t step = 1u + (m >> 4);

    size_t len = size - 2;
    char *buf = xmalloc(len ? len : 1);
    memcpy(buf, data + 2, len);
    run(csv_read, &o, &s, needed, buf, len, step);

    schema t;
    schema_init(&t);
    schema_add(&t, "value", TYPE_STRING);
    run(text_read, &o, &t, NULL, buf, len, step);

    free(buf);
    schema_free(&s);
    schema_free(&t);
    return 0;
}
