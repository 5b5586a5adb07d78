/* Simulated input streams for the seeds (SPEC §8). Every file is written to a
 * hidden name (".name.tmp") and renamed, so file sources never see a partial
 * file. Deterministic for a given seed and start time. */
#ifndef GEN_GEN_H
#define GEN_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "eddy.h"

typedef struct gen_options {
    const char *kind;      /* "votes", "events", "accel", "stocks" */
    const char *out_dir;   /* created (with parents) if missing; NULL when
                            * kafka_bootstrap is set */
    const char *kafka_bootstrap; /* votes: produce to Kafka at these
                                  * "host:port,..." servers instead of
                                  * writing files (NULL: files) */
    const char *kafka_topic; /* votes: the topic (NULL: "votes_topic") */
    int kafka_timeout_ms;  /* how long the broker may stay unreachable before
                            * the generator fails (0: 10000 ms) */
    uint64_t seed;         /* --seed (default 42) */
    int64_t interval_us;   /* pause between ticks/files (wall clock); votes 5 s,
                            * events 3 s, accel 5 s, stocks 1 s */
    int ticks;             /* votes, accel, stocks: number of ticks (0 = until
                            * stopped) */
    double sample;         /* votes: fraction of voting-age population (0.005) */
    int files;             /* events: number of files (10; 0 = until stopped) */
    int rows;              /* events: rows per file (10); accel: samples per
                            * participant per tick (200, i.e. 5 s at 40 Hz) */
    int pids;              /* accel: participants, the first N of
                            * gen_accel_pids (3; 1..GEN_ACCEL_NPIDS) */
    int64_t start_time_us; /* timestamp of the first event (0 = now); stocks
                            * use its UTC date */
    double late_fraction;  /* share of rows moved back in event time (0) */
    int64_t max_lateness_us; /* how far back such rows go, uniform in (0, max] */
    int quiet;             /* no progress lines on stderr */
} gen_options;

/* Defaults for a kind (NULL kind: votes): seed 42, start 0, ticks 0;
 * votes interval 5 s, sample 0.005; events interval 3 s, files 10, rows 10;
 * accel interval 5 s, rows 200, pids 3; stocks interval 1 s. */
void gen_options_default(gen_options *o, const char *kind);

/* Writes the stream, sleeping interval_us between ticks, until done or a stop
 * is requested (core/stop.h); a stop lets the file being written finish and
 * returns 0. Exactly one of out_dir and kafka_bootstrap (votes only) must be
 * set. Returns 0, -EDDY_USAGE for an unknown kind or a bad option value,
 * -EDDY_IO when a file cannot be written (message names the file) or the
 * Kafka broker cannot be reached or refuses the messages (message names the
 * servers, the topic and the broker's error). */
int gen_run(const gen_options *o, eddy_error *err);

/* ---- votes (seed 000) ------------------------------------------------- */

typedef struct gen_state {
    const char *name;        /* "California" */
    const char *code;        /* "CA", used in file names */
    int64_t voting_age_pop;  /* residents aged 18 and over, 2020 Census */
} gen_state;

#define GEN_NSTATES 50
/* The 50 states in alphabetical order (District of Columbia excluded). */
extern const gen_state gen_states[GEN_NSTATES];

/* Rows in one state's file per tick: voting_age_pop * sample, rounded to the
 * nearest integer. */
int64_t gen_votes_rows(const gen_state *s, double sample);

/* Votes: one file "votes_<tick>_<code>.json" (tick zero-padded to 6 digits)
 * per state per tick, JSON lines with vote_id, timestamp, state, age_group,
 * candidate. With kafka_bootstrap set, the same records (byte for byte, minus
 * the newline) go to kafka_topic instead, one message each, keyed by the
 * state's name, states in file order; every tick is flushed (all messages
 * acknowledged) before its progress line and the pause. Called by gen_run;
 * same contract. */
int gen_votes_run(const gen_options *o, eddy_error *err);

/* Events: files "event_batch_<i>.csv" with header timestamp,user_id,event.
 * Called by gen_run; same contract. */
int gen_events_run(const gen_options *o, eddy_error *err);

/* ---- accel (seed 002) ------------------------------------------------- */

/* The 13 participants of the Bar Crawl accelerometer data set (UCI,
 * "Bar Crawl: Detecting Heavy Drinking"), in the data set's order. */
#define GEN_ACCEL_NPIDS 13
extern const char *const gen_accel_pids[GEN_ACCEL_NPIDS];

/* Sampling period of every participant's phone: 25 ms (40 Hz). Tick k of a
 * participant holds samples k*rows .. (k+1)*rows-1, sample i at
 * start + i * GEN_ACCEL_STEP_US plus 0-4 ms of jitter, so event time
 * advances by rows * 25 ms per tick whatever the interval. */
#define GEN_ACCEL_STEP_US 25000

/* Accelerometer: one file "accel_<pid>_<tick>.csv" (tick zero-padded to 6
 * digits) per participant per tick, header pid,time,x,y,z; time is
 * "yyyy-MM-dd HH:mm:ss.SSS" UTC, x/y/z in g with 4 decimals: gravity
 * (-1 g) on y, plus a walking (or standing, chosen per tick) periodic
 * component and Gaussian noise. Rows of a file are in time order except the
 * late ones. The start time is truncated to a whole millisecond. Called by
 * gen_run; same contract; -EDDY_USAGE when pids is outside 1..13 or rows < 1. */
