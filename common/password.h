/* password: Django-compatible PBKDF2-SHA256 hashes,
 * "pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte derived key>". */
#ifndef STATUSHAWK_COMMON_PASSWORD_H
#define STATUSHAWK_COMMON_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 256             /* room for any hash this module writes */
#define PASSWORD_DEFAULT_ITERATIONS 600000
#define PASSWORD_MAX_ITERATIONS 100000000 /* refuse stored hashes claiming more */

/* Hashes password with a fresh 22-char alphanumeric salt (Django's default length).
 * Returns 0, or -1 when randomness fails or outsize is too small. */
int password_hash(const char *password, unsigned iterations, char *out, size_t outsize);

/* The same with a caller-chosen salt (alphanumeric, no '$'); for tests and migrations. */
int password_hash_with_salt(const char *password, const char *salt, unsigned iterations,
                            char *out, size_t outsize);

/* 1 when password matches encoded, 0 when it does not or encoded is malformed.
 * Honours whatever iteration count the stored hash names. Constant-time compare. */
int password_verify(const char *password, const char *encoded);

/* The iteration count named in encoded, or 0 when it is not a pbkdf2_sha256 hash. */
unsigned password_iterations(const char *encoded);

#endif
