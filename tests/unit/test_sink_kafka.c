/* Unit tests for the kafka sink against an in-process librdkafka mock
 * cluster, for what the command-line mock cannot show: a fenced producer
 * (the 2.0.2 mock never fences by itself, so the broker's answer is
 * injected with rd_kafka_mock_push_request_errors) fails the batch and every
 * later one with a message that says so; a message the broker refuses fails
 * the batch with the broker's error; and option errors at open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "core/options.h"
#include "core/types.h"
#include "io/sink.h"

/* Kafka protocol API keys (rdkafka_mock.h takes them as plain numbers; the
 * RD_KAFKAP_* names are not in the public headers). */
#define API_PRODUCE 0
#define API_END_TXN 26

typedef struct fixture {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
    char bootstrap[256];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char why[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", why, sizeof why);
    f->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    assert_non_null(f->rk);
    f->mc = rd_kafka_mock_cluster_new(f->rk, 1);
    assert_non_null(f->mc);
    assert_int_equal(rd_kafka_mock_topic_create(f->mc, "t", 1, 1), 0);
    snprintf(f->bootstrap, sizeof f->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(f->mc));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rd_kafka_mock_cluster_destroy(f->mc);
    rd_kafka_destroy(f->rk);
    free(f);
    return 0;
}

/* (value STRING) result schema with `n` rows "v0".."v{n-1}". */
static batch *values(const schema *s, int n, char (*text)[16])
{
    type_id *types = schema_types(s);
    batch *b = batch_new((uint32_t)s->n, types, (uint32_t)n);
    free(types);
    for (int r = 0; r < n; r++) {
        snprintf(text[r], 16, "v%d", r);
        value v = {.type = TYPE_STRING, .v.s = {text[r], (uint32_t)strlen(text[r])}};
        column_set(&b->cols[0], (uint32_t)r, &v);
    }
    b->nrows = (uint32_t)n;
    return b;
}

/* Opens the kafka sink on a (value STRING) schema with the given extra
 * options (key/value pairs, NULL-terminated). Returns open's result. */
static int open_sink(const char *bootstrap, const char *const *kv, const char *col,
                     type_id col_type, void **st, eddy_error *err)
{
    const sink_ops *ops = sink_lookup("kafka");
    assert_non_null(ops);
    options o;
    options_init(&o);
    options_set(&o, "format", "kafka", 0, 0);
    if (bootstrap)
        options_set(&o, "kafka.bootstrap.servers", bootstrap, 0, 0);
    for (int i = 0; kv && kv[i]; i += 2)
        options_set(&o, kv[i], kv[i + 1], 0, 0);
    schema s;
    schema_init(&s);
    schema_add(&s, "value", TYPE_STRING);
    if (col)
        schema_add(&s, col, col_type);
    sink_open_args a = {.query_name = "q", .opts = &o, .schema = &s, .mode = OUTPUT_APPEND};
    int rc = ops->open(&a, st, err);
    options_free(&o);
    schema_free(&s);
    return rc;
}

static int add(void *st, int64_t id, int n, eddy_error *err)
{
    const sink_ops *ops = sink_lookup("kafka");
    schema s;
    schema_init(&s);
    schema_add(&s, "value", TYPE_STRING);
    char text[16][16];
    batch *b = values(&s, n, text);
    int rc = ops->add_batch(st, id, &b, 1, err);
    batch_free(b);
    schema_free(&s);
    return rc;
}

static void test_fenced_producer_fails_clearly(void **state)
{
    fixture *f = *state;
    const sink_ops *ops = sink_lookup("kafka");
    static const char *const kv[] = {"topic", "t", "kafka.transactional.id", "unit-fence", NULL};
    void *st = NULL;
    eddy_error err = {0};
    assert_int_equal(open_sink(f->bootstrap, kv, NULL, TYPE_NULL, &st, &err), 0);
    assert_int_equal(ops->recover(st, "00000000-0000-4000-8000-000000000000", NULL, &err), 0);
    assert_int_equal(add(st, 0, 3, &err), 0);
    /* Another instance bumped the epoch: the broker answers the commit
     * with PRODUCER_FENCED. */
    rd_kafka_mock_push_request_errors(f->mc, API_END_TXN, 1,
                                      RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
    int rc = add(st, 1, 2, &err);
    assert_int_equal(rc, -EDDY_IO);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "fenced"));
    assert_non_null(strstr(err.message, "transactional.id 'unit-fence'"));
    assert_non_null(strstr(err.message, "kafka sink 'q', batch 1"));
    /* A fenced producer is done for: the next batch fails as clearly. */
    memset(&err, 0, sizeof err);
    assert_int_equal(add(st, 2, 1, &err), -EDDY_IO);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "fenced"));
    ops->close(st);
}

static void test_refused_message_fails_batch(void **state)
{
    fixture *f = *state;
    const sink_ops *ops = sink_lookup("kafka");
    static const char *const kv[] = {"topic", "t", NULL};
    void *st = NULL;
    eddy_error err = {0};
    assert_int_equal(open_sink(f->bootstrap, kv, NULL, TYPE_NULL, &st, &err), 0);
    assert_int_equal(add(st, 0, 2, &err), 0);
    rd_kafka_mock_push_request_errors(f->mc, API_PRODUCE, 1,
                                      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    assert_int_equal(add(st, 1, 2, &err), -EDDY_IO);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "kafka sink 'q', batch 1: 2 of 2 messages not delivered"));
    assert_non_null(strstr(err.message, "topic 't' partition 0"));
    assert_non_null(strstr(err.message, "uthoriz"));
    ops->close(st);
}

static void test_open_errors(void **state)
{
    (void)state;
    void *st = NULL;
    eddy_error err = {0};
    assert_int_equal(open_sink(NULL, NULL, NULL, TYPE_NULL, &st, &err), -EDDY_SQL);
    assert_non_null(strstr(err.message, "'kafka.bootstrap.servers' must be specified"));
    assert_int_equal(open_sink("127.0.0.1:1", NULL, NULL, TYPE_NULL, &st, &err), -EDDY_SQL);
    assert_non_null(strstr(err.message, "topic option required"));
    static const char *const ser[] = {"topic", "t", "kafka.value.serializer", "x", NULL};
    assert_int_equal(open_sink("127.0.0.1:1", ser, NULL, TYPE_NULL, &st, &err), -EDDY_SQL);
    assert_non_null(strstr(err.message, "'value.serializer' is not supported"));
    assert_int_equal(open_sink("127.0.0.1:1", NULL, "topic", TYPE_INT, &st, &err), -EDDY_SQL);
    assert_non_null(strstr(err.message, "topic attribute unsupported type int"));
    static const char *const t[] = {"topic", "t", NULL};
    assert_int_equal(open_sink("127.0.0.1:1", t, "partition", TYPE_STRING, &st, &err),
                     -EDDY_SQL);
    assert_non_null(strstr(err.message, "partition attribute unsupported type string"));
    static const char *const bad[] = {"topic", "t", "kafka.linger.ms", "soon", NULL};
    assert_int_equal(open_sink("127.0.0.1:1", bad, NULL, TYPE_NULL, &st, &err), -EDDY_SQL);
    assert_non_null(strstr(err.message, "option 'kafka.linger.ms'"));
    /* A topic column alone is enough (no topic option). */
    assert_int_equal(open_sink("127.0.0.1:1", NULL, "topic", TYPE_STRING, &st, &err), 0);
    sink_lookup("kafka")->close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fenced_producer_fails_clearly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_message_fails_batch, setup, teardown),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
