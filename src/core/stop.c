/* Stop flag: set from signal handlers and other threads, polled by every
 * query thread. A lock-free C11 atomic, so both uses are defined (a
 * volatile sig_atomic_t is fine for a handler but is a data race between
 * threads, which TSan reported). */
#include "core/stop.h"

#include <stdatomic.h>
#include <time.h>

#include "eddy.h"

static atomic_int stop_flag;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag is set from signal handlers");

void stop_request(void)
{
    atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

bool stop_requested(void)
{
    return atomic_load_explicit(&stop_flag, memory_order_relaxed) != 0;
}

void stop_reset(void)
{
    atomic_store_explicit(&stop_flag, 0, memory_order_relaxed);
}

bool stop_sleep(int64_t us)
{
    while (us > 0 && !stop_requested()) {
        int64_t step = us < 20000 ? us : 20000;
        struct timespec ts = {step / 1000000, (step % 1000000) * 1000};
        nanosleep(&ts, NULL);
        us -= step;
    }
    return stop_requested();
}

void eddy_request_stop(void)
{
    stop_request();
}
