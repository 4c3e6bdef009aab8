//! The JetStream side: the stream and its subjects, where each partition's subject stands, and
//! publishing the journal after it with a bounded window of acknowledgements in flight.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, context::PublishAckFuture, stream};
use engine::journal::Position;
use store::{Backend, Journal};

use crate::StreamError;
use crate::reader::{Chunk, Outgoing, message_id, read_chunk};
use crate::schema::{SCHEMA, parse_position, subject};

/// Records read from the journal per chunk (bounds memory when far behind).
pub const CHUNK: usize = 4096;
/// Publishes sent before the oldest acknowledgement is awaited.
const WINDOW: usize = 512;
/// How long the server remembers message ids to drop a resent one (JetStream's default).
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Which stream and subjects.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// The JetStream stream's name (no dots or spaces).
    pub stream: String,
    /// Subjects are `<prefix>.p<partition>`; the stream takes `<prefix>.>`.
    pub prefix: String,
}

impl Default for StreamConfig {
    fn default() -> StreamConfig {
        StreamConfig {
            stream: "IOU_EVENTS".to_owned(),
            prefix: "iou.events".to_owned(),
        }
    }
}

/// What a publishing pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Messages the stream stored.
    pub published: u64,
    /// Messages the server dropped as already stored (a resend inside the duplicate window).
    pub duplicates: u64,
    /// Each partition's last published position after the pass.
    pub through: BTreeMap<u32, Position>,
}

/// A connection to JetStream and the stream events go to.
#[derive(Debug)]
pub struct Publisher {
    context: jetstream::Context,
    stream: stream::Stream,
    config: StreamConfig,
}

fn refused(what: &'static str) -> impl Fn(String) -> StreamError {
    move |reason| StreamError::JetStream { what, reason }
}

impl Publisher {
    /// Connects and creates the stream when it does not exist (file storage, the duplicate
    /// window above).
    pub async fn connect(url: &str, config: StreamConfig) -> Result<Publisher, StreamError> {
        let client = async_nats::connect(url).await.map_err(|e| StreamError::Connect {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        let context = jetstream::new(client);
        let stream = context
            .get_or_create_stream(stream::Config {
                name: config.stream.clone(),
                subjects: vec![format!("{}.>", config.prefix)],
                duplicate_window: DUPLICATE_WINDOW,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| refused("creating the stream")(e.to_string()))?;
        Ok(Publisher {
            context,
            stream,
            config,
        })
    }

    /// The last position the stream holds for `partition` (`None`: nothing yet).
    pub async fn published(&self, partition: u32) -> Result<Option<Position>, StreamError> {
        let subject = subject(&self.config.prefix, partition);
        match self.stream.get_last_raw_message_by_subject(&subject).await {
            Ok(message) => {
                let header = message.headers.get("Iou-Position").map(|v| v.as_str().to_owned());
                header
                    .as_deref()
                    .and_then(parse_position)
                    .filter(|p| p.partition == partition)
                    .map(Some)
                    .ok_or(StreamError::Position { subject })
            }
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(refused("reading a subject's last message")(e.to_string())),
        }
    }

    /// Publishes every partition's records after what the stream holds; returns when all are
    /// acknowledged. `limit` stops after about that many messages (tests use it to stop midway,
    /// as a crash would).
    pub async fn publish_once(
        &self,
        backend: Arc<dyn Backend>,
        partitions: u32,
        limit: Option<u64>,
    ) -> Result<Report, StreamError> {
        let mut report = Report::default();
        let mut journal = Some(backend.journal()?);
        for partition in 0..partitions {
            let mut after = self.published(partition).await?;
            loop {
                let budget = limit.map(|l| l.saturating_sub(report.published + report.duplicates));
                if budget == Some(0) {
                    break;
                }
                let max = budget.map_or(CHUNK, |b| CHUNK.min(b as usize));
                let (returned, chunk) = self.read(journal.take(), partition, after, max).await?;
                journal = Some(returned);
                self.send(&chunk.messages, &mut report).await?;
                if let Some(last) = chunk.messages.last() {
                    after = Some(last.at);
                }
                if !chunk.more {
                    break;
                }
            }
            if let Some(at) = after {
                report.through.insert(partition, at);
            }
        }
        Ok(report)
    }

    /// Publishes, then again every `every`, until `stop` says so; a failed pass is retried
    /// on the next tick (the stream itself is the watermark, so nothing is lost or doubled).
    pub async fn follow(
        &self,
        backend: Arc<dyn Backend>,
        partitions: u32,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
        mut on_pass: impl FnMut(Result<Report, StreamError>),
    ) {
        while !*stop.borrow() {
            on_pass(self.publish_once(backend.clone(), partitions, None).await);
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn read(
        &self,
        journal: Option<Box<dyn Journal>>,
        partition: u32,
        after: Option<Position>,
        max: usize,
    ) -> Result<(Box<dyn Journal>, Chunk), StreamError> {
        let prefix = self.config.prefix.clone();
        let mut journal = journal.ok_or_else(|| StreamError::Reader("no journal connection".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let chunk = read_chunk(journal.as_mut(), &prefix, partition, after, max);
            chunk.map(|chunk| (journal, chunk))
        })
        .await
        .map_err(|e| StreamError::Reader(e.to_string()))?
    }

    async fn send(&self, messages: &[Outgoing], report: &mut Report) -> Result<(), StreamError> {
        let mut in_flight: VecDeque<PublishAckFuture> = VecDeque::with_capacity(WINDOW);
        for message in messages {
            if in_flight.len() >= WINDOW {
                settle(in_flight.pop_front(), report).await?;
            }
            let id = message_id(message);
            let mut headers = HeaderMap::new();
            headers.insert("Iou-Schema", SCHEMA);
            headers.insert("Iou-Position", id.as_str());
            let publish = jetstream::message::PublishMessage::build()
                .payload(message.payload.clone())
                .headers(headers)
                .message_id(&id);
            let ack = self
                .context
                .send_publish(message.subject.clone(), publish)
                .await
                .map_err(|e| refused("a publish")(e.to_string()))?;
            in_flight.push_back(ack);
        }
        while !in_flight.is_empty() {
            settle(in_flight.pop_front(), report).await?;
        }
        Ok(())
    }
}

async fn settle(ack: Option<PublishAckFuture>, report: &mut Report) -> Result<(), StreamError> {
    let Some(ack) = ack else { return Ok(()) };
    let ack = ack.await.map_err(|e| refused("an acknowledgement")(e.to_string()))?;
    if ack.duplicate {
        report.duplicates += 1;
    } else {
        report.published += 1;
    }
    Ok(())
}
