//! Telling a process apart from a later one with the same pid.

/// The process's start time (clock ticks since boot, field 22 of `/proc/PID/stat`); with
/// the pid it names one process for good, since a pid is reused but never with the same
/// start time. `None` when no such process runs.
pub fn starttime(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_a_start_time_and_a_finished_one_has_none() {
        let me = std::process::id() as i32;
        assert!(super::starttime(me).is_some());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        child.wait().unwrap();
        assert_eq!(super::starttime(pid), None, "reaped");
    }
}
