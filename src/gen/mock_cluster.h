/* An in-process Kafka-protocol broker for `eddy demo kafka`: librdkafka's
 * mock cluster (rdkafka_mock.h) listening on 127.0.0.1, with topics created
 * up front. tools/kafka_mock.c is the same as a stand-alone program for tests.
 * Limits of librdkafka 2.0.2's mock: see tools/kafka_mock.c. */
#ifndef GEN_MOCK_CLUSTER_H
#define GEN_MOCK_CLUSTER_H

#include <stdbool.h>

#include "eddy.h"

typedef struct mock_cluster mock_cluster;

/* A topic to create: name and partition count (>= 1). */
typedef struct mock_topic {
    const char *name;
    int partitions;
} mock_topic;

/* Starts `brokers` brokers (ids 1..brokers) on ephemeral ports of 127.0.0.1
 * and creates the `ntopics` topics (mock_cluster_create_topic). On success
 * *out owns the cluster (mock_cluster_stop). Returns 0, or the error of the
 * first step that failed (nothing is left running). */
int mock_cluster_start(int brokers, const mock_topic *topics, int ntopics, mock_cluster **out,
                       eddy_error *err);

/* Creates a topic with `partitions` partitions, replicated on up to 3
 * brokers. Returns 0, -EDDY_USAGE when it exists already, or -EDDY_IO; err's
 * message is librdkafka's text for the error. */
int mock_cluster_create_topic(mock_cluster *m, const char *name, int partitions,
                              eddy_error *err);

/* Takes broker `id` (1..brokers) down (its connections closed, new ones
 * refused) or brings it up again. Returns 0 or -EDDY_IO with librdkafka's
 * text. */
int mock_cluster_set_broker(mock_cluster *m, int id, bool up, eddy_error *err);

/* The bootstrap servers, "127.0.0.1:PORT[,...]" (owned by the cluster). */
const char *mock_cluster_bootstrap(const mock_cluster *m);

/* Stops the brokers and frees everything. NULL is a no-op. */
void mock_cluster_stop(mock_cluster *m);

#endif
