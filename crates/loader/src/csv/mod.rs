//! A streaming CSV record reader that keeps what a loader needs and general CSV readers
//! drop: the exact bytes of each record, the line it starts on, and how its quoting failed.
//!
//! RFC 4180 with the usual leniency: a UTF-8 BOM is skipped, CRLF or LF ends a record,
//! quoted fields may hold commas, quotes (`""`) and newlines, whitespace around a quoted
//! field is ignored, a quote inside an unquoted field is literal, and blank lines are not
//! records. The file's SHA-256 is computed from the same reads, so the manifest check costs
//! no second pass.
//!
//! Memory is bounded whatever the input: a record longer than the reader's limit (by default
//! [`MAX_RECORD_BYTES`]) is not buffered whole. Its first bytes, up to the limit, are kept
//! exactly and the rest is only scanned (to find where the record ends), counted and hashed;
//! the record comes out with [`Record::too_large`] set and `raw` holding that prefix.

use std::io::Read;

use sha2::{Digest, Sha256};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const READ_SIZE: usize = 1 << 20;

/// The default limit of one record's bytes. No record above it could be staged anyway: the
/// widest file has 12 columns and a field may hold at most 64 KiB, twice that when quoted.
pub(crate) const MAX_RECORD_BYTES: usize = 2 << 20;

mod record;

pub(crate) use record::{Flaw, Record, TooLarge};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (possibly after leading blanks).
    Start,
    Unquoted,
    Quoted,
    /// Just read a quote inside a quoted field: either `""` or the closing quote.
    QuoteInQuoted,
    /// After a closing quote and optional blanks.
    AfterQuoted,
}

/// Reads records one by one from any byte source, hashing every byte it reads.
#[derive(Debug)]
pub(crate) struct RecordReader<R> {
    input: R,
    hasher: Sha256,
    bytes_read: u64,
    buf: Vec<u8>,
    /// Valid bytes are `buf[..end]`.
    end: usize,
    /// Where the current record starts in `buf`.
    rec_start: usize,
    /// How far the current record has been scanned.
    pos: usize,
    state: State,
    flaw: Option<Flaw>,
    /// Unquoted field bytes of the current record, and where each field ends.
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Leading blanks pushed at the start of the current field (dropped if a quote follows).
    lead: usize,
    line: u64,
    newlines_in_record: u64,
    eof: bool,
    started: bool,
    /// The longest record kept whole.
    max_record: usize,
    /// Once the current record has grown past `max_record`: its bytes dropped so far (not
    /// counting those still in `buf`) and their running hash. Its first `max_record` bytes
    /// are in `kept`.
    big: Option<(u64, Sha256)>,
    kept: Vec<u8>,
}

impl<R: Read> RecordReader<R> {
    /// A reader over `input` with the default record limit, [`MAX_RECORD_BYTES`].
    #[cfg(test)]
    pub fn new(input: R) -> Self {
        Self::with_max_record(input, MAX_RECORD_BYTES)
    }

