//! End to end over 14 simulated days: generator → loader → scd → transform, each day in
//! order, then the warehouse is checked against the landing files alone.
// Helpers outside #[test] functions: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

mod recompute;

use std::{collections::BTreeMap, path::Path};

use chrono::{Days, NaiveDate};
use retention_generator::{Generator, GeneratorConfig};
use retention_loader::{LandingDay, LoadOptions, load_day};
use retention_model::{Manifest, landing::EVENTS_FILE, transform};
use retention_scd::{DimensionSpec, merge_batch};
use retention_testing::TestDb;
use tokio_postgres::Client;

use recompute::{Model, monday, month};

/// The schemas compared between two warehouses.
const SCHEMAS: &[&str] = &["staging", "quarantine", "dw", "marts"];

const DAYS: u64 = 14;
const SCALE: f64 = 0.5;
/// Mess the pipeline cleans instead of rejecting.
const CLEANED: [&str; 3] = ["event_type_variant", "late_event", "dirty_user_row"];

fn specs() -> Vec<DimensionSpec> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/dimensions.yaml");
    DimensionSpec::list_from_yaml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn run_day(
    db: &TestDb,
    client: &mut Client,
    specs: &[DimensionSpec],
    data: &Path,
    day: NaiveDate,
) {
    let landing = LandingDay::open(data, day, false).unwrap();
    load_day(db.config(), &landing, &LoadOptions::default())
        .await
        .unwrap();
    for spec in specs {
        merge_batch(client, spec, day).await.unwrap();
    }
    transform::run_day(client, day).await.unwrap();
}

