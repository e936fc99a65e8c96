use chrono::NaiveDate;

use super::*;
use crate::spec::TABLES;

const LIMITS: Limits = Limits {
    max_field_bytes: 100,
    max_record_bytes: 1000,
};

fn run(input: &[u8]) -> ParsedFile {
    let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default();
    let mapping = Mapping::preset("segment").unwrap();
    parse_jsonl(input, &TABLES[0], day, LIMITS, &mapping, 64, |_| true).unwrap()
}

#[test]
fn lines_are_numbered_from_one_and_blank_lines_are_not_records() {
    let input = b"\xEF\xBB\xBF{\"type\":\"page\",\"userId\":\"1\",\"messageId\":\"a\"}\r\n\n  \n{not json\n[1]\n{\"type\":\"page\",\"anonymousId\":\"z\"}";
    let p = run(input);
    assert_eq!((p.read, p.encoded, p.expanded), (4, 1, 0));
    let got: Vec<(u64, &str, &[u8])> = p
        .rejects
        .iter()
        .map(|r| (r.line, r.reason.as_str(), &r.raw[..]))
        .collect();
    assert_eq!(
        got,
        vec![
            (4, "bad_json", &b"{not json"[..]),
            (5, "bad_json", &b"[1]"[..]),
            (
                6,
                "anonymous_user",
                &b"{\"type\":\"page\",\"anonymousId\":\"z\"}"[..]
            ),
        ]
    );
}

#[test]
fn a_line_is_staged_whole_or_rejected_once() {
    let good = r#"{"type":"track","event":"Order Completed","userId":"1","messageId":"m","properties":{"products":[{"product_id":1,"price":1},{"product_id":2,"price":2}]}}"#;
    let bad = r#"{"type":"track","event":"Order Completed","userId":"1","messageId":"n","properties":{"products":[{"product_id":1,"price":1},{"product_id":2,"price":"2.001"}]}}"#;
    let user = r#"{"type":"page","userId":"user-7","messageId":"o"}"#;
    let p = run(format!("{good}\n{bad}\n{user}\n").as_bytes());
    assert_eq!(
        (p.read, p.encoded, p.expanded, p.rejects.len()),
        (3, 2, 1, 2)
    );
    assert_eq!(p.rejects[0].reason, RejectReason::BadNumber);
    assert_eq!(p.rejects[0].user_id, Some(1));
    assert!(
        p.rejects[1].detail.contains("user_id"),
        "{}",
        p.rejects[1].detail
    );
}

#[test]
fn a_line_over_the_limit_is_refused_with_its_first_bytes() {
    let long = format!("{{\"x\":\"{}\"}}\n{{}}\n", "a".repeat(2000));
    let p = run(long.as_bytes());
    assert_eq!(p.read, 2);
    assert_eq!(p.rejects[0].reason, RejectReason::RecordTooLarge);
    assert_eq!(p.rejects[0].raw.len(), 1000);
}
