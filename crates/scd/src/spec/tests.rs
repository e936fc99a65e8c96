use super::*;

/// A dimension with erasure, as a project would write one. The tests need nothing outside
/// the crate, so that they run from its package too (the project's own
/// `config/dimensions.yaml` is checked by the integration tests, `tests/scd/project.rs`).
const SPECS: &str = "
dimensions:
  - name: dim_user
    target: dw.dim_user
    surrogate_key: user_sk
    natural_key: user_id
    source: {table: staging.users, batch_column: batch_date}
    effective_time: updated_at
    delete_flag: is_deleted
    type2: [country, plan]
    type1: [email, full_name]
    erase_on_delete: [email, full_name]
    normalise:
      email: [trim, empty_null, lower]
    bookkeeping:
      batches: ops.scd_batches
      erasures: {table: ops.erasures, key_column: user_id, time_column: deleted_at, batch_column: batch_date}
";

#[test]
fn a_dimensions_file_parses_and_validates() {
    let specs = DimensionSpec::list_from_yaml(SPECS).unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].type2, ["country", "plan"]);
    assert_eq!(
        specs[0].columns().collect::<Vec<_>>(),
        ["country", "plan", "email", "full_name"]
    );
    assert_eq!(specs[0].erase_positions(), [2, 3]);
    assert_eq!(
        specs[0].reject_reasons(),
        ["missing_user_id", "missing_updated_at"]
    );
}

#[test]
fn quoted_identifiers_refuse_anything_but_plain_names() {
    assert_eq!(table_ident("dw.dim_user").unwrap(), "\"dw\".\"dim_user\"");
    for bad in ["dim_user", "dw.Dim", "dw.a\"b", "dw.a;drop", "dw."] {
        assert!(table_ident(bad).is_err(), "{bad}");
    }
}

#[test]
fn erase_columns_must_be_attributes() {
    let mut spec = DimensionSpec::list_from_yaml(SPECS).unwrap().remove(0);
    spec.erase_on_delete.push("password".into());
    let err = spec.validate().unwrap_err().to_string();
    assert_eq!(
        err,
        "configuration: dimension dim_user: password is not a type2 or type1 column"
    );
}

#[test]
fn normalise_trims_empties_and_cases_in_order() {
    use Normalise::*;
    let v = |s: &str| Some(s.to_owned());
    assert_eq!(
        normalise_value(v("  A@B.io "), &[Trim, EmptyNull, Lower]),
        v("a@b.io")
    );
    assert_eq!(normalise_value(v("   "), &[Trim, EmptyNull, Upper]), None);
    assert_eq!(
        normalise_value(v(" de"), &[Trim, EmptyNull, Upper]),
        v("DE")
    );
    assert_eq!(normalise_value(v("  "), &[]), v("  "));
    assert_eq!(normalise_value(None, &[Trim]), None);
}

#[test]
fn mode_defaults_to_changes_and_snapshot_is_read() {
    let spec = DimensionSpec::list_from_yaml(SPECS).unwrap().remove(0);
    assert_eq!(
        (spec.mode, spec.allow_empty_snapshot),
        (FeedMode::Changes, false)
    );
    let text = SPECS.replace(
        "    effective_time: updated_at\n",
        "    effective_time: updated_at\n    mode: snapshot\n    allow_empty_snapshot: true\n",
    );
    let spec = DimensionSpec::list_from_yaml(&text).unwrap().remove(0);
    assert_eq!(
        (spec.mode, spec.allow_empty_snapshot),
        (FeedMode::Snapshot, true)
    );
}

#[test]
fn allow_empty_snapshot_needs_snapshot_mode_and_a_mode_must_be_known() {
    let text = SPECS.replace(
        "    effective_time: updated_at\n",
        "    effective_time: updated_at\n    allow_empty_snapshot: true\n",
    );
    let err = DimensionSpec::list_from_yaml(&text)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "configuration: dimension dim_user: allow_empty_snapshot needs mode: snapshot"
    );
    let text = SPECS.replace(
        "    effective_time: updated_at\n",
        "    effective_time: updated_at\n    mode: full\n",
    );
    let err = DimensionSpec::list_from_yaml(&text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown variant"), "{err}");
}
