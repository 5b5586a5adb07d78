/* The Kafka source (Spark's KafkaMicroBatchStream, on librdkafka). Offsets
 * live in the query's offset log, never in a consumer group: each batch's
 * entry is the end offsets in Spark's KafkaSourceOffset shape
 * {"topic":{"0":N,...}} (the next offset to read per partition); a batch
 * reads [previous batch's end, its end) per partition with an assign()ed
 * consumer that never commits. The first batch starts at startingOffsets,
 * resolved once and kept in the source's checkpoint directory
 * (sources/0/initialOffsets, as Spark's metadata log "0"), so a re-run of
 * batch 0 after a crash reads the same messages.
 *
 * Each message value is parsed by valueFormat: json (default) and csv with
 * the file readers (one record per message; the declared columns), plus the
 * metadata columns _key, _topic, _partition, _offset, _timestamp; or raw:
 * the fixed columns key, value, topic, partition, offset, timestamp (Spark's
 * binary key and value are STRING here). */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/fsio.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/stop.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "io/source.h"
#include "state/ckpt_file.h"

/* Messages gathered before they are parsed into one batch. */
#define CHUNK_MESSAGES 8192
#define CHUNK_BYTES (8u << 20)
/* One broker request waits at most this long; the whole wait is bounded by
 * kafkaConsumer.pollTimeoutMs. */
#define REQUEST_TIMEOUT_MS 2000
#define N_META 5
#define OFF_NONE INT64_MIN

typedef enum sub_kind { SUB_SUBSCRIBE, SUB_PATTERN, SUB_ASSIGN } sub_kind;
typedef enum start_kind { START_LATEST, START_EARLIEST, START_JSON } start_kind;
typedef enum value_format { VF_JSON, VF_CSV, VF_RAW } value_format;

/* The source options, parsed (shared by the bind-time check and open). */
typedef struct kafka_opts {
    sub_kind kind;
    char **topics;          /* subscribe: the topics */
    int ntopics;
    char *pattern;          /* subscribePattern, as written */
    regex_t re;
    bool have_re;
    json_t *assign;         /* assign: {"topic":[0,1]} */
    start_kind start;
    json_t *start_json;     /* startingOffsets JSON: {"topic":{"0":23}} */
    int64_t max_offsets;    /* maxOffsetsPerTrigger, 0 = none */
    bool fail_on_data_loss;
    value_format vf;
    int64_t poll_timeout_ms;
    int64_t retry_interval_ms;
} kafka_opts;

/* One topic partition. */
typedef struct tpart {
    char *topic;
    int32_t partition;
} tpart;

/* What one partition reads in a batch. */
typedef struct krange {
    const char *topic;
    int32_t partition;
    int64_t start, end, next; /* [start, end); next = the next offset wanted */
    bool done;
} krange;

typedef struct kafka_source {
    char *name;
    kafka_opts ko;
    rd_kafka_t *rk;
    schema schema;           /* the query's columns (metadata ones last) */
    schema value_schema;     /* the columns parsed from the value (json/csv) */
    read_options ropts;
    char *null_value, *timestamp_format;
    bool available_now, once;

    json_t *initial;         /* resolved startingOffsets, NULL until the first plan */
    json_t *prev_end;        /* end of the last batch with data (or initial) */
    json_t *snapshot;        /* availableNow: latest offsets at start */
    json_t *start;           /* start offsets of batch start_batch */
    int64_t start_batch;     /* -1: none */
    char *dir;               /* sources/<i>/ of the checkpoint, or NULL */
    bool warned_missing;
    char last_error[512];    /* librdkafka's last error, for messages */
    char describe[512];
} kafka_source;

static const char *const kafka_options[] = {
    "format", "subscribe", "subscribePattern", "assign", "startingOffsets",
    "maxOffsetsPerTrigger", "failOnDataLoss", "valueFormat", "kafkaConsumer.pollTimeoutMs",
    "fetchOffset.retryIntervalMs", "schema", "sep", "delimiter", "quote", "escape",
    "nullValue", "timestampFormat", "mode", "columnNameOfCorruptRecord", NULL};

static const char *const kafka_prefixes[] = {"kafka.", NULL};

/* Consumer settings Spark's KafkaSourceProvider refuses: the query, not the
 * consumer, decides which offsets are read. */
static const struct {
    const char *key, *why;
} refused[] = {
    {"group.id", "the query tracks the offsets it has read in its checkpoint, not in a consumer "
                 "group (eddy uses a group id of its own and never commits)"},
    {"auto.offset.reset", "set the source option 'startingOffsets' to 'earliest' or 'latest' "
                          "instead; the query manages which offsets are consumed, and "
                          "'startingOffsets' only applies when a new query starts (a restart "
                          "goes on from its checkpoint)"},
    {"key.deserializer", "keys are read as bytes into a STRING column"},
    {"value.deserializer", "values are parsed by the source option 'valueFormat' (json, csv or "
                           "raw)"},
    {"enable.auto.commit", "the query tracks the offsets it has read in its checkpoint and "
                           "never commits offsets to Kafka"},
    {"interceptor.classes", "user-specified consumer interceptors are not supported"},
};

/* ---- offset maps: {"topic":{"0":N}} -------------------------------------- */

