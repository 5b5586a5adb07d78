SET spark.sql.shuffle.partitions = 4;
