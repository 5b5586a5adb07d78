-- bench/checkpoint (c), the check: the query of bench/ckpt_recovery.sql
-- (same source, keys and aggregate, so the same checkpoint resumes) with a
-- console sink that prints every group. Run on the checkpoint after the
-- last of the 20 files, with one more one-row file added to ckpt_in/, it
-- prints the whole complete-mode result once; bench/checkpoint compares it
-- between the killed-and-restarted run and an uninterrupted one.
CREATE SOURCE rows (key STRING, value INT)
  WITH (format = 'csv', path = 'ckpt_in', header = true, maxFilesPerTrigger = 1);

CREATE SINK gb
  WITH (format = 'console', outputMode = 'complete', numRows = 2000000)
  AS SELECT key, count(*) AS n FROM rows GROUP BY key;
