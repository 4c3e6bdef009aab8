//! A store whose journal does not replay (a record says a repayment was refused; replaying it
//! applies it): `iou serve` refuses to start and its error names the record and
//! `iou journal inspect`; `iou journal inspect` names the same record, marks it in the batch,
//! and fails. Never silence, never a store opened on a state other than the acknowledged one.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use credit::{AccountId, OpId};
use engine::{Engine, EngineConfig, ManualClock, Outcome, Request};
use money::Amount;

const PARTITIONS: u32 = 2;

/// A store with one account and a repayment, then a record no replay reproduces; returns the
/// partition and batch of that record.
fn diverging_store(data: &Path) -> (u32, u64) {
    let config = EngineConfig {
        partitions: PARTITIONS,
        schedule: false,
        project: false,
        ..EngineConfig::default()
    };
    let backend = Arc::new(store::sqlite::SqliteBackend::open(data).unwrap());
    let clock = Arc::new(ManualClock::new("2026-03-01T02:00:00.000000789Z".parse().unwrap()));
    let engine = Engine::start(config, backend.clone(), clock).unwrap();
    let account = AccountId(1);
    let call = |request| engine.submit(request, None).unwrap().blocking_recv().unwrap();
    let open = credit::Command::OpenAccount {
        account,
        limit: Amount::from_fen(1_000_000),
        billing_day: 5,
    };
    assert!(matches!(
        call(Request::from_command(open).unwrap()).outcome,
        Outcome::Applied { .. }
    ));
    let repay = credit::Command::Repay {
        account,
        op: OpId(1),
        amount: Amount::from_fen(100),
    };
    let reply = call(Request::from_command(repay).unwrap());
    assert!(matches!(reply.outcome, Outcome::Applied { .. }), "{reply:?}");
    engine.shutdown();

    let partition = engine::route::partition_of(account, PARTITIONS);
    let mut journal = backend.open_journal().unwrap();
    let record = engine::Record {
        at_us: reply.at.as_microsecond(),
        op: engine::Op::Credit(credit::Command::Repay {
            account,
            op: OpId(2),
            amount: Amount::from_fen(100),
        }),
        outcome: Err(engine::EngineRejection::Credit(credit::Rejection::AccountNotFound)),
        events: Vec::new(),
        idempotency: None,
        risk: None,
        notices: Vec::new(),
    };
    let seq = engine::journal::append(&mut journal, partition, vec![record]).unwrap();
    (partition, seq)
}

fn iou(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iou"))
        .env("IOU_KEYS", crate::child::keys_json())
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "error")
        .output()
        .expect("iou runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_journal_that_does_not_replay_is_named_by_serve_and_by_journal_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (partition, seq) = diverging_store(&data);
    let at = format!("partition {partition} batch {seq} record 0 (repay");

    let serve = iou(&["serve", "--listen", "127.0.0.1:0", "--partitions", "2"], &data);
    let said = text(&serve);
    assert!(!serve.status.success(), "serve started on a diverging journal: {said}");
    assert!(said.contains(&at), "{said}");
    assert!(
        said.contains("the journal says refused: account_not_found, replay gives ok"),
        "{said}"
    );
    assert!(said.contains("iou journal inspect"), "the way out is named: {said}");

    let inspect = iou(&["journal", "inspect"], &data);
    let said = text(&inspect);
    assert!(!inspect.status.success(), "{said}");
    assert!(
        said.contains(&format!("partition {partition}: REPLAY DIVERGES at {at}")),
        "{said}"
    );
    let other = 1 - partition;
    assert!(
        said.contains(&format!("partition {other}: replays as journaled")),
        "{said}"
    );

    let (p, s) = (partition.to_string(), seq.to_string());
    let batch = iou(&["journal", "inspect", "--partition", &p, "--seq", &s], &data);
    let said = text(&batch);
    let marked: Vec<&str> = said.lines().filter(|l| l.contains("<- replay gives ok")).collect();
    assert_eq!(marked.len(), 1, "{said}");
    assert!(
        marked[0].contains("repay") && marked[0].contains("refused: account_not_found"),
        "{said}"
    );
}
