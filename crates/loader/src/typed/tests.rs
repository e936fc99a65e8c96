//! Typing records into PGCOPY rows: each column kind, and each refusal with its reason.

use super::*;
use crate::{csv::RecordReader, spec::TABLES};

const EVENT_OK: &str = "e1,2025-03-01T10:00:00.5Z,42,s1,purchase,/p,7,2,19.99,o1,mobile,DE";

fn encode(spec: &TableSpec, line: &str) -> Result<BytesMut, Refusal> {
    let mut r = RecordReader::new(line.as_bytes());
    let rec = r.next_record().unwrap().unwrap();
    let mut out = BytesMut::new();
    encode_row(spec, &rec, 0, 1000, &mut out).map(|()| out)
}

fn reason(spec: &TableSpec, line: &str) -> &'static str {
    encode(spec, line).err().map_or("ok", |r| r.reason.as_str())
}

#[test]
fn a_clean_event_encodes_every_column() {
    let out = encode(&TABLES[0], EVENT_OK).unwrap();
    assert_eq!(&out[..2], &14i16.to_be_bytes());
    // event_ts is the fourth value: after count, batch_date, source_line and event_id.
    let ts_at = 2 + 8 + 12 + 4 + 2;
    assert_eq!(&out[ts_at..ts_at + 4], &8i32.to_be_bytes());
    let micros = i64::from_be_bytes(out[ts_at + 4..ts_at + 12].try_into().unwrap());
    let expected = (1_740_823_200 - PG_EPOCH_SECS) * 1_000_000 + 500_000;
    assert_eq!(micros, expected);
}

#[test]
fn each_unparseable_value_has_its_reason() {
    let ev = &TABLES[0];
    let with = |i: usize, v: &str| {
        let mut f: Vec<&str> = EVENT_OK.split(',').collect();
        f[i] = v;
        f.join(",")
    };
    assert_eq!(reason(ev, EVENT_OK), "ok");
    assert_eq!(
        reason(ev, &with(1, "2025-13-01T00:00:00Z")),
        "bad_timestamp"
    );
    assert_eq!(reason(ev, &with(1, "yesterday")), "bad_timestamp");
    assert_eq!(reason(ev, &with(2, "12x")), "bad_number");
    assert_eq!(reason(ev, &with(2, "9223372036854775808")), "bad_number");
    assert_eq!(reason(ev, &with(8, "1.999")), "bad_number");
    assert_eq!(reason(ev, &with(8, "99999999999")), "bad_number");
    assert_eq!(reason(ev, &with(0, "a\0b")), "nul_byte");
    assert_eq!(reason(ev, &with(10, &"x".repeat(1001))), "field_too_large");
    assert_eq!(reason(ev, "a,b"), "bad_field_count");
    assert_eq!(reason(ev, &format!("{EVENT_OK},extra")), "bad_field_count");
    assert_eq!(
        reason(
            &TABLES[1],
            "1,a,b,DE,c,d,e,f,2025-01-01,2025-01-01T00:00:00Z,maybe"
        ),
        "bad_boolean"
    );
    assert_eq!(
        reason(
            &TABLES[1],
            "1,a,b,DE,c,d,e,f,2025-02-30,2025-01-01T00:00:00Z,false"
        ),
        "bad_timestamp"
    );
}

#[test]
fn a_leap_second_or_an_out_of_range_time_is_a_bad_timestamp() {
    let ev = &TABLES[0];
    let with = |v: &str| EVENT_OK.replacen("2025-03-01T10:00:00.5Z", v, 1);
    for v in [
        "2026-02-18T23:59:60Z",
        "2026-02-18T23:59:60.999999Z",
        "2026-02-18T22:59:60-01:00",
        "2026-02-18T12:30:60Z",
        "2026-02-18T24:00:00Z",
        "2026-02-18T23:60:00Z",
        "2026-02-18T23:59:61Z",
        "2026-02-18T25:00:00Z",
        "2026-02-18T23:59:59+24:00",
    ] {
        assert_eq!(reason(ev, &with(v)), "bad_timestamp", "{v}");
    }
    assert_eq!(reason(ev, &with("2026-02-18T23:59:59.999999Z")), "ok");
    let user = |ts: &str| format!("1,a,b,DE,c,d,e,f,2025-01-01,{ts},false");
    assert_eq!(
        reason(&TABLES[1], &user("2026-02-18T23:59:60Z")),
        "bad_timestamp"
    );
    assert_eq!(
        encode(ev, &with("2026-02-18T23:59:60Z"))
            .unwrap_err()
            .detail,
        "event_ts: \"2026-02-18T23:59:60Z\" has a leap second (:60), which would roll over into the next minute"
    );
}

#[test]
fn empty_and_blank_values_are_null_and_typed_values_are_trimmed() {
    let ev = &TABLES[0];
    assert_eq!(reason(ev, ",,,,,,,,,,,"), "ok");
    assert_eq!(
        reason(ev, "e, 2025-03-01T10:00:00Z , 42 ,s,t,u, ,  , 1.50 ,o,d,c"),
        "ok"
    );
    let all_null = encode(ev, ",,,,,,,,,,,").unwrap();
    // count + batch_date + source_line + 12 NULLs.
    assert_eq!(all_null.len(), 2 + 8 + 12 + 12 * 4);
}

#[test]
fn invalid_utf8_is_refused_by_column() {
    let mut r = RecordReader::new(&b"e1,2025-03-01T10:00:00Z,1,s,t,\xff\xfe,,,,,,"[..]);
    let rec = r.next_record().unwrap().unwrap();
    let err = encode_row(&TABLES[0], &rec, 0, 1000, &mut BytesMut::new()).unwrap_err();
    assert_eq!(err.reason, "invalid_utf8");
    assert_eq!(err.detail, "page_url: invalid UTF-8 at byte 0");
}

#[test]
fn a_character_split_by_a_comma_is_invalid_utf8_in_both_fields() {
    // "\xC3" + "," + "\xA9": the record's unquoted bytes read "é" once the comma is gone.
    let mut r = RecordReader::new(&b"e1,2025-03-01T10:00:00Z,1,s,t,/\xC3,\xA9,,,,,"[..]);
    let rec = r.next_record().unwrap().unwrap();
    let err = encode_row(&TABLES[0], &rec, 0, 1000, &mut BytesMut::new()).unwrap_err();
    assert_eq!(err.reason, "invalid_utf8");
    assert_eq!(err.detail, "page_url: invalid UTF-8 at byte 1");
}

#[test]
fn user_id_is_recovered_when_it_parses() {
    let mut r = RecordReader::new(&b"x,y,77,too,few"[..]);
    let rec = r.next_record().unwrap().unwrap();
    assert_eq!(user_id(&TABLES[0], &rec), Some(77));
    assert_eq!(user_id(&TABLES[2], &rec), None);
}
