//! Writing a day's landing files, and full snapshots.

use std::{
    collections::BTreeMap,
    fs::File,
    path::Path,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use chrono::NaiveDate;
use retention_model::{
    Manifest, SCHEMA_VERSION,
    landing::{
        self, EVENTS_FILE, EVENTS_HEADER, MANIFEST_FILE, PRODUCTS_FILE, PRODUCTS_HEADER,
        USERS_FILE, USERS_HEADER,
    },
};

use crate::{
    Error, Result,
    events::{DayEvents, HOT_PRODUCTS, HotProduct},
    feeds::{Dirt, push_product, push_user},
    generator::Generator,
    mess::{MessCounts, MessKind},
    out::CsvFile,
    rng::{CoreReader, Draw, PROFILE, day_slot, user_stream},
};

/// Users per block a worker thread writes at a time (a few MB of CSV at most).
const USER_BLOCK: u64 = 10_000;

/// The two buffers a block of users is written into, reused from block to block.
#[derive(Default)]
struct Buffers {
    events: Vec<u8>,
    users: Vec<u8>,
}

/// What a worker wrote for a block of users.
struct UserBlock {
    events: CsvFile,
    users: CsvFile,
    mess: MessCounts,
}

impl Generator {
    /// Writes day `date` into `data_dir/dt=D/`: `events.csv`, `users.csv` (signups, changes
    /// and deletions of the day; on the first day also the whole initial population),
    /// `products.csv` (new and changed products; on the first day the whole catalogue), and
    /// last, atomically, `_manifest.json`. Depends on no other day.
    ///
    /// Uses the machine's cores ([`Generator::write_day_with`] chooses how many threads).
    pub fn write_day(&self, data_dir: &Path, date: NaiveDate) -> Result<Manifest> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.write_day_with(data_dir, date, threads)
    }

    /// [`Generator::write_day`] with up to `threads` worker threads (at least one); the files
    /// are identical whatever the number.
    pub fn write_day_with(
        &self,
        data_dir: &Path,
        date: NaiveDate,
        threads: usize,
    ) -> Result<Manifest> {
        let day = self.day_index(date)?;
        let dir = landing::day_dir(data_dir, date);
        let _lock = prepare(&dir)?;

        let mut products = CsvFile::create(&dir.join(PRODUCTS_FILE), &PRODUCTS_HEADER)?;
        let last_product = self.last_product(day);
        let mut hot = Vec::with_capacity(last_product.min(HOT_PRODUCTS) as usize);
        for id in 1..=last_product {
            let life = self.product(id);
            let listed = if day == 0 {
                life.intro_day <= 0
            } else {
                life.intro_day == day || life.change_on(day).is_some()
            };
            if listed {
                crate::feeds::push_product(&mut products.buf, self, &life, day);
                products.end_row()?;
            }
            if id <= HOT_PRODUCTS {
                hot.push(HotProduct {
                    before: life.state_at(day - 1, u32::MAX),
                    change_ms: life.change_on(day).map_or(u32::MAX, |c| c.ms),
                    after: life.state_at(day, u32::MAX),
                });
            }
        }

        let mut events = CsvFile::create(&dir.join(EVENTS_FILE), &EVENTS_HEADER)?;
        let mut users = CsvFile::create(&dir.join(USERS_FILE), &USERS_HEADER)?;
        let mut mess = MessCounts::default();
        // Users are independent (each draws from its own streams): worker threads take blocks
        // of ids in turn and write them into memory; this thread appends them in id order
        // (hashing and writing the files meanwhile), so the files are byte for byte those of
        // one thread. At most a few blocks per worker are in memory at once.
        let last_user = self.last_user(day);
        let n_blocks = last_user.div_ceil(USER_BLOCK);
        let block_ids = |b: u64| (b * USER_BLOCK + 1, ((b + 1) * USER_BLOCK).min(last_user));
        // Appended blocks hand their buffers back here for the next blocks to fill.
        let spare = Mutex::new(Vec::<Buffers>::new());
        let take_spare = || match spare.lock() {
            Ok(mut spare) => spare.pop().unwrap_or_default(),
            Err(_) => Buffers::default(),
        };
        let mut append = |block: UserBlock| -> Result<()> {
            let buffers = Buffers {
                events: events.append(block.events)?,
                users: users.append(block.users)?,
            };
            if let Ok(mut spare) = spare.lock() {
                spare.push(buffers);
            }
            mess.merge(block.mess);
            Ok(())
        };
        if threads <= 1 || n_blocks <= 1 {
            for b in 0..n_blocks {
                let (from, to) = block_ids(b);
                append(self.user_block(day, from, to, &hot, take_spare())?)?;
            }
        } else {
            let next = AtomicU64::new(0);
            let stop = AtomicBool::new(false);
            let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, Result<UserBlock>)>(threads);
            std::thread::scope(|scope| -> Result<()> {
                for _ in 0..threads.min(n_blocks as usize) {
                    let tx = tx.clone();
                    let (next, stop, hot, take_spare) = (&next, &stop, &hot, &take_spare);
                    scope.spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            let b = next.fetch_add(1, Ordering::Relaxed);
                            if b >= n_blocks {
                                break;
                            }
                            let (from, to) = block_ids(b);
                            if tx
                                .send((b, self.user_block(day, from, to, hot, take_spare())))
                                .is_err()
                            {
                                break;
                            }
                        }
                    });
                }
                drop(tx);
                let mut waiting = BTreeMap::new();
                let mut want = 0;
                let result = (|| {
                    for (b, block) in &rx {
                        waiting.insert(b, block);
                        while let Some(block) = waiting.remove(&want) {
                            append(block?)?;
                            want += 1;
                        }
                    }
                    if want < n_blocks {
                        return Err(Error::WorkerPanicked);
                    }
                    Ok(())
                })();
                // On an error, the workers stop at their next block (or send).
                stop.store(true, Ordering::Relaxed);
                drop(rx);
                result
            })?;
        }
        let files = BTreeMap::from([
            (EVENTS_FILE.to_owned(), events.finish()?),
            (USERS_FILE.to_owned(), users.finish()?),
            (PRODUCTS_FILE.to_owned(), products.finish()?),
        ]);
        self.finish(&dir, date, files, mess, false)
    }

    /// The users.csv rows and events of users `from..=to` on day index `day`, in memory (in
    /// `buffers`).
    fn user_block(
        &self,
        day: i32,
        from: u64,
        to: u64,
        hot: &[HotProduct],
        buffers: Buffers,
    ) -> Result<UserBlock> {
        let mut counts = MessCounts::default();
        let mut events = DayEvents::new(self, day, hot, CsvFile::memory(buffers.events));
        let mut users = CsvFile::memory(buffers.users);
        let dirty_rate = self.config.mess.dirty_user_row;
        let mut cores = CoreReader::new(&self.streams);
        let mut rng = self.streams.user(0, PROFILE);
        let mut day_rng = self.streams.user(0, PROFILE);
        for id in from..=to {
            let mut life = self.user_core(id, &mut cores);
            let deleted_today = life.deletion.is_some_and(|(d, _)| d == day);
            // A churned customer neither visits nor edits the profile: only a deletion can
            // still concern them, so most of the population costs only its core draw.
            if day > life.churn_day && !deleted_today && !(day == 0 && life.signup_day < 0) {
                continue;
            }
            life.complete(&self.config, &mut rng);
            let row = if life.signup_day == day || (day == 0 && life.signup_day < 0) {
                Some((life.initial, (life.signup_day, life.signup_ms), false))
            } else if let Some(c) = life.change_on(day) {
                Some((life.attrs_at(day), (c.day, c.ms), false))
            } else {
                life.deletion
                    .filter(|&(d, _)| d == day)
                    .map(|(d, ms)| (life.attrs_at(day), (d, ms), true))
            };
            if let Some((attrs, updated, deleted)) = row {
                let slot = day_slot(self.config.days + day as u32);
                rng.reseat(user_stream(id, slot));
                let dirt = if rng.chance(dirty_rate) {
                    counts.add(MessKind::DirtyUserRow);
                    Dirt::from_index(rng.u64())
                } else {
                    Dirt::None
                };
                push_user(&mut users.buf, self, &life, attrs, updated, deleted, dirt);
                users.end_row()?;
            }
            events.user(&life, &mut day_rng)?;
        }
        let mut mess = events.counts;
        mess.merge(counts);
        Ok(UserBlock {
            events: events.file,
            users,
            mess,
        })
    }

    /// Writes a full snapshot as of the end of the day before `date` into
    /// `landing::snapshot_dir(data_dir, date - 1)`: every user not deleted by then with the
    /// state and `updated_at` of their latest change, every product introduced by then, and a
    /// header-only `events.csv`. The manifest has `snapshot: true` and `date` = `date - 1`.
    pub fn write_snapshot(&self, data_dir: &Path, date: NaiveDate) -> Result<Manifest> {
        let day = self.day_index(date)?;
        let as_of = day - 1;
        let as_of_date = self.date_of(as_of);
        let dir = landing::snapshot_dir(data_dir, as_of_date);
        let _lock = prepare(&dir)?;
        let events = CsvFile::create(&dir.join(EVENTS_FILE), &EVENTS_HEADER)?;
        let mut users = CsvFile::create(&dir.join(USERS_FILE), &USERS_HEADER)?;
        let mut cores = CoreReader::new(&self.streams);
        let mut rng = self.streams.user(0, PROFILE);
        for id in 1..=self.last_user(as_of) {
            let life = self.user(id, &mut cores, &mut rng);
            if life.deleted_by(as_of) {
                continue;
            }
            let attrs = life.attrs_at(as_of);
            push_user(
                &mut users.buf,
                self,
                &life,
                attrs,
                life.last_update(as_of),
                false,
                Dirt::None,
            );
            users.end_row()?;
        }
        let mut products = CsvFile::create(&dir.join(PRODUCTS_FILE), &PRODUCTS_HEADER)?;
        for id in 1..=self.last_product(as_of) {
            push_product(&mut products.buf, self, &self.product(id), as_of);
            products.end_row()?;
        }
        let files = BTreeMap::from([
            (EVENTS_FILE.to_owned(), events.finish()?),
            (USERS_FILE.to_owned(), users.finish()?),
            (PRODUCTS_FILE.to_owned(), products.finish()?),
        ]);
        self.finish(&dir, as_of_date, files, MessCounts::default(), true)
    }

    fn finish(
        &self,
        dir: &Path,
        date: NaiveDate,
        files: BTreeMap<String, retention_model::landing::FileEntry>,
        mess: MessCounts,
        snapshot: bool,
    ) -> Result<Manifest> {
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            generator_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            seed: Some(self.seed),
            scale: Some(self.scale),
            config_hash: Some(self.config_hash.clone()),
            date,
            files,
            mess: mess.to_map(),
            snapshot,
        };
        manifest.write_atomic(dir)?;
        Ok(manifest)
    }
}

