//! The closed word sets of the contract: machine and job states, phases, kinds, origins and
//! sources. Each is an enum that is a plain string (`s`) on the bus and in JSON, so the
//! interface XML and the CLI's `--json` output read exactly as before, while every party
//! names the words through the enum and never spells them itself.
//!
//! A word this side does not know (a newer daemon, or a newer client) decodes to
//! `Unknown` instead of failing the whole message; clients show it as something neutral.

use std::fmt;

use serde::{Deserialize, Serialize};
use zbus::zvariant::{self, OwnedValue, Type, Value};

use crate::l10n::fl;

/// Declares one word set: the enum with its wire words (serde renames, the same words as
/// [`as_str`](MachineState::as_str)), an `Unknown` fallback, and the conversions to and
/// from D-Bus values (properties, `a{sv}` dictionaries).
macro_rules! words {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
        $(derive($($extra:ident),+))?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
        $(#[derive($($extra),+)])?
        #[zvariant(signature = "s")]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $word)]
                $variant,
            )+
            /// A word this side does not know (e.g. from a newer daemon); sent as `unknown`.
            #[default]
            #[serde(rename = "unknown", other)]
            Unknown,
        }

        impl $name {
            /// Every word of the set, in the order above (without [`Self::Unknown`]).
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The word on the bus and in JSON; `unknown` for [`Self::Unknown`].
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word, )+
                    $name::Unknown => "unknown",
                }
            }

            /// The value of a word; [`Self::Unknown`] for one not in the set.
            pub fn parse(word: &str) -> $name {
                match word {
                    $( $word => $name::$variant, )+
                    _ => $name::Unknown,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$name> for Value<'_> {
            fn from(word: $name) -> Self {
                Value::from(word.as_str())
            }
        }

        impl TryFrom<$name> for OwnedValue {
            type Error = zvariant::Error;

            fn try_from(word: $name) -> Result<Self, Self::Error> {
                OwnedValue::try_from(Value::from(word))
            }
        }

        /// Any string is accepted (unknown words give [`Self::Unknown`]); another type is not.
        impl TryFrom<Value<'_>> for $name {
            type Error = zvariant::Error;

            fn try_from(value: Value<'_>) -> Result<Self, Self::Error> {
                match value {
                    Value::Str(s) => Ok($name::parse(s.as_str())),
                    Value::Value(inner) => $name::try_from(*inner),
                    _ => Err(zvariant::Error::IncorrectType),
                }
            }
        }

        impl TryFrom<OwnedValue> for $name {
            type Error = zvariant::Error;

            fn try_from(value: OwnedValue) -> Result<Self, Self::Error> {
                $name::try_from(Value::from(value))
            }
        }
    };
}

words! {
    /// What a machine is doing: [`Machine::state`](crate::Machine::state) and the `state`
    /// of `MachineChanged`.
    MachineState {
        Off = "off",
        Starting = "starting",
        Running = "running",
        /// Listed, but not offered to this user on this PC; `problem` says why. Only in
        /// `ListMachines`, never in `MachineChanged`.
        NotOffered = "not-offered",
    }
}

words! {
    /// Where a machine's description comes from: [`Machine::origin`](crate::Machine::origin).
    Origin {
        /// The share (online).
        Share = "share",
        /// This PC's cache, while the share is unavailable.
        Cache = "cache",
    }
}

words! {
    /// What a job does: [`JobInfo::kind`](crate::JobInfo::kind) and the job's `Kind`.
    JobKind {
        /// Starts a VM (its job lasts while the VM runs).
        Start = "start",
        /// `Sync`: copies archives into the cache for offline use.
        Sync = "sync",
        /// `VerifyCache`: re-hashes the cached archives.
        Verify = "verify",
        /// `Upload`: packs a machine into the upload share.
        Upload = "upload",
        /// A document the running VM printed, on its way to the printer (made by the
        /// daemon, not by a call).
        Print = "print",
    }
}

words! {
    /// The phases of a job, in order: [`JobInfo::phase`](crate::JobInfo::phase), the
    /// job's `Phase` and the first argument of `Progress`. [`Phase::Unknown`] sorts after
    /// every known phase.
    Phase {
        Plan = "plan",
        /// Hashing cached archives (`VerifyCache`, or another user's copies before a sync).
        Verify = "verify",
        Fetch = "fetch",
        UnpackBase = "unpack-base",
        UnpackSnapshot = "unpack-snapshot",
        Configure = "configure",
        Launch = "launch",
        Running = "running",
        /// Packing and writing an upload to the upload share.
        Upload = "upload",
        /// A print job: the VM is still writing the document.
        Receive = "receive",
        /// A print job: Ghostscript embeds the document's fonts.
        EmbedFonts = "embed-fonts",
        /// A print job: the document goes to the printer.
        Print = "print",
        /// The job has ended (see its state).
        Ended = "ended",
    }
    derive(PartialOrd, Ord)
}

