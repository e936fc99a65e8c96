//! The erasure plan rendered from descriptions: built-in, custom and refused.

use super::*;

const STAGING: [&str; 3] = ["events", "users", "products"];

/// The built-in description is the shipped dimensions configuration's: same register,
/// personal columns and places (tables, keys, batches, times and columns).
#[test]
fn the_places_are_the_dimension_configurations_erase_in() {
    let text = include_str!("../../../../config/dimensions.yaml");
    let dims = DimensionSpec::list_from_yaml(text).unwrap();
    assert_eq!(
        Erasure::from_dimensions(&dims).unwrap(),
        Erasure::built_in()
    );
}

#[test]
fn the_built_in_places_render_exactly() {
    let plan = Erasure::built_in().plan(&STAGING).unwrap();
    assert_eq!(
        plan.staging("users", "users_20250304_loading").unwrap(),
        [format!(
            "{}UPDATE \"staging\".\"users_20250304_loading\" AS p\n\
             SET \"email\" = NULL, \"full_name\" = NULL\n\
             FROM \"ops\".\"erasures\" AS e\n\
             WHERE p.\"batch_date\" = $1\n  \
             AND p.\"user_id\" = e.\"user_id\"\n  \
             AND (p.\"batch_date\" < e.\"batch_date\" OR p.\"updated_at\" IS NULL OR p.\"updated_at\" <= e.\"deleted_at\")\n  \
             AND (p.\"email\" IS NOT NULL OR p.\"full_name\" IS NOT NULL)\n",
            header()
        )]
    );
    assert_eq!(
        plan.rejects(),
        [format!(
            "{}UPDATE \"quarantine\".\"rejected_rows\" AS p\n\
             SET \"raw\" = substring(p.\"raw\" FROM 1 FOR 0)\n\
             FROM \"ops\".\"erasures\" AS e\n\
             WHERE p.\"batch_date\" = $1 AND p.\"stage\" = 'load'\n  \
             AND p.\"user_id\" = e.\"user_id\"\n  \
             AND p.\"batch_date\" <= e.\"batch_date\"\n  \
             AND (length(p.\"raw\") > 0)\n",
            header()
        )]
    );
    assert!(
        plan.staging("events", "events_20250304_loading")
            .unwrap()
            .is_empty()
    );
    assert!(plan.staging("products", "x").unwrap().is_empty());
}

/// The template's comment lines, which every rendered statement starts with.
fn header() -> String {
    ERASE_PLACE
        .lines()
        .take_while(|l| l.starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A place's `json_column` nulls each personal field as `retention-scd` does, in a
/// staging table the loader writes; in the rejects it is left to the scd step, since a
/// load reject has no `row_json`.
#[test]
fn a_json_column_nulls_each_personal_field_where_the_load_writes_it() {
    let mut erasure = Erasure::built_in();
    erasure.places[0].json_column = Some("extra".into());
    erasure.places[0].null_columns = vec!["email".into()];
    let plan = erasure.plan(&STAGING).unwrap();
    let sql = plan.staging("users", "u").unwrap().concat();
    let expr =
        "jsonb_set(jsonb_set(p.\"extra\", '{email}', 'null', false), '{full_name}', 'null', false)";
    assert!(
        sql.contains(&format!("SET \"email\" = NULL, \"extra\" = {expr}\n")),
        "{sql}"
    );
    assert!(
        sql.contains(&format!(
            "AND (p.\"email\" IS NOT NULL OR p.\"extra\" IS DISTINCT FROM {expr})\n"
        )),
        "{sql}"
    );
    assert!(!plan.rejects().concat().contains("row_json"));
}

#[test]
fn places_in_tables_the_load_does_not_write_are_skipped() {
    let mut erasure = Erasure::built_in();
    erasure.places.push(ErasePlace {
        table: "dw.somewhere".into(),
        ..erasure.places[0].clone()
    });
    // Only the column the load does not write: nothing left for the loader.
    erasure.places[1].empty_columns.clear();
    let plan = erasure.plan(&STAGING).unwrap();
    assert!(plan.rejects().is_empty());
    assert!(plan.staging.iter().all(|(t, _)| t == "users"));
    assert_eq!(plan.staging.len(), 1);
    // A staging table the load does not write is not applied either.
    let plan = Erasure::built_in().plan(&["events"]).unwrap();
    assert!(plan.staging.is_empty());
    assert_eq!(plan.rejects().len(), 1);
}

#[test]
fn names_that_are_not_plain_and_empty_places_are_refused() {
    let refused = |e: Erasure| match e.plan(&STAGING) {
        Err(Error::Erasure(m)) => m,
        other => panic!("accepted: {other:?}"),
    };
    let mut e = Erasure::built_in();
    e.places[0]
        .null_columns
        .push("email = 'x', \"full_name".into());
    assert!(refused(e).contains("not a plain"));
    let mut e = Erasure::built_in();
    e.places.push(ErasePlace {
        table: "other.place; DROP TABLE x".into(),
        ..e.places[0].clone()
    });
    assert!(refused(e).contains("not a plain"));
    let mut e = Erasure::built_in();
    e.erase_on_delete.push("Email".into());
    assert!(refused(e).contains("not a plain"));
    let mut e = Erasure::built_in();
    if let Some(log) = &mut e.log {
        log.time_column = "deleted at".into();
    }
    assert!(refused(e).contains("not a plain"));
    let mut e = Erasure::built_in();
    e.places[0].null_columns.clear();
    assert_eq!(refused(e), "erase_in staging.users: nothing to erase");
    let mut e = Erasure::built_in();
    e.log = None;
    assert!(refused(e).contains("no erasure register"));
    assert!(Erasure::none().plan(&STAGING).unwrap().rejects().is_empty());
}

#[test]
fn dimensions_without_erasure_erase_nothing_and_two_registers_are_refused() {
    let text = include_str!("../../../../config/dimensions.yaml");
    let dims = DimensionSpec::list_from_yaml(text).unwrap();
    let products: Vec<_> = dims
        .iter()
        .filter(|d| d.name != "dim_user")
        .cloned()
        .collect();
    assert_eq!(
        Erasure::from_dimensions(&products).unwrap(),
        Erasure::none()
    );
    let mut other = dims[0].clone();
    other.name = "dim_other".into();
    if let Some(log) = &mut other.bookkeeping.erasures {
        log.table = "ops.other_erasures".into();
    }
    let two = [dims[0].clone(), other];
    assert!(matches!(
        Erasure::from_dimensions(&two),
        Err(Error::Erasure(m)) if m.contains("ops.other_erasures")
    ));
}

/// The columns the loader erases in its rejects are those `sql/copy_rejects.sql` writes.
#[test]
fn the_load_reject_columns_are_the_copys() {
    let sql = include_str!("../../sql/copy_rejects.sql");
    let list = sql
        .split("rejected_rows (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap();
    let columns: Vec<&str> = list.split(',').map(str::trim).collect();
    assert_eq!(columns, LOAD_REJECT_COLUMNS);
}

#[test]
fn render_fills_placeholders_once_and_refuses_unknown_ones() {
    let out = render("SELECT {a} FROM {b}", &[("a", "'{b}'"), ("b", "t")]).unwrap();
    assert_eq!(out, "SELECT '{b}' FROM t");
    assert!(matches!(render("SELECT {c}", &[]), Err(Error::Erasure(_))));
}
