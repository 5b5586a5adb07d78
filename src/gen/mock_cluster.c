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
    int brokers;
};

int mock_cluster_create_topic(mock_cluster *m, const char *name, int partitions,
                              eddy_error *err)
{
    int rf = m->brokers < 3 ? m->brokers : 3;
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m->mc, name, partitions, rf);
    if (!e)
        return 0;
    return err_set(err, e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? EDDY_USAGE : EDDY_IO,
                   "%s", rd_kafka_err2str(e));
}

int mock_cluster_set_broker(mock_cluster *m, int id, bool up, eddy_error *err)
{
    rd_kafka_resp_err_t e = up ? rd_kafka_mock_broker_set_up(m->mc, id)
                               : rd_kafka_mock_broker_set_down(m->mc, id);
    return e ? err_set(err, EDDY_IO, "%s", rd_kafka_err2str(e)) : 0;
}

int mock_cluster_start(int brokers, const mock_topic *topics, int ntopics, mock_cluster **out,
                       eddy_error *err)
{
    *out = NULL;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "client.id", "eddy-mock-cluster", errstr, sizeof errstr);
    /* Warnings and errors only: the handle exists to own the cluster, so its
     * notice that no bootstrap.servers is configured is noise. */
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return err_set(err, EDDY_IO, "cannot create the client handle: %s", errstr);
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        rd_kafka_destroy(rk);
        return err_set(err, EDDY_IO, "cannot start the mock cluster (%d brokers)", brokers);
    }
    mock_cluster *m = xcalloc(1, sizeof *m);
    m->rk = rk;
    m->mc = mc;
    m->brokers = brokers;
    for (int i = 0; i < ntopics; i++) {
        int rc = mock_cluster_create_topic(m, topics[i].name, topics[i].partitions, err);
        if (rc) {
            err_prefix(err, "cannot create topic '%s'", topics[i].name);
            mock_cluster_stop(m);
            return rc;
        }
    }
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
