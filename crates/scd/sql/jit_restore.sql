-- Gives JIT back the setting jit_off.sql returned ($1), for the rest of the transaction.
SELECT set_config('jit', $1, true)
