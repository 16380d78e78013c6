//! Producing to a topic (`gen --to kafka://BROKERS/TOPIC`), keyed so that every re-send of an
//! event lands in the partition of its first sending — the contract a keyed topic gives the
//! consumer group: one instance sees every copy of an event, and its deduplication is exact.
//!
//! The key is `data_set_id:id` (the event's two dedup fields, as the record has them), hashed
//! with murmur2, the partitioner of the Java client, so that other producers keyed the same
//! agree. A batch is keyed by its first event; a record without both fields (malformed, no id)
//! has no key and goes to any partition.

use super::spec::KafkaSpec;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The partition key of a record: `data_set_id:id` of the event (the first of a batch under
/// `batch_key`), `None` when it has not both as strings.
pub fn key_of(record: &[u8], batch_key: &str) -> Option<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(record).ok()?;
    let event = match v.get(batch_key).and_then(serde_json::Value::as_array) {
        Some(events) => events.first()?,
        None => &v,
    };
    let ds = event.get("data_set_id")?.as_str()?;
    let id = event.get("id")?.as_str()?;
    Some(format!("{ds}:{id}").into_bytes())
}

#[derive(Default)]
struct Delivery {
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for Delivery {
    fn log(&self, _: rdkafka::config::RDKafkaLogLevel, _: &str, _: &str) {}
}

impl ProducerContext for Delivery {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, (): ()) {
        if let Err((e, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_error.lock() {
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// A producer to `spec`'s one topic.
pub struct KeyedProducer {
    producer: BaseProducer<Delivery>,
    topic: String,
    pub sent: u64,
}

impl KeyedProducer {
    pub fn new(spec: &KafkaSpec, props: &[(String, String)]) -> Result<KeyedProducer, String> {
        let [topic] = spec.topics.as_slice() else {
            return Err("gen --to kafka:// takes one topic".into());
        };
        if spec.group.is_some() || spec.until_end || spec.from != super::spec::From::Committed {
            return Err("gen --to kafka://BROKERS/TOPIC takes no group, from or until".into());
        }
        let mut cfg = ClientConfig::new();
        cfg.set("bootstrap.servers", spec.brokers.join(","))
            .set("client.id", "ecapi-scope-gen")
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5");
        for (k, v) in props {
            cfg.set(k, v);
        }
        let producer = cfg
            .create_with_context(Delivery::default())
            .map_err(|e| format!("kafka producer: {e}"))?;
        Ok(KeyedProducer {
            producer,
            topic: topic.clone(),
            sent: 0,
        })
    }

    /// Queues one record with its key, waiting while the client's queue is full.
    pub fn send(&mut self, payload: &[u8], key: Option<&[u8]>) -> Result<(), String> {
        loop {
            let mut rec: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&self.topic).payload(payload);
            if let Some(k) = key {
                rec = rec.key(k);
            }
            match self.producer.send(rec) {
                Ok(()) => {
                    self.sent += 1;
                    return Ok(());
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.producer.poll(Duration::from_millis(20));
                }
                Err((e, _)) => return Err(format!("producing to {}: {e}", self.topic)),
            }
        }
    }

    /// Waits until every queued record is delivered (or `timeout`); the records that failed.
    pub fn finish(self, timeout: Duration) -> Result<u64, String> {
        if let Err(e) = self.producer.flush(timeout) {
            return Err(format!(
                "producing to {}: {e} ({} records not delivered)",
                self.topic,
                self.producer.in_flight_count()
            ));
        }
        let ctx = self.producer.context();
        let failed = ctx.failed.load(Ordering::Relaxed);
        if failed > 0 {
            let first = ctx
                .first_error
                .lock()
                .ok()
                .and_then(|e| e.clone())
                .unwrap_or_default();
            return Err(format!(
                "producing to {}: {failed} of {} records failed: {first}",
                self.topic, self.sent
            ));
        }
        Ok(self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_dedup_fields() {
        let k = |s: &str| key_of(s.as_bytes(), "events").map(|k| String::from_utf8(k).unwrap());
        assert_eq!(
            k(r#"{"data_set_id":"ds1","id":"e-9","type":"purchase"}"#).as_deref(),
            Some("ds1:e-9")
        );
        assert_eq!(
            k(r#"{"events":[{"data_set_id":"a","id":"1"},{"data_set_id":"b","id":"2"}]}"#)
                .as_deref(),
            Some("a:1"),
            "a batch goes by its first event"
        );
        assert_eq!(k(r#"{"data_set_id":"ds1"}"#), None);
        assert_eq!(k(r#"{"data_set_id":"ds1","id":7}"#), None);
        assert_eq!(k("{not json"), None);
        assert_eq!(k(r#"{"events":[]}"#), None);
    }
}
