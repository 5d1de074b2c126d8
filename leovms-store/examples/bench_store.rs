//! The PC's store against its peers: a verified unpack through the store service (the
//! archive handed over as a descriptor on a private system bus, polkit asked, the service
//! running as its own user) against GNU `tar --zstd -xf` of the same archive; what a
//! second user's first start costs once the store holds the base, against a warm start;
//! and the disk a further user takes. Needs root (test users, polkitd, the service).
//!
//! ```sh
//! cargo build --release --workspace
//! cargo run --release -p leovms-store --example bench_store -- [--size-mib 2048] [--runs 5] [--dir DIR]
//! ```

// Shared with the formats crate's benchmarks; this one uses a part of it.
#[allow(dead_code)]
#[path = "../../leovms-image/examples/bench/mod.rs"]
mod bench;
#[path = "../../leovms-image/examples/bench/disk.rs"]
mod disk;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bench::{MIB, fresh, median, shell, sync};
use leovms_api::store::{StoreJobEvent, StoreProxy, subscribe_store_jobs};
use leovms_image::archive::{Expected, unpack};
use leovms_testkit::system_bus::StorePc;
use tokio_util::sync::CancellationToken;
use zbus::zvariant::Fd;

const USAGE: &str = "bench_store [--size-mib N] [--runs N] [--dir DIR]";

#[tokio::main]
async fn main() {
    let mut args = bench::parse_args(USAGE, |_, _| false);
    if args.dir == Path::new("/var/tmp/leovms-bench") {
        args.dir = PathBuf::from("/var/tmp/leovms-bench-store");
    }
    let dir = fresh(&args.dir);
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    println!(
        "load average before: {}; base {} MiB, {} runs",
        bench::loadavg(),
        args.size_mib,
        args.runs
    );
    let (base, expected) = disk::packed_disk(&dir, "base", "base.vdi", args.size_mib, 45, 1).await;
    let (snapshot, snap_expected) =
        disk::packed_disk(&dir, "snapshot", "Snapshots/{x}.vdi", 64, 30, 2).await;

    let pc_dir = dir.join("pc");
    fs::create_dir(&pc_dir).unwrap();
    fs::set_permissions(&pc_dir, fs::Permissions::from_mode(0o755)).unwrap();
    let store = StorePc::start(&pc_dir, "limit_gb = 1000\n", &[])
        .expect("the store service starts (as root)");
    let conn = zbus::connection::Builder::address(store.bus.address())
        .unwrap()
        .build()
        .await
        .unwrap();
    let proxy = StoreProxy::new(&conn).await.unwrap();

    // 1. A verified unpack through the service against tar, alternating.
    let (mut through_store, mut tar) = (Vec::new(), Vec::new());
    let out = dir.join("tar-out");
    for run in 0..args.runs {
        let mut order = [0, 1];
        if run % 2 == 1 {
            order.reverse();
        }
        for which in order {
            if which == 0 {
                proxy.prune().await.unwrap();
                sync();
                let t = Instant::now();
                add_base(&conn, &proxy, &base, &expected).await;
                through_store.push(t.elapsed());
            } else {
                fresh(&out);
                sync();
                let t = Instant::now();
                shell(&format!(
                    "tar --zstd -xf {} -C {}",
                    base.display(),
                    out.display()
                ));
                tar.push(t.elapsed());
            }
        }
    }
    let (store_t, tar_t) = (median(&mut through_store), median(&mut tar));
    println!("verified unpack through the store: {store_t:.2?} (median)");
    println!("tar --zstd -xf:                    {tar_t:.2?} (median)");
    println!(
        "ratio store/tar: {:.2} (the store hashes every byte it unpacks and seals the base; tar verifies nothing)",
        ratio(store_t, tar_t)
    );

    // 2. The base part of a start once the store holds the base (a second user's first
    // start) against a warm start (the user's own base is there), each with the same
    // snapshot unpack that every start does.
    let sha = hex::encode(expected.sha256);
    let own_base = dir.join("own-base");
    fresh(&own_base);
    shell(&format!(
        "tar --zstd -xf {} -C {}",
        base.display(),
        own_base.display()
    ));
    let (mut second_user, mut warm) = (Vec::new(), Vec::new());
    for _ in 0..4 * args.runs {
        let work = fresh(&dir.join("work"));
        let t = Instant::now();
        let held = PathBuf::from(proxy.base(&sha).await.unwrap());
        check_tree(&held);
        unpack_snapshot(&snapshot, &snap_expected, &work).await;
        second_user.push(t.elapsed());

        let work = fresh(&dir.join("work"));
        let t = Instant::now();
        check_tree(&own_base);
        unpack_snapshot(&snapshot, &snap_expected, &work).await;
        warm.push(t.elapsed());
    }
    let (second_t, warm_t) = (median(&mut second_user), median(&mut warm));
    println!("second user's first start (store lookup, check, snapshot): {second_t:.2?}");
    println!("warm start (own base check, snapshot):                     {warm_t:.2?}");
    println!(
        "ratio second user's first start/warm start: {:.2}",
        ratio(second_t, warm_t)
    );

    // 3. Disk per further user: the base stays in the store; only the snapshot is theirs.
    let snapshot_bytes = snap_expected.unpacked;
    println!(
        "disk per further user: with the store {:.0} MiB (the snapshot only), without {:.0} MiB (own base copy + snapshot)",
        snapshot_bytes as f64 / MIB as f64,
        (expected.unpacked + snapshot_bytes) as f64 / MIB as f64
    );
    drop(store);
}

/// What leovmsd does to have the store make a base: subscribe, hand the descriptor
/// over, follow the job to its end.
async fn add_base(conn: &zbus::Connection, proxy: &StoreProxy<'_>, archive: &Path, e: &Expected) {
    let file = fs::File::open(archive).unwrap();
    let mut jobs = subscribe_store_jobs(conn).await.unwrap();
    let path = proxy
        .add_base(Fd::from(&file), &hex::encode(e.sha256), e.size, e.unpacked)
        .await
        .unwrap();
    loop {
        match jobs.next(path.as_str()).await {
            Some(StoreJobEvent::Progress { .. }) => {}
            Some(StoreJobEvent::Done(_)) => return,
            other => panic!("the store did not make the base: {other:?}"),
        }
    }
}

async fn unpack_snapshot(archive: &Path, expected: &Expected, work: &Path) {
    unpack(archive, expected, work, &|_| {}, &CancellationToken::new())
        .await
        .unwrap();
}

/// The check leovmsd makes before using a base: every folder above and every entry in
/// it, without following links.
fn check_tree(path: &Path) {
    for dir in path.ancestors().skip(1) {
        fs::symlink_metadata(dir).unwrap();
    }
    let meta = fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            check_tree(&entry.unwrap().path());
        }
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
