use super::*;

#[test]
fn a_ge_suite_json_parses_with_defaults_and_kwargs_kept_as_written() {
    let suite = Suite::from_json_str(
        r#"{"name": "s", "id": "x", "notes": null,
            "meta": {"great_expectations_version": "1.24.1", "retention": {"table": "staging.events"}},
            "expectations": [
              {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "c", "value_set": ["a", null, 1], "mostly": 0.5}, "meta": {}, "id": "e1"},
              {"expectation_type": "expect_table_row_count_to_equal", "kwargs": {"value": 3}, "severity": "info"}
            ]}"#,
        "s.json",
    )
    .unwrap();
    assert_eq!(
        suite.table,
        TableRef {
            schema: "staging".into(),
            name: "events".into()
        }
    );
    assert_eq!(suite.batch, None);
    let [a, b] = suite.expectations.as_slice() else {
        panic!("two expectations")
    };
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.id.as_deref(), Some("e1"));
    assert_eq!(
        a.check,
        Check::InSet {
            column: "c".into(),
            values: vec![Value::from("a"), Value::from(1)],
            negate: false,
            mostly: 0.5
        }
    );
    assert_eq!(a.kwargs["value_set"], serde_json::json!(["a", null, 1]));
    assert_eq!(b.severity, Severity::Info);
    assert_eq!(
        b.check,
        Check::RowCount {
            min: Some(3),
            max: Some(3),
            strict_min: false,
            strict_max: false
        }
    );
}

#[test]
fn unknown_keys_and_shapes_are_refused_with_their_position() {
    let err = |yaml: &str| {
        Suite::from_yaml_str(yaml, "x.yaml")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(
            "name: s\ntable: t\nexpectations:\n  - {type: expect_column_values_to_be_unique, kwargs: {column: c}, severty: warning}\n"
        ),
        "suite x.yaml, expectation #1 (expect_column_values_to_be_unique): unknown key `severty`"
    );
    assert_eq!(
        err("name: s\ntable: a.b.c\nexpectations: []\n"),
        "suite x.yaml: `table: a.b.c` is not `schema.table`"
    );
    assert_eq!(
        err("name: s\ntable: t\nbatch: {column: d, op: '>'}\nexpectations: []\n"),
        "suite x.yaml: unknown key `batch.op`"
    );
    assert_eq!(
        err(
            "name: s\ntable: t\nexpectations:\n  - {type: expect_column_values_to_be_between, kwargs: {column: c}}\n"
        ),
        "suite x.yaml, expectation #1 (expect_column_values_to_be_between): min_value and max_value cannot both be missing"
    );
}

const GE_1_24: &str = r#"{"name": "ge", "id": "x", "notes": null,
    "meta": {"great_expectations_version": "1.24.1"},
    "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "c"}, "meta": {}, "id": "e1"}]}"#;

fn binding(table: &str, batch: Option<&str>) -> TableBinding {
    TableBinding {
        table: TableRef::parse(table).unwrap(),
        batch: batch.map(|c| BatchFilter { column: c.into() }),
    }
}

#[test]
fn a_ge_suite_that_names_no_table_is_refused_unbound_and_takes_its_binding() {
    let err = Suite::from_json_str(GE_1_24, "ge.json").unwrap_err();
    assert!(
        err.to_string()
            .contains("must be bound to one (`validate --table`)"),
        "{err}"
    );
    let suite =
        Suite::from_str_for_table(GE_1_24, "ge.json", &binding("staging.feed", Some("day")))
            .unwrap();
    assert_eq!(suite.table, TableRef::parse("staging.feed").unwrap());
    assert_eq!(
        suite.batch,
        Some(BatchFilter {
            column: "day".into()
        })
    );
    let whole =
        Suite::from_str_for_table(GE_1_24, "ge.json", &binding("staging.feed", None)).unwrap();
    assert_eq!(whole.batch, None);
}

#[test]
fn a_bound_suite_naming_another_table_or_batch_column_is_refused() {
    let named = GE_1_24.replace(
        r#""great_expectations_version": "1.24.1""#,
        r#""great_expectations_version": "1.24.1", "retention": {"table": "staging.users", "batch": {"column": "batch_date"}}"#,
    );
    let err =
        Suite::from_str_for_table(&named, "s.json", &binding("staging.events", None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "suite s.json cannot be bound: it names table staging.users, not staging.events, the table it is bound to"
    );
    let err = Suite::from_str_for_table(&named, "s.json", &binding("staging.users", Some("day")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "suite s.json cannot be bound: its batch column is `batch_date`, not `day`, the one it is bound with"
    );
    let same =
        Suite::from_str_for_table(&named, "s.json", &binding("staging.users", None)).unwrap();
    assert_eq!(
        same.batch,
        Some(BatchFilter {
            column: "batch_date".into()
        })
    );
}