static int64_t off_get(const json_t *m, const char *topic, int32_t p)
{
    char k[16];
    snprintf(k, sizeof k, "%d", p);
    json_t *v = json_object_get(json_object_get(m, topic), k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : OFF_NONE;
}

static void off_set(json_t *m, const char *topic, int32_t p, int64_t v)
{
    char k[16];
    snprintf(k, sizeof k, "%d", p);
    json_t *t = json_object_get(m, topic);
    if (!t) {
        t = json_object();
        json_object_set_new(m, topic, t);
    }
    json_object_set_new(t, k, json_integer((json_int_t)v));
}

/* Checks {"topic":{"0":N,...}} with integer offsets >= -2 (Spark: -2
 * earliest, -1 latest). Returns NULL or what is wrong. */
static const char *offsets_shape(const json_t *m)
{
    if (!json_is_object(m) || json_object_size(m) == 0)
        return "expected a JSON object such as {\"topic\":{\"0\":23,\"1\":-2}}";
    const char *topic;
    json_t *parts;
    json_object_foreach((json_t *)m, topic, parts) {
        if (!json_is_object(parts))
            return "each topic needs an object of partition -> offset";
        const char *pk;
        json_t *v;
        json_object_foreach(parts, pk, v) {
            char *end;
            long p = strtol(pk, &end, 10);
            if (!*pk || *end || p < 0 || p > INT32_MAX)
                return "partitions are given as numbers in quotes, e.g. \"0\"";
            if (!json_is_integer(v) || json_integer_value(v) < -2)
                return "offsets are numbers: an offset, -2 (earliest) or -1 (latest)";
        }
    }
    return NULL;
}

/* ---- options ------------------------------------------------------------- */

static void kafka_opts_free(kafka_opts *k)
{
    for (int i = 0; i < k->ntopics; i++)
        free(k->topics[i]);
    free(k->topics);
    free(k->pattern);
    if (k->have_re)
        regfree(&k->re);
    json_decref(k->assign);
    json_decref(k->start_json);
    memset(k, 0, sizeof *k);
}

static int key_error(const char **key, const char *k, eddy_error *err, const char *fmt,
                     const char *arg)
{
    *key = k;
    return err_set(err, EDDY_SQL, fmt, arg);
}

/* Parses and checks every source option but the 'kafka.*' ones. On error
 * *key names the option. No network. */
static int kafka_opts_parse(const options *o, kafka_opts *k, const char **key, eddy_error *err)
{
    memset(k, 0, sizeof *k);
    *key = NULL;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char full[64];
        snprintf(full, sizeof full, "kafka.%s", refused[i].key);
        const option_kv *kv = options_find(o, full);
        if (kv) {
            *key = kv->key;
            return err_set(err, EDDY_SQL, "Kafka option '%s' is not supported: %s",
                           refused[i].key, refused[i].why);
        }
    }
    const char *bs = options_get(o, "kafka.bootstrap.servers");
    if (!bs || !*bs)
        return key_error(key, "format", err,
                         "%s", "option 'kafka.bootstrap.servers' must be specified for the kafka "
                         "source, e.g. 'kafka.bootstrap.servers' = 'localhost:9092'");
    const char *sub = options_get(o, "subscribe"), *pat = options_get(o, "subscribePattern"),
               *asg = options_get(o, "assign");
    int nstrat = (sub != NULL) + (pat != NULL) + (asg != NULL);
    if (nstrat != 1)
        return key_error(key,
                         sub ? "subscribe" : pat ? "subscribePattern" : asg ? "assign" : "format",
                         err, "%s",
                         nstrat == 0 ? "one of the options 'subscribe', 'subscribePattern' or "
                                       "'assign' must be specified for the kafka source"
                                     : "only one of the options 'subscribe', 'subscribePattern' "
                                       "or 'assign' can be specified for the kafka source");
    int rc = 0;
    if (sub) {
        k->kind = SUB_SUBSCRIBE;
        char *dup = xstrdup(sub), *save = NULL;
        for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                t[--n] = 0;
            if (!n)
                continue;
            k->topics = xrealloc(k->topics, (size_t)(k->ntopics + 1) * sizeof(char *));
            k->topics[k->ntopics++] = xstrdup(t);
        }
        free(dup);
        if (k->ntopics == 0)
            rc = key_error(key, "subscribe", err, "%s",
                           "option 'subscribe': expected a comma-separated list of topics");
    } else if (pat) {
        k->kind = SUB_PATTERN;
        k->pattern = xstrdup(pat);
        char *anchored = xmalloc(strlen(pat) + 5);
        sprintf(anchored, "^(%s)$", pat); /* Java's Matcher.matches(): the whole name */
        int e = regcomp(&k->re, anchored, REG_EXTENDED | REG_NOSUB);
        free(anchored);
        if (e) {
            char msg[200], full[300];
            regerror(e, &k->re, msg, sizeof msg);
            snprintf(full, sizeof full, "option 'subscribePattern': not a valid POSIX extended "
                                        "regular expression: %s", msg);
            rc = key_error(key, "subscribePattern", err, "%s", full);
        } else {
            k->have_re = true;
        }
    } else {
        k->kind = SUB_ASSIGN;
        k->assign = json_loads(asg, 0, NULL);
        bool ok = json_is_object(k->assign) && json_object_size(k->assign) > 0;
        const char *t;
        json_t *ps;
        if (ok)
            json_object_foreach(k->assign, t, ps) {
                if (!json_is_array(ps) || json_array_size(ps) == 0)
                    ok = false;
                for (size_t i = 0; ok && i < json_array_size(ps); i++) {
                    json_t *p = json_array_get(ps, i);
                    ok = json_is_integer(p) && json_integer_value(p) >= 0 &&
                         json_integer_value(p) <= INT32_MAX;
                }
            }
        if (!ok)
            rc = key_error(key, "assign", err, "option 'assign': expected JSON such as "
                                               "{\"topicA\":[0,1],\"topicB\":[2,4]}, got '%s'",
                           asg);
    }
    if (rc)
        goto fail;
    const char *so = options_get(o, "startingOffsets");
    if (!so || str_ieq(so, "latest")) {
        k->start = START_LATEST;
    } else if (str_ieq(so, "earliest")) {
        k->start = START_EARLIEST;
    } else {
        k->start = START_JSON;
        k->start_json = json_loads(so, 0, NULL);
        const char *bad = offsets_shape(k->start_json);
        if (bad) {
            char msg[300];
            snprintf(msg, sizeof msg, "option 'startingOffsets': expected 'earliest', 'latest' "
                                      "or JSON such as {\"topic\":{\"0\":23,\"1\":-2}} "
                                      "(-2 earliest, -1 latest): %s", bad);
            rc = key_error(key, "startingOffsets", err, "%s", msg);
            goto fail;
        }
        if (k->kind == SUB_ASSIGN) {
            /* Spark: the JSON must give exactly the assigned partitions. */
            const char *t;
            json_t *ps;
            json_object_foreach(k->assign, t, ps) {
                for (size_t i = 0; i < json_array_size(ps); i++)
                    if (off_get(k->start_json, t,
                                (int32_t)json_integer_value(json_array_get(ps, i))) == OFF_NONE)
                        rc = -1;
            }
            json_t *parts;
            json_object_foreach(k->start_json, t, parts) {
                const char *pk;
                json_t *v;
                json_object_foreach(parts, pk, v) {
                    bool found = false;
                    json_t *a = json_object_get(k->assign, t);
                    for (size_t i = 0; i < json_array_size(a); i++)
                        found |= json_integer_value(json_array_get(a, i)) == atol(pk);
                    if (!found)
                        rc = -1;
                }
            }
            if (rc) {
                rc = key_error(key, "startingOffsets", err, "%s",
                               "option 'startingOffsets': the partitions it gives must be "
                               "exactly the ones in 'assign'");
                goto fail;
            }
        }
    }
    eddy_error e2;
    if ((rc = options_int(o, "maxOffsetsPerTrigger", 0, &k->max_offsets, &e2)) ||
        k->max_offsets < 0) {
        rc = key_error(key, "maxOffsetsPerTrigger", err, "%s",
                       rc ? e2.message : "option 'maxOffsetsPerTrigger': must be positive");
        goto fail;
    }
    if ((rc = options_bool(o, "failOnDataLoss", true, &k->fail_on_data_loss, &e2))) {
        rc = key_error(key, "failOnDataLoss", err, "%s", e2.message);
        goto fail;
    }
    if ((rc = options_int(o, "kafkaConsumer.pollTimeoutMs", 120000, &k->poll_timeout_ms, &e2)) ||
        k->poll_timeout_ms <= 0) {
        rc = key_error(key, "kafkaConsumer.pollTimeoutMs", err, "%s",
                       rc ? e2.message : "option 'kafkaConsumer.pollTimeoutMs': must be positive");
        goto fail;
    }
    if ((rc = options_int(o, "fetchOffset.retryIntervalMs", 100, &k->retry_interval_ms, &e2)) ||
        k->retry_interval_ms < 0) {
        rc = key_error(key, "fetchOffset.retryIntervalMs", err, "%s",
                       rc ? e2.message : "option 'fetchOffset.retryIntervalMs': must be >= 0");
        goto fail;
    }
    const char *vf = options_get(o, "valueFormat");
    if (!vf || str_ieq(vf, "json")) {
        k->vf = VF_JSON;
    } else if (str_ieq(vf, "csv")) {
        k->vf = VF_CSV;
    } else if (str_ieq(vf, "raw")) {
        k->vf = VF_RAW;
    } else {
        rc = key_error(key, "valueFormat", err,
                       "option 'valueFormat': expected json, csv or raw, got '%s'", vf);
        goto fail;
    }
    static const char *const csv_only[] = {"sep", "delimiter", "quote", "escape", "nullValue",
                                           NULL};
    for (int i = 0; csv_only[i]; i++)
        if (k->vf != VF_CSV && options_get(o, csv_only[i])) {
            rc = key_error(key, csv_only[i], err,
                           "option '%s' only applies with valueFormat = 'csv'", csv_only[i]);
            goto fail;
        }
    static const char *const parsed_only[] = {"timestampFormat", "mode",
                                              "columnNameOfCorruptRecord", "schema", NULL};
    for (int i = 0; parsed_only[i]; i++)
        if (k->vf == VF_RAW && options_get(o, parsed_only[i])) {
            rc = key_error(key, parsed_only[i], err,
                           "option '%s' does not apply with valueFormat = 'raw' (the value is "
                           "not parsed)", parsed_only[i]);
            goto fail;
        }
    const char *m = options_get(o, "mode");
    if (m && !str_ieq(m, "PERMISSIVE") && !str_ieq(m, "DROPMALFORMED") &&
        !str_ieq(m, "FAILFAST")) {
        rc = key_error(key, "mode", err,
                       "option 'mode': expected PERMISSIVE, DROPMALFORMED or FAILFAST, got '%s'",
                       m);
        goto fail;
    }
    return 0;
