CREATE SOURCE votes (
  vote_id   STRING,
  timestamp TIMESTAMP,
  state     STRING,
  age_group STRING,
  candidate STRING,
  WATERMARK FOR timestamp AS timestamp - INTERVAL 10 SECONDS
) WITH (format = 'json', path = 'vote_stream', maxFilesPerTrigger = 10);
CREATE SINK votes_per_candidate
  WITH (format = 'console', outputMode = 'complete', trigger = '5 seconds')
  AS SELECT candidate, count(*) AS votes FROM votes GROUP BY candidate
     ORDER BY votes DESC;
