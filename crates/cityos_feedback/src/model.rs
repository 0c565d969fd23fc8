//! The report lifecycle and the shapes reports are shown in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The public web portal or the 1022 app.
    Web,
    /// The call centre (an operator took it by phone).
    Phone,
    /// E-mail.
    Email,
    /// SMS.
    Sms,
    /// Zalo Official Account.
    Zalo,
    /// Facebook Messenger.
    Facebook,
    /// An Open311 client.
    Open311,
}

impl Channel {
    /// Wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Zalo => "zalo",
            Self::Facebook => "facebook",
            Self::Open311 => "open311",
        }
    }
}

/// Lifecycle states of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Taken in; its ward or category is not settled yet (the "unclear" queue).
    #[default]
    Received,
    /// Routed to the responsible unit.
    Forwarded,
    /// The unit has taken it on.
    Acknowledged,
    /// Work is under way.
    InProgress,
    /// The unit says it is fixed; the citizen is asked to confirm.
    Resolved,
    /// The citizen confirmed, or the confirmation window passed.
    Closed,
    /// Not something the city handles (with a reason).
    Rejected,
    /// The same problem as another report.
    Duplicate,
    /// The citizen said it is not fixed.
    Reopened,
    /// Overdue or stuck: raised to the supervising body.
    Escalated,
}

impl Status {
    /// Every state.
    pub const ALL: [Status; 10] = [
        Status::Received,
        Status::Forwarded,
        Status::Acknowledged,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Duplicate,
        Status::Reopened,
        Status::Escalated,
    ];

    /// Wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Forwarded => "forwarded",
            Self::Acknowledged => "acknowledged",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Duplicate => "duplicate",
            Self::Reopened => "reopened",
            Self::Escalated => "escalated",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Vietnamese label, as citizens see it.
    #[must_use]
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Received => "Đã tiếp nhận",
            Self::Forwarded => "Đã chuyển đơn vị xử lý",
            Self::Acknowledged => "Đơn vị đã nhận",
            Self::InProgress => "Đang xử lý",
            Self::Resolved => "Đã xử lý xong",
            Self::Closed => "Đã đóng",
            Self::Rejected => "Không thuộc phạm vi xử lý",
            Self::Duplicate => "Trùng phản ánh khác",
            Self::Reopened => "Mở lại",
            Self::Escalated => "Đã chuyển cấp trên",
        }
    }

    /// English label.
    #[must_use]
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Received => "Received",
            Self::Forwarded => "Forwarded",
            Self::Acknowledged => "Acknowledged",
            Self::InProgress => "In progress",
            Self::Resolved => "Resolved",
            Self::Closed => "Closed",
            Self::Rejected => "Rejected",
            Self::Duplicate => "Duplicate",
            Self::Reopened => "Reopened",
            Self::Escalated => "Escalated",
        }
    }

    /// Whether the report is finished: nothing more will happen to it.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Rejected | Self::Duplicate)
    }

    /// Whether a deadline still runs (not resolved or final).
    #[must_use]
    pub fn is_open(self) -> bool {
        !self.is_final() && self != Self::Resolved
    }

    /// The states staff may move a report to from this one.
    #[must_use]
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Received => &[Forwarded, Rejected, Duplicate],
            Forwarded => &[Forwarded, Acknowledged, InProgress, Resolved, Rejected, Duplicate, Escalated],
            Acknowledged => &[InProgress, Resolved, Rejected, Duplicate, Escalated, Forwarded],
            InProgress => &[Resolved, Escalated, Forwarded],
            Escalated => &[Forwarded, Acknowledged, InProgress, Resolved, Rejected],
            Reopened => &[Acknowledged, InProgress, Resolved, Escalated, Forwarded],
            Resolved => &[Reopened, Closed],
            Closed | Rejected | Duplicate => &[],
        }
    }

    /// Whether `self → to` is allowed.
    #[must_use]
    pub fn can_become(self, to: Status) -> bool {
        self.next().contains(&to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        assert!(Status::Received.can_become(Status::Forwarded));
        assert!(!Status::Received.can_become(Status::Resolved), "nothing is resolved before it reaches a unit");
        assert!(Status::Resolved.can_become(Status::Reopened));
        assert!(!Status::Closed.can_become(Status::Reopened));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert!(!s.label_vi().is_empty() && !s.label_en().is_empty());
        }
        assert!(Status::Duplicate.is_final() && !Status::Resolved.is_open() && Status::Escalated.is_open());
    }
}
