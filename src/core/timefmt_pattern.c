/* Pattern-directed timestamp parsing (ts_parse_fmt): the subset of Java's
 * DateTimeFormatter patterns that Spark 3 accepts for to_timestamp and the
 * timestampFormat option, parsed case-insensitively and strictly as Spark's
 * DateTimeFormatterHelper configures it. */
#include <stdbool.h>
#include <string.h>

#include "core/timefmt.h"

/* Fields collected while matching; -1 means "not given". */
typedef struct ts_fields {
    int64_t year;
    int month, day, doy;
    int hour24, hour12, ampm; /* hour12 is the HOUR_OF_AMPM value 0..11 */
    int minute, second;
    int64_t frac_us;
    int64_t offset_s;
    int dow; /* 0 = Monday */
} ts_fields;

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                            "may",     "june",     "july",      "august",
                                            "september", "october", "november", "december"};
static const char *const day_names[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads between mind and maxd digits at s[*i]; -1 if fewer than mind. */
static int read_digits(const char *s, size_t n, size_t *i, int mind, int maxd, int64_t *out)
{
    int k = 0;
    int64_t v = 0;
    while (*i < n && k < maxd && is_digit(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    if (k < mind)
        return -1;
    *out = v;
    return k;
}

/* Matches the first `len` letters of `name` (or all of it when len is 0)
 * case-insensitively; advances *i. */
static bool match_name(const char *s, size_t n, size_t *i, const char *name, size_t len)
{
    if (!len)
        len = strlen(name);
    if (n - *i < len)
        return false;
    for (size_t k = 0; k < len; k++)
        if (lower((unsigned char)s[*i + k]) != name[k])
            return false;
    *i += len;
    return true;
}

/* Month or weekday name; short forms are the first three letters. Returns
 * the index or -1. */
static int match_text(const char *s, size_t n, size_t *i, const char *const *names, int count,
                      bool full)
{
    for (int k = 0; k < count; k++)
        if (match_name(s, n, i, names[k], full ? 0 : 3))
            return k;
    return -1;
}

/* Offset styles: "+HH[mm]" (X), "+HHmm" (XX, Z), "+HH:mm" (XXX), with 'Z'
 * for zero when allow_z. */
enum { OFF_HH_OPT_MM, OFF_HHMM, OFF_HH_COLON_MM };

static int parse_offset(const char *s, size_t n, size_t *i, int style, bool allow_z,
                        int64_t *out)
{
    if (*i < n && (s[*i] == 'Z' || s[*i] == 'z') && allow_z) {
        (*i)++;
        *out = 0;
        return 0;
    }
    if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
        return -1;
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    int64_t hh, mm = 0, ss = 0;
    if (read_digits(s, n, i, 2, 2, &hh) < 0 || hh > 18)
        return -1;
    if (style == OFF_HH_COLON_MM) {
        if (*i >= n || s[*i] != ':')
            return -1;
        (*i)++;
        if (read_digits(s, n, i, 2, 2, &mm) < 0)
            return -1;
        if (*i + 2 < n && s[*i] == ':' && is_digit(s[*i + 1]) && is_digit(s[*i + 2])) {
            (*i)++;
            read_digits(s, n, i, 2, 2, &ss);
        }
    } else if (style == OFF_HHMM) {
        if (read_digits(s, n, i, 2, 2, &mm) < 0)
            return -1;
    } else if (*i + 1 < n && is_digit(s[*i]) && is_digit(s[*i + 1])) {
        read_digits(s, n, i, 2, 2, &mm);
    }
    if (mm > 59 || ss > 59)
        return -1;
    *out = sign * (hh * 3600 + mm * 60 + ss);
    return 0;
}

/* A zone id as written for 'VV' or 'z': UTC, GMT, UT or Z, optionally
 * followed by an offset, or a bare "+HH:mm" offset. */
static int parse_zone(const char *s, size_t n, size_t *i, int64_t *out)
{
    *out = 0;
    if (match_name(s, n, i, "utc", 0) || match_name(s, n, i, "gmt", 0) ||
        match_name(s, n, i, "ut", 0)) {
        if (*i < n && (s[*i] == '+' || s[*i] == '-'))
            return parse_offset(s, n, i, OFF_HH_COLON_MM, false, out);
        return 0;
    }
    return parse_offset(s, n, i, OFF_HH_COLON_MM, true, out);
}

/* Letters whose field is a plain number (used for adjacent value parsing:
 * "yyyyMMdd" gives yyyy exactly four digits). */
static bool numeric_letter(char c, int count)
{
    switch (c) {
    case 'y': case 'u': case 'd': case 'D': case 'H': case 'h': case 'K': case 'k':
    case 'm': case 's': case 'S':
        return true;
    case 'M': case 'L':
        return count <= 2;
    default:
        return false;
    }
}

/* Parses one pattern letter run of `count` letters `c` at s[*si]. `adjacent`
 * is true when the next pattern element is another numeric field. */
static int parse_field(char c, int count, bool adjacent, const char *s, size_t n, size_t *si,
                       ts_fields *t)
{
    int64_t v;
    int var_max = 2;
    switch (c) {
    case 'y':
    case 'u':
        if (count == 2) {
            if (read_digits(s, n, si, 2, 2, &v) < 0)
                return -1;
            t->year = 2000 + v;
            return 0;
        }
        if (read_digits(s, n, si, count == 3 ? 3 : count, adjacent ? (count < 4 ? count : count)
                                                                  : 9, &v) < 0)
            return -1;
        t->year = v;
        return 0;
    case 'M':
    case 'L':
        if (count >= 3) {
            int k = match_text(s, n, si, month_names, 12, count >= 4);
            if (k < 0)
                return -1;
            t->month = k + 1;
            return 0;
        }
        if (read_digits(s, n, si, count, count == 1 && !adjacent ? var_max : count, &v) < 0)
            return -1;
        t->month = (int)v;
        return 0;
    case 'E': {
        int k = match_text(s, n, si, day_names, 7, count >= 4);
        if (k < 0)
            return -1;
        t->dow = k;
        return 0;
    }
    case 'D':
        if (read_digits(s, n, si, count, count < 3 && !adjacent ? 3 : count, &v) < 0)
            return -1;
        t->doy = (int)v;
        return 0;
    case 'd': case 'H': case 'h': case 'K': case 'k': case 'm': case 's':
        if (count > 2)
            return -1;
        if (read_digits(s, n, si, count, count == 1 && !adjacent ? var_max : count, &v) < 0)
            return -1;
        switch (c) {
        case 'd': t->day = (int)v; break;
        case 'H': if (v > 23) return -1; t->hour24 = (int)v; break;
        case 'k': if (v < 1 || v > 24) return -1; t->hour24 = (int)(v % 24); break;
        case 'h': if (v < 1 || v > 12) return -1; t->hour12 = (int)(v % 12); break;
        case 'K': if (v > 11) return -1; t->hour12 = (int)v; break;
        case 'm': if (v > 59) return -1; t->minute = (int)v; break;
        case 's': if (v > 59) return -1; t->second = (int)v; break;
        }
        return 0;
    case 'S': {
        /* Spark parses a run of S as a fraction of 1..count digits. */
        size_t start = *si;
        if (read_digits(s, n, si, 1, count, &v) < 0)
            return -1;
        int k = (int)(*si - start);
        for (; k < 6; k++)
            v *= 10;
        for (; k > 6; k--)
            v /= 10;
        t->frac_us = v;
        return 0;
    }
    case 'a':
        if (match_name(s, n, si, "am", 0))
            t->ampm = 0;
        else if (match_name(s, n, si, "pm", 0))
            t->ampm = 1;
        else
            return -1;
        return 0;
    case 'X':
    case 'x': {
        int style = count == 1 ? OFF_HH_OPT_MM : count == 2 || count == 4 ? OFF_HHMM
                                                                          : OFF_HH_COLON_MM;
        return parse_offset(s, n, si, style, c == 'X', &t->offset_s);
    }
    case 'Z':
        if (count <= 3)
            return parse_offset(s, n, si, OFF_HHMM, false, &t->offset_s);
        if (count == 5)
            return parse_offset(s, n, si, OFF_HH_COLON_MM, true, &t->offset_s);
        return parse_zone(s, n, si, &t->offset_s);
    case 'V':
    case 'z':
        return parse_zone(s, n, si, &t->offset_s);
    default:
        return -1;
    }
}

/* Index just past the ']' closing the optional section opened at f[start]
 * (which is the '['), honouring quotes; fn if unbalanced. */
static size_t skip_section(const char *f, size_t fn, size_t start)
{
    int depth = 0;
    bool quoted = false;
    for (size_t k = start; k < fn; k++) {
        if (f[k] == '\'')
            quoted = !quoted;
        else if (!quoted && f[k] == '[')
            depth++;
        else if (!quoted && f[k] == ']' && --depth == 0)
            return k + 1;
    }
    return fn;
}

/* Matches pattern elements from f[*fi] against s[*si] until the end of the
 * pattern or, inside an optional section, its closing ']'. */
static int parse_seq(const char *f, size_t *fi, size_t fn, const char *s, size_t *si, size_t n,
                     ts_fields *t, bool in_opt)
{
    while (*fi < fn) {
        char c = f[*fi];
        if (c == '[') {
            size_t open = *fi, save_si = *si;
            ts_fields save_t = *t;
            (*fi)++;
            if (parse_seq(f, fi, fn, s, si, n, t, true) < 0) {
                *si = save_si;
                *t = save_t;
                *fi = skip_section(f, fn, open);
            }
            continue;
        }
        if (c == ']') {
            if (!in_opt)
                return -1;
            (*fi)++;
            return 0;
        }
        if (c == '\'') {
            (*fi)++;
            if (*fi < fn && f[*fi] == '\'') {
                if (*si >= n || s[*si] != '\'')
                    return -1;
                (*fi)++;
                (*si)++;
                continue;
            }
            for (;;) {
                if (*fi >= fn)
                    return -1;
                if (f[*fi] == '\'') {
                    if (*fi + 1 < fn && f[*fi + 1] == '\'') {
                        if (*si >= n || s[*si] != '\'')
                            return -1;
                        *fi += 2;
                        (*si)++;
                        continue;
                    }
                    (*fi)++;
                    break;
                }
                if (*si >= n || lower((unsigned char)s[*si]) != lower((unsigned char)f[*fi]))
                    return -1;
                (*fi)++;
                (*si)++;
            }
            continue;
        }
        if (is_letter(c)) {
            size_t run = 1;
            while (*fi + run < fn && f[*fi + run] == c)
                run++;
            size_t next = *fi + run;
            bool adjacent = false;
            if (numeric_letter(c, (int)run) && next < fn && is_letter(f[next])) {
                size_t r2 = 1;
                while (next + r2 < fn && f[next + r2] == f[next])
                    r2++;
                adjacent = numeric_letter(f[next], (int)r2);
            }
            if (parse_field(c, (int)run, adjacent, s, n, si, t) < 0)
                return -1;
            *fi = next;
            continue;
        }
        if (*si >= n || lower((unsigned char)s[*si]) != lower((unsigned char)c))
            return -1;
        (*fi)++;
        (*si)++;
    }
    return in_opt ? -1 : 0;
}

static int month_days(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int ts_parse_fmt(const char *s, size_t n, const char *fmt, int64_t *out)
{
    if (!fmt || !*fmt)
        return ts_parse(s, n, out);
    ts_fields t = {.year = -1, .month = -1, .day = -1, .doy = -1, .hour24 = -1,
                   .hour12 = -1, .ampm = -1, .minute = -1, .second = -1, .dow = -1};
    size_t fi = 0, si = 0, fn = strlen(fmt);
    if (parse_seq(fmt, &fi, fn, s, &si, n, &t, false) < 0 || si != n)
        return -1;

    int64_t year = t.year >= 0 ? t.year : 1970;
    if (year > 294000)
        return -1;
    int64_t days;
    if (t.doy >= 0) {
        int ylen = month_days(year, 2) == 29 ? 366 : 365;
        if (t.doy < 1 || t.doy > ylen)
            return -1;
        days = days_from_civil(year, 1, 1) + t.doy - 1;
        if (t.month >= 0 || t.day >= 0) {
            int64_t y2;
            unsigned m2, d2;
            civil_from_days(days, &y2, &m2, &d2);
            if ((t.month >= 0 && (int)m2 != t.month) || (t.day >= 0 && (int)d2 != t.day))
                return -1;
        }
    } else {
        int month = t.month >= 0 ? t.month : 1;
        int day = t.day >= 0 ? t.day : 1;
        if (month < 1 || month > 12 || day < 1 || day > month_days(year, month))
            return -1;
        days = days_from_civil(year, (unsigned)month, (unsigned)day);
    }
    if (t.dow >= 0) {
        int64_t w = (days + 3) % 7; /* 1970-01-01 was a Thursday */
        if (w < 0)
            w += 7;
        if (w != t.dow)
            return -1;
    }

    int hour = 0;
    if (t.hour24 >= 0) {
        hour = t.hour24;
        if (t.ampm >= 0 && (hour >= 12) != (t.ampm == 1))
            return -1;
        if (t.hour12 >= 0 && hour % 12 != t.hour12)
            return -1;
    } else if (t.hour12 >= 0) {
        /* Spark assumes AM when the pattern has h but no a. */
        hour = t.hour12 + (t.ampm == 1 ? 12 : 0);
    }
    int minute = t.minute >= 0 ? t.minute : 0;
    int second = t.second >= 0 ? t.second : 0;
    int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - t.offset_s;
    *out = secs * 1000000 + t.frac_us;
    return 0;
}
