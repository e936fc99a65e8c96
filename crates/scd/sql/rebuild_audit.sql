-- Rows last touched by a removed batch: their last change is no longer known, so they fall
-- back to the batch that created them.
UPDATE {target} SET updated_in_batch = batch_date WHERE updated_in_batch >= $1