    /// A reader over `input` that keeps at most `max_record` bytes of any one record (at
    /// least one).
    pub fn with_max_record(input: R, max_record: usize) -> Self {
        Self {
            input,
            hasher: Sha256::new(),
            bytes_read: 0,
            buf: vec![0; READ_SIZE],
            end: 0,
            rec_start: 0,
            pos: 0,
            state: State::Start,
            flaw: None,
            data: Vec::with_capacity(4096),
            ends: Vec::with_capacity(32),
            lead: 0,
            line: 1,
            newlines_in_record: 0,
            eof: false,
            started: false,
            max_record: max_record.max(1),
            big: None,
            kept: Vec::new(),
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Lower-case hex SHA-256 of everything read; call after the last record.
    pub fn finish_sha256(self) -> String {
        hex::encode(self.hasher.finalize())
    }

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> std::io::Result<Option<Record<'_>>> {
        loop {
            if !self.started {
                self.fill()?;
                if self.end < BOM.len() && !self.eof {
                    continue;
                }
                self.started = true;
                if self.buf[..self.end].starts_with(BOM) {
                    self.rec_start = BOM.len();
                    self.pos = BOM.len();
                }
            }
            if let Some(range) = self.scan() {
                if self.is_blank(range.0, range.1) {
                    self.reset_record();
                    continue;
                }
                return Ok(Some(self.record(range)));
            }
            if self.eof {
                if self.rec_start >= self.end
                    && self.ends.is_empty()
                    && self.data.is_empty()
                    && self.big.is_none()
                {
                    return Ok(None);
                }
                // The last record has no line terminator (or its quote never closed).
                if self.state == State::Quoted {
                    self.flaw.get_or_insert(Flaw::UnterminatedQuote);
                }
                let raw_end = self.end;
                let range = self.end_record(raw_end, raw_end);
                self.pos = self.end;
                if self.is_blank(range.0, range.1) {
                    self.reset_record();
                    return Ok(None);
                }
                return Ok(Some(self.record(range)));
            }
            self.fill()?;
        }
    }

    fn is_blank(&self, start: usize, end: usize) -> bool {
        start == end && self.flaw.is_none() && self.big.is_none()
    }

    /// Clears the per-record state after a blank line that is not a record.
    fn reset_record(&mut self) {
        self.line += self.newlines_in_record + 1;
        self.newlines_in_record = 0;
        self.data.clear();
        self.ends.clear();
        self.state = State::Start;
        self.lead = 0;
    }

    fn record(&mut self, (start, end): (usize, usize)) -> Record<'_> {
        let line = self.line;
        self.line += self.newlines_in_record + 1;
        self.newlines_in_record = 0;
        let flaw = self.flaw.take();
        self.state = State::Start;
        let raw = &self.buf[start..end];
        let (raw, too_large) = match self.big.take() {
            Some((dropped, mut hasher)) => {
                let room = self.max_record.saturating_sub(self.kept.len());
                self.kept.extend_from_slice(&raw[..room.min(raw.len())]);
                hasher.update(raw);
                // Only the tail's fields were gathered: none of them is usable.
                self.data.clear();
                self.ends.clear();
                let too_large = TooLarge {
                    len: dropped + raw.len() as u64,
                    sha256: hex::encode(hasher.finalize()),
                };
                (&self.kept[..], Some(too_large))
            }
            None if raw.len() > self.max_record => {
                let too_large = TooLarge {
                    len: raw.len() as u64,
                    sha256: hex::encode(Sha256::digest(raw)),
                };
                (&raw[..self.max_record], Some(too_large))
            }
            None => (raw, None),
        };
        Record {
            raw,
            line,
            flaw,
            too_large,
            data: &self.data,
            ends: &self.ends,
        }
    }

