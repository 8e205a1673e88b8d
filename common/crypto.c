/* crypto: hashing, MACs, randomness, base64 and API tokens on OpenSSL's libcrypto. */
#include "common/crypto.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SHA256_BLOCK_LEN 64
#define TOKEN_BYTES (CRYPTO_TOKEN_LEN / 2)

static const char b64_std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The digest functions return void, so a libcrypto failure (only possible when it
 * cannot allocate or has no SHA-256 provider) cannot be reported. Handing back an
 * unset buffer instead would make different inputs hash alike, and a token check
 * would then accept anything, so the process stops here. */
static void crypto_fail(void)
{
    abort();
}

int crypto_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;

    if (buf == NULL && len > 0)
        return -1;
    /* RAND_bytes counts in int; feed it in pieces so any size_t is honoured. */
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;

        if (RAND_bytes(p, chunk) != 1)
            return -1;
        p += chunk;
        len -= (size_t)chunk;
    }
    return 0;
}

void crypto_hex_encode(const void *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned int outlen = 0;

    if (data == NULL)
        data = "";
    if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 || outlen != CRYPTO_SHA256_LEN)
        crypto_fail();
}

void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    unsigned char digest[CRYPTO_SHA256_LEN];

    crypto_sha256(data, len, digest);
    crypto_hex_encode(digest, sizeof digest, out);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
    size_t outlen = 0;

    /* OpenSSL reads a NULL key as "keep the previous key", which a fresh context does
     * not have; an empty key is a valid (if useless) HMAC key, so point at one. */
    if (key == NULL || keylen == 0) {
        key = "";
        keylen = 0;
    }
    if (data == NULL)
        data = "";
    /* EVP_Q_mac takes size_t lengths, unlike HMAC(), whose key length is an int. */
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, data, len, out,
                  CRYPTO_SHA256_LEN, &outlen) == NULL ||
        outlen != CRYPTO_SHA256_LEN)
        crypto_fail();
}

/* Shared by both alphabets: pad selects the standard '='-padded form. */
static int b64_encode(const unsigned char *in, size_t len, char *out, size_t outsize,
                      const char *alphabet, int pad)
{
    size_t full = len / 3;
    size_t rem = len % 3;
    size_t need, i, o = 0;

    if (in == NULL && len > 0)
        return -1;
    /* The length written is returned as an int, so that is the ceiling. */
    if (full > ((size_t)INT_MAX - 4) / 4)
        return -1;
    need = full * 4 + (rem == 0 ? 0 : pad ? 4 : rem + 1);
    if (out == NULL || outsize < need + 1)
        return -1;

    for (i = 0; i < full * 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

        out[o++] = alphabet[v >> 18 & 0x3f];
        out[o++] = alphabet[v >> 12 & 0x3f];
        out[o++] = alphabet[v >> 6 & 0x3f];
        out[o++] = alphabet[v & 0x3f];
    }
    if (rem > 0) {
        uint32_t v = (uint32_t)in[i] << 16 | (rem == 2 ? (uint32_t)in[i + 1] << 8 : 0);

        out[o++] = alphabet[v >> 18 & 0x3f];
        out[o++] = alphabet[v >> 12 & 0x3f];
        if (rem == 2)
            out[o++] = alphabet[v >> 6 & 0x3f];
        else if (pad)
            out[o++] = '=';
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return (int)o;
}

/* The 6-bit value of c, or -1 when c is not in the alphabet whose last two
 * characters are c62 and c63. */
static int b64_value(unsigned char c, char c62, char c63)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (unsigned char)c62)
        return 62;
    if (c == (unsigned char)c63)
        return 63;
    return -1;
}

