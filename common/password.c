/* password: Django's pbkdf2_sha256 format, so that accounts move between the two
 * without a reset. */
#include "common/password.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/crypto.h"

#define ALGORITHM "pbkdf2_sha256"
#define DK_LEN 32
#define DK_B64_LEN 44 /* 4 * ceil(32 / 3) */
#define SALT_NEW_LEN 22
#define SALT_MAX 128
/* PASSWORD_MAX_ITERATIONS has nine digits; a longer field is out of range before it
 * is converted, so the conversion cannot overflow. */
#define ITERATIONS_DIGITS_MAX 9
#define SALT_ALPHABET "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define SALT_ALPHABET_LEN 62
/* Random bytes at or above 4 * 62 are dropped so every character is equally likely. */
#define SALT_BYTE_LIMIT (4 * SALT_ALPHABET_LEN)
/* About 3% of bytes are dropped, so one pool nearly always suffices; a generator that
 * keeps failing this many rounds is broken and the hash is refused. */
#define SALT_ROUNDS_MAX 16

_Static_assert(PASSWORD_MAX_ITERATIONS <= 999999999, "iteration field is at most nine digits");
_Static_assert(PASSWORD_MAX_ITERATIONS <= INT_MAX, "PKCS5_PBKDF2_HMAC counts in int");

/* A stored hash, split up. The salt is borrowed from the encoded string and is not
 * NUL-terminated. */
struct pbkdf2_hash {
    unsigned iterations;
    const char *salt;
    size_t salt_len;
    unsigned char dk[DK_LEN];
};

/* Salts are whatever Django would have written between two '$': printable ASCII
 * other than space and '$', so the encoded hash stays one token wherever it is shown. */
static int salt_valid(const char *salt, size_t len)
{
    size_t i;

    if (len == 0 || len > SALT_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)salt[i];

        if (c < 0x21 || c > 0x7e || c == '$')
            return 0;
    }
    return 1;
}

static int iterations_valid(unsigned long iterations)
{
    return iterations >= 1 && iterations <= PASSWORD_MAX_ITERATIONS;
}

/* Canonical decimal only: no sign, no leading zero, no spaces. */
static int parse_iterations(const char *s, size_t len, unsigned *out)
{
    unsigned long v = 0;
    size_t i;

    if (len == 0 || len > ITERATIONS_DIGITS_MAX || s[0] == '0')
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (!iterations_valid(v))
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int hash_parse(const char *encoded, struct pbkdf2_hash *h)
{
    const char *iter, *salt, *dk;
    size_t alg_len = sizeof ALGORITHM - 1;

    if (encoded == NULL)
        return -1;
    if (strncmp(encoded, ALGORITHM, alg_len) != 0 || encoded[alg_len] != '$')
        return -1;
    iter = encoded + alg_len + 1;
    salt = strchr(iter, '$');
    if (salt == NULL)
        return -1;
    salt++;
    dk = strchr(salt, '$');
    if (dk == NULL)
        return -1;
    dk++;

    if (parse_iterations(iter, (size_t)(salt - 1 - iter), &h->iterations) != 0)
        return -1;
    h->salt = salt;
    h->salt_len = (size_t)(dk - 1 - salt);
    if (!salt_valid(h->salt, h->salt_len))
        return -1;
    /* A '$' in the last field, or any length other than 32 bytes, fails here. */
    if (crypto_b64_decode(dk, strlen(dk), h->dk, sizeof h->dk) != DK_LEN)
        return -1;
    return 0;
}

static int derive(const char *password, const char *salt, size_t salt_len, unsigned iterations,
                  unsigned char dk[DK_LEN])
{
    size_t pw_len = strlen(password);

    /* Long passwords cost nothing extra: HMAC hashes the key once, not per round. */
    if (pw_len > INT_MAX)
        return -1;
    if (PKCS5_PBKDF2_HMAC(password, (int)pw_len, (const unsigned char *)salt, (int)salt_len,
                          (int)iterations, EVP_sha256(), DK_LEN, dk) != 1)
        return -1;
    return 0;
}

static int salt_new(char out[SALT_NEW_LEN + 1])
{
    static const char alphabet[] = SALT_ALPHABET;
    unsigned char pool[32];
    size_t n = 0, i;
    int rounds, rc = -1;

    _Static_assert(sizeof alphabet - 1 == SALT_ALPHABET_LEN, "salt alphabet length");
    for (rounds = 0; rounds < SALT_ROUNDS_MAX && n < SALT_NEW_LEN; rounds++) {
        if (crypto_random_bytes(pool, sizeof pool) != 0)
            goto out;
        for (i = 0; i < sizeof pool && n < SALT_NEW_LEN; i++) {
            if (pool[i] < SALT_BYTE_LIMIT)
                out[n++] = alphabet[pool[i] % SALT_ALPHABET_LEN];
        }
    }
    if (n < SALT_NEW_LEN)
        goto out;
    out[n] = '\0';
    rc = 0;
out:
    OPENSSL_cleanse(pool, sizeof pool);
    return rc;
}

int password_hash_with_salt(const char *password, const char *salt, unsigned iterations, char *out,
                            size_t outsize)
{
    unsigned char dk[DK_LEN];
    char dk_b64[DK_B64_LEN + 1];
    int n, rc = -1;

    if (out == NULL || outsize == 0)
        return -1;
    out[0] = '\0';
    if (password == NULL || salt == NULL || !salt_valid(salt, strlen(salt)) ||
        !iterations_valid(iterations))
        return -1;
    if (derive(password, salt, strlen(salt), iterations, dk) != 0)
        goto out;
    if (crypto_b64_encode(dk, sizeof dk, dk_b64, sizeof dk_b64) != DK_B64_LEN)
        goto out;
    n = snprintf(out, outsize, "%s$%u$%s$%s", ALGORITHM, iterations, salt, dk_b64);
    if (n < 0 || (size_t)n >= outsize) {
        out[0] = '\0';
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(dk, sizeof dk);
    OPENSSL_cleanse(dk_b64, sizeof dk_b64);
    return rc;
}

int password_hash(const char *password, unsigned iterations, char *out, size_t outsize)
{
    char salt[SALT_NEW_LEN + 1];

    if (out != NULL && outsize > 0)
        out[0] = '\0';
    if (salt_new(salt) != 0)
        return -1;
    return password_hash_with_salt(password, salt, iterations, out, outsize);
}

int password_verify(const char *password, const char *encoded)
{
    struct pbkdf2_hash stored;
    unsigned char dk[DK_LEN];
    int ok = 0;

    memset(&stored, 0, sizeof stored);
    memset(dk, 0, sizeof dk);
    if (password == NULL || hash_parse(encoded, &stored) != 0)
        goto out;
    if (derive(password, stored.salt, stored.salt_len, stored.iterations, dk) != 0)
        goto out;
    ok = crypto_ct_equal(dk, stored.dk, DK_LEN);
out:
    OPENSSL_cleanse(dk, sizeof dk);
    OPENSSL_cleanse(&stored, sizeof stored);
    return ok;
}

unsigned password_iterations(const char *encoded)
{
    struct pbkdf2_hash h;
    unsigned iterations = 0;

    if (hash_parse(encoded, &h) == 0)
        iterations = h.iterations;
    OPENSSL_cleanse(&h, sizeof h);
    return iterations;
}
