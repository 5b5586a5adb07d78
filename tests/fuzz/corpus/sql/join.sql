CREATE VIEW j AS SELECT DISTINCT v.state, s.*, upper(v.candidate) c
FROM votes AS v LEFT OUTER JOIN states s ON v.state = s.state
WHERE v.age_group IS NOT NULL AND v.x NOT IN (1, 2) OR v.y BETWEEN 1 AND 3
GROUP BY v.state HAVING count(DISTINCT v.vote_id) > 10
ORDER BY 1 ASC NULLS LAST LIMIT 5