fail:
    kafka_opts_free(k);
    return rc < 0 ? rc : -EDDY_SQL;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    log_debug("kafka: %s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    (void)rk;
    kafka_source *ks = opaque;
    snprintf(ks->last_error, sizeof ks->last_error, "%s", reason);
    log_debug("kafka source '%s': %s: %s", ks->name, rd_kafka_err2name((rd_kafka_resp_err_t)e),
              reason);
}

/* The client configuration: eddy's defaults, the user's 'kafka.*' options
 * (librdkafka's text on an unknown or bad one), then what the source needs.
 * *key names the bad option. */
static rd_kafka_conf_t *make_conf(const options *o, const char **key, eddy_error *err)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char es[512];
    /* Kafka's (and Spark's) consumer default, not librdkafka's read_committed. */
    rd_kafka_conf_set(c, "isolation.level", "read_uncommitted", es, sizeof es);
    /* A batch reads offsets known to exist: a broker holding a fetch for
     * 500 ms (librdkafka's default) only adds latency (measured: ~1 s
     * stalls reading 200k messages from the mock). */
    rd_kafka_conf_set(c, "fetch.wait.max.ms", "100", es, sizeof es);
    /* librdkafka 2.0 backs a partition's fetcher off for a whole second once
     * the consumer queue holds queued.min.messages (100000): measured as
     * 1 s stalls in batches of 200k messages. Memory stays bounded by
     * queued.max.messages.kbytes (64 MiB). */
    rd_kafka_conf_set(c, "queued.min.messages", "1000000", es, sizeof es);
    for (int i = 0; i < o->n; i++) {
        const option_kv *kv = &o->kv[i];
        if (strncasecmp(kv->key, "kafka.", 6) != 0)
            continue;
        if (rd_kafka_conf_set(c, kv->key + 6, kv->value, es, sizeof es) != RD_KAFKA_CONF_OK) {
            *key = kv->key;
            err_set(err, EDDY_SQL, "option '%s': %s", kv->key, es);
            rd_kafka_conf_destroy(c);
            return NULL;
        }
    }
    char gid[80];
    snprintf(gid, sizeof gid, "eddy-kafka-source-%ld-%ld", (long)getpid(), (long)random());
    rd_kafka_conf_set(c, "group.id", gid, es, sizeof es);
    rd_kafka_conf_set(c, "enable.auto.commit", "false", es, sizeof es);
    rd_kafka_conf_set(c, "enable.auto.offset.store", "false", es, sizeof es);
    rd_kafka_conf_set(c, "enable.partition.eof", "true", es, sizeof es);
    rd_kafka_conf_set(c, "auto.offset.reset", "error", es, sizeof es);
    return c;
}

static int kafka_check_options(const options *o, const char **key, eddy_error *err)
{
    kafka_opts k;
    int rc = kafka_opts_parse(o, &k, key, err);
    if (rc)
        return rc;
    kafka_opts_free(&k);
    rd_kafka_conf_t *c = make_conf(o, key, err);
    if (!c)
        return -EDDY_SQL;
    rd_kafka_conf_destroy(c);
    return 0;
}

static bool raw_format(const options *o)
{
    const char *vf = options_get(o, "valueFormat");
    return vf && str_ieq(vf, "raw");
}

static void kafka_option_schema(const options *o, schema *fixed, schema *hidden)
{
    if (raw_format(o)) {
        schema_add(fixed, "key", TYPE_STRING);
        schema_add(fixed, "value", TYPE_STRING);
        schema_add(fixed, "topic", TYPE_STRING);
        schema_add(fixed, "partition", TYPE_INT);
        schema_add(fixed, "offset", TYPE_BIGINT);
        schema_add(fixed, "timestamp", TYPE_TIMESTAMP);
        return;
    }
    schema_add(hidden, "_key", TYPE_STRING);
    schema_add(hidden, "_topic", TYPE_STRING);
    schema_add(hidden, "_partition", TYPE_INT);
    schema_add(hidden, "_offset", TYPE_BIGINT);
    schema_add(hidden, "_timestamp", TYPE_TIMESTAMP);
}

/* ---- open / close ---------------------------------------------------------- */

