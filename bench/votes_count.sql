-- Benchmark (b): count the votes of seed 000 by candidate over
-- bench/data/votes (one ~1 M-row JSON-lines file). timestamp stays a STRING
-- so eddy parses no more than the jq baseline does.
CREATE SOURCE votes (
  vote_id   STRING,
  timestamp STRING,
  state     STRING,
  age_group STRING,
  candidate STRING
) WITH (format = 'json', path = 'bench/data/votes');

CREATE SINK c
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT candidate, count(*) AS count FROM votes GROUP BY candidate;
