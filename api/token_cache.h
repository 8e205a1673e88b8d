/* token_cache: a short-lived, bounded cache of authenticated tokens, so the requests of
 * a busy dashboard do not each cost a database round trip. An entry lives at most
 * STATUSHAWK_TOKEN_CACHE_SECONDS (default 5; 0 turns the cache off).
 *
 * Revocation is immediate everywhere: logout deletes the token and NOTIFYs
 * TOKEN_CACHE_CHANNEL in the same statement; every worker of every api replica LISTENs on
 * its connection and, before it trusts a cached entry, drains the notifications that have
 * arrived. A worker whose connection is down does not use the cache at all, and one that
 * reconnected (and may have missed notifications) empties it. */
#ifndef STATUSHAWK_API_TOKEN_CACHE_H
#define STATUSHAWK_API_TOKEN_CACHE_H

struct auth_user;
struct worker;

#define TOKEN_CACHE_CHANNEL "statushawk_token_revoked"

void token_cache_configure(int ttl_seconds);

/* 1 and *user filled when token_hash is cached, fresh and not revoked as far as w's
 * database connection knows; 0 otherwise. */
int token_cache_get(struct worker *w, const char *token_hash, struct auth_user *user);

/* Caches user under user->token_hash. */
void token_cache_put(const struct auth_user *user);

/* Drops token_hash from the cache. */
void token_cache_forget(const char *token_hash);

#endif
