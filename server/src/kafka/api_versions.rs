//! ApiVersions (KIP-35, KIP-511): the APIs and versions this broker answers.
//!
//! Only what is implemented in full is advertised; a later slice that implements an API adds
//! its line to [`SUPPORTED`], and from then on the listener accepts it. Kafka's broker answers
//! ApiVersions with a v0 response header at every version (so a client that does not know the
//! broker's versions can read it), and a request at a version it does not know with
//! UNSUPPORTED_VERSION, the body at v0 and the ApiVersions range in `api_keys`
//! (`ApiVersionsRequest.getErrorResponse`); a v3+ request whose client software name or version
//! breaks Kafka's pattern gets INVALID_REQUEST (`ApiVersionsRequest.isValid`).

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader};

use super::request::encode_response;

/// (API, lowest version, highest version) this broker implements.
///
/// Metadata stops at v9: v10 adds topic ids, which this cluster's topics do not have, and v10+
/// clients would read the zero id as "no id" rather than fail, but the field would be a lie.
/// Produce stops at v9 (see `produce.rs`): v10 adds KIP-951's leader hints, v13 topic ids.
/// Fetch runs v4–v12 (`fetch.rs`: record batch v2 only; v13 adds topic ids); ListOffsets
/// v1–v7 (`list_offsets.rs`: v8 adds tiered storage's earliest local offset).
pub const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::Metadata, 0, 9),
    (ApiKey::Produce, 3, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    // The consumer-group APIs (`group.rs` says why each stops where it does).
    (ApiKey::FindCoordinator, 0, 3),
    (ApiKey::JoinGroup, 0, 4),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::OffsetCommit, 2, 8),
    (ApiKey::OffsetFetch, 1, 7),
    (ApiKey::ListGroups, 0, 4),
    (ApiKey::DescribeGroups, 0, 5),
    // Idempotent producers (`init_producer_id.rs`): no transactional ids.
    (ApiKey::InitProducerId, 0, 5),
    // The admin APIs (`admin.rs`): CreateTopics stops at v6 (v7 returns topic ids);
    // DescribeConfigs and OffsetForLeaderEpoch start where Kafka 4 does (KIP-896).
    (ApiKey::CreateTopics, 2, 6),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::OffsetForLeaderEpoch, 2, 4),
    // DeleteTopics (`delete_topics.rs`): every version Kafka 4 accepts; v6's topic ids name no
    // simulated topic (UNKNOWN_TOPIC_ID), its names work as in v0–v5.
    (ApiKey::DeleteTopics, 0, 6),
];

/// Kafka's error codes used here (`Errors.java`).
const UNSUPPORTED_VERSION: i16 = 35;
const INVALID_REQUEST: i16 = 42;

/// Whether `version` of `api` is implemented.
pub fn supported(api: ApiKey, version: i16) -> bool {
    SUPPORTED
        .iter()
        .any(|&(a, min, max)| a == api && (min..=max).contains(&version))
}

fn advertised(api: ApiKey, min: i16, max: i16) -> ApiVersion {
    ApiVersion::default()
        .with_api_key(api as i16)
        .with_min_version(min)
        .with_max_version(max)
}

/// Kafka's `SOFTWARE_NAME_VERSION_PATTERN`: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn valid_software_text(text: &str) -> bool {
    let b = text.as_bytes();
    let end_ok = |c: &u8| c.is_ascii_alphanumeric();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            end_ok(first)
                && end_ok(last)
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
        }
        _ => false,
    }
}

/// The answer to an ApiVersions request at a version this broker implements.
pub fn respond(header: &RequestHeader, request: &ApiVersionsRequest) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let valid = version < 3
        || (valid_software_text(&request.client_software_name)
            && valid_software_text(&request.client_software_version));
    let response = if valid {
        ApiVersionsResponse::default().with_api_keys(
            SUPPORTED
                .iter()
                .map(|&(api, min, max)| advertised(api, min, max))
                .collect(),
        )
    } else {
        ApiVersionsResponse::default().with_error_code(INVALID_REQUEST)
    };
    encode_response(header, 0, &response, version)
}

/// The answer to an ApiVersions request at a version this broker does not know: v0, with the
/// versions of ApiVersions it does know.
pub fn respond_unsupported(header: &RequestHeader) -> Option<Vec<u8>> {
    let (api, min, max) = SUPPORTED[0];
    let response = ApiVersionsResponse::default()
        .with_error_code(UNSUPPORTED_VERSION)
        .with_api_keys(vec![advertised(api, min, max)]);
    encode_response(header, 0, &response, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::Decodable;

    #[test]
    fn software_names_follow_kafkas_pattern() {
        assert!(valid_software_text("librdkafka"));
        assert!(valid_software_text("apache-kafka-java"));
        assert!(valid_software_text("2.3.0"));
        assert!(!valid_software_text(""));
        assert!(!valid_software_text("-x"));
        assert!(!valid_software_text("a b"));
    }

    #[test]
    fn an_unknown_version_gets_v0_unsupported_version_with_the_known_range() {
        let header = RequestHeader::default()
            .with_request_api_key(18)
            .with_request_api_version(9)
            .with_correlation_id(42);
        let bytes = respond_unsupported(&header).unwrap();
        let mut buf = bytes::Bytes::from(bytes);
        let head = kafka_protocol::messages::ResponseHeader::decode(&mut buf, 0).unwrap();
        assert_eq!(head.correlation_id, 42);
        let body = ApiVersionsResponse::decode(&mut buf, 0).unwrap();
        assert_eq!(body.error_code, UNSUPPORTED_VERSION);
        let (api, min, max) = SUPPORTED[0];
        assert_eq!(body.api_keys, vec![advertised(api, min, max)]);
    }

    #[test]
    fn the_answer_lists_exactly_the_supported_apis() {
        let header = RequestHeader::default()
            .with_request_api_key(18)
            .with_request_api_version(3)
            .with_correlation_id(5);
        let request = ApiVersionsRequest::default()
            .with_client_software_name("librdkafka".into())
            .with_client_software_version("2.3.0".into());
        let mut buf = bytes::Bytes::from(respond(&header, &request).unwrap());
        kafka_protocol::messages::ResponseHeader::decode(&mut buf, 0).unwrap();
        let body = ApiVersionsResponse::decode(&mut buf, 3).unwrap();
        assert_eq!(body.error_code, 0);
        let listed: Vec<(i16, i16, i16)> = body
            .api_keys
            .iter()
            .map(|a| (a.api_key, a.min_version, a.max_version))
            .collect();
        let supported: Vec<(i16, i16, i16)> = SUPPORTED
            .iter()
            .map(|&(a, min, max)| (a as i16, min, max))
            .collect();
        assert_eq!(listed, supported);
        let bad = request.with_client_software_name("-bad name".into());
        let mut buf = bytes::Bytes::from(respond(&header, &bad).unwrap());
        kafka_protocol::messages::ResponseHeader::decode(&mut buf, 0).unwrap();
        assert_eq!(
            ApiVersionsResponse::decode(&mut buf, 3).unwrap().error_code,
            INVALID_REQUEST
        );
    }
}
