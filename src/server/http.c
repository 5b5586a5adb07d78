/* The web UI's HTTP server (http.h) on libmicrohttpd. */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timefmt.h"
#include "server/assets.h"

#define KEEPALIVE_MS 15000 /* an event stream's comment line after this silence */
#define WAIT_SLICE_MS 1000 /* how often a waiting stream checks its client is there */

struct http_server {
    struct MHD_Daemon *daemon;
    live *l;
    int port;
    bool loopback;      /* bound to 127.0.0.0/8 or ::1 */
    char url[96];
    atomic_int streams; /* open event streams */
    /* The slow-client watchdog: a thread that closes streams whose client
     * has more than HTTP_SLOW_CLIENT_BYTES unread. It must be a thread of
     * its own: while a client reads nothing, MHD waits to write and never
     * calls the stream's reader, so the stream cannot notice by itself. */
    pthread_mutex_t lock;            /* guards the list and `stopping` */
    pthread_cond_t wake;
    struct event_stream *list;       /* open event streams */
    bool stopping;
    pthread_t watchdog;
};

static const char csp[] = "default-src 'self'; style-src 'self'; img-src 'self' data:";

static void common_headers(struct MHD_Response *r, const char *type)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

/* Queues a response whose body is `body` (len bytes; freed by MHD when
 * `owned`, else static). */
static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               const char *body, size_t len, bool owned, bool no_store)
{
    struct MHD_Response *r =
        owned ? MHD_create_response_from_buffer_with_free_callback(len, (void *)body, free)
              : MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free((void *)body);
        return MHD_NO;
    }
    common_headers(r, type);
    if (no_store)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, char *body,
                                    size_t len)
{
    return respond(c, status, "application/json", body, len, true, true);
}

static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    /* msg may echo request bytes that are not UTF-8: never trust it to
     * encode. */
    json_t *m = json_string(msg);
    if (!m)
        m = json_string("not found (the request is not valid UTF-8)");
    json_t *o = json_object();
    json_object_set_new(o, "error", m);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return respond_json(c, status, text, strlen(text));
}

/* ---- Server-Sent Events ------------------------------------------------ */

typedef struct event_stream {
    http_server *s;
    live_cursor *cursor;
    int fd;             /* a dup of the connection's socket (ours to close, so
                           it cannot be reused under us): to notice a client
                           gone or too slow */
    bool dropped;       /* the watchdog shut the socket down */
    struct event_stream *prev, *next; /* s->list */
    char *pending;      /* formatted events not yet handed to MHD */
    size_t len, off;
} event_stream;

/* Bytes written to the socket that the client has not acknowledged yet
 * (SIOCOUTQ), or 0 when unknown. */
static int unsent_bytes(int fd)
{
    int n = 0;
    if (fd < 0 || ioctl(fd, SIOCOUTQ, &n) != 0)
        return 0;
    return n;
}

