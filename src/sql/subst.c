/* Variable substitution in option values (subst.h). */
#include "sql/subst.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/strutil.h"
#include "core/valuefmt.h"
#include "sql/parser.h"

/* The variables known at a statement: the presets, then the file's SETs so
 * far (the last one of a name wins, as in options_get). */
typedef struct vars {
    const options *presets;
    const ast_file *ast;
    int upto; /* statements before this index count */
} vars;

static const char *var_get(const vars *v, const char *name, size_t n)
{
    char *key = xstrndup(name, n);
    const char *val = NULL;
    for (int i = v->upto - 1; i >= 0 && !val; i--) {
        const ast_stmt *st = &v->ast->stmts[i];
        if (st->kind == STMT_SET && str_ieq(st->name, key))
            val = st->value;
    }
    if (!val)
        val = options_get(v->presets, key);
    free(key);
    return val;
}

/* The nearest known variable name to `name`, for the hint. */
static const char *var_nearest(const vars *v, const char *name)
{
    int cap = v->upto + v->presets->n + 1, n = 0;
    const char **names = xmalloc(sizeof *names * (size_t)cap);
    for (int i = 0; i < v->upto; i++)
        if (v->ast->stmts[i].kind == STMT_SET)
            names[n++] = v->ast->stmts[i].name;
    for (int i = 0; i < v->presets->n; i++)
        names[n++] = v->presets->kv[i].key;
    const char *near = n ? str_nearest(name, names, n) : NULL;
    free(names);
    return near;
}

/* Expands one value into out; on an unknown variable returns -1 with its
 * name in *bad (malloc'd). */
static int expand(const vars *v, const char *in, textbuf *out, char **bad)
{
    for (const char *p = in; *p;) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            textbuf_puts(out, "${");
            p += 3;
            continue;
        }
        const char *close = p[0] == '$' && p[1] == '{' ? strchr(p + 2, '}') : NULL;
        if (!close) {
            textbuf_putc(out, *p++);
            continue;
        }
        const char *name = p + 2;
        size_t n = (size_t)(close - name);
        const char *val = NULL;
        if (n > 4 && strncmp(name, "env:", 4) == 0) {
            char *env = xstrndup(name + 4, n - 4);
            val = getenv(env);
            free(env);
        } else {
            val = var_get(v, name, n);
        }
        if (!val) {
            *bad = xstrndup(name, n);
            return -1;
        }
        textbuf_puts(out, val);
        p = close + 1;
    }
    return 0;
}

int sql_substitute_options(ast_file *ast, const char *text, const char *file_name,
                           const options *presets, eddy_error *err)
{
    vars v = {presets, ast, 0};
    for (int i = 0; i < ast->nstmts; i++) {
        ast_stmt *st = &ast->stmts[i];
        v.upto = i;
        for (int k = 0; k < st->opts.n; k++) {
            option_kv *kv = &st->opts.kv[k];
            if (!kv->value || !strstr(kv->value, "${"))
                continue;
            textbuf out;
            textbuf_init(&out);
            textbuf_reserve(&out, 0);
            char *bad = NULL;
            if (expand(&v, kv->value, &out, &bad) != 0) {
                textbuf_free(&out);
                int line = kv->line ? kv->line : st->line, col = kv->line ? kv->col : st->col;
                int rc;
                if (strncmp(bad, "env:", 4) == 0)
                    rc = sql_error_at(err, text, file_name, line, col, (int)strlen(kv->key), NULL,
                                      "option '%s': the environment variable '%s' is not set",
                                      kv->key, bad + 4);
                else
                    rc = sql_error_at(err, text, file_name, line, col, (int)strlen(kv->key),
                                      var_nearest(&v, bad),
                                      "option '%s': unknown variable '%s' (set it with -D %s=... "
                                      "or SET %s = ...)",
                                      kv->key, bad, bad, bad);
                free(bad);
                return rc;
            }
            free(kv->value);
            kv->value = out.data;
        }
    }
    return 0;
}
