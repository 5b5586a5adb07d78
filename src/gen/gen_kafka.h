/* A small Kafka producer for the generators (`eddy gen votes --kafka`): an
 * idempotent librdkafka producer writing keyed messages to one topic, flushed
 * per tick, failing with a clear message when the broker stays unreachable. */
#ifndef GEN_GEN_KAFKA_H
#define GEN_GEN_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "eddy.h"

typedef struct gen_kafka gen_kafka;

/* Connects to `bootstrap` ("host:port[,host:port...]") and checks that
 * `topic` exists, waiting at most timeout_ms (ms) for the cluster's
 * metadata. The producer has enable.idempotence=true (acks=all, no
 * duplicates or reordering on retries), linger.ms=5, message.timeout.ms =
 * timeout_ms, and Java's default partitioner (murmur2 of the key), so a key
 * lands on the partition a Java client would choose. On success *out owns
 * the producer (free with gen_kafka_close). Returns 0, -EDDY_USAGE for a bad
 * bootstrap list, -EDDY_IO when the cluster cannot be reached in time or the
 * topic does not exist (the message names the bootstrap servers, the topic
 * and the broker's error). */
int gen_kafka_open(gen_kafka **out, const char *bootstrap, const char *topic, int timeout_ms,
                   eddy_error *err);

/* Queues one message (key and value are copied). Blocks while librdkafka's
 * local queue is full. Returns 0, or -EDDY_IO when a delivery already failed
 * or the message cannot be queued. */
int gen_kafka_send(gen_kafka *k, const void *key, size_t key_len, const void *value,
                   size_t value_len, eddy_error *err);

/* Waits until every queued message is acknowledged by the broker or has
 * failed (at most about timeout_ms after it was queued). Returns 0 when all
 * were delivered, else -EDDY_IO naming the broker error of the first failure
 * (for an unreachable broker: the last connection error seen). */
int gen_kafka_flush(gen_kafka *k, eddy_error *err);

/* Destroys the producer without waiting for queued messages (flush first).
 * NULL is allowed. */
void gen_kafka_close(gen_kafka *k);

#endif
