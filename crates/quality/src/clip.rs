//! Echoing input in messages without echoing all of it (issue 14, defect 8): a landing file
//! whose first line was 200 MB of garbage once put all of it into stderr, the JSON line and
//! `ops.task_runs.error`, and a suite can be as hostile. Every value from a suite or a table
//! that the engine shows in an error or a summary (names, kwargs, parser messages, sample
//! values) goes through [`clip`]. The loader has the same helper: this crate depends on no
//! project crate but the dependency-free `retention-pgsql`, so that it can be used alone.

use std::fmt::{self, Write as _};

use sha2::{Digest, Sha256};

/// The longest rendering of an echoed value, in bytes, before it is cut.
pub(crate) const SHOWN_BYTES: usize = 200;

/// A value from a suite or a table as a message shows it (`{}`): as it is, or when longer
/// than [`SHOWN_BYTES`] cut and followed by its length and SHA-256, so that it can still be
/// told apart and found: `garbage-garb… (209715200 bytes, sha256 1f2e…)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clipped<'a> {
    shown: &'a [u8],
}

/// Lower-case hex of `bytes`.
fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Wraps `value` for a message (see [`Clipped`]).
pub(crate) fn clip<T: AsRef<[u8]> + ?Sized>(value: &T) -> Clipped<'_> {
    Clipped {
        shown: value.as_ref(),
    }
}

impl Clipped<'_> {
    /// Writes the value as it is, cut after [`SHOWN_BYTES`] of rendering.
    fn render(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every byte renders as at least one byte, so the first SHOWN_BYTES are enough.
        let text = String::from_utf8_lossy(&self.shown[..self.shown.len().min(SHOWN_BYTES)]);
        if self.shown.len() <= SHOWN_BYTES && text.len() <= SHOWN_BYTES {
            return f.write_str(&text);
        }
        let mut end = SHOWN_BYTES.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let (len, sha256) = (self.shown.len(), to_hex(&Sha256::digest(self.shown)));
        f.write_str(&text[..end])?;
        f.write_char('…')?;
        write!(f, " ({len} bytes, sha256 {sha256})")
    }
}

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.render(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_show_whole_and_long_ones_cut_with_length_and_hash() {
        assert_eq!(clip("plain").to_string(), "plain");
        let long = "x".repeat(1000);
        let sha = to_hex(&Sha256::digest(long.as_bytes()));
        assert_eq!(
            clip(&long).to_string(),
            format!("{}… (1000 bytes, sha256 {sha})", "x".repeat(200))
        );
    }

    #[test]
    fn invalid_bytes_never_make_the_rendering_longer_than_the_limit() {
        let nasty: Vec<u8> = (0..100_000u32).map(|i| (i % 256) as u8).collect();
        let shown = clip(&nasty).to_string();
        assert!(shown.len() <= SHOWN_BYTES + 100, "{}", shown.len());
        assert!(shown.contains("(100000 bytes, sha256 "), "{shown}");
        let invalid = vec![0xffu8; 150];
        assert!(clip(&invalid).to_string().contains("(150 bytes, sha256 "));
        let controls = "\u{1}".repeat(150);
        assert_eq!(clip(&controls).to_string(), controls);
    }
}
