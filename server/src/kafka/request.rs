//! One request frame → the header and the request it carries, or the reason to close.
//!
//! Kafka's `SocketServer.parseRequestHeader` closes the connection when the header cannot be
//! parsed (an unknown API key is an `InvalidRequestException` in `RequestHeader.parse`) or when
//! `ApiVersionManager.isApiEnabled` says the key or version is not enabled on this listener;
//! a body that does not parse is an `InvalidRequestException` too, and closes the connection
//! (`processChannelException`). This playground's broker enables exactly the APIs and versions
//! it advertises ([`super::api_versions::SUPPORTED`]), so every other key or version is closed
//! the same way. ApiVersions is the exception Kafka makes (`ApiKeys.isVersionEnabled`): any
//! version is accepted, and one the broker does not know is answered at v0 with
//! UNSUPPORTED_VERSION (KIP-511), its body not parsed (`RequestContext.parseRequest`).

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, FetchRequest, InitProducerIdRequest, ListOffsetsRequest,
    MetadataRequest, ProduceRequest, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable};

use super::api_versions;
use super::skim;

/// A request this broker answers.
#[derive(Debug)]
pub enum Request {
    ApiVersions(ApiVersionsRequest),
    /// An ApiVersions request at a version this broker does not know: answered at v0.
    UnsupportedApiVersions,
    Metadata(MetadataRequest),
    Produce(ProduceRequest),
    Fetch(FetchRequest),
    ListOffsets(ListOffsetsRequest),
    /// An idempotent producer asks for its producer id (`super::init_producer_id`).
    InitProducerId(InitProducerIdRequest),
    /// A consumer-group API (`super::group`).
    Group(super::group::GroupApi),
    /// An admin API (`super::admin`).
    Admin(super::admin::AdminApi),
}

/// A decoded request with the header it came with.
#[derive(Debug)]
pub struct Decoded {
    pub header: RequestHeader,
    pub request: Request,
}

/// Why the connection is closed instead of answered (what Kafka's broker logs).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("the request is shorter than its header")]
    ShortHeader,
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    #[error("API key {key} version {version} is not enabled")]
    NotEnabled { key: i16, version: i16 },
    #[error("the request header does not parse")]
    BadHeader,
    #[error("the body of API key {key} version {version} does not parse")]
    BadBody { key: i16, version: i16 },
}

