/* Fuzz target for the checkpoint envelope reader: any bytes, read as each
 * kind, must be rejected with a message or give a payload inside the input. */
#include <stdint.h>
#include <stdlib.h>

#include "state/ckpt_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int kind = CKPT_METADATA; kind <= CKPT_SINK; kind++) {
        const uint8_t *payload = NULL;
        size_t plen = 0;
        eddy_error err = {0};
        int rc = ckpt_parse("fuzz", data, size, (ckpt_kind)kind, &payload, &plen, &err);
        if (rc == 0) {
            if (payload < data || payload + plen > data + size)
                abort();
            volatile unsigned sum = 0;
            for (size_t i = 0; i < plen; i++)
                sum += payload[i];
        } else if (rc != -EDDY_CORRUPT || !err.message[0]) {
            abort();
        }
    }
    return 0;
}
