//! The calendar date in Oslo (Europe/Oslo), for Front Payment's rule that `orderDate` "must
//! be current or future date" (seed 002). The rule names a date, not an instant, and Front
//! Payment is a Norwegian service, so the simulator compares Oslo dates: an `orderDate` from
//! earlier today passes, one from yesterday (in Oslo) is refused.
//!
//! Norway keeps Central European Time (UTC+1) with the EU's summer time (UTC+2) from the last
//! Sunday of March, 01:00 UTC, to the last Sunday of October, 01:00 UTC (Norwegian regulation
//! "forskrift om sommertid", the same dates as EU directive 2000/84/EC). Written out here
//! rather than read from a time zone database, which the simulator may not find on every
//! machine it runs on.

const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The day count of the last Sunday of `month` in `year`.
fn last_sunday(year: i64, month: u32) -> i64 {
    let first_of_next = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    let last = first_of_next - 1;
    // 1970-01-01 was a Thursday: weekday 4 with Sunday as 0.
    last - (last + 4).rem_euclid(7)
}

/// Oslo's offset from UTC at unix second `t`, in seconds.
pub fn offset_secs(t: i64) -> i64 {
    let (year, _, _) = civil_from_days(t.div_euclid(DAY));
    let summer_from = last_sunday(year, 3) * DAY + 3600;
    let summer_until = last_sunday(year, 10) * DAY + 3600;
    if (summer_from..summer_until).contains(&t) {
        7200
    } else {
        3600
    }
}

/// The calendar date `(year, month, day)` in Oslo at unix second `t`.
pub fn date(t: i64) -> (i64, u32, u32) {
    civil_from_days((t + offset_secs(t)).div_euclid(DAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_day_counts() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-1, 59, 60, 11_016, 20_000, 30_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn summer_time_follows_the_last_sundays_of_march_and_october() {
        // 2025: summer time from 30 March 01:00 UTC to 26 October 01:00 UTC.
        let start = 1_743_296_400; // 2025-03-30T01:00:00Z
        let end = 1_761_440_400; // 2025-10-26T01:00:00Z
        assert_eq!(offset_secs(start - 1), 3600);
        assert_eq!(offset_secs(start), 7200);
        assert_eq!(offset_secs(end - 1), 7200);
        assert_eq!(offset_secs(end), 3600);
    }

    #[test]
    fn an_evening_in_utc_can_already_be_tomorrow_in_oslo() {
        // 2025-08-07T22:30:00Z is 00:30 on 8 August in Oslo (UTC+2).
        assert_eq!(date(1_754_605_800), (2025, 8, 8));
        // 2025-12-31T23:30:00Z is 00:30 on 1 January 2026 in Oslo (UTC+1).
        assert_eq!(date(1_767_223_800), (2026, 1, 1));
        // The seed's example `orderDate` 1754556624 is 2025-08-07T08:50:24Z.
        assert_eq!(date(1_754_556_624), (2025, 8, 7));
    }
}
