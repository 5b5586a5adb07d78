-- bench/checkpoint (c): recovery of a large state. The 10 M rows of
-- bench/data/groupby/rows.csv (1 M keys), split into 20 files of 500,000
-- rows in bench/data/ckpt_groupby, read one file per batch: 20 batches, each
-- updating ~390 k of the ~1 M groups, so the state store writes deltas and,
-- every 10th version, a snapshot of every group. bench/checkpoint runs it in
-- a scratch directory whose ckpt_in/ links to those files (the path is
-- relative to the working directory), kills it with SIGKILL after some
-- batches, restarts it and times the restore.
CREATE SOURCE rows (key STRING, value INT)
  WITH (format = 'csv', path = 'ckpt_in', header = true, maxFilesPerTrigger = 1);

CREATE SINK gb
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT key, count(*) AS n FROM rows GROUP BY key;
