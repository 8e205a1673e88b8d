/* targets: the servers the runner's integration tests point monitors at, all on
 * 127.0.0.1 free ports, each run by its own thread:
 *
 *  - an HTTP(S) target (libevent evhttp; HTTPS through bufferevent_openssl) whose
 *    answer per path the test sets: status, a delay or a repeating pattern of delays, a
 *    Location header, a body sent slowly in chunks; it records how often each path was
 *    hit and the last request (method, User-Agent, X-Test header, body);
 *  - a TCP target that accepts and holds connections (an open port) or resets them;
 *  - certificates made at test time with the openssl command line tool: a CA, and leaf
 *    certificates for 127.0.0.1/localhost that are valid, expired, or about to expire,
 *    plus a self-signed one.
 */
#ifndef STATUSHAWK_TESTS_INTEGRATION_TARGETS_H
#define STATUSHAWK_TESTS_INTEGRATION_TARGETS_H

#include <stddef.h>

#define TARGET_MAX_DELAYS 8

struct target_route {
    int status;                       /* 0: 200 */
    int delays_ms[TARGET_MAX_DELAYS]; /* used in turn, one per request */
    int ndelays;
    const char *location; /* adds a Location header (redirects) */
    int slow_body_ms;     /* > 0: send the body one chunk every this often, for ever */
};

struct target_request {
    char method[16];
    char user_agent[128];
    char x_test[128];
    char body[256];
};

struct target;

/* Starts a target on a free port; cert/key (PEM files) make it HTTPS. Fails the test
 * when it cannot. */
struct target *target_http_start(void);
struct target *target_https_start(const char *cert_path, const char *key_path);
int target_port(const struct target *t);
/* "http://127.0.0.1:<port><path>" (or https). New string. */
char *target_url(const struct target *t, const char *path);
/* Sets how path is answered (copied; location must stay valid). Unknown paths get 200. */
void target_route(struct target *t, const char *path, const struct target_route *route);
/* Requests received for path so far. */
unsigned target_hits(struct target *t, const char *path);
/* The last request for path (zeroed when none). */
void target_last_request(struct target *t, const char *path, struct target_request *out);
void target_stop(struct target *t);

/* A TCP port that accepts (and keeps) connections, or resets each one (SO_LINGER 0). */
struct tcp_target;
struct tcp_target *tcp_target_start(int reset);
int tcp_target_port(const struct tcp_target *t);
unsigned tcp_target_accepted(struct tcp_target *t);
void tcp_target_stop(struct tcp_target *t);

/* Certificates, made once per process in a temporary directory. Paths are borrowed. */
struct test_certs {
    char dir[128];
    char ca[192];                            /* the CA certificate (RUNNER_CA_BUNDLE) */
    char valid_crt[192], valid_key[192];     /* 365 days, signed by the CA */
    char soon_crt[192], soon_key[192];       /* 5 days left: the 7-day alert level */
    char expired_crt[192], expired_key[192]; /* expired a day ago */
    char self_crt[192], self_key[192];       /* self-signed, 30 days */
};
const struct test_certs *test_certs(void);
void test_certs_cleanup(void);

#endif
