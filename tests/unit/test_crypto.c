/* Unit tests for common/crypto: published vectors where they exist, round trips and
 * rejections where they do not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/crypto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- SHA-256 and HMAC ---------------------------------------------------------- */

static const struct {
    const char *input;
    const char *hex;
} sha256_vectors[] = {
    /* FIPS 180-2 examples. */
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
};

static void test_sha256_vectors(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(sha256_vectors); i++) {
        char hex[CRYPTO_SHA256_HEX_LEN + 1];
        char hex2[CRYPTO_SHA256_HEX_LEN + 1];
        unsigned char raw[CRYPTO_SHA256_LEN];

        crypto_sha256_hex(sha256_vectors[i].input, strlen(sha256_vectors[i].input), hex);
        assert_string_equal(hex, sha256_vectors[i].hex);
        /* The raw digest, hex-encoded separately, must agree. */
        crypto_sha256(sha256_vectors[i].input, strlen(sha256_vectors[i].input), raw);
        crypto_hex_encode(raw, sizeof raw, hex2);
        assert_string_equal(hex2, sha256_vectors[i].hex);
    }
}

static void test_hex_encode(void **state)
{
    static const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof in + 2];

    memset(out, 'X', sizeof out);
    crypto_hex_encode(in, sizeof in, out);
    assert_string_equal(out, "00017f80abff");
    assert_int_equal(out[sizeof out - 1], 'X'); /* nothing past the NUL */

    crypto_hex_encode(in, 0, out);
    assert_string_equal(out, "");
}

/* A key is either text or keylen copies of one byte (fill), as RFC 4231 writes them. */
struct hmac_vector {
    const char *name;
    const char *key;
    int fill;
    size_t keylen;
    const char *data;
    const char *hex;
};

