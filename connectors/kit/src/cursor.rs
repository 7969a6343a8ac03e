//! Opaque, persistable cursors and window splitting, written once for every connector.
//!
//! A pull's position is the start of the current slice of the window (platforms cap how long
//! one list call may span) plus the platform's own page token inside that slice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use core_model::{Cursor, MarketplaceError, Window};
use serde::{Deserialize, Serialize};

/// Where a pull stands inside a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCursor {
    /// Start of the current slice.
    pub from: DateTime<Utc>,
    /// The platform's page token (or page number, offset) inside the slice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

impl WindowCursor {
    /// The position `cursor` names, or the window's start for a first page.
    pub fn resume(window: &Window, cursor: Option<&Cursor>) -> Result<Self, MarketplaceError> {
        let Some(cursor) = cursor else {
            return Ok(WindowCursor {
                from: window.from,
                page: None,
            });
        };
        let state: WindowCursor = serde_json::from_str(&cursor.0).map_err(|_| {
            MarketplaceError::permanent("the cursor was not made by this connector")
        })?;
        if !(window.from <= state.from && state.from < window.to) {
            return Err(MarketplaceError::permanent(
                "the cursor belongs to another window; pass the window it was made for",
            ));
        }
        Ok(state)
    }

    /// The slice this position is in: from `from` to the window's end, capped at `max`.
    pub fn slice(&self, window: &Window, max: Option<Duration>) -> Window {
        let end = match max.and_then(|m| chrono::TimeDelta::from_std(m).ok()) {
            Some(m) => (self.from + m).min(window.to),
            None => window.to,
        };
        Window {
            from: self.from,
            to: end,
        }
    }

    /// The cursor after a page: the next page of this slice, else the next slice, else none.
    pub fn advance(
        &self,
        window: &Window,
        max: Option<Duration>,
        next_page: Option<String>,
    ) -> Option<Cursor> {
        let next = match next_page {
            Some(page) => WindowCursor {
                from: self.from,
                page: Some(page),
            },
            None => {
                let slice = self.slice(window, max);
                if slice.to >= window.to {
                    return None;
                }
                WindowCursor {
                    from: slice.to,
                    page: None,
                }
            }
        };
        serde_json::to_string(&next).ok().map(Cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn walks_slices_and_pages() {
        let from = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let window = Window::new(from, from + chrono::TimeDelta::days(20)).unwrap();
        let max = Some(Duration::from_secs(15 * 86_400));

        let first = WindowCursor::resume(&window, None).unwrap();
        assert_eq!(first.slice(&window, max).len(), chrono::TimeDelta::days(15));
        let page2 = first.advance(&window, max, Some("20".into())).unwrap();
        let page2 = WindowCursor::resume(&window, Some(&page2)).unwrap();
        assert_eq!(page2.page.as_deref(), Some("20"));
        let slice2 = page2.advance(&window, max, None).unwrap();
        let slice2 = WindowCursor::resume(&window, Some(&slice2)).unwrap();
        assert_eq!(slice2.from, from + chrono::TimeDelta::days(15));
        assert_eq!(slice2.slice(&window, max).to, window.to);
        assert!(slice2.advance(&window, max, None).is_none());

        assert!(WindowCursor::resume(&window, Some(&Cursor("garbage".into()))).is_err());
        let other = Window::new(
            from - chrono::TimeDelta::days(40),
            from - chrono::TimeDelta::days(30),
        )
        .unwrap();
        assert!(WindowCursor::resume(&other, Some(&slice2_cursor(&slice2))).is_err());
    }

    fn slice2_cursor(c: &WindowCursor) -> Cursor {
        Cursor(serde_json::to_string(c).unwrap())
    }
}
