//! Captures every log line of a test binary, so the suite can prove secrets never reach one.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

static LOGS: OnceLock<Option<Buffer>> = OnceLock::new();

/// Install (once) a global TRACE subscriber writing to memory. Global, because thread-local
/// subscribers miss events whose callsites other test threads registered first. Returns false
/// when another global subscriber was installed first.
pub fn capture() -> bool {
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(buffer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .ok()
            .map(|()| buffer)
    })
    .is_some()
}

/// Everything logged since [`capture`].
pub fn captured() -> String {
    LOGS.get()
        .and_then(Option::as_ref)
        .and_then(|b| {
            b.0.lock()
                .ok()
                .map(|v| String::from_utf8_lossy(&v).into_owned())
        })
        .unwrap_or_default()
}
