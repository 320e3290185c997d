//! DescribeConfigs (API key 32), versions 1–4: the configs the simulation applies
//! (`topic_configs`), with their values, sources, read-only flags, synonyms (when asked, v1+)
//! and types and documentation (v3+, documentation when asked), as Kafka's
//! `ConfigHelper.describeConfigs` answers each resource:
//! - TOPIC: `Topic.validate` (INVALID_TOPIC_EXCEPTION), then UNKNOWN_TOPIC_OR_PARTITION for a
//!   topic the cluster lacks;
//! - BROKER: an empty name is the cluster-wide dynamic defaults, of which the simulation has
//!   none (an empty list, no error); this broker's id its configs; another id INVALID_REQUEST
//!   "Unexpected broker id, expected N or empty string, but received M"; a name that is not a
//!   number INVALID_REQUEST (`resourceNameToBrokerId`);
//! - BROKER_LOGGER: Kafka's id checks, then INVALID_REQUEST: the simulated brokers have no
//!   log4j loggers; GROUP and CLIENT_METRICS: INVALID_REQUEST (not modelled); any other type:
//!   INVALID_REQUEST "Unsupported resource type".
//!
//! `configuration_keys` (null or empty: all) filters by name. v0 (no synonyms, `is_default`
//! instead of the source) is not offered: Kafka 4 dropped it (KIP-896), and so does the crate.

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{
    ApiKey, DescribeConfigsRequest, DescribeConfigsResponse, RequestHeader,
};
use kafka_protocol::protocol::StrBytes;

use engine::config::{ClusterConfig, TopicConfig};

use super::create_topics::topic_name_error;
use super::request::encode_response;
use super::skim::Skim;
use super::topic_configs::{self, ConfigEntry};

/// Kafka's `ConfigResource.Type` ids.
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;
pub const BROKER_LOGGER: i8 = 8;
pub const CLIENT_METRICS: i8 = 16;
pub const GROUP: i8 = 32;

const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const INVALID_TOPIC_EXCEPTION: i16 = 17;
const INVALID_REQUEST: i16 = 42;

/// The topics a request names (valid names only), for the room to look up.
pub fn topics_asked(request: &DescribeConfigsRequest) -> Vec<String> {
    request
        .resources
        .iter()
        .filter(|r| r.resource_type == TOPIC)
        .map(|r| r.resource_name.to_string())
        .filter(|n| topic_name_error(n).is_none())
        .collect()
}

/// DescribeConfigsRequest v1–v4 (`DescribeConfigsRequest.json`), skimmed before the crate reads
/// it.
pub fn skim(body: &bytes::Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 4);
    for _ in 0..s.count()? {
        s.fixed(1)?; // resource_type
        s.string()?; // resource_name
        for _ in 0..s.count()? {
            s.string()?; // configuration_keys
        }
        s.tagged()?;
    }
    s.fixed(1)?; // include_synonyms
    if version >= 3 {
        s.fixed(1)?; // include_documentation
    }
    s.tagged()
}

fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

/// One resource's configs or Kafka's error and message (`None`: no message).
fn resource(
    resource_type: i8,
    name: &str,
    broker: u32,
    topics: &[(String, Option<TopicConfig>)],
    cluster: &ClusterConfig,
) -> Result<Vec<ConfigEntry>, (i16, Option<String>)> {
    let broker_id = || -> Result<u32, (i16, Option<String>)> {
        name.parse::<u32>().map_err(|_| {
            (
                INVALID_REQUEST,
                Some(format!("Broker id must be an integer, but it is: {name}")),
            )
        })
    };
    match resource_type {
        TOPIC => {
            if let Some(message) = topic_name_error(name) {
                return Err((INVALID_TOPIC_EXCEPTION, Some(message)));
            }
            match topics.iter().find(|(t, _)| t == name) {
                Some((_, Some(config))) => Ok(topic_configs::topic_entries(config)),
                _ => Err((UNKNOWN_TOPIC_OR_PARTITION, None)),
            }
        }
        BROKER if name.is_empty() => Ok(Vec::new()),
        BROKER if broker_id()? == broker => Ok(topic_configs::broker_entries(broker, cluster)),
        BROKER => Err((
            INVALID_REQUEST,
            Some(format!(
                "Unexpected broker id, expected {broker} or empty string, but received {name}"
            )),
        )),
        BROKER_LOGGER if name.is_empty() => {
            Err((INVALID_REQUEST, Some("Broker id must not be empty".into())))
        }
        BROKER_LOGGER if broker_id()? != broker => Err((
            INVALID_REQUEST,
            Some(format!(
                "Unexpected broker id, expected {broker} but received {name}"
            )),
        )),
        BROKER_LOGGER => Err((
            INVALID_REQUEST,
            Some("the playground's simulated brokers have no log4j loggers".into()),
        )),
        GROUP | CLIENT_METRICS => Err((
            INVALID_REQUEST,
            Some(format!(
                "resource type {resource_type} is not modelled by the playground (only TOPIC and \
                 BROKER configs are)"
            )),
        )),
        other => Err((
            INVALID_REQUEST,
            Some(format!("Unsupported resource type: {other}")),
        )),
    }
}

