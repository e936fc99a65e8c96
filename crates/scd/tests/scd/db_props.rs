//! The executor on random feeds: the stored history equals the reference after merging day
//! by day, re-merging every day changes nothing, and a rebuild from any day gives the same
//! history again.

use proptest::{prelude::*, test_runner::TestRunner};
use retention_scd::rebuild_from;
use retention_testing::TestDb;

use crate::{
    model::{check_history, day, feeds, user_spec},
    pg::{merge, rows, stage_users, versions},
};

#[test]
fn db_history_matches_the_source_and_survives_reruns_and_rebuilds() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(ProptestConfig::with_cases(12));
    let strategy = (feeds(4, 4), 0u32..4);
    runner
        .run(&strategy, |(feeds, rebuild_day)| {
            rt.block_on(async {
                let spec = user_spec();
                let db = TestDb::migrated().await;
                let mut c = db.client().await;
                for (d, feed) in feeds.iter().enumerate() {
                    stage_users(&c, day(d as u32), feed).await;
                    merge(&mut c, d as u32).await;
                }
                check_history(&spec, &feeds, &versions(&c).await);

                let before = rows(&c).await;
                for d in 0..feeds.len() {
                    let again = merge(&mut c, d as u32).await;
                    prop_assert!(again.already_merged);
                }
                prop_assert_eq!(&rows(&c).await, &before);

                let last = feeds.len() as u32 - 1;
                let from = rebuild_day.min(last);
                rebuild_from(&mut c, &spec, day(from), day(last))
                    .await
                    .unwrap();
                check_history(&spec, &feeds, &versions(&c).await);
                Ok(())
            })
        })
        .unwrap();
}
