/* Timestamps and dates as text, and durations. All times are UTC: eddy's
 * session time zone is fixed to UTC (Spark's spark.sql.session.timeZone set
 * to "UTC"). Timestamps are µs since 1970-01-01T00:00:00Z; dates are days. */
#ifndef CORE_TIMEFMT_H
#define CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Days since epoch for a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
/* Inverse of days_from_civil. */
void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parses Spark's default timestamp forms (Spark's stringToTimestamp):
 * "yyyy[-M[-d]]", then optionally ' ' or 'T' and "H[:m[:s[.fraction]]]",
 * then optionally a zone "Z", "UTC", "+hh[:mm]" or "-hh[:mm]".
 * Leading/trailing whitespace is ignored. Returns 0 and sets *out (µs), or -1
 * when the text is not a timestamp. */
int ts_parse(const char *s, size_t n, int64_t *out);

/* Parses with a Java DateTimeFormatter-style pattern as Spark's
 * to_timestamp(s, fmt) and the timestampFormat option do: letters y M d H h m s
 * S a X Z and quoted literals. NULL or empty fmt means ts_parse. Returns 0 or
 * -1 when the text does not match. */
int ts_parse_fmt(const char *s, size_t n, const char *fmt, int64_t *out);

/* Parses "yyyy-MM-dd" (Spark's stringToDate, also accepting a trailing time
 * part, which is ignored). Returns 0 and sets *out (days), or -1. */
int date_parse(const char *s, size_t n, int32_t *out);

/* Formats as Spark prints a timestamp: "yyyy-MM-dd HH:mm:ss" plus ".f" with
 * trailing zeros trimmed when the fraction is non-zero. Writes a NUL-terminated
 * string of at most 32 bytes into buf; returns its length. */
int ts_format(int64_t us, char *buf);

/* ISO-8601 UTC with milliseconds, as Spark's JSON sink and progress reports
 * write it: "2024-11-05T14:00:00.000Z". buf >= 32 bytes; returns length. */
int ts_format_iso(int64_t us, char *buf);

/* "yyyy-MM-dd"; buf >= 16 bytes; returns length. */
int date_format(int32_t days, char *buf);

/* Parses a duration: "10 seconds", "1 minute", "500 milliseconds", "2 hours",
 * "1 day", "10 second", "3s", with optional "interval " prefix; units
 * microsecond(s), millisecond(s)/ms, second(s)/s/sec, minute(s)/min,
 * hour(s)/h, day(s)/d, week(s). Several "N unit" parts add up. Returns 0 and
 * sets *out (µs), or -1. */
int duration_parse(const char *s, size_t n, int64_t *out);

/* Writes a duration in µs as the largest whole unit that holds it exactly:
 * "10 seconds", "1 minute", "500 milliseconds", "-5 seconds", "0 seconds";
 * the inverse of duration_parse for such values. Returns the length
 * (snprintf's contract; cap bytes including the NUL). */
int duration_format(int64_t us, char *buf, size_t cap);

/* Wall clock, µs since epoch. */
int64_t now_us(void);
/* Monotonic clock, µs. */
int64_t mono_us(void);

#endif
