//! The project's own dimensions file (`config/dimensions.yaml`), which the crate's unit tests
//! cannot read: they run from the crate's package too, where only the crate is.

use retention_scd::DimensionSpec;

#[test]
fn project_dimensions_file_parses_and_validates() {
    let specs =
        DimensionSpec::list_from_yaml(include_str!("../../../../config/dimensions.yaml")).unwrap();
    let names: Vec<_> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["dim_user", "dim_product"]);
    assert_eq!(
        specs[0].type2,
        ["country", "city", "device", "plan", "acquisition_channel"]
    );
    assert_eq!(specs[0].type1, ["email", "full_name", "signup_date"]);
    assert_eq!(specs[0].erase_positions(), [5, 6]);
    assert_eq!(
        specs[1].type2,
        ["unit_price", "category", "brand", "is_active"]
    );
}
