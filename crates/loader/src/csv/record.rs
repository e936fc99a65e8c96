//! One CSV record as the reader hands it out: its exact bytes, start line, quoting flaw or
//! excess length, and its unquoted fields.

/// A record longer than the reader's limit: its whole length and SHA-256 (its bytes are not
/// kept beyond the limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLarge {
    /// The record's length in bytes, without its line terminator.
    pub len: u64,
    /// Lower-case hex SHA-256 of those bytes.
    pub sha256: String,
}

/// Why a record's quoting is broken (the record is kept whole for quarantine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flaw {
    /// A quoted field is still open at the end of the file.
    UnterminatedQuote,
    /// Text follows the closing quote of a field.
    TextAfterQuote,
}

/// One record, borrowed from the reader until the next call.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    /// The record's bytes exactly as in the file, without its line terminator; only the
    /// first bytes, up to the limit, when [`Record::too_large`] is set.
    pub raw: &'a [u8],
    /// The 1-based line the record starts on (the header is line 1).
    pub line: u64,
    /// Broken quoting, if any.
    pub flaw: Option<Flaw>,
    /// Set when the record is longer than the reader's limit; its fields are then not
    /// available (none, or those of the part still buffered) and it must be refused whole.
    pub too_large: Option<TooLarge>,
    /// The unquoted bytes of the fields, concatenated (the reader's buffer).
    pub(super) data: &'a [u8],
    /// Where each field ends in `data`.
    pub(super) ends: &'a [usize],
}

impl<'a> Record<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The unquoted bytes of field `i`.
    pub fn field(&self, i: usize) -> &'a [u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Where field `i` lies in [`Record::data`].
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        start..self.ends[i]
    }

    /// The unquoted bytes of all fields, concatenated.
    pub fn data(&self) -> &'a [u8] {
        &self.data[..self.ends.last().copied().unwrap_or(0)]
    }

    /// Iterates over the unquoted fields.
    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.field(i))
    }
}
