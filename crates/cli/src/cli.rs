//! Argument parsing: global flags (accepted before or after the subcommand) and one
//! subcommand per pipeline step.

use std::{path::PathBuf, process::ExitCode};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Website user-activity pipeline: simulate, load, validate, SCD2, model, report.
///
/// Every command logs to stderr and ends by printing exactly one JSON line on stdout
/// (`{"step", "date", "status", "rows_in", "rows_out", "rows_rejected", "duration_ms", ...}`).
/// Exit codes: 0 success, 1 runtime error, 2 usage error, 3 quality gate failed.
#[derive(Debug, Parser)]
#[command(
    name = "retention",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL URL (postgres://user:pass@host:port/db?sslmode=require). Default:
    /// DATABASE_URL, then the libpq PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...).
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// Pipeline configuration (YAML): generator settings, SCD dimensions and expectation
    /// suites. If the default path does not exist here, the built-in defaults are used.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "config/retention.yaml"
    )]
    pub config: PathBuf,
    /// Where landing files live (DATA_DIR/dt=YYYY-MM-DD/).
    #[arg(
        long,
        global = true,
        env = "RETENTION_DATA_DIR",
        value_name = "DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The day (or days) a step works on.
#[derive(Debug, Clone, Args)]
pub struct DayArgs {
    /// The logical day (YYYY-MM-DD).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: NaiveDate,
}

/// Simulation settings shared by the commands that generate.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Simulation seed (overrides the config).
    #[arg(long, env = "RETENTION_SEED")]
    pub seed: Option<u64>,
    /// Population scale multiplier (overrides the config; 1.0 is the default population).
    #[arg(long, env = "RETENTION_SCALE")]
    pub scale: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the warehouse schema: applies pending migrations in order, each in a
    /// transaction, under an advisory lock, and fills the calendar. Safe to run again.
    Init(InitArgs),
    /// Simulate landing files for a day or a range of days (DATA_DIR/dt=D/*.csv + manifest).
    Generate(GenerateArgs),
    /// Load a day's landing files into staging with binary COPY; unparseable rows go to
    /// quarantine. The day is replaced whole, in one transaction.
    Load(LoadArgs),
    /// Write the manifest (DATA_DIR/dt=D/_manifest.json) for a day's files that another
    /// producer wrote: each file's records counted as load counts them and its SHA-256, no
    /// generator fields. Run it once the files are complete.
    Manifest(ManifestArgs),
    /// Run the expectation suites on a day's staging batch: the quality gate (exit 3 when a
    /// critical expectation fails).
    Validate(ValidateArgs),
    /// Merge a day's user and product feeds into the SCD Type 2 dimensions. A day that
    /// `retention load` has not loaded is refused (exit 2): load it first.
    Scd(ScdArgs),
    /// Conform a day's events into facts and refresh the weekly summary and marts.
    Transform(DayArgs),
    /// Recompute the facts, the weekly summary and the marts from staging in one pass, for
    /// every day the transform has run: after a change of a conformance rule, or to check
    /// that the day-by-day warehouse equals a full recomputation. One transaction; the
    /// transforms of other processes wait for it.
    Rebuild,
    /// Run the whole pipeline (init, generate, load, validate, scd, transform) day by day; with
    /// --source files, on landing files already under DATA_DIR (no generate).
    Run(RunArgs),
    /// A week end to end on a throwaway embedded database (or DATABASE_URL), then the KPIs and
    /// the HTML report.
    Demo(DemoArgs),
    /// Write a self-contained HTML report of the warehouse: retention, funnel, sales,
    /// engagement, top products, data quality and pipeline runs, as charts with their numbers.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// First day of the calendar (dw.dim_date and fact partitions).
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2025-01-01")]
    pub calendar_from: NaiveDate,
    /// Last day of the calendar.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2027-12-31")]
    pub calendar_to: NaiveDate,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// One day to generate.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with_all = ["from", "to"], required_unless_present = "from")]
    pub date: Option<NaiveDate>,
    /// First day of a range.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last day of a range (inclusive).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "from")]
    pub to: Option<NaiveDate>,
    /// Write a full snapshot of users and products as of the end of the day before --date.
    #[arg(long, requires = "date")]
    pub snapshot: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Worker threads: a range's days are shared among them, one day's users are (the files
    /// are identical either way). [default: the number of cores]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub day: DayArgs,
    /// Load even if the day was generated with another seed, scale or schema version.
    #[arg(long)]
    pub force: bool,
    /// Load the full snapshot as of the end of --date (DATA_DIR/snapshots/dt=D/) as batch D.
    #[arg(long)]
    pub snapshot: bool,
    /// The day has no manifest (its producer writes none): count and hash the files here and
    /// check them against nothing; ops.load_audit records it (checked_against = loader).
    /// Without it, a day without _manifest.json is refused as incomplete.
    #[arg(long)]
    pub no_manifest: bool,
}

