//! IP addresses as the checks read them: whether one is public, and a reader that takes the
//! dotted quads nearly every event carries without the standard library's general parser.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an address is one a user's request could come from (not private or reserved).
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
                || v6 == Ipv6Addr::LOCALHOST)
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_documentation()
        || v4.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 0 && c == 0))
}

/// Dotted-quad IPv4 as `Ipv4Addr::from_str` reads it (four decimal octets, no leading zero),
/// without its general parser; `None` for anything else, which then goes to that parser.
fn plain_ipv4(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    let mut octets = [0u8; 4];
    let (mut k, mut v, mut digits) = (0usize, 0u16, 0u8);
    for &c in b {
        if c == b'.' {
            if digits == 0 || k == 3 {
                return None;
            }
            octets[k] = u8::try_from(v).ok()?;
            (k, v, digits) = (k + 1, 0, 0);
        } else if c.is_ascii_digit() {
            // At most three digits, and no leading zero.
            if digits == 3 || (digits == 1 && v == 0) {
                return None;
            }
            v = v * 10 + u16::from(c - b'0');
            digits += 1;
        } else {
            return None;
        }
    }
    if digits == 0 || k != 3 {
        return None;
    }
    octets[3] = u8::try_from(v).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// An IP address as `IpAddr::from_str` reads it, dotted quads without its general parser.
pub fn parse_ip(s: &str) -> Result<IpAddr, std::net::AddrParseError> {
    match plain_ipv4(s) {
        Some(v4) => Ok(IpAddr::V4(v4)),
        None => s.parse::<IpAddr>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn plain_ipv4_reads_what_the_standard_parser_reads(s in "[0-9.]{0,16}|[0-9]{1,3}(\\.[0-9]{1,3}){3}") {
            proptest::prop_assert_eq!(parse_ip(&s).ok(), s.parse::<IpAddr>().ok(), "{:?}", s);
            if let Some(v4) = plain_ipv4(&s) {
                proptest::prop_assert_eq!(Ok(v4), s.parse::<Ipv4Addr>());
            }
        }
    }

    #[test]
    fn plain_ipv4_takes_the_common_addresses() {
        for s in [
            "8.8.8.8",
            "192.168.1.10",
            "255.255.255.255",
            "0.0.0.0",
            "100.64.0.1",
        ] {
            assert_eq!(plain_ipv4(s), s.parse().ok(), "{s}");
            assert!(plain_ipv4(s).is_some(), "{s}");
        }
        for s in [
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.4 ",
            "1..3.4",
            "::1",
            "1.2.3.4:80",
        ] {
            assert!(plain_ipv4(s).is_none(), "{s}");
            assert_eq!(parse_ip(s).ok(), s.parse::<IpAddr>().ok(), "{s}");
        }
    }
}
