"""Helpers of the retention_pipeline DAG: deployment settings, the step operators (Docker and
local runners) and the failure alert."""
