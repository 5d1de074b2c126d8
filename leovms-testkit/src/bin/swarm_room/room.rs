//! The room in network namespaces: a switch (a bridge in a namespace of its own), the
//! server and the PCs, each with one link to the switch. Only these namespaces and
//! their loopback are touched; every name carries this process's id, and everything is
//! deleted again when the room is dropped.

use std::process::{Command, Stdio};

/// The room's network; the server is .1, PC `i` is .(10 + i).
pub const NET: &str = "10.77.0";

pub struct Room {
    prefix: String,
    nodes: Vec<String>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

impl Room {
    /// A switch, the server and `pcs` PCs; the server sends at most `server_mbit`.
    pub fn build(pcs: usize, server_mbit: u32) -> Result<Room, String> {
        let prefix = format!("lvr{}", std::process::id());
        let mut room = Room {
            prefix: prefix.clone(),
            nodes: Vec::new(),
        };
        let switch = room.add_ns("sw")?;
        ip(&["-n", &switch, "link", "add", "br0", "type", "bridge"])?;
        // Multicast (local service discovery) reaches every port, as on a plain switch.
        ip(&[
            "-n",
            &switch,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", &switch, "link", "set", "br0", "up"])?;
        room.add_node("srv", 0, 1)?;
        for i in 0..pcs {
            room.add_node(&format!("pc{i}"), i + 1, 10 + i)?;
        }
        let server = room.server();
        let rate = format!("{server_mbit}mbit");
        let tc = Command::new("tc")
            .args([
                "-n", &server, "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", &rate,
            ])
            .args(["burst", "256kb", "latency", "50ms"])
            .output()
            .map_err(|e| format!("tc: {e}"))?;
        if !tc.status.success() {
            return Err(format!(
                "tc: {}",
                String::from_utf8_lossy(&tc.stderr).trim()
            ));
        }
        Ok(room)
    }

    fn add_ns(&mut self, name: &str) -> Result<String, String> {
        let ns = format!("{}{name}", self.prefix);
        ip(&["netns", "add", &ns])?;
        self.nodes.push(ns.clone());
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    fn add_node(&mut self, name: &str, port: usize, host: usize) -> Result<(), String> {
        let ns = self.add_ns(name)?;
        let switch = format!("{}sw", self.prefix);
        let port_name = format!("p{port}");
        ip(&[
            "-n", &switch, "link", "add", &port_name, "type", "veth", "peer", "name", "eth0",
            "netns", &ns,
        ])?;
        ip(&[
            "-n", &switch, "link", "set", &port_name, "master", "br0", "up",
        ])?;
        ip(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{NET}.{host}/24"),
            "dev",
            "eth0",
        ])?;
        ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", "eth0"])?;
        Ok(())
    }

    pub fn server(&self) -> String {
        format!("{}srv", self.prefix)
    }

    pub fn pc(&self, i: usize) -> String {
        format!("{}pc{i}", self.prefix)
    }

    /// Bytes a node has sent over its link, headers included.
    pub fn sent(&self, ns: &str) -> Result<u64, String> {
        let out = Command::new("ip")
            .args(["-n", ns, "-j", "-s", "link", "show", "dev", "eth0"])
            .output()
            .map_err(|e| format!("ip: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("ip -j: {e}"))?;
        json[0]["stats64"]["tx"]["bytes"]
            .as_u64()
            .ok_or_else(|| "ip -j -s shows no tx bytes".to_owned())
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        for ns in self.nodes.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}
