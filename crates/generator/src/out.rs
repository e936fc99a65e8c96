//! Hand-written CSV output: rows are formatted straight into a buffer that is hashed and
//! written in large blocks, so a day streams to disk at a fixed memory cost.

use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};

use chrono::{Datelike, NaiveDate};
use retention_model::landing::FileEntry;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

const FLUSH_AT: usize = 1 << 17;

/// One landing file being written: the buffer, the running checksum and the row count. Or,
/// made by [`CsvFile::memory`], a block of rows kept in memory (no header) until appended to
/// a file: how worker threads write their share of a day.
#[derive(Debug)]
pub struct CsvFile {
    path: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    /// The bytes not yet written; rows are appended here.
    pub buf: Vec<u8>,
    rows: u64,
}

impl CsvFile {
    /// Creates (truncates) `path` and writes the header line.
    pub fn create(path: &Path, header: &[&str]) -> Result<Self> {
        let file = File::create(path).map_err(|source| Error::Io {
            context: format!("creating {}", path.display()),
            source,
        })?;
        let mut buf = Vec::with_capacity(FLUSH_AT + 4096);
        buf.extend_from_slice(header.join(",").as_bytes());
        buf.push(b'\n');
        Ok(Self {
            path: path.to_owned(),
            file: Some(file),
            hasher: Sha256::new(),
            buf,
            rows: 0,
        })
    }

    /// A block of rows kept in memory, for [`CsvFile::append`], in `buf`'s allocation (a
    /// buffer [`CsvFile::append`] handed back: blocks reuse memory instead of faulting in fresh
    /// pages for every block).
    pub fn memory(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Self {
            path: PathBuf::new(),
            file: None,
            hasher: Sha256::new(),
            buf,
            rows: 0,
        }
    }

    /// Appends the rows of an in-memory block, as if they had been written here, and hands
    /// back the block's emptied buffer for the next block. A large block is hashed and written
    /// as it is, not copied into this file's buffer first.
    pub fn append(&mut self, block: CsvFile) -> Result<Vec<u8>> {
        let mut bytes = block.buf;
        self.rows += block.rows;
        if self.file.is_none() || self.buf.len() + bytes.len() < FLUSH_AT {
            self.buf.extend_from_slice(&bytes);
        } else {
            self.flush()?;
            self.write(&bytes)?;
        }
        bytes.clear();
        Ok(bytes)
    }

    /// Marks the end of a record (its bytes, newline included, are already in `buf`).
    #[inline]
    pub fn end_row(&mut self) -> Result<()> {
        self.rows += 1;
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.file.is_none() {
            // An in-memory block keeps its rows until appended.
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let written = self.write(&buf);
        self.buf = buf;
        self.buf.clear();
        written
    }

    /// Hashes and writes `bytes` to the file (a no-op for an in-memory block).
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        self.hasher.update(bytes);
        file.write_all(bytes).map_err(|source| Error::Io {
            context: format!("writing {}", self.path.display()),
            source,
        })
    }

    /// Writes what is left and returns the manifest entry.
    pub fn finish(mut self) -> Result<FileEntry> {
        self.flush()?;
        if let Some(file) = self.file.as_mut() {
            file.flush().map_err(|source| Error::Io {
                context: format!("closing {}", self.path.display()),
                source,
            })?;
        }
        Ok(FileEntry {
            rows: self.rows,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}

/// Appends the decimal digits of `n`.
#[inline]
pub fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends cents as money with two decimals (`12.99`, `-0.50`).
#[inline]
pub fn push_money(buf: &mut Vec<u8>, cents: i64) {
    if cents < 0 {
        buf.push(b'-');
    }
    let abs = cents.unsigned_abs();
    push_u64(buf, abs / 100);
    buf.push(b'.');
    push_2(buf, (abs % 100) as u32);
}

#[inline]
fn push_2(buf: &mut Vec<u8>, n: u32) {
    buf.push(b'0' + (n / 10) as u8);
    buf.push(b'0' + (n % 10) as u8);
}

/// Appends `YYYY-MM-DD`.
pub fn push_date(buf: &mut Vec<u8>, date: NaiveDate) {
    let year = date.year().clamp(0, 9999) as u32;
    push_2(buf, year / 100);
    push_2(buf, year % 100);
    buf.push(b'-');
    push_2(buf, date.month());
    buf.push(b'-');
    push_2(buf, date.day());
}

/// Appends `THH:MM:SS.mmmZ` for `ms` into a day.
#[inline]
pub fn push_time(buf: &mut Vec<u8>, ms: u32) {
    let secs = ms / 1000;
    buf.push(b'T');
    push_2(buf, secs / 3600);
    buf.push(b':');
    push_2(buf, secs / 60 % 60);
    buf.push(b':');
    push_2(buf, secs % 60);
    buf.push(b'.');
    let frac = ms % 1000;
    buf.push(b'0' + (frac / 100) as u8);
    push_2(buf, frac % 100);
    buf.push(b'Z');
}

/// Appends a text field, quoted only if it holds a comma, quote or line break.
pub fn push_text(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_money_and_times_are_formatted_exactly() {
        let mut b = Vec::new();
        push_u64(&mut b, 0);
        b.push(b' ');
        push_u64(&mut b, 18_446_744_073_709_551_615);
        b.push(b' ');
        push_money(&mut b, 1299);
        b.push(b' ');
        push_money(&mut b, -50);
        b.push(b' ');
        push_date(&mut b, NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        push_time(&mut b, 86_399_999);
        b.push(b' ');
        push_text(&mut b, "Velvet & Co, \"x\"");
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "0 18446744073709551615 12.99 -0.50 2026-03-09T23:59:59.999Z \"Velvet & Co, \"\"x\"\"\""
        );
    }
}
