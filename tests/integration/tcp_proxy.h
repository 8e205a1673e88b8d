/* tcp_proxy: a TCP forwarder on a loopback port, run by its own thread (poll-based), that a
 * test can cut — every open connection closed and the port refusing new ones — and
 * restore on the same port. Put it between the api and PostgreSQL to take the database
 * away and bring it back without touching the cluster.
 *
 * All sockets are close-on-exec, so processes the test starts do not inherit them. */
#ifndef STATUSHAWK_TESTS_INTEGRATION_TCP_PROXY_H
#define STATUSHAWK_TESTS_INTEGRATION_TCP_PROXY_H

struct tcp_proxy;

/* Listens on 127.0.0.1:<free port> and forwards each connection to target_host (an IPv4
 * or IPv6 literal, or a name) : target_port. New proxy, or NULL (errno-style message on
 * stderr). */
struct tcp_proxy *tcp_proxy_start(const char *target_host, int target_port);
int tcp_proxy_port(const struct tcp_proxy *p);
/* Closes every connection and the listening socket; returns when that is done. */
int tcp_proxy_cut(struct tcp_proxy *p);
/* Keeps every connection open but forwards nothing, and accepts nothing more (the
 * kernel still completes handshakes into the backlog): a server that hangs, or a
 * network that drops everything. */
int tcp_proxy_stall(struct tcp_proxy *p);
/* Ends a cut or a stall: listens again on the same port (after a cut) and forwards
 * again; returns when it accepts. 0 or -1. */
int tcp_proxy_restore(struct tcp_proxy *p);
/* Connections accepted so far (forwarded or not). */
unsigned tcp_proxy_accepted(const struct tcp_proxy *p);
/* Stops the thread, closes everything, frees p. NULL is fine. */
void tcp_proxy_stop(struct tcp_proxy *p);
/* Stops every proxy still running (the harness's per-test teardown calls it). */
void tcp_proxy_stop_all(void);

#endif
