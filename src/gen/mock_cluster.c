/* The in-process mock Kafka cluster (mock_cluster.h). */
#include "gen/mock_cluster.h"

#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "core/err.h"
#include "core/mem.h"

struct mock_cluster {
    rd_kafka_t *rk; /* the client handle whose background thread runs the mock */
    rd_kafka_mock_cluster_t *mc;
};

int mock_cluster_start(int brokers, const mock_topic *topics, int ntopics, mock_cluster **out,
                       eddy_error *err)
{
    *out = NULL;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "client.id", "eddy-mock-cluster", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return err_set(err, EDDY_IO, "mock Kafka cluster: %s", errstr);
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        rd_kafka_destroy(rk);
        return err_set(err, EDDY_IO, "mock Kafka cluster: cannot start %d brokers", brokers);
    }
    for (int i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_mock_topic_create(mc, topics[i].name, topics[i].partitions, 1);
        if (e) {
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return err_set(err, EDDY_IO, "mock Kafka cluster: cannot create topic '%s': %s",
                           topics[i].name, rd_kafka_err2str(e));
        }
    }
    mock_cluster *m = xcalloc(1, sizeof *m);
    m->rk = rk;
    m->mc = mc;
    *out = m;
    return 0;
}

const char *mock_cluster_bootstrap(const mock_cluster *m)
{
    return rd_kafka_mock_cluster_bootstraps(m->mc);
}

void mock_cluster_stop(mock_cluster *m)
{
    if (!m)
        return;
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
    free(m);
}
