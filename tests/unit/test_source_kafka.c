/* Unit tests for the Kafka source's parts that need no broker: option
 * checks (Spark's refused consumer options, the topic strategies, offsets
 * JSON, librdkafka's own errors), the option-dependent schema, progress
 * descriptions, and the bounded wait when no broker answers. The source
 * against a broker is tested end to end in tests/e2e/test_kafka_source.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/options.h"
#include "core/types.h"
#include "io/source.h"

static const source_ops *kafka(void)
{
    const source_ops *ops = source_lookup("Kafka");
    assert_non_null(ops);
    return ops;
}

/* Options from "key=value" strings after bootstrap servers and subscribe. */
static void opts_of(options *o, const char *const *kv)
{
    options_init(o);
    options_set(o, "format", "kafka", 0, 0);
    options_set(o, "kafka.bootstrap.servers", "127.0.0.1:1", 0, 0);
    for (int i = 0; kv && kv[i]; i++) {
        const char *eq = strchr(kv[i], '=');
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv[i]), kv[i]);
        options_set(o, key, eq + 1, 0, 0);
    }
}

/* check_options' result for the options; *msg and *key receive the error. */
static int check(const char *const *kv, char *msg, const char **key)
{
    options o;
    opts_of(&o, kv);
    eddy_error err;
    memset(&err, 0, sizeof err);
    *key = NULL;
    int rc = kafka()->check_options(&o, key, &err);
    strcpy(msg, rc ? err.message : "");
    static char keep[128];
    if (*key) {
        snprintf(keep, sizeof keep, "%s", *key);
        *key = keep;
    }
    options_free(&o);
    return rc;
}

static void test_valid_options(void **state)
{
    char msg[1024];
    const char *key;
    const char *a[] = {"subscribe=votes_topic, other", "startingOffsets=earliest",
                       "maxOffsetsPerTrigger=1000", "failOnDataLoss=false",
                       "kafka.fetch.wait.max.ms=50", "valueFormat=csv", "sep=;", NULL};
    assert_int_equal(check(a, msg, &key), 0);
    const char *b[] = {"assign={\"t\":[0,1]}", "startingOffsets={\"t\":{\"0\":23,\"1\":-2}}", NULL};
    assert_int_equal(check(b, msg, &key), 0);
    const char *c[] = {"subscribePattern=votes_.*", "startingOffsets=latest", NULL};
    assert_int_equal(check(c, msg, &key), 0);
}

static void test_refused_options(void **state)
{
    static const char *const refused[] = {"group.id", "auto.offset.reset", "key.deserializer",
                                          "value.deserializer", "enable.auto.commit",
                                          "interceptor.classes"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char kv[80], want[120], msg[1024];
        const char *key;
        snprintf(kv, sizeof kv, "kafka.%s=x", refused[i]);
        const char *a[] = {"subscribe=t", kv, NULL};
        assert_int_equal(check(a, msg, &key), -EDDY_SQL);
        snprintf(want, sizeof want, "Kafka option '%s' is not supported: ", refused[i]);
        assert_memory_equal(msg, want, strlen(want));
        assert_string_equal(key + 6, refused[i]);
    }
}

static void test_bad_options(void **state)
{
    char msg[1024];
    const char *key;
    const char *none[] = {NULL};
    assert_int_equal(check(none, msg, &key), -EDDY_SQL);
    assert_string_equal(msg, "one of the options 'subscribe', 'subscribePattern' or 'assign' "
                             "must be specified for the kafka source");
    const char *two[] = {"subscribe=t", "subscribePattern=t.*", NULL};
    assert_int_equal(check(two, msg, &key), -EDDY_SQL);
    assert_non_null(strstr(msg, "only one of the options"));
    const char *asg[] = {"assign=[0,1]", NULL};
    assert_int_equal(check(asg, msg, &key), -EDDY_SQL);
    assert_string_equal(key, "assign");
    const char *so[] = {"subscribe=t", "startingOffsets={\"t\":{\"x\":1}}", NULL};
    assert_int_equal(check(so, msg, &key), -EDDY_SQL);
    assert_non_null(strstr(msg, "partitions are given as numbers in quotes"));
    const char *so2[] = {"subscribe=t", "startingOffsets={\"t\":{\"0\":-3}}", NULL};
    assert_int_equal(check(so2, msg, &key), -EDDY_SQL);
    assert_non_null(strstr(msg, "-2 (earliest) or -1 (latest)"));
    const char *so3[] = {"assign={\"t\":[0,1]}", "startingOffsets={\"t\":{\"0\":5}}", NULL};
    assert_int_equal(check(so3, msg, &key), -EDDY_SQL);
    assert_string_equal(msg, "option 'startingOffsets': the partitions it gives must be exactly "
                             "the ones in 'assign'");
    const char *vf[] = {"subscribe=t", "valueFormat=avro", NULL};
    assert_int_equal(check(vf, msg, &key), -EDDY_SQL);
    assert_string_equal(msg, "option 'valueFormat': expected json, csv or raw, got 'avro'");
    const char *sep[] = {"subscribe=t", "sep=;", NULL};
    assert_int_equal(check(sep, msg, &key), -EDDY_SQL);
    assert_string_equal(msg, "option 'sep' only applies with valueFormat = 'csv'");
    const char *mo[] = {"subscribe=t", "maxOffsetsPerTrigger=-5", NULL};
    assert_int_equal(check(mo, msg, &key), -EDDY_SQL);
    assert_string_equal(key, "maxOffsetsPerTrigger");
    const char *re[] = {"subscribePattern=a(b", NULL};
    assert_int_equal(check(re, msg, &key), -EDDY_SQL);
    assert_non_null(strstr(msg, "not a valid POSIX extended regular expression"));
    const char *unk[] = {"subscribe=t", "kafka.no.such.thing=1", NULL};
    assert_int_equal(check(unk, msg, &key), -EDDY_SQL);
    assert_string_equal(msg, "option 'kafka.no.such.thing': No such configuration property: "
                             "\"no.such.thing\"");
    assert_string_equal(key, "kafka.no.such.thing");
}