int gen_accel_run(const gen_options *o, eddy_error *err);

/* ---- stocks (seed 004) ------------------------------------------------ */

typedef struct gen_stock {
    const char *symbol;     /* KRX 6-digit code, "005930" */
    const char *name;       /* "Samsung Electronics" */
    int64_t first_close;    /* KRW, close of the day before the first tick */
    int64_t daily_volume;   /* shares, typical day */
} gen_stock;

#define GEN_NSTOCKS 10
/* Ten large KOSPI stocks, by market capitalisation (early 2024). */
extern const gen_stock gen_stocks[GEN_NSTOCKS];

/* The KRX price tick (won) for a price in won: 1 below 2,000, then 5, 10,
 * 50, 100, 500, 1,000 at 2,000 / 5,000 / 20,000 / 50,000 / 200,000 /
 * 500,000 (the KOSPI table since January 2023). Every generated price is a
 * multiple of the tick for its own value. */
int64_t gen_stocks_tick_size(int64_t price);

/* Daily stocks: one file "stocks_<tick>_<yyyy-MM-dd>.csv" (tick zero-padded
 * to 6 digits) per tick holding one row per gen_stocks symbol, header
 * date,symbol,open,high,low,close,volume; date "yyyy-MM-dd". Tick 0 is the
 * first weekday on or after the start date, later ticks the following
 * weekdays (holidays are not skipped). Prices are whole won from a random
 * walk (about 2% daily volatility) with low <= min(open, close) and
 * high >= max(open, close); volume >= 1. The walk depends on the seed only,
 * so the late-row options change dates but never prices. Called by gen_run;
 * same contract. */
int gen_stocks_run(const gen_options *o, eddy_error *err);

/* ---- helpers shared by the generators --------------------------------- */

/* xoshiro256** seeded through splitmix64: fast, 2^256 period, and the same
 * sequence on every platform. */
typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

/* Seeds from (seed, stream): different streams of one seed are independent,
 * so each file can have its own. */
void gen_rng_seed(gen_rng *r, uint64_t seed, uint64_t stream);
/* Next 64 random bits. */
uint64_t gen_rng_next(gen_rng *r);
/* Uniform in [0, n), n >= 1 (multiply-shift; bias below 2^-32). */
uint32_t gen_rng_below(gen_rng *r, uint32_t n);
/* Uniform in [0, 1). */
double gen_rng_unit(gen_rng *r);
/* Standard normal (mean 0, deviation 1), Box-Muller from two draws. */
double gen_rng_normal(gen_rng *r);

/* The lateness of the --late-fraction / --max-lateness options: with
 * probability o->late_fraction, a uniform amount in (0, max_lateness_us]
 * (µs, at least 1) by which the row's event time moves back; otherwise 0.
 * Draws from r only when late_fraction > 0, so without late rows a stream
 * is the same as before the options existed. */
int64_t gen_lateness(gen_rng *r, const gen_options *o);

/* A file written atomically: bytes go to "DIR/.NAME.tmp" through a buffer of
 * GEN_FILE_BUF bytes; gen_file_commit flushes, fsyncs and renames it to
 * "DIR/NAME". The buffer is owned by the struct; gen_file_abort (or a failed
 * commit) removes the temporary file and frees it. */
#define GEN_FILE_BUF (1 << 20)
typedef struct gen_file {
    int fd;
    char *buf;    /* GEN_FILE_BUF bytes */
    size_t len;   /* bytes waiting in buf */
    int failed;   /* a write failed; errno_saved says why */
    int errno_saved;
    char tmp_path[4096];
    char path[4096];
} gen_file;

/* Creates the temporary file. Returns 0 or -EDDY_IO. */
int gen_file_open(gen_file *f, const char *dir, const char *name, eddy_error *err);
/* Room for at least `n` (<= GEN_FILE_BUF) more bytes at buf + len, flushing
 * first when needed. Returns the write position; the caller writes there and
 * adds the bytes written to len. Write errors are remembered and reported by
 * gen_file_commit. */
char *gen_file_reserve(gen_file *f, size_t n);
/* Appends n bytes. */
void gen_file_write(gen_file *f, const void *p, size_t n);
/* Flushes, fsyncs, closes and renames into place. Returns 0 or -EDDY_IO
 * (the temporary file is removed). Frees the buffer either way. */
int gen_file_commit(gen_file *f, eddy_error *err);
/* Closes and removes the temporary file, frees the buffer. */
void gen_file_abort(gen_file *f);

/* Creates dir and its parents (mode 0755). Returns 0 or -EDDY_IO. */
int gen_mkdirs(const char *dir, eddy_error *err);
/* fsyncs a directory so renames in it are durable. Errors are ignored: some
 * file systems cannot fsync directories. */
void gen_sync_dir(const char *dir);

/* Formats "yyyy-MM-dd HH:mm:ss" (sep ' ') or "yyyy-MM-ddTHH:mm:ss" (sep 'T')
 * for the second containing `us` into buf (19 bytes, no NUL). Caches the
 * date part of the last day seen in *day_cache (init to INT64_MIN) and
 * date_cache (10 bytes). */
void gen_format_second(int64_t us, char sep, char *buf, int64_t *day_cache,
                       char *date_cache);

#endif
