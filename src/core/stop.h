/* The process-wide stop request (SIGINT/SIGTERM, eddy_request_stop). Polled
 * by the micro-batch loop between batches and by generators between ticks. */
#ifndef CORE_STOP_H
#define CORE_STOP_H

#include <stdbool.h>
#include <stdint.h>

/* Async-signal-safe. */
void stop_request(void);
bool stop_requested(void);
/* Clears the request (tests running several pipelines in one process). */
void stop_reset(void);
/* Sleeps up to `us` µs, returning early (true) when a stop is requested. */
bool stop_sleep(int64_t us);

#endif