async fn rows<T>(c: &Client, sql: &str, f: impl Fn(&tokio_postgres::Row) -> T) -> Vec<T> {
    c.query(sql, &[]).await.unwrap().iter().map(f).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fourteen_days_conserve_rows_match_the_manifests_and_a_recomputation_and_rerun_identically()
{
    let db = TestDb::migrated().await;
    let mut c = db.client().await;
    let data = tempfile::tempdir().unwrap();
    let generator = Generator::new(GeneratorConfig::default(), 42, SCALE).unwrap();
    let start = generator.horizon().0;
    let dates: Vec<NaiveDate> = (0..DAYS).map(|i| start + Days::new(i)).collect();
    let specs = specs();
    let mut manifests: BTreeMap<NaiveDate, Manifest> = BTreeMap::new();
    let mut model = Model::default();
    for &day in &dates {
        manifests.insert(day, generator.write_day(data.path(), day).unwrap());
        run_day(&db, &mut c, &specs, data.path(), day).await;
        model.add_day(data.path(), day);
    }

    // Conservation and manifest counts, per day and reason.
    for (day, m) in &manifests {
        let landed = m.files[EVENTS_FILE].rows as i64;
        let facts: i64 = c
            .query_one(
                "SELECT count(*) FROM dw.fact_user_events WHERE batch_date = $1",
                &[day],
            )
            .await
            .unwrap()
            .get(0);
        let by_reason: BTreeMap<String, i64> = c
            .query(
                "SELECT reason, count(*) FROM quarantine.rejected_rows WHERE batch_date = $1 GROUP BY reason",
                &[day],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let quarantined_events: i64 = c
            .query_one(
                "SELECT count(*) FROM quarantine.rejected_rows WHERE batch_date = $1 AND source_file = $2",
                &[day, &EVENTS_FILE],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            landed,
            facts + quarantined_events,
            "{day}: landing rows = facts + quarantined"
        );
        for (kind, n) in &m.mess {
            if !CLEANED.contains(&kind.as_str()) {
                assert_eq!(
                    by_reason.get(kind).copied().unwrap_or(0),
                    *n as i64,
                    "{day}: {kind} vs the manifest"
                );
            }
        }
        for reason in by_reason.keys() {
            assert!(
                m.mess.contains_key(reason),
                "{day}: {reason} was quarantined but never injected"
            );
        }
        // The recomputation agrees on every day's split.
        let model_facts = model.facts.iter().filter(|f| f.batch == *day).count() as i64;
        assert_eq!(facts, model_facts, "{day}: facts vs recomputation");
        let load: i64 = c
            .query_one(
                "SELECT count(*) FROM quarantine.rejected_rows WHERE batch_date = $1 AND source_file = $2 AND stage = 'load'",
                &[day, &EVENTS_FILE],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            load as u64, model.load_rejects[day],
            "{day}: load rejects vs recomputation"
        );
        let transform: BTreeMap<String, u64> = c
            .query(
                "SELECT reason, count(*) FROM quarantine.rejected_rows WHERE batch_date = $1 AND stage = 'transform' GROUP BY 1",
                &[day],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect();
        assert_eq!(
            transform, model.rejects[day],
            "{day}: conformance rejects vs recomputation"
        );
    }
    assert!(
        model.facts.len() > 1000,
        "a real volume of facts: {}",
        model.facts.len()
    );

    // Every mart against the recomputation.
    let engagement = rows(
        &c,
        "SELECT event_date, dau, wau, mau, stickiness FROM marts.engagement_daily ORDER BY 1",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
    )
    .await;
    assert_eq!(engagement, recompute::engagement(&model.facts));
    assert_eq!(engagement.len(), DAYS as usize, "one row per simulated day");
    let weekly_sql = "SELECT week_start, orders, units, revenue::text, avg_order_value::text, purchase_events, buyers FROM marts.sales_weekly ORDER BY 1";
    let sales_row = |r: &tokio_postgres::Row| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
        )
    };
    assert_eq!(
        rows(&c, weekly_sql, sales_row).await,
        recompute::sales(&model.facts, monday)
    );
    let monthly_sql = "SELECT month_start, orders, units, revenue::text, avg_order_value::text, purchase_events, buyers FROM marts.sales_monthly ORDER BY 1";
    assert_eq!(
        rows(&c, monthly_sql, sales_row).await,
        recompute::sales(&model.facts, month)
    );
    let funnel = rows(
        &c,
        "SELECT * FROM marts.funnel_daily ORDER BY event_date, by_device, device",
        |r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
                r.get(8),
                r.get(9),
            )
        },
    )
    .await;
    assert_eq!(funnel, recompute::funnel(&model.facts));
    let products = rows(
        &c,
        "SELECT week_start, product_id, product_views, add_to_carts, purchases, units, revenue::text, rank \
         FROM marts.product_popularity_weekly ORDER BY week_start, product_id",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7)),
    )
    .await;
    assert_eq!(products, recompute::products(&model.facts));
    let cohorts = rows(
        &c,
        "SELECT cohort_week, week_offset, cohort_size, retained, retention_rate FROM marts.retention_cohorts ORDER BY 1, 2",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
    )
    .await;
    assert_eq!(cohorts, recompute::cohorts(&model));
    assert!(funnel.len() > 2 * DAYS as usize && products.len() > 100 && cohorts.len() > 100);
    let weekly = rows(
        &c,
        "SELECT user_id, week_start, daily_events, total_events, active_days, purchases, revenue::text \
         FROM dw.fact_user_weekly_summary ORDER BY 1, 2",
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)),
    )
    .await;
    assert_eq!(weekly, recompute::weekly(&model.facts));
    let (summed, facts): (i64, i64) = c
        .query_one(
            "SELECT (SELECT sum(e)::bigint FROM dw.fact_user_weekly_summary, unnest(daily_events) e), (SELECT count(*) FROM dw.fact_user_events)",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(summed, facts, "daily_events sums = fact rows");

    // Re-running days (every step) after all of them leaves the warehouse identical.
    let before = retention_testing::checksums(&c, SCHEMAS).await;
    for day in [dates[0], dates[6], dates[13]] {
        run_day(&db, &mut c, &specs, data.path(), day).await;
        assert_eq!(
            retention_testing::checksums(&c, SCHEMAS).await,
            before,
            "after re-running {day}"
        );
    }

    // What the transform kept incrementally behind the marts equals a full recomputation.
    let (kept, rebuilt) = retention_testing::mart_state_and_rebuilt(&mut c).await;
    assert!(
        kept.len() > 1 && kept.values().all(|(n, _)| *n > 0),
        "{kept:?}"
    );
    assert_eq!(kept, rebuilt);

    // And the whole transform: recomputing facts, register, rejects, weekly summary and marts
    // from staging in one pass gives the warehouse the day-by-day transform built.
    let schemas = [SCHEMAS, &["mart_state"]].concat();
    let without_queue = |mut m: BTreeMap<String, (i64, String)>| {
        m.remove("mart_state.user_changes");
        m
    };
    let before = without_queue(retention_testing::checksums(&c, &schemas).await);
    let stats = transform::rebuild(&mut c).await.unwrap();
    assert_eq!(stats.batches, DAYS);
    assert_eq!(
        (stats.facts, stats.weeks),
        (stats.facts_before, stats.weeks_before)
    );
    assert!(
        stats
            .rejected
            .get("duplicate_event")
            .is_some_and(|n| *n > 0),
        "{stats:?}"
    );
    assert_eq!(
        without_queue(retention_testing::checksums(&c, &schemas).await),
        before,
        "after transform::rebuild"
    );
}
