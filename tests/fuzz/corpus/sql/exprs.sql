CREATE VIEW e AS SELECT CASE x WHEN 1 THEN 'a' ELSE 'b' END, CAST(a + 1 AS bigint),
  -5, 1.5e3, .5, 10L, 2D, 'it''s\n', TRUE, NULL, TIMESTAMP '2024-01-01 00:00:00',
  DATE '2024-01-02', a || b, a <=> b, NOT a, a IS DISTINCT FROM b, round(x), sqrt(y),
  name LIKE 'a%', current_timestamp(), f(x).start, `q id`, "Mixed" FROM t
