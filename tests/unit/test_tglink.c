/* Unit tests for common/tglink: vectors made with Python's hmac/base64 (independent of
 * the code under test), the round trip, both edges of the validity window, and every
 * way a token can be damaged. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/crypto.h"
#include "common/tglink.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KEY "test-secret-key"
#define NOW 1700000000
#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* python3: base64.urlsafe_b64encode(struct.pack('>II', uid, t)
 *          + hmac.new(b'test-secret-key', struct.pack('>II', uid, t), 'sha256').digest()[:20])
 *          .rstrip(b'=') */
static const struct {
    uint32_t uid;
    int64_t t;
    const char *token;
} vectors[] = {
    {42, 1700000000, "AAAAKmVT8QC6xxnRCaA0UbX3ezP34ndAZooiaQ"},
    {4294967295u, 4294967295, "___________NFtL1VM7gf8LPWOLSV9MZdW9APA"},
    {1, 0, "AAAAAQAAAAC3VyLucr1PvVdZ_7kZxlHjaIqPwA"},
};

static void test_vectors(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(vectors); i++) {
        char tok[TGLINK_TOKEN_LEN + 1];
        uint32_t uid = 0, issued = 0;

        assert_int_equal(tglink_make(KEY, vectors[i].uid, vectors[i].t, tok), 0);
        assert_string_equal(tok, vectors[i].token);
        assert_int_equal(tglink_verify(KEY, vectors[i].token, vectors[i].t, &uid, &issued),
                         TGLINK_OK);
        assert_int_equal(uid, vectors[i].uid);
        assert_int_equal(issued, (uint32_t)vectors[i].t);
    }
}

