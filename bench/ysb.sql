-- Benchmark (c): the Yahoo Streaming Benchmark query over bench/data/ysb
-- (bench/ysb_gen.c: ~3 M JSON-lines ad events in 4 files, 5,000 events per
-- second of event time, and the 1,000-row campaigns table). Keep the views,
-- join each with its ad's campaign, count views per campaign per 10-second
-- tumbling window.
--
-- One file per batch (maxFilesPerTrigger = 1), so the watermark advances
-- between batches and append mode emits each window once it has closed and
-- drops its state, as a running YSB job does. The console prints every
-- emitted row (numRows far above the rows of one batch, no truncation of the
-- 36-character campaign ids); bench/run collects the rows of every batch and
-- compares them with the jq | mawk baseline. The windows that end after the
-- final watermark (max event_time - 10 s) stay open and are never printed;
-- the baseline leaves them out by the same rule.
CREATE SOURCE events (
  user_id    STRING,
  page_id    STRING,
  ad_id      STRING,
  ad_type    STRING,
  event_type STRING,
  event_time TIMESTAMP,
  ip_address STRING,
  WATERMARK FOR event_time AS event_time - INTERVAL 10 SECONDS
) WITH (format = 'json', path = 'bench/data/ysb/events', maxFilesPerTrigger = 1);

CREATE TABLE campaigns (ad_id STRING, campaign_id STRING)
  WITH (format = 'csv', path = 'bench/data/ysb/campaigns.csv', header = true);

CREATE SINK ysb
  WITH (format = 'console', outputMode = 'append', numRows = 1000000, truncate = false)
  AS SELECT c.campaign_id, window.start AS ws, count(*) AS n
     FROM events e JOIN campaigns c ON e.ad_id = c.ad_id
     WHERE e.event_type = 'view'
     GROUP BY c.campaign_id, window(e.event_time, '10 seconds');
