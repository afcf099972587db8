//! Booking dates: `YYYY-MM-DD` days of the Gregorian calendar, checked without a date
//! library (the widget's Wasm pays for every dependency).

use core::fmt;

/// A day of the calendar, as a booking names it (`2026-12-01`). Ordered by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BookingDate {
    // Field order makes the derived order chronological.
    year: u16,
    month: u8,
    day: u8,
}

/// Why a text is not a [`BookingDate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("is not a date like 2026-12-01")]
pub struct DateError;

impl BookingDate {
    /// Parses `YYYY-MM-DD` (four-digit year 0001–9999, a month 01–12, a day that month has).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DateError);
        }
        let number = |range: core::ops::Range<usize>| {
            b[range].iter().try_fold(0u16, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        };
        let (Some(year @ 1..), Some(month @ 1..=12), Some(day @ 1..)) =
            (number(0..4), number(5..7), number(8..10))
        else {
            return Err(DateError);
        };
        if day > u16::from(days_in_month(year, month as u8)) {
            return Err(DateError);
        }
        Ok(BookingDate { year, month: month as u8, day: day as u8 })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }
}

/// Whether `year` has a 29 February.
pub(crate) fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// How many days `month` (1–12) of `year` has; 0 for a month that does not exist.
pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for BookingDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [b'-'; 10];
        let mut put = |at: usize, width: usize, mut n: u16| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, self.year);
        put(5, 2, u16::from(self.month));
        put(8, 2, u16::from(self.day));
        f.write_str(core::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl serde::Serialize for BookingDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BookingDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        BookingDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a booking's dates cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// `start_date` is not a date.
    #[error("start_date is not a date like 2026-12-01")]
    Start,
    /// `end_date` is not a date.
    #[error("end_date is not a date like 2026-12-01")]
    End,
    /// `end_date` is before `start_date`.
    #[error("end_date is before start_date")]
    Reversed,
}

impl PeriodError {
    /// The cart line's field to blame: `start_date` or `end_date`.
    pub fn field(self) -> &'static str {
        match self {
            PeriodError::Start => "start_date",
            PeriodError::End | PeriodError::Reversed => "end_date",
        }
    }
}

/// The dates of one cart line: each optional, and the end never before the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookingPeriod {
    /// First day.
    pub start: Option<BookingDate>,
    /// Last day.
    pub end: Option<BookingDate>,
}

impl BookingPeriod {
    /// Parses a cart line's `start_date` and `end_date`.
    pub fn parse(start: Option<&str>, end: Option<&str>) -> Result<Self, PeriodError> {
        let start = start.map(BookingDate::parse).transpose().map_err(|_| PeriodError::Start)?;
        let end = end.map(BookingDate::parse).transpose().map_err(|_| PeriodError::End)?;
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                return Err(PeriodError::Reversed);
            }
        }
        Ok(BookingPeriod { start, end })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn only_days_the_calendar_has_are_dates() {
        for good in ["2026-12-01", "2028-02-29", "2000-02-29", "0001-01-01", "9999-12-31"] {
            assert_eq!(BookingDate::parse(good).unwrap().to_string(), good);
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-02-30",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-12-00",
            "0000-01-01",
            "26-12-01",
            "2026-1-01",
            "2026-12-1",
            "2026/12/01",
            "+026-12-01",
            "2026-12-01 ",
            "２０２６-12-01",
            "tomorrow",
            "",
        ] {
            assert_eq!(BookingDate::parse(bad), Err(DateError), "{bad:?}");
        }
    }

    #[test]
    fn dates_order_by_time_and_a_period_never_ends_before_it_starts() {
        let d = |t| BookingDate::parse(t).unwrap();
        assert!(d("2026-12-31") < d("2027-01-01"));
        assert!(d("2026-02-28") < d("2026-10-01"));
        assert_eq!(
            BookingPeriod::parse(Some("2026-12-02"), Some("2026-12-01")),
            Err(PeriodError::Reversed)
        );
        assert_eq!(BookingPeriod::parse(Some("2026-13-02"), None), Err(PeriodError::Start));
        assert_eq!(BookingPeriod::parse(None, Some("1/12/2026")), Err(PeriodError::End));
        let same = BookingPeriod::parse(Some("2026-12-01"), Some("2026-12-01")).unwrap();
        assert_eq!(same.start, same.end);
        assert_eq!(BookingPeriod::parse(None, None), Ok(BookingPeriod::default()));
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,16}") {
            if let Ok(date) = BookingDate::parse(&text) {
                prop_assert_eq!(date.to_string(), text);
            }
        }

        #[test]
        fn every_real_day_round_trips(year in 1u16..=9999, month in 1u8..=12, day in 1u8..=31) {
            let text = format!("{year:04}-{month:02}-{day:02}");
            let exists = day <= days_in_month(year, month);
            prop_assert_eq!(BookingDate::parse(&text).is_ok(), exists);
        }
    }
}