#[derive(Debug, Args)]
pub struct ManifestArgs {
    #[command(flatten)]
    pub day: DayArgs,
    /// The directory holding the day's events.csv, users.csv and products.csv.
    /// [default: DATA_DIR/dt=D]
    #[arg(long, value_name = "DIR")]
    pub landing: Option<PathBuf>,
    /// Replace an existing _manifest.json (without it, an existing one is an error).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub day: DayArgs,
    /// Write the Great-Expectations-shaped validation result JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub results_out: Option<PathBuf>,
    /// How expectations are executed: one scan per table, or one query per expectation.
    #[arg(long, value_enum, default_value_t = Strategy::SetBased)]
    pub strategy: Strategy,
    /// Suite files to run instead of the configured ones (YAML or GE JSON).
    #[arg(long = "suite", value_name = "FILE")]
    pub suites: Vec<PathBuf>,
    /// The longest one suite query may run before the server cancels it and validation fails
    /// (exit 1): suites carry user-written regexes. A number with a unit (`500ms`, `30s`,
    /// `5min`; a bare number is seconds); 0 sets no limit.
    #[arg(long, value_name = "DURATION", default_value = "5min", value_parser = retention_pipeline::parse_duration)]
    pub statement_timeout: std::time::Duration,
    /// Bind the --suite files to this table, as Great Expectations binds a suite through a
    /// batch definition: a GE 1.x suite JSON names no table and runs unchanged. A suite that
    /// names another table is refused. The day's batch is validated: the batch column is the
    /// one the configured suites use for this table, else --batch-column; with neither, the
    /// whole table (and the JSON line says so in `whole_table`).
    #[arg(long, value_name = "SCHEMA.TABLE", requires = "suites")]
    pub table: Option<String>,
    /// The batch column (a date, or text holding YYYY-MM-DD) of a --table that no configured
    /// suite validates: the batch is its rows equal to --date.
    #[arg(long, value_name = "COLUMN", requires = "table")]
    pub batch_column: Option<String>,
    /// Validate the whole table, not the day's batch.
    #[arg(long, conflicts_with = "batch_column")]
    pub whole_table: bool,
}

/// Where `run`'s landing days come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// The simulator writes each day's files before it is loaded.
    Simulate,
    /// The files are already under DATA_DIR; no generate, no snapshot bootstrap.
    Files,
}

/// Execution strategy of the quality engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Strategy {
    /// All row-level expectations in one scan, plus one query per uniqueness check.
    SetBased,
    /// One query per expectation (for comparison).
    PerExpectation,
}

#[derive(Debug, Args)]
pub struct ScdArgs {
    #[command(flatten)]
    pub day: DayArgs,
    /// Remove dimension history from this day on and replay the stored staging batches.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub rebuild_from: Option<NaiveDate>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// First day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: NaiveDate,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Where the days' landing files come from: `simulate` generates each day first; `files`
    /// loads the files already in DATA_DIR/dt=D/ (another producer's, or an earlier
    /// `retention generate`), each day against its _manifest.json when it has one, else
    /// counted and hashed by the loader (as `load --no-manifest`); a missing day stops the run.
    /// [default: `source:` in the config, else simulate]
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub source: Option<Source>,
    /// With 2 or more, the next day's generate, load and validate run while this day's
    /// transform does; scd and transform stay in date order, so the warehouse is the same.
    /// 1 runs every step in turn. [default: the number of cores, at most 2: one day is
    /// prepared ahead, so more jobs do not add more]
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Afterwards, write the HTML report of the whole warehouse to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of days to simulate.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// Keep the embedded database running after the demo (prints how to stop it).
    #[arg(long)]
    pub keep: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Where to write the HTML report.
    #[arg(long, value_name = "FILE", default_value = "retention-report.html")]
    pub report: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day (default: the warehouse's first day with data).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive (default: the warehouse's last day with data).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE", default_value = "retention-report.html")]
    pub out: PathBuf,
}

/// Parsed arguments, or the exit code clap's message deserves (0 for --help, 2 for misuse).
pub fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|e| {
        let code = if e.use_stderr() { 2 } else { 0 };
        let _ = e.print();
        ExitCode::from(code)
    })
}

/// `run --jobs` when not given: the number of cores, at most 2 (one day is prepared ahead of
/// the one being transformed, so a third job would have nothing to do).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_are_accepted_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "retention",
            "load",
            "--date",
            "2026-01-02",
            "--data-dir",
            "/x",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(cli.global.data_dir, PathBuf::from("/x"));
        assert_eq!(cli.global.log_format, LogFormat::Json);
    }
}