static void test_round_trip_and_format(void **state)
{
    static const uint32_t uids[] = {1, 7, 65536, 123456789, 4294967295u};
    for (size_t i = 0; i < ARRAY_LEN(uids); i++) {
        char tok[TGLINK_TOKEN_LEN + 1];
        unsigned char raw[TGLINK_RAW_LEN];
        uint32_t uid = 0, issued = 0;

        assert_int_equal(tglink_make(KEY, uids[i], NOW + (int64_t)i, tok), 0);
        assert_int_equal(strlen(tok), TGLINK_TOKEN_LEN);
        /* Only the URL-safe alphabet: no '+', '/' or '=' to escape in a t.me link. */
        assert_int_equal(strspn(tok, B64URL), TGLINK_TOKEN_LEN);
        assert_int_equal(crypto_b64url_decode(tok, strlen(tok), raw, sizeof(raw)), TGLINK_RAW_LEN);
        assert_int_equal((uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 |
                             raw[3],
                         uids[i]);
        assert_int_equal(tglink_verify(KEY, tok, NOW + (int64_t)i, &uid, &issued), TGLINK_OK);
        assert_int_equal(uid, uids[i]);
        assert_int_equal(issued, (uint32_t)(NOW + (int64_t)i));
    }
}

static void test_validity_window(void **state)
{
    char tok[TGLINK_TOKEN_LEN + 1];
    uint32_t uid = 0, issued = 0;

    assert_int_equal(tglink_make(KEY, 9, NOW, tok), 0);
    assert_int_equal(tglink_verify(KEY, tok, NOW + 599, NULL, NULL), TGLINK_OK);
    assert_int_equal(tglink_verify(KEY, tok, NOW + 600, NULL, NULL), TGLINK_OK);
    assert_int_equal(tglink_verify(KEY, tok, NOW + 601, &uid, &issued), TGLINK_EXPIRED);
    /* An expired token is still recognised as ours: its fields are reported. */
    assert_int_equal(uid, 9);
    assert_int_equal(issued, NOW);
    assert_int_equal(tglink_verify(KEY, tok, NOW + 86400, NULL, NULL), TGLINK_EXPIRED);

    /* Dated in the future: tolerated within the skew, refused beyond it. */
    assert_int_equal(tglink_verify(KEY, tok, NOW - TGLINK_SKEW_S, NULL, NULL), TGLINK_OK);
    assert_int_equal(tglink_verify(KEY, tok, NOW - TGLINK_SKEW_S - 1, NULL, NULL), TGLINK_FUTURE);
    assert_int_equal(tglink_verify(KEY, tok, NOW - 3600, NULL, NULL), TGLINK_FUTURE);
}

static void test_flipped_bits(void **state)
{
    char tok[TGLINK_TOKEN_LEN + 1];
    unsigned char raw[TGLINK_RAW_LEN];

    assert_int_equal(tglink_make(KEY, 42, NOW, tok), 0);
    assert_int_equal(crypto_b64url_decode(tok, strlen(tok), raw, sizeof(raw)), TGLINK_RAW_LEN);
    /* Every single-bit change anywhere (user id, time or MAC) is refused as forged. */
    for (size_t bit = 0; bit < sizeof(raw) * 8; bit++) {
        unsigned char bad[TGLINK_RAW_LEN];
        char badtok[TGLINK_TOKEN_LEN + 1];
        uint32_t uid = 777;

        memcpy(bad, raw, sizeof(raw));
        bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        assert_int_equal(crypto_b64url_encode(bad, sizeof(bad), badtok, sizeof(badtok)),
                         TGLINK_TOKEN_LEN);
        assert_int_equal(tglink_verify(KEY, badtok, NOW, &uid, NULL), TGLINK_FORGED);
        assert_int_equal(uid, 777); /* untouched on a forgery */
    }
}

static void test_malformed(void **state)
{
    char tok[TGLINK_TOKEN_LEN + 1], buf[128];
    unsigned char raw[TGLINK_RAW_LEN + 4];
    char other[64];

    assert_int_equal(tglink_make(KEY, 42, NOW, tok), 0);

    /* Truncated by one and by many characters, and empty. */
    for (size_t n = 0; n < TGLINK_TOKEN_LEN; n++) {
        snprintf(buf, sizeof(buf), "%.*s", (int)n, tok);
        assert_int_equal(tglink_verify(KEY, buf, NOW, NULL, NULL), TGLINK_FORGED);
    }
    /* One character too many, and padding added. */
    snprintf(buf, sizeof(buf), "%sA", tok);
    assert_int_equal(tglink_verify(KEY, buf, NOW, NULL, NULL), TGLINK_FORGED);
    snprintf(buf, sizeof(buf), "%s==", tok);
    assert_int_equal(tglink_verify(KEY, buf, NOW, NULL, NULL), TGLINK_FORGED);

    /* Wrong length with a well-formed encoding: the right head and MAC plus extra bytes,
     * and a shorter MAC. */
    assert_int_equal(crypto_b64url_decode(tok, strlen(tok), raw, sizeof(raw)), TGLINK_RAW_LEN);
    memset(raw + TGLINK_RAW_LEN, 0, 4);
    assert_true(crypto_b64url_encode(raw, TGLINK_RAW_LEN + 4, other, sizeof(other)) > 0);
    assert_int_equal(tglink_verify(KEY, other, NOW, NULL, NULL), TGLINK_FORGED);
    assert_true(crypto_b64url_encode(raw, TGLINK_RAW_LEN - 4, other, sizeof(other)) > 0);
    assert_int_equal(tglink_verify(KEY, other, NOW, NULL, NULL), TGLINK_FORGED);

    /* Characters outside the alphabet, standard base64 in place of URL-safe. */
    memcpy(buf, tok, sizeof(tok));
    buf[5] = '+';
    assert_int_equal(tglink_verify(KEY, buf, NOW, NULL, NULL), TGLINK_FORGED);
    buf[5] = ' ';
    assert_int_equal(tglink_verify(KEY, buf, NOW, NULL, NULL), TGLINK_FORGED);
    /* A non-canonical last character (trailing bits set) decodes to the same bytes in a
     * lax decoder; here it is refused. 38 chars = 9 groups + 2: the last carries 2
     * spare bits. */
    memcpy(buf, tok, sizeof(tok));
    {
        const char *pos = strchr(B64URL, buf[TGLINK_TOKEN_LEN - 1]);
        assert_non_null(pos);
        assert_int_equal((pos - B64URL) & 0x0f, 0);
        buf[TGLINK_TOKEN_LEN - 1] = B64URL[(pos - B64URL) | 1];
    }
    assert_int_equal(tglink_verify(KEY, buf, NOW, NULL, NULL), TGLINK_FORGED);

    assert_int_equal(tglink_verify(KEY, NULL, NOW, NULL, NULL), TGLINK_FORGED);
}

static void test_wrong_key(void **state)
{
    char tok[TGLINK_TOKEN_LEN + 1];

    assert_int_equal(tglink_make(KEY, 42, NOW, tok), 0);
    assert_int_equal(tglink_verify("another-key", tok, NOW, NULL, NULL), TGLINK_FORGED);
    assert_int_equal(tglink_verify(KEY "x", tok, NOW, NULL, NULL), TGLINK_FORGED);
    /* No key configured: nothing is made and nothing verifies. */
    assert_int_equal(tglink_verify("", tok, NOW, NULL, NULL), TGLINK_FORGED);
    assert_int_equal(tglink_verify(NULL, tok, NOW, NULL, NULL), TGLINK_FORGED);
    assert_int_equal(tglink_make("", 42, NOW, tok), -1);
    assert_int_equal(tglink_make(NULL, 42, NOW, tok), -1);
    /* Times that do not fit the 32-bit field. */
    assert_int_equal(tglink_make(KEY, 42, -1, tok), -1);
    assert_int_equal(tglink_make(KEY, 42, (int64_t)UINT32_MAX + 1, tok), -1);
}

static void test_status_names(void **state)
{
    assert_string_equal(tglink_status_name(TGLINK_OK), "ok");
    assert_string_equal(tglink_status_name(TGLINK_EXPIRED), "expired");
    assert_string_equal(tglink_status_name(TGLINK_FUTURE), "future");
    assert_string_equal(tglink_status_name(TGLINK_FORGED), "forged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),         cmocka_unit_test(test_round_trip_and_format),
        cmocka_unit_test(test_validity_window), cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_malformed),       cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_status_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
