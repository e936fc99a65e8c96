INSERT INTO {batches} (dimension, batch_date, fingerprint, stats) VALUES ($1, $2, $3, $4)
