//! A compressed record batch's records, decompressed with a ceiling.
//!
//! The `kafka-protocol` crate's own decompressors inflate a batch whole, as far as it goes: a
//! 1 MB gzip batch of zeros becomes about a gigabyte, and a raw snappy block announces its
//! length in a header the crate allocates before checking. Kafka's broker never holds a whole
//! decompressed batch (`DefaultRecordBatch.compressedIterator` streams record by record), so it
//! has no such risk; this listener reads the batch whole, so it stops at [`MAX_DECOMPRESSED`]
//! instead. The codecs are the same crates the protocol crate uses (flate2, snap, lz4, zstd),
//! read through a `take` so that nothing past the ceiling is ever allocated.

use std::io::Read;

use anyhow::{Context, ensure};
use bytes::{Buf, Bytes};
use kafka_protocol::records::Compression;

/// The most bytes one batch's records may take once decompressed: sixteen times Kafka's
/// default `max.message.bytes`, far above what a client's `batch.size` (16 KiB for the Java
/// client, 1 MB for librdkafka's `message.max.bytes`) produces. The playground's limit, not
/// Kafka's.
pub const MAX_DECOMPRESSED: usize = 16 * 1_048_576;

/// Kafka's snappy framing (xerial's `SnappyOutputStream`): a magic header, then blocks each
/// prefixed by its compressed length.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// The header's version and compatible-version fields that follow the magic.
const XERIAL_HEADER_LEN: usize = XERIAL_MAGIC.len() + 8;

/// The batch's records, decompressed, or an error when the bytes are not valid for the codec
/// or would exceed [`MAX_DECOMPRESSED`].
pub fn decompress(buf: &mut Bytes, compression: Compression) -> anyhow::Result<Bytes> {
    let input = buf.copy_to_bytes(buf.remaining());
    match compression {
        Compression::None => Ok(input),
        Compression::Gzip => read_bounded(flate2::read::GzDecoder::new(input.reader())),
        Compression::Lz4 => read_bounded(lz4::Decoder::new(input.reader())?),
        Compression::Zstd => read_bounded(zstd::stream::read::Decoder::new(input.reader())?),
        Compression::Snappy => snappy(input),
    }
}

/// Reads a decoder to its end, refusing to go past the ceiling.
fn read_bounded(reader: impl Read) -> anyhow::Result<Bytes> {
    let mut out = Vec::new();
    reader
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .context("the batch does not decompress")?;
    ensure!(
        out.len() <= MAX_DECOMPRESSED,
        "the batch decompresses past {MAX_DECOMPRESSED} bytes"
    );
    Ok(out.into())
}

/// Snappy as Kafka clients write it: xerial-framed blocks, or (as `SnappyInputStream` falls
/// back to) one raw block without the header. Every block's announced length is checked
/// against what is left of the ceiling before anything is allocated for it.
fn snappy(input: Bytes) -> anyhow::Result<Bytes> {
    let mut decoder = snap::raw::Decoder::new();
    let mut out = Vec::new();
    let mut block = |compressed: &[u8], out: &mut Vec<u8>| -> anyhow::Result<()> {
        let len = snap::raw::decompress_len(compressed).context("a snappy block's length")?;
        ensure!(
            len <= MAX_DECOMPRESSED - out.len(),
            "the batch decompresses past {MAX_DECOMPRESSED} bytes"
        );
        let start = out.len();
        out.resize(start + len, 0);
        decoder
            .decompress(compressed, &mut out[start..])
            .context("a snappy block does not decompress")?;
        Ok(())
    };
    if !input.starts_with(&XERIAL_MAGIC) {
        block(&input, &mut out)?;
        return Ok(out.into());
    }
    ensure!(input.len() >= XERIAL_HEADER_LEN, "a short snappy header");
    let mut rest = input.slice(XERIAL_HEADER_LEN..);
    while rest.has_remaining() {
        ensure!(
            rest.remaining() >= 4,
            "a snappy block length past the batch"
        );
        let len = rest.get_u32() as usize;
        ensure!(len <= rest.remaining(), "a snappy block past the batch");
        let compressed = rest.split_to(len);
        block(&compressed, &mut out)?;
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::compression::{Compressor, Gzip, Lz4, Snappy, Zstd};

    fn compressed<C: Compressor<BytesMut, BufMut = BytesMut>>(data: &[u8]) -> Bytes {
        let mut out = BytesMut::new();
        C::compress(&mut out, |tmp| {
            tmp.extend_from_slice(data);
            Ok(())
        })
        .unwrap();
        out.freeze()
    }

    #[test]
    fn every_codec_round_trips_what_the_protocol_crate_compressed() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for (codec, mut bytes) in [
            (Compression::Gzip, compressed::<Gzip>(&data)),
            (Compression::Snappy, compressed::<Snappy>(&data)),
            (Compression::Lz4, compressed::<Lz4>(&data)),
            (Compression::Zstd, compressed::<Zstd>(&data)),
        ] {
            assert_eq!(decompress(&mut bytes, codec).unwrap(), data, "{codec:?}");
        }
    }

    #[test]
    fn a_batch_that_inflates_past_the_ceiling_is_refused_without_being_inflated() {
        // 40 MiB of zeros compress to a few tens of kilobytes in every codec.
        let zeros = vec![0u8; 40 * 1_048_576];
        for (codec, mut bytes) in [
            (Compression::Gzip, compressed::<Gzip>(&zeros)),
            (Compression::Snappy, compressed::<Snappy>(&zeros)),
            (Compression::Lz4, compressed::<Lz4>(&zeros)),
            (Compression::Zstd, compressed::<Zstd>(&zeros)),
        ] {
            assert!(bytes.len() < 4 * 1_048_576, "{codec:?}: {}", bytes.len());
            let err = decompress(&mut bytes, codec).unwrap_err();
            assert!(err.to_string().contains("past"), "{codec:?}: {err:#}");
        }
    }

    #[test]
    fn a_raw_snappy_block_announcing_four_gigabytes_is_refused_before_allocating() {
        // A varint length of 2^32 − 1 and nothing after it.
        let mut bytes = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decompress(&mut bytes, Compression::Snappy).is_err());
    }
}
