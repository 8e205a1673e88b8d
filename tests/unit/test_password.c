/* Unit tests for common/password, against hashes made by Django itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/password.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* "lètmein" in UTF-8, hashed with salt "seasalt"; both from Django's test suite
 * (tests/auth_tests/test_hashers.py). */
#define DJANGO_PASSWORD "l\xc3\xa8tmein"
#define DJANGO_HASH_20K "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0="
#define DJANGO_HASH_1M "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps="

/* Cheap enough to run often, still more than one round. */
#define TEST_ITERATIONS 1000

static void test_verify_django_hashes(void **state)
{
    assert_int_equal(password_verify(DJANGO_PASSWORD, DJANGO_HASH_20K), 1);
    assert_int_equal(password_verify(DJANGO_PASSWORD, DJANGO_HASH_1M), 1);
    assert_int_equal(password_verify(DJANGO_PASSWORD "z", DJANGO_HASH_20K), 0);
    assert_int_equal(password_verify("letmein", DJANGO_HASH_20K), 0);
    assert_int_equal(password_verify("", DJANGO_HASH_20K), 0);
}

static void test_hash_with_salt_matches_django(void **state)
{
    char out[PASSWORD_HASH_MAX];

    assert_int_equal(password_hash_with_salt(DJANGO_PASSWORD, "seasalt", 20000, out, sizeof out),
                     0);
    assert_string_equal(out, DJANGO_HASH_20K);
}

static void test_hash_with_salt_rejects(void **state)
{
    char out[PASSWORD_HASH_MAX];
    /* The exact length of the 20000-round hash, so one byte less cannot hold its NUL. */
    size_t need = strlen(DJANGO_HASH_20K) + 1;

    assert_int_equal(password_hash_with_salt(DJANGO_PASSWORD, "seasalt", 20000, out, need), 0);
    assert_int_equal(password_hash_with_salt(DJANGO_PASSWORD, "seasalt", 20000, out, need - 1), -1);
    assert_string_equal(out, "");
    assert_int_equal(password_hash_with_salt("pw", "", TEST_ITERATIONS, out, sizeof out), -1);
    assert_int_equal(password_hash_with_salt("pw", "a$b", TEST_ITERATIONS, out, sizeof out), -1);
    assert_int_equal(password_hash_with_salt("pw", NULL, TEST_ITERATIONS, out, sizeof out), -1);
    assert_int_equal(password_hash_with_salt(NULL, "salt", TEST_ITERATIONS, out, sizeof out), -1);
    assert_int_equal(password_hash_with_salt("pw", "salt", 0, out, sizeof out), -1);
    assert_int_equal(
        password_hash_with_salt("pw", "salt", PASSWORD_MAX_ITERATIONS + 1u, out, sizeof out), -1);
}

/* Checks the shape "pbkdf2_sha256$<iterations>$<22 alnum>$<44 chars>". */
static void assert_fresh_hash_shape(const char *hash, const char *iterations)
{
    const char *salt, *dk;
    size_t i;
    char prefix[64];

    snprintf(prefix, sizeof prefix, "pbkdf2_sha256$%s$", iterations);
    assert_int_equal(strncmp(hash, prefix, strlen(prefix)), 0);
    salt = hash + strlen(prefix);
    dk = strchr(salt, '$');
    assert_non_null(dk);
    assert_int_equal(dk - salt, 22);
    for (i = 0; i < 22; i++)
        assert_true(isalnum((unsigned char)salt[i]));
    assert_int_equal(strlen(dk + 1), 44);
}

static void test_hash_fresh(void **state)
{
    char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

    assert_int_equal(password_hash("correct horse", TEST_ITERATIONS, a, sizeof a), 0);
    assert_int_equal(password_hash("correct horse", TEST_ITERATIONS, b, sizeof b), 0);
    assert_fresh_hash_shape(a, "1000");
    assert_fresh_hash_shape(b, "1000");
    assert_string_not_equal(a, b);
    assert_int_equal(password_iterations(a), TEST_ITERATIONS);
    assert_int_equal(password_verify("correct horse", a), 1);
    assert_int_equal(password_verify("correct horse", b), 1);
    assert_int_equal(password_verify("correct horsf", a), 0);

    assert_int_equal(password_hash("pw", TEST_ITERATIONS, a, 20), -1);
    assert_int_equal(password_hash("pw", 0, a, sizeof a), -1);
}

static const char *const malformed[] = {
    "pbkdf2_sha1$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256x$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "PBKDF2_SHA256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$abc",
    "pbkdf2_sha256",
    "pbkdf2_sha256$",
    "pbkdf2_sha256$20000",
    "pbkdf2_sha256$20000$seasalt",
    "pbkdf2_sha256$20000$seasalt$",
    "pbkdf2_sha256$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$0$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$-5$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$+20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$ 20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$020000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$12a$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$99999999999999$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$18446744073709571616$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$100000001$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$20000$$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    "pbkdf2_sha256$20000$sea salt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
    /* 31 bytes, 34 bytes, unpadded, bad character, an extra field */
    "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9g==",
    "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0AAA==",
    "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0",
    "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r!=",
    "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=$x",
    "",
    NULL,
};

static void test_verify_malformed(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(malformed); i++) {
        int verified = password_verify(DJANGO_PASSWORD, malformed[i]);
        unsigned iterations = password_iterations(malformed[i]);

        if (verified != 0 || iterations != 0)
            print_message("accepted: %s\n", malformed[i] ? malformed[i] : "(null)");
        assert_int_equal(verified, 0);
        assert_int_equal(iterations, 0);
    }
    assert_int_equal(password_verify(NULL, DJANGO_HASH_20K), 0);
}

static void test_iterations(void **state)
{
    assert_int_equal(password_iterations(DJANGO_HASH_20K), 20000);
    assert_int_equal(password_iterations(DJANGO_HASH_1M), 1000000);
    assert_int_equal(password_iterations("pbkdf2_sha1$20000$seasalt$abc="), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_django_hashes),
        cmocka_unit_test(test_hash_with_salt_matches_django),
        cmocka_unit_test(test_hash_with_salt_rejects),
        cmocka_unit_test(test_hash_fresh),
        cmocka_unit_test(test_verify_malformed),
        cmocka_unit_test(test_iterations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
