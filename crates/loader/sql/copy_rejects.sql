-- Quarantined records of a load, with their exact bytes.
COPY quarantine.rejected_rows (batch_date, stage, source_file, source_line, reason, detail, raw, user_id)
FROM STDIN (FORMAT binary)