/// Decodes one request frame (the bytes after the size prefix).
pub fn decode(mut frame: Bytes) -> Result<Decoded, Refusal> {
    if frame.len() < 4 {
        return Err(Refusal::ShortHeader);
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let api = ApiKey::try_from(key).map_err(|()| Refusal::UnknownApiKey(key))?;
    let supported = api_versions::supported(api, version);
    if api != ApiKey::ApiVersions && !supported {
        return Err(Refusal::NotEnabled { key, version });
    }
    // The header's own version follows from the API's version (flexible versions add tagged
    // fields); for an ApiVersions version beyond the known ones Kafka's generated
    // `requestHeaderVersion` gives the newest header, as the crate's does.
    let header = RequestHeader::decode(&mut frame, api.request_header_version(version))
        .map_err(|_| Refusal::BadHeader)?;
    let bad_body = || Refusal::BadBody { key, version };
    let request = match api {
        ApiKey::ApiVersions if !supported => Request::UnsupportedApiVersions,
        ApiKey::ApiVersions => Request::ApiVersions(
            ApiVersionsRequest::decode(&mut frame, version).map_err(|_| bad_body())?,
        ),
        ApiKey::Metadata => {
            skim::metadata(&frame, version).ok_or_else(bad_body)?;
            Request::Metadata(MetadataRequest::decode(&mut frame, version).map_err(|_| bad_body())?)
        }
        ApiKey::Produce => {
            skim::produce(&frame, version).ok_or_else(bad_body)?;
            Request::Produce(ProduceRequest::decode(&mut frame, version).map_err(|_| bad_body())?)
        }
        ApiKey::Fetch => {
            skim::fetch(&frame, version).ok_or_else(bad_body)?;
            Request::Fetch(FetchRequest::decode(&mut frame, version).map_err(|_| bad_body())?)
        }
        ApiKey::ListOffsets => {
            skim::list_offsets(&frame, version).ok_or_else(bad_body)?;
            Request::ListOffsets(
                ListOffsetsRequest::decode(&mut frame, version).map_err(|_| bad_body())?,
            )
        }
        ApiKey::InitProducerId => {
            skim::init_producer_id(&frame, version).ok_or_else(bad_body)?;
            Request::InitProducerId(
                InitProducerIdRequest::decode(&mut frame, version).map_err(|_| bad_body())?,
            )
        }
        ApiKey::CreateTopics
        | ApiKey::DeleteTopics
        | ApiKey::DescribeConfigs
        | ApiKey::OffsetForLeaderEpoch => match super::admin::decode(api, version, &mut frame) {
            Some(Ok(admin)) => Request::Admin(admin),
            Some(Err(())) => return Err(bad_body()),
            None => return Err(Refusal::NotEnabled { key, version }),
        },
        _ => match super::group::decode(api, version, &mut frame) {
            Some(Ok(group)) => Request::Group(group),
            Some(Err(())) => return Err(bad_body()),
            None => return Err(Refusal::NotEnabled { key, version }),
        },
    };
    Ok(Decoded { header, request })
}

/// A response: its header (v0 or v1, as the API's version says) and body, without the size.
pub fn encode_response<R: Encodable>(
    header: &RequestHeader,
    header_version: i16,
    body: &R,
    body_version: i16,
) -> Option<Vec<u8>> {
    let mut out = bytes::BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut out, header_version)
        .ok()?;
    body.encode(&mut out, body_version).ok()?;
    Some(out.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(key: i16, version: i16, rest: &[u8]) -> Bytes {
        let mut v = Vec::new();
        v.extend_from_slice(&key.to_be_bytes());
        v.extend_from_slice(&version.to_be_bytes());
        v.extend_from_slice(&7i32.to_be_bytes());
        v.extend_from_slice(rest);
        Bytes::from(v)
    }

    #[test]
    fn unknown_keys_and_versions_not_enabled_are_refused() {
        assert_eq!(
            decode(frame(999, 0, &[0, 0])).err(),
            Some(Refusal::UnknownApiKey(999))
        );
        // Fetch v13 names topics by id, which this broker does not enable; DeleteRecords is a
        // key Kafka knows that is not enabled at all.
        assert_eq!(
            decode(frame(1, 13, &[0, 0])).err(),
            Some(Refusal::NotEnabled {
                key: 1,
                version: 13
            })
        );
        assert_eq!(
            decode(frame(21, 2, &[0, 0])).err(),
            Some(Refusal::NotEnabled {
                key: 21,
                version: 2
            })
        );
        assert_eq!(
            decode(frame(3, 99, &[0, 0])).err(),
            Some(Refusal::NotEnabled {
                key: 3,
                version: 99
            })
        );
        assert_eq!(
            decode(Bytes::from_static(&[0, 18])).err(),
            Some(Refusal::ShortHeader)
        );
    }

    #[test]
    fn an_unknown_api_versions_version_is_answered_not_refused() {
        // v1 header: client id as a nullable string (-1: null).
        let decoded = decode(frame(18, 77, &[0xff, 0xff, 0])).expect("answered");
        assert!(matches!(decoded.request, Request::UnsupportedApiVersions));
        assert_eq!(decoded.header.correlation_id, 7);
    }

    #[test]
    fn a_forged_topic_count_is_refused_before_the_crate_reserves_it() {
        // Metadata v1: client id null, then 2^31 - 1 topics in 0 bytes.
        let mut rest = vec![0xff, 0xff];
        rest.extend_from_slice(&i32::MAX.to_be_bytes());
        assert_eq!(
            decode(frame(3, 1, &rest)).err(),
            Some(Refusal::BadBody { key: 3, version: 1 })
        );
    }
}