static void test_option_schema(void **state)
{
    options o;
    const char *raw[] = {"subscribe=t", "valueFormat=raw", NULL};
    opts_of(&o, raw);
    schema fixed, hidden;
    schema_init(&fixed);
    schema_init(&hidden);
    kafka()->option_schema(&o, &fixed, &hidden);
    assert_int_equal(fixed.n, 6);
    assert_int_equal(hidden.n, 0);
    assert_string_equal(fixed.fields[0].name, "key");
    assert_int_equal(fixed.fields[3].type, TYPE_INT);
    assert_int_equal(fixed.fields[5].type, TYPE_TIMESTAMP);
    schema_free(&fixed);
    options_free(&o);
    const char *js[] = {"subscribe=t", NULL};
    opts_of(&o, js);
    schema_init(&fixed);
    kafka()->option_schema(&o, &fixed, &hidden);
    assert_int_equal(fixed.n, 0);
    assert_int_equal(hidden.n, 5);
    assert_string_equal(hidden.fields[0].name, "_key");
    assert_string_equal(hidden.fields[4].name, "_timestamp");
    assert_int_equal(hidden.fields[3].type, TYPE_BIGINT);
    schema_free(&fixed);
    schema_free(&hidden);
    options_free(&o);
}

/* Opens the source with a json value schema (c STRING + metadata). */
static void *open_source(const char *const *kv, options *o, schema *s)
{
    opts_of(o, kv);
    schema_init(s);
    schema_add(s, "c", TYPE_STRING);
    schema fixed, hidden;
    schema_init(&fixed);
    schema_init(&hidden);
    kafka()->option_schema(o, &fixed, &hidden);
    for (int i = 0; i < hidden.n; i++)
        schema_add(s, hidden.fields[i].name, hidden.fields[i].type);
    schema_free(&fixed);
    schema_free(&hidden);
    source_open_args a = {.name = "k", .opts = o, .schema = s};
    void *st = NULL;
    eddy_error err;
    assert_int_equal(kafka()->open(&a, &st, &err), 0);
    return st;
}

static void test_describe(void **state)
{
    options o;
    schema s;
    const char *a[] = {"subscribe=votes_topic,b", NULL};
    void *st = open_source(a, &o, &s);
    assert_string_equal(kafka()->describe(st), "KafkaV2[Subscribe[votes_topic, b]]");
    kafka()->close(st);
    options_free(&o);
    schema_free(&s);
    const char *b[] = {"assign={\"t\":[0,1]}", NULL};
    st = open_source(b, &o, &s);
    assert_string_equal(kafka()->describe(st), "KafkaV2[Assign[t-0, t-1]]");
    kafka()->close(st);
    options_free(&o);
    schema_free(&s);
    const char *c[] = {"subscribePattern=v.*", NULL};
    st = open_source(c, &o, &s);
    assert_string_equal(kafka()->describe(st), "KafkaV2[SubscribePattern[v.*]]");
    kafka()->close(st);
    options_free(&o);
    schema_free(&s);
}

/* No broker at 127.0.0.1:1: planning gives up after pollTimeoutMs with a
 * message that says so. */
static void test_unreachable(void **state)
{
    options o;
    schema s;
    const char *a[] = {"subscribe=t", "kafkaConsumer.pollTimeoutMs=300", NULL};
    void *st = open_source(a, &o, &s);
    json_t *off = NULL;
    bool has = true;
    eddy_error err;
    assert_int_equal(kafka()->plan_batch(st, 0, &off, &has, &err), -EDDY_IO);
    assert_null(off);
    assert_non_null(strstr(err.message, "Kafka did not answer for 300 ms "
                                        "(kafkaConsumer.pollTimeoutMs)"));
    kafka()->close(st);
    options_free(&o);
    schema_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_options),   cmocka_unit_test(test_refused_options),
        cmocka_unit_test(test_bad_options),     cmocka_unit_test(test_option_schema),
        cmocka_unit_test(test_describe),        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
