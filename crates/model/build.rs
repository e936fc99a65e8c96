//! Embeds every `migrations/NNNN_name.sql` file of this crate, in version order, into the crate.

use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(u32, String, PathBuf)> = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()).map(str::to_owned) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let Some((num, name)) = stem.split_once('_') else {
            panic!("migration {file} is not named NNNN_name.sql")
        };
        let Ok(version) = num.parse::<u32>() else {
            panic!("migration {file} does not start with a number")
        };
        println!("cargo:rerun-if-changed={}", path.display());
        files.push((version, name.to_owned(), path));
    }
    files.sort();
    for pair in files.windows(2) {
        if pair[0].0 == pair[1].0 {
            panic!("two migrations share version {}", pair[0].0);
        }
    }
    let mut out = String::from(
        "/// Every migration in `crates/model/migrations/`, in version order.\npub static MIGRATIONS: &[Migration] = &[\n",
    );
    for (version, name, path) in files {
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_owned();
        let abs = fs::canonicalize(&path).unwrap_or(path);
        out.push_str(&format!(
            "    Migration {{ version: {version}, name: {name:?}, file: {file:?}, sql: include_str!({abs:?}) }},\n"
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("migrations.rs");
    if let Err(e) = fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
