-- Binary COPY of one landing file into its new partition. Placeholders: {new}, {columns}.
COPY staging.{new} (batch_date, source_line, {columns}) FROM STDIN (FORMAT binary)
