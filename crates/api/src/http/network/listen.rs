//! The accept loop: HTTP/1.1 and h2c on one port (hyper-util's `auto` builder) with the edge's
//! limits, instead of `axum::serve` (which has none).
//!
//! - **Connection cap**: a connection is accepted only with a permit of a semaphore of
//!   [`EdgeConfig::max_connections`] (lowered to the process's open-file limit less
//!   [`FD_RESERVE`]). At the cap the loop stops accepting, so new connections wait in the
//!   kernel's accept queue while the open ones keep being served; a permit comes back when its
//!   connection closes.
//! - **Timeouts**: hyper's HTTP/1.1 header read timeout (a request head, and a keep-alive
//!   connection's next one, within [`EdgeConfig::header_timeout`]); [`Watched`] closes a
//!   connection whose first bytes do not come within the header timeout (before hyper knows the
//!   protocol) or on which nothing moves for [`EdgeConfig::idle_timeout`]. The body timeout is
//!   the body readers' (`call::read_body`).
//! - **Shutdown**: [`Listening::stop`] stops accepting, asks every connection to finish its
//!   requests and close, and after [`EdgeConfig::shutdown_deadline`] drops those still open.
//!
//! The semaphore is also the connection count: when every permit is back, every connection is
//! gone. What the limits cost per request, beyond what `axum::serve` did: hyper's header timer
//! (a small allocation and a timer registration while a keep-alive connection waits for its
//! next request head), a clock reading per read and write here, and the body timeout's
//! deadline (no timer is armed when the body is already in). No lock is shared by requests.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};
use tower_layer::Layer;

use crate::config::EdgeConfig;

/// File descriptors kept for the store, the journal, logs and outgoing calls when the
/// connection cap is fitted under the open-file limit.
pub const FD_RESERVE: usize = 128;

/// Bytes after which `auto` has told HTTP/1.1 from HTTP/2 (the HTTP/2 preface's length).
const PREFACE_LEN: u64 = 24;

/// Where the server is in its life; connections watch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Finish the requests in hand, then close.
    Draining,
    /// The deadline passed: close now.
    Dropping,
}

/// A listening server's connection side.
#[derive(Debug)]
pub struct Listening {
    phase: watch::Sender<Phase>,
    accepting: JoinHandle<()>,
    permits: Arc<Semaphore>,
    cap: u32,
    deadline: Duration,
}

/// The timeouts one connection runs with.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    header: Duration,
    idle: Duration,
}

/// The open-file limit (soft) of this process, from `/proc/self/limits` (Linux); `None`
/// elsewhere or when it is unlimited.
pub fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection cap: the configured one, at most the open-file limit less [`FD_RESERVE`],
/// at least 1.
pub fn connection_cap(configured: usize, file_limit: Option<usize>) -> u32 {
    let fitted = file_limit.map_or(configured, |limit| configured.min(limit.saturating_sub(FD_RESERVE)));
    u32::try_from(fitted.max(1))
        .unwrap_or(u32::MAX)
        .min(Semaphore::MAX_PERMITS as u32)
}

fn builder(timeouts: Timeouts) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .keep_alive(true);
    // No HTTP/2 keep-alive pings: a ping and its answer would count as activity and keep an
    // idle connection open forever; `Watched` closes idle ones (and dead peers) instead.
    builder.http2().timer(TokioTimer::new());
    builder
}

impl Listening {
    /// Serves `app` on `listener` under `config`'s limits until [`Listening::stop`].
    pub fn start(listener: TcpListener, app: Router, config: &EdgeConfig) -> Listening {
        let cap = connection_cap(config.max_connections, open_file_limit());
        if (cap as usize) < config.max_connections {
            tracing::warn!(
                cap,
                configured = config.max_connections,
                "the connection cap is lowered to fit the open-file limit"
            );
        }
        let permits = Arc::new(Semaphore::new(cap as usize));
        let (phase, watching) = watch::channel(Phase::Serving);
        let timeouts = Timeouts {
            header: config.header_timeout,
            idle: config.idle_timeout,
        };
        let accepting = tokio::spawn(accept_loop(listener, app, timeouts, permits.clone(), watching));
        Listening {
            phase,
            accepting,
            permits,
            cap,
            deadline: config.shutdown_deadline,
        }
    }

