-- Seed 004: daily KOSPI stock bars arriving as CSV files, filtered and
-- aggregated, written to file sinks partitioned by symbol, with checkpoints.
-- PySpark: df = spark.readStream.option("header", True).schema(schema).csv("stock_stream")
--          df.filter(...).writeStream.format("csv").partitionBy("symbol")
--            .option("path", ...).option("checkpointLocation", ...).start()
--          df.withWatermark("date", "3 days").groupBy("symbol", window("date", "7 days"))
--            .agg(...).writeStream.outputMode("append").format("csv")
--            .partitionBy("symbol").option("checkpointLocation", ...).start()
-- Try it: eddy gen stocks --out stock_stream --ticks 20 --interval 0 && eddy run examples/stocks.sql --available-now
-- Output: stock_out/<query>/symbol=005930/part-*.csv, one folder per stock.

-- `date` is declared TIMESTAMP (midnight UTC) so that it can carry the
-- watermark; a row is late once a day three days newer has been seen.
CREATE SOURCE stocks (
  date   TIMESTAMP,
  symbol STRING,
  open   DOUBLE,
  high   DOUBLE,
  low    DOUBLE,
  close  DOUBLE,
  volume BIGINT,
  WATERMARK FOR date AS date - INTERVAL 3 DAYS
) WITH (format = 'csv', path = 'stock_stream', header = true);

-- Days on which a stock moved 2% or more between open and close.
CREATE SINK big_moves
  WITH (format = 'csv', path = 'stock_out/big_moves', header = true,
        partitionBy = 'symbol', checkpointLocation = 'stock_checkpoints/big_moves')
  AS SELECT CAST(date AS DATE) AS date, symbol, open, close,
            round((close - open) / open * 100, 2) AS change_pct, volume
     FROM stocks
     WHERE abs(close - open) / open >= 0.02;

-- Weekly bars per stock. Windows of 7 days start on the epoch (a Thursday)
-- unless moved: the start offset of 4 days makes them run Monday to Monday.
-- A week is written once the watermark passes its end, i.e. when the
-- Thursday after it arrives.
CREATE SINK weekly
  WITH (format = 'csv', path = 'stock_out/weekly', header = true,
        outputMode = 'append', partitionBy = 'symbol',
        checkpointLocation = 'stock_checkpoints/weekly')
  AS SELECT symbol, window.start AS week_start, window.end AS week_end,
            avg(close) AS avg_close, max(high) AS max_high, min(low) AS min_low,
            sum(volume) AS total_volume, count(*) AS days
     FROM stocks
     GROUP BY symbol, window(date, '7 days', '7 days', '4 days');