impl Phase {
    /// Words for people in their language, e.g. in a progress line.
    pub fn describe(self) -> String {
        match self {
            Phase::Plan => fl!("phase-plan"),
            Phase::Fetch => fl!("phase-fetch"),
            Phase::Verify => fl!("phase-verify"),
            Phase::UnpackBase => fl!("phase-unpack-base"),
            Phase::UnpackSnapshot => fl!("phase-unpack-snapshot"),
            Phase::Configure => fl!("phase-configure"),
            Phase::Launch => fl!("phase-launch"),
            Phase::Running => fl!("phase-running"),
            Phase::Upload => fl!("phase-upload"),
            Phase::Receive => fl!("phase-receive"),
            Phase::EmbedFonts => fl!("phase-embed-fonts"),
            Phase::Print => fl!("phase-print"),
            Phase::Ended => fl!("phase-ended"),
            Phase::Unknown => fl!("phase-unknown"),
        }
    }
}

words! {
    /// A job's state: [`JobInfo::state`](crate::JobInfo::state), the job's `State` and the
    /// first argument of `Finished`.
    JobState {
        Active = "active",
        Done = "done",
        Canceled = "canceled",
        Failed = "failed",
    }
}

words! {
    /// Whether a share is reachable: [`ShareInfo::state`](crate::ShareInfo::state).
    ShareState {
        /// Readable within the timeout.
        Online = "online",
        /// Nothing is mounted where the share belongs.
        NotMounted = "not-mounted",
        /// Mounted, but reading it timed out or failed (server or network down).
        NotAnswering = "not-answering",
        /// The share answers, but this user may not read it (or it is no folder).
        Unreadable = "unreadable",
    }
}

words! {
    /// Where a machine to upload lives: [`Uploadable::source`](crate::Uploadable::source)
    /// and the `source` argument of `Upload`.
    UploadSource {
        /// The user's own VirtualBox.
        VirtualBox = "virtualbox",
        /// A leovms working copy of a published VM.
        WorkingCopy = "working-copy",
    }
}

words! {
    /// What a machine to upload is doing: [`Uploadable::state`](crate::Uploadable::state).
    UploadableState {
        Off = "off",
        Running = "running",
        /// Saved while running (VirtualBox's saved state).
        Saved = "saved",
    }
}

