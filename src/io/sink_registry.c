/* The sink registry: one table line per output format, looked up by the
 * binder from CREATE SINK ... WITH (format = ...), plus output mode names. */
#include "io/sink.h"

#include <pthread.h>
#include <stddef.h>

#include "core/strutil.h"

extern const sink_ops sink_console_ops;
extern const sink_ops sink_memory_ops;
extern const sink_ops sink_csv_ops;
extern const sink_ops sink_json_ops;
extern const sink_ops sink_kafka_ops;

static const sink_ops *const sinks[] = {
    &sink_console_ops,
    &sink_memory_ops,
    &sink_csv_ops,
    &sink_json_ops,
    &sink_kafka_ops,
};

#define NSINKS (sizeof sinks / sizeof sinks[0])

static const char *const mode_names[] = {
    [OUTPUT_APPEND] = "append",
    [OUTPUT_UPDATE] = "update",
    [OUTPUT_COMPLETE] = "complete",
};

const char *output_mode_name(output_mode m)
{
    return (unsigned)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "?";
}

int output_mode_parse(const char *s, output_mode *out)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
        if (str_ieq(s, mode_names[i])) {
            *out = (output_mode)i;
            return 0;
        }
    }
    return -1;
}

const sink_ops *sink_lookup(const char *format)
{
    for (size_t i = 0; i < NSINKS; i++)
        if (str_ieq(format, sinks[i]->name))
            return sinks[i];
    return NULL;
}

static const char *format_names[NSINKS + 1];
static pthread_once_t format_names_once = PTHREAD_ONCE_INIT;

static void format_names_init(void)
{
    for (size_t i = 0; i < NSINKS; i++)
        format_names[i] = sinks[i]->name;
}

const char *const *sink_formats(void)
{
    pthread_once(&format_names_once, format_names_init);
    return format_names;
}