static void kafka_close(void *state)
{
    kafka_source *ks = state;
    if (!ks)
        return;
    if (ks->rk)
        rd_kafka_destroy_flags(ks->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    kafka_opts_free(&ks->ko);
    schema_free(&ks->schema);
    schema_free(&ks->value_schema);
    free(ks->null_value);
    free(ks->timestamp_format);
    json_decref(ks->initial);
    json_decref(ks->prev_end);
    json_decref(ks->snapshot);
    json_decref(ks->start);
    free(ks->dir);
    free(ks->name);
    free(ks);
}

static void describe_init(kafka_source *ks)
{
    char *d = ks->describe;
    size_t cap = sizeof ks->describe, n = 0;
    const kafka_opts *k = &ks->ko;
    if (k->kind == SUB_SUBSCRIBE) {
        n += (size_t)snprintf(d + n, cap - n, "KafkaV2[Subscribe[");
        for (int i = 0; i < k->ntopics && n < cap; i++)
            n += (size_t)snprintf(d + n, cap - n, "%s%s", i ? ", " : "", k->topics[i]);
    } else if (k->kind == SUB_PATTERN) {
        n += (size_t)snprintf(d + n, cap - n, "KafkaV2[SubscribePattern[%s", k->pattern);
    } else {
        n += (size_t)snprintf(d + n, cap - n, "KafkaV2[Assign[");
        const char *t;
        json_t *ps;
        bool first = true;
        json_object_foreach(k->assign, t, ps) {
            for (size_t i = 0; i < json_array_size(ps) && n < cap; i++) {
                n += (size_t)snprintf(d + n, cap - n, "%s%s-%lld", first ? "" : ", ", t,
                                      (long long)json_integer_value(json_array_get(ps, i)));
                first = false;
            }
        }
    }
    if (n < cap)
        snprintf(d + n, cap - n, "]]");
}

static int kafka_open(const source_open_args *a, void **state, eddy_error *err)
{
    kafka_source *ks = xcalloc(1, sizeof *ks);
    ks->name = xstrdup(a->name);
    ks->start_batch = -1;
    ks->available_now = a->available_now;
    ks->once = a->once;
    const char *key = NULL;
    int rc = kafka_opts_parse(a->opts, &ks->ko, &key, err);
    if (rc) {
        free(ks->name);
        free(ks);
        return err_prefix(err, "source '%s'", a->name);
    }
    schema_copy(&ks->schema, a->schema);
    schema_init(&ks->value_schema);
    read_options_default(&ks->ropts);
    if (ks->ko.vf != VF_RAW) {
        /* The declared columns; the binder appended the metadata ones. */
        int nval = ks->schema.n - N_META;
        if (nval < 0 || schema_find(&ks->schema, "_key") != nval) {
            kafka_close(ks);
            return err_set(err, EDDY_SQL, "source '%s': the kafka source's schema lacks its "
                                          "metadata columns", a->name);
        }
        for (int i = 0; i < nval; i++)
            schema_add(&ks->value_schema, ks->schema.fields[i].name, ks->schema.fields[i].type);
        const options *o = a->opts;
        char sep = ',', quote = '"', escape = '\\';
        if ((rc = options_char(o, options_get(o, "sep") ? "sep" : "delimiter", ',', &sep, err)) ||
            (rc = options_char(o, "quote", '"', &quote, err)) ||
            (rc = options_char(o, "escape", '\\', &escape, err))) {
            kafka_close(ks);
            return rc;
        }
        ks->ropts.sep = sep;
        ks->ropts.quote = quote;
        ks->ropts.escape = escape;
        const char *m = options_get(o, "mode");
        ks->ropts.mode = !m || str_ieq(m, "PERMISSIVE") ? PARSE_PERMISSIVE
                         : str_ieq(m, "DROPMALFORMED")  ? PARSE_DROPMALFORMED
                                                        : PARSE_FAILFAST;
        const char *nv = options_get(o, "nullValue");
        if (nv)
            ks->ropts.null_value = ks->null_value = xstrdup(nv);
        const char *tf = options_get(o, "timestampFormat");
        if (tf)
            ks->ropts.timestamp_format = ks->timestamp_format = xstrdup(tf);
        const char *cc = options_get(o, "columnNameOfCorruptRecord");
        ks->ropts.corrupt_column = schema_find(&ks->value_schema, cc ? cc : "_corrupt_record");
        if (cc && ks->ropts.corrupt_column < 0) {
            kafka_close(ks);
            return err_set(err, EDDY_SQL, "source '%s': columnNameOfCorruptRecord '%s' is not a "
                                          "column of the schema", a->name, cc);
        }
        if (ks->ropts.corrupt_column >= 0 &&
            ks->value_schema.fields[ks->ropts.corrupt_column].type != TYPE_STRING) {
            kafka_close(ks);
            return err_set(err, EDDY_SQL, "source '%s': the corrupt record column must be STRING",
                           a->name);
        }
    }
    rd_kafka_conf_t *c = make_conf(a->opts, &key, err);
    if (!c) {
        kafka_close(ks);
        return err_prefix(err, "source '%s'", a->name);
    }
    rd_kafka_conf_set_opaque(c, ks);
    rd_kafka_conf_set_log_cb(c, on_log);
    rd_kafka_conf_set_error_cb(c, on_error);
    char es[512];
    ks->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
    if (!ks->rk) {
        rd_kafka_conf_destroy(c);
        kafka_close(ks);
        return err_set(err, EDDY_SQL, "source '%s': cannot create the Kafka client: %s", a->name,
                       es);
    }
    rd_kafka_poll_set_consumer(ks->rk);
    describe_init(ks);
    *state = ks;
    return 0;
}

/* ---- talking to the broker, with bounded retries -------------------------- */

/* Runs until `deadline` (mono µs); 1 = stop requested. */
static int retry_wait(kafka_source *ks, int64_t deadline, bool *warned, const char *what,
                      rd_kafka_resp_err_t e)
{
    if (stop_requested())
        return 1;
    if (!*warned) {
        log_warn("source '%s': %s failed (%s); retrying for up to %lld ms "
                 "(kafkaConsumer.pollTimeoutMs)",
                 ks->name, what, rd_kafka_err2str(e), (long long)ks->ko.poll_timeout_ms);
        *warned = true;
    }
    int64_t left = (deadline - mono_us()) / 1000;
    int64_t iv = ks->ko.retry_interval_ms;
    return stop_sleep((iv < left ? iv : (left > 0 ? left : 0)) * 1000) ? 1 : 0;
}

static int64_t request_timeout(int64_t deadline)
{
    int64_t left = (deadline - mono_us()) / 1000;
    return left < 1 ? 1 : left < REQUEST_TIMEOUT_MS ? left : REQUEST_TIMEOUT_MS;
}

#define STOPPED 1

static int unreachable(kafka_source *ks, const char *what, rd_kafka_resp_err_t e, eddy_error *err)
{
    return err_set(err, EDDY_IO,
                   "source '%s': Kafka did not answer for %lld ms (kafkaConsumer.pollTimeoutMs) "
                   "while %s: %s%s%s",
                   ks->name, (long long)ks->ko.poll_timeout_ms, what, rd_kafka_err2str(e),
                   ks->last_error[0] ? "; last client error: " : "", ks->last_error);
}

/* The low and high watermarks of one partition, retried until `deadline`.
 * Returns 0, STOPPED or -EDDY_IO. */
static int watermarks(kafka_source *ks, const char *topic, int32_t p, int64_t *low, int64_t *high,
                      int64_t deadline, eddy_error *err)
{
    bool warned = false;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
            ks->rk, topic, p, low, high, (int)request_timeout(deadline));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (warned)
                log_info("source '%s': Kafka answers again", ks->name);
            return 0;
        }
        if (mono_us() >= deadline) {
            char what[300];
            snprintf(what, sizeof what, "fetching the offsets of %s-%d", topic, p);
            return unreachable(ks, what, e, err);
        }
        if (retry_wait(ks, deadline, &warned, "fetching offsets", e))
            return STOPPED;
    }
}

