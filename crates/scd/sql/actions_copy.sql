COPY pg_temp.scd_actions (action, key, sk, effective, row_hash, {cols}) FROM STDIN (FORMAT binary)
