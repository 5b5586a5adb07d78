/* The table of source formats. A new source is one file plus one line here. */
#include <stddef.h>

#include "core/strutil.h"
#include "io/source.h"

extern const source_ops source_csv, source_json, source_text, source_rate, source_kafka;

static const source_ops *const registry[] = {
    &source_csv,
    &source_json,
    &source_text,
    &source_rate,
    &source_kafka,
};

static const char *const names[] = {"csv", "json", "text", "rate", "kafka", NULL};

const source_ops *source_lookup(const char *format)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (str_ieq(registry[i]->name, format))
            return registry[i];
    return NULL;
}

const char *const *source_formats(void)
{
    return names;
}
