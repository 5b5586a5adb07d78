-- Seed 000: votes per candidate from JSON files arriving in a folder.
-- PySpark: spark.readStream.schema(schema).json("vote_stream")
--            .groupBy("candidate").count()
--            .writeStream.outputMode("complete").format("console").start()
-- Try it: eddy gen votes --out vote_stream --ticks 1 && eddy run examples/votes.sql --available-now

CREATE SOURCE votes (
  vote_id   STRING,
  timestamp TIMESTAMP,
  state     STRING,
  age_group STRING,
  candidate STRING
) WITH (format = 'json', path = 'vote_stream');

CREATE SINK votes_per_candidate
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT candidate, count(*) AS count
     FROM votes
     GROUP BY candidate;
