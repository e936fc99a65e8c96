-- A new, empty partition for one batch of one staging table, filled by COPY before it
-- replaces the batch's old partition. Created in the loading transaction, so nobody else
-- sees it until commit. The CHECK lets ATTACH PARTITION skip its validation scan.
-- Placeholders: {new}, {parent} (validated, quoted identifiers), {date} (YYYY-MM-DD).
CREATE TABLE staging.{new} (LIKE staging.{parent} INCLUDING DEFAULTS);
ALTER TABLE staging.{new} ADD CONSTRAINT one_batch CHECK (batch_date IS NOT NULL AND batch_date = DATE '{date}');
