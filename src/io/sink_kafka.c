/* The kafka sink (Spark's KafkaSink / KafkaWriter), on librdkafka: every
 * output row of a micro-batch becomes one Kafka message, in every output
 * mode (append: the new rows; update: the changed rows; complete: the whole
 * result table, each batch).
 *
 * A message is made of the row's columns, as Spark's KafkaWriter does:
 *   value      the `value` column (strings as their bytes, other types as
 *              Spark's CAST(v AS STRING), NULL as a null value: a
 *              tombstone); without a `value` column (Spark would refuse),
 *              the whole row as a JSON object, as Spark's to_json prints it:
 *              column names as keys in column order, numbers as JSON
 *              numbers (doubles as Java prints them, NaN/Infinity quoted),
 *              booleans as true/false, strings escaped as Jackson does,
 *              timestamps as "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" in UTC
 *              ("2024-01-01T00:00:05.000Z"), dates "yyyy-MM-dd", windows
 *              {"start": ts, "end": ts}, NULL fields left out
 *              (spark.sql.jsonGenerator.ignoreNullFields = true);
 *   key        the `key` column, rendered like `value`; absent or NULL: no
 *              key;
 *   topic      the `topic` option, else the row's `topic` column (STRING):
 *              as in Spark, the option overrides the column;
 *   partition  the `partition` column (INT); absent or NULL: the
 *              partitioner's choice (murmur2_random by default, the Java
 *              client's default partitioner, so a key lands on the same
 *              partition as from Spark).
 *
 * Delivery: a batch is done only when every message is acknowledged
 * (rd_kafka_flush, then every delivery report checked); one failed message
 * fails the batch with the broker's error, and the query stops.
 *
 * Without 'kafka.transactional.id' the sink is at-least-once, as Spark's:
 * a batch re-run after a crash (before commits/N) is produced again.
 *
 * With 'kafka.transactional.id' it is exactly-once with a checkpoint:
 *   - open: init_transactions, which fences any earlier producer with the
 *     same id and aborts its open transaction (or waits for its commit to
 *     finish);
 *   - each batch with rows is one transaction: begin, produce (every message
 *     carries the headers eddy.queryId and eddy.batchId), flush and check
 *     every delivery, then write checkpoint/sinks/0/kafka-txn durably
 *     ({batchId, queryId, transactionalId, topic, partition, offset}: where
 *     the batch's first message landed), then commit_transaction;
 *   - the runtime writes commits/N only after add_batch returns, so a crash
 *     after the Kafka commit re-runs batch N. The re-run's first add_batch
 *     finds kafka-txn naming batch N and reads the message at the recorded
 *     offset with isolation.level = read_committed: present with this
 *     query's id and batch N in its headers means the transaction committed
 *     (transactions are atomic: one message of it visible means all are),
 *     and the re-run is skipped; absent (aborted: a read_committed reader
 *     skips it) means it is produced again. A crash before kafka-txn was
 *     written leaves a transaction that was never committed and that the
 *     next init_transactions aborts, so the re-run produces it again.
 *   - a second instance with the same transactional.id fences the first:
 *     its next transactional call fails with a fatal error, and the batch
 *     (and the query) fail with a message that says so.
 * What librdkafka 2.0.2's mock broker can and cannot show: it does not
 * filter aborted messages for read_committed readers and does not fence a
 * producer whose epoch was bumped, so on the mock an aborted attempt's
 * messages stay visible (a crash inside a transaction shows them twice) and
 * a zombie is not fenced by the broker; a real broker is needed for both.
 * What the mock does prove: the re-run of a committed batch is recognised
 * and skipped (crash between the Kafka commit and commits/N), every
 * delivery is checked, and a broker outage is retried or fails the batch
 * clearly. Without a checkpoint, transactions still make each batch atomic
 * and fence zombies, but batch ids restart at 0 on every run, so a restart
 * is not exactly-once (a warning says so). */
#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsio.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/stop.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "core/valuefmt.h"
#include "io/json_writer.h"
#include "io/sink.h"
#include "state/ckpt_file.h"

/* The sink's own log in the checkpoint, and its envelope kind. */
#define TXN_LOG_DIR "sinks/0"
#define TXN_LOG_NAME "kafka-txn"
#define TXN_LOG_KIND CKPT_SINK

