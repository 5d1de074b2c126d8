//! Two engines on loopback: a seeder sharing a published archive read-only, and a PC
//! fetching it into a file of its own. The rooms with many PCs and a slow server link
//! are in leovms-testkit's `leovms-swarm-room` (network namespaces, root).

use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use leovms_swarm::{Swarm, SwarmConf, SwarmError, torrent};
use leovms_testkit::noise;
use leovms_testkit::swarm::{fetch_from, free_port, loopback};
use tokio_util::sync::CancellationToken;

fn conf(port: u16, seeders: Vec<std::net::SocketAddr>) -> SwarmConf {
    SwarmConf {
        port,
        seeders,
        stall: Duration::from_secs(5),
        ..SwarmConf::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_fetches_from_the_seeder_and_a_wrong_peer_stalls() {
    let dir = tempfile::tempdir().unwrap();
    let data = noise(3 << 20, 1);
    let published = dir.path().join("base.tar.zst");
    File::create(&published).unwrap().write_all(&data).unwrap();
    let meta =
        Bytes::from(leovms_image::torrent::create(&published, "base.tar.zst", |_| {}).unwrap());
    torrent::check(&meta, data.len() as u64).unwrap();

    let loopback = loopback();
    let seed_port = free_port();
    let seed_state = dir.path().join("seed");
    std::fs::create_dir(&seed_state).unwrap();
    let seeder = Swarm::start(&seed_state, &conf(seed_port, vec![]), &[loopback])
        .await
        .unwrap();
    let read_only = Arc::new(File::open(&published).unwrap());
    seeder.seed(meta.clone(), read_only).await.unwrap();

    let pc_state = dir.path().join("pc");
    std::fs::create_dir(&pc_state).unwrap();
    let seed_addr = ([127, 0, 0, 1], seed_port).into();
    let pc = Swarm::start(&pc_state, &conf(free_port(), vec![seed_addr]), &[loopback])
        .await
        .unwrap();
    let into = dir.path().join("fetched");
    let file = Arc::new(
        File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&into)
            .unwrap(),
    );
    let seen = Mutex::new(Vec::new());
    let progress = |n: u64| seen.lock().unwrap().push(n);
    let fetched = pc
        .fetch(meta.clone(), file, &progress, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(fetched.bytes, data.len() as u64);
    let seen = seen.into_inner().unwrap();
    assert!(seen.is_sorted(), "the progress went back: {seen:?}");
    assert_eq!(seen.last(), Some(&(data.len() as u64)), "{seen:?}");
    assert!(
        std::fs::read(&into).unwrap() == data,
        "the fetched bytes differ"
    );
    assert!(seeder.uploaded() >= data.len() as u64);

    // A PC whose only seeder has nothing to give stops after its stall time.
    let other = dir.path().join("other.tar.zst");
    File::create(&other)
        .unwrap()
        .write_all(&noise(1 << 20, 2)[..])
        .unwrap();
    let unknown =
        Bytes::from(leovms_image::torrent::create(&other, "other.tar.zst", |_| {}).unwrap());
    let lost = dir.path().join("lost");
    let file = Arc::new(
        File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&lost)
            .unwrap(),
    );
    let err = pc
        .fetch(unknown, file, &|_| {}, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, SwarmError::Stalled(_)), "{err}");

    // Cancel ends a fetch at once.
    let cancel = CancellationToken::new();
    cancel.cancel();
    let again = dir.path().join("again");
    let file = Arc::new(
        File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&again)
            .unwrap(),
    );
    let err = pc.fetch(meta, file, &|_| {}, &cancel).await.unwrap_err();
    assert!(matches!(err, SwarmError::Canceled), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_truncated_archive_is_not_seeded_and_the_repaired_one_is() {
    let dir = tempfile::tempdir().unwrap();
    // Four pieces of 256 KiB.
    let data = noise(1 << 20, 3);
    let archive = dir.path().join("base.tar.zst");
    std::fs::write(&archive, &data).unwrap();
    let meta =
        Bytes::from(leovms_image::torrent::create(&archive, "base.tar.zst", |_| {}).unwrap());
    // A state folder whose name is no plain URL path.
    let state = dir.path().join("state #1 100%");
    std::fs::create_dir(&state).unwrap();
    let port = free_port();
    let swarm = Swarm::start(&state, &conf(port, vec![]), &[loopback()])
        .await
        .unwrap();
    let seed = |bytes: &[u8]| {
        std::fs::write(&archive, bytes).unwrap();
        let file = Arc::new(File::open(&archive).unwrap());
        swarm.seed(meta.clone(), file)
    };

    let mut flipped = data.clone();
    flipped[700_000] ^= 1;
    let err = seed(&flipped).await.unwrap_err();
    assert!(matches!(err, SwarmError::Mismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "the file does not match its torrent: 786432 of 1048576 bytes"
    );
    let err = seed(&data[..1_000_000]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file does not match its torrent: 786432 of 1048576 bytes"
    );
    // Neither stayed with the engine: the repaired archive is taken on, and served.
    seed(&data).await.unwrap();
    let pc = dir.path().join("pc");
    std::fs::create_dir(&pc).unwrap();
    let (fetched, bytes) = fetch_from(&meta, port, &pc, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(fetched.bytes, data.len() as u64);
    assert!(bytes == data, "the fetched bytes differ");
}
