CREATE SINK w WITH (format = 'console', outputMode = 'update')
AS SELECT window.start, window.end, candidate, count(*)
FROM votes GROUP BY window(timestamp, '10 seconds', '5 seconds'), candidate;