static void test_hmac_sha256_rfc4231(void **state)
{
    /* RFC 4231 test cases 1, 2 and 6 (key longer than the block), plus the empty key
     * and message, checked against `openssl dgst -sha256 -hmac ''`. */
    static const struct hmac_vector vectors[] = {
        {"rfc4231 case 1", NULL, 0x0b, 20, "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"rfc4231 case 2", "Jefe", 0, 4, "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"rfc4231 case 6", NULL, 0xaa, 131,
         "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {"empty key and message", "", 0, 0, "",
         "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(vectors); i++) {
        unsigned char key[131];
        unsigned char mac[CRYPTO_SHA256_LEN];
        char hex[CRYPTO_SHA256_HEX_LEN + 1];

        assert_true(vectors[i].keylen <= sizeof key);
        if (vectors[i].key != NULL)
            memcpy(key, vectors[i].key, vectors[i].keylen);
        else
            memset(key, vectors[i].fill, vectors[i].keylen);
        crypto_hmac_sha256(key, vectors[i].keylen, vectors[i].data, strlen(vectors[i].data), mac);
        crypto_hex_encode(mac, sizeof mac, hex);
        if (strcmp(hex, vectors[i].hex) != 0)
            print_message("failing vector: %s\n", vectors[i].name);
        assert_string_equal(hex, vectors[i].hex);
    }
}

static void test_random_bytes(void **state)
{
    unsigned char a[32], b[32];

    assert_int_equal(crypto_random_bytes(a, sizeof a), 0);
    assert_int_equal(crypto_random_bytes(b, sizeof b), 0);
    /* 2^-256 chance of a false failure. */
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(crypto_random_bytes(NULL, 0), 0);
    assert_int_equal(crypto_random_bytes(NULL, 1), -1);
}

/* ---- base64 -------------------------------------------------------------------- */

static const struct {
    const char *plain;
    const char *std;
    const char *url;
} rfc4648_vectors[] = {
    /* RFC 4648 section 10; the url form is the same text without padding. */
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_b64_rfc4648(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(rfc4648_vectors); i++) {
        const char *plain = rfc4648_vectors[i].plain;
        const char *std = rfc4648_vectors[i].std;
        const char *url = rfc4648_vectors[i].url;
        char enc[16];
        unsigned char dec[16];

        assert_int_equal(crypto_b64_encode(plain, strlen(plain), enc, sizeof enc),
                         (int)strlen(std));
        assert_string_equal(enc, std);
        assert_int_equal(crypto_b64_decode(std, strlen(std), dec, sizeof dec), (int)strlen(plain));
        assert_memory_equal(dec, plain, strlen(plain));

        assert_int_equal(crypto_b64url_encode(plain, strlen(plain), enc, sizeof enc),
                         (int)strlen(url));
        assert_string_equal(enc, url);
        assert_int_equal(crypto_b64url_decode(url, strlen(url), dec, sizeof dec),
                         (int)strlen(plain));
        assert_memory_equal(dec, plain, strlen(plain));
        /* The url decoder tolerates the padded form too. */
        assert_int_equal(crypto_b64url_decode(std, strlen(std), dec, sizeof dec),
                         (int)strlen(plain));
        assert_memory_equal(dec, plain, strlen(plain));
    }
}

static void test_b64_alphabets(void **state)
{
    static const unsigned char in[] = {0xfb, 0xff};
    unsigned char dec[4];
    char enc[8];

    assert_int_equal(crypto_b64_encode(in, sizeof in, enc, sizeof enc), 4);
    assert_string_equal(enc, "+/8=");
    assert_int_equal(crypto_b64url_encode(in, sizeof in, enc, sizeof enc), 3);
    assert_string_equal(enc, "-_8");

    assert_int_equal(crypto_b64_decode("+/8=", 4, dec, sizeof dec), 2);
    assert_memory_equal(dec, in, sizeof in);
    assert_int_equal(crypto_b64url_decode("-_8", 3, dec, sizeof dec), 2);
    assert_memory_equal(dec, in, sizeof in);

    /* Each decoder refuses the other's alphabet. */
    assert_int_equal(crypto_b64_decode("-_8=", 4, dec, sizeof dec), -1);
    assert_int_equal(crypto_b64url_decode("+/8", 3, dec, sizeof dec), -1);
}

static void test_b64_round_trip(void **state)
{
    unsigned char in[64], dec[64];
    char enc[96];
    size_t len;

    for (len = 0; len <= sizeof in; len++) {
        int n;

        assert_int_equal(crypto_random_bytes(in, len), 0);

        n = crypto_b64_encode(in, len, enc, sizeof enc);
        assert_int_equal(n, (int)((len + 2) / 3 * 4));
        assert_int_equal(strlen(enc), (size_t)n);
        assert_null(strchr(enc, '\n'));
        memset(dec, 0, sizeof dec);
        assert_int_equal(crypto_b64_decode(enc, (size_t)n, dec, sizeof dec), (int)len);
        assert_memory_equal(dec, in, len);

        n = crypto_b64url_encode(in, len, enc, sizeof enc);
        assert_int_equal(n, (int)((len * 4 + 2) / 3));
        assert_int_equal(strlen(enc), (size_t)n);
        assert_null(strpbrk(enc, "+/=\n"));
        memset(dec, 0, sizeof dec);
        assert_int_equal(crypto_b64url_decode(enc, (size_t)n, dec, sizeof dec), (int)len);
        assert_memory_equal(dec, in, len);
    }
}

static const struct {
    const char *in;
    int url; /* 1: base64url decoder, 0: standard */
} b64_invalid[] = {
    {"Z", 0},        /* one char carries no whole byte */
    {"Z", 1},        /* the same, url */
    {"Zm9vY", 1},    /* 4n+1 chars */
    {"Zg", 0},       /* standard requires padding */
    {"Zg=", 0},      /* padding short of a quantum */
    {"Zg=", 1},      /* the same, url */
    {"Zm8==", 1},    /* too much padding */
    {"Zg===", 1},    /* three pads */
    {"====", 0},     /* nothing but padding */
    {"=", 1},        /* a lone pad */
    {"Zm=v", 0},     /* padding in the middle */
    {"Zm=v", 1},     /* the same, url */
    {"Zm9v!A==", 0}, /* not in either alphabet */
    {"Zm9v!A", 1},   /* the same, url */
    {"Zm9 vA==", 0}, /* whitespace is not skipped */
    {"Zm9\nvA", 1},  /* nor are newlines */
    {"Zh==", 0},     /* stray bits after the last byte */
    {"Zh", 1},       /* the same, url */
    {"Zm9=", 0},     /* stray bits after a two-byte tail */
};

static void test_b64_rejects(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(b64_invalid); i++) {
        const char *in = b64_invalid[i].in;
        unsigned char dec[16];
        int n;

        n = b64_invalid[i].url ? crypto_b64url_decode(in, strlen(in), dec, sizeof dec)
                               : crypto_b64_decode(in, strlen(in), dec, sizeof dec);
        if (n != -1)
            print_message("accepted: \"%s\" (%s)\n", in, b64_invalid[i].url ? "url" : "std");
        assert_int_equal(n, -1);
    }
    /* A NUL inside the counted length is an invalid character, not an end. */
    {
        unsigned char dec[8];

        assert_int_equal(crypto_b64_decode("Zm\0v", 4, dec, sizeof dec), -1);
    }
}

static void test_b64_buffer_too_small(void **state)
{
    char enc[16];
    unsigned char dec[8];

    /* "foobar" needs 8 chars and a NUL. */
    assert_int_equal(crypto_b64_encode("foobar", 6, enc, 8), -1);
    assert_int_equal(crypto_b64_encode("foobar", 6, enc, 9), 8);
    /* unpadded "foob" is "Zm9vYg": 6 chars and a NUL. */
    assert_int_equal(crypto_b64url_encode("foob", 4, enc, 6), -1);
    assert_int_equal(crypto_b64url_encode("foob", 4, enc, 7), 6);
    assert_int_equal(crypto_b64_encode("", 0, enc, 0), -1);
    assert_int_equal(crypto_b64_encode("", 0, enc, 1), 0);

    assert_int_equal(crypto_b64_decode("Zm9vYmFy", 8, dec, 5), -1);
    assert_int_equal(crypto_b64_decode("Zm9vYmFy", 8, dec, 6), 6);
    assert_int_equal(crypto_b64_decode("Zm9vYg==", 8, dec, 3), -1);
    assert_int_equal(crypto_b64_decode("Zm9vYg==", 8, dec, 4), 4);
    assert_int_equal(crypto_b64url_decode("Zm9vYmE", 7, dec, 4), -1);
    assert_int_equal(crypto_b64url_decode("Zm9vYmE", 7, dec, 5), 5);
}

