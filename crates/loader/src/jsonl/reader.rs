//! Splitting JSON Lines input into lines, with their numbers and exact bytes, in bounded
//! memory: a line longer than the limit keeps only its first bytes, and its whole length and
//! SHA-256 are computed on the way.

use std::io::{BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use crate::csv::TooLarge;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One non-blank line.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// Its bytes without the line terminator (LF or CRLF); only the first bytes, up to the
    /// limit, when `too_large` is set.
    pub raw: &'a [u8],
    /// The 1-based physical line (no header: the first line is 1).
    pub line: u64,
    /// Set when the line is longer than the limit.
    pub too_large: Option<TooLarge>,
}

/// Reads lines from its input; blank lines (only spaces, tabs or a CR) are counted but are
/// not records, and a UTF-8 BOM at the start is skipped.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    input: BufReader<R>,
    buf: Vec<u8>,
    next_line: u64,
    max: usize,
}

impl<R: Read> LineReader<R> {
    /// A reader keeping at most `max` bytes of one line (at least one).
    pub fn new(input: R, max: usize) -> Self {
        Self {
            input: BufReader::with_capacity(1 << 20, input),
            buf: Vec::with_capacity(4096),
            next_line: 1,
            max: max.max(1),
        }
    }

    /// The next non-blank line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        loop {
            self.buf.clear();
            let mut total = 0u64;
            let mut hasher: Option<Sha256> = None;
            let mut ended = false;
            loop {
                let avail = match self.input.fill_buf() {
                    Ok(a) => a,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if avail.is_empty() {
                    break;
                }
                let (part, used, done) = match avail.iter().position(|&b| b == b'\n') {
                    Some(i) => (&avail[..i], i + 1, true),
                    None => (avail, avail.len(), false),
                };
                total += part.len() as u64;
                if hasher.is_none() && self.buf.len() + part.len() <= self.max {
                    self.buf.extend_from_slice(part);
                } else {
                    let h = hasher.get_or_insert_with(|| Sha256::new().chain_update(&self.buf));
                    h.update(part);
                    let room = self.max.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&part[..room.min(part.len())]);
                }
                self.input.consume(used);
                if done {
                    ended = true;
                    break;
                }
            }
            if !ended && total == 0 {
                return Ok(None);
            }
            let line = self.next_line;
            self.next_line += 1;
            let mut start = 0;
            if line == 1 && self.buf.starts_with(BOM) {
                start = BOM.len();
            }
            let too_large = hasher.map(|h| TooLarge {
                len: total,
                sha256: hex::encode(h.finalize()),
            });
            let mut end = self.buf.len();
            if too_large.is_none() && end > start && self.buf[end - 1] == b'\r' {
                end -= 1;
            }
            let raw = &self.buf[start..end];
            if too_large.is_none() && raw.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            return Ok(Some(Line {
                raw: &self.buf[start..end],
                line,
                too_large,
            }));
        }
    }
}
