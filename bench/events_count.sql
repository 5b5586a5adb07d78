-- Benchmark (a): count the events of seed 003 by type, as its PySpark
-- stream_processor.py does, over bench/data/events (one ~2 M-row CSV file).
CREATE SOURCE events (timestamp STRING, user_id INT, event STRING)
  WITH (format = 'csv', path = 'bench/data/events', header = true);

CREATE SINK c
  WITH (format = 'console', outputMode = 'complete')
  AS SELECT event, count(*) AS count FROM events GROUP BY event;
