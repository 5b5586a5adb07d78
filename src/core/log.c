/* Leveled stderr logging; one fprintf per message so lines do not interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int current_level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(int level)
{
    current_level = level;
}

int log_get_level(void)
{
    return current_level;
}

int log_parse_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    if (strcmp(name, "warning") == 0)
        return LOG_WARN;
    return -1;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "eddy: %s: %s\n", level_names[level], buf);
}
