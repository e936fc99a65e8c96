//! Property-based fuzzing of what the loader reads from a landing directory (issue 14): the
//! CSV reader and typer ([`parse_file`]) and the manifest ([`LandingDay::open_dir`]). Any
//! bytes, up to about 1 MB, and near-valid files built from valid and broken values: nothing
//! panics, every record is accounted for, rejects keep their bytes (up to the record
//! limit), and no message or detail grows with the input.
//!
//! 2,000 cases per property by default (`PROPTEST_CASES` overrides it); a longer run:
//! `PROPTEST_CASES=200000 cargo test --release -p retention-loader --test fuzz`.

#![allow(clippy::unwrap_used)] // a failed setup is a failed test

use std::io::Write as _;

use chrono::NaiveDate;
use proptest::{collection::vec, prelude::*, test_runner::Config};
use retention_loader::{Error, LandingDay, LoadOptions, ParsedFile, parse_file};
use retention_model::landing::{EVENTS_HEADER, MANIFEST_FILE, PRODUCTS_HEADER, USERS_HEADER};
use sha2::{Digest, Sha256};

/// Cases per property: `PROPTEST_CASES`, else 2,000.
fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
        failure_persistence: None,
        ..Config::default()
    }
}

const FILES: [&str; 3] = ["events.csv", "users.csv", "products.csv"];

/// The longest error or reject detail accepted: a clipped value and the words around it.
const MESSAGE_BOUND: usize = 1000;

fn batch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 18).unwrap()
}

fn header(file: &str) -> String {
    match file {
        "events.csv" => EVENTS_HEADER.join(","),
        "users.csv" => USERS_HEADER.join(","),
        _ => PRODUCTS_HEADER.join(","),
    }
}

/// Bytes of any kind: mostly short, sometimes a short pattern repeated up to about 1 MB (a
/// huge line, a sea of commas or quotes), which proptest builds cheaply.
fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => vec(any::<u8>(), 0..512),
        1 => (vec(any::<u8>(), 1..8), 1usize..(1 << 20) / 8)
            .prop_map(|(chunk, n)| chunk.repeat(n)),
    ]
}

/// A record limit: the default, or small so that `record_too_large` is exercised.
fn options() -> impl Strategy<Value = LoadOptions> {
    prop_oneof![Just(2usize << 20), 1usize..300].prop_map(|max_record_bytes| LoadOptions {
        max_record_bytes,
        max_field_bytes: 1024,
        ..LoadOptions::default()
    })
}

/// One field value: valid values of each kind, and the broken ones a feed carries.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("42".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("19.99".to_owned()),
        Just("1.999".to_owned()),
        Just("9999999999999.00".to_owned()),
        Just("true".to_owned()),
        Just("maybe".to_owned()),
        Just("2026-02-18".to_owned()),
        Just("2026-02-30".to_owned()),
        Just("2026-02-18T10:00:00Z".to_owned()),
        Just("2026-02-18T23:59:60Z".to_owned()),
        Just("2026-02-18T24:00:00Z".to_owned()),
        Just("2026-02-18T23:60:00+01:00".to_owned()),
        Just("\"quoted, with comma\"".to_owned()),
        Just("\"say \"\"hi\"\"\"".to_owned()),
        Just("\"two\r\nlines\"".to_owned()),
        Just("\"open".to_owned()),
        Just("\"closed\"trailing".to_owned()),
        Just("a\0b".to_owned()),
        Just("\u{feff}bom".to_owned()),
        "[a-z0-9 ./@-]{0,12}",
        "\\PC{0,6}",
        (1usize..3000).prop_map(|n| "x".repeat(n)),
    ]
}

/// A landing file close to valid: the right header (or a broken one), then rows of 10 to 14
/// fields joined by LF or CRLF, with blank lines, a BOM and a missing final newline now and
/// then, and a few raw bytes spliced in.
fn near_valid() -> impl Strategy<Value = (&'static str, Vec<u8>)> {
    (
        prop::sample::select(FILES.to_vec()),
        any::<bool>(),
        prop_oneof![4 => Just(true), 1 => Just(false)],
        vec(vec(field(), 10..14), 0..40),
        prop::sample::select(vec!["\n", "\r\n", "\n\n", "\r"]),
        any::<bool>(),
        vec((any::<prop::sample::Index>(), vec(any::<u8>(), 1..4)), 0..3),
    )
        .prop_map(|(file, bom, good_header, rows, eol, last_eol, splices)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            if good_header {
                text.push_str(&header(file));
            } else {
                text.push_str(&header(file).replacen(',', ";", 1));
            }
            for row in rows {
                text.push_str(eol);
                text.push_str(&row.join(","));
            }
            if last_eol {
                text.push_str(eol);
            }
            let mut bytes = text.into_bytes();
            for (at, junk) in splices {
                let i = at.index(bytes.len() + 1);
                bytes.splice(i..i, junk);
            }
            (file, bytes)
        })
}

