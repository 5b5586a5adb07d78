/* eddy — Apache Spark Structured Streaming semantics in one native library.
 *
 * This is the public C API. Handles are opaque; every _new and _open function has a
 * matching _free or _close. Functions that can fail return 0 on success and a
 * negative eddy_code on failure, and fill the caller's eddy_error (which may be
 * NULL when the caller does not want the text). No function keeps a pointer to
 * an eddy_error after it returns. */
#ifndef EDDY_H
#define EDDY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. Public functions return the negated value (libuv style). */
#define EDDY_ERRNO_MAP(X)                                                     \
    X(OK, 0, "success")                                                       \
    X(USAGE, 1, "usage error")                                                \
    X(SQL, 2, "SQL error")                                                    \
    X(IO, 3, "I/O error")                                                     \
    X(PARSE, 4, "malformed input record")                                     \
    X(RUNTIME, 5, "query failed")                                             \
    X(NOMEM, 6, "out of memory")                                              \
    X(CORRUPT, 7, "corrupt checkpoint")                                       \
    X(STOPPED, 8, "stopped")

typedef enum eddy_code {
#define EDDY_X(name, val, text) EDDY_##name = val,
    EDDY_ERRNO_MAP(EDDY_X)
#undef EDDY_X
} eddy_code;

/* An error as a value: a code and a one-line (for SQL errors: multi-line,
 * with the source line and a caret) message. Owned by the caller; fixed size
 * so it can live on the stack. */
typedef struct eddy_error {
    int code;            /* an eddy_code, EDDY_OK when no error */
    char message[1024];  /* NUL-terminated, may be truncated */
} eddy_error;

/* Short text for a code, e.g. "SQL error". Never NULL; static storage. */
const char *eddy_strerror(int code);

/* Library version string, e.g. "0.1.0". Static storage. */
const char *eddy_version(void);

/* ---- pipelines ------------------------------------------------------------
 * A pipeline is one parsed and bound SQL file: its sources, tables, views and
 * sinks. Every sink is one streaming query. */
typedef struct eddy_pipeline eddy_pipeline;

/* Options for running a pipeline; zero-initialise, then set what you need. */
typedef struct eddy_run_options {
    const char *checkpoint_root; /* --checkpoint DIR, or NULL */
    int available_now;           /* 1: override every trigger with availableNow */
    const char *progress_path;   /* append progress JSON lines here, or NULL */
    int log_level;               /* 0 error, 1 warn, 2 info (default), 3 debug */
    int ui;                      /* 1: serve the web UI and HTTP API while the
                                    queries run (SPEC §7, docs/HTTP.md) */
    const char *ui_host;         /* address to bind: IPv4/IPv6 literal or
                                    "localhost"; NULL means 127.0.0.1 */
    int ui_port;                 /* port; 0 takes any free one. A busy port
                                    makes the next 16 be tried (Spark's
                                    spark.port.maxRetries); the URL used is
                                    logged at info level: "web UI at URL" */
    void (*ui_ready)(void *ctx, const char *url); /* called once the UI
                                    listens, with its URL (e.g.
                                    "http://127.0.0.1:4040/", valid during the
                                    call), before the first batch; or NULL */
    void *ui_ready_ctx;
} eddy_run_options;

/* Parses and binds the SQL text `sql` (NUL-terminated); `file_name` is used
 * in error messages ("file:line:col: error: ..."). `settings` is an array of
 * `nsettings` "key=value" strings applied as SET statements before the text
 * (the CLI's -D). On success *out owns the pipeline (free with
 * eddy_pipeline_free). Returns 0, or -EDDY_SQL with the formatted message
 * (line, source line, caret, nearest-name hint) in err. */
int eddy_pipeline_parse(const char *sql, const char *file_name,
                        const char *const *settings, int nsettings,
                        eddy_pipeline **out, eddy_error *err);

/* Frees a pipeline (running queries must have stopped). NULL is a no-op. */
void eddy_pipeline_free(eddy_pipeline *p);

/* Writes every query's logical and physical plan as text to `out` (a FILE*,
 * typed void* to keep stdio out of this header). Returns 0. */
int eddy_pipeline_explain(const eddy_pipeline *p, void *out);

/* Runs every query of the pipeline in this process until all triggers have
 * finished or eddy_request_stop() is called. Blocks. Returns 0 after a clean
 * stop, -EDDY_RUNTIME (message names query, batch and cause) when a query
 * failed, -EDDY_IO for a missing source path at start or a web UI that
 * could not listen, -EDDY_USAGE for a bad ui_host. With opts->ui the server
 * runs from just before the first batch until every query has stopped. */
int eddy_pipeline_run(eddy_pipeline *p, const eddy_run_options *opts,
                      eddy_error *err);

/* Asks running pipelines to finish their current batch and stop. Safe to call
 * from a signal handler (sets an atomic flag). */
void eddy_request_stop(void);

#ifdef __cplusplus
}
#endif
#endif
