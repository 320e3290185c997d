//! InitProducerId (API key 22): a producer id for an idempotent producer.
//!
//! Kafka's `KafkaApis.handleInitProducerIdRequest` then `TransactionCoordinator.
//! handleInitProducerId`, for what this playground has (no transaction coordinator):
//! - a producer id and epoch must both be given (v3+, KIP-360's resume) or both be -1, else
//!   INVALID_REQUEST;
//! - no transactional id: "always blindly accept the request and return a new producerId from
//!   the producerId manager", with epoch 0 — also when the request names its current id and
//!   epoch; the id comes from the room's engine (`engine::producer_state::ProducerIdManager`:
//!   blocks of 1000 per broker, as the controller hands them out);
//! - an empty transactional id: INVALID_REQUEST; a transaction timeout outside
//!   (0, `transaction.max.timeout.ms` = 900000]: INVALID_TRANSACTION_TIMEOUT, both checked
//!   before the coordinator is asked, as Kafka does;
//! - any other transactional id: NOT_COORDINATOR, what a Kafka broker that does not host the
//!   id's `__transaction_state` partition answers (`TransactionStateManager.getTransactionState`).
//!   This broker hosts none: transactions are not implemented, and FindCoordinator for a
//!   transactional id already says INVALID_REQUEST (`group.rs`).
//!
//! Versions 0–5: v3 adds the producer id and epoch, v4 and v5 only new error codes of
//! transactions (PRODUCER_FENCED, TRANSACTION_ABORTABLE), which a producer without a
//! transactional id never gets. v6 (two-phase commit, KIP-939) is not in the crate.

use kafka_protocol::messages::RequestHeader;
use kafka_protocol::messages::{ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use super::request::encode_response;

pub const NOT_COORDINATOR: i16 = 16;
pub const INVALID_REQUEST: i16 = 42;
pub const INVALID_TRANSACTION_TIMEOUT: i16 = 50;

/// Kafka's `transaction.max.timeout.ms` default.
pub const TRANSACTION_MAX_TIMEOUT_MS: i32 = 900_000;

/// Kafka's `RecordBatch.NO_PRODUCER_ID` and `NO_PRODUCER_EPOCH`.
const NO_PRODUCER_ID: i64 = -1;
const NO_PRODUCER_EPOCH: i16 = -1;

/// Whether the request gets a new producer id (`Ok`) or Kafka's error.
pub fn check(request: &InitProducerIdRequest) -> Result<(), i16> {
    let id = request.producer_id.0;
    let epoch = request.producer_epoch;
    if (id == NO_PRODUCER_ID) != (epoch == NO_PRODUCER_EPOCH) {
        return Err(INVALID_REQUEST);
    }
    match request.transactional_id.as_ref().map(|t| t.0.as_str()) {
        None => Ok(()),
        Some("") => Err(INVALID_REQUEST),
        Some(_)
            if request.transaction_timeout_ms <= 0
                || request.transaction_timeout_ms > TRANSACTION_MAX_TIMEOUT_MS =>
        {
            Err(INVALID_TRANSACTION_TIMEOUT)
        }
        Some(_) => Err(NOT_COORDINATOR),
    }
}

/// The answer: the new producer id with epoch 0, or the error with -1 and -1
/// (`TransactionCoordinator.initTransactionError`).
pub fn respond(header: &RequestHeader, result: Result<i64, i16>) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let (error, id, epoch) = match result {
        Ok(id) => (0, id, 0),
        Err(code) => (code, NO_PRODUCER_ID, NO_PRODUCER_EPOCH),
    };
    let response = InitProducerIdResponse::default()
        .with_error_code(error)
        .with_producer_id(ProducerId(id))
        .with_producer_epoch(epoch);
    encode_response(
        header,
        ApiKey::InitProducerId.response_header_version(version),
        &response,
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::TransactionalId;
    use kafka_protocol::protocol::StrBytes;

    fn txn(id: &str) -> Option<TransactionalId> {
        Some(TransactionalId(StrBytes::from_string(id.to_string())))
    }

    #[test]
    fn kafkas_checks_in_kafkas_order() {
        // The crate's default transactional id is "" (not null).
        let idempotent = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
        assert_eq!(check(&idempotent), Ok(()));
        // KIP-360's resume without a transactional id: a new id all the same.
        let resume = idempotent
            .clone()
            .with_producer_id(ProducerId(7))
            .with_producer_epoch(3);
        assert_eq!(check(&resume), Ok(()));
        let half = idempotent.clone().with_producer_id(ProducerId(7));
        assert_eq!(check(&half), Err(INVALID_REQUEST));
        let empty = idempotent.clone().with_transactional_id(txn(""));
        assert_eq!(check(&empty), Err(INVALID_REQUEST));
        let long = idempotent
            .clone()
            .with_transactional_id(txn("t"))
            .with_transaction_timeout_ms(TRANSACTION_MAX_TIMEOUT_MS + 1);
        assert_eq!(check(&long), Err(INVALID_TRANSACTION_TIMEOUT));
        let transactional = long.with_transaction_timeout_ms(60_000);
        assert_eq!(check(&transactional), Err(NOT_COORDINATOR));
    }
}
