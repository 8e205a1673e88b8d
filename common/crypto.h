/* crypto: the primitives StatusHawk builds on, all on OpenSSL's libcrypto.
 * Nothing here allocates; callers pass buffers of the sizes named below. */
#ifndef STATUSHAWK_COMMON_CRYPTO_H
#define STATUSHAWK_COMMON_CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA256_HEX_LEN 64 /* plus one byte for the NUL */

/* API tokens: 20 random bytes shown to the user once as 40 lowercase hex chars. */
#define CRYPTO_TOKEN_LEN 40

/* Fills buf with len bytes from the OS CSPRNG. Returns 0, or -1 on failure. */
int crypto_random_bytes(void *buf, size_t len);

/* Writes 2*len lowercase hex chars and a NUL to out (room for 2*len+1). */
void crypto_hex_encode(const void *in, size_t len, char *out);

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[CRYPTO_SHA256_LEN]);

/* Base64 with the standard alphabet and '=' padding (Django's password format).
 * Encode returns the length written (NUL added), or -1 when outsize is too small.
 * Decode returns the number of bytes written, or -1 on malformed input or no room. */
int crypto_b64_encode(const void *in, size_t len, char *out, size_t outsize);
int crypto_b64_decode(const char *in, size_t len, void *out, size_t outsize);

/* Base64url without padding (RFC 4648 section 5); decode also accepts padding. */
int crypto_b64url_encode(const void *in, size_t len, char *out, size_t outsize);
int crypto_b64url_decode(const char *in, size_t len, void *out, size_t outsize);

/* Constant-time comparisons: the time taken depends only on the lengths.
 * Return 1 when equal, 0 otherwise. */
int crypto_ct_equal(const void *a, const void *b, size_t len);
int crypto_ct_streq(const char *a, const char *b);

/* Writes a new random API token (CRYPTO_TOKEN_LEN hex chars + NUL). 0 or -1. */
int crypto_token_new(char out[CRYPTO_TOKEN_LEN + 1]);
/* 1 when s is exactly CRYPTO_TOKEN_LEN lowercase hex chars. */
int crypto_token_well_formed(const char *s);
/* The form a token is stored in: SHA-256 of its text, as hex. */
void crypto_token_hash(const char *token, char out[CRYPTO_SHA256_HEX_LEN + 1]);

#endif
