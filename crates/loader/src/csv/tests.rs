//! The record reader on hand-made bytes: quoting, line ends, flaws and limits.

use super::*;

type Rec = (u64, Vec<u8>, Vec<Vec<u8>>, Option<Flaw>);

fn read_all(input: &[u8]) -> Vec<Rec> {
    let mut r = RecordReader::new(input);
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        out.push((
            rec.line,
            rec.raw.to_vec(),
            rec.fields().map(<[u8]>::to_vec).collect(),
            rec.flaw,
        ));
    }
    out
}

fn fields(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn splits_plain_lf_and_crlf_records() {
    let recs = read_all(b"a,b\r\n1,2\r\n3,\n");
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1], (2, b"1,2".to_vec(), fields(&["1", "2"]), None));
    assert_eq!(recs[2], (3, b"3,".to_vec(), fields(&["3", ""]), None));
}

#[test]
fn skips_bom_and_blank_lines_but_counts_their_lines() {
    let recs = read_all(b"\xEF\xBB\xBFa,b\n\n1,2\r\n\r\n3,4");
    let lines: Vec<u64> = recs.iter().map(|r| r.0).collect();
    assert_eq!(lines, vec![1, 3, 5]);
    assert_eq!(recs[0].2, fields(&["a", "b"]));
    assert_eq!(recs[2].1, b"3,4".to_vec());
}

#[test]
fn quoted_fields_hold_commas_quotes_and_newlines() {
    let input = b"h\n\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"\nnext,1\n";
    let recs = read_all(input);
    assert_eq!(recs[1].0, 2);
    assert_eq!(recs[1].2, fields(&["a,b", "say \"hi\"", "two\r\nlines"]));
    assert_eq!(
        recs[1].1,
        b"\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"".to_vec()
    );
    assert_eq!(
        recs[2].0, 4,
        "the record after a two-line record starts on line 4"
    );
}

#[test]
fn blanks_around_quoted_fields_are_dropped_and_unquoted_blanks_kept() {
    let recs = read_all(b"  \"x\"  , y ,\"z\"\r\n");
    assert_eq!(recs[0].2, fields(&["x", " y ", "z"]));
    assert_eq!(recs[0].3, None);
}

#[test]
fn quote_inside_unquoted_field_is_literal() {
    let recs = read_all(b"ab\"c,d\n");
    assert_eq!(recs[0].2, fields(&["ab\"c", "d"]));
}

#[test]
fn text_after_closing_quote_is_a_flaw() {
    let recs = read_all(b"\"ab\"c,d\n");
    assert_eq!(recs[0].3, Some(Flaw::TextAfterQuote));
}

#[test]
fn unterminated_quote_runs_to_end_of_file() {
    let recs = read_all(b"h\n1,\"open\n2,3\n");
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].3, Some(Flaw::UnterminatedQuote));
    assert_eq!(recs[1].1, b"1,\"open\n2,3\n".to_vec());
}

#[test]
fn records_spanning_many_reads_are_whole() {
    let big = "x".repeat(3 * READ_SIZE + 17);
    let input = format!("h\n\"{big}\",1\n2,3\n");
    let recs = read_all(input.as_bytes());
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1].2[0].len(), big.len());
    assert_eq!(recs[2], (3, b"2,3".to_vec(), fields(&["2", "3"]), None));
}

#[test]
fn a_record_beyond_the_limit_keeps_its_first_bytes_and_the_reader_stays_small() {
    let big = "y".repeat(20 << 20);
    for input in [
        format!("h\n1,{big}\r\n2,3\n"),
        format!("h\n\"{big}\n\",1\n2,3\n"),
        format!("h\n1,{big}"),
    ] {
        let mut r = RecordReader::with_max_record(input.as_bytes(), 1000);
        let header = r.next_record().unwrap().unwrap();
        assert_eq!((header.raw, header.too_large.clone()), (&b"h"[..], None));
        let rec = r.next_record().unwrap().unwrap();
        let whole = input.split_once('\n').unwrap().1;
        let body = whole.trim_end_matches("\n2,3\n").trim_end_matches('\r');
        assert_eq!(rec.line, 2);
        assert_eq!(rec.raw, &body.as_bytes()[..1000]);
        assert_eq!(rec.len(), 0);
        assert_eq!(
            rec.too_large,
            Some(TooLarge {
                len: body.len() as u64,
                sha256: hex::encode(Sha256::digest(body.as_bytes())),
            })
        );
        let held = r.buf.capacity() + r.data.capacity() + 8 * r.ends.capacity() + r.kept.capacity();
        assert!(held < 4 * READ_SIZE, "the reader holds {held} bytes");
        if input.ends_with("2,3\n") {
            let next = r.next_record().unwrap().unwrap();
            assert_eq!(
                (next.line, next.raw, next.too_large),
                (rec_line_after(&input), &b"2,3"[..], None)
            );
        }
        assert!(r.next_record().unwrap().is_none());
    }
}

fn rec_line_after(input: &str) -> u64 {
    input.trim_end_matches("2,3\n").matches('\n').count() as u64 + 1
}

#[test]
fn a_record_just_over_the_limit_within_one_read_is_too_large_with_its_fields() {
    let mut r = RecordReader::with_max_record(&b"h\n12345,6\n1,2\n"[..], 6);
    r.next_record().unwrap();
    let rec = r.next_record().unwrap().unwrap();
    assert_eq!(rec.raw, b"12345,");
    assert_eq!(rec.too_large.as_ref().map(|t| t.len), Some(7));
    assert_eq!(rec.fields().collect::<Vec<_>>(), vec![&b"12345"[..], b"6"]);
    assert_eq!(r.next_record().unwrap().unwrap().too_large, None);
}

#[test]
fn hashes_every_byte() {
    let input = b"\xEF\xBB\xBFa\n1\n";
    let mut r = RecordReader::new(&input[..]);
    while r.next_record().unwrap().is_some() {}
    assert_eq!(r.bytes_read(), input.len() as u64);
    let expected = hex::encode(Sha256::digest(input));
    assert_eq!(r.finish_sha256(), expected);
}
