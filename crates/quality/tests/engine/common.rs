use chrono::NaiveDate;
use retention_quality::{
    Batch, ExpectationResult, Strategy, Suite, ValidationOptions, ValidationReport, validate_with,
};
use tokio_postgres::Client;

pub fn suite(yaml: &str) -> Suite {
    Suite::from_yaml_str(yaml, "test.yaml").unwrap()
}

/// Options for tests on crafted tables, which live in `public`.
pub fn public(strategy: Strategy) -> ValidationOptions {
    ValidationOptions {
        strategy,
        schemas: vec!["public".into(), "staging".into()],
        ..ValidationOptions::default()
    }
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Validates with both strategies, checks they agree, and returns the set-based report.
pub async fn run(client: &Client, yaml: &str, date: &str) -> ValidationReport {
    let suites = [suite(yaml)];
    let batch = Batch { date: day(date) };
    let set = validate_with(client, &suites, &batch, &public(Strategy::SetBased))
        .await
        .unwrap();
    let per = validate_with(client, &suites, &batch, &public(Strategy::PerExpectation))
        .await
        .unwrap();
    for (a, b) in set.results().zip(per.results()) {
        assert_eq!(a.success, b.success);
        assert_eq!(
            a.result_json(),
            b.result_json(),
            "strategies disagree on {}",
            a.summary()
        );
    }
    set
}

pub fn nth(report: &ValidationReport, i: usize) -> &ExpectationResult {
    report.results().nth(i).unwrap()
}
