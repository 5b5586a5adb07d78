/* String functions: upper, lower, length, substring, concat and the trim
 * family, over UTF-8 text as Spark's UTF8String defines them. */
#include <stdbool.h>
#include <string.h>

#include "exec/func.h"

static uint32_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Decodes one code point at s[*i] (advancing *i; malformed bytes decode as
 * themselves). */
static uint32_t utf8_decode(const char *s, uint32_t n, uint32_t *i)
{
    unsigned char c = (unsigned char)s[*i];
    uint32_t k = utf8_len(c);
    if (k == 1 || *i + k > n) {
        (*i)++;
        return c;
    }
    uint32_t cp = c & (0xFF >> (k + 1));
    for (uint32_t j = 1; j < k; j++)
        cp = (cp << 6) | ((unsigned char)s[*i + j] & 0x3F);
    *i += k;
    return cp;
}

static uint32_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Upper-case mapping for Latin-1, Latin Extended-A, Greek and Cyrillic;
 * other code points map to themselves. */
static uint32_t cp_upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 32;
    if (c < 0xB5)
        return c;
    if (c == 0xB5)
        return 0x39C;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x131)
            return 'I';
        if (c == 0x17F)
            return 'S';
        if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && (c & 1))
            return c - 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && !(c & 1))
            return c - 1;
        return c;
    }
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return c - 32;
    if (c == 0x3C2)
        return 0x3A3;
    if (c == 0x3AC)
        return 0x386;
    if (c >= 0x3AD && c <= 0x3AF)
        return c - 37;
    if (c == 0x3CC)
        return 0x38C;
    if (c == 0x3CD || c == 0x3CE)
        return c - 63;
    if (c >= 0x430 && c <= 0x44F)
        return c - 32;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    return c;
}

static uint32_t cp_lower(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0xC0)
        return c;
    if (c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c <= 0x137 || (c >= 0x14A && c <= 0x177)) && !(c & 1) && c != 0x130)
            return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
            return c + 1;
        return c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

static bool is_cased(uint32_t c)
{
    return cp_upper(c) != c || cp_lower(c) != c;
}

/* Java's String.toUpperCase/toLowerCase (Locale.ROOT) for the scripts
 * cp_upper knows, including ß -> SS, İ -> i̇ and the final sigma. */
static uint32_t case_map(const char *s, uint32_t n, bool up, char *out)
{
    uint32_t i = 0, o = 0;
    bool prev_cased = false;
    while (i < n) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            uint32_t j = i;
            if (up) {
                for (; j < n && (unsigned char)s[j] < 0x80; j++)
                    out[o++] = (char)(s[j] >= 'a' && s[j] <= 'z' ? s[j] - 32 : s[j]);
            } else {
                for (; j < n && (unsigned char)s[j] < 0x80; j++)
                    out[o++] = (char)(s[j] >= 'A' && s[j] <= 'Z' ? s[j] + 32 : s[j]);
            }
            unsigned char last = (unsigned char)s[j - 1] | 32;
            prev_cased = last >= 'a' && last <= 'z';
            i = j;
            continue;
        }
        uint32_t start = i;
        uint32_t c = utf8_decode(s, n, &i);
        if (i - start != utf8_len(b)) {
            memcpy(out + o, s + start, i - start);
            o += i - start;
            prev_cased = false;
            continue;
        }
        uint32_t m;
        if (up && c == 0xDF) {
            out[o++] = 'S';
            out[o++] = 'S';
            prev_cased = true;
            continue;
        }
        if (!up && c == 0x130) {
            out[o++] = 'i';
            o += utf8_encode(0x307, out + o);
            prev_cased = true;
            continue;
        }
        if (!up && c == 0x3A3) {
            bool next_cased = false;
            if (i < n) {
                uint32_t j = i;
                next_cased = is_cased(utf8_decode(s, n, &j));
            }
            m = prev_cased && !next_cased ? 0x3C2 : 0x3C3;
        } else {
            m = up ? cp_upper(c) : cp_lower(c);
        }
        prev_cased = is_cased(c);
        o += utf8_encode(m, out + o);
    }
    return o;
}

static int case_column(const column *a, uint32_t n, column *out, func_ctx *ctx, bool up)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        if (a->valid[i])
            total += a->data.s[i].len;
    /* No mapping grows a character by more than half its bytes (ß -> SS
     * keeps 2, İ -> i̇ takes 3 for 2). */
    char *p = arena_alloc(ctx->arena, total + total / 2 + 1);
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = a->valid[i];
        if (!a->valid[i]) {
            out->data.s[i] = (strv){NULL, 0};
            continue;
        }
        uint32_t len = case_map(a->data.s[i].ptr, a->data.s[i].len, up, p);
        out->data.s[i] = (strv){p, len};
        p += len;
    }
    return 0;
}

int func_upper(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    return case_column(&args[0], n, out, ctx, true);
}

int func_lower(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    return case_column(&args[0], n, out, ctx, false);
}

