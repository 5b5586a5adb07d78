-- bench/ui (b): the web UI's worst case, a high-cardinality update-mode
-- query. The 10 M rows of bench/data/groupby/rows.csv (1 M keys), split into
-- 20 files of 500,000 rows in bench/data/ckpt_groupby (bench/checkpoint's
-- recovery data), one file per batch: each batch outputs the ~390 k groups
-- it changed, and the update-mode result view (src/runtime/live.c) reads the
-- key of every one of them to upsert the 1,000 rows it shows. The console
-- prints only the first 20 rows of each batch; bench/ui checks those, the
-- progress reports (numInputRows, numRowsTotal) and the UI's last result.
CREATE SOURCE rows (key STRING, value INT)
  WITH (format = 'csv', path = 'bench/data/ckpt_groupby', header = true, maxFilesPerTrigger = 1);

CREATE SINK gb
  WITH (format = 'console', outputMode = 'update')
  AS SELECT key, count(*) AS n FROM rows GROUP BY key;
