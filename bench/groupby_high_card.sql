-- Benchmark (d): count rows per key over bench/data/groupby/rows.csv
-- (bench/ysb_gen.c groupby: 10 M rows, keys drawn uniformly from 1 M, so
-- ~999,955 distinct). The state holds every key; the console prints only the
-- first 20 rows of the complete result. bench/run checks those 20 counts,
-- the progress report's stateOperators numRowsTotal (= distinct keys) and
-- numInputRows against the mawk baseline.
CREATE SOURCE rows (key STRING, value INT)
  WITH (format = 'csv', path = 'bench/data/groupby', header = true);

CREATE SINK c
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT key, count(*) AS n FROM rows GROUP BY key;