/// What must hold of any parse: every record counted once, the file's length and hash, each
/// reject's bytes within the limit (and exactly as in the file when short), bounded details.
fn check_parse(input: &[u8], options: &LoadOptions, result: Result<ParsedFile, Error>) {
    let parsed = match result {
        Ok(p) => p,
        Err(e) => {
            assert!(matches!(e, Error::BadHeader { .. }), "{e}");
            assert!(
                e.to_string().len() < MESSAGE_BOUND,
                "{}",
                e.to_string().len()
            );
            return;
        }
    };
    assert_eq!(parsed.read, parsed.encoded + parsed.rejects.len() as u64);
    assert_eq!(parsed.bytes, input.len() as u64);
    assert_eq!(parsed.sha256, hex::encode(Sha256::digest(input)));
    let mut last_line = 1;
    for r in &parsed.rejects {
        assert!(
            r.line > last_line,
            "lines go forward: {} after {last_line}",
            r.line
        );
        last_line = r.line;
        assert!(r.raw.len() <= options.max_record_bytes);
        assert!(
            r.detail.len() < MESSAGE_BOUND,
            "{}: {}",
            r.reason,
            r.detail.len()
        );
        if r.reason != retention_model::RejectReason::RecordTooLarge && input.len() <= 64 * 1024 {
            assert!(
                input.windows(r.raw.len().max(1)).any(|w| w == &r.raw[..]) || r.raw.is_empty(),
                "raw bytes are the file's"
            );
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_parse_without_panic_and_every_record_is_accounted_for(
        file in prop::sample::select(FILES.to_vec()),
        with_header in any::<bool>(),
        body in any_bytes(),
        options in options(),
    ) {
        let mut input = Vec::new();
        if with_header {
            input.extend_from_slice(header(file).as_bytes());
            input.push(b'\n');
        }
        input.extend_from_slice(&body);
        let result = parse_file(&input[..], file, batch(), &options);
        check_parse(&input, &options, result);
    }

    #[test]
    fn near_valid_files_parse_without_panic_and_every_record_is_accounted_for(
        (file, input) in near_valid(),
        options in options(),
    ) {
        let result = parse_file(&input[..], file, batch(), &options);
        check_parse(&input, &options, result);
    }

    #[test]
    fn clean_rows_are_all_read_and_leap_seconds_never_staged(
        rows in vec((any::<bool>(), 0u32..24, 0u32..60, 0u32..61), 1..50),
    ) {
        let mut input = header("events.csv");
        let mut leap = 0;
        for (i, (utc, h, m, s)) in rows.iter().enumerate() {
            leap += u64::from(*s == 60);
            let zone = if *utc { "Z" } else { "+05:30" };
            input.push_str(&format!(
                "\ne{i},2026-02-18T{h:02}:{m:02}:{s:02}{zone},{i},s,page_view,/p,,,,,mobile,DE"
            ));
        }
        let parsed = parse_file(input.as_bytes(), "events.csv", batch(), &LoadOptions::default()).unwrap();
        prop_assert_eq!(parsed.read, rows.len() as u64);
        prop_assert_eq!(parsed.rejects.len() as u64, leap);
        prop_assert!(parsed.rejects.iter().all(|r| r.reason == retention_model::RejectReason::BadTimestamp));
    }
}

/// One manifest value: valid ones, wrong types, huge strings, deep nesting.
fn manifest_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        Just("null".to_owned()),
        Just("\"2026-02-18\"".to_owned()),
        Just("\"2026-02-30\"".to_owned()),
        Just("{}".to_owned()),
        Just("[]".to_owned()),
        Just("{\"events.csv\": {\"rows\": 1, \"sha256\": \"ab\"}}".to_owned()),
        (1usize..200_000).prop_map(|n| format!("\"{}\"", "m".repeat(n))),
        (1usize..400).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n))),
        "\"\\PC{0,10}\"",
    ]
}

const MANIFEST_KEYS: [&str; 10] = [
    "schema_version",
    "generator_version",
    "seed",
    "scale",
    "config_hash",
    "date",
    "files",
    "mess",
    "snapshot",
    "unknown",
];

fn write_manifest(dir: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::File::create(dir.join(MANIFEST_FILE)).unwrap();
    f.write_all(bytes).unwrap();
}

fn check_open(dir: &std::path::Path) {
    match LandingDay::open_dir(dir.to_path_buf(), batch(), false) {
        Ok(day) => panic!("a day without its files opened: {:?}", day.manifest()),
        Err(e) => {
            let shown = e.to_string();
            let path = dir.display().to_string().len();
            assert!(shown.len() < MESSAGE_BOUND + path, "{}", shown.len());
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_manifest_bytes_are_refused_without_panic_and_with_a_bounded_message(
        bytes in any_bytes(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_manifest(dir.path(), &bytes);
        check_open(dir.path());
    }

    #[test]
    fn near_valid_manifests_are_refused_without_panic_and_with_a_bounded_message(
        fields in vec((prop::sample::select(MANIFEST_KEYS.to_vec()), manifest_value()), 0..12),
    ) {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let dir = tempfile::tempdir().unwrap();
        write_manifest(dir.path(), format!("{{{}}}", body.join(", ")).as_bytes());
        check_open(dir.path());
    }
}

/// Peak resident memory of this process, from `/proc/self/status` (Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn memory_stays_bounded_on_the_worst_1_mb_inputs() {
    let mib = 1 << 20;
    let worst: [Vec<u8>; 5] = [
        vec![b'x'; mib],
        vec![b','; mib],
        vec![b'"'; mib],
        [b"\"".as_slice(), &vec![b'\n'; mib]].concat(),
        b"\"a\"b,".repeat(mib / 5),
    ];
    let options = LoadOptions {
        max_record_bytes: 64 * 1024,
        ..LoadOptions::default()
    };
    for body in &worst {
        for file in FILES {
            let input = [header(file).as_bytes(), b"\n", body].concat();
            let result = parse_file(&input[..], file, batch(), &options);
            check_parse(&input, &options, result);
        }
    }
    // Other tests of this binary run alongside with inputs of the same size: the whole
    // process stays far below what holding records or fields whole would take.
    if let Some(peak) = peak_rss_bytes() {
        assert!(peak < 512 << 20, "peak RSS {peak} bytes");
    }
}
