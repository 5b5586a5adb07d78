/* Option lists. */
#include "core/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/strutil.h"

void options_init(options *o)
{
    o->n = 0;
    o->kv = NULL;
}

void options_free(options *o)
{
    for (int i = 0; i < o->n; i++) {
        free(o->kv[i].key);
        free(o->kv[i].value);
    }
    free(o->kv);
    options_init(o);
}

void options_copy(options *dst, const options *src)
{
    options_init(dst);
    for (int i = 0; i < src->n; i++)
        options_set(dst, src->kv[i].key, src->kv[i].value, src->kv[i].line, src->kv[i].col);
}

const option_kv *options_find(const options *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (str_ieq(o->kv[i].key, key))
            return &o->kv[i];
    return NULL;
}

void options_set(options *o, const char *key, const char *value, int line, int col)
{
    option_kv *kv = (option_kv *)options_find(o, key);
    if (!kv) {
        o->kv = xrealloc(o->kv, (size_t)(o->n + 1) * sizeof *o->kv);
        kv = &o->kv[o->n++];
        kv->key = xstrdup(key);
    } else {
        free(kv->value);
    }
    kv->value = xstrdup(value);
    kv->line = line;
    kv->col = col;
}

const char *options_get(const options *o, const char *key)
{
    const option_kv *kv = options_find(o, key);
    return kv ? kv->value : NULL;
}

int options_bool(const options *o, const char *key, bool dflt, bool *out, eddy_error *err)
{
    const char *v = options_get(o, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (str_ieq(v, "true")) {
        *out = true;
        return 0;
    }
    if (str_ieq(v, "false")) {
        *out = false;
        return 0;
    }
    return err_set(err, EDDY_SQL, "option '%s': expected true or false, got '%s'", key, v);
}

int options_int(const options *o, const char *key, int64_t dflt, int64_t *out, eddy_error *err)
{
    const char *v = options_get(o, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return err_set(err, EDDY_SQL, "option '%s': expected an integer, got '%s'", key, v);
    *out = x;
    return 0;
}

int options_char(const options *o, const char *key, char dflt, char *out, eddy_error *err)
{
    const char *v = options_get(o, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (v[0] == 0) {
        *out = 0;
        return 0;
    }
    if (strcmp(v, "\\t") == 0 || strcmp(v, "\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (v[1] == 0) {
        *out = v[0];
        return 0;
    }
    return err_set(err, EDDY_SQL, "option '%s': expected a single character, got '%s'", key, v);
}

int options_first_unknown(const options *o, const char *const *known,
                          const char *const *prefixes)
{
    for (int i = 0; i < o->n; i++) {
        bool ok = false;
        for (int k = 0; known && known[k] && !ok; k++)
            ok = str_ieq(o->kv[i].key, known[k]);
        for (int k = 0; prefixes && prefixes[k] && !ok; k++)
            ok = strncasecmp(o->kv[i].key, prefixes[k], strlen(prefixes[k])) == 0;
        if (!ok)
            return i;
    }
    return -1;
}
