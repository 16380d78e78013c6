//! Canonical content hashing, so that two payloads that mean the same thing hash the same:
//! member order does not matter, `1`, `1.0` and `1e0` are one number, escapes are decoded, and
//! a `null` member counts as absent. Used to tell an exact resend from a conflicting one.

use xxhash_rust::xxh3::xxh3_64_with_seed;

const SEED_STR: u64 = 0x5354_5249_4e47;
const SEED_KEY: u64 = crate::ecapi::schema::KEY_SEED;
const TAG_NULL: u64 = 0x9e37_79b9_7f4a_7c15;
const TAG_TRUE: u64 = 0xbf58_476d_1ce4_e5b9;
const TAG_FALSE: u64 = 0x94d0_49bb_1331_11eb;
const TAG_INT: u64 = 0x2545_f491_4f6c_dd1d;
const TAG_FLOAT: u64 = 0x6a09_e667_f3bc_c909;
const TAG_ARRAY: u64 = 0xbb67_ae85_84ca_a73b;
const TAG_OBJECT: u64 = 0x3c6e_f372_fe94_f82b;

/// The hash of `null`: callers skip object members whose value hashes to this.
pub const NULL: u64 = TAG_NULL;

#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

#[inline]
pub fn boolean(b: bool) -> u64 {
    if b {
        TAG_TRUE
    } else {
        TAG_FALSE
    }
}

#[inline]
pub fn int(i: i64) -> u64 {
    mix(TAG_INT ^ i as u64)
}

#[inline]
pub fn uint(u: u64) -> u64 {
    i64::try_from(u).map_or_else(|_| float(u as f64), int)
}

/// Integral floats hash as integers, so `2.0` equals `2`.
#[inline]
pub fn float(f: f64) -> u64 {
    if f.fract() == 0.0 && f.abs() < 9.0e18 {
        return int(f as i64);
    }
    mix(TAG_FLOAT ^ f.to_bits())
}

#[inline]
pub fn string(s: &str) -> u64 {
    xxh3_64_with_seed(s.as_bytes(), SEED_STR)
}

#[inline]
pub fn key(s: &str) -> u64 {
    xxh3_64_with_seed(s.as_bytes(), SEED_KEY)
}

/// Order-independent accumulation of object members.
#[derive(Clone, Copy, Default)]
pub struct ObjectHash(u64);

impl ObjectHash {
    #[inline]
    pub fn member(&mut self, key_hash: u64, value_hash: u64) {
        if value_hash != NULL {
            self.0 = self.0.wrapping_add(mix(
                key_hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ value_hash
            ));
        }
    }

    #[inline]
    pub fn finish(self) -> u64 {
        mix(self.0 ^ TAG_OBJECT)
    }
}

/// Ordered accumulation of array elements.
#[derive(Clone, Copy)]
pub struct ArrayHash(u64, u64);

impl Default for ArrayHash {
    fn default() -> Self {
        ArrayHash(TAG_ARRAY, 0)
    }
}

impl ArrayHash {
    #[inline]
    pub fn element(&mut self, h: u64) {
        self.0 = mix(self.0.rotate_left(23) ^ h);
        self.1 += 1;
    }

    #[inline]
    pub fn finish(self) -> u64 {
        mix(self.0 ^ self.1)
    }
}

/// Hashes a parsed value the same way the validator's streaming walk does; used by tests and
/// by the diff of conflicting duplicates.
pub fn value(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    match v {
        Value::Null => NULL,
        Value::Bool(b) => boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => int(i),
            (None, Some(u), _) => uint(u),
            (_, _, Some(f)) => float(f),
            _ => NULL,
        },
        Value::String(s) => string(s),
        Value::Array(items) => {
            let mut h = ArrayHash::default();
            for item in items {
                h.element(value(item));
            }
            h.finish()
        }
        Value::Object(map) => {
            let mut h = ObjectHash::default();
            for (k, v) in map {
                h.member(key(k), value(v));
            }
            h.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_number_format_do_not_matter() {
        let a: serde_json::Value = serde_json::from_str(r#"{"a":1,"b":[1.0,"x"]}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"b":[1e0,"\u0078"],"a":1.0}"#).unwrap();
        assert_eq!(value(&a), value(&b));
    }

    #[test]
    fn null_members_are_absent_but_content_counts() {
        assert_eq!(value(&json!({"a": 1, "b": null})), value(&json!({"a": 1})));
        assert_ne!(value(&json!({"a": 1})), value(&json!({"a": 2})));
        assert_ne!(value(&json!([1, 2])), value(&json!([2, 1])));
        assert_ne!(value(&json!({"a": "1"})), value(&json!({"a": 1})));
        assert_ne!(value(&json!({"a": {}})), value(&json!({"a": []})));
    }
}
