//! What the ticket list tells its reader besides the rows: how old the tickets are, and what
//! changed between two loads of the same view (announced instead of re-reading the table).

use super::ticket::TicketSummary;

/// The unit an age is spoken in (`Intl.RelativeTimeFormat`'s units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeUnit {
    Second,
    Minute,
    Hour,
    Day,
}

impl AgeUnit {
    /// The unit's name for `Intl.RelativeTimeFormat`.
    pub fn name(self) -> &'static str {
        match self {
            AgeUnit::Second => "second",
            AgeUnit::Minute => "minute",
            AgeUnit::Hour => "hour",
            AgeUnit::Day => "day",
        }
    }
}

/// How long ago `then` was, at `now` (unix ms), as a whole count of the largest fitting unit:
/// under a minute is "now" (0 seconds), then minutes, hours, days. A time in the future (a
/// clock moved back) is "now".
pub fn age(then: u64, now: u64) -> (u64, AgeUnit) {
    let seconds = now.saturating_sub(then) / 1000;
    match seconds {
        0..=59 => (0, AgeUnit::Second),
        60..=3_599 => (seconds / 60, AgeUnit::Minute),
        3_600..=86_399 => (seconds / 3_600, AgeUnit::Hour),
        _ => (seconds / 86_400, AgeUnit::Day),
    }
}

/// What changed between two loads of the same page of the list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketChanges {
    /// Tickets on both loads whose state is different now.
    pub changed_state: u32,
    /// Tickets shown now that were not shown before.
    pub added: u32,
    /// Tickets shown before that are gone now.
    pub removed: u32,
}

impl TicketChanges {
    /// Between `before` and `after`; a ticket is the same ticket when its kind and sys_id are.
    pub fn between(before: &[TicketSummary], after: &[TicketSummary]) -> Self {
        let same = |a: &TicketSummary, b: &TicketSummary| a.kind == b.kind && a.sys_id == b.sys_id;
        let mut changes = TicketChanges::default();
        for now in after {
            match before.iter().find(|old| same(old, now)) {
                Some(old) if old.state != now.state => changes.changed_state += 1,
                Some(_) => {}
                None => changes.added += 1,
            }
        }
        changes.removed = before
            .iter()
            .filter(|old| !after.iter().any(|now| same(old, now)))
            .count() as u32;
        changes
    }

    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::TicketKind;

    fn ticket(kind: TicketKind, sys_id: &str, state: &str) -> TicketSummary {
        TicketSummary {
            kind,
            sys_id: sys_id.into(),
            number: format!("INC{sys_id}"),
            short_description: String::new(),
            state: state.into(),
            state_label: String::new(),
            open: true,
            priority: None,
            assigned_to: None,
            updated_on: String::new(),
            correlation_id: String::new(),
            action_id: None,
            link: String::new(),
        }
    }

    #[test]
    fn age_speaks_in_the_largest_whole_unit() {
        let now = 10_000_000_000;
        assert_eq!(age(now, now), (0, AgeUnit::Second));
        assert_eq!(age(now - 59_999, now), (0, AgeUnit::Second));
        assert_eq!(age(now - 60_000, now), (1, AgeUnit::Minute));
        assert_eq!(age(now - 3 * 60_000 - 5_000, now), (3, AgeUnit::Minute));
        assert_eq!(age(now - 3_600_000, now), (1, AgeUnit::Hour));
        assert_eq!(age(now - 86_400_000 * 2, now), (2, AgeUnit::Day));
        // A clock that moved back does not make an age in the future.
        assert_eq!(age(now + 90_000, now), (0, AgeUnit::Second));
        assert_eq!(AgeUnit::Minute.name(), "minute");
    }

    #[test]
    fn changes_count_new_states_arrivals_and_departures() {
        let inc = TicketKind::Incident;
        let before = vec![
            ticket(inc, "a", "1"),
            ticket(inc, "b", "1"),
            ticket(inc, "c", "2"),
        ];
        assert!(TicketChanges::between(&before, &before).is_empty());
        let after = vec![
            ticket(inc, "a", "2"),
            ticket(inc, "b", "3"),
            ticket(inc, "d", "1"),
        ];
        assert_eq!(
            TicketChanges::between(&before, &after),
            TicketChanges {
                changed_state: 2,
                added: 1,
                removed: 1
            }
        );
        // The same sys_id in the other table is another ticket.
        let other = vec![ticket(TicketKind::ChangeRequest, "a", "1")];
        let c = TicketChanges::between(&before[..1], &other);
        assert_eq!((c.changed_state, c.added, c.removed), (0, 1, 1));
    }
}