/// The answer, each resource in the request's order. `topics`: the configs of the topics the
/// request names (`None`: no such topic); `broker`: the broker the connection reached.
pub fn respond(
    header: &RequestHeader,
    request: &DescribeConfigsRequest,
    broker: u32,
    topics: &[(String, Option<TopicConfig>)],
    cluster: &ClusterConfig,
) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let synonyms = request.include_synonyms;
    let documentation = version >= 3 && request.include_documentation;
    let results = request
        .resources
        .iter()
        .map(|r| {
            let name = r.resource_name.to_string();
            let result = DescribeConfigsResult::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone());
            match resource(r.resource_type, &name, broker, topics, cluster) {
                Err((code, message)) => result
                    .with_error_code(code)
                    .with_error_message(message.map(str_bytes)),
                Ok(entries) => {
                    let keys = r.configuration_keys.as_ref().filter(|k| !k.is_empty());
                    let configs = entries
                        .into_iter()
                        .filter(|e| keys.is_none_or(|k| k.iter().any(|n| n.as_str() == e.name)))
                        .map(|e| {
                            let entry = DescribeConfigsResourceResult::default()
                                .with_name(str_bytes(e.name))
                                .with_value(Some(str_bytes(e.value)))
                                .with_read_only(e.read_only)
                                .with_config_source(e.source)
                                .with_is_sensitive(false)
                                .with_synonyms(if synonyms {
                                    e.synonyms
                                        .into_iter()
                                        .map(|(n, v, s)| {
                                            DescribeConfigsSynonym::default()
                                                .with_name(str_bytes(n))
                                                .with_value(Some(str_bytes(v)))
                                                .with_source(s)
                                        })
                                        .collect()
                                } else {
                                    Vec::new()
                                });
                            if version >= 3 {
                                entry.with_config_type(e.config_type).with_documentation(
                                    documentation.then(|| str_bytes(e.documentation)),
                                )
                            } else {
                                entry
                            }
                        })
                        .collect();
                    result.with_error_message(None).with_configs(configs)
                }
            }
        })
        .collect();
    let response = DescribeConfigsResponse::default().with_results(results);
    encode_response(
        header,
        ApiKey::DescribeConfigs.response_header_version(version),
        &response,
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_resource_gets_kafkas_answer() {
        let cluster = ClusterConfig::default();
        let topics = vec![
            ("orders".to_string(), Some(TopicConfig::new(3, 2))),
            ("gone".to_string(), None),
        ];
        let ask = |t: i8, name: &str| resource(t, name, 2, &topics, &cluster);
        assert!(
            ask(TOPIC, "orders")
                .unwrap()
                .iter()
                .any(|e| e.name == "retention.ms")
        );
        assert_eq!(
            ask(TOPIC, "gone").unwrap_err(),
            (UNKNOWN_TOPIC_OR_PARTITION, None)
        );
        assert_eq!(ask(TOPIC, "a b").unwrap_err().0, INVALID_TOPIC_EXCEPTION);
        assert!(
            ask(BROKER, "2")
                .unwrap()
                .iter()
                .any(|e| e.name == "node.id")
        );
        assert_eq!(ask(BROKER, "").unwrap(), Vec::new());
        assert_eq!(
            ask(BROKER, "3").unwrap_err(),
            (
                INVALID_REQUEST,
                Some("Unexpected broker id, expected 2 or empty string, but received 3".into())
            )
        );
        assert_eq!(ask(BROKER, "x").unwrap_err().0, INVALID_REQUEST);
        assert_eq!(ask(99, "x").unwrap_err().0, INVALID_REQUEST);
    }
}
