//! Who called: the bus names the caller's uid (the caller cannot claim another).

use leovms_api::{Error, ErrorKind};
use zbus::fdo::DBusProxy;
use zbus::message::Header;
use zbus::names::BusName;

pub struct Caller {
    /// The unique bus name, which polkit is asked about.
    pub name: String,
    pub uid: u32,
}

impl Caller {
    pub async fn of(conn: &zbus::Connection, header: &Header<'_>) -> Result<Caller, Error> {
        let unknown = |why: String| Error::new(ErrorKind::PermissionDenied, why);
        let sender = header
            .sender()
            .ok_or_else(|| unknown("a call without a sender".into()))?;
        let dbus = DBusProxy::new(conn)
            .await
            .map_err(|e| unknown(e.to_string()))?;
        let creds = dbus
            .get_connection_credentials(BusName::from(sender.clone()))
            .await
            .map_err(|e| unknown(e.to_string()))?;
        let uid = creds
            .unix_user_id()
            .ok_or_else(|| unknown("the bus does not name the caller's user".into()))?;
        Ok(Caller {
            name: sender.to_string(),
            uid,
        })
    }
}
