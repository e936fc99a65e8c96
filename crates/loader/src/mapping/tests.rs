use retention_model::RejectReason;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;

fn rows(mapping: &Mapping, v: &serde_json::Value) -> Vec<Vec<Option<String>>> {
    map_event(mapping, v, 3)
        .unwrap()
        .into_iter()
        .map(|r| {
            r.values
                .into_iter()
                .map(|c| c.map(|s| s.into_owned()))
                .collect()
        })
        .collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

#[test]
fn presets_parse_and_unknown_names_are_refused() {
    assert_eq!(Mapping::preset("segment").unwrap().name(), "segment");
    assert_eq!(Mapping::preset("ga4").unwrap().name(), "ga4");
    let err = Mapping::preset("amplitude").unwrap_err().to_string();
    assert!(err.contains("segment, ga4"), "{err}");
}

#[test]
fn the_configuration_form_overrides_a_preset() {
    let spec: MappingSpec = serde_saphyr::from_str(
        "preset: segment\nfields:\n  session_id: properties.sid\n  device: [context.device.kind, context.os.name]\nevent_types:\n  Signed Up: click\n",
    )
    .unwrap();
    let m = Mapping::from_spec(&spec).unwrap();
    assert_eq!(m.name(), "segment (with overrides)");
    let v = json!({"type": "track", "event": "Signed Up", "userId": "9", "messageId": "m",
        "timestamp": "2025-03-01T10:00:00Z", "properties": {"sid": "S"},
        "context": {"os": {"name": "iOS"}}});
    let r = &rows(&m, &v)[0];
    assert_eq!(
        (r[3].clone(), r[4].clone(), r[10].clone()),
        (s("S"), s("click"), s("iOS"))
    );
}

#[test]
fn bad_mappings_are_refused_with_what_is_wrong() {
    for (yaml, says) in [
        ("fields:\n  colour: a\n", "not a column"),
        ("fields:\n  event_type: a\n", "event_type comes from"),
        ("event_types:\n  x: buy\n", "not a canonical event type"),
        ("fields:\n  user_id: a..b\n", "not a path"),
    ] {
        let spec: MappingSpec = serde_saphyr::from_str(yaml).unwrap();
        let err = Mapping::from_spec(&spec).unwrap_err().to_string();
        assert!(err.contains(says), "{yaml}: {err}");
    }
}

#[test]
fn the_contract_mapping_reads_the_columns_by_name() {
    let v = json!({"event_id": "e1", "event_ts": "2025-03-01T10:00:00Z", "user_id": 7,
        "event_type": "page_view", "unit_price": 1.5, "quantity": null});
    let r = &rows(&Mapping::contract(), &v)[0];
    assert_eq!(r[0], s("e1"));
    assert_eq!(r[2], s("7"));
    assert_eq!(r[4], s("page_view"));
    assert_eq!(r[7], None);
    assert_eq!(r[8], s("1.5"));
}

#[test]
fn segment_order_completed_gives_one_purchase_row_per_product() {
    let v = json!({"type": "track", "event": "Order Completed", "userId": "42",
    "anonymousId": "a", "messageId": "m-1", "timestamp": "2025-03-01T10:00:00.5Z",
    "context": {"page": {"url": "/checkout/complete"}, "device": {"type": "mobile"},
                "location": {"country": "DE"}, "session_id": "s1"},
    "properties": {"order_id": "o-9", "products": [
        {"product_id": "7", "quantity": 2, "price": 19.99},
        {"product_id": 8, "quantity": 1, "price": 5},
    ]}});
    let m = Mapping::preset("segment").unwrap();
    let out = map_event(&m, &v, 3).unwrap();
    let lines: Vec<u64> = out.iter().map(|r| r.source_line).collect();
    assert_eq!(lines, [3, 3 + ITEM_LINE_STRIDE]);
    let r = rows(&m, &v);
    assert_eq!(
        r[1],
        vec![
            s("m-1:1"),
            s("2025-03-01T10:00:00.5Z"),
            s("42"),
            s("s1"),
            s("purchase"),
            s("/checkout/complete"),
            s("8"),
            s("1"),
            s("5"),
            s("o-9"),
            s("mobile"),
            s("DE"),
        ]
    );
    assert_eq!((r[0][0].clone(), r[0][8].clone()), (s("m-1:0"), s("19.99")));
}

#[test]
fn segment_page_calls_are_page_views_and_anonymous_events_are_refused() {
    let m = Mapping::preset("segment").unwrap();
    let page = json!({"type": "page", "userId": "1", "messageId": "p"});
    assert_eq!(rows(&m, &page)[0][4], s("page_view"));
    let anon = json!({"type": "page", "anonymousId": "x", "messageId": "p"});
    let refusal = map_event(&m, &anon, 1).unwrap_err();
    assert_eq!(refusal.reason, RejectReason::AnonymousUser);
}

#[test]
fn ga4_reads_microseconds_event_params_and_items_with_a_derived_id() {
    let v = json!({"event_name": "add_to_cart", "event_timestamp": "1740823200123456",
        "user_id": "5", "user_pseudo_id": "p.1",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": 1740820000, "string_value": null}},
            {"key": "page_location", "value": {"string_value": "https://shop.example/p/7"}}],
        "device": {"category": "desktop"}, "geo": {"country": "Germany"},
        "items": [{"item_id": "7", "price": 3.5, "quantity": 2}]});
    let m = Mapping::preset("ga4").unwrap();
    let r = &rows(&m, &v)[0];
    let mut h = Sha256::new();
    h.update(b"p.1\x1f1740823200123456\x1fadd_to_cart");
    let id = format!("{}:0", &hex::encode(h.finalize())[..32]);
    assert_eq!(
        r,
        &vec![
            Some(id),
            s("2025-03-01T10:00:00.123456Z"),
            s("5"),
            s("1740820000"),
            s("add_to_cart"),
            s("https://shop.example/p/7"),
            s("7"),
            s("2"),
            s("3.5"),
            None,
            s("desktop"),
            s("Germany"),
        ]
    );
    let bad = json!({"event_name": "page_view", "event_timestamp": "soon", "user_id": "5"});
    let refusal = map_event(&m, &bad, 1).unwrap_err();
    assert_eq!(refusal.reason, RejectReason::BadTimestamp);
}
