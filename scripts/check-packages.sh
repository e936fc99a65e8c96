#!/usr/bin/env bash
# The library crates meant to stand alone (retention-pgsql, retention-quality, retention-scd)
# really do: packages them with `cargo package`, unpacks the .crate files into a temporary
# directory and there, outside the workspace, builds each crate alone and runs its tests
# (the unit tests and doc tests: all a package holds). Only the packaged sources are used;
# retention-pgsql resolves to its unpacked copy (a generated [patch.crates-io]), every other
# dependency comes from crates.io. A file a crate needs but does not ship (an include_str!
# outside the crate, a fixture) fails here. Exits non-zero on any failure.
#
#   bash scripts/check-packages.sh            # CARGO_TARGET_DIR (default target/) is used
set -uo pipefail
cd "$(dirname "$0")/.."

# Dependencies first: retention-pgsql must be packaged before the crates that use it.
crates=(retention-pgsql retention-quality retention-scd)
target=${CARGO_TARGET_DIR:-$PWD/target}
[[ $target == /* ]] || target=$PWD/$target
# Builds of the unpacked crates get a target directory of their own: they do not wait for
# the workspace's lock, and a later run is incremental.
unpacked_target=$target/check-packages
work=$(mktemp -d "${TMPDIR:-/tmp}/check-packages.XXXXXX")
trap 'rm -rf "$work"' EXIT

say() { echo "== check-packages: $*"; }
status=0

# The working tree's files as they are (--allow-dirty), as CI runs it on uncommitted work
# too. cargo's own verification (a build of each package) is left to the steps below, which
# also run the tests.
args=()
for c in "${crates[@]}"; do args+=(-p "$c"); done
say "cargo package --no-verify --allow-dirty ${args[*]}"
if ! cargo package --no-verify --allow-dirty --locked "${args[@]}"; then
    say "FAILED: cargo package"
    exit 1
fi

# The version of a workspace crate: its package id ends `#name@version` (or `#version`).
version_of() {
    local id
    id=$(cargo pkgid --locked -p "$1") || return 1
    echo "${id##*[#@]}"
}

dirs=()
for c in "${crates[@]}"; do
    version=$(version_of "$c") || { say "FAILED: no version for $c"; exit 1; }
    file=$target/package/$c-$version.crate
    say "unpacking $file into $work"
    # -m: the files get the time of unpacking, not the archive's. The unpacked builds share a
    # target directory and cargo tells a package's sources changed by their mtimes; with the
    # archive's (older) times an earlier build of the same name and version looked fresh, and
    # the tests ran against a stale library.
    if ! tar -xzmf "$file" -C "$work"; then
        say "FAILED: cannot unpack $file"
        exit 1
    fi
    dirs+=("$work/$c-$version")
done

# Every unpacked crate that another depends on through crates.io resolves to its unpacked
# copy. The config lies above the crates' directories, so cargo reads it for each of them.
mkdir -p "$work/.cargo"
{
    echo "[patch.crates-io]"
    echo "retention-pgsql = { path = \"${dirs[0]}\" }"
} >"$work/.cargo/config.toml"
say "generated $work/.cargo/config.toml:"
sed 's/^/    /' "$work/.cargo/config.toml"

for dir in "${dirs[@]}"; do
    name=$(basename "$dir")
    say "$name: the files in the package"
    (cd "$dir" && find . -type f ! -name '.cargo-ok' | sort | sed 's/^/    /')
    say "$name: cargo build (alone, in $dir)"
    if ! (cd "$dir" && CARGO_TARGET_DIR=$unpacked_target cargo build); then
        say "FAILED: $name does not build from its package"
        status=1
        continue
    fi
    say "$name: cargo test (its unit tests and doc tests)"
    if ! (cd "$dir" && CARGO_TARGET_DIR=$unpacked_target cargo test); then
        say "FAILED: the tests of $name fail from its package"
        status=1
    fi
done

if [[ $status == 0 ]]; then
    say "ok: ${crates[*]} each build and pass their tests from their packages alone"
else
    say "FAILED (see above)"
fi
exit $status