static int cmp_tpart(const void *a, const void *b)
{
    const tpart *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void tparts_free(tpart *t, int n)
{
    for (int i = 0; i < n; i++)
        free(t[i].topic);
    free(t);
}

static bool topic_wanted(const kafka_source *ks, const char *topic)
{
    const kafka_opts *k = &ks->ko;
    if (k->kind == SUB_SUBSCRIBE) {
        for (int i = 0; i < k->ntopics; i++)
            if (strcmp(k->topics[i], topic) == 0)
                return true;
        return false;
    }
    if (k->kind == SUB_PATTERN) /* internal topics (__consumer_offsets) never match */
        return strncmp(topic, "__", 2) != 0 && regexec(&k->re, topic, 0, NULL, 0) == 0;
    return json_object_get(k->assign, topic) != NULL;
}

static bool partition_wanted(const kafka_source *ks, const char *topic, int32_t p)
{
    if (ks->ko.kind != SUB_ASSIGN)
        return true;
    json_t *a = json_object_get(ks->ko.assign, topic);
    for (size_t i = 0; i < json_array_size(a); i++)
        if (json_integer_value(json_array_get(a, i)) == p)
            return true;
    return false;
}

/* The partitions the source reads now (from the cluster's metadata: for
 * subscribePattern the topics matching now), sorted. Returns 0, STOPPED or
 * -EDDY_IO. */
static int list_partitions(kafka_source *ks, int64_t deadline, tpart **out, int *nout,
                           eddy_error *err)
{
    *out = NULL;
    *nout = 0;
    const struct rd_kafka_metadata *md = NULL;
    bool warned = false;
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_metadata(ks->rk, 1, NULL, &md, (int)request_timeout(deadline));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (warned)
                log_info("source '%s': Kafka answers again", ks->name);
            break;
        }
        if (mono_us() >= deadline)
            return unreachable(ks, "fetching the cluster's metadata", e, err);
        if (retry_wait(ks, deadline, &warned, "fetching metadata", e))
            return STOPPED;
    }
    tpart *t = NULL;
    int n = 0, cap = 0;
    int nmissing = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[i];
        if (!topic_wanted(ks, mt->topic) || mt->err)
            continue;
        for (int j = 0; j < mt->partition_cnt; j++) {
            int32_t p = mt->partitions[j].id;
            if (!partition_wanted(ks, mt->topic, p))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                t = xrealloc(t, (size_t)cap * sizeof *t);
            }
            t[n].topic = xstrdup(mt->topic);
            t[n].partition = p;
            n++;
        }
    }
    rd_kafka_metadata_destroy(md);
    qsort(t, (size_t)n, sizeof *t, cmp_tpart);
    if (ks->ko.kind == SUB_SUBSCRIBE) {
        for (int i = 0; i < ks->ko.ntopics; i++) {
            bool found = false;
            for (int j = 0; j < n && !found; j++)
                found = strcmp(t[j].topic, ks->ko.topics[i]) == 0;
            nmissing += !found;
        }
        if (nmissing && !ks->warned_missing)
            log_warn("source '%s': %d subscribed topic(s) do not exist yet; they are read from "
                     "their earliest offsets once they appear", ks->name, nmissing);
        ks->warned_missing = nmissing > 0;
    }
    *out = t;
    *nout = n;
    return 0;
}

/* Spark's reportDataLoss: fails the query (failOnDataLoss, the default) or
 * logs a warning and goes on. */
static int data_loss(kafka_source *ks, const char *msg, eddy_error *err)
{
    if (ks->ko.fail_on_data_loss)
        return err_set(err, EDDY_IO,
                       "source '%s': %s. Some data may have been lost because they are not "
                       "available in Kafka any more: either the data was aged out by Kafka or "
                       "the topic may have been deleted before all the data in the topic was "
                       "processed. If you don't want the query to fail in such cases, set the "
                       "source option 'failOnDataLoss' to 'false'",
                       ks->name, msg);
    log_warn("source '%s': %s. Some data may have been lost (failOnDataLoss is false: going on)",
             ks->name, msg);
    return 0;
}

/* ---- initial offsets --------------------------------------------------------- */

static char *initial_path(const kafka_source *ks)
{
    return fsio_path_join(ks->dir, "initialOffsets");
}

/* Resolves startingOffsets against the cluster (Spark's
 * getOrCreateInitialPartitionOffsets) and, with a checkpoint, records it. */
static int resolve_initial(kafka_source *ks, int64_t deadline, eddy_error *err)
{
    tpart *t;
    int n;
    int rc = list_partitions(ks, deadline, &t, &n, err);
    if (rc)
        return rc;
    json_t *init = json_object();
    if (ks->ko.start == START_JSON && ks->ko.kind != SUB_ASSIGN) {
        /* Spark: specific offsets must cover exactly the subscribed partitions. */
        bool same = true;
        int given = 0;
        const char *topic;
        json_t *parts;
        json_object_foreach(ks->ko.start_json, topic, parts) {
            given += (int)json_object_size(parts);
        }
        for (int i = 0; i < n && same; i++)
            same = off_get(ks->ko.start_json, t[i].topic, t[i].partition) != OFF_NONE;
        if (!same || given != n) {
            char have[1024];
            size_t hn = 0;
            have[0] = 0;
            for (int i = 0; i < n && hn < sizeof have - 40; i++)
                hn += (size_t)snprintf(have + hn, sizeof have - hn, "%s%s-%d", i ? ", " : "",
                                       t[i].topic, t[i].partition);
            rc = err_set(err, EDDY_SQL,
                         "source '%s': when startingOffsets gives specific offsets it must give "
                         "every partition of the subscribed topics; they are: %s",
                         ks->name, n ? have : "(none)");
        }
    }
    for (int i = 0; rc == 0 && i < n; i++) {
        int64_t lo, hi, v;
        if ((rc = watermarks(ks, t[i].topic, t[i].partition, &lo, &hi, deadline, err)))
            break;
        if (ks->ko.start == START_EARLIEST) {
            v = lo;
        } else if (ks->ko.start == START_LATEST) {
            v = hi;
        } else {
            v = off_get(ks->ko.start_json, t[i].topic, t[i].partition);
            if (v == OFF_NONE) /* assign: a partition that does not exist (yet) */
                continue;
            v = v == -2 ? lo : v == -1 ? hi : v;
            if (v > hi) {
                rc = err_set(err, EDDY_SQL,
                             "source '%s': startingOffsets gives offset %lld for %s-%d, after "
                             "its latest offset %lld",
                             ks->name, (long long)v, t[i].topic, t[i].partition, (long long)hi);
                break;
            }
        }
        off_set(init, t[i].topic, t[i].partition, v);
    }
    tparts_free(t, n);
    char *text = json_dumps(init, JSON_COMPACT | JSON_SORT_KEYS);
    if (rc == 0 && ks->dir) {
        char *path = initial_path(ks);
        rc = ckpt_write(path, CKPT_SOURCE, text, strlen(text), err);
        free(path);
    }
    if (rc) {
        free(text);
        json_decref(init);
        return rc;
    }
    log_info("source '%s': starting from offsets %s", ks->name, text ? text : "{}");
    free(text);
    ks->initial = init;
    json_decref(ks->prev_end);
    ks->prev_end = json_deep_copy(init);
    return 0;
}

