//! Pins a small sample of the output (insta), so any change to the simulation, the mess or
//! the pinned `fake` version shows up in review.

use retention_model::landing::day_dir;

use crate::common::{date, generator, read};

fn head(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_small_day_looks_exactly_like_this() {
    let g = generator(0.05, 42);
    let dir = tempfile::tempdir().unwrap();
    let m = g.write_day(dir.path(), date("2026-03-04")).unwrap();
    let d = day_dir(dir.path(), date("2026-03-04"));
    insta::assert_snapshot!("events_head", head(&read(&d, "events.csv"), 16));
    insta::assert_snapshot!("users", read(&d, "users.csv"));
    let first = g.write_day(dir.path(), date("2026-01-01")).unwrap();
    let d1 = day_dir(dir.path(), date("2026-01-01"));
    insta::assert_snapshot!("products_head", head(&read(&d1, "products.csv"), 8));
    insta::assert_snapshot!("users_day_one_head", head(&read(&d1, "users.csv"), 8));
    insta::assert_json_snapshot!("manifest", m);
    assert_eq!(first.files["products.csv"].rows, 15);
}
