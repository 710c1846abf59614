//! Helpers shared by the fuzz targets: cutting the fuzzer's bytes into typed pieces, and a
//! transport that answers every request with one fuzzed response.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use snshare_core::servicenow::{HttpRequest, HttpResponse, Transport, TransportError};

/// Reads the fuzzer's bytes front to back; every read succeeds (zeros once the data runs out),
/// so a target never has to give up on short input.
pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    pub fn i32(&mut self) -> i32 {
        self.u32() as i32
    }

    /// Text up to the next `sep` byte (not included), lossily decoded like a browser would.
    pub fn text(&mut self, sep: u8) -> String {
        let end = self
            .data
            .iter()
            .position(|&b| b == sep)
            .unwrap_or(self.data.len());
        let (part, rest) = self.data.split_at(end);
        self.data = rest.get(1..).unwrap_or(&[]);
        String::from_utf8_lossy(part).into_owned()
    }

    /// Whatever is left, lossily decoded.
    pub fn rest(&mut self) -> String {
        let s = String::from_utf8_lossy(self.data).into_owned();
        self.data = &[];
        s
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A plausible "now" (2020..2100): the worker's clock, never a fuzzed absurdity, so a finding
/// is one a real answer can cause.
pub fn now_ms(c: &mut Cursor<'_>) -> u64 {
    const Y2020_MS: u64 = 1_577_836_800_000;
    const EIGHTY_YEARS_MS: u64 = 80 * 365 * 86_400_000;
    Y2020_MS + u64::from(c.u32()) * 1000 % EIGHTY_YEARS_MS
}

/// Answers every request with the same response.
pub struct OneAnswer(pub HttpResponse);

impl Transport for OneAnswer {
    async fn send(&self, _req: HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(self.0.clone())
    }
}

/// Runs a future that never waits (the transport above answers at once).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
