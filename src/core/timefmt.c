/* Civil-date arithmetic, Spark's default timestamp/date text forms, durations
 * and clocks. Pattern-directed parsing lives in timefmt_pattern.c. */
#include "core/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/strutil.h"

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Reads 1..maxd digits; returns count read. */
static int read_num(const char *s, size_t n, size_t *i, int maxd, int64_t *out)
{
    int k = 0;
    int64_t v = 0;
    while (*i < n && k < maxd && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k;
}

int ts_parse(const char *s, size_t n, int64_t *out)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n)
        return -1;
    size_t i = 0;
    int neg_year = 0;
    if (s[i] == '-' || s[i] == '+')
        neg_year = s[i++] == '-';
    int64_t y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0;
    int nd = read_num(s, n, &i, 6, &y);
    if (nd < 4)
        return -1;
    if (neg_year)
        y = -y;
    if (i < n && s[i] == '-') {
        i++;
        if (!read_num(s, n, &i, 2, &mo))
            return -1;
        if (i < n && s[i] == '-') {
            i++;
            if (!read_num(s, n, &i, 2, &d))
                return -1;
        }
    }
    if (i < n && (s[i] == ' ' || s[i] == 'T')) {
        i++;
        if (!read_num(s, n, &i, 2, &h))
            return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (!read_num(s, n, &i, 2, &mi))
                return -1;
            if (i < n && s[i] == ':') {
                i++;
                if (!read_num(s, n, &i, 2, &sec))
                    return -1;
                if (i < n && s[i] == '.') {
                    i++;
                    int k = 0;
                    while (i < n && isdigit((unsigned char)s[i])) {
                        if (k < 6)
                            frac = frac * 10 + (s[i] - '0');
                        k++;
                        i++;
                    }
                    if (k == 0)
                        return -1;
                    for (; k < 6; k++)
                        frac *= 10;
                }
            }
        }
    }
    int64_t offset_s = 0;
    if (i < n) {
        if (s[i] == 'Z' && i + 1 == n) {
            i++;
        } else if (n - i == 3 && strncmp(s + i, "UTC", 3) == 0) {
            i += 3;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1;
            int64_t oh = 0, om = 0;
            i++;
            if (!read_num(s, n, &i, 2, &oh))
                return -1;
            if (i < n && s[i] == ':')
                i++;
            read_num(s, n, &i, 2, &om);
            offset_s = sign * (oh * 3600 + om * 60);
        } else {
            return -1;
        }
    }
    if (i != n)
        return -1;
    /* µs in an int64 reach from year -290307 to 294247 (Spark's range). */
    if (y < -290000 || y > 294000)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > (int64_t)days_in_month(y, (unsigned)mo) || h > 23 ||
        mi > 59 || sec > 59)
        return -1;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_s) * 1000000 + frac;
    return 0;
}

int date_parse(const char *s, size_t n, int32_t *out)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    size_t i = 0;
    int64_t y, mo = 1, d = 1;
    if (read_num(s, n, &i, 6, &y) < 4)
        return -1;
    if (i < n && s[i] == '-') {
        i++;
        if (!read_num(s, n, &i, 2, &mo))
            return -1;
        if (i < n && s[i] == '-') {
            i++;
            if (!read_num(s, n, &i, 2, &d))
                return -1;
        }
    }
    if (i < n && s[i] != ' ' && s[i] != 'T')
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > (int64_t)days_in_month(y, (unsigned)mo))
        return -1;
    *out = (int32_t)days_from_civil(y, (unsigned)mo, (unsigned)d);
    return 0;
}

static void split_us(int64_t us, int64_t *days, int64_t *sod, int64_t *frac)
{
    int64_t secs = us / 1000000;
    *frac = us % 1000000;
    if (*frac < 0) {
        *frac += 1000000;
        secs--;
    }
    *days = secs / 86400;
    *sod = secs % 86400;
    if (*sod < 0) {
        *sod += 86400;
        (*days)--;
    }
}

int ts_format(int64_t us, char *buf)
{
    int64_t days, sod, frac, y;
    unsigned m, d;
    split_us(us, &days, &sod, &frac);
    civil_from_days(days, &y, &m, &d);
    int len = snprintf(buf, 32, "%04lld-%02u-%02u %02d:%02d:%02d", (long long)y, m, d,
                       (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06d", (int)frac);
        int k = 6;
        while (k > 0 && f[k - 1] == '0')
            k--;
        f[k] = 0;
        len += snprintf(buf + len, 32 - (size_t)len, ".%s", f);
    }
    return len;
}

int ts_format_iso(int64_t us, char *buf)
{
    int64_t days, sod, frac, y;
    unsigned m, d;
    split_us(us, &days, &sod, &frac);
    civil_from_days(days, &y, &m, &d);
    return snprintf(buf, 32, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                    (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
                    (int)(frac / 1000));
}

int date_format(int32_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    return snprintf(buf, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

int duration_format(int64_t us, char *buf, size_t cap)
{
    static const struct {
        const char *unit;
        int64_t us;
    } units[] = {
        {"day", 86400000000LL}, {"hour", 3600000000LL}, {"minute", 60000000LL},
        {"second", 1000000}, {"millisecond", 1000}, {"microsecond", 1},
    };
    if (us == 0)
        return snprintf(buf, cap, "0 seconds");
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (us % units[i].us == 0) {
            long long k = (long long)(us / units[i].us);
            return snprintf(buf, cap, "%lld %s%s", k, units[i].unit,
                            k == 1 || k == -1 ? "" : "s");
        }
    }
    return snprintf(buf, cap, "%lld microseconds", (long long)us); /* not reached */
}

int duration_parse(const char *s, size_t n, int64_t *out)
{
    static const struct {
        const char *unit;
        int64_t us;
    } units[] = {
        {"microsecond", 1}, {"microseconds", 1}, {"us", 1},
        {"millisecond", 1000}, {"milliseconds", 1000}, {"ms", 1000},
        {"second", 1000000}, {"seconds", 1000000}, {"s", 1000000}, {"sec", 1000000},
        {"secs", 1000000}, {"minute", 60000000LL}, {"minutes", 60000000LL},
        {"min", 60000000LL}, {"mins", 60000000LL}, {"m", 60000000LL},
        {"hour", 3600000000LL}, {"hours", 3600000000LL}, {"h", 3600000000LL},
        {"day", 86400000000LL}, {"days", 86400000000LL}, {"d", 86400000000LL},
        {"week", 604800000000LL}, {"weeks", 604800000000LL},
    };
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    if (n - i >= 8 && strncasecmp(s + i, "interval", 8) == 0 &&
        (n - i == 8 || isspace((unsigned char)s[i + 8])))
        i += 8;
    int64_t total = 0;
    int parts = 0;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i == n)
            break;
        int sign = 1;
        if (s[i] == '-') {
            sign = -1;
            i++;
        }
        int64_t num;
        if (!read_num(s, n, &i, 18, &num))
            return -1;
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        size_t u0 = i;
        while (i < n && isalpha((unsigned char)s[i]))
            i++;
        int64_t mult = -1;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (str_ieqn(s + u0, i - u0, units[k].unit))
                mult = units[k].us;
        if (mult < 0)
            return -1;
        total += sign * num * mult;
        parts++;
    }
    if (!parts)
        return -1;
    *out = total;
    return 0;
}

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
