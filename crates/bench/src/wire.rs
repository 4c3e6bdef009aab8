//! A lean HTTP/1.1 client for the load generator: one keep-alive socket, each request written
//! from a buffer the caller reuses, each response read into a buffer this client reuses and
//! framed by its `Content-Length`. It is what `wrk` does: the load generator shares the machine
//! with the server it measures, so every microsecond it spends is one the server does not get.
//! A general client (hyper's) spawns a connection task, builds a header map and a body stream
//! per request; this one does none of that.
//!
//! It understands exactly what the iou server sends: a status line, headers, and a body of
//! `Content-Length` bytes (never chunked). Anything else is an error, not a guess.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response head is never longer than this.
const HEAD_MAX_BYTES: usize = 8 * 1024;

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the server closed the connection")]
    Closed,
    #[error("malformed response: {0}")]
    Malformed(&'static str),
}

/// One keep-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Wire {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    inbox: Vec<u8>,
}

impl Wire {
    pub async fn connect(addr: std::net::SocketAddr) -> Result<Wire, WireError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Wire {
            stream,
            inbox: Vec::with_capacity(4096),
        })
    }

    /// Sends one complete request and reads its response: the status and the body's length.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<(u16, usize), WireError> {
        self.stream.write_all(request).await?;
        let head = loop {
            if let Some(head) = head_of(&self.inbox)? {
                break head;
            }
            if self.inbox.len() > HEAD_MAX_BYTES {
                return Err(WireError::Malformed("response head too long"));
            }
            self.fill().await?;
        };
        while self.inbox.len() < head.len + head.body {
            self.fill().await?;
        }
        self.inbox.drain(..head.len + head.body);
        Ok((head.status, head.body))
    }

    async fn fill(&mut self) -> Result<(), WireError> {
        self.inbox.reserve(4096);
        if self.stream.read_buf(&mut self.inbox).await? == 0 {
            return Err(WireError::Closed);
        }
        Ok(())
    }
}

/// A parsed response head.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    /// The head's length, blank line included.
    len: usize,
    /// The body's length.
    body: usize,
}

/// The head at the start of `bytes`, if all of it has arrived.
fn head_of(bytes: &[u8]) -> Result<Option<Head>, WireError> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&bytes[..end]).map_err(|_| WireError::Malformed("head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or(WireError::Malformed("no HTTP/1.1 status line"))?;
    let mut body = None;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or(WireError::Malformed("header without a colon"))?;
        if name.eq_ignore_ascii_case("content-length") {
            body = Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| WireError::Malformed("bad content-length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(WireError::Malformed("chunked bodies are not expected"));
        }
    }
    let body = body.ok_or(WireError::Malformed("no content-length"))?;
    Ok(Some(Head {
        status,
        len: end + 4,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the framing the load generator relies on: status, head length and body length,
    /// a head still arriving, and the responses it must refuse rather than misread.
    #[test]
    fn heads_are_framed_exactly() {
        let ok = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nContent-Length: 12\r\n\r\n{\"a\":1}";
        assert_eq!(
            head_of(ok).unwrap(),
            Some(Head {
                status: 201,
                len: ok.len() - 7,
                body: 12
            })
        );
        assert_eq!(head_of(b"HTTP/1.1 402 Payment Required\r\ncontent-le").unwrap(), None);
        let cases: [&[u8]; 4] = [
            b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n",
        ];
        for bad in cases {
            assert!(
                matches!(head_of(bad), Err(WireError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    /// Two responses arriving in one read are consumed one at a time, none lost.
    #[tokio::test]
    async fn back_to_back_responses_are_read_one_by_one() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 3];
            socket.read_exact(&mut request).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            socket.read_exact(&mut request).await.unwrap();
        });
        let mut wire = Wire::connect(addr).await.unwrap();
        assert_eq!(wire.exchange(b"one").await.unwrap(), (201, 2));
        assert_eq!(wire.exchange(b"two").await.unwrap(), (503, 0));
        server.await.unwrap();
        assert!(matches!(
            wire.exchange(b"three").await,
            Err(WireError::Closed | WireError::Io(_))
        ));
    }
}