/// Creates the day's directory, locks it, and removes an old manifest first, so a reader
/// never pairs it with half-rewritten files.
///
/// The lock is an exclusive `flock` on the directory, held until the returned file is
/// dropped (or the process dies): a second generation of the same day waits for the first,
/// then rewrites the day as a re-run, instead of truncating files under a manifest the first
/// has just published.
fn prepare(dir: &Path) -> Result<Option<File>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        context: format!("creating {}", dir.display()),
        source,
    })?;
    let lock = lock_dir(dir).map_err(|source| Error::Io {
        context: format!("locking {}", dir.display()),
        source,
    })?;
    match std::fs::remove_file(dir.join(MANIFEST_FILE)) {
        Ok(()) => Ok(lock),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(lock),
        Err(source) => Err(Error::Io {
            context: format!("removing the old manifest in {}", dir.display()),
            source,
        }),
    }
}

/// Waits for and takes the exclusive lock of a directory (`flock`; released on close, so
/// also when the process dies).
#[cfg(unix)]
fn lock_dir(dir: &Path) -> std::io::Result<Option<File>> {
    let file = File::open(dir)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    Ok(Some(file))
}

/// No directory locks off Unix: concurrent generations of a day are not serialised there.
#[cfg(not(unix))]
fn lock_dir(_dir: &Path) -> std::io::Result<Option<File>> {
    Ok(None)
}