/* The client closed its end (EOF or an error on a non-blocking peek). */
static bool peer_closed(int fd)
{
    if (fd < 0)
        return false;
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    event_stream *es = cls;
    if (pos == 0) {
        /* Something at once, so the client sees the stream open; and the
         * reconnection delay EventSource should use. */
        static const char hello[] = "retry: 2000\n\n";
        size_t n = sizeof hello - 1 < max ? sizeof hello - 1 : max;
        memcpy(buf, hello, n);
        return (ssize_t)n;
    }
    int waited_ms = 0;
    while (es->off == es->len) {
        free(es->pending);
        es->pending = NULL;
        es->len = es->off = 0;
        int rc = live_cursor_next(es->cursor, WAIT_SLICE_MS, &es->pending, &es->len);
        if (rc < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (rc > 0)
            break;
        /* Nothing new: a client that went away frees its slot now, not at
         * the next event. */
        if (peer_closed(es->fd))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        waited_ms += WAIT_SLICE_MS;
        if (waited_ms >= KEEPALIVE_MS) {
            static const char ping[] = ": keep-alive\n\n";
            size_t n = sizeof ping - 1 < max ? sizeof ping - 1 : max;
            memcpy(buf, ping, n);
            return (ssize_t)n;
        }
    }
    size_t n = es->len - es->off < max ? es->len - es->off : max;
    memcpy(buf, es->pending + es->off, n);
    es->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    event_stream *es = cls;
    http_server *s = es->s;
    pthread_mutex_lock(&s->lock);
    if (es->prev)
        es->prev->next = es->next;
    else if (s->list == es)
        s->list = es->next;
    if (es->next)
        es->next->prev = es->prev;
    pthread_mutex_unlock(&s->lock);
    if (es->fd >= 0)
        close(es->fd);
    atomic_fetch_sub(&s->streams, 1);
    live_cursor_free(es->cursor);
    free(es->pending);
    free(es);
}

static enum MHD_Result open_stream(http_server *s, struct MHD_Connection *c)
{
    if (atomic_fetch_add(&s->streams, 1) >= HTTP_MAX_EVENT_STREAMS) {
        atomic_fetch_sub(&s->streams, 1);
        return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams");
    }
    event_stream *es = xcalloc(1, sizeof *es);
    es->s = s;
    es->cursor = live_cursor_new(s->l);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    es->fd = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
    pthread_mutex_lock(&s->lock);
    es->next = s->list;
    if (s->list)
        s->list->prev = es;
    s->list = es;
    pthread_mutex_unlock(&s->lock);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, es,
                                          stream_free);
    if (!r) {
        stream_free(es);
        return MHD_NO;
    }
    common_headers(r, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* Every 500 ms: shuts down the socket of each stream whose client has more
 * than HTTP_SLOW_CLIENT_BYTES unread, which makes MHD's pending write fail
 * and the connection end (EventSource then reconnects and re-syncs). */
static void *watchdog_main(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += 500 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &t);
        for (event_stream *es = s->list; es && !s->stopping; es = es->next) {
            int unread = unsent_bytes(es->fd);
            if (es->dropped || unread <= HTTP_SLOW_CLIENT_BYTES)
                continue;
            log_debug("web UI: dropping an event stream whose client has %d bytes unread",
                      unread);
            shutdown(es->fd, SHUT_RDWR);
            es->dropped = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- routing ----------------------------------------------------------- */

static const eddy_asset *find_asset(const char *url)
{
    if (strcmp(url, "/") == 0)
        url = "/index.html";
    for (int i = 0; i < eddy_nassets; i++)
        if (strcmp(eddy_assets[i].route, url) == 0)
            return &eddy_assets[i];
    return NULL;
}

/* /api/v1/queries/<name>/progress|result. The name is everything before
 * the last segment: MHD has already decoded %2F, and a quoted SQL name may
 * hold '/'. Nothing here touches a file, so any name is safe to look up. */
static enum MHD_Result query_route(http_server *s, struct MHD_Connection *c, const char *rest)
{
    const char *slash = strrchr(rest, '/');
    if (!slash || slash == rest)
        return respond_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
    char *name = xstrndup(rest, (size_t)(slash - rest));
    const char *what = slash + 1;
    size_t len = 0;
    char *body = NULL;
    enum MHD_Result ret;
    if (strcmp(what, "progress") == 0)
        body = live_progress_json(s->l, name, &len);
    else if (strcmp(what, "result") == 0)
        body = live_result_json(s->l, name, &len);
    else {
        free(name);
        return respond_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint (progress or result)");
    }
    if (body) {
        ret = respond_json(c, MHD_HTTP_OK, body, len);
    } else {
        char msg[320];
        snprintf(msg, sizeof msg, "no query named '%.200s'", name);
        ret = respond_error(c, MHD_HTTP_NOT_FOUND, msg);
    }
    free(name);
    return ret;
}

/* Bound to a loopback address, the server answers only requests naming a
 * loopback host: a web page the user visits cannot read the API through a
 * DNS name rebound to 127.0.0.1 (DNS rebinding). */
static bool host_allowed(const http_server *s, struct MHD_Connection *c)
{
    if (!s->loopback)
        return true;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return true; /* HTTP/1.0 without Host: not a browser */
    size_t n = strlen(host);
    const char *colon = strrchr(host, ':');
    if (colon && !strchr(colon, ']'))
        n = (size_t)(colon - host);
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (int i = 0; i < 3; i++)
        if (strlen(names[i]) == n && strncasecmp(host, names[i], n) == 0)
            return true;
    return false;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    http_server *s = cls;
    if (!host_allowed(s, c))
        return respond_error(c, MHD_HTTP_FORBIDDEN,
                             "the Host header must name 127.0.0.1, localhost or [::1]");
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "read-only: GET and HEAD only");
    if (*upload_size) {
        *upload_size = 0; /* a GET with a body: ignored */
        return MHD_YES;
    }
    static const char queries[] = "/api/v1/queries";
    if (strcmp(url, queries) == 0 || strcmp(url, "/api/v1/queries/") == 0) {
        size_t len;
        char *body = live_queries_json(s->l, &len);
        return respond_json(c, MHD_HTTP_OK, body, len);
    }
    if (strncmp(url, queries, sizeof queries - 1) == 0 && url[sizeof queries - 1] == '/')
        return query_route(s, c, url + sizeof queries);
    if (strcmp(url, "/api/v1/events") == 0)
        return open_stream(s, c);
    const eddy_asset *a = find_asset(url);
    if (!a)
        return respond_error(c, MHD_HTTP_NOT_FOUND, "not found");
    return respond(c, MHD_HTTP_OK, a->content_type, (const char *)a->data, a->len, false, false);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    log_debug("web UI: %s", buf);
}

/* ---- start and stop ---------------------------------------------------- */

static int parse_host(const char *host, struct sockaddr_storage *ss, socklen_t *len, int port)
{
    memset(ss, 0, sizeof *ss);
    if (!host || strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return 0;
    }
    return -1;
}

/* A listening socket on host:port, or -1 with errno. */
static int listen_on(const char *host, int port, int *bound_port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    parse_host(host, &ss, &len, port);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *bound_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

int http_check(const char *host, int port, eddy_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (port < 0 || port > 65535)
        return err_set(err, EDDY_USAGE, "web UI: port %d is out of range", port);
    if (parse_host(host, &ss, &sslen, 0) != 0)
        return err_set(err, EDDY_USAGE,
                       "web UI: --ui-host expects an IP address or localhost, got '%s'", host);
    return 0;
}

int http_start(live *l, const char *host, int port, http_server **out, eddy_error *err)
{
    *out = NULL;
    int rc = http_check(host, port, err);
    if (rc)
        return rc;
    const char *shown = host ? host : "127.0.0.1";
    int fd = -1, bound = 0, tries = port == 0 ? 1 : HTTP_PORT_RETRIES + 1, e = 0;
    for (int i = 0; i < tries && port + i <= 65535; i++) {
        fd = listen_on(host, port + i, &bound);
        if (fd >= 0)
            break;
        e = errno;
        if (e != EADDRINUSE)
            break;
    }
    if (fd < 0) {
        if (e == EADDRINUSE)
            return err_set(err, EDDY_IO,
                           "web UI: ports %d to %d on %s are all in use (choose one with "
                           "--ui-port, or run without the UI: --no-ui)",
                           port, port + tries - 1, shown);
        return err_set(err, EDDY_IO, "web UI: cannot listen on %s:%d: %s", shown, port,
                       strerror(e));
    }
    if (port != 0 && bound != port)
        log_warn("web UI: port %d is in use; using %d", port, bound);
    http_server *s = xcalloc(1, sizeof *s);
    s->l = l;
    s->port = bound;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    struct sockaddr_storage ss;
    socklen_t sslen;
    parse_host(host, &ss, &sslen, bound);
    s->loopback = ss.ss_family == AF_INET
                      ? (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127
                      : IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    bool v6 = strchr(shown, ':') != NULL;
    snprintf(s->url, sizeof s->url, "http://%s%s%s:%d/", v6 ? "[" : "", shown, v6 ? "]" : "",
             bound);
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
            (v6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return err_set(err, EDDY_IO, "web UI: the HTTP server did not start on %s:%d", shown,
                       bound);
    }
    pthread_create(&s->watchdog, NULL, watchdog_main, s);
    *out = s;
    return 0;
}

const char *http_url(const http_server *s)
{
    return s->url;
}

int http_port(const http_server *s)
{
    return s->port;
}

void http_stop(http_server *s)
{
    if (!s)
        return;
    /* Event streams end by themselves once they have sent the closed view's
     * last changes; give them a moment before cutting connections. */
    for (int i = 0; i < 200 && atomic_load(&s->streams) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->watchdog, NULL);
    MHD_stop_daemon(s->daemon);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
