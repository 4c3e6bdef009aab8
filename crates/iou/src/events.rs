//! `iou events publish`: every journaled fact of a store published to NATS JetStream, exactly
//! once by journal position (the `stream` crate; EVENTS.md documents the messages). Once, or
//! with `--follow` until interrupted. `iou serve --events-nats URL` runs the same follower
//! inside the server.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use stream::{Publisher, Report, StreamConfig};

#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    command: EventsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum EventsCommand {
    /// Publish the store's journal after what the stream already holds (per partition), then
    /// stop, or keep following it with `--follow`.
    Publish(PublishArgs),
}

/// Where events go: shared by `iou events publish` and `iou serve --events-nats`.
#[derive(Clone, Debug, clap::Args)]
pub struct StreamArgs {
    /// The JetStream stream's name (created when missing).
    #[arg(long = "events-stream", default_value = "IOU_EVENTS")]
    pub stream: String,
    /// The subjects' prefix: partition P's events go to `<prefix>.pP`.
    #[arg(long = "events-prefix", default_value = "iou.events")]
    pub prefix: String,
}

impl StreamArgs {
    pub fn config(&self) -> StreamConfig {
        StreamConfig {
            stream: self.stream.clone(),
            prefix: self.prefix.clone(),
        }
    }
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// The data directory of the embedded store.
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// A PostgreSQL store instead (`postgres://...`; also `IOU_STORE`).
    #[arg(long, value_name = "URL", conflicts_with = "data")]
    store: Option<String>,
    /// The NATS server.
    #[arg(long, value_name = "URL", default_value = "nats://127.0.0.1:4222")]
    nats: String,
    #[command(flatten)]
    stream: StreamArgs,
    /// Keep publishing new records every `--every-ms` until interrupted.
    #[arg(long)]
    follow: bool,
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    every_ms: u64,
}

pub fn run(args: EventsArgs) -> anyhow::Result<()> {
    match args.command {
        EventsCommand::Publish(args) => publish(args),
    }
}

fn publish(args: PublishArgs) -> anyhow::Result<()> {
    let backend: Arc<dyn store::Backend> = match args.store.or_else(|| std::env::var("IOU_STORE").ok()) {
        Some(url) => Arc::new(store::postgres::PostgresBackend::open(&url).context("opening the PostgreSQL store")?),
        None => {
            anyhow::ensure!(
                args.data.join(store::sqlite::JOURNAL_FILE).is_file(),
                "{} holds no journal",
                args.data.display()
            );
            Arc::new(store::sqlite::SqliteBackend::open(&args.data)?)
        }
    };
    let partitions = engine::journal::stored_partitions(backend.journal()?.as_mut())?
        .context("the store was never started: no partitions")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let publisher = Publisher::connect(&args.nats, args.stream.config()).await?;
        if !args.follow {
            let report = publisher.publish_once(backend, partitions, None).await?;
            println!("{}", summary(&report));
            return Ok(());
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
        });
        let every = Duration::from_millis(args.every_ms);
        publisher
            .follow(backend, partitions, every, stopped, |pass| match pass {
                Ok(report) if report.published + report.duplicates > 0 => println!("{}", summary(&report)),
                Ok(_) => {}
                Err(e) => eprintln!("events: {e} (retrying)"),
            })
            .await;
        Ok(())
    })
}

/// One JSON line: what a pass published and where each partition's subject stands.
pub fn summary(report: &Report) -> serde_json::Value {
    let through: serde_json::Map<String, serde_json::Value> = report
        .through
        .iter()
        .map(|(p, at)| {
            (
                p.to_string(),
                format!("{}:{}:{}", at.partition, at.seq, at.index).into(),
            )
        })
        .collect();
    serde_json::json!({
        "published": report.published,
        "duplicates": report.duplicates,
        "through": through,
    })
}

/// `iou serve --events-nats URL`: follows the server's store from a task of its runtime until
/// the server stops. NATS being down never stops the server: the follower reconnects.
pub fn spawn_follower(
    url: String,
    config: StreamConfig,
    backend: Arc<dyn store::Backend>,
    partitions: u32,
) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        loop {
            if *stopped.borrow() {
                return;
            }
            match Publisher::connect(&url, config.clone()).await {
                Ok(publisher) => {
                    eprintln!("events: publishing the journal to {url} ({})", config.stream);
                    publisher
                        .follow(backend, partitions, Duration::from_millis(500), stopped, |pass| {
                            if let Err(e) = pass {
                                eprintln!("events: {e} (retrying)");
                            }
                        })
                        .await;
                    return;
                }
                Err(e) => {
                    eprintln!("events: {e} (retrying in 5 s)");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    });
    stop
}
