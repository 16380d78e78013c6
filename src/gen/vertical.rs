//! Travel and vehicle flavours of `viewed_item`, with valid calendar dates and VINs.

use fastrand::Rng;

use super::json::{Json, Obj};
use super::pick::{self, chance};
use super::props::{page, Body, Ctx};
use super::vocab::{
    AIRPORTS, AVAILABILITIES, BODY_STYLES, CONDITIONS, DRIVETRAINS, EXTERIOR_COLORS, FUEL_TYPES,
    HOTEL_NIGHT_US_CENTS, LISTING_TYPES, TRANSMISSIONS, VEHICLES,
};

const SECONDS_PER_DAY: i64 = 86_400;

/// A hotel stay: arrival before departure, both in the coming months.
pub fn travel(ctx: &mut Ctx, b: &mut Body) {
    let today = ctx.now.div_euclid(SECONDS_PER_DAY);
    let arrival = today + ctx.rng.i64(3..=120);
    let nights = ctx.rng.i64(1..=14);
    let compact = chance(ctx.rng, 0.3);
    let airport = pick::one(ctx.rng, &AIRPORTS);
    let p = &mut b.properties;
    page(ctx, p, "/hotels/search");
    p.push("arrival_date", Json::owned(date(arrival, compact)));
    p.push(
        "departure_date",
        Json::owned(date(arrival + nights, compact)),
    );
    p.push("destination_airport", Json::lit(airport));
    let destination = format!(
        "dest_{}_{}",
        airport.to_ascii_lowercase(),
        ctx.rng.u16(1000..10_000)
    );
    p.push("destination_ids", Json::owned(destination));
    if chance(ctx.rng, 0.6) {
        let us_cents = pick::one(ctx.rng, &HOTEL_NIGHT_US_CENTS);
        let nightly = ctx.price(us_cents);
        b.value = Some(nightly * nights);
    }
}

/// A vehicle listing; enumerations are written as codes or as the spec's labels.
pub fn vehicle(ctx: &mut Ctx, b: &mut Body) {
    let v = pick::one(ctx.rng, &VEHICLES.each_ref());
    let labels = ctx.rng.bool();
    let used = chance(ctx.rng, 0.4);
    let vin = vin(ctx.rng, v.wmi);
    let p = &mut b.properties;
    page(ctx, p, &format!("/inventory/{}", vin.to_ascii_lowercase()));
    p.push("make", Json::lit(v.make));
    p.push("model", Json::lit(v.model));
    p.push("vin", Json::owned(vin));
    p.push(
        "exterior_color",
        Json::lit(pick::one(ctx.rng, &EXTERIOR_COLORS)),
    );
    p.push("body_style", code(labels, BODY_STYLES, v.body_style));
    p.push(
        "condition_of_vehicle",
        code(labels, CONDITIONS, if used { 2 } else { 1 }),
    );
    p.push("drivetrain", code(labels, DRIVETRAINS, v.drivetrain));
    p.push("fuel_type", code(labels, FUEL_TYPES, v.fuel_type));
    let manual = v.fuel_type != 2 && chance(ctx.rng, 0.15);
    p.push(
        "transmission",
        code(labels, TRANSMISSIONS, if manual { 2 } else { 1 }),
    );
    let listing = pick::one(ctx.rng, &[3, 3, 3, 4, 7]);
    p.push("listing_type", code(labels, LISTING_TYPES, listing));
    let availability = pick::one(ctx.rng, &[3, 3, 3, 3, 1, 6]);
    p.push("availability", code(labels, AVAILABILITIES, availability));
    if chance(ctx.rng, 0.3) {
        lease(ctx, p);
    }
    if chance(ctx.rng, 0.6) {
        let list_price = if used {
            v.us_cents * 7 / 10
        } else {
            v.us_cents
        };
        b.value = Some(ctx.price(list_price));
    }
}

fn lease(ctx: &mut Ctx, p: &mut Obj) {
    let start = ctx.now.div_euclid(SECONDS_PER_DAY) + ctx.rng.i64(0..=30);
    let months = pick::one(ctx.rng, &[24, 36, 48]);
    let compact = chance(ctx.rng, 0.3);
    p.push("lease_start_date", Json::owned(date(start, compact)));
    p.push(
        "lease_end_date",
        Json::owned(date(start + months * 365 / 12, compact)),
    );
}

/// An enumeration member as its 1-based code or its exact label.
fn code(labels: bool, table: &[&'static str], code: usize) -> Json {
    if labels {
        Json::lit(table[code - 1])
    } else {
        Json::Int(code as i64)
    }
}

/// Days since the Unix epoch as `YYYY-MM-DD` or `YYYYMMDD`.
pub fn date(days: i64, compact: bool) -> String {
    let (y, m, d) = civil_from_days(days);
    if compact {
        format!("{y:04}{m:02}{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// Howard Hinnant's days → proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

const VIN_CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
const VIN_WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// A 17-character VIN with the maker's WMI, a model year of 2018–2025 and a valid check digit.
pub fn vin(rng: &mut Rng, wmi: &str) -> String {
    let mut v: Vec<u8> = wmi.bytes().take(3).collect();
    while v.len() < 8 {
        v.push(VIN_CHARS[rng.usize(..VIN_CHARS.len())]);
    }
    v.push(b'0');
    v.push(b"JKLMNPRS"[rng.usize(..8)]);
    v.push(VIN_CHARS[rng.usize(..23)]);
    for _ in 0..6 {
        v.push(b'0' + rng.u8(0..10));
    }
    let sum: u32 = v
        .iter()
        .zip(VIN_WEIGHTS)
        .map(|(&c, w)| vin_value(c) * w)
        .sum();
    v[8] = match sum % 11 {
        10 => b'X',
        r => b'0' + r as u8,
    };
    String::from_utf8_lossy(&v).into_owned()
}

/// ISO 3779 transliteration of a VIN character.
fn vin_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Y' => 8,
        b'R' | b'Z' => 9,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(date(0, false), "1970-01-01");
        assert_eq!(date(19_782, true), "20240229");
        assert_eq!(date(19_783, false), "2024-03-01");
    }

    #[test]
    fn vin_has_valid_check_digit() {
        // The textbook example from the NHTSA check-digit description.
        let sample = b"1M8GDM9AXKP042788";
        let sum: u32 = sample
            .iter()
            .zip(VIN_WEIGHTS)
            .map(|(&c, w)| vin_value(c) * w)
            .sum();
        assert_eq!(sum % 11, 10);
        let mut rng = Rng::with_seed(3);
        for _ in 0..100 {
            let v = vin(&mut rng, "1FT");
            assert_eq!(v.len(), 17);
            assert!(v.bytes().all(|c| VIN_CHARS.contains(&c)));
        }
    }
}
