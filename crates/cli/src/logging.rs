//! Logs go to stderr (stdout carries only the final JSON line), as text or JSON lines.
//!
//! On a terminal, `retention run` keeps a one-line progress bar at the bottom of stderr. Log
//! lines and the bar share stderr through [`StderrWriter`]: a log line first clears the bar,
//! is written whole, and the bar is drawn again under it, so the two never interleave.

use std::{
    io::{self, IsTerminal, Write},
    sync::Mutex,
};

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

use crate::cli::LogFormat;

/// The progress line currently drawn at the bottom of stderr (empty: none).
static STATUS: Mutex<String> = Mutex::new(String::new());

/// Erases the current terminal line.
const CLEAR_LINE: &[u8] = b"\r\x1b[K";

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("RETENTION_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(StderrWriter)
        // Colours only for a person at a terminal: Airflow logs and files get plain text.
        .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Draws `line` as the status line at the bottom of stderr, replacing the previous one.
/// Only for terminals: the line is redrawn in place with a carriage return.
pub fn set_status(line: &str) {
    let mut status = STATUS.lock().unwrap_or_else(|p| p.into_inner());
    line.clone_into(&mut status);
    let mut err = io::stderr().lock();
    let _ = err.write_all(CLEAR_LINE);
    let _ = err.write_all(status.as_bytes());
    let _ = err.flush();
}

/// Ends the status line: it stays on screen as written and later output starts on a new line.
pub fn end_status() {
    let mut status = STATUS.lock().unwrap_or_else(|p| p.into_inner());
    if !status.is_empty() {
        status.clear();
        let mut err = io::stderr().lock();
        let _ = err.write_all(b"\n");
        let _ = err.flush();
    }
}

/// stderr for the log subscriber, aware of the status line (see the module docs).
#[derive(Clone, Copy)]
pub struct StderrWriter;

impl Write for StderrWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        // The subscriber writes each event whole, so one call is one log line.
        let status = STATUS.lock().unwrap_or_else(|p| p.into_inner());
        let mut err = io::stderr().lock();
        if status.is_empty() {
            return err.write_all(buf);
        }
        err.write_all(CLEAR_LINE)?;
        err.write_all(buf)?;
        err.write_all(status.as_bytes())?;
        err.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for StderrWriter {
    type Writer = StderrWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
