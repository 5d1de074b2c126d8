//! Asking polkit whether the caller may do something. The subject is the caller's bus
//! name, so polkit judges the very connection that made the call (its uid, its session
//! and whether that session is active and local). Without an answer from polkit nothing
//! is allowed.

use std::collections::HashMap;

use leovms_api::{Error, ErrorKind};
use zbus::proxy;
use zbus::zvariant::Value;

/// polkit's `CheckAuthorizationFlags`: an agent may ask for a password.
const ALLOW_USER_INTERACTION: u32 = 1;

#[proxy(
    interface = "org.freedesktop.PolicyKit1.Authority",
    default_service = "org.freedesktop.PolicyKit1",
    default_path = "/org/freedesktop/PolicyKit1/Authority"
)]
trait Authority {
    fn check_authorization(
        &self,
        subject: &(&str, HashMap<&str, Value<'_>>),
        action_id: &str,
        details: &HashMap<&str, &str>,
        flags: u32,
        cancellation_id: &str,
    ) -> zbus::Result<(bool, bool, HashMap<String, String>)>;
}

/// Whether the client `sender` may do `action`; `interactive` lets an authentication
/// agent ask the person at the PC (for the administrators' actions).
pub async fn authorize(
    conn: &zbus::Connection,
    sender: &str,
    action: &str,
    interactive: bool,
) -> Result<(), Error> {
    let refused = |why: String| Error::new(ErrorKind::PermissionDenied, why);
    let authority = AuthorityProxy::new(conn)
        .await
        .map_err(|e| refused(format!("polkit cannot be asked: {e}")))?;
    let subject = (
        "system-bus-name",
        HashMap::from([("name", Value::from(sender))]),
    );
    let flags = if interactive {
        ALLOW_USER_INTERACTION
    } else {
        0
    };
    let (allowed, _challenge, _) = authority
        .check_authorization(&subject, action, &HashMap::new(), flags, "")
        .await
        .map_err(|e| refused(format!("polkit cannot be asked: {e}")))?;
    if allowed {
        Ok(())
    } else {
        Err(refused(format!(
            "Not allowed ({action}): only a user at this PC may store or pre-warm VMs, and only an administrator may pin for everyone or prune."
        )))
    }
}
