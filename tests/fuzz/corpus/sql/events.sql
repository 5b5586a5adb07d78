CREATE SOURCE events WITH (format = 'csv', path = 'data/input', header = true,
  schema = 'timestamp STRING, user_id INT, event STRING');
CREATE SINK c WITH (format = 'console', outputMode = 'complete')
  AS SELECT event, count(*) AS count FROM events GROUP BY event;
