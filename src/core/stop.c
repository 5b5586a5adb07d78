/* Stop flag: an atomic set from signal handlers, polled elsewhere. */
#include "core/stop.h"

#include <signal.h>
#include <time.h>

#include "eddy.h"

static volatile sig_atomic_t stop_flag;

void stop_request(void)
{
    stop_flag = 1;
}

bool stop_requested(void)
{
    return stop_flag != 0;
}

void stop_reset(void)
{
    stop_flag = 0;
}

bool stop_sleep(int64_t us)
{
    while (us > 0 && !stop_flag) {
        int64_t step = us < 20000 ? us : 20000;
        struct timespec ts = {step / 1000000, (step % 1000000) * 1000};
        nanosleep(&ts, NULL);
        us -= step;
    }
    return stop_flag != 0;
}

void eddy_request_stop(void)
{
    stop_request();
}
