//! The PC's own subnets, read from the kernel's routing table.

use std::net::Ipv4Addr;

use leovms_image::net::Net;

/// The IPv4 networks this PC is directly attached to (routes without a gateway), as
/// `/proc/net/route` lists them; loopback and the default route are not among them.
pub fn local_subnets() -> Vec<Net> {
    std::fs::read_to_string("/proc/net/route")
        .map(|table| parse_routes(&table))
        .unwrap_or_default()
}

fn parse_routes(table: &str) -> Vec<Net> {
    let mut nets = Vec::new();
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [iface, dest, gateway, _, _, _, _, mask, ..] = fields.as_slice() else {
            continue;
        };
        // The kernel prints each address as the number its bytes make in memory.
        let octets = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::to_ne_bytes);
        let (Some(dest), Some(gateway), Some(mask)) = (octets(dest), octets(gateway), octets(mask))
        else {
            continue;
        };
        if *iface == "lo" || gateway != [0; 4] || mask == [0; 4] {
            continue;
        }
        let ip = Ipv4Addr::from(dest);
        let prefix = u32::from_be_bytes(mask).count_ones() as u8;
        if let Some(net) = Net::new(ip.into(), prefix)
            && !nets.contains(&net)
        {
            nets.push(net);
        }
    }
    nets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routing_table_gives_the_attached_subnets() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            eth0\t00000000\t0101100A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
            eth0\t0001100A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
            lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n\
            wg0\t0000A8C0\t0101A8C0\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        assert_eq!(parse_routes(table), vec!["10.16.1.0/24".parse().unwrap()]);
    }
}
