-- Seed 003: CSV event files counted by event type.
-- PySpark: spark.readStream.option("header", True).schema(schema).csv("data/input")
--            .groupBy("event").count()
--            .writeStream.outputMode("complete").format("console").start()
-- Try it: eddy gen events --out data/input --interval 0 && eddy run examples/events.sql --available-now

CREATE SOURCE events
  WITH (format = 'csv', path = 'data/input', header = true,
        schema = 'timestamp STRING, user_id INT, event STRING');

CREATE SINK events_by_type
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT event, count(*) AS count
     FROM events
     GROUP BY event;
