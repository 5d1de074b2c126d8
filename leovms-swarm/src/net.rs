//! The PC's own subnets, read from the kernel's routing table.

use std::net::Ipv4Addr;

use leovms_image::net::Net;

/// The IPv4 networks this PC is directly attached to (routes without a gateway) on the
/// interfaces its default route leaves by: the school network. A PC's other on-link
/// networks are no room: host-only and container bridges (vboxnet0, virbr0, docker0),
/// tunnels without the default route, link-local 169.254/16, multicast routes. No
/// default route: none.
pub fn local_subnets() -> Vec<Net> {
    std::fs::read_to_string("/proc/net/route")
        .map(|table| parse_routes(&table))
        .unwrap_or_default()
}

/// One line of `/proc/net/route`.
struct Route<'a> {
    iface: &'a str,
    dest: Ipv4Addr,
    gateway: Ipv4Addr,
    mask: Ipv4Addr,
}

impl<'a> Route<'a> {
    fn parse(line: &'a str) -> Option<Route<'a>> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [iface, dest, gateway, _, _, _, _, mask, ..] = fields.as_slice() else {
            return None;
        };
        // The kernel prints each address as the number its bytes make in memory.
        let address = |s: &str| {
            u32::from_str_radix(s, 16)
                .ok()
                .map(|n| Ipv4Addr::from(n.to_ne_bytes()))
        };
        Some(Route {
            iface,
            dest: address(dest)?,
            gateway: address(gateway)?,
            mask: address(mask)?,
        })
    }

    fn is_default(&self) -> bool {
        self.dest.is_unspecified() && self.mask.is_unspecified()
    }
}

/// [`local_subnets`] of a routing table as `/proc/net/route` prints it.
fn parse_routes(table: &str) -> Vec<Net> {
    let routes: Vec<Route> = table.lines().skip(1).filter_map(Route::parse).collect();
    let outward: Vec<&str> = routes
        .iter()
        .filter(|r| r.is_default() && r.iface != "lo")
        .map(|r| r.iface)
        .collect();
    let mut nets = Vec::new();
    for route in &routes {
        if !outward.contains(&route.iface)
            || route.is_default()
            || !route.gateway.is_unspecified()
            || route.dest.is_link_local()
            || route.dest.is_multicast()
        {
            continue;
        }
        let prefix = route.mask.to_bits().count_ones() as u8;
        if let Some(net) = Net::new(route.dest.into(), prefix)
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

    const HEADER: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    fn table(rows: &[&str]) -> String {
        let mut text = HEADER.to_owned();
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text
    }

    fn nets(list: &[&str]) -> Vec<Net> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn only_the_subnets_of_the_default_route_s_interface_are_the_room() {
        let routes = table(&[
            // default via 10.16.1.1 dev eth0; 10.16.1.0/24 and 10.17.0.0/16 dev eth0
            "eth0\t00000000\t0101100A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
            "eth0\t0001100A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
            "eth0\t0000110A\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0",
            // a network behind a router of the school: not on-link
            "eth0\t0000140A\t0201100A\t0003\t0\t0\t100\t0000FFFF\t0\t0\t0",
            // 169.254.0.0/16 dev eth0 (link-local), 224.0.0.0/4 dev eth0 (multicast)
            "eth0\t0000FEA9\t00000000\t0001\t0\t0\t1000\t0000FFFF\t0\t0\t0",
            "eth0\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0",
            "lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0",
            // VirtualBox host-only, libvirt, Docker, a tunnel
            "vboxnet0\t0038A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            "virbr0\t007AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
            "wg0\t0000080A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
            "tun0\t0000A8C0\t0101A8C0\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0",
        ]);
        assert_eq!(
            parse_routes(&routes),
            nets(&["10.16.1.0/24", "10.17.0.0/16"])
        );
    }

    #[test]
    fn two_default_routes_give_both_interfaces_and_none_gives_nothing() {
        let wired_and_wireless = table(&[
            "eth0\t00000000\t0101100A\t0003\t0\t0\t100\t00000000\t0\t0\t0",
            "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0",
            "eth0\t0001100A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
            "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0",
            "eth0\t0001100A\t00000000\t0001\t0\t0\t200\t00FFFFFF\t0\t0\t0",
            "vboxnet0\t0038A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
        ]);
        assert_eq!(
            parse_routes(&wired_and_wireless),
            nets(&["10.16.1.0/24", "192.168.1.0/24"])
        );
        let no_default = table(&[
            "eth0\t0001100A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
            "lo\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0",
        ]);
        assert_eq!(parse_routes(&no_default), vec![]);
        assert_eq!(parse_routes("garbage\nnot a route\n"), vec![]);
    }
}