/* Headers of every message written in a transaction. */
#define HDR_QUERY_ID "eddy.queryId"
#define HDR_BATCH_ID "eddy.batchId"

/* Longest wait of one transactional call (init, commit, abort) and of the
 * read-back at recovery, ms. A commit that times out but is retriable is
 * retried while the transaction lives (transaction.timeout.ms). */
#define TXN_CALL_TIMEOUT_MS 60000
#define READBACK_TIMEOUT_MS 30000
/* Aborting after a failed batch is best effort (the next start's
 * init_transactions aborts a transaction left open), so it waits less; and
 * less still when a stop was asked for (the broker may be away). */
#define TXN_ABORT_TIMEOUT_MS 5000
#define TXN_ABORT_STOP_TIMEOUT_MS 1000

typedef struct kafka_sink {
    char *name;           /* the query's name, for messages */
    schema schema;
    char *topic;          /* the topic option, or NULL: the topic column */
    int value_col, key_col, topic_col, partition_col; /* -1 when absent */
    char *bootstrap;
    const options *opts;  /* borrowed for open only */
    options client_opts;  /* the kafka.* options, prefix removed (owned) */
    rd_kafka_t *rk;
    rd_kafka_topic_t *topic_handle; /* the topic option's, held from open so
                                       its metadata is fetched before the
                                       first batch (else ~1 s later) */
    /* exactly-once */
    char *txn_id;         /* NULL: at-least-once */
    char batch_id_text[24]; /* the batch being written, for its headers */
    char query_id[40];
    char *txn_log;        /* checkpoint/sinks/0/kafka-txn, NULL without one */
    bool checked_log;     /* the log was compared with the first batch */
    /* per batch, filled by the delivery report callback */
    uint64_t acked, failed;
    rd_kafka_resp_err_t first_err;
    char *first_err_topic;
    int32_t first_err_partition;
    bool have_first;      /* first_* below hold the first acknowledged message */
    char *first_topic;
    int32_t first_partition;
    int64_t first_offset;
    /* a fatal client error (fencing), from the error callback */
    char fatal[512];
    textbuf value_buf, key_buf;
} kafka_sink;

/* ---- message text ------------------------------------------------------------ */

/* Row r of bt as one JSON object, NULL fields left out. */
static void json_put_row(textbuf *b, const kafka_sink *s, const batch *bt, uint32_t r)
{
    json_write_row(b, &s->schema, NULL, 0, bt, r, true);
}

/* The bytes of column `col` at row r, as a message value or key: strings
 * as they are, other types as CAST(v AS STRING) (rendered into buf). Sets
 * *ptr = NULL for NULL. */
static void column_bytes(const batch *bt, int col, uint32_t r, textbuf *buf, const char **ptr,
                         size_t *len)
{
    value v = column_get(&bt->cols[col], r);
    if (v.is_null) {
        *ptr = NULL;
        *len = 0;
    } else if (v.type == TYPE_STRING) {
        *ptr = v.v.s.ptr;
        *len = v.v.s.len;
    } else {
        buf->len = 0;
        textbuf_value(buf, &v);
        *ptr = buf->data;
        *len = buf->len;
    }
}

/* ---- librdkafka callbacks ------------------------------------------------------ */

/* Called from rd_kafka_poll/flush on the thread running add_batch. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kafka_sink *s = opaque;
    if (m->err) {
        if (s->failed++ == 0) {
            s->first_err = m->err;
            free(s->first_err_topic);
            s->first_err_topic = xstrdup(rd_kafka_topic_name(m->rkt));
            s->first_err_partition = m->partition;
        }
        return;
    }
    s->acked++;
    if (!s->have_first) {
        s->have_first = true;
        free(s->first_topic);
        s->first_topic = xstrdup(rd_kafka_topic_name(m->rkt));
        s->first_partition = m->partition;
        s->first_offset = m->offset;
    }
}

/* Client errors: most are transient and retried by librdkafka (logged at
 * debug level); a fatal one (fencing, an idempotence failure) is kept for
 * the batch's error. Called from librdkafka's threads. */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    kafka_sink *s = opaque;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[400];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
        snprintf(s->fatal, sizeof s->fatal, "%s (%s)", buf, rd_kafka_err2name(orig));
        return;
    }
    log_debug("kafka sink '%s': %s: %s", s->name, rd_kafka_err2name(code), reason);
}

