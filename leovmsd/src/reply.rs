//! Error replies. Every reply carries the daemon's English sentence (`s`), which every
//! D-Bus client shows. A connection that called `EnableErrorDetail` also gets the
//! sentence's detail (`a{ss}`: its id and values) as the second argument, so that it can
//! say the sentence in its user's language. Only on request: GLib's clients (`gdbus`) show
//! no message of an error whose body is longer than the message.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, MutexGuard};

use futures_util::StreamExt;
use leovms_api::Detail;
use zbus::message::{Header, Message};
use zbus::names::ErrorName;

use crate::error::Error;

/// The unique bus names of the connections that asked for the detail.
static WANT_DETAIL: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

fn wanting() -> MutexGuard<'static, HashSet<String>> {
    WANT_DETAIL.lock().unwrap_or_else(|e| e.into_inner())
}

/// From now on, error replies to `sender` carry the detail.
pub fn want_detail(sender: &str) {
    wanting().insert(sender.to_string());
}

/// Forgets each connection that asked for the detail once it leaves the bus (unique
/// names are never reused, so this only bounds the set).
pub async fn forget_gone_clients(conn: zbus::Connection) {
    let Ok(bus) = zbus::fdo::DBusProxy::new(&conn).await else {
        return;
    };
    let Ok(mut changes) = bus.receive_name_owner_changed().await else {
        return;
    };
    while let Some(change) = changes.next().await {
        if let Ok(args) = change.args()
            && args.new_owner().is_none()
        {
            wanting().remove(args.name().as_str());
        }
    }
}

/// An error reply of the daemon: a contract error with the detail of its sentence.
#[derive(Debug)]
pub struct Reply {
    error: leovms_api::Error,
    detail: Detail,
}

impl From<Error> for Reply {
    fn from(e: Error) -> Reply {
        let detail = e.detail.clone();
        Reply {
            error: e.into(),
            detail,
        }
    }
}

impl From<leovms_api::Error> for Reply {
    fn from(error: leovms_api::Error) -> Reply {
        Reply {
            error,
            detail: Detail::new(),
        }
    }
}

impl From<zbus::Error> for Reply {
    fn from(e: zbus::Error) -> Reply {
        leovms_api::Error::from(e).into()
    }
}

impl zbus::DBusError for Reply {
    fn create_reply(&self, call: &Header<'_>) -> zbus::Result<Message> {
        let wanted = call
            .sender()
            .is_some_and(|s| wanting().contains(s.as_str()));
        if wanted && !self.detail.is_empty() {
            let message = self.error.message();
            return Message::error(call, self.name())?.build(&(message, &self.detail));
        }
        self.error.create_reply(call)
    }

    fn name(&self) -> ErrorName<'_> {
        self.error.name()
    }

    fn description(&self) -> Option<&str> {
        self.error.description()
    }
}
