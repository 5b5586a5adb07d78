/* kafka-mock: a Kafka-protocol broker for tests and demos, built on
 * librdkafka's mock cluster (rdkafka_mock.h). Real clients (kcat, eddy,
 * any librdkafka or Java client) talk to it over TCP on 127.0.0.1.
 *
 *   kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]...
 *
 * Starts N brokers (ids 1..N) on ephemeral ports of 127.0.0.1, creates the
 * topics, prints ONE line on stdout — the bootstrap servers, e.g.
 * "127.0.0.1:41234,127.0.0.1:41235" — and then reads commands from stdin,
 * one per line, answering exactly one line each ("ok" or "error: ..."):
 *
 *   down ID               broker ID stops serving (connections are closed)
 *   up ID                 broker ID serves again
 *   topic NAME PARTITIONS creates a topic
 *   quit                  exits 0
 *
 * End of stdin does not stop it (a test may close its end early); SIGTERM,
 * SIGINT and `quit` exit 0 after destroying the cluster and its client
 * handle. Usage errors exit 2, a cluster that cannot start exits 1.
 *
 * Limits of librdkafka 2.0.2's mock, which tests must live with:
 *   - read_committed consumers are not shielded from aborted transactions:
 *     the mock does not filter aborted messages, so "aborted records are
 *     invisible" cannot be proven here (a real broker is needed);
 *   - transactional offset commits (send_offsets_to_transaction) are
 *     accepted but not stored;
 *   - everything lives in memory, and a partition keeps only its last
 *     ~100k messages / 5 MiB: older ones are deleted as if by retention (the
 *     log start offset moves; measured: 34,041 vote records of ~165 bytes
 *     produced to one partition, the first 9,117 gone). Keep partitions
 *     under that when a test reads from the earliest offset;
 *   - topics must be created up front (here or with `topic`); auto-created
 *     ones get the mock's default partition count;
 *   - the first consumer-group join takes ~3 s, so clients should use
 *     assign() rather than subscribe();
 *   - `down` closes the broker's connections and refuses new ones, but
 *     partition leadership does not move to another broker by itself. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/strutil.h"
#include "gen/mock_cluster.h"

#define MAX_BROKERS 16
#define MAX_PARTITIONS 10000
#define MAX_TOPIC_LEN 249 /* Kafka's limit on topic names */
#define LINE_MAX_BYTES 4096

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static void usage(FILE *f)
{
    fputs("usage: kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]...\n"
          "\n"
          "Starts librdkafka's mock Kafka cluster on 127.0.0.1 (brokers 1..N,\n"
          "default 1), creates the topics (1 partition unless given), prints the\n"
          "bootstrap servers on one line, then answers commands on stdin, one\n"
          "line each (\"ok\" or \"error: ...\"):\n"
          "  down ID | up ID | topic NAME PARTITIONS | quit\n"
          "End of stdin keeps it running; SIGTERM/SIGINT/quit exit 0.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg, const char *hint)
{
    fprintf(stderr, "kafka-mock: ");
    fprintf(stderr, fmt, arg);
    if (hint)
        fprintf(stderr, " (did you mean '%s'?)", hint);
    fputs("\n", stderr);
    usage(stderr);
    return 2;
}

/* Parses a decimal integer in [lo, hi]; 0 on success, -1 otherwise. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Kafka's rule for topic names: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
static int valid_topic(const char *name, size_t len)
{
    if (len == 0 || len > MAX_TOPIC_LEN)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

typedef struct topic_arg {
    char name[MAX_TOPIC_LEN + 1];
    int partitions;
} topic_arg;

/* "NAME[:PARTITIONS]" -> t; 0 or -1 with a message on stderr. */
static int parse_topic_arg(const char *s, topic_arg *t)
{
    const char *colon = strrchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    if (!valid_topic(s, len)) {
        fprintf(stderr,
                "kafka-mock: bad topic name in '%s': 1..249 characters of [a-zA-Z0-9._-]\n", s);
        return -1;
    }
    long p = 1;
    if (colon && parse_int(colon + 1, 1, MAX_PARTITIONS, &p) < 0) {
        fprintf(stderr, "kafka-mock: bad partition count in '%s': want 1..%d\n", s,
                MAX_PARTITIONS);
        return -1;
    }
    memcpy(t->name, s, len);
    t->name[len] = 0;
    t->partitions = (int)p;
    return 0;
}

typedef struct mock {
    mock_cluster *mc;
    int brokers;
} mock;

/* Runs one command line (NUL-terminated, no newline) and prints its answer.
 * Returns 1 when the command was `quit`. */
static int run_command(mock *m, char *line)
{
    char *argv[4];
    int argc = 0;
    for (char *tok = strtok(line, " \t\r"); tok; tok = strtok(NULL, " \t\r")) {
        if (argc == 4) {
            printf("error: too many words\n");
            return 0;
        }
        argv[argc++] = tok;
    }
    if (argc == 0) {
        printf("error: empty command; want down ID | up ID | topic NAME PARTITIONS | quit\n");
        return 0;
    }
    static const char *const cmds[] = {"down", "up", "topic", "quit"};
    const char *cmd = argv[0];
    if (!strcmp(cmd, "quit")) {
        if (argc != 1) {
            printf("error: quit takes no argument\n");
            return 0;
        }
        printf("ok\n");
        return 1;
    }
    if (!strcmp(cmd, "down") || !strcmp(cmd, "up")) {
        long id;
        if (argc != 2) {
            printf("error: usage: %s ID\n", cmd);
            return 0;
        }
        if (parse_int(argv[1], 1, m->brokers, &id) < 0) {
            printf("error: no broker '%s'; brokers are 1..%d\n", argv[1], m->brokers);
            return 0;
        }
        eddy_error err = {0};
        if (mock_cluster_set_broker(m->mc, (int)id, cmd[0] == 'u', &err) != 0)
            printf("error: %s %ld: %s\n", cmd, id, err.message);
        else
            printf("ok\n");
        return 0;
    }
    if (!strcmp(cmd, "topic")) {
        long p;
        if (argc != 3) {
            printf("error: usage: topic NAME PARTITIONS\n");
            return 0;
        }
        if (!valid_topic(argv[1], strlen(argv[1]))) {
            printf("error: bad topic name '%s': 1..249 characters of [a-zA-Z0-9._-]\n", argv[1]);
            return 0;
        }
        if (parse_int(argv[2], 1, MAX_PARTITIONS, &p) < 0) {
            printf("error: bad partition count '%s': want 1..%d\n", argv[2], MAX_PARTITIONS);
            return 0;
        }
        eddy_error err = {0};
        if (mock_cluster_create_topic(m->mc, argv[1], (int)p, &err) != 0)
            printf("error: topic %s: %s\n", argv[1], err.message);
        else
            printf("ok\n");
        return 0;
    }
    const char *hint = str_nearest(cmd, cmds, 4);
    if (hint)
        printf("error: unknown command '%s' (did you mean '%s'?)\n", cmd, hint);
    else
        printf("error: unknown command '%s'; want down ID | up ID | topic NAME PARTITIONS | quit\n",
               cmd);
    return 0;
}

/* The command loop: returns when a signal arrives or `quit` is read. SIGTERM
 * and SIGINT are blocked everywhere except inside ppoll, so the flag cannot be
 * missed between the check and the wait. */
static void serve(mock *m, const sigset_t *wait_mask)
{
    char buf[LINE_MAX_BYTES];
    size_t len = 0;
    int eof = 0, discarding = 0;
    while (!got_signal) {
        struct pollfd pfd = {.fd = eof ? -1 : STDIN_FILENO, .events = POLLIN};
        int n = ppoll(&pfd, 1, NULL, wait_mask);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("kafka-mock: poll");
            return;
        }
        if (eof || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t r = read(STDIN_FILENO, buf + len, sizeof buf - 1 - len);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            eof = 1;
            continue;
        }
        if (r == 0) {
            eof = 1; /* keep serving until a signal */
            continue;
        }
        len += (size_t)r;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
            *nl = 0;
            if (discarding) {
                discarding = 0;
                printf("error: line longer than %d bytes\n", LINE_MAX_BYTES - 2);
            } else if (run_command(m, start)) {
                fflush(stdout);
                return;
            }
            fflush(stdout);
            start = nl + 1;
        }
        len -= (size_t)(start - buf);
        memmove(buf, start, len);
        if (len == sizeof buf - 1) { /* an overlong line: drop it, answer at its end */
            discarding = 1;
            len = 0;
        }
    }
}

