//! The event stream from the command line, against the machine's NATS JetStream
//! (`IOU_TEST_NATS_URL`; skipped loudly without it): `iou events publish` publishes a store's
//! journal once (a second run publishes nothing), and `iou serve --events-nats` publishes a
//! store it serves without being asked. The expected count is an independent scan of the
//! journal.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use credit::{AccountId, MerchantId};
use engine::{Engine, EngineConfig, EngineError, ManualClock, Payer, Request};
use money::Amount;
use serde_json::Value;

const PARTITIONS: u32 = 2;

fn nats_url() -> Option<String> {
    let url = std::env::var("IOU_TEST_NATS_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("SKIPPED: `iou events publish` and `iou serve --events-nats` (set IOU_TEST_NATS_URL)");
    }
    url
}

/// A store with three accounts paying twice each; returns how many records its journal holds.
fn store_with_payments(data: &Path) -> usize {
    let config = EngineConfig {
        partitions: PARTITIONS,
        schedule: false,
        project: false,
        ..EngineConfig::default()
    };
    let backend = Arc::new(store::sqlite::SqliteBackend::open(data).unwrap());
    let clock = Arc::new(ManualClock::new("2026-03-01T02:00:00Z".parse().unwrap()));
    let engine = Engine::start(config, backend.clone(), clock).unwrap();
    let call = |request| engine.submit(request, None).unwrap().blocking_recv().unwrap();
    for a in 1..=3 {
        let account = AccountId(a);
        let open = credit::Command::OpenAccount {
            account,
            limit: Amount::from_fen(100_000),
            billing_day: 5,
        };
        call(Request::from_command(open).unwrap());
        for fen in [10_000, 20_000] {
            call(Request::Authorize {
                payer: Payer::Account(account),
                merchant: MerchantId(1),
                amount: Amount::from_fen(fen),
                plan: None,
                reference: None,
            });
        }
    }
    engine.shutdown();
    let mut journal = backend.open_journal().unwrap();
    let mut records = 0;
    for partition in 0..PARTITIONS {
        engine::journal::scan(&mut journal, partition, 0, |_, _| {
            records += 1;
            Ok::<_, EngineError>(())
        })
        .unwrap();
    }
    records
}

fn names(tag: &str) -> (String, String) {
    let unique = format!(
        "{tag}_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    );
    (format!("IOU_CLI_{unique}"), format!("iou-cli.{unique}"))
}

fn stream_count(url: &str, name: &str) -> Option<u64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let context = async_nats::jetstream::new(async_nats::connect(url).await.ok()?);
        let mut stream = context.get_stream(name).await.ok()?;
        Some(stream.info().await.ok()?.state.messages)
    })
}

fn delete_stream(url: &str, name: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let context = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
        let _ = context.delete_stream(name).await;
    });
}

#[test]
fn events_publish_sends_each_record_once() {
    let Some(url) = nats_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let records = store_with_payments(dir.path());
    let (stream, prefix) = names("publish");
    let publish = || {
        let out = Command::new(env!("CARGO_BIN_EXE_iou"))
            .args([
                "events",
                "publish",
                "--data",
                dir.path().to_str().unwrap(),
                "--nats",
                &url,
            ])
            .args(["--events-stream", &stream, "--events-prefix", &prefix])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let first = publish();
    assert_eq!(first["published"], records as u64, "{first}");
    let second = publish();
    assert_eq!(
        (second["published"].as_u64(), second["duplicates"].as_u64()),
        (Some(0), Some(0)),
        "{second}"
    );
    assert_eq!(stream_count(&url, &stream), Some(records as u64));
    delete_stream(&url, &stream);
}

#[test]
fn serve_publishes_the_store_it_serves() {
    let Some(url) = nats_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let records = store_with_payments(dir.path());
    let (stream, prefix) = names("serve");
    let mut child = Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            dir.path().to_str().unwrap(),
        ])
        .args([
            "--events-nats",
            &url,
            "--events-stream",
            &stream,
            "--events-prefix",
            &prefix,
        ])
        .env_remove("IOU_STORE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = None;
    while Instant::now() < deadline {
        seen = stream_count(&url, &stream);
        if seen >= Some(records as u64) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    delete_stream(&url, &stream);
    assert_eq!(seen, Some(records as u64), "the server published its journal, once");
}
