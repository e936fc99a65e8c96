use std::path::Path;

use retention_generator::Error;
use retention_model::landing::day_dir;

use crate::common::{date, generator};

const FILES: [&str; 4] = ["events.csv", "users.csv", "products.csv", "_manifest.json"];

fn bytes(dir: &Path, day: &str, file: &str) -> Vec<u8> {
    std::fs::read(day_dir(dir, date(day)).join(file)).unwrap()
}

#[test]
fn a_day_is_byte_identical_whatever_the_order_and_thread_count() {
    let g = generator(0.2, 42);
    let days: Vec<_> = [
        "2026-01-01",
        "2026-02-14",
        "2026-06-30",
        "2026-11-27",
        "2026-12-31",
    ]
    .map(date)
    .to_vec();
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    g.write_days(a.path(), &days, 1).unwrap();
    let reversed: Vec<_> = days.iter().rev().copied().collect();
    g.write_days(b.path(), &reversed, 3).unwrap();
    // A fresh generator asked for one day alone.
    generator(0.2, 42)
        .write_day(c.path(), date("2026-11-27"))
        .unwrap();
    for day in [
        "2026-01-01",
        "2026-02-14",
        "2026-06-30",
        "2026-11-27",
        "2026-12-31",
    ] {
        for file in FILES {
            assert_eq!(
                bytes(a.path(), day, file),
                bytes(b.path(), day, file),
                "{day} {file}"
            );
        }
    }
    for file in FILES {
        assert_eq!(
            bytes(a.path(), "2026-11-27", file),
            bytes(c.path(), "2026-11-27", file)
        );
    }
}

#[test]
fn rewriting_a_day_reproduces_it_exactly() {
    let g = generator(0.2, 42);
    let dir = tempfile::tempdir().unwrap();
    let first = g.write_day(dir.path(), date("2026-05-05")).unwrap();
    let events = bytes(dir.path(), "2026-05-05", "events.csv");
    let again = g.write_day(dir.path(), date("2026-05-05")).unwrap();
    assert_eq!(first, again);
    assert_eq!(events, bytes(dir.path(), "2026-05-05", "events.csv"));
}

#[test]
fn different_seeds_give_different_days() {
    let dir = tempfile::tempdir().unwrap();
    let a = generator(0.2, 42)
        .write_day(&dir.path().join("a"), date("2026-03-03"))
        .unwrap();
    let b = generator(0.2, 43)
        .write_day(&dir.path().join("b"), date("2026-03-03"))
        .unwrap();
    for file in ["events.csv", "users.csv", "products.csv"] {
        assert_ne!(a.files[file].sha256, b.files[file].sha256, "{file}");
    }
    assert_eq!((a.seed, b.seed), (Some(42), Some(43)));
}

#[test]
fn a_date_outside_the_horizon_is_refused_naming_the_horizon() {
    let g = generator(0.1, 42);
    assert_eq!(g.horizon(), (date("2026-01-01"), date("2026-12-31")));
    let dir = tempfile::tempdir().unwrap();
    let err = g.write_day(dir.path(), date("2027-01-01")).unwrap_err();
    assert!(matches!(err, Error::OutOfHorizon { .. }));
    assert_eq!(
        err.to_string(),
        "2027-01-01 is outside the simulated horizon 2026-01-01 .. 2026-12-31"
    );
    assert!(g.write_snapshot(dir.path(), date("2025-12-31")).is_err());
    assert!(!dir.path().join("dt=2027-01-01").exists());
}

#[test]
fn scale_must_be_positive() {
    let config = retention_generator::GeneratorConfig::default();
    for scale in [0.0, -1.0, f64::NAN] {
        assert!(retention_generator::Generator::new(config.clone(), 42, scale).is_err());
    }
}

/// A day's users are shared out among threads in blocks of 10,000 ids: with a population of
/// several blocks, any number of threads writes the files one thread writes, the first day
/// (the whole initial population in users.csv) included.
#[test]
fn a_day_split_among_threads_is_byte_identical_to_one_thread() {
    let g = generator(10.0, 7);
    assert!(g.last_user(0) > 60_000, "{} users", g.last_user(0));
    for day in ["2026-01-01", "2026-03-10"] {
        let one = tempfile::tempdir().unwrap();
        g.write_day_with(one.path(), date(day), 1).unwrap();
        for threads in [2, 3] {
            let many = tempfile::tempdir().unwrap();
            g.write_day_with(many.path(), date(day), threads).unwrap();
            for file in FILES {
                assert_eq!(
                    bytes(one.path(), day, file),
                    bytes(many.path(), day, file),
                    "{day} {file} with {threads} threads"
                );
            }
        }
    }
}
