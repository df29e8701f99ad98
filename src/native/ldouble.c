/* Long double arithmetic for INCRBYFLOAT and HINCRBYFLOAT.
 *
 * Redis computes these in C `long double` (80-bit extended precision on x86-64) and prints
 * the result with "%.17Lf" minus trailing zeros, so 0.1 + 0.2 gives "0.3". Rust has no
 * long double, so the parsing, the addition and the formatting live here, with the same
 * validity rules as Redis's string2ld() and the same layout as ld2string(LD_STR_HUMAN). */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS. */
#define LD_MAX_CHARS (5 * 1024)

/* string2ld(): no leading space, the whole input consumed (an embedded NUL byte makes it
 * invalid), no overflow or underflow to zero, no NaN. */
static int parse_ld(const char *s, size_t len, long double *out) {
    char buf[LD_MAX_CHARS];
    char *eptr;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* ld2string(..., LD_STR_HUMAN). Returns the length, or 0 if it doesn't fit. */
static size_t format_ld(long double v, char *out, size_t cap) {
    char buf[LD_MAX_CHARS];
    int n = snprintf(buf, sizeof(buf), "%.17Lf", v);
    size_t l;

    if (n < 0 || (size_t)n + 1 > sizeof(buf)) return 0;
    l = (size_t)n;
    if (strchr(buf, '.') != NULL) {
        char *p = buf + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    if (l > cap) return 0;
    memcpy(out, buf, l);
    return l;
}

/* Whether `s` is a valid long double for Redis; *infinite tells if it is +/-inf. */
int tessera_ld_valid(const char *s, size_t len, int *infinite) {
    long double v;
    if (!parse_ld(s, len, &v)) return 0;
    if (infinite) *infinite = isinf(v) ? 1 : 0;
    return 1;
}

/* value + incr, formatted into out. Returns the length (>= 1), or
 * -1 if value is not a valid float, -2 if incr is not, -3 if the sum is NaN or infinite,
 * -4 if out is too small (cap of 5120 bytes always suffices). */
int tessera_ld_add(const char *a, size_t alen, const char *b, size_t blen, char *out,
                   size_t outcap) {
    long double x, y, r;
    size_t l;

    if (!parse_ld(a, alen, &x)) return -1;
    if (!parse_ld(b, blen, &y)) return -2;
    r = x + y;
    if (isnan(r) || isinf(r)) return -3;
    l = format_ld(r, out, outcap);
    if (l == 0) return -4;
    return (int)l;
}
