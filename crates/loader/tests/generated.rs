//! Generated landing days load with every row accounted for: the loader's rejects are
//! exactly the generator's injected unparseable rows, reason by reason.

use chrono::NaiveDate;
use retention_generator::{Generator, GeneratorConfig};
use retention_loader::{LandingDay, LoadOptions, load_day};
use retention_testing::TestDb;

#[tokio::test]
async fn generated_days_load_with_rejects_equal_to_the_manifests_unparseable_counts() {
    let db = TestDb::migrated().await;
    let data = tempfile::tempdir().unwrap();
    let generator = Generator::new(GeneratorConfig::default(), 42, 1.0).unwrap();
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut unparseable_total = 0;
    for date in first.iter_days().take(6) {
        let manifest = generator.write_day(data.path(), date).unwrap();
        let day = LandingDay::open(data.path(), date, false).unwrap();
        let report = load_day(db.config(), &day, &LoadOptions::default())
            .await
            .unwrap();
        for f in &report.files {
            assert_eq!(f.read, manifest.files[&f.file].rows, "{date} {}", f.file);
            assert_eq!(f.read, f.staged + f.rejected, "{date} {}", f.file);
        }
        let mut rejected = std::collections::BTreeMap::new();
        for f in &report.files {
            for (reason, n) in &f.rejected_by_reason {
                *rejected.entry(reason.clone()).or_insert(0u64) += n;
            }
        }
        let mut expected = std::collections::BTreeMap::new();
        for reason in ["bad_timestamp", "bad_number", "bad_field_count"] {
            if manifest.mess_count(reason) > 0 {
                expected.insert(reason.to_owned(), manifest.mess_count(reason));
            }
        }
        assert_eq!(rejected, expected, "{date}");
        unparseable_total += report.rejected();
    }
    assert!(
        unparseable_total > 0,
        "six generated days carry some unparseable rows"
    );
    let c = db.client().await;
    let quarantined: i64 = c
        .query_one(
            "SELECT count(*) FROM quarantine.rejected_rows WHERE stage = 'load'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(quarantined as u64, unparseable_total);
}