int main(int argc, char **argv)
{
    static const char *const opts[] = {"--brokers", "--topic", "--help"};
    long brokers = 1;
    topic_arg *topics = calloc((size_t)argc, sizeof *topics);
    int ntopics = 0;
    if (!topics)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const char *eq = strchr(a, '=');
        char name[32];
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name)
            nlen = sizeof name - 1;
        memcpy(name, a, nlen);
        name[nlen] = 0;
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            usage(stdout);
            free(topics);
            return 0;
        }
        if (strcmp(name, "--brokers") && strcmp(name, "--topic")) {
            free(topics);
            return usage_error("unknown option '%s'", a, str_nearest(name, opts, 3));
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            free(topics);
            return usage_error("%s needs a value", name, NULL);
        }
        if (!strcmp(name, "--brokers")) {
            if (parse_int(val, 1, MAX_BROKERS, &brokers) < 0) {
                free(topics);
                fprintf(stderr, "kafka-mock: --brokers wants 1..%d, got '%s'\n", MAX_BROKERS, val);
                return 2;
            }
        } else if (parse_topic_arg(val, &topics[ntopics++]) < 0) {
            free(topics);
            return 2;
        }
    }

    /* Block the stop signals before librdkafka starts its threads (they
     * inherit the mask); only ppoll in serve() lets them through. */
    sigset_t stop_set, wait_mask;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_set, &wait_mask);
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    mock_topic *mt = xcalloc((size_t)ntopics + 1, sizeof *mt);
    for (int i = 0; i < ntopics; i++)
        mt[i] = (mock_topic){topics[i].name, topics[i].partitions};
    mock m = {.brokers = (int)brokers};
    eddy_error err = {0};
    int rc = mock_cluster_start((int)brokers, mt, ntopics, &m.mc, &err);
    free(mt);
    free(topics);
    if (rc) {
        fprintf(stderr, "kafka-mock: %s\n", err.message);
        return rc == -EDDY_USAGE ? 2 : 1; /* a topic named twice */
    }
    printf("%s\n", mock_cluster_bootstrap(m.mc));
    fflush(stdout);
    serve(&m, &wait_mask);
    mock_cluster_stop(m.mc);
    return 0;
}
