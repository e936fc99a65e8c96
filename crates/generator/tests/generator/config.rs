use std::path::Path;

use retention_generator::{Error, GeneratorConfig};

#[test]
fn the_shipped_generator_yaml_holds_exactly_the_built_in_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/generator.yaml");
    let shipped = GeneratorConfig::from_yaml_file(&path).unwrap();
    assert_eq!(shipped, GeneratorConfig::default());
    assert_eq!(
        shipped.config_hash(),
        GeneratorConfig::default().config_hash()
    );
}

#[test]
fn a_misspelt_setting_is_reported_with_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.yaml");
    std::fs::write(&path, "days: 30\nmess:\n  duplicate_evnt: 0.1\n").unwrap();
    let err = GeneratorConfig::from_yaml_file(&path).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::ParseConfig { .. }), "{text}");
    assert!(
        text.contains("gen.yaml") && text.contains("duplicate_evnt"),
        "{text}"
    );
    assert!(text.contains("line 3"), "{text}");
}

#[test]
fn a_rate_outside_zero_to_one_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gen.yaml");
    std::fs::write(&path, "mess:\n  missing_user_id: 1.5\n").unwrap();
    let err = GeneratorConfig::from_yaml_file(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid generator setting mess.missing_user_id: must be a probability between 0 and 1"
    );
}

#[test]
fn config_hash_ignores_seed_and_scale_but_not_the_shape() {
    let base = GeneratorConfig::default();
    let seeded = GeneratorConfig {
        seed: Some(7),
        scale: Some(3.0),
        ..base.clone()
    };
    assert_eq!(base.config_hash(), seeded.config_hash());
    let mut other = base.clone();
    other.mess.duplicate_event = 0.005;
    assert_ne!(base.config_hash(), other.config_hash());
    assert_eq!(base.config_hash().len(), 64);
}
