-- The five schemas of the warehouse, one per layer of the pipeline.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE SCHEMA IF NOT EXISTS dw;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS ops;

COMMENT ON SCHEMA staging IS 'Landing files typed as loaded: one batch per logical day (batch_date), replaced whole on reload.';
COMMENT ON SCHEMA quarantine IS 'Every row that was not kept, with the reason; nothing is dropped silently.';
COMMENT ON SCHEMA dw IS 'The dimensional model: SCD2 dimensions, date dimension and facts.';
COMMENT ON SCHEMA marts IS 'Flat, documented relations for BI tools: sales, retention, funnel, products, engagement.';
COMMENT ON SCHEMA ops IS 'Operational history: runs, validations, table stats, load audit, erasures, migrations. Only grows.';
