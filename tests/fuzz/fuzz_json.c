/* Fuzz target for the JSON lines reader: the first two bytes pick the mode,
 * the corrupt-record column, the read columns and rows per call; the rest
 * is the file. Checks the row accounting and reads every string so
 * out-of-bounds views are caught. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "io/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t a = data[0], m = data[1];
    read_options o;
    read_options_default(&o);
    o.mode = (parse_mode)(a % 3);
    o.corrupt_column = (a & 4) ? 0 : -1;
    if (a & 8)
        o.timestamp_format = "yyyy/MM/dd HH:mm:ss";
    schema s;
    schema_init(&s);
    schema_add(&s, "_corrupt_record", TYPE_STRING);
    schema_add(&s, "a", TYPE_INT);
    schema_add(&s, "b", TYPE_STRING);
    schema_add(&s, "c", TYPE_DOUBLE);
    schema_add(&s, "d", TYPE_TIMESTAMP);
    schema_add(&s, "e", TYPE_BOOLEAN);
    schema_add(&s, "f", TYPE_BIGINT);
    schema_add(&s, "g", TYPE_DATE);
    uint8_t needed[8];
    for (int i = 0; i < 8; i++)
        needed[i] = (m & 1) ? 1 : (uint8_t)((m >> (i % 7 + 1)) & 1);
    uint32_t step = 1u + (a >> 4);

    size_t len = size - 2;
    char *buf = xmalloc(len ? len : 1);
    memcpy(buf, data + 2, len);
    type_id *types = schema_types(&s);
    batch *b = batch_new((uint32_t)s.n, types, 1);
    parse_cursor cur = {0, 1, false};
    parse_stats st = {0, 0, 0};
    eddy_error err;
    int rc;
    uint32_t limit = 0;
    do {
        limit += step;
        rc = json_read(&o, &s, needed, buf, len, "fuzz", &cur, b, limit, &st, &err);
        if (b->nrows > limit || cur.pos > len)
            abort();
    } while (rc == 1);
    if (rc == 0 && cur.pos != len)
        abort();
    if (rc < 0 && (rc != -EDDY_PARSE || o.mode != PARSE_FAILFAST || err.code != EDDY_PARSE))
        abort();
    if (st.rows != b->nrows || st.dropped > st.malformed)
        abort();
    volatile unsigned sum = 0;
    for (uint32_t c = 0; c < b->ncols; c++) {
        if (b->cols[c].type != TYPE_STRING)
            continue;
        for (uint32_t r = 0; r < b->nrows; r++) {
            strv v = b->cols[c].data.s[r];
            if (!b->cols[c].valid[r] && (v.ptr || v.len))
                abort();
            for (uint32_t i = 0; i < v.len; i++)
                sum += (unsigned char)v.ptr[i];
        }
    }
    batch_free(b);
    free(types);
    free(buf);
    schema_free(&s);
    return 0;
}
