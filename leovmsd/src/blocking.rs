//! The one way an async fn does a local file step: on tokio's blocking pool. Async fns
//! never block a runtime thread themselves (the daemon has few, and the bus is served
//! on them); what touches the share goes through the bounded
//! [`Share::read`](crate::share::Share::read) instead, since a dead network mount may
//! never answer.

use crate::error::Result;

/// Runs `f` on tokio's blocking pool and returns its result; a panic in `f` comes back
/// as an internal error. Nothing bounds the wait: for local files, never the share.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f).await?
}

#[cfg(test)]
mod tests {
    use leovms_api::ErrorKind;

    use super::*;
    use crate::error::Error;

    #[tokio::test]
    async fn results_and_errors_come_back_and_a_panic_is_an_internal_error() {
        assert_eq!(blocking(|| Ok(7)).await, Ok(7));
        let refused = blocking(|| Err::<(), _>(Error::invalid("no"))).await;
        assert_eq!(refused.unwrap_err().kind, ErrorKind::InvalidArgument);
        let panicked = blocking(|| -> Result<()> { panic!("boom") }).await;
        let e = panicked.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.contains("boom"), "{}", e.message);
    }
}
