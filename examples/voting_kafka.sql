-- Seed 001: the real-time voting pipeline. Votes arrive on the Kafka topic
-- votes_topic (JSON, keyed by state); the pipeline counts votes per
-- candidate and turnout per state, in update mode, and writes both to the
-- topics aggregated_votes_per_candidate and aggregated_turnout_by_location
-- (one JSON message per changed row, exactly-once through Kafka
-- transactions), plus the same counts to memory sinks for the dashboard.
-- PySpark:
--   votes = spark.readStream.format("kafka")
--       .option("kafka.bootstrap.servers", "localhost:9092")
--       .option("subscribe", "votes_topic").option("startingOffsets", "earliest")
--       .load().selectExpr("CAST(value AS STRING)")
--       .select(from_json(col("value"), vote_schema).alias("data")).select("data.*")
--       .withWatermark("voting_time", "1 minute")
--   votes.groupBy("candidate").agg(count("*").alias("total_votes"))
--       .selectExpr("to_json(struct(*)) AS value").writeStream.format("kafka")
--       .option("topic", "aggregated_votes_per_candidate")
--       .option("checkpointLocation", "checkpoints/checkpoint1")
--       .outputMode("update").start()
-- Try it:
--   build/kafka-mock --topic votes_topic:3 --topic aggregated_votes_per_candidate \
--                    --topic aggregated_turnout_by_location        # prints BOOTSTRAP
--   build/eddy gen votes --kafka BOOTSTRAP --topic votes_topic --sample 0.001 &
--   build/eddy run examples/voting_kafka.sql -D bootstrap=BOOTSTRAP
-- or all of it in one command: build/eddy demo kafka

CREATE SOURCE votes (
  vote_id   STRING,
  timestamp TIMESTAMP,
  state     STRING,
  age_group STRING,
  candidate STRING,
  WATERMARK FOR timestamp AS timestamp - INTERVAL 1 MINUTE
) WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        subscribe = 'votes_topic', startingOffsets = 'earliest', valueFormat = 'json');

CREATE SINK aggregated_votes_per_candidate
  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        topic = 'aggregated_votes_per_candidate', outputMode = 'update',
        'kafka.transactional.id' = 'eddy-votes-per-candidate',
        checkpointLocation = 'checkpoints/votes_per_candidate')
  AS SELECT candidate, count(*) AS total_votes FROM votes GROUP BY candidate;

CREATE SINK aggregated_turnout_by_location
  WITH (format = 'kafka', 'kafka.bootstrap.servers' = '${bootstrap}',
        topic = 'aggregated_turnout_by_location', outputMode = 'update',
        'kafka.transactional.id' = 'eddy-turnout-by-location',
        checkpointLocation = 'checkpoints/turnout_by_location')
  AS SELECT state, count(*) AS total_votes FROM votes GROUP BY state;

-- The dashboard (http://127.0.0.1:4040/): the same counts, live.
CREATE SINK votes_per_candidate
  WITH (format = 'memory', outputMode = 'complete', chart = 'bar')
  AS SELECT candidate, count(*) AS total_votes FROM votes GROUP BY candidate;

CREATE SINK votes_per_age_group
  WITH (format = 'memory', outputMode = 'complete', chart = 'donut')
  AS SELECT age_group, count(*) AS total_votes FROM votes GROUP BY age_group
     ORDER BY age_group;

CREATE SINK turnout_by_state
  WITH (format = 'memory', outputMode = 'complete', chart = 'table')
  AS SELECT state, count(*) AS total_votes FROM votes GROUP BY state
     ORDER BY total_votes DESC;
