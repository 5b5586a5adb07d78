-- bench/ui (d): latency from a file landing to its result being shown.
-- bench/ui runs this from a scratch directory (`lat_in` is relative to the
-- working directory) with the default trigger, and drops one small CSV file
-- every 200 ms into lat_in (written under a hidden name, then renamed):
-- file i holds 5 rows with seq = i. The one result row, max(seq), says
-- which files a batch has included, both in the console's table
-- ("Batch: N") and in the UI's `result` event.
CREATE SOURCE drops (seq INT, value INT)
  WITH (format = 'csv', path = 'lat_in', header = true);

CREATE SINK lat
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT max(seq) AS last_seq, count(*) AS n FROM drops;
