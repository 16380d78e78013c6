//! Assembles clean events: envelope, identity and body, members in the spec's order.

use std::sync::Arc;

use fastrand::Rng;

use super::catalog::{currency_decimals, Source, ALWAYS_MONETARY, CURRENCIES, EVENT_TYPES, SITES};
use super::identity;
use super::json::{write_str, Json, Obj};
use super::pick::{self, chance, Weighted};
use super::props::{self, Ctx};
use super::users::Pool;

/// One generated event, with what faults and re-sends need to know about it.
pub struct Event {
    /// Top-level members in output order.
    pub fields: Obj,
    /// Index of the user in the pool.
    pub user: usize,
    /// The site of the event's data set, for URLs added later.
    pub site: &'static str,
}

impl Event {
    pub fn write(&self, out: &mut Vec<u8>) {
        self.fields.write(out);
    }

    /// Writes the same content with the top-level members rotated left by `by`, which for
    /// `0 < by < len` always gives a different key order.
    pub fn write_rotated(&self, out: &mut Vec<u8>, by: usize) {
        let members = &self.fields.0;
        out.push(b'{');
        for i in 0..members.len() {
            if i > 0 {
                out.push(b',');
            }
            let (key, value) = &members[(i + by) % members.len()];
            write_str(out, key);
            out.push(b':');
            value.write(out);
        }
        out.push(b'}');
    }

    pub fn user_data_mut(&mut self) -> &mut Obj {
        self.fields.obj_mut("user_data")
    }

    pub fn properties_mut(&mut self) -> &mut Obj {
        self.fields.obj_mut("properties")
    }

    /// Decimals of the event's currency (2 when it has none).
    pub fn decimals(&self) -> u8 {
        self.fields
            .get("currency_code")
            .and_then(Json::as_str)
            .map_or(2, currency_decimals)
    }
}

/// Builds clean events for one generator.
pub struct Factory {
    pool: Pool,
    types: Weighted,
    data_sets: Vec<Arc<str>>,
    now: i64,
    id_key: u64,
    serial: u64,
}

impl Factory {
    pub fn new(seed: u64, now: i64, data_sets: &[String]) -> Factory {
        Factory {
            pool: Pool::new(seed),
            types: Weighted::new(EVENT_TYPES.iter().map(|(_, w)| *w)),
            data_sets: data_sets.iter().map(|d| Arc::from(d.as_str())).collect(),
            now,
            id_key: mix(seed ^ 0x1d5_u64.rotate_left(40)),
            serial: 0,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// A clean event of a type drawn with realistic weights.
    pub fn build(&mut self, rng: &mut Rng) -> Event {
        let event_type = EVENT_TYPES[self.types.pick(rng)].0;
        self.build_of_type(rng, event_type)
    }

    /// A clean event of the given type (one of `EVENT_TYPES`).
    pub fn build_of_type(&mut self, rng: &mut Rng, event_type: &'static str) -> Event {
        let id = self.next_id();
        let ds = rng.usize(..self.data_sets.len().max(1));
        let site = SITES[ds % SITES.len()];
        let user_index = self.pool.pick(rng);
        let user = self.pool.get(user_index);
        let source = pick::weighted_pair(rng, Source::mix_for(event_type));
        let currency = if chance(rng, 0.95) {
            &CURRENCIES[user.country().currency]
        } else {
            &CURRENCIES[rng.usize(..CURRENCIES.len())]
        };
        let timestamp = self.now - lag(rng, source);
        let mut ctx = Ctx {
            rng,
            event_type,
            source,
            currency,
            site,
            now: self.now,
        };
        let body = props::body(&mut ctx);
        let user_data = identity::user_data(rng, user, event_type, source);

        let mut f = Obj::with_capacity(10);
        if let Some(ds) = self.data_sets.get(ds) {
            f.push("data_set_id", Json::shared(ds));
        }
        f.push("id", Json::owned(id));
        f.push("timestamp", Json::Int(timestamp));
        f.push("event_type", Json::lit(event_type));
        if let Some(custom) = body.custom_event {
            f.push("custom_event", Json::lit(custom));
        }
        f.push("user_data", Json::Obj(user_data));
        let value = body
            .value
            .or_else(|| ALWAYS_MONETARY.contains(&event_type).then_some(0));
        if let Some(value) = value {
            f.push("value", Json::Money(value, currency.decimals));
            f.push("currency_code", Json::lit(currency.code));
        }
        f.push("source", Json::lit(source.name()));
        if !body.properties.0.is_empty() {
            f.push("properties", Json::Obj(body.properties));
        }
        Event {
            fields: f,
            user: user_index,
            site,
        }
    }

    /// `evt-` and 16 hex digits; a bijective mix of a counter, so never repeated.
    fn next_id(&mut self) -> String {
        self.serial += 1;
        format!("evt-{:016x}", mix(self.serial.wrapping_add(self.id_key)))
    }
}

/// Seconds between the event and its sending: online events arrive within seconds, a few
/// minutes or hours late; offline ones (stores, calls, CRM uploads) mostly hours later.
fn lag(rng: &mut Rng, source: Source) -> i64 {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 3_600;
    let r = rng.f64();
    if source.online() {
        if r < 0.82 {
            rng.i64(0..=10)
        } else if r < 0.97 {
            rng.i64(11..=30 * MINUTE)
        } else {
            rng.i64(30 * MINUTE..=6 * HOUR)
        }
    } else if r < 0.3 {
        rng.i64(0..=10 * MINUTE)
    } else if r < 0.85 {
        rng.i64(10 * MINUTE..=6 * HOUR)
    } else {
        rng.i64(6 * HOUR..=36 * HOUR)
    }
}

/// The `SplitMix64` finalizer: a bijection on `u64` that scatters consecutive inputs.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
