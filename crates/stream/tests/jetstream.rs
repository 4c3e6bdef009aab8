//! The event stream against the machine's NATS JetStream (`IOU_TEST_NATS_URL`; skipped loudly
//! without it): a journal the real engine wrote is published once, exactly once by position,
//! across a stop midway and a second run, and new records follow; every message is the
//! `iou.event.v1` of its record, in journal order per partition. The expected messages come
//! from an independent count: a scan of the journal.

use std::sync::Arc;

use credit::{AccountId, MerchantId};
use engine::journal::{Position, scan};
use engine::{Engine, EngineConfig, EngineError, ManualClock, Payer, Request};
use money::Amount;
use serde_json::Value;
use store::Backend;
use stream::{Publisher, StreamConfig};

const PARTITIONS: u32 = 2;

fn nats_url() -> Option<String> {
    let url = std::env::var("IOU_TEST_NATS_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("SKIPPED: the event stream's JetStream tests (set IOU_TEST_NATS_URL, e.g. nats://127.0.0.1:4222)");
    }
    url
}

fn engine(backend: Arc<dyn Backend>) -> Engine {
    let config = EngineConfig {
        partitions: PARTITIONS,
        schedule: false,
        project: false,
        ..EngineConfig::default()
    };
    let clock = Arc::new(ManualClock::new("2026-03-01T02:00:00.000000123Z".parse().unwrap()));
    Engine::start(config, backend, clock).unwrap()
}

/// Opens `accounts` accounts from `first` and has each pay three times, the third over its
/// limit (a refused record).
fn produce(engine: &Engine, first: u64, accounts: u64) {
    let call = |request: Request| {
        engine
            .submit_with(request, None, None)
            .unwrap()
            .blocking_recv()
            .unwrap()
    };
    for a in first..first + accounts {
        let account = AccountId(a);
        let open = credit::Command::OpenAccount {
            account,
            limit: Amount::from_fen(100_000),
            billing_day: 5,
        };
        call(Request::from_command(open).unwrap());
        for fen in [30_000, 40_000, 90_000] {
            call(Request::Authorize {
                payer: Payer::Account(account),
                merchant: MerchantId(1),
                amount: Amount::from_fen(fen),
                plan: None,
                reference: None,
            });
        }
    }
}

/// Every record's position, by an independent scan of the journal.
fn positions(backend: &dyn Backend) -> Vec<Position> {
    let mut journal = backend.journal().unwrap();
    let mut all = Vec::new();
    for partition in 0..PARTITIONS {
        scan(journal.as_mut(), partition, 0, |at, _| {
            all.push(at);
            Ok::<_, EngineError>(())
        })
        .unwrap();
    }
    all
}

/// Every message on the test's stream: its `Iou-Position` header and its JSON.
async fn messages(url: &str, name: &str) -> Vec<(String, Value)> {
    let context = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
    let stream = context.get_stream(name).await.unwrap();
    let last = stream.get_info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for sequence in 1..=last {
        let message = stream.get_raw_message(sequence).await.unwrap();
        let position = message.headers.get("Iou-Position").unwrap().as_str().to_owned();
        out.push((position, serde_json::from_slice(&message.payload).unwrap()));
    }
    out
}

