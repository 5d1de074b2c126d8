//! The room in network namespaces: a switch (a bridge in a namespace of its own), the
//! server and the PCs, each with one link to the switch. Only these namespaces and
//! their loopback are touched; every name carries this process's id, and everything is
//! deleted again when the room is dropped. What a run ended by SIGKILL left (its drop
//! never ran) is deleted by the next run: [`remove_stale`].

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use rustix::io::Errno;
use rustix::process::{Pid, Signal};

/// The room's network; the server is .1, PC `i` is .(10 + i).
pub const NET: &str = "10.77.0";

/// Every room's namespaces are named `lvr<pid><node>`.
const PREFIX: &str = "lvr";

pub struct Room {
    prefix: String,
    nodes: Vec<String>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    ip_output(args).map(drop)
}

fn ip_output(args: &[&str]) -> Result<String, String> {
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
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The process whose room a namespace belongs to: `lvr<pid>` followed by `sw`, `srv`
/// or `pc<i>`; `None` for every other name.
fn owner(ns: &str) -> Option<u32> {
    let rest = ns.strip_prefix(PREFIX)?;
    let node = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let pid = rest[..rest.len() - node.len()].parse().ok()?;
    let is_pc = node
        .strip_prefix("pc")
        .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
    (pid > 0 && (node == "sw" || node == "srv" || is_pc)).then_some(pid)
}

/// Whether the room of process `pid` is a leftover. Our own id counts as gone: this
/// process has built nothing yet, so such names are from an earlier process with the id.
fn gone(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    rustix::process::test_kill_process(pid) == Err(Errno::SRCH)
}

/// The rooms [`remove_stale`] deleted.
pub struct Stale {
    pub namespaces: usize,
    pub pids: BTreeSet<u32>,
}

/// Deletes the namespaces of rooms whose process is gone (ended by SIGKILL, which no
/// program can heed). A namespace of a running process, or one named otherwise, is left
/// alone. What still runs in a leftover (a seeder: it heeds only signals) is killed
/// first, else it would keep the namespace, and the archive it reads, for good.
pub fn remove_stale() -> Result<Stale, String> {
    let mut stale = Stale {
        namespaces: 0,
        pids: BTreeSet::new(),
    };
    for line in ip_output(&["netns", "list"])?.lines() {
        // A line is `<name>` or `<name> (id: <n>)`.
        let Some(ns) = line.split_whitespace().next() else {
            continue;
        };
        let Some(pid) = owner(ns).filter(|&pid| gone(pid)) else {
            continue;
        };
        for left in ip_output(&["netns", "pids", ns])?.split_whitespace() {
            if let Some(left) = left.parse().ok().and_then(Pid::from_raw) {
                let _ = rustix::process::kill_process(left, Signal::KILL);
            }
        }
        ip(&["netns", "del", ns])?;
        stale.namespaces += 1;
        stale.pids.insert(pid);
    }
    Ok(stale)
}

impl Room {
    /// A switch, the server and `pcs` PCs; the server sends at most `server_mbit`.
    pub fn build(pcs: usize, server_mbit: u32) -> Result<Room, String> {
        let prefix = format!("{PREFIX}{}", std::process::id());
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
        if host != 1 {
            // As at school: the PCs' default route leads out through the room's network,
            // whose subnet is then the one they share with (leovms_swarm::local_subnets).
            let gateway = format!("{NET}.1");
            ip(&["-n", &ns, "route", "add", "default", "via", &gateway])?;
        }
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

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn only_room_names_have_an_owner() {
        assert_eq!(owner("lvr2405sw"), Some(2405));
        assert_eq!(owner("lvr2405srv"), Some(2405));
        assert_eq!(owner("lvr2405pc0"), Some(2405));
        assert_eq!(owner("lvr17pc12"), Some(17));
        for other in [
            "lvr",
            "lvrsw",
            "lvr0sw",
            "lvr2405",
            "lvr2405pc",
            "lvr2405pcx",
            "lvr2405sw1",
            "lvr2405vpn",
            "xlvr2405sw",
            "lvr99999999999sw",
            "lvr-1sw",
            "docker",
        ] {
            assert_eq!(owner(other), None, "{other}");
        }
    }
}