    /// Stops accepting, lets open connections finish their requests for up to the shutdown
    /// deadline, then drops those still open.
    pub async fn stop(self) {
        let _ = self.phase.send(Phase::Draining);
        let _ = self.accepting.await;
        let all_closed = self.permits.acquire_many(self.cap);
        if tokio::time::timeout(self.deadline, all_closed).await.is_ok() {
            return;
        }
        let open = self.cap as usize - self.permits.available_permits();
        tracing::warn!(open, "dropping the connections still open at the shutdown deadline");
        let _ = self.phase.send(Phase::Dropping);
        let _ = tokio::time::timeout(Duration::from_secs(1), self.permits.acquire_many(self.cap)).await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    permits: Arc<Semaphore>,
    mut phase: watch::Receiver<Phase>,
) {
    let builder = Arc::new(builder(timeouts));
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit,
            _ = phase.changed() => return,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = phase.changed() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let connection = Connection {
                    stream,
                    peer,
                    timeouts,
                    permit,
                };
                tokio::spawn(connection.serve(app.clone(), builder.clone(), phase.clone()));
            }
            Err(error) => {
                // Out of file descriptors, or a connection reset before it was accepted: wait
                // a moment rather than spin.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One accepted connection and its permit.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    timeouts: Timeouts,
    permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(self, app: Router, builder: Arc<auto::Builder<TokioExecutor>>, mut phase: watch::Receiver<Phase>) {
        if *phase.borrow_and_update() != Phase::Serving {
            return;
        }
        let io = TokioIo::new(Watched::new(self.stream, self.timeouts));
        let service = TowerToHyperService::new(axum::Extension(ConnectInfo(self.peer)).layer(app));
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        loop {
            tokio::select! {
                _ = connection.as_mut() => break,
                changed = phase.changed() => match (changed, *phase.borrow_and_update()) {
                    (Err(_), _) | (Ok(()), Phase::Dropping) => break,
                    (Ok(()), Phase::Draining) => connection.as_mut().graceful_shutdown(),
                    (Ok(()), Phase::Serving) => {}
                },
            }
        }
        drop(self.permit);
    }
}

/// A TCP stream that fails with `TimedOut` once nothing has been read or written for the
/// idle timeout, or when fewer than the preface's bytes came within the header timeout. The
/// timer is reset lazily: activity only moves `expires`, the timer is re-armed when it fires
/// (or at once when `expires` moved before it, which only an idle timeout shorter than the
/// header timeout does).
#[derive(Debug)]
pub struct Watched {
    io: TcpStream,
    timer: Pin<Box<Sleep>>,
    /// When the timer fires.
    armed: Instant,
    expires: Instant,
    read: u64,
    timeouts: Timeouts,
}

impl Watched {
    fn new(io: TcpStream, timeouts: Timeouts) -> Watched {
        let expires = Instant::now() + timeouts.header;
        Watched {
            io,
            timer: Box::pin(tokio::time::sleep_until(expires)),
            armed: expires,
            expires,
            read: 0,
            timeouts,
        }
    }

    fn active(&mut self) {
        let span = if self.read < PREFACE_LEN {
            self.timeouts.header
        } else {
            self.timeouts.idle
        };
        self.expires = Instant::now() + span;
        if self.expires < self.armed {
            // Only when the idle timeout is shorter than the header timeout.
            self.rearm();
        }
    }

    fn rearm(&mut self) {
        self.armed = self.expires;
        self.timer.as_mut().reset(self.armed);
    }

    /// Whether the connection has been quiet too long (registers the waker otherwise).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= self.expires {
                return true;
            }
            self.rearm();
        }
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, "the connection was idle too long")
    }

    /// What a write answered: bytes out count as activity, and a write still waiting past the
    /// idle deadline ends the connection.
    fn wrote(&mut self, cx: &mut Context<'_>, written: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.active();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(Watched::timed_out())),
            other => other,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let got = buf.filled().len() - before;
                if got > 0 {
                    this.read = this.read.saturating_add(got as u64);
                    this.active();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(Watched::timed_out())),
            other => other,
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        this.wrote(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.wrote(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_under_the_open_file_limit() {
        assert_eq!(connection_cap(10_000, None), 10_000);
        assert_eq!(connection_cap(10_000, Some(1_024)), 1_024 - FD_RESERVE as u32);
        assert_eq!(connection_cap(100, Some(1_024)), 100);
        assert_eq!(connection_cap(100, Some(10)), 1);
    }

    #[test]
    fn the_open_file_limit_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
    }
}
