//! `VBoxManage`: `--version`, `list vms|runningvms`, `showvminfo`, `controlvm … poweroff`,
//! `registervm`, `unregistervm`.

use std::time::{Duration, Instant};

use crate::home::Home;
use crate::machine::Machine;
use crate::{Error, running};

pub const VERSION: &str = "7.1.4r165100";

pub const USAGE: &str = "\
Oracle VirtualBox Command Line Management Interface Version 7.1.4
Copyright (C) 2005-2024 Oracle and/or its affiliates

Usage (leovms-vbox-double, a test double of VirtualBox):
  VBoxManage --version
  VBoxManage list vms|runningvms
  VBoxManage showvminfo <uuid|vmname|file> [--machinereadable]
  VBoxManage controlvm <uuid|vmname|file> poweroff|acpipowerbutton
  VBoxManage registervm <file.vbox>
  VBoxManage unregistervm <uuid|vmname|file>
  VirtualBoxVM --startvm <uuid|vmname|file>
  VBoxHeadless --startvm <uuid|vmname|file>";

/// How long `controlvm … poweroff` waits for the frontend to go away.
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(home: &Home, args: &[String]) -> Result<(), Error> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["--version" | "-V" | "-v"] => {
            println!("{VERSION}");
            Ok(())
        }
        ["list", what] => list(home, what),
        ["showvminfo", rest @ ..] => showvminfo(home, rest),
        ["controlvm", vm, action] => controlvm(home, vm, action),
        ["registervm", file] => registervm(home, file),
        ["unregistervm", vm] => unregistervm(home, vm),
        ["list" | "controlvm", ..] => Err(Error::syntax("Missing or invalid parameters")),
        [] => Err(Error::syntax("No command given")),
        [command, ..] => Err(Error::syntax(format!("Invalid command '{command}'"))),
    }
}

/// Adds the machine to `VirtualBox.xml`, refusing duplicates as VirtualBox does.
fn registervm(home: &Home, file: &str) -> Result<(), Error> {
    let path = std::path::absolute(file).map_err(|e| Error::failure(e.to_string()))?;
    let machine = crate::machine::load(&path)?;
    let mut entries = crate::machine::machine_entries(&home.dir)?;
    if let Some((uuid, _)) = entries.iter().find(|(uuid, _)| *uuid == machine.uuid) {
        return Err(Error::failure(format!(
            "Registered machine with UUID {{{uuid}}} ('{}') already exists",
            path.display()
        )));
    }
    entries.push((machine.uuid, path));
    write_registry(home, &entries)
}

/// Removes the machine from `VirtualBox.xml`; its files stay.
fn unregistervm(home: &Home, vm: &str) -> Result<(), Error> {
    let machine = home.find(vm)?;
    if running::running_pid(&home.dir, &machine.uuid).is_some() {
        return Err(Error::failure(format!(
            "Cannot unregister the machine '{}' while it is locked",
            machine.name
        )));
    }
    let mut entries = crate::machine::machine_entries(&home.dir)?;
    entries.retain(|(uuid, _)| *uuid != machine.uuid);
    write_registry(home, &entries)
}

fn write_registry(home: &Home, entries: &[(uuid::Uuid, std::path::PathBuf)]) -> Result<(), Error> {
    std::fs::create_dir_all(&home.dir).map_err(|e| Error::failure(e.to_string()))?;
    let xml = leovms_image::vbox::global_settings(entries);
    leovms_image::atomic::write_atomic(&home.dir.join("VirtualBox.xml"), xml.as_bytes(), 0o644)
        .map_err(|e| Error::failure(e.to_string()))
}

fn list(home: &Home, what: &str) -> Result<(), Error> {
    let running_only = match what {
        "vms" => false,
        "runningvms" => true,
        _ => return Err(Error::syntax(format!("Invalid parameter '{what}'"))),
    };
    for entry in home.entries()? {
        let name = match &entry.machine {
            Ok(m) => m.name.as_str(),
            Err(_) => "<inaccessible>",
        };
        if !running_only || running::running_pid(&home.dir, &entry.uuid).is_some() {
            println!("\"{name}\" {{{}}}", entry.uuid);
        }
    }
    Ok(())
}

