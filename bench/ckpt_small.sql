-- bench/checkpoint (b): many small batches. bench/data/ckpt_small holds 300
-- CSV files of 20 seed-003 events each (eddy gen events --files 300
-- --rows 20); one file per batch (maxFilesPerTrigger = 1), so a run is 300
-- batches of 20 rows over 4 keys, and the per-batch cost of a checkpoint
-- (offset log, state delta, commit log) is not hidden behind the work.
-- Update mode prints the keys a batch changed; the last count printed for a
-- key is its total, which bench/checkpoint compares between the runs with
-- and without --checkpoint and with mawk over the files.
CREATE SOURCE events (timestamp STRING, user_id INT, event STRING)
  WITH (format = 'csv', path = 'bench/data/ckpt_small', header = true, maxFilesPerTrigger = 1);

CREATE SINK small
  WITH (format = 'console', outputMode = 'update')
  AS SELECT event, count(*) AS n FROM events GROUP BY event;
