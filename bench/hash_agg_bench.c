/* Micro-benchmark of hash aggregation: rows/s for count(*) and a few other
 * aggregates grouped by low- and high-cardinality keys, fed in 64 Ki-row
 * batches whose key strings each have their own bytes (as a parser's output
 * does). Not part of the tests. Build and run from the repository root:
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -march=native -Iinclude -Isrc \
 *       src/core/arena.c src/core/mem.c src/core/types.c src/core/err.c \
 *       src/exec/agg_registry.c src/exec/agg_basic.c src/exec/agg_stddev.c \
 *       src/exec/agg_hll.c src/exec/hash_agg.c bench/hash_agg_bench.c \
 *       -lxxhash -lm -o /tmp/hash_agg_bench && /tmp/hash_agg_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "exec/agg.h"

#define CHUNK 65536u

typedef struct input {
    uint32_t n;
    column key;   /* STRING or BIGINT */
    column value; /* BIGINT */
    char *bytes;  /* the strings' bytes */
} input;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* n rows whose keys are drawn from `card` distinct values (names like the
 * seeds' candidates when card is small). */
static input make_input(uint32_t n, uint32_t card, type_id kt)
{
    static const char *names[] = {"Kamala Harris", "Donald Trump", "Jill Stein", "Chase Oliver"};
    input in = {.n = n};
    column_init(&in.key, kt, n);
    column_init(&in.value, TYPE_BIGINT, n);
    in.bytes = xmalloc((size_t)n * 24);
    size_t used = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = card <= 4 ? (uint32_t)(rng() % card) : (uint32_t)(rng() % card);
        in.key.valid[i] = 1;
        if (kt == TYPE_STRING) {
            int len = card <= 4 ? snprintf(in.bytes + used, 24, "%s", names[k])
                                : snprintf(in.bytes + used, 24, "user-%u", k);
            in.key.data.s[i].ptr = in.bytes + used;
            in.key.data.s[i].len = (uint32_t)len;
            used += (size_t)len;
        } else {
            in.key.data.i64[i] = (int64_t)k * 2654435761u;
        }
        in.value.valid[i] = i % 10 != 0;
        in.value.data.i64[i] = (int64_t)(rng() % 1000);
    }
    return in;
}

static void free_input(input *in)
{
    column_free(&in->key);
    column_free(&in->value);
    free(in->bytes);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs the whole input through a fresh aggregation `reps` times; returns the
 * best rows/s. */
static double run(const char *label, const input *in, int naggs, const agg_spec *aggs, int reps)
{
    double best = 0;
    uint64_t groups = 0;
    size_t mem = 0;
    for (int r = 0; r < reps; r++) {
        hash_agg *h = hash_agg_new(1, &in->key.type, naggs, aggs);
        double t0 = now();
        for (uint32_t off = 0; off < in->n; off += CHUNK) {
            uint32_t m = in->n - off < CHUNK ? in->n - off : CHUNK;
            column k = in->key, v = in->value;
            k.valid += off;
            k.data.raw = (char *)k.data.raw + (size_t)off * type_width(k.type);
            v.valid += off;
            v.data.i64 += off;
            const column *args[4] = {NULL, &v, &v, &v};
            hash_agg_begin_batch(h);
            hash_agg_update(h, &k, args, m);
        }
        double dt = now() - t0;
        batch *b = hash_agg_output(h, false);
        batch_free(b);
        groups = hash_agg_ngroups(h);
        mem = hash_agg_memory(h);
        hash_agg_free(h);
        double rate = in->n / dt;
        if (rate > best)
            best = rate;
    }
    printf("%-52s %9u rows %8llu groups %8.1f M rows/s %8.1f MiB\n", label, in->n,
           (unsigned long long)groups, best / 1e6, mem / 1048576.0);
    return best;
}

int main(void)
{
    agg_spec count1 = {&agg_count, TYPE_NULL, false, TYPE_BIGINT};
    agg_spec several[4] = {
        {&agg_count, TYPE_NULL, false, TYPE_BIGINT},
        {&agg_sum, TYPE_BIGINT, false, TYPE_BIGINT},
        {&agg_avg, TYPE_BIGINT, false, TYPE_DOUBLE},
        {&agg_max, TYPE_BIGINT, false, TYPE_BIGINT},
    };
    agg_spec distinct[2] = {
        {&agg_count, TYPE_NULL, false, TYPE_BIGINT},
        {&agg_count, TYPE_BIGINT, true, TYPE_BIGINT},
    };
    agg_spec hll[2] = {
        {&agg_count, TYPE_NULL, false, TYPE_BIGINT},
        {NULL, TYPE_BIGINT, false, TYPE_BIGINT},
    };
    hll[1].fn = agg_lookup("approx_count_distinct");

    input a = make_input(2000000, 4, TYPE_STRING);
    input b = make_input(1000000, 3, TYPE_STRING);
    input c = make_input(2000000, 1000000, TYPE_STRING);
    input d = make_input(2000000, 1000000, TYPE_BIGINT);
    input e = make_input(2000000, 1000, TYPE_BIGINT);

    run("count(*) by string, 4 values", &a, 1, &count1, 7);
    run("count(*) by string, 3 values", &b, 1, &count1, 7);
    run("count, sum, avg, max by string, 4 values", &a, 4, several, 5);
    run("count(*), count(DISTINCT v) by string, 4 values", &a, 2, distinct, 3);
    run("count(*), approx_count_distinct(v) by string, 4", &a, 2, hll, 3);
    run("count(*) by bigint, 1000 values", &e, 1, &count1, 5);
    run("count(*) by string, ~865k distinct (1M drawn)", &c, 1, &count1, 3);
    run("count(*) by bigint, ~865k distinct (1M drawn)", &d, 1, &count1, 3);

    free_input(&a);
    free_input(&b);
    free_input(&c);
    free_input(&d);
    free_input(&e);
    return 0;
}
