/* token_cache: a short-lived, bounded cache of authenticated tokens, so the requests of
 * a busy dashboard do not each cost a database round trip. An entry lives at most
 * STATUSHAWK_TOKEN_CACHE_SECONDS (default 2; 0 turns the cache off). Logging out forgets
 * the token in this process at once; another api replica may accept it until its own
 * entry expires — the bound on how long a revoked token can outlive its revocation. */
#ifndef STATUSHAWK_API_TOKEN_CACHE_H
#define STATUSHAWK_API_TOKEN_CACHE_H

struct auth_user;

void token_cache_configure(int ttl_seconds);

/* 1 and *user filled when token_hash is cached and fresh; 0 otherwise. */
int token_cache_get(const char *token_hash, struct auth_user *user);

/* Caches user under user->token_hash. */
void token_cache_put(const struct auth_user *user);

/* Drops token_hash from the cache. */
void token_cache_forget(const char *token_hash);

#endif
