-- The loading role (`retention init`): what `retention load` runs as, through a login role
-- that is a member of it. It owns the staging tables, because PostgreSQL lets only a
-- partitioned table's owner create, attach and drop its partitions, which is how a day is
-- replaced (crates/loader/sql/); it writes its own rejects to quarantine and its audit to ops, and
-- reads nothing else: no dw, marts or mart_state. {role} is a validated, quoted identifier;
-- the statements run on every init, so they also cover objects that later migrations made.
-- `$1` is the role's name as a value.

-- @schemas
-- CREATE on staging: the new partition of a reloaded day is made there, then attached.
GRANT USAGE, CREATE ON SCHEMA staging TO {role};
GRANT USAGE ON SCHEMA quarantine, ops TO {role};

-- @staging_not_owned
-- The staging tables (parents and partitions) it does not own yet, as quoted names: made by
-- a migration, or by a load that ran as another role. Init hands each to the role.
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'staging'
  AND c.relkind IN ('r', 'p')
  AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $1)
ORDER BY c.relispartition, 1;

-- @load_rejects
-- Its rejects: a reload deletes the day's load rejects and copies the new ones; erasure
-- empties the raw line of an erased user's reject (crates/loader/sql/erase_place.sql,
-- rendered from the erase_in place of quarantine.rejected_rows: of its columns, the loader
-- erases only those a load writes, which here is raw).
GRANT SELECT, INSERT, DELETE ON quarantine.rejected_rows TO {role};

-- @load_rejects_erase
GRANT UPDATE (raw) ON quarantine.rejected_rows TO {role};

-- @load_audit
GRANT INSERT ON ops.load_audit TO {role};

-- @warehouse
-- The seed, scale and schema version of the warehouse's data: read (FOR UPDATE) and
-- recorded by the first load.
GRANT SELECT, INSERT, UPDATE ON ops.warehouse TO {role};

-- @erasures
-- Erased users: a reloaded users feed or reject must not bring their personal data back.
GRANT SELECT ON ops.erasures TO {role};

-- @quarantine_default
-- Quarantine tables of later migrations: rejects are written, and replaced on a re-run.
ALTER DEFAULT PRIVILEGES IN SCHEMA quarantine GRANT SELECT, INSERT, DELETE ON TABLES TO {role};

-- @ops_default
-- ops only grows: tables of later migrations may be appended to.
ALTER DEFAULT PRIVILEGES IN SCHEMA ops GRANT SELECT, INSERT ON TABLES TO {role};
