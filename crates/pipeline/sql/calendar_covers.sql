-- Whether dw.dim_date has every day of $1 .. $2 (and so their fact partitions).
SELECT count(*) = ($2::date - $1::date + 1)
FROM dw.dim_date
WHERE date BETWEEN $1 AND $2