    /// Once the current record's scanned bytes pass the limit, keeps its first `max_record`
    /// bytes, hashes and drops the rest of what was scanned, and forgets its fields, so that
    /// no record holds more than about the limit plus one read in memory.
    fn drop_scanned_if_too_large(&mut self) {
        let scanned = self.pos - self.rec_start;
        if self.big.is_none() && scanned <= self.max_record {
            return;
        }
        let part = &self.buf[self.rec_start..self.pos];
        let (dropped, hasher) = self.big.get_or_insert_with(|| {
            self.kept.clear();
            self.kept.reserve_exact(self.max_record);
            (0, Sha256::new())
        });
        let room = self.max_record.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&part[..room.min(part.len())]);
        hasher.update(part);
        *dropped += part.len() as u64;
        self.rec_start = self.pos;
        self.data.clear();
        self.ends.clear();
        self.lead = 0;
    }

    /// Moves the unscanned tail to the front of the buffer, grows it if one record fills it,
    /// and reads more.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.started {
            self.drop_scanned_if_too_large();
        }
        if self.rec_start > 0 {
            self.buf.copy_within(self.rec_start..self.end, 0);
            self.end -= self.rec_start;
            self.pos -= self.rec_start;
            self.rec_start = 0;
        }
        if self.buf.len() - self.end < READ_SIZE / 2 {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        let n = loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.hasher.update(&self.buf[self.end..self.end + n]);
        self.bytes_read += n as u64;
        self.end += n;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// Ends the current field and record at `raw_end`; returns the raw range.
    fn end_record(&mut self, raw_end: usize, next: usize) -> (usize, usize) {
        let mut raw_end = raw_end;
        if raw_end > self.rec_start && self.buf[raw_end - 1] == b'\r' && self.state != State::Quoted
        {
            raw_end -= 1;
            if matches!(self.state, State::Start | State::Unquoted)
                && self.data.last() == Some(&b'\r')
            {
                self.data.pop();
            }
        }
        self.ends.push(self.data.len());
        let range = (self.rec_start, raw_end);
        self.rec_start = next;
        range
    }

    /// Scans from `pos` for the end of the current record; `None` when the buffer runs out.
    fn scan(&mut self) -> Option<(usize, usize)> {
        if self.rec_start == self.pos && self.state == State::Start {
            self.data.clear();
            self.ends.clear();
            self.lead = 0;
        }
        let mut i = self.pos;
        let end = self.end;
        while i < end {
            let b = self.buf[i];
            match self.state {
                State::Start => match b {
                    b'"' => {
                        self.data.truncate(self.data.len() - self.lead);
                        self.lead = 0;
                        self.state = State::Quoted;
                    }
                    b',' => {
                        self.lead = 0;
                        self.ends.push(self.data.len());
                    }
                    b'\n' => {
                        self.pos = i + 1;
                        return Some(self.end_record(i, i + 1));
                    }
                    b' ' | b'\t' => {
                        self.lead += 1;
                        self.data.push(b);
                    }
                    _ => {
                        self.lead = 0;
                        self.data.push(b);
                        self.state = State::Unquoted;
                    }
                },
                State::Unquoted => {
                    let rest = &self.buf[i..end];
                    match rest.iter().position(|&c| c == b',' || c == b'\n') {
                        None => {
                            self.data.extend_from_slice(rest);
                            i = end;
                            continue;
                        }
                        Some(k) => {
                            self.data.extend_from_slice(&rest[..k]);
                            i += k;
                            if self.buf[i] == b',' {
                                self.ends.push(self.data.len());
                                self.state = State::Start;
                            } else {
                                self.pos = i + 1;
                                return Some(self.end_record(i, i + 1));
                            }
                        }
                    }
                }
                State::Quoted => {
                    let rest = &self.buf[i..end];
                    match rest.iter().position(|&c| c == b'"') {
                        None => {
                            self.newlines_in_record +=
                                rest.iter().filter(|&&c| c == b'\n').count() as u64;
                            self.data.extend_from_slice(rest);
                            i = end;
                            continue;
                        }
                        Some(k) => {
                            self.newlines_in_record +=
                                rest[..k].iter().filter(|&&c| c == b'\n').count() as u64;
                            self.data.extend_from_slice(&rest[..k]);
                            i += k;
                            self.state = State::QuoteInQuoted;
                        }
                    }
                }
                State::QuoteInQuoted | State::AfterQuoted => match b {
                    b'"' if self.state == State::QuoteInQuoted => {
                        self.data.push(b'"');
                        self.state = State::Quoted;
                    }
                    b',' => {
                        self.ends.push(self.data.len());
                        self.state = State::Start;
                    }
                    b'\n' => {
                        self.pos = i + 1;
                        return Some(self.end_record(i, i + 1));
                    }
                    b' ' | b'\t' | b'\r' => self.state = State::AfterQuoted,
                    _ => {
                        self.flaw.get_or_insert(Flaw::TextAfterQuote);
                        self.data.push(b);
                        self.state = State::Unquoted;
                    }
                },
            }
            i += 1;
        }
        self.pos = end;
        None
    }
}

#[cfg(test)]
mod tests;