static uint32_t num_chars(strv s)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < s.len; i++)
        c += ((unsigned char)s.ptr[i] & 0xC0) != 0x80;
    return c;
}

int func_length(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                eddy_error *err)
{
    const column *a = &args[0];
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = a->valid[i];
        out->data.i32[i] = a->valid[i] ? (int32_t)num_chars(a->data.s[i]) : 0;
    }
    return 0;
}

/* Byte offset of character index `ch` (clamped to the end). */
static uint32_t char_offset(strv s, int64_t ch)
{
    uint32_t i = 0;
    for (int64_t c = 0; i < s.len && c < ch; c++)
        i += utf8_len((unsigned char)s.ptr[i]);
    return i < s.len ? i : s.len;
}

/* UTF8String.substringSQL: 1-based pos, 0 acts as 1, negative counts from
 * the end; len characters (default all). */
static strv substring_sql(strv s, int32_t pos, int32_t len)
{
    int64_t nch = num_chars(s);
    int64_t start = pos > 0 ? pos - 1 : pos < 0 ? nch + pos : 0;
    int64_t end = start + len;
    if (end > INT32_MAX)
        end = INT32_MAX;
    if (start < 0)
        start = 0;
    if (start >= end || start >= nch)
        return (strv){s.ptr, 0};
    uint32_t b0 = char_offset(s, start);
    strv rest = {s.ptr + b0, s.len - b0};
    uint32_t b1 = char_offset(rest, end - start);
    return (strv){rest.ptr, b1};
}

int func_substring(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                   eddy_error *err)
{
    const column *s = &args[0], *pos = &args[1], *len = nargs > 2 ? &args[2] : NULL;
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = s->valid[i] && pos->valid[i] && (!len || len->valid[i]);
        if (!out->valid[i]) {
            out->data.s[i] = (strv){NULL, 0};
            continue;
        }
        out->data.s[i] = substring_sql(s->data.s[i], pos->data.i32[i],
                                       len ? len->data.i32[i] : INT32_MAX);
    }
    return 0;
}

int func_concat(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                eddy_error *err)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool ok = true;
        for (int k = 0; k < nargs; k++)
            ok &= args[k].valid[i] != 0;
        out->valid[i] = ok;
        if (ok)
            for (int k = 0; k < nargs; k++)
                total += args[k].data.s[i].len;
    }
    char *p = arena_alloc(ctx->arena, total + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!out->valid[i]) {
            out->data.s[i] = (strv){NULL, 0};
            continue;
        }
        char *start = p;
        for (int k = 0; k < nargs; k++) {
            strv a = args[k].data.s[i];
            if (a.len)
                memcpy(p, a.ptr, a.len);
            p += a.len;
        }
        out->data.s[i] = (strv){start, (uint32_t)(p - start)};
    }
    return 0;
}

/* True when the character s[i..i+k) is one of the characters of set. */
static bool in_set(const char *c, uint32_t k, strv set)
{
    for (uint32_t j = 0; j < set.len;) {
        uint32_t l = utf8_len((unsigned char)set.ptr[j]);
        if (l == k && j + l <= set.len && memcmp(set.ptr + j, c, k) == 0)
            return true;
        j += l;
    }
    return false;
}

/* Removes characters of `set` (or spaces when set is NULL) from the left
 * and/or right end of s. */
static strv trim_one(strv s, const strv *set, bool left, bool right)
{
    uint32_t b = 0, e = s.len;
    if (!set) {
        while (left && b < e && s.ptr[b] == ' ')
            b++;
        while (right && e > b && s.ptr[e - 1] == ' ')
            e--;
        return (strv){s.ptr + b, e - b};
    }
    while (left && b < e) {
        uint32_t k = utf8_len((unsigned char)s.ptr[b]);
        if (b + k > e || !in_set(s.ptr + b, k, *set))
            break;
        b += k;
    }
    while (right && e > b) {
        uint32_t j = e - 1;
        while (j > b && ((unsigned char)s.ptr[j] & 0xC0) == 0x80)
            j--;
        if (!in_set(s.ptr + j, e - j, *set))
            break;
        e = j;
    }
    return (strv){s.ptr + b, e - b};
}

/* trim(str) or, as Spark's function form, trim(trimStr, str). */
static int trim_column(const column *args, int nargs, uint32_t n, column *out, bool left,
                       bool right)
{
    const column *s = nargs > 1 ? &args[1] : &args[0];
    const column *set = nargs > 1 ? &args[0] : NULL;
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = s->valid[i] && (!set || set->valid[i]);
        if (!out->valid[i]) {
            out->data.s[i] = (strv){NULL, 0};
            continue;
        }
        out->data.s[i] = trim_one(s->data.s[i], set ? &set->data.s[i] : NULL, left, right);
    }
    return 0;
}

int func_trim(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
              eddy_error *err)
{
    return trim_column(args, nargs, n, out, true, true);
}

int func_ltrim(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    return trim_column(args, nargs, n, out, true, false);
}

int func_rtrim(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    return trim_column(args, nargs, n, out, false, true);
}