/* librdkafka's own log lines (syslog levels) into eddy's log: errors as
 * warnings (a broker outage logs connection failures; the batch's own error
 * says what failed), the rest at debug level. Called from librdkafka's
 * threads. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    kafka_sink *s = rd_kafka_opaque(rk);
    if (level <= 3)
        log_warn("kafka sink '%s': %s: %s", s ? s->name : "?", fac, buf);
    else
        log_debug("kafka sink '%s': %s: %s", s ? s->name : "?", fac, buf);
}

/* ---- errors ------------------------------------------------------------------------ */

static bool is_fenced_code(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR__FENCED || e == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           e == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

/* True when `text` (a fatal error's description) says the producer was
 * fenced. */
static bool mentions_fencing(const char *text)
{
    return strstr(text, "FENCED") || strstr(text, "fenced") || strstr(text, "EPOCH");
}

/* The error of a transactional call `what`, as -EDDY_IO; consumes e.
 * Fencing gets its own wording: another instance owns the transactional
 * id now, and this one must stop. */
static int txn_error(kafka_sink *s, const char *what, rd_kafka_error_t *e, eddy_error *err)
{
    bool fatal = rd_kafka_error_is_fatal(e);
    char orig[400] = "";
    rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    if (fatal)
        code = rd_kafka_fatal_error(s->rk, orig, sizeof orig);
    int rc;
    if (is_fenced_code(code) || is_fenced_code(rd_kafka_error_code(e)) ||
        mentions_fencing(orig))
        rc = err_set(err, EDDY_IO,
                     "%s: fenced: another producer started with transactional.id '%s' (%s); "
                     "this instance stops and leaves the batch to the new one",
                     what, s->txn_id, rd_kafka_error_string(e));
    else
        rc = err_set(err, EDDY_IO, "%s: %s%s", what, rd_kafka_error_string(e),
                     fatal ? " (fatal producer error)" : "");
    rd_kafka_error_destroy(e);
    return rc;
}

/* Aborts the current transaction after a failed batch (best effort: a
 * failed abort is logged; the next init_transactions aborts it anyway). */
static void txn_abort(kafka_sink *s)
{
    rd_kafka_error_t *e = rd_kafka_abort_transaction(
        s->rk, stop_requested() ? TXN_ABORT_STOP_TIMEOUT_MS : TXN_ABORT_TIMEOUT_MS);
    if (e) {
        log_warn("kafka sink '%s': aborting the transaction: %s", s->name,
                 rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}

/* ---- open ------------------------------------------------------------------------- */

static void kafka_sink_free(kafka_sink *s)
{
    if (!s)
        return;
    if (s->topic_handle)
        rd_kafka_topic_destroy(s->topic_handle);
    if (s->rk)
        rd_kafka_destroy(s->rk);
    free(s->name);
    schema_free(&s->schema);
    free(s->topic);
    free(s->bootstrap);
    options_free(&s->client_opts);
    free(s->txn_id);
    free(s->txn_log);
    free(s->first_err_topic);
    free(s->first_topic);
    textbuf_free(&s->value_buf);
    textbuf_free(&s->key_buf);
    free(s);
}

/* Sets a librdkafka property; a rejected one is -EDDY_SQL naming the
 * option as written ('kafka.NAME'). */
static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *val, eddy_error *err)
{
    char why[512];
    if (rd_kafka_conf_set(conf, name, val, why, sizeof why) != RD_KAFKA_CONF_OK)
        return err_set(err, EDDY_SQL, "kafka sink: option 'kafka.%s': %s", name, why);
    return 0;
}

/* The column `name` (case-insensitive), checked against the types Spark's
 * KafkaWriter accepts for it (`want` TYPE_NULL: any). */
static int find_column(kafka_sink *s, const char *name, type_id want, int *out, eddy_error *err)
{
    *out = schema_find(&s->schema, name);
    if (*out >= 0 && want != TYPE_NULL && s->schema.fields[*out].type != want)
        return err_set(err, EDDY_SQL,
                       "kafka sink: %s attribute unsupported type %s. %s must be a(n) %s "
                       "(cast it: CAST(... AS %s) AS %s)",
                       name, type_name(s->schema.fields[*out].type), name, type_name(want),
                       want == TYPE_INT ? "INT" : "STRING", name);
    return 0;
}

static int kafka_open(const sink_open_args *args, void **state, eddy_error *err)
{
    const options *o = args->opts;
    kafka_sink *s = xcalloc(1, sizeof *s);
    s->name = xstrdup(args->query_name ? args->query_name : "");
    schema_copy(&s->schema, args->schema);
    options_init(&s->client_opts);
    textbuf_init(&s->value_buf);
    textbuf_init(&s->key_buf);
    int rc = 0;

    const char *bs = options_get(o, "kafka.bootstrap.servers");
    if (!bs || !*bs)
        rc = err_set(err, EDDY_SQL,
                     "kafka sink: option 'kafka.bootstrap.servers' must be specified (the "
                     "brokers to write to, e.g. 'localhost:9092')");
    /* KafkaSourceProvider.validateSinkOptions */
    else if (options_get(o, "kafka.key.serializer"))
        rc = err_set(err, EDDY_SQL,
                     "kafka sink: Kafka option 'key.serializer' is not supported as keys are "
                     "serialized with ByteArraySerializer.");
    else if (options_get(o, "kafka.value.serializer"))
        rc = err_set(err, EDDY_SQL,
                     "kafka sink: Kafka option 'value.serializer' is not supported as value are "
                     "serialized with ByteArraySerializer.");
    if (rc == 0) {
        s->bootstrap = xstrdup(bs);
        const char *t = options_get(o, "topic");
        if (t && !*t)
            rc = err_set(err, EDDY_SQL, "kafka sink: option 'topic' is empty");
        s->topic = t ? xstrdup(t) : NULL;
    }
    if (rc == 0)
        rc = find_column(s, "topic", TYPE_STRING, &s->topic_col, err);
    if (rc == 0)
        rc = find_column(s, "partition", TYPE_INT, &s->partition_col, err);
    if (rc == 0)
        rc = find_column(s, "value", TYPE_NULL, &s->value_col, err);
    if (rc == 0)
        rc = find_column(s, "key", TYPE_NULL, &s->key_col, err);
    if (rc == 0 && !s->topic && s->topic_col < 0)
        rc = err_set(err, EDDY_SQL,
                     "kafka sink: topic option required when no 'topic' attribute is present. "
                     "Use the topic option for setting a topic.");

    rd_kafka_conf_t *conf = rc == 0 ? rd_kafka_conf_new() : NULL;
    /* Defaults first, so that 'kafka.*' options override them: the Java
     * client's partitioner (Spark's sink runs on it) and idempotence (its
     * default since Kafka 3.0: no duplicates from internal retries). */
    if (conf)
        rc = conf_set(conf, "partitioner", "murmur2_random", err);
    if (rc == 0 && conf)
        rc = conf_set(conf, "enable.idempotence", "true", err);
    for (int i = 0; rc == 0 && conf && i < o->n; i++) {
        const char *key = o->kv[i].key;
        if (strncasecmp(key, "kafka.", 6) != 0)
            continue;
        rc = conf_set(conf, key + 6, o->kv[i].value, err);
        if (rc == 0)
            options_set(&s->client_opts, key + 6, o->kv[i].value, 0, 0);
    }
    const char *tid = options_get(o, "kafka.transactional.id");
    if (rc == 0 && tid && !*tid)
        rc = err_set(err, EDDY_SQL,
                     "kafka sink: option 'kafka.transactional.id' is empty (leave it out for "
                     "at-least-once writes)");
    if (rc == 0 && conf) {
        s->txn_id = tid ? xstrdup(tid) : NULL;
        char cid[300];
        snprintf(cid, sizeof cid, "eddy-%s", s->name);
        if (!options_get(o, "kafka.client.id"))
            rc = conf_set(conf, "client.id", cid, err);
    }
    if (rc == 0 && conf) {
        rd_kafka_conf_set_opaque(conf, s);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rd_kafka_conf_set_error_cb(conf, on_error);
        rd_kafka_conf_set_log_cb(conf, on_log);
        char why[512];
        s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
        if (!s->rk)
            rc = err_set(err, EDDY_SQL, "kafka sink: cannot create the producer: %s", why);
        conf = NULL; /* owned by the client from here, even on failure */
    }
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rc == 0 && s->topic)
        s->topic_handle = rd_kafka_topic_new(s->rk, s->topic, NULL);
    if (rc == 0 && s->txn_id) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(s->rk, TXN_CALL_TIMEOUT_MS);
        if (e) {
            char what[600];
            snprintf(what, sizeof what,
                     "kafka sink: cannot initialise transactions with transactional.id '%s' "
                     "on '%s'", s->txn_id, s->bootstrap);
            rc = txn_error(s, what, e, err);
        }
    }
    if (rc < 0) {
        kafka_sink_free(s);
        return rc;
    }
    *state = s;
    return 0;
}