/* ---- planning ----------------------------------------------------------------- */

/* Spark's KafkaMicroBatchStream.rateLimit: `limit` offsets split over the
 * partitions in proportion to what each has available; a partition with
 * less than one offset's share still gets one (never starved). */
static void rate_limit(json_t *end, const json_t *start, int64_t limit)
{
    double total = 0;
    const char *topic;
    json_t *parts;
    json_object_foreach(end, topic, parts) {
        const char *pk;
        json_t *v;
        json_object_foreach(parts, pk, v) {
            int64_t b = off_get(start, topic, atoi(pk));
            int64_t size = json_integer_value(v) - b;
            if (b != OFF_NONE && size > 0)
                total += (double)size;
        }
    }
    if (total < 1)
        return;
    json_object_foreach(end, topic, parts) {
        const char *pk;
        json_t *v;
        json_object_foreach(parts, pk, v) {
            int64_t b = off_get(start, topic, atoi(pk));
            int64_t e = json_integer_value(v);
            int64_t size = e - b;
            if (b == OFF_NONE || size <= 0)
                continue;
            double prorate = (double)limit * ((double)size / total);
            int64_t pl = prorate < 1 ? 1 : (int64_t)prorate; /* size > 0: prorate > 0 */
            int64_t off = pl > INT64_MAX - b ? INT64_MAX : b + pl;
            json_integer_set(v, (json_int_t)(off < e ? off : e));
        }
    }
}

static int kafka_plan_batch(void *state, int64_t batch_id, json_t **offset, bool *has_data,
                            eddy_error *err)
{
    kafka_source *ks = state;
    *offset = NULL;
    *has_data = false;
    int64_t deadline = mono_us() + ks->ko.poll_timeout_ms * 1000;
    int rc = 0;
    if (!ks->initial && (rc = resolve_initial(ks, deadline, err)))
        return rc == STOPPED ? 0 : rc;
    tpart *t;
    int n;
    if ((rc = list_partitions(ks, deadline, &t, &n, err)))
        return rc == STOPPED ? 0 : rc;
    json_t *latest = json_object(), *start = json_deep_copy(ks->prev_end);
    char msg[512];
    for (int i = 0; i < n && rc == 0; i++) {
        const char *tp = t[i].topic;
        int32_t p = t[i].partition;
        int64_t lo, hi;
        if ((rc = watermarks(ks, tp, p, &lo, &hi, deadline, err)))
            break;
        int64_t s = off_get(ks->prev_end, tp, p);
        if (s == OFF_NONE) {
            /* A partition that appeared after the start: from its earliest
             * offset (Spark). */
            s = lo;
            if (lo != 0) {
                snprintf(msg, sizeof msg, "added partition %s-%d starts from %lld instead of 0",
                         tp, p, (long long)lo);
                rc = data_loss(ks, msg, err);
            }
            off_set(start, tp, p, s);
        }
        if (hi < s) {
            snprintf(msg, sizeof msg, "partition %s-%d's offset was changed from %lld to %lld",
                     tp, p, (long long)s, (long long)hi);
            if ((rc = data_loss(ks, msg, err)) != 0)
                break;
            off_set(start, tp, p, hi);
        }
        if (ks->snapshot) {
            int64_t cap = off_get(ks->snapshot, tp, p);
            if (cap == OFF_NONE)
                cap = s; /* availableNow: a partition that appeared later waits */
            if (hi > cap)
                hi = cap < s ? s : cap;
        }
        off_set(latest, tp, p, hi);
    }
    /* Partitions that were read before and are gone now (a deleted topic). */
    const char *topic;
    json_t *parts;
    json_object_foreach(ks->prev_end, topic, parts) {
        const char *pk;
        json_t *v;
        json_object_foreach(parts, pk, v) {
            if (rc == 0 && off_get(latest, topic, atoi(pk)) == OFF_NONE &&
                topic_wanted(ks, topic) && partition_wanted(ks, topic, atoi(pk))) {
                snprintf(msg, sizeof msg, "partition %s-%s is gone", topic, pk);
                rc = data_loss(ks, msg, err);
            }
        }
    }
    tparts_free(t, n);
    if (rc == 0 && ks->available_now && !ks->snapshot) {
        /* availableNow: never plan past the offsets present at start. */
        ks->snapshot = json_deep_copy(latest);
        log_info("source '%s': availableNow: reading up to the offsets present at start",
                 ks->name);
    }
    if (rc == 0 && ks->ko.max_offsets > 0 && !ks->once)
        rate_limit(latest, start, ks->ko.max_offsets);
    bool any = false;
    json_object_foreach(latest, topic, parts) {
        const char *pk;
        json_t *v;
        json_object_foreach(parts, pk, v) {
            any |= json_integer_value(v) > off_get(start, topic, atoi(pk));
        }
    }
    if (rc || !any) {
        json_decref(latest);
        json_decref(start);
        return rc == STOPPED ? 0 : rc;
    }
    json_decref(ks->start);
    ks->start = start;
    ks->start_batch = batch_id;
    json_decref(ks->prev_end);
    ks->prev_end = json_deep_copy(latest);
    *offset = latest;
    *has_data = true;
    return 0;
}

/* ---- reading -------------------------------------------------------------------- */

typedef struct chunk {
    rd_kafka_message_t **msgs;
    int n;
    size_t bytes;
} chunk;

static void set_str(column *c, uint32_t row, char *buf, size_t *off, const void *src, size_t n)
{
    memcpy(buf + *off, src, n);
    c->data.s[row].ptr = buf + *off;
    c->data.s[row].len = (uint32_t)n;
    c->valid[row] = 1;
    *off += n;
}

static void set_null(column *c, uint32_t row)
{
    c->valid[row] = 0;
    size_t w = type_width(c->type);
    memset((char *)c->data.raw + (size_t)row * w, 0, w);
}

/* Fills the five metadata values of row `row`, from column `first` on:
 * key, topic, partition, offset, timestamp (raw: key is column 0 and value
 * column 1 sits between, handled by the caller). */
