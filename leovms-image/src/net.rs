//! IP networks as an admin writes them in a settings file: `10.16.1.0/24`, or one
//! address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Net> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Net { addr, prefix })
    }

    /// One host.
    pub fn host(addr: IpAddr) -> Net {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        Net { addr, prefix }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (first, last) = self.bounds();
        match (first, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                first <= ip && ip <= last
            }
            _ => false,
        }
    }

    /// The first and the last address of the network.
    pub fn bounds(&self) -> (IpAddr, IpAddr) {
        match self.addr {
            IpAddr::V4(a) => {
                let host_bits = 32 - u32::from(self.prefix);
                let mask = u32::MAX.checked_shl(host_bits).unwrap_or(0);
                let first = a.to_bits() & mask;
                (
                    Ipv4Addr::from_bits(first).into(),
                    Ipv4Addr::from_bits(first | !mask).into(),
                )
            }
            IpAddr::V6(a) => {
                let host_bits = 128 - u32::from(self.prefix);
                let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
                let first = a.to_bits() & mask;
                (
                    Ipv6Addr::from_bits(first).into(),
                    Ipv6Addr::from_bits(first | !mask).into(),
                )
            }
        }
    }
}

impl FromStr for Net {
    type Err = String;

    fn from_str(text: &str) -> Result<Net, String> {
        let bad = || format!("\"{text}\" is not a network like 10.16.1.0/24 or an address");
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr = IpAddr::from_str(addr).map_err(|_| bad())?;
        match prefix {
            None => Ok(Net::host(addr)),
            Some(p) => {
                let p = p.parse::<u8>().map_err(|_| bad())?;
                Net::new(addr, p).ok_or_else(bad)
            }
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.bounds().0, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_read_and_bounded() {
        let net: Net = "10.16.1.7/24".parse().unwrap();
        assert_eq!(net.to_string(), "10.16.1.0/24");
        assert!(net.contains("10.16.1.255".parse().unwrap()));
        assert!(!net.contains("10.16.2.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let host: Net = "192.168.0.5".parse().unwrap();
        assert_eq!(host.bounds().0, host.bounds().1);
        let all: Net = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6: Net = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "school", "10.0.0.0/x", ""] {
            assert!(bad.parse::<Net>().is_err(), "{bad}");
        }
    }
}