/* ---- exactly-once: the sink's log and the read-back ---------------------------- */

static int kafka_recover(void *state, const char *query_id, const char *checkpoint_dir,
                         eddy_error *err)
{
    kafka_sink *s = state;
    snprintf(s->query_id, sizeof s->query_id, "%s", query_id ? query_id : "");
    if (!s->txn_id)
        return 0;
    if (!checkpoint_dir) {
        log_warn("kafka sink '%s': 'kafka.transactional.id' without a checkpoint: each batch "
                 "is written atomically, but a restart starts from batch 0 again, so output "
                 "is not exactly-once across restarts (set checkpointLocation)",
                 s->name);
        return 0;
    }
    char *dir = fsio_path_join(checkpoint_dir, TXN_LOG_DIR);
    char *failed = NULL;
    int rc = 0;
    if (fsio_mkdirs(dir, &failed) != 0) {
        rc = err_set(err, EDDY_IO, "kafka sink '%s': cannot create directory '%s': %s",
                     s->name, failed, strerror(errno));
        free(failed);
    } else {
        s->txn_log = fsio_path_join(dir, TXN_LOG_NAME);
    }
    free(dir);
    return rc;
}

/* The log entry of the transaction about to be committed. */
static int write_txn_log(kafka_sink *s, int64_t batch_id, eddy_error *err)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:i, s:I}", "batchId", (json_int_t)batch_id,
                          "queryId", s->query_id, "transactionalId", s->txn_id, "topic",
                          s->first_topic, "partition", (int)s->first_partition, "offset",
                          (json_int_t)s->first_offset);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    int rc = ckpt_write(s->txn_log, TXN_LOG_KIND, text, strlen(text), err);
    free(text);
    return rc;
}

