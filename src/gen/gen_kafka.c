/* The generators' Kafka producer: librdkafka with idempotence on, one topic,
 * delivery reports counted, the first failure kept for the caller. */
#include "gen/gen_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "core/err.h"

struct gen_kafka {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    char bootstrap[512];
    char topic[256];
    int timeout_ms;
    rd_kafka_resp_err_t failed;  /* first delivery failure, 0 if none */
    char last_error[512];        /* last error callback (e.g. connection refused) */
};

/* Delivery reports run on the caller's thread, inside rd_kafka_poll/flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    gen_kafka *k = opaque;
    if (m->err && !k->failed)
        k->failed = m->err;
}

/* Broker errors (connection refused, all brokers down, fatal idempotence
 * errors) are kept for the final message rather than logged as they come. */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    gen_kafka *k = opaque;
    snprintf(k->last_error, sizeof k->last_error, "%s", reason);
    if (code == RD_KAFKA_RESP_ERR__FATAL && !k->failed) {
        char why[512];
        k->failed = rd_kafka_fatal_error(rk, why, sizeof why);
        snprintf(k->last_error, sizeof k->last_error, "%s", why);
    }
}

/* librdkafka's own log lines would interleave with the progress lines; what
 * matters reaches the caller through on_error and the delivery reports. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, eddy_error *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return err_set(err, EDDY_USAGE, "kafka: %s=%s: %s", name, value, errstr);
    return 0;
}

static int fail(gen_kafka *k, const char *what, rd_kafka_resp_err_t e, eddy_error *err)
{
    rd_kafka_poll(k->rk, 0); /* serve pending error callbacks into last_error */
    if (k->last_error[0] && e != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return err_set(err, EDDY_IO, "kafka %s, topic '%s': %s: %s (last broker error: %s)",
                       k->bootstrap, k->topic, what, rd_kafka_err2str(e), k->last_error);
    return err_set(err, EDDY_IO, "kafka %s, topic '%s': %s: %s", k->bootstrap, k->topic, what,
                   rd_kafka_err2str(e));
}

int gen_kafka_open(gen_kafka **out, const char *bootstrap, const char *topic, int timeout_ms,
                   eddy_error *err)
{
    *out = NULL;
    if (!bootstrap || !*bootstrap)
        return err_set(err, EDDY_USAGE, "kafka: empty bootstrap server list");
    if (!topic || !*topic)
        return err_set(err, EDDY_USAGE, "kafka: empty topic name");
    gen_kafka *k = calloc(1, sizeof *k);
    if (!k)
        return err_set(err, EDDY_NOMEM, "kafka: out of memory");
    snprintf(k->bootstrap, sizeof k->bootstrap, "%s", bootstrap);
    snprintf(k->topic, sizeof k->topic, "%s", topic);
    k->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;

    char ms[32];
    snprintf(ms, sizeof ms, "%d", k->timeout_ms);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc;
    if ((rc = set(conf, "bootstrap.servers", bootstrap, err)) < 0 ||
        (rc = set(conf, "client.id", "eddy-gen", err)) < 0 ||
        (rc = set(conf, "enable.idempotence", "true", err)) < 0 ||
        (rc = set(conf, "linger.ms", "5", err)) < 0 ||
        (rc = set(conf, "message.timeout.ms", ms, err)) < 0 ||
        (rc = set(conf, "allow.auto.create.topics", "false", err)) < 0 ||
        (rc = set(conf, "partitioner", "murmur2_random", err)) < 0) {
        rd_kafka_conf_destroy(conf);
        free(k);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    char errstr[512];
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        free(k);
        return err_set(err, EDDY_USAGE, "kafka %s: %s", bootstrap, errstr);
    }
    /* Fail now, not after the first tick, when the cluster is unreachable or
     * the topic is missing. The metadata of all topics is asked for because
     * a request naming the topic lets brokers (kafka-mock among them)
     * auto-create it; so does creating the topic handle, hence the order. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 1, NULL, &md, k->timeout_ms);
    if (e) {
        rc = fail(k, "cannot fetch metadata", e, err);
        gen_kafka_close(k);
        return rc;
    }
    e = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic)) {
            e = md->topics[i].err;
            if (!e && md->topics[i].partition_cnt == 0)
                e = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        }
    rd_kafka_metadata_destroy(md);
    if (e) {
        rc = fail(k, e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                         ? "the topic does not exist (create it first)"
                         : "topic metadata",
                  e, err);
        gen_kafka_close(k);
        return rc;
    }
    k->rkt = rd_kafka_topic_new(k->rk, topic, NULL);
    if (!k->rkt) {
        rc = fail(k, "cannot create the topic handle", rd_kafka_last_error(), err);
        gen_kafka_close(k);
        return rc;
    }

    *out = k;
    return 0;
}

int gen_kafka_send(gen_kafka *k, const void *key, size_t key_len, const void *value,
                   size_t value_len, eddy_error *err)
{
    for (;;) {
        if (k->failed)
            return fail(k, "delivery failed", k->failed, err);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_KEY(key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_poll(k->rk, 0);
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return fail(k, "cannot queue a message", e, err);
        rd_kafka_poll(k->rk, 100); /* wait for deliveries to make room */
    }
}

int gen_kafka_flush(gen_kafka *k, eddy_error *err)
{
    /* Every message ends (delivered or failed) within message.timeout.ms of
     * being queued; the margin covers librdkafka's timeout scan. */
    rd_kafka_resp_err_t e = rd_kafka_flush(k->rk, k->timeout_ms + 5000);
    if (k->failed)
        return fail(k, "delivery failed", k->failed, err);
    if (e)
        return fail(k, "flush", e, err);
    return 0;
}

void gen_kafka_close(gen_kafka *k)
{
    if (!k)
        return;
    if (k->rkt)
        rd_kafka_topic_destroy(k->rkt);
    if (k->rk) {
        /* Queued messages are dropped: purge so destroy does not wait for them. */
        rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(k->rk, 0);
        rd_kafka_destroy(k->rk);
    }
    free(k);
}
