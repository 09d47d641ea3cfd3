//! The plugin's standard output and error: WASI hands a guest both, and a guest's runtime writes
//! its crash report there (a Rust panic message, a Python traceback). The host keeps the last
//! [`TAIL`] bytes of both, interleaved, per call — never more, never blocking or trapping the
//! writer — and attaches them, escaped, to the call's error and the log.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Bytes of output kept per call (the most recent).
pub const TAIL: usize = 2048;

/// The last [`TAIL`] bytes a call wrote to stdout and stderr.
#[derive(Debug, Clone, Default)]
pub struct OutputTail {
    buf: Arc<Mutex<VecDeque<u8>>>,
}

impl OutputTail {
    /// What was kept, as text (lossy), trimmed; empty when nothing was written.
    pub fn text(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let bytes: Vec<u8> = buf.iter().copied().collect();
        String::from_utf8_lossy(&bytes).trim().to_string()
    }

    fn push(&self, bytes: &[u8]) {
        let mut buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let keep = &bytes[bytes.len().saturating_sub(TAIL)..];
        buf.extend(keep);
        let over = buf.len().saturating_sub(TAIL);
        buf.drain(..over);
    }
}

impl IsTerminal for OutputTail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputTail {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for OutputTail {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_only() {
        let t = OutputTail::default();
        assert_eq!(t.text(), "");
        t.push(b"first\n");
        t.push(&vec![b'x'; TAIL * 3]);
        t.push(b"\nTraceback: boom");
        let text = t.text();
        assert!(text.len() <= TAIL, "{}", text.len());
        assert!(text.ends_with("Traceback: boom") && !text.contains("first"));
    }
}