static void set_meta(batch *b, const rd_kafka_message_t *m, uint32_t row, int kc, int tc,
                     char *buf, size_t *off)
{
    if (m->key)
        set_str(&b->cols[kc], row, buf, off, m->key, m->key_len);
    else
        set_null(&b->cols[kc], row);
    const char *tn = rd_kafka_topic_name(m->rkt);
    column *c = &b->cols[tc];
    c->data.s[row].ptr = arena_strndup(b->arena, tn, strlen(tn));
    c->data.s[row].len = (uint32_t)strlen(tn);
    c->valid[row] = 1;
    b->cols[tc + 1].data.i32[row] = m->partition;
    b->cols[tc + 1].valid[row] = 1;
    b->cols[tc + 2].data.i64[row] = m->offset;
    b->cols[tc + 2].valid[row] = 1;
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    if (tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0) {
        set_null(&b->cols[tc + 3], row);
    } else {
        b->cols[tc + 3].data.i64[row] = ts * 1000;
        b->cols[tc + 3].valid[row] = 1;
    }
}

/* Parses the gathered messages into one batch and emits it. */
static int flush_chunk(kafka_source *ks, chunk *ch, source_read_ctx *rc, source_metrics *m,
                       eddy_error *err)
{
    if (ch->n == 0)
        return 0;
    type_id *types = schema_types(&ks->schema);
    batch *b = batch_new((uint32_t)ks->schema.n, types, (uint32_t)ch->n);
    free(types);
    rcbuf *buf = rcbuf_new(ch->bytes + 1);
    size_t off = 0;
    int ret = 0;
    for (int i = 0; i < ch->n && ret == 0; i++) {
        const rd_kafka_message_t *msg = ch->msgs[i];
        m->bytes += msg->len + msg->key_len;
        uint32_t row = b->nrows;
        if (ks->ko.vf == VF_RAW) {
            batch_reserve(b, row + 1);
            if (msg->payload)
                set_str(&b->cols[1], row, buf->data, &off, msg->payload, msg->len);
            else
                set_null(&b->cols[1], row);
            set_meta(b, msg, row, 0, 2, buf->data, &off);
            b->nrows++;
            continue;
        }
        /* One record per message: the value's own line breaks are blanks to
         * JSON, and a CSV value gives its first record. */
        char *val = buf->data + off;
        size_t len = msg->payload ? msg->len : 0;
        if (len)
            memcpy(val, msg->payload, len);
        off += len;
        if (ks->ko.vf == VF_JSON)
            for (size_t k = 0; k < len; k++)
                if (val[k] == '\n' || val[k] == '\r')
                    val[k] = ' ';
        char where[300];
        snprintf(where, sizeof where, "%s-%d offset %lld", rd_kafka_topic_name(msg->rkt),
                 msg->partition, (long long)msg->offset);
        parse_cursor cur = {0, 1, false};
        parse_stats st = {0, 0, 0};
        int r = ks->ko.vf == VF_JSON
                    ? json_read(&ks->ropts, &ks->value_schema, rc->needed, val, len, where, &cur,
                                b, row + 1, &st, err)
                    : csv_read(&ks->ropts, &ks->value_schema, rc->needed, val, len, where, &cur,
                               b, row + 1, &st, err);
        m->malformed += st.malformed;
        m->dropped += st.dropped;
        if (r < 0) {
            ret = err_prefix(err, "source '%s'", ks->name);
            break;
        }
        if (b->nrows == row) {
            if (st.dropped)
                continue;
            /* A null or blank value: a row whose value columns are NULL (as
             * Spark's from_json of a null value). */
            batch_reserve(b, row + 1);
            for (int c = 0; c < ks->value_schema.n; c++)
                set_null(&b->cols[c], row);
            b->nrows++;
        }
        set_meta(b, msg, row, ks->value_schema.n, ks->value_schema.n + 1, buf->data, &off);
    }
    for (int i = 0; i < ch->n; i++)
        rd_kafka_message_destroy(ch->msgs[i]);
    ch->n = 0;
    ch->bytes = 0;
    if (ret || b->nrows == 0) {
        batch_free(b);
        rcbuf_unref(buf);
        return ret;
    }
    batch_keep(b, buf);
    m->rows += b->nrows;
    return rc->emit(rc->emit_ctx, b, err);
}

static krange *find_range(krange *r, int n, const char *topic, int32_t p)
{
    for (int i = 0; i < n; i++)
        if (r[i].partition == p && strcmp(r[i].topic, topic) == 0)
            return &r[i];
    return NULL;
}

/* Assigns the partitions still being read, each at its next offset. */
static int assign_ranges(kafka_source *ks, krange *r, int n, eddy_error *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        if (!r[i].done)
            rd_kafka_topic_partition_list_add(l, r[i].topic, r[i].partition)->offset = r[i].next;
    rd_kafka_resp_err_t e = rd_kafka_assign(ks->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return err_set(err, EDDY_IO, "source '%s': cannot assign partitions: %s", ks->name,
                       rd_kafka_err2str(e));
    return 0;
}

static int kafka_read_batch(void *state, int64_t batch_id, const json_t *offset,
                            source_read_ctx *rc, source_metrics *m, eddy_error *err)
{
    kafka_source *ks = state;
    if (ks->start_batch != batch_id || !ks->start)
        return err_set(err, EDDY_CORRUPT, "source '%s': no start offsets for batch %lld",
                       ks->name, (long long)batch_id);
    int64_t deadline = mono_us() + ks->ko.poll_timeout_ms * 1000;
    /* The ranges: [start, end) per partition of the end offsets. */
    krange *r = NULL;
    int n = 0, cap = 0, ret = 0;
    const char *topic;
    json_t *parts;
    json_object_foreach((json_t *)offset, topic, parts) {
        const char *pk;
        json_t *v;
        json_object_foreach(parts, pk, v) {
            int32_t p = atoi(pk);
            int64_t end = json_integer_value(v), s = off_get(ks->start, topic, p);
            if (s == OFF_NONE) { /* new since the previous batch: from its earliest */
                int64_t lo, hi;
                if ((ret = watermarks(ks, topic, p, &lo, &hi, deadline, err)))
                    goto out;
                s = lo;
            }
            if (end <= s)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                r = xrealloc(r, (size_t)cap * sizeof *r);
            }
            r[n] = (krange){topic, p, s, end, s, false};
            n++;
        }
    }
    if (n == 0)
        goto out;
    if ((ret = assign_ranges(ks, r, n, err)))
        goto out;
    chunk ch = {xmalloc(CHUNK_MESSAGES * sizeof(rd_kafka_message_t *)), 0, 0};
    int left = n;
    bool warned = false;
    while (left > 0 && ret == 0) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(ks->rk, 100);
        if (!msg) {
            /* A stop finishes a batch whose messages flow (as for files),
             * but does not wait more than a second for a broker that does
             * not answer. */
            int64_t last_progress = deadline - ks->ko.poll_timeout_ms * 1000;
            if (stop_requested() && mono_us() - last_progress > 1000000) {
                ret = err_set(err, EDDY_STOPPED, "source '%s': stopped while waiting for Kafka in "
                                            "batch %lld (it runs again, with the same offsets, "
                                            "on restart)",
                              ks->name, (long long)batch_id);
                break;
            }
            if (mono_us() > deadline) {
                char what[512];
                size_t w = (size_t)snprintf(what, sizeof what, "reading");
                for (int i = 0; i < n && w < sizeof what - 64; i++)
                    if (!r[i].done)
                        w += (size_t)snprintf(what + w, sizeof what - w, " %s-%d [%lld, %lld)",
                                              r[i].topic, r[i].partition, (long long)r[i].next,
                                              (long long)r[i].end);
                ret = unreachable(ks, what, RD_KAFKA_RESP_ERR__TIMED_OUT, err);
            }
            continue;
        }
        krange *kr = msg->rkt ? find_range(r, n, rd_kafka_topic_name(msg->rkt), msg->partition)
                              : NULL;
        if (msg->err) {
            rd_kafka_resp_err_t e = msg->err;
            if (e == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (kr && !kr->done && msg->offset >= kr->end) {
                    kr->done = true;
                    left--;
                }
            } else if (kr && (e == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                              e == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)) {
                int64_t lo = 0, hi = 0;
                char msgt[400];
                ret = watermarks(ks, kr->topic, kr->partition, &lo, &hi, deadline, err);
                if (ret == 0) {
                    snprintf(msgt, sizeof msgt, "cannot fetch offset %lld of %s-%d (the earliest "
                                                "offset is now %lld)",
                             (long long)kr->next, kr->topic, kr->partition, (long long)lo);
                    ret = data_loss(ks, msgt, err);
                }
                if (ret == 0) {
                    kr->next = lo > kr->next ? lo : kr->next;
                    if (kr->next >= kr->end) {
                        kr->done = true;
                        left--;
                    }
                    ret = assign_ranges(ks, r, n, err);
                }
            } else if (!warned) {
                log_warn("source '%s': Kafka: %s; waiting up to %lld ms "
                         "(kafkaConsumer.pollTimeoutMs)", ks->name,
                         rd_kafka_message_errstr(msg), (long long)ks->ko.poll_timeout_ms);
                warned = true;
            }
            rd_kafka_message_destroy(msg);
            continue;
        }
        if (!kr || kr->done || msg->offset < kr->next) {
            rd_kafka_message_destroy(msg);
            continue;
        }
        deadline = mono_us() + ks->ko.poll_timeout_ms * 1000; /* progress */
        if (warned) {
            log_info("source '%s': Kafka answers again", ks->name);
            warned = false;
        }
        if (msg->offset >= kr->end) {
            kr->done = true;
            left--;
            rd_kafka_message_destroy(msg);
            continue;
        }
        kr->next = msg->offset + 1;
        if (kr->next >= kr->end) {
            kr->done = true;
            left--;
        }
        ch.msgs[ch.n++] = msg;
        ch.bytes += msg->len + msg->key_len;
        if (ch.n == CHUNK_MESSAGES || ch.bytes >= CHUNK_BYTES)
            ret = flush_chunk(ks, &ch, rc, m, err);
    }
    if (ret == 0)
        ret = flush_chunk(ks, &ch, rc, m, err);
    for (int i = 0; i < ch.n; i++)
        rd_kafka_message_destroy(ch.msgs[i]);
    free(ch.msgs);
    rd_kafka_assign(ks->rk, NULL);
