//! Writing many days at once: days are independent, so worker threads take the next day
//! from a shared counter; results come back in date order.

use std::{
    path::Path,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use chrono::NaiveDate;
use retention_model::Manifest;

use crate::{Generator, Result};

impl Generator {
    /// Writes every day of `dates` with up to `threads` worker threads (at least one) and
    /// returns the manifests in the order of `dates`. Stops at the first error.
    pub fn write_days(
        &self,
        data_dir: &Path,
        dates: &[NaiveDate],
        threads: usize,
    ) -> Result<Vec<Manifest>> {
        for &date in dates {
            self.day_index(date)?;
        }
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<Option<Result<Manifest>>>> =
            Mutex::new(dates.iter().map(|_| None).collect());
        // One day: its users are shared out among the threads; several: the days are, each
        // written by one thread.
        let per_day = if dates.len() == 1 { threads } else { 1 };
        std::thread::scope(|scope| {
            for _ in 0..threads.clamp(1, dates.len().max(1)) {
                scope.spawn(|| {
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&date) = dates.get(i) else { break };
                        let result = self.write_day_with(data_dir, date, per_day);
                        if result.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if let Ok(mut slots) = results.lock() {
                            slots[i] = Some(result);
                        }
                    }
                });
            }
        });
        let slots = results.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut manifests = Vec::with_capacity(dates.len());
        for slot in slots {
            match slot {
                Some(result) => manifests.push(result?),
                None => break,
            }
        }
        Ok(manifests)
    }
}
