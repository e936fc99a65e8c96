//! Writes a range of days and prints per-day event counts and the total size:
//! `cargo run --release -p retention-generator --example year -- DIR [SCALE] [FROM] [TO] [THREADS]`.

use std::path::PathBuf;

use retention_generator::{Generator, GeneratorConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .ok_or("usage: year DIR [SCALE] [FROM] [TO] [THREADS]")?,
    );
    let scale: f64 = args.get(2).map_or(Ok(1.0), |s| s.parse())?;
    let g = Generator::new(GeneratorConfig::default(), 42, scale)?;
    let (first, last) = g.horizon();
    let from = args.get(3).map_or(Ok(first), |s| s.parse())?;
    let to = args.get(4).map_or(Ok(last), |s| s.parse())?;
    let threads: usize = args.get(5).map_or(Ok(2), |s| s.parse())?;
    let dates: Vec<_> = from.iter_days().take_while(|d| *d <= to).collect();
    let started = std::time::Instant::now();
    let manifests = g.write_days(&dir, &dates, threads)?;
    let secs = started.elapsed().as_secs_f64();
    let mut events = 0;
    for m in &manifests {
        let e = m.files["events.csv"].rows;
        events += e;
        println!(
            "{} events={} users={} products={}",
            m.date, e, m.files["users.csv"].rows, m.files["products.csv"].rows
        );
    }
    println!(
        "total events {events} in {secs:.2}s ({:.0}/s)",
        events as f64 / secs
    );
    Ok(())
}
