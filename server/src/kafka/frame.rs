//! Kafka's framing: every request is a 4-byte big-endian size followed by that many bytes.
//!
//! The size is checked before anything is allocated, as Kafka's `NetworkReceive` does: negative
//! or above `socket.request.max.bytes` (104857600) and the connection is closed
//! (`InvalidReceiveException`). A size within the limit reserves its bytes from the listeners'
//! shared [`MemoryPool`] first (Kafka's `queued.max.request.bytes` pool, which Kafka leaves
//! unbounded by default; here it is one maximum request), and the body buffer grows only as bytes
//! arrive, so a peer that announces 100 MB and sends nothing holds a reservation, not memory.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Kafka's `socket.request.max.bytes` default: the largest request a broker reads.
pub const MAX_REQUEST_BYTES: u32 = 104_857_600;
/// Bytes of requests all connections may hold at once (read, not yet answered).
pub const POOL_BYTES: u32 = MAX_REQUEST_BYTES;
/// The body buffer starts at most this large and grows as bytes arrive.
const INITIAL_BUFFER: usize = 64 * 1024;

/// Why a connection stops reading.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// Kafka's `InvalidReceiveException`: the size prefix is negative or above the limit.
    #[error("invalid request size {0} (socket.request.max.bytes is {MAX_REQUEST_BYTES})")]
    InvalidSize(i32),
    /// The peer closed the connection in the middle of a frame.
    #[error("the connection closed in the middle of a request")]
    Truncated,
    #[error("{0}")]
    Io(String),
}

/// The bytes of requests read and not yet answered, shared by every connection of every
/// listener: a request waits for its reservation, as Kafka mutes a channel while its memory
/// pool is empty.
#[derive(Clone)]
pub struct MemoryPool(Arc<Semaphore>);

impl MemoryPool {
    pub fn new(bytes: u32) -> MemoryPool {
        MemoryPool(Arc::new(Semaphore::new(bytes as usize)))
    }

    /// Bytes free now.
    pub fn available(&self) -> usize {
        self.0.available_permits()
    }
}

impl Default for MemoryPool {
    fn default() -> Self {
        MemoryPool::new(POOL_BYTES)
    }
}

/// One request's bytes (after the size prefix) and its reservation in the pool, released when
/// the request has been answered.
pub struct Frame {
    pub bytes: Bytes,
    _reservation: OwnedSemaphorePermit,
}

/// Checks a size prefix as Kafka's `NetworkReceive.readFrom` does.
pub fn check_size(prefix: [u8; 4]) -> Result<u32, FrameError> {
    let size = i32::from_be_bytes(prefix);
    match u32::try_from(size) {
        Ok(n) if n <= MAX_REQUEST_BYTES => Ok(n),
        _ => Err(FrameError::InvalidSize(size)),
    }
}

/// Reads the next request. `Ok(None)`: the peer closed the connection between requests.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    pool: &MemoryPool,
) -> Result<Option<Frame>, FrameError> {
    let mut prefix = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match reader.read(&mut prefix[got..]).await {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => got += n,
            Err(e) => return Err(FrameError::Io(e.to_string())),
        }
    }
    let size = check_size(prefix)?;
    let reservation = pool
        .0
        .clone()
        .acquire_many_owned(size)
        .await
        .map_err(|e| FrameError::Io(e.to_string()))?;
    let mut body = BytesMut::with_capacity((size as usize).min(INITIAL_BUFFER));
    let mut limited = reader.take(u64::from(size));
    while body.len() < size as usize {
        match limited.read_buf(&mut body).await {
            Ok(0) => return Err(FrameError::Truncated),
            Ok(_) => {}
            Err(e) => return Err(FrameError::Io(e.to_string())),
        }
    }
    Ok(Some(Frame {
        bytes: body.freeze(),
        _reservation: reservation,
    }))
}

/// A response on the wire: its size, then its bytes.
pub fn frame_response(body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sizes_beyond_the_limit_or_negative_close_without_allocating() {
        assert_eq!(
            check_size((MAX_REQUEST_BYTES + 1).to_be_bytes()),
            Err(FrameError::InvalidSize(MAX_REQUEST_BYTES as i32 + 1))
        );
        assert_eq!(
            check_size((-1i32).to_be_bytes()),
            Err(FrameError::InvalidSize(-1))
        );
        assert_eq!(
            check_size(MAX_REQUEST_BYTES.to_be_bytes()),
            Ok(MAX_REQUEST_BYTES)
        );
        let pool = MemoryPool::default();
        let mut two_gb: &[u8] = &[0x7f, 0xff, 0xff, 0xff, 1, 2, 3];
        assert_eq!(
            read_frame(&mut two_gb, &pool).await.err(),
            Some(FrameError::InvalidSize(i32::MAX))
        );
        assert_eq!(pool.available(), POOL_BYTES as usize);
    }

    #[tokio::test]
    async fn frames_are_read_whole_and_truncated_ones_refused() {
        let pool = MemoryPool::default();
        let mut input: &[u8] = &[0, 0, 0, 3, 7, 8, 9, 0, 0, 0, 1];
        let frame = read_frame(&mut input, &pool).await.unwrap().unwrap();
        assert_eq!(&frame.bytes[..], &[7, 8, 9]);
        assert_eq!(pool.available(), POOL_BYTES as usize - 3);
        drop(frame);
        assert_eq!(pool.available(), POOL_BYTES as usize);
        assert_eq!(
            read_frame(&mut input, &pool).await.err(),
            Some(FrameError::Truncated)
        );
        let mut half_prefix: &[u8] = &[0, 0];
        assert_eq!(
            read_frame(&mut half_prefix, &pool).await.err(),
            Some(FrameError::Truncated)
        );
        let mut nothing: &[u8] = &[];
        assert!(read_frame(&mut nothing, &pool).await.unwrap().is_none());
    }
}
