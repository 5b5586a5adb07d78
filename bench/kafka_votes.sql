-- bench/kafka: Kafka -> eddy -> Kafka, at-least-once (no transactional.id).
-- Compact JSON votes {"id","state","candidate","t"} (t: the producer's send
-- time, unix us) on ${in_topic}; per-candidate counts, update mode, as JSON
-- to ${out_topic}; newest_us (max t) lets bench/kafka measure latency.
CREATE SOURCE votes (id BIGINT, state STRING, candidate STRING, t BIGINT)
  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        subscribe = '${in_topic}', startingOffsets = 'earliest');

CREATE SINK kafka_votes
  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        topic = '${out_topic}', outputMode = 'update')
  AS SELECT candidate, count(*) AS total_votes, max(t) AS newest_us
     FROM votes GROUP BY candidate;
