/* The eddy command: a thin user of the library (include/eddy.h). Parses the
 * command line of SPEC §1 and dispatches to run, explain, gen, demo, version. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/stop.h"
#include "core/strutil.h"
#include "eddy.h"

static void usage(FILE *f)
{
    fputs("usage:\n"
          "  eddy run PIPELINE.sql [options]   run every sink (= streaming query) of the file\n"
          "  eddy explain PIPELINE.sql         print each query's logical and physical plan\n"
          "  eddy gen KIND --out DIR [options] write a simulated input stream\n"
          "                                    (votes, events, accel, stocks)\n"
          "  eddy demo [NAME]                  generator + pipeline + dashboard in one command\n"
          "                                    (votes, kafka, accel, stocks)\n"
          "  eddy version\n"
          "\n"
          "run options:\n"
          "  --checkpoint DIR     root of checkpoints\n"
          "  --available-now      process all data present at start, then exit 0\n"
          "  --ui-port N          web UI and HTTP API port (default 4040; 0: any free port)\n"
          "  --ui-host H          address the web UI binds (default 127.0.0.1)\n"
          "  --no-ui              no web UI\n"
          "  --log-level L        error, warn, info (default), debug\n"
          "  --progress FILE      append every progress report to FILE as JSON lines\n"
          "  -D key=value         same as SET key = value; before the file runs\n",
          f);
}

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
    if (signals_seen++) {
        static const char msg[] = "eddy: second signal, exiting now\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(130);
    }
    stop_request();
}

void cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len <= 1) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static int exit_status_for(int rc)
{
    switch (-rc) {
    case EDDY_OK: return 0;
    case EDDY_USAGE:
    case EDDY_SQL: return 2;
    default: return 1;
    }
}

int cli_run_sql(const char *sql, const char *file_name, const char *const *settings,
                int nsettings, const eddy_run_options *run_options)
{
    eddy_error err = {0};
    eddy_pipeline *p;
    int rc = eddy_pipeline_parse(sql, file_name, settings, nsettings, &p, &err);
    if (rc) {
        fprintf(stderr, "%s\n", err.message);
        return exit_status_for(rc);
    }
    rc = eddy_pipeline_run(p, run_options, &err);
    eddy_pipeline_free(p);
    if (rc) {
        fprintf(stderr, "eddy: error: %s\n", err.message);
        return exit_status_for(rc);
    }
    return 0;
}

static const char *const run_flags[] = {"--checkpoint", "--available-now", "--ui-port",
                                        "--ui-host",    "--no-ui",         "--log-level",
                                        "--progress",   "-D",              NULL};

static int bad_flag(const char *arg)
{
    int n = 0;
    while (run_flags[n])
        n++;
    const char *near = str_nearest(arg, run_flags, n);
    if (near)
        fprintf(stderr, "eddy: unknown option '%s'; did you mean '%s'?\n", arg, near);
    else
        fprintf(stderr, "eddy: unknown option '%s'\n", arg);
    usage(stderr);
    return 2;
}

static int cmd_run(int argc, char **argv, bool explain_only)
{
    const char *file = NULL;
    eddy_run_options ro = {0};
    ro.log_level = LOG_INFO;
    ro.ui = 1;
    ro.ui_port = 4040;
    const char **settings = xcalloc((size_t)argc, sizeof(char *));
    int nsettings = 0;
    int status = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        bool takes = strcmp(a, "--checkpoint") == 0 || strcmp(a, "--ui-port") == 0 ||
                     strcmp(a, "--ui-host") == 0 || strcmp(a, "--log-level") == 0 ||
                     strcmp(a, "--progress") == 0 || strcmp(a, "-D") == 0;
        if (takes) {
            if (i + 1 >= argc) {
                fprintf(stderr, "eddy: option '%s' needs a value\n", a);
                goto out;
            }
            val = argv[++i];
        } else if (strncmp(a, "-D", 2) == 0 && a[2]) {
            settings[nsettings++] = a + 2;
            continue;
        }
        if (strcmp(a, "--checkpoint") == 0) {
            ro.checkpoint_root = val;
        } else if (strcmp(a, "--available-now") == 0) {
            ro.available_now = 1;
        } else if (strcmp(a, "--ui-port") == 0) {
            char *end;
            long port = strtol(val, &end, 10);
            if (!*val || *end || port < 0 || port > 65535) {
                fprintf(stderr,
                        "eddy: --ui-port expects a port number (0 for any free port), got '%s'\n",
                        val);
                goto out;
            }
            ro.ui_port = (int)port;
        } else if (strcmp(a, "--ui-host") == 0) {
            ro.ui_host = val;
        } else if (strcmp(a, "--no-ui") == 0) {
            ro.ui = 0;
        } else if (strcmp(a, "--log-level") == 0) {
            int lvl = log_parse_level(val);
            if (lvl < 0) {
                static const char *const levels[] = {"error", "warn", "info", "debug"};
                const char *near = str_nearest(val, levels, 4);
                fprintf(stderr, "eddy: unknown log level '%s'%s%s%s (error, warn, info, debug)\n",
                        val, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
                goto out;
            }
            ro.log_level = lvl;
        } else if (strcmp(a, "--progress") == 0) {
            ro.progress_path = val;
        } else if (strcmp(a, "-D") == 0) {
            settings[nsettings++] = val;
        } else if (a[0] == '-' && a[1]) {
            status = bad_flag(a);
            goto out;
        } else if (!file) {
            file = a;
        } else {
            fprintf(stderr, "eddy: unexpected argument '%s'\n", a);
            goto out;
        }
    }
    if (!file) {
        fprintf(stderr, "eddy: %s needs a pipeline file\n", argv[0]);
        usage(stderr);
        goto out;
    }
    log_set_level(ro.log_level);
    char *sql = read_file(file);
    if (!sql) {
        fprintf(stderr, "eddy: cannot read '%s': %s\n", file, strerror(errno));
        goto out;
    }
    if (explain_only) {
        eddy_error err = {0};
        eddy_pipeline *p;
        int rc = eddy_pipeline_parse(sql, file, settings, nsettings, &p, &err);
        if (rc) {
            fprintf(stderr, "%s\n", err.message);
            status = exit_status_for(rc);
        } else {
            eddy_pipeline_explain(p, stdout);
            eddy_pipeline_free(p);
            status = 0;
        }
    } else {
        cli_install_signals();
        status = cli_run_sql(sql, file, settings, nsettings, &ro);
    }
    free(sql);
out:
    free(settings);
    return status;
}

int main(int argc, char **argv)
{
    /* Column vectors of 64 Ki rows are allocated and freed every chunk; keep
     * them on the heap instead of fresh zeroed mmaps each time. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1, false);
    if (strcmp(cmd, "explain") == 0)
        return cmd_run(argc - 1, argv + 1, true);
    if (strcmp(cmd, "gen") == 0)
        return cmd_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("eddy %s\n", eddy_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    static const char *const cmds[] = {"run", "explain", "gen", "demo", "version"};
    const char *near = str_nearest(cmd, cmds, 5);
    if (near)
        fprintf(stderr, "eddy: unknown command '%s'; did you mean '%s'?\n", cmd, near);
    else
        fprintf(stderr, "eddy: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