/* Does message m carry header `name` with exactly `want`? */
static bool header_is(const rd_kafka_message_t *m, const char *name, const char *want)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t n;
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    if (rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
        return false;
    return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* Reads, as a read_committed consumer, the message at topic/partition/offset
 * and sets *committed when it is there and is this query's batch_id (the
 * transaction that wrote it committed); when the first message a
 * read_committed reader returns from that offset is a later one, or the
 * partition ends first, the transaction was aborted. Must run after
 * init_transactions (which resolves the previous instance's transaction).
 * Returns 0, or -EDDY_IO when the broker cannot be read in
 * READBACK_TIMEOUT_MS or the offset is gone (retention). */
static int read_back(kafka_sink *s, const char *topic, int32_t partition, int64_t offset,
                     int64_t batch_id, bool *committed, eddy_error *err)
{
    static const char *const pass[] = {"security.", "sasl.", "ssl.", "socket.",
                                       "broker.address.family", "client.id", NULL};
    *committed = false;
    char why[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = conf_set(conf, "bootstrap.servers", s->bootstrap, err);
    for (int i = 0; rc == 0 && i < s->client_opts.n; i++)
        for (int k = 0; pass[k]; k++)
            if (strncasecmp(s->client_opts.kv[i].key, pass[k], strlen(pass[k])) == 0)
                rc = conf_set(conf, s->client_opts.kv[i].key, s->client_opts.kv[i].value, err);
    if (rc == 0)
        rc = conf_set(conf, "isolation.level", "read_committed", err);
    if (rc == 0)
        rc = conf_set(conf, "enable.partition.eof", "true", err);
    /* An offset that is no longer in the log must be an error: the default
     * (latest) would jump to the end and make a committed batch look
     * aborted, so that it would be written twice. */
    if (rc == 0)
        rc = conf_set(conf, "auto.offset.reset", "error", err);
    if (rc == 0)
        rc = conf_set(conf, "enable.auto.commit", "false", err);
    if (rc == 0)
        rc = conf_set(conf, "group.id", "eddy-kafka-sink-readback", err);
    if (rc < 0) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!c)
        return err_set(err, EDDY_IO, "cannot create a consumer: %s", why);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, partition)->offset = offset;
    rd_kafka_resp_err_t ae = rd_kafka_assign(c, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    if (ae) {
        rd_kafka_destroy(c);
        return err_set(err, EDDY_IO, "cannot assign %s [%d]: %s", topic, (int)partition,
                       rd_kafka_err2str(ae));
    }
    char want_batch[32];
    snprintf(want_batch, sizeof want_batch, "%lld", (long long)batch_id);
    int64_t waited = 0;
    rc = 1; /* undecided */
    char last_err[300] = "no answer";
    while (rc == 1 && waited < READBACK_TIMEOUT_MS && !stop_requested()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
        waited += 200;
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rc = 0; /* nothing visible at or after the offset: aborted */
        } else if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
                   m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
            rc = err_set(err, EDDY_IO,
                         "offset %lld of %s [%d] is no longer in the log (retention?)",
                         (long long)offset, topic, (int)partition);
        } else if (m->err) {
            snprintf(last_err, sizeof last_err, "%s", rd_kafka_message_errstr(m));
        } else {
            *committed = m->offset == offset && header_is(m, HDR_QUERY_ID, s->query_id) &&
                         header_is(m, HDR_BATCH_ID, want_batch);
            rc = 0;
        }
        rd_kafka_message_destroy(m);
    }
    if (rc == 1 && stop_requested())
        rc = err_set(err, EDDY_STOPPED, "stopped while reading %s [%d] at offset %lld: %s",
                     topic, (int)partition, (long long)offset, last_err);
    else if (rc == 1)
        rc = err_set(err, EDDY_IO, "could not read %s [%d] at offset %lld within %d s: %s",
                     topic, (int)partition, (long long)offset, READBACK_TIMEOUT_MS / 1000,
                     last_err);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return rc;
}

