-- Binary COPY of one landing file into its new partition. Placeholders: {new}, {columns}.
-- FREEZE is allowed because the table was created in this transaction: its rows are
-- written frozen and all-visible, so the quality scan that follows dirties no page.
COPY staging.{new} (batch_date, source_line, {columns}) FROM STDIN (FORMAT binary, FREEZE)