/* Decodes len characters with any padding already removed. */
static int b64_decode_body(const char *in, size_t len, unsigned char *out, size_t outsize, char c62,
                           char c63)
{
    size_t rem = len % 4;
    size_t need, i, o = 0;
    int v[4];

    /* One character left over carries only 6 bits: no byte string encodes that way. */
    if (rem == 1)
        return -1;
    if (len / 4 > (size_t)INT_MAX / 3 - 1)
        return -1;
    need = len / 4 * 3 + (rem == 0 ? 0 : rem - 1);
    if (need > outsize || (out == NULL && need > 0))
        return -1;

    for (i = 0; i + 4 <= len; i += 4) {
        int k;

        for (k = 0; k < 4; k++) {
            v[k] = b64_value((unsigned char)in[i + k], c62, c63);
            if (v[k] < 0)
                return -1;
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
        out[o++] = (unsigned char)((v[2] & 0x03) << 6 | v[3]);
    }
    if (rem > 0) {
        size_t k;

        for (k = 0; k < rem; k++) {
            v[k] = b64_value((unsigned char)in[i + k], c62, c63);
            if (v[k] < 0)
                return -1;
        }
        /* The bits past the last whole byte must be zero; otherwise several texts
         * would decode to the same bytes and the encoding would not be canonical. */
        if ((rem == 2 && (v[1] & 0x0f) != 0) || (rem == 3 && (v[2] & 0x03) != 0))
            return -1;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (rem == 3)
            out[o++] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
    }
    return (int)o;
}

/* need_pad: padding is mandatory (standard base64); otherwise it is optional, but when
 * present it must be exactly what the standard form would carry. */
static int b64_decode(const char *in, size_t len, void *out, size_t outsize, char c62, char c63,
                      int need_pad)
{
    size_t pads = 0;
    size_t body;

    if (in == NULL && len > 0)
        return -1;
    while (pads < len && pads < 3 && in[len - 1 - pads] == '=')
        pads++;
    body = len - pads;
    if (need_pad || pads > 0) {
        if (len % 4 != 0 || pads != (4 - body % 4) % 4)
            return -1;
    }
    return b64_decode_body(in, body, out, outsize, c62, c63);
}

int crypto_b64_encode(const void *in, size_t len, char *out, size_t outsize)
{
    return b64_encode(in, len, out, outsize, b64_std_alphabet, 1);
}

int crypto_b64_decode(const char *in, size_t len, void *out, size_t outsize)
{
    return b64_decode(in, len, out, outsize, '+', '/', 1);
}

int crypto_b64url_encode(const void *in, size_t len, char *out, size_t outsize)
{
    return b64_encode(in, len, out, outsize, b64_url_alphabet, 0);
}

int crypto_b64url_decode(const char *in, size_t len, void *out, size_t outsize)
{
    return b64_decode(in, len, out, outsize, '-', '_', 0);
}

int crypto_ct_equal(const void *a, const void *b, size_t len)
{
    /* NULL is a caller's "no value": it equals nothing, not even another NULL. */
    if (a == NULL || b == NULL)
        return 0;
    return CRYPTO_memcmp(a, b, len) == 0;
}

int crypto_ct_streq(const char *a, const char *b)
{
    size_t la, lb;
    int same;

    if (a == NULL || b == NULL)
        return 0;
    la = strlen(a);
    lb = strlen(b);
    /* The common prefix is compared in full even when the lengths differ, and the two
     * results are combined without branching, so the work depends on lengths alone. */
    same = CRYPTO_memcmp(a, b, la < lb ? la : lb) == 0;
    return same & (la == lb);
}

int crypto_token_new(char out[CRYPTO_TOKEN_LEN + 1])
{
    unsigned char raw[TOKEN_BYTES];
    int rc = -1;

    out[0] = '\0';
    if (crypto_random_bytes(raw, sizeof raw) != 0)
        goto out;
    crypto_hex_encode(raw, sizeof raw, out);
    rc = 0;
out:
    OPENSSL_cleanse(raw, sizeof raw);
    return rc;
}

int crypto_token_well_formed(const char *s)
{
    size_t i;

    if (s == NULL)
        return 0;
    /* Stops at the first non-hex byte, the NUL included, so a short string is never
     * read past its end. */
    for (i = 0; i < CRYPTO_TOKEN_LEN; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return s[CRYPTO_TOKEN_LEN] == '\0';
}

void crypto_token_hash(const char *token, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    /* No token has no hash: an empty string matches no stored one. */
    if (token == NULL) {
        out[0] = '\0';
        return;
    }
    crypto_sha256_hex(token, strlen(token), out);
}