fn showvminfo(home: &Home, args: &[&str]) -> Result<(), Error> {
    let (flags, names): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with('-'));
    let readable = match flags.as_slice() {
        [] => false,
        ["--machinereadable" | "-machinereadable"] => true,
        [flag, ..] => return Err(Error::syntax(format!("Invalid parameter '{flag}'"))),
    };
    let [vm] = names.as_slice() else {
        return Err(Error::syntax("VM name or UUID required"));
    };
    let machine = home.find(vm)?;
    let state = if running::running_pid(&home.dir, &machine.uuid).is_some() {
        "running"
    } else {
        "poweroff"
    };
    if readable {
        print_readable(&machine, state);
    } else {
        println!("Name:                        {}", machine.name);
        println!("UUID:                        {}", machine.uuid);
        println!("Config file:                 {}", machine.path.display());
        println!("Memory size:                 {}MB", machine.memory_mb);
        let state = if state == "running" {
            "running"
        } else {
            "powered off"
        };
        println!("State:                       {state}");
    }
    Ok(())
}

fn print_readable(machine: &Machine, state: &str) {
    readable_line("name", &machine.name);
    readable_line("UUID", &machine.uuid.to_string());
    readable_line("CfgFile", &machine.path.to_string_lossy());
    println!("memory={}", machine.memory_mb);
    readable_line("VMState", state);
    for (i, (name, host_path)) in machine.shared_folders.iter().enumerate() {
        readable_line(&format!("SharedFolderNameMachineMapping{}", i + 1), name);
        readable_line(
            &format!("SharedFolderPathMachineMapping{}", i + 1),
            host_path,
        );
    }
    for card in &machine.nics {
        let n = card.slot;
        if !card.enabled {
            readable_line(&format!("nic{n}"), "none");
            continue;
        }
        let key = match card.kind {
            "bridged" => Some("bridgeadapter"),
            "intnet" => Some("intnet"),
            "hostonly" => Some("hostonlyadapter"),
            "natnetwork" => Some("nat-network"),
            _ => None,
        };
        if let Some(key) = key {
            readable_line(&format!("{key}{n}"), &card.name);
        }
        readable_line(&format!("nic{n}"), card.kind);
        readable_line(&format!("macaddress{n}"), &card.mac);
    }
}

/// VBoxManageInfo.cpp outputMachineReadableString: `"`, `\` and newlines escaped; the
/// name is quoted when it contains `=`.
fn readable_line(name: &str, value: &str) {
    let key = if name.contains('=') {
        format!("\"{}\"", escape(name))
    } else {
        name.to_owned()
    };
    println!("{key}=\"{}\"", escape(value));
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn controlvm(home: &Home, vm: &str, action: &str) -> Result<(), Error> {
    if !matches!(action, "poweroff" | "acpipowerbutton") {
        return Err(Error::syntax(format!("Invalid parameter '{action}'")));
    }
    let machine = home.find(vm)?;
    let Some(pid) = running::running_pid(&home.dir, &machine.uuid) else {
        return Err(Error::failure(format!(
            "Machine '{}' is not currently running",
            machine.name
        )));
    };
    running::terminate(pid).map_err(|e| Error::failure(format!("Cannot power off: {e}")))?;
    let file = running::file(&home.dir, &machine.uuid);
    let deadline = Instant::now() + POWEROFF_TIMEOUT;
    // Gone, or the frontend died without cleaning up (then it is not running either).
    while file.exists() && running::running_pid(&home.dir, &machine.uuid).is_some() {
        if Instant::now() > deadline {
            return Err(Error::failure(format!(
                "Machine '{}' did not power off within {} s",
                machine.name,
                POWEROFF_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_like_vboxmanage() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("x\ny"), "x\\ny");
    }
}