/* ---- constant-time comparisons ------------------------------------------------- */

static void test_ct_equal(void **state)
{
    static const unsigned char a[] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const unsigned char same[] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const unsigned char last[] = {1, 2, 3, 4, 5, 6, 7, 9};
    static const unsigned char first[] = {0, 2, 3, 4, 5, 6, 7, 8};

    assert_int_equal(crypto_ct_equal(a, same, sizeof a), 1);
    assert_int_equal(crypto_ct_equal(a, last, sizeof a), 0);
    assert_int_equal(crypto_ct_equal(a, first, sizeof a), 0);
    assert_int_equal(crypto_ct_equal(a, last, sizeof a - 1), 1);
    assert_int_equal(crypto_ct_equal(a, last, 0), 1);
    assert_int_equal(crypto_ct_equal(NULL, a, sizeof a), 0);
    assert_int_equal(crypto_ct_equal(a, NULL, sizeof a), 0);
    assert_int_equal(crypto_ct_equal(NULL, NULL, 0), 0);
}

static const struct {
    const char *a;
    const char *b;
    int equal;
} streq_cases[] = {
    {"secret", "secret", 1},
    {"", "", 1},
    {"secret", "secreT", 0}, /* last byte */
    {"secret", "Secret", 0}, /* first byte */
    {"secret", "secrets", 0},
    {"secrets", "secret", 0},
    {"secret", "", 0},
    {"", "secret", 0},
    {NULL, "secret", 0},
    {"secret", NULL, 0},
    {NULL, "", 0},
    {NULL, NULL, 0},
};

static void test_ct_streq(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(streq_cases); i++) {
        int got = crypto_ct_streq(streq_cases[i].a, streq_cases[i].b);

        if (got != streq_cases[i].equal)
            print_message("failing case %zu\n", i);
        assert_int_equal(got, streq_cases[i].equal);
    }
}

/* ---- API tokens ---------------------------------------------------------------- */

static void test_token_new(void **state)
{
    char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
    size_t i;

    assert_int_equal(crypto_token_new(a), 0);
    assert_int_equal(crypto_token_new(b), 0);
    assert_int_equal(strlen(a), CRYPTO_TOKEN_LEN);
    for (i = 0; i < CRYPTO_TOKEN_LEN; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
    assert_string_not_equal(a, b);
    assert_int_equal(crypto_token_well_formed(a), 1);
    assert_int_equal(crypto_token_well_formed(b), 1);
}

static const struct {
    const char *s;
    int ok;
} token_cases[] = {
    {"0123456789abcdef0123456789abcdef01234567", 1},
    {"ffffffffffffffffffffffffffffffffffffffff", 1},
    {"0123456789abcdef0123456789abcdef0123456", 0},   /* 39 chars */
    {"0123456789abcdef0123456789abcdef012345678", 0}, /* 41 chars */
    {"0123456789ABCDEF0123456789abcdef01234567", 0},  /* uppercase */
    {"0123456789abcdef0123456789abcdef0123456g", 0},  /* non-hex, last */
    {"0123456789abcdef 123456789abcdef01234567", 0},
    {"", 0},
    {NULL, 0},
};

static void test_token_well_formed(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(token_cases); i++) {
        int got = crypto_token_well_formed(token_cases[i].s);

        if (got != token_cases[i].ok)
            print_message("failing case %zu\n", i);
        assert_int_equal(got, token_cases[i].ok);
    }
}

static void test_token_hash(void **state)
{
    char hex[CRYPTO_SHA256_HEX_LEN + 1];

    /* printf %s 0123456789abcdef0123456789abcdef01234567 | sha256sum */
    crypto_token_hash("0123456789abcdef0123456789abcdef01234567", hex);
    assert_string_equal(hex, "deb87fabd17715bb31ad4cf4ffb9494eeb15f8d33d85b031a301c64ab3417eaa");

    crypto_token_hash(NULL, hex);
    assert_string_equal(hex, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_hmac_sha256_rfc4231),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_b64_rfc4648),
        cmocka_unit_test(test_b64_alphabets),
        cmocka_unit_test(test_b64_round_trip),
        cmocka_unit_test(test_b64_rejects),
        cmocka_unit_test(test_b64_buffer_too_small),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_ct_streq),
        cmocka_unit_test(test_token_new),
        cmocka_unit_test(test_token_well_formed),
        cmocka_unit_test(test_token_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
