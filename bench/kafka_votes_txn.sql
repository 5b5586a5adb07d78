-- bench/kafka: as bench/kafka_votes.sql, exactly-once: one Kafka transaction
-- per batch ('kafka.transactional.id') and a checkpoint.
CREATE SOURCE votes (id BIGINT, state STRING, candidate STRING, t BIGINT)
  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        subscribe = '${in_topic}', startingOffsets = 'earliest');

CREATE SINK kafka_votes
  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        topic = '${out_topic}', outputMode = 'update',
        'kafka.transactional.id' = '${txn_id}',
        checkpointLocation = '${checkpoint}')
  AS SELECT candidate, count(*) AS total_votes, max(t) AS newest_us
     FROM votes GROUP BY candidate;
