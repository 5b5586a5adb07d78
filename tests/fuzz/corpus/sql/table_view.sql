CREATE TABLE states (state STRING, region STRING)        -- static table
  WITH (format = 'csv', path = 'states.csv', header = true);
CREATE VIEW recent AS SELECT * FROM votes WHERE age_group <> '18-24';
