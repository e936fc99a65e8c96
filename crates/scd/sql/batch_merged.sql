SELECT fingerprint FROM {batches} WHERE dimension = $1 AND batch_date = $2