/* At the first batch after a start: when the sink's log names this very
 * batch, an earlier attempt got as far as committing (or trying to commit)
 * its transaction before a crash; *skip tells whether that commit is
 * visible in Kafka. A log naming an earlier batch is history: that batch's
 * commits/N exists, since the runtime is past it. */
static int check_txn_log(kafka_sink *s, int64_t batch_id, bool *skip, eddy_error *err)
{
    *skip = false;
    uint8_t *data;
    size_t len;
    eddy_error e2;
    if (access(s->txn_log, F_OK) != 0 && errno == ENOENT)
        return 0; /* no transaction committed yet in this checkpoint */
    int rc = ckpt_read(s->txn_log, TXN_LOG_KIND, &data, &len, &e2);
    if (rc < 0) {
        if (err)
            *err = e2;
        return rc;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)data, len, 0, &je);
    free(data);
    json_int_t logged = -1, off = -1;
    int part = -1;
    const char *qid = NULL, *topic = NULL;
    if (!j || json_unpack(j, "{s:I, s:s, s:s, s:i, s:I}", "batchId", &logged, "queryId", &qid,
                          "topic", &topic, "partition", &part, "offset", &off) != 0) {
        json_decref(j);
        return err_set(err, EDDY_CORRUPT,
                       "corrupt checkpoint file '%s': expected {batchId, queryId, topic, "
                       "partition, offset}", s->txn_log);
    }
    if (logged == batch_id && strcmp(qid, s->query_id) == 0) {
        bool committed = false;
        rc = read_back(s, topic, part, off, batch_id, &committed, err);
        if (rc < 0)
            err_prefix(err, "cannot tell whether batch %lld's transaction (%s [%d] offset %lld) "
                       "committed", (long long)batch_id, topic, part, (long long)off);
        else if (committed)
            log_info("kafka sink '%s': batch %lld was committed to Kafka before the restart "
                     "(found at %s [%d] offset %lld); not writing it again",
                     s->name, (long long)batch_id, topic, part, (long long)off);
        else
            log_info("kafka sink '%s': batch %lld's earlier transaction did not commit; "
                     "writing it again", s->name, (long long)batch_id);
        *skip = rc == 0 && committed;
    }
    json_decref(j);
    return rc;
}

/* ---- add_batch ------------------------------------------------------------------- */

