-- Seed 002: accelerometer streams of the Bar Crawl data set (phones sampled
-- at 40 Hz), averaged per participant over tumbling and sliding event-time
-- windows: two queries in one process, the tumbling one writing CSV files
-- every 5 seconds, the sliding one every 10 seconds.
-- PySpark: spark.readStream.option("header", True).schema(schema).csv("accel_stream")
--            .withWatermark("time", "10 seconds")
--            .groupBy("pid", window("time", "5 seconds"))
--            .agg(avg("x"), avg("y"), avg("z"), count("*"))
--            .writeStream.outputMode("append").format("csv")
--            .option("checkpointLocation", ...).trigger(processingTime="5 seconds").start()
-- Try it: eddy gen accel --out accel_stream --ticks 6 --interval 0 && eddy run examples/accelerometer.sql --available-now
-- A window's row is written once, in the first batch whose watermark (the
-- latest time seen minus 10 seconds) has passed the window's end.

CREATE SOURCE accel (
  pid  STRING,
  time TIMESTAMP,
  x    DOUBLE,
  y    DOUBLE,
  z    DOUBLE,
  WATERMARK FOR time AS time - INTERVAL 10 SECONDS
) WITH (format = 'csv', path = 'accel_stream', header = true);

-- Tumbling windows: every sample counts in exactly one 5-second window.
CREATE SINK accel_tumbling
  WITH (format = 'csv', path = 'accel_out/tumbling', header = true,
        outputMode = 'append', trigger = '5 seconds',
        checkpointLocation = 'accel_checkpoints/tumbling')
  AS SELECT pid, window.start AS window_start, window.end AS window_end,
            avg(x) AS avg_x, avg(y) AS avg_y, avg(z) AS avg_z, count(*) AS samples
     FROM accel
     GROUP BY pid, window(time, '5 seconds');

-- Sliding windows: 10 seconds long, one starting every 5 seconds, so every
-- sample counts in two windows.
CREATE SINK accel_sliding
  WITH (format = 'csv', path = 'accel_out/sliding', header = true,
        outputMode = 'append', trigger = '10 seconds',
        checkpointLocation = 'accel_checkpoints/sliding')
  AS SELECT pid, window.start AS window_start, window.end AS window_end,
            avg(x) AS avg_x, avg(y) AS avg_y, avg(z) AS avg_z, count(*) AS samples
     FROM accel
     GROUP BY pid, window(time, '10 seconds', '5 seconds');
