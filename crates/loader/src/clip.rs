//! Echoing input in messages without echoing all of it (issue 14, defect 8): a landing file
//! whose first line was 200 MB of garbage once put all of it into stderr, the JSON line and
//! `ops.task_runs.error`. Every value the loader shows in an error or a reject's `detail`
//! goes through [`clip`].

use std::fmt::{self, Write as _};

use sha2::{Digest, Sha256};

/// The longest rendering of an echoed value, in bytes, before it is cut.
pub(crate) const SHOWN_BYTES: usize = 200;

/// A value from the input as a message shows it. [`Clipped::quoted`] quotes and escapes it
/// as `str`'s `Debug` does, `{}` shows it as it is; either way a value whose rendering would
/// pass [`SHOWN_BYTES`] is cut and followed by its length and SHA-256, so that it can still
/// be told apart and found: `"garbage-garb…" (209715200 bytes, sha256 1f2e…)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clipped<'a> {
    shown: &'a [u8],
    /// Length and hash of the whole value when `shown` is only its beginning.
    whole: Option<(u64, &'a str)>,
}

/// Wraps `value` for a message (see [`Clipped`]).
pub(crate) fn clip<T: AsRef<[u8]> + ?Sized>(value: &T) -> Clipped<'_> {
    Clipped {
        shown: value.as_ref(),
        whole: None,
    }
}

impl<'a> Clipped<'a> {
    /// A value of which only `prefix` was kept: `len` bytes in all, with hash `sha256`.
    pub(crate) fn of_prefix(prefix: &'a [u8], len: u64, sha256: &'a str) -> Self {
        Self {
            shown: prefix,
            whole: Some((len, sha256)),
        }
    }

    fn render(&self, f: &mut fmt::Formatter<'_>, quoted: bool) -> fmt::Result {
        let complete = self.whole.is_none() && self.shown.len() <= SHOWN_BYTES;
        // Every byte renders as at least one byte, so the first SHOWN_BYTES are enough.
        let text = String::from_utf8_lossy(&self.shown[..self.shown.len().min(SHOWN_BYTES)]);
        let mut out = String::with_capacity(SHOWN_BYTES + 16);
        let mut cut = false;
        let mut one = [0u8; 4];
        for c in text.chars() {
            let before = out.len();
            if quoted {
                let escaped = format!("{:?}", &*c.encode_utf8(&mut one));
                out.push_str(&escaped[1..escaped.len() - 1]);
            } else {
                out.push(c);
            }
            if out.len() > SHOWN_BYTES {
                out.truncate(before);
                cut = true;
                break;
            }
        }
        if complete && !cut {
            return if quoted {
                write!(f, "{:?}", text)
            } else {
                f.write_str(&text)
            };
        }
        let (len, sha256) = match self.whole {
            Some((len, sha256)) => (len, sha256.to_owned()),
            None => (
                self.shown.len() as u64,
                hex::encode(Sha256::digest(self.shown)),
            ),
        };
        if quoted {
            f.write_char('"')?;
            f.write_str(&out)?;
            f.write_str("…\"")?;
        } else {
            f.write_str(&out)?;
            f.write_char('…')?;
        }
        write!(f, " ({len} bytes, sha256 {sha256})")
    }
}

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.render(f, false)
    }
}

/// [`Clipped`] rendered quoted and escaped (see [`Clipped::quoted`]).
struct Quoted<'a>(Clipped<'a>);

impl Clipped<'_> {
    /// The quoted, escaped rendering: what `{:?}` gives for a `str`, cut when long.
    pub(crate) fn quoted(&self) -> String {
        Quoted(*self).to_string()
    }
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.render(f, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_show_whole_and_long_ones_cut_with_length_and_hash() {
        assert_eq!(clip("12x").quoted(), "\"12x\"");
        assert_eq!(clip("a\"b\n").quoted(), "\"a\\\"b\\n\"");
        assert_eq!(clip("plain").to_string(), "plain");
        let long = "x".repeat(1000);
        let sha = hex::encode(Sha256::digest(long.as_bytes()));
        assert_eq!(
            clip(&long).quoted(),
            format!("\"{}…\" (1000 bytes, sha256 {sha})", "x".repeat(200))
        );
        assert_eq!(
            clip(&long).to_string(),
            format!("{}… (1000 bytes, sha256 {sha})", "x".repeat(200))
        );
    }

    #[test]
    fn escapes_and_invalid_bytes_never_make_the_rendering_longer_than_the_limit() {
        let nasty: Vec<u8> = (0..100_000u32).map(|i| (i % 256) as u8).collect();
        for shown in [clip(&nasty).quoted(), clip(&nasty).to_string()] {
            assert!(shown.len() <= SHOWN_BYTES + 100, "{}", shown.len());
            assert!(shown.contains("(100000 bytes, sha256 "), "{shown}");
        }
        let controls = "\u{1}".repeat(150);
        assert!(clip(&controls).quoted().contains("(150 bytes, sha256 "));
        assert_eq!(
            Clipped::of_prefix(b"abc", 7, "ff").quoted(),
            "\"abc…\" (7 bytes, sha256 ff)"
        );
    }
}
