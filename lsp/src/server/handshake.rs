//! Holds every message that follows `initialize` until its result exists.
//!
//! tower-lsp-server handles messages concurrently and drops any notification
//! that arrives while the server is not yet initialized. A client that writes
//! `initialized` (or `didOpen`) right behind `initialize`, before reading the
//! result, would lose it, and with `initialized` every diagnostic after it
//! (publishing waits for it). This layer makes the server read nothing more
//! until the `initialize` handler has answered, so such messages are handled
//! as if the client had waited.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use tower_lsp_server::jsonrpc::Request;
use tower_service::Service;

#[derive(Default)]
struct State {
    /// An `initialize` request is being handled.
    in_flight: bool,
    /// The reader waiting to pass on the next message.
    waiting: Option<Waker>,
}

/// Wraps the LSP service; see the module documentation.
pub struct Handshake<S> {
    inner: S,
    state: Arc<Mutex<State>>,
}

impl<S> Handshake<S> {
    pub fn new(inner: S) -> Self {
        Handshake { inner, state: Arc::default() }
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // The state is two plain fields, valid even after a panic elsewhere.
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<S> Service<Request> for Handshake<S>
where
    S: Service<Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        {
            let mut state = lock(&self.state);
            if state.in_flight {
                state.waiting = Some(cx.waker().clone());
                return Poll::Pending;
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method() != "initialize" {
            return Box::pin(self.inner.call(request));
        }
        lock(&self.state).in_flight = true;
        let answer = self.inner.call(request);
        let done = Release(self.state.clone());
        Box::pin(async move {
            // The inner future marks the server initialized before it
            // resolves; `done` releases the reader after that (or if the
            // future is dropped unfinished).
            let _done = done;
            answer.await
        })
    }
}

/// Lets the reader go on when dropped.
struct Release(Arc<Mutex<State>>);

impl Drop for Release {
    fn drop(&mut self) {
        let mut state = lock(&self.0);
        state.in_flight = false;
        if let Some(reader) = state.waiting.take() {
            reader.wake();
        }
    }
}
