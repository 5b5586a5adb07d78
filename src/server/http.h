/* The web UI's HTTP server (SPEC §7, docs/HTTP.md): libmicrohttpd, one
 * thread per connection, serving the dashboard's embedded assets, the JSON
 * API over a live view (runtime/live.h) and its Server-Sent Events stream.
 * Read-only: GET and HEAD only, and no URL ever maps to a file. */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include "eddy.h"
#include "runtime/live.h"

#define HTTP_PORT_RETRIES 16   /* ports tried after a busy one (Spark's
                                  spark.port.maxRetries) */
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_MAX_EVENT_STREAMS 32 /* more get 503 */
#define HTTP_SLOW_CLIENT_BYTES (1 << 20) /* an event stream whose client has
                                  this much sent but unread is dropped */
#define HTTP_IDLE_TIMEOUT_S 30 /* a connection that moves no byte for this long
                                  (a stalled event stream too) is closed */

typedef struct http_server http_server;

/* Checks host and port as http_start would, without binding: 0, or
 * -EDDY_USAGE with err naming the bad value. */
int http_check(const char *host, int port, eddy_error *err);

/* Starts serving live view l on host:port. host is an IPv4 or IPv6 literal
 * or "localhost" (NULL: 127.0.0.1). port 0 takes any free port; a busy port
 * makes it try the next ones, up to HTTP_PORT_RETRIES more. On success
 * *out is the server (stop with http_stop; l must outlive it). Returns 0, or
 * -EDDY_USAGE for a bad host, -EDDY_IO when no port could be bound or the
 * server did not start, with err saying which ports and why. */
int http_start(live *l, const char *host, int port, http_server **out, eddy_error *err);

/* The URL the server answers on, e.g. "http://127.0.0.1:4040/" (owned by
 * the server). */
const char *http_url(const http_server *s);

/* The port actually bound. */
int http_port(const http_server *s);

/* Stops the server: waits up to 2 s for event streams to send the view's
 * final changes (call live_close first), then closes every connection and
 * joins its threads. NULL is a no-op. */
void http_stop(http_server *s);

#endif