static rd_kafka_headers_t *batch_headers(const kafka_sink *s)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    rd_kafka_header_add(h, HDR_QUERY_ID, -1, s->query_id, -1);
    rd_kafka_header_add(h, HDR_BATCH_ID, -1, s->batch_id_text, -1);
    return h;
}

/* Produces row r of bt (queued; delivery is checked by the caller). */
static int produce_row(kafka_sink *s, const batch *bt, uint32_t r,
                       char **topic_buf, size_t *topic_cap, eddy_error *err)
{
    const char *topic = s->topic;
    if (!topic) {
        value t = column_get(&bt->cols[s->topic_col], r);
        if (t.is_null)
            return err_set(err, EDDY_IO,
                           "null topic present in the data. Use the topic option for setting "
                           "a topic.");
        if (*topic_cap < (size_t)t.v.s.len + 1) {
            *topic_cap = (size_t)t.v.s.len + 64;
            *topic_buf = xrealloc(*topic_buf, *topic_cap);
        }
        memcpy(*topic_buf, t.v.s.ptr, t.v.s.len);
        (*topic_buf)[t.v.s.len] = 0;
        topic = *topic_buf;
    }
    int32_t partition = RD_KAFKA_PARTITION_UA;
    if (s->partition_col >= 0) {
        value p = column_get(&bt->cols[s->partition_col], r);
        if (!p.is_null)
            partition = p.v.i32;
    }
    const char *val, *key = NULL;
    size_t vlen, klen = 0;
    if (s->value_col >= 0) {
        column_bytes(bt, s->value_col, r, &s->value_buf, &val, &vlen);
    } else {
        s->value_buf.len = 0;
        json_put_row(&s->value_buf, s, bt, r);
        val = s->value_buf.data;
        vlen = s->value_buf.len;
    }
    if (s->key_col >= 0)
        column_bytes(bt, s->key_col, r, &s->key_buf, &key, &klen);
    for (;;) {
        rd_kafka_headers_t *h = s->txn_id ? batch_headers(s) : NULL;
        rd_kafka_resp_err_t e;
        if (h)
            e = rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE((void *)val, vlen),
                                  RD_KAFKA_V_KEY((const void *)key, klen),
                                  RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        else
            e = rd_kafka_producev(s->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE((void *)val, vlen),
                                  RD_KAFKA_V_KEY((const void *)key, klen), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (h) /* not taken over on failure */
            rd_kafka_headers_destroy(h);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return err_set(err, EDDY_IO, "cannot produce to topic '%s': %s%s%s", topic,
                           rd_kafka_err2str(e), *s->fatal ? ": " : "", s->fatal);
        if (stop_requested())
            return err_set(err, EDDY_STOPPED, "stopped while the producer queue was full");
        rd_kafka_poll(s->rk, 100); /* queue full: let deliveries drain it */
    }
}

/* Waits until every queued message is acknowledged or failed (librdkafka
 * retries until message.timeout.ms), polling for a stop request. */
static int flush_all(kafka_sink *s, eddy_error *err)
{
    while (rd_kafka_outq_len(s->rk) > 0) {
        rd_kafka_flush(s->rk, 500);
        if (*s->fatal)
            break;
        if (stop_requested() && rd_kafka_outq_len(s->rk) > 0)
            return err_set(err, EDDY_STOPPED, "stopped with %d messages not yet acknowledged",
                           rd_kafka_outq_len(s->rk));
    }
    return 0;
}

static int write_batch(kafka_sink *s, int64_t batch_id, batch *const *parts, int nparts,
                       uint64_t total, eddy_error *err)
{
    s->acked = s->failed = 0;
    s->have_first = false;
    snprintf(s->batch_id_text, sizeof s->batch_id_text, "%lld", (long long)batch_id);
    if (s->txn_id) {
        rd_kafka_error_t *e = rd_kafka_begin_transaction(s->rk);
        if (e)
            return txn_error(s, "cannot begin a transaction", e, err);
    }
    char *topic_buf = NULL;
    size_t topic_cap = 0;
    int rc = 0;
    for (int p = 0; p < nparts && rc == 0; p++) {
        for (uint32_t r = 0; r < parts[p]->nrows && rc == 0; r++) {
            rc = produce_row(s, parts[p], r, &topic_buf, &topic_cap, err);
            if ((r & 1023) == 1023)
                rd_kafka_poll(s->rk, 0);
        }
    }
    free(topic_buf);
    if (rc == 0)
        rc = flush_all(s, err);
    if (rc == 0 && *s->fatal) {
        if (mentions_fencing(s->fatal))
            rc = err_set(err, EDDY_IO,
                         "fenced: another producer started with transactional.id '%s' (%s); "
                         "this instance stops", s->txn_id ? s->txn_id : "", s->fatal);
        else
            rc = err_set(err, EDDY_IO, "fatal producer error: %s", s->fatal);
    }
    if (rc == 0 && s->failed > 0)
        rc = err_set(err, EDDY_IO,
                     "%llu of %llu messages not delivered; first: topic '%s' partition %d: %s",
                     (unsigned long long)s->failed, (unsigned long long)total,
                     s->first_err_topic ? s->first_err_topic : "?", (int)s->first_err_partition,
                     rd_kafka_err2str(s->first_err));
    if (rc == 0 && s->acked != total)
        rc = err_set(err, EDDY_IO, "%llu of %llu messages acknowledged",
                     (unsigned long long)s->acked, (unsigned long long)total);
    if (!s->txn_id)
        return rc;
    if (rc < 0) {
        if (!*s->fatal)
            txn_abort(s);
        return rc;
    }
    /* The point of no return is the commit below: first record where the
     * batch landed, so that a re-run after a crash can look it up. */
    if (s->txn_log && s->have_first)
        rc = write_txn_log(s, batch_id, err);
    if (rc < 0) {
        txn_abort(s);
        return rc;
    }
    for (;;) {
        rd_kafka_error_t *e = rd_kafka_commit_transaction(s->rk, TXN_CALL_TIMEOUT_MS);
        if (!e)
            return 0;
        if (rd_kafka_error_is_retriable(e) && stop_requested()) {
            /* kafka-txn names this batch: the restart reads it back. */
            rc = err_set(err, EDDY_STOPPED,
                         "stopped while committing the transaction (%s); the restart finds "
                         "out whether it committed", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            return rc;
        }
        if (rd_kafka_error_is_retriable(e)) {
            log_warn("kafka sink '%s': batch %lld: committing the transaction: %s; retrying",
                     s->name, (long long)batch_id, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            continue;
        }
        if (rd_kafka_error_txn_requires_abort(e)) {
            rc = txn_error(s, "the transaction could not commit and was aborted", e, err);
            txn_abort(s);
            return rc;
        }
        return txn_error(s, "cannot commit the transaction", e, err);
    }
}

static int kafka_add_batch(void *state, int64_t batch_id, batch *const *parts, int nparts,
                           eddy_error *err)
{
    kafka_sink *s = state;
    uint64_t total = 0;
    for (int p = 0; p < nparts; p++)
        total += parts[p]->nrows;
    int rc = 0;
    bool skip = false;
    if (s->txn_log && !s->checked_log) {
        rc = check_txn_log(s, batch_id, &skip, err);
        if (rc == 0)
            s->checked_log = true;
    }
    if (rc == 0 && total > 0 && !skip)
        rc = write_batch(s, batch_id, parts, nparts, total, err);
    if (rc < 0)
        err_prefix(err, "kafka sink '%s', batch %lld", s->name, (long long)batch_id);
    return rc;
}

static void kafka_close(void *state)
{
    kafka_sink *s = state;
    /* Only a failed or stopped batch leaves messages queued (a batch ends
     * when all are acknowledged), and its re-run writes them again: after a
     * stop they are dropped at once rather than waited for. */
    if (s && s->rk && rd_kafka_outq_len(s->rk) > 0) {
        if (stop_requested())
            rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(s->rk, stop_requested() ? 1000 : 5000);
    }
    kafka_sink_free(s);
}

static const char *const kafka_options[] = {
    "topic", "kafka.bootstrap.servers", "kafka.transactional.id", NULL,
};

const sink_ops sink_kafka_ops = {
    .name = "kafka",
    .options = kafka_options,
    .modes = (1u << OUTPUT_APPEND) | (1u << OUTPUT_UPDATE) | (1u << OUTPUT_COMPLETE),
    .needs_checkpoint = false,
    .open = kafka_open,
    .add_batch = kafka_add_batch,
    .close = kafka_close,
    .recover = kafka_recover,
};