out:
    free(r);
    if (ret == STOPPED)
        ret = err_set(err, EDDY_STOPPED, "source '%s': stopped while reading batch %lld", ks->name,
                      (long long)batch_id);
    return ret;
}

static int kafka_commit(void *state, int64_t batch_id, eddy_error *err)
{
    (void)state;
    (void)batch_id;
    (void)err;
    return 0; /* offsets are in the query's offset log; Kafka is never told */
}

/* After a restart: the next batch starts at the last logged end, and a
 * batch logged but not committed re-reads [end of the batch with data
 * before it (or the initial offsets), its end). */
static int kafka_recover(void *state, const char *dir, int64_t last_planned,
                         source_offset_fn offset_of, void *ctx, eddy_error *err)
{
    kafka_source *ks = state;
    free(ks->dir);
    ks->dir = xstrdup(dir);
    char *path = initial_path(ks);
    struct stat st;
    if (stat(path, &st) == 0) {
        uint8_t *data;
        size_t len;
        int rc = ckpt_read(path, CKPT_SOURCE, &data, &len, err);
        if (rc) {
            free(path);
            return rc;
        }
        json_t *init = json_loadb((const char *)data, len, 0, NULL);
        free(data);
        if (!json_is_object(init) || (json_object_size(init) && offsets_shape(init))) {
            json_decref(init);
            rc = err_set(err, EDDY_CORRUPT, "corrupt checkpoint file '%s': not a Kafka offsets "
                                            "object", path);
            free(path);
            return rc;
        }
        ks->initial = init;
        ks->prev_end = json_deep_copy(init);
    }
    free(path);
    if (last_planned < 0)
        return 0;
    /* The newest batch with data, then the one with data before it. */
    json_t *found[2] = {NULL, NULL};
    int64_t at[2] = {-1, -1};
    int nf = 0;
    for (int64_t k = last_planned; k >= 0 && nf < 2; k--) {
        json_t *off = offset_of(ctx, k, err);
        if (!off) {
            json_decref(found[0]);
            return err_prefix(err, "source '%s': recovering the offsets of batch %lld", ks->name,
                              (long long)k);
        }
        if (json_is_object(off)) {
            if (offsets_shape(off) && json_object_size(off)) {
                json_decref(off);
                json_decref(found[0]);
                return err_set(err, EDDY_CORRUPT, "source '%s': the offset log entry of batch "
                                                  "%lld is not Kafka offsets", ks->name,
                               (long long)k);
            }
            found[nf] = off;
            at[nf++] = k;
            if (k < last_planned && nf == 1)
                break; /* the last batch was a no-data batch: nothing to re-run */
        } else {
            json_decref(off);
        }
    }
    if (nf > 0) {
        json_decref(ks->prev_end);
        ks->prev_end = json_incref(found[0]);
    }
    if (nf > 0 && at[0] == last_planned) {
        /* The last batch may run again: its start is the end before it. */
        json_t *start = nf > 1         ? json_incref(found[1])
                        : ks->initial ? json_deep_copy(ks->initial)
                                      : NULL;
        if (!start) {
            json_decref(found[0]);
            return err_set(err, EDDY_CORRUPT, "source '%s': the checkpoint has no initial Kafka "
                                              "offsets ('%s/initialOffsets')", ks->name, dir);
        }
        json_decref(ks->start);
        ks->start = start;
        ks->start_batch = last_planned;
    }
    json_decref(found[0]);
    json_decref(found[1]);
    if (!ks->initial && nf > 0)
        ks->initial = json_deep_copy(ks->prev_end); /* never resolve startingOffsets again */
    return 0;
}

static const char *kafka_describe(void *state)
{
    return ((kafka_source *)state)->describe;
}

const source_ops source_kafka = {
    .name = "kafka",
    .options = kafka_options,
    .option_prefixes = kafka_prefixes,
    .check_options = kafka_check_options,
    .option_schema = kafka_option_schema,
    .open = kafka_open,
    .plan_batch = kafka_plan_batch,
    .read_batch = kafka_read_batch,
    .commit = kafka_commit,
    .recover = kafka_recover,
    .describe = kafka_describe,
    .close = kafka_close,
};