words! {
    /// What an upload becomes: the `kind` option of `Upload`
    /// ([`UploadOptions::kind`](crate::UploadOptions::kind)).
    UploadKind {
        /// A new snapshot of a published VM.
        Snapshot = "snapshot",
        /// A new VM.
        Vm = "vm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::zvariant::serialized::{Context, Data};
    use zbus::zvariant::{LE, to_bytes};

    fn wire<T: Serialize + Type>(value: &T) -> Data<'static, 'static> {
        to_bytes(Context::new_dbus(LE, 0), value).unwrap()
    }

    /// Every word as the bus carries it: the string itself, decoded back to the same value.
    fn round_trips<W>(known: &[W])
    where
        W: Copy + PartialEq + fmt::Debug + fmt::Display + Serialize + Type,
        W: for<'de> Deserialize<'de> + TryFrom<OwnedValue> + Into<Value<'static>>,
    {
        assert_eq!(W::SIGNATURE, "s");
        for &w in known {
            let word = w.to_string();
            let as_string: String = wire(&w).deserialize().unwrap().0;
            assert_eq!(as_string, word);
            let back: W = wire(&word).deserialize().unwrap().0;
            assert_eq!(back, w);
            let value: Value<'static> = w.into();
            assert_eq!(value, Value::from(word.as_str()));
            let owned = OwnedValue::try_from(value).unwrap();
            assert_eq!(W::try_from(owned).ok(), Some(w));
        }
        let newer: W = wire(&"a-newer-word").deserialize().unwrap().0;
        assert_eq!(newer.to_string(), "unknown");
        let owned = OwnedValue::try_from(Value::from("a-newer-word")).unwrap();
        assert_eq!(
            W::try_from(owned).ok().map(|w| w.to_string()),
            Some("unknown".into())
        );
        let number = OwnedValue::from(7u32);
        assert!(W::try_from(number).is_err(), "a number is no word");
    }

    #[test]
    fn every_word_is_a_string_on_the_bus_and_unknown_words_are_unknown() {
        round_trips(MachineState::KNOWN);
        round_trips(Origin::KNOWN);
        round_trips(JobKind::KNOWN);
        round_trips(Phase::KNOWN);
        round_trips(JobState::KNOWN);
        round_trips(ShareState::KNOWN);
        round_trips(UploadSource::KNOWN);
        round_trips(UploadableState::KNOWN);
        round_trips(UploadKind::KNOWN);
    }

    #[test]
    fn the_words_are_the_documented_ones() {
        let words =
            |w: &[&dyn fmt::Display]| -> Vec<String> { w.iter().map(|w| w.to_string()).collect() };
        use MachineState as M;
        assert_eq!(
            words(&[&M::Off, &M::Starting, &M::Running, &M::NotOffered]),
            ["off", "starting", "running", "not-offered"]
        );
        assert_eq!(words(&[&Origin::Share, &Origin::Cache]), ["share", "cache"]);
        let kinds: Vec<&str> = JobKind::KNOWN.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds, ["start", "sync", "verify", "upload", "print"]);
        let phases: Vec<&str> = Phase::KNOWN.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            phases,
            [
                "plan",
                "verify",
                "fetch",
                "unpack-base",
                "unpack-snapshot",
                "configure",
                "launch",
                "running",
                "upload",
                "receive",
                "embed-fonts",
                "print",
                "ended"
            ]
        );
        assert!(Phase::KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(Phase::Unknown > Phase::Ended);
        use ShareState as S;
        assert_eq!(
            words(&[&S::Online, &S::NotMounted, &S::NotAnswering, &S::Unreadable]),
            ["online", "not-mounted", "not-answering", "unreadable"]
        );
        assert_eq!(
            words(&[&UploadSource::VirtualBox, &UploadSource::WorkingCopy]),
            ["virtualbox", "working-copy"]
        );
        assert_eq!(Phase::parse("unpack-base"), Phase::UnpackBase);
        assert!(["Working", "In Arbeit"].contains(&Phase::Unknown.describe().as_str()));
        assert_eq!(JobState::parse("newer"), JobState::Unknown);
        assert_eq!(UploadKind::parse("vm"), UploadKind::Vm);
    }

    #[test]
    fn json_carries_the_same_words() {
        for &w in ShareState::KNOWN {
            assert_eq!(serde_json::to_string(&w).unwrap(), format!("\"{w}\""));
        }
        assert_eq!(
            serde_json::to_string(&MachineState::NotOffered).unwrap(),
            "\"not-offered\""
        );
        let newer: JobKind = serde_json::from_str("\"snapshot-all\"").unwrap();
        assert_eq!(newer, JobKind::Unknown);
        assert_eq!(serde_json::to_string(&newer).unwrap(), "\"unknown\"");
    }

    #[test]
    fn a_struct_with_a_newer_word_still_decodes() {
        use crate::{JobInfo, ShareInfo, UploadOptions};
        // `DataShare` as a property value, with a state this client does not know.
        let newer = zvariant::StructureBuilder::new()
            .add_field("asleep")
            .add_field("/media/leovms/data")
            .add_field("cifs")
            .add_field("//server/leovms-data")
            .add_field("reason")
            .add_field("hint")
            .add_field(crate::Detail::new())
            .build()
            .unwrap();
        let share = ShareInfo::try_from(OwnedValue::try_from(Value::from(newer)).unwrap()).unwrap();
        assert_eq!(
            (share.state, share.fstype.as_str()),
            (ShareState::Unknown, "cifs")
        );
        let known = ShareInfo {
            state: ShareState::NotAnswering,
            ..Default::default()
        };
        let value = OwnedValue::try_from(Value::from(known.clone())).unwrap();
        assert_eq!(ShareInfo::try_from(value).unwrap(), known);

        // A `ListJobs` entry with a newer kind, phase and state.
        let path = zvariant::ObjectPath::try_from("/org/leovms/Leovms1/job/1").unwrap();
        let detail = crate::Detail::from([("id".to_string(), "doing-rewind".to_string())]);
        let row = (
            path, "mirror", "vm", "", "rewind", "paused", 1u64, 2u64, 3u64, -1i64, "", "", detail,
        );
        let info: JobInfo = wire(&row).deserialize().unwrap().0;
        assert_eq!(
            (info.kind, info.phase, info.state, info.bytes_total),
            (JobKind::Unknown, Phase::Unknown, JobState::Unknown, 2)
        );

        // The `a{sv}` of `Upload` as a client sends it.
        let options = UploadOptions {
            kind: Some(UploadKind::Vm),
            ..Default::default()
        };
        let dict: crate::OptionsDict = wire(&options).deserialize().unwrap().0;
        assert_eq!(dict["kind"].downcast_ref::<&str>().unwrap(), "vm");
        assert_eq!(UploadOptions::from_dict(&dict).unwrap(), options);
    }
}
