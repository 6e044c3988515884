//! An alert's life after it is raised: new → acknowledged → resolved, reopened when it comes
//! back, and learned or muted when the baseline takes it in or the operator silences it.
//!
//! The rules live here, in the pure tier, so the store and the CLI apply the same ones and a
//! refused change is refused before anything is written.

use crate::alert::Status;

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Acknowledged,
        Status::Resolved,
        Status::Learned,
        Status::Muted,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Resolved => "resolved",
            Status::Learned => "learned",
            Status::Muted => "muted",
        }
    }

    /// Parse a lowercase name.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The status after `transition`, or why it cannot happen from this one.
    pub fn apply(self, transition: Transition) -> Result<Status, TransitionError> {
        use Status::{Acknowledged, Learned, Muted, New, Resolved};
        let to = match (transition, self) {
            (Transition::Acknowledge, New) => Acknowledged,
            (Transition::Resolve, New | Acknowledged) => Resolved,
            (Transition::Reopen, Resolved | Learned | Muted) => New,
            (Transition::MarkLearned, New | Acknowledged | Resolved) => Learned,
            (Transition::MarkMuted, New | Acknowledged | Resolved) => Muted,
            _ => {
                return Err(TransitionError {
                    from: self,
                    transition,
                });
            }
        };
        Ok(to)
    }
}

/// A change an analyst asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    /// Someone is on it: new → acknowledged.
    Acknowledge,
    /// Dealt with: new or acknowledged → resolved.
    Resolve,
    /// Not dealt with after all, or it came back: resolved, learned or muted → new.
    Reopen,
    /// The baseline took the deviation in (recorded after `rampart baseline learn`).
    MarkLearned,
    /// Silenced without learning (recorded after `rampart baseline mute`).
    MarkMuted,
}

impl Transition {
    /// The verb recorded in an alert's history (`acknowledged`, `reopened`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Acknowledge => "acknowledged",
            Transition::Resolve => "resolved",
            Transition::Reopen => "reopened",
            Transition::MarkLearned => "learned",
            Transition::MarkMuted => "muted",
        }
    }

    /// The statuses this change can start from.
    pub fn allowed_from(self) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|s| s.apply(self).is_ok())
            .collect()
    }
}

/// A change the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} alert cannot be {}; only {} alerts can", .from.as_str(), .transition.as_str(), allowed(*.transition))]
pub struct TransitionError {
    /// The alert's status.
    pub from: Status,
    /// What was asked.
    pub transition: Transition,
}

fn allowed(transition: Transition) -> String {
    let names: Vec<&str> = transition
        .allowed_from()
        .into_iter()
        .map(Status::as_str)
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_go_new_acknowledged_resolved_and_back() {
        let acked = Status::New.apply(Transition::Acknowledge);
        assert_eq!(acked, Ok(Status::Acknowledged));
        assert_eq!(
            Status::Acknowledged.apply(Transition::Resolve),
            Ok(Status::Resolved)
        );
        assert_eq!(Status::New.apply(Transition::Resolve), Ok(Status::Resolved));
        assert_eq!(Status::Resolved.apply(Transition::Reopen), Ok(Status::New));
        assert_eq!(Status::Muted.apply(Transition::Reopen), Ok(Status::New));
        assert_eq!(
            Status::Acknowledged.apply(Transition::MarkLearned),
            Ok(Status::Learned)
        );
    }

    #[test]
    fn refuses_changes_out_of_order_and_says_what_is_allowed() {
        let err = Status::Resolved
            .apply(Transition::Acknowledge)
            .expect_err("resolved cannot be acknowledged");
        assert_eq!(
            err.to_string(),
            "resolved alert cannot be acknowledged; only new alerts can"
        );
        let err = Status::New
            .apply(Transition::Reopen)
            .expect_err("new is open");
        assert_eq!(
            err.to_string(),
            "new alert cannot be reopened; only resolved, learned, muted alerts can"
        );
        assert!(Status::Acknowledged.apply(Transition::Acknowledge).is_err());
        assert!(Status::Learned.apply(Transition::MarkMuted).is_err());
    }

    #[test]
    fn names_read_back() {
        for s in Status::ALL {
            assert_eq!(Status::from_name(s.as_str()), Some(s));
        }
        assert_eq!(Status::from_name("open"), None);
    }
}
