/* Fuzz target for the checkpoint log readers: any bytes, parsed as a
 * metadata, offset log, commit log or file source log payload, must either
 * be accepted with the fields the runtime reads present and well-typed, or
 * be rejected with -EDDY_CORRUPT and a message. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "io/source.h"
#include "runtime/checkpoint.h"

typedef int (*parse_fn)(const char *path, const uint8_t *data, size_t len, json_t **out,
                        eddy_error *err);

static void check_accepted(int which, const json_t *o)
{
    switch (which) {
    case 0:
        if (!json_is_string(json_object_get(o, "id")))
            abort();
        break;
    case 1:
        if (!json_is_integer(json_object_get(o, "batchId")) ||
            !json_is_integer(json_object_get(o, "batchWatermarkMs")))
            abort();
        break;
    case 2:
        if (!json_is_integer(json_object_get(o, "nextBatchWatermarkMs")))
            abort();
        break;
    case 3: {
        const json_t *files = json_object_get(o, "files");
        for (size_t i = 0; i < json_array_size(files); i++)
            if (!json_is_string(json_array_get(json_array_get(files, i), 0)))
                abort();
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const parse_fn parsers[] = {checkpoint_parse_metadata, checkpoint_parse_offsets,
                                       checkpoint_parse_commit, file_source_log_parse};
    for (int i = 0; i < 4; i++) {
        json_t *out = NULL;
        eddy_error err = {0};
        int rc = parsers[i]("fuzz", data, size, &out, &err);
        if (rc == 0) {
            if (!out)
                abort();
            check_accepted(i, out);
            json_decref(out);
        } else if (rc != -EDDY_CORRUPT || !err.message[0] || out) {
            abort();
        }
    }
    return 0;
}