#[test]
fn every_record_is_published_once_in_order_across_a_stop_and_a_restart() {
    let Some(url) = nats_url() else { return };
    let unique = format!("{}_{}", std::process::id(), jiff::Timestamp::now().as_nanosecond());
    let config = StreamConfig {
        stream: format!("IOU_TEST_{unique}"),
        prefix: format!("iou-test.{unique}"),
    };
    let backend: Arc<dyn Backend> = Arc::new(store::memory::MemoryBackend::new());
    let engine = engine(backend.clone());
    produce(&engine, 1, 6);
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // A first publisher stops after 5 messages, as a crash would; a second takes over.
    let first = runtime.block_on(async {
        let publisher = Publisher::connect(&url, config.clone()).await.unwrap();
        publisher
            .publish_once(backend.clone(), PARTITIONS, Some(5))
            .await
            .unwrap()
    });
    assert_eq!(first.published, 5);
    let expected = positions(backend.as_ref());
    let second = runtime.block_on(async {
        let publisher = Publisher::connect(&url, config.clone()).await.unwrap();
        let report = publisher.publish_once(backend.clone(), PARTITIONS, None).await.unwrap();
        let again = publisher.publish_once(backend.clone(), PARTITIONS, None).await.unwrap();
        assert_eq!((again.published, again.duplicates), (0, 0), "nothing new: nothing sent");
        report
    });
    assert_eq!(second.published as usize + 5, expected.len());
    assert_eq!(
        second.duplicates, 0,
        "resumed after the stream's last position, not resent"
    );

    // New records follow.
    produce(&engine, 100, 2);
    let third = runtime.block_on(async {
        let publisher = Publisher::connect(&url, config.clone()).await.unwrap();
        publisher.publish_once(backend.clone(), PARTITIONS, None).await.unwrap()
    });
    engine.shutdown();
    assert_eq!(third.duplicates, 0);
    let expected = positions(backend.as_ref());
    assert_eq!((5 + second.published + third.published) as usize, expected.len());

    let got = runtime.block_on(messages(&url, &config.stream));
    let mut by_partition: Vec<Vec<String>> = vec![Vec::new(); PARTITIONS as usize];
    for (position, json) in &got {
        assert_eq!(json["schema"], "iou.event.v1");
        assert_eq!(&json["id"], position, "the header names the message's record");
        by_partition[json["partition"].as_u64().unwrap() as usize].push(position.clone());
    }
    for partition in 0..PARTITIONS {
        let want: Vec<String> = expected
            .iter()
            .filter(|p| p.partition == partition)
            .map(|p| format!("{}:{}:{}", p.partition, p.seq, p.index))
            .collect();
        assert_eq!(
            by_partition[partition as usize], want,
            "partition {partition}: once each, in order"
        );
    }
    let refused = got.iter().filter(|(_, j)| j["outcome"] == "refused").count();
    assert_eq!(refused, 8, "each account's third payment is over its limit");
    let authorized = got
        .iter()
        .find(|(_, j)| j["op"] == "authorize" && j["outcome"] == "ok")
        .unwrap();
    if std::env::var_os("IOU_PRINT_EVENT").is_some() {
        println!("{}", serde_json::to_string_pretty(&authorized.1).unwrap());
    }
    assert!(
        authorized.1["events"].as_array().is_some_and(|e| !e.is_empty()),
        "{}",
        authorized.1
    );
    assert!(
        authorized.1["at"].as_str().unwrap().starts_with("2026-03-01T02:00:00"),
        "{}",
        authorized.1
    );

    runtime.block_on(async {
        let context = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
        context.delete_stream(&config.stream).await.unwrap();
    });
}

#[test]
fn a_resent_message_inside_the_window_is_dropped_by_the_server() {
    let Some(url) = nats_url() else { return };
    let unique = format!("{}_{}", std::process::id(), jiff::Timestamp::now().as_nanosecond());
    let config = StreamConfig {
        stream: format!("IOU_TEST_DUP_{unique}"),
        prefix: format!("iou-test-dup.{unique}"),
    };
    let backend: Arc<dyn Backend> = Arc::new(store::memory::MemoryBackend::new());
    let engine = engine(backend.clone());
    produce(&engine, 1, 1);
    engine.shutdown();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let publisher = Publisher::connect(&url, config.clone()).await.unwrap();
        let report = publisher.publish_once(backend.clone(), PARTITIONS, None).await.unwrap();
        assert_eq!(report.published, 4);
        // The same record sent again with its id, as after a lost acknowledgement.
        let context = async_nats::jetstream::new(async_nats::connect(&url).await.unwrap());
        let (partition, at) = report.through.iter().next().map(|(p, at)| (*p, *at)).unwrap();
        let id = format!("{}:{}:{}", at.partition, at.seq, at.index);
        let resend = async_nats::jetstream::message::PublishMessage::build()
            .payload("{}".into())
            .message_id(&id);
        let ack = context
            .send_publish(format!("{}.p{partition}", config.prefix), resend)
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(ack.duplicate);
        context.delete_stream(&config.stream).await.unwrap();
    });
}
