/* tcp_proxy: see tcp_proxy.h.
 *
 * One thread owns every socket. The test talks to it through a pipe: one command byte
 * ('c' cut, 's' stall, 'r' restore, 'q' quit) answered by one status byte on a second
 * pipe, so each call returns only once the thread has done the work. */
#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROXY_BUF 65536
#define PROXY_MAX_CONNS 256
#define PROXY_MAX 8

/* One forwarded connection: client <-> upstream, a buffer per direction. */
struct conn {
    int fd[2];              /* 0 client, 1 upstream */
    char buf[2][PROXY_BUF]; /* buf[i]: read from fd[i], to be written to fd[1-i] */
    size_t len[2], off[2];
    int eof[2]; /* fd[i] has sent EOF */
};

struct tcp_proxy {
    pthread_t thread;
    int port;
    int listen_fd; /* -1 while cut */
    int stalled;   /* nothing forwarded, nothing accepted */
    int cmd[2];    /* test -> thread */
    int ack[2];    /* thread -> test */
    struct sockaddr_storage target;
    socklen_t target_len;
    struct conn *conns[PROXY_MAX_CONNS];
    atomic_uint accepted;
};

static struct tcp_proxy *g_proxies[PROXY_MAX];
static pthread_mutex_t g_proxies_lock = PTHREAD_MUTEX_INITIALIZER;

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int listen_on(int port, int *out_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    if (out_port)
        *out_port = ntohs(sa.sin_port);
    return fd;
}

static void conn_close(struct tcp_proxy *p, int i)
{
    struct conn *c = p->conns[i];
    if (!c)
        return;
    for (int k = 0; k < 2; k++) {
        if (c->fd[k] >= 0) {
            /* An abortive close (RST), as when a server dies. */
            struct linger lg = {1, 0};
            setsockopt(c->fd[k], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            close(c->fd[k]);
        }
    }
    free(c);
    p->conns[i] = NULL;
}

static void accept_one(struct tcp_proxy *p)
{
    int cfd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (cfd < 0)
        return;
    atomic_fetch_add(&p->accepted, 1);
    int slot = -1;
    for (int i = 0; i < PROXY_MAX_CONNS; i++) {
        if (!p->conns[i]) {
            slot = i;
            break;
        }
    }
    int ufd = socket(p->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* A blocking connect: the target is a local server, it answers at once. */
    if (slot < 0 || ufd < 0 || connect(ufd, (struct sockaddr *)&p->target, p->target_len) != 0 ||
        set_nonblock(ufd) != 0) {
        if (ufd >= 0)
            close(ufd);
        close(cfd);
        return;
    }
    int one = 1;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(ufd);
        close(cfd);
        return;
    }
    c->fd[0] = cfd;
    c->fd[1] = ufd;
    p->conns[slot] = c;
}

/* Moves data for connection i after poll reported revents for its two fds.
 * Returns -1 when the connection is finished and should be closed. */
static int pump(struct conn *c, const short revents[2])
{
    for (int k = 0; k < 2; k++) {
        if ((revents[k] & (POLLIN | POLLHUP | POLLERR)) && !c->eof[k] && c->len[k] == 0) {
            ssize_t n = read(c->fd[k], c->buf[k], PROXY_BUF);
            if (n > 0) {
                c->len[k] = (size_t)n;
                c->off[k] = 0;
            } else if (n == 0) {
                c->eof[k] = 1;
                shutdown(c->fd[1 - k], SHUT_WR);
            } else if (errno != EAGAIN && errno != EINTR) {
                return -1;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        if (c->len[k] > c->off[k]) {
            ssize_t n = write(c->fd[1 - k], c->buf[k] + c->off[k], c->len[k] - c->off[k]);
            if (n > 0) {
                c->off[k] += (size_t)n;
                if (c->off[k] == c->len[k])
                    c->len[k] = c->off[k] = 0;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                return -1;
            }
        }
    }
    if (c->eof[0] && c->eof[1] && c->len[0] == 0 && c->len[1] == 0)
        return -1;
    /* A side that hung up after its EOF can take nothing more: done (and poll would
     * otherwise report the hang-up again at once, forever). */
    for (int k = 0; k < 2; k++)
        if ((revents[k] & (POLLHUP | POLLERR)) && c->eof[k] && c->len[k] == 0)
            return -1;
    return 0;
}

static void *proxy_main(void *arg)
{
    struct tcp_proxy *p = arg;
    struct pollfd pfd[2 + 2 * PROXY_MAX_CONNS];
    int idx[PROXY_MAX_CONNS];

    for (;;) {
        int n = 0;
        pfd[n++] = (struct pollfd){.fd = p->cmd[0], .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = p->stalled ? -1 : p->listen_fd, .events = POLLIN};
        for (int i = 0; i < PROXY_MAX_CONNS; i++) {
            struct conn *c = p->conns[i];
            idx[i] = -1;
            if (!c || p->stalled)
                continue;
            idx[i] = n;
            for (int k = 0; k < 2; k++) {
                short ev = 0;
                if (!c->eof[k] && c->len[k] == 0)
                    ev |= POLLIN;
                if (c->len[1 - k] > c->off[1 - k])
                    ev |= POLLOUT;
                pfd[n++] = (struct pollfd){.fd = c->fd[k], .events = ev};
            }
        }
        if (poll(pfd, (nfds_t)n, 1000) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents & POLLIN) {
            char cmd, ok = 0;
            if (read(p->cmd[0], &cmd, 1) != 1)
                break;
            if (cmd == 'q') {
                ok = 1;
                if (write(p->ack[1], &ok, 1) != 1)
                    break;
                break;
            }
            if (cmd == 's') {
                p->stalled = 1;
                ok = 1;
            } else if (cmd == 'c') {
                for (int i = 0; i < PROXY_MAX_CONNS; i++)
                    conn_close(p, i);
                if (p->listen_fd >= 0)
                    close(p->listen_fd);
                p->listen_fd = -1;
                ok = 1;
            } else if (cmd == 'r') {
                p->stalled = 0;
                /* The port may linger briefly in the kernel; try for a while. */
                for (int tries = 0; p->listen_fd < 0 && tries < 100; tries++) {
                    p->listen_fd = listen_on(p->port, NULL);
                    if (p->listen_fd < 0)
                        usleep(20000);
                }
                ok = p->listen_fd >= 0;
            }
            if (write(p->ack[1], &ok, 1) != 1)
                break;
            continue; /* the fd set changed */
        }
        if (!p->stalled && p->listen_fd >= 0 && (pfd[1].revents & POLLIN))
            accept_one(p);
        for (int i = 0; i < PROXY_MAX_CONNS; i++) {
            if (idx[i] < 0 || !p->conns[i])
                continue;
            short rev[2] = {pfd[idx[i]].revents, pfd[idx[i] + 1].revents};
            if ((rev[0] | rev[1]) == 0)
                continue;
            if (pump(p->conns[i], rev) != 0)
                conn_close(p, i);
        }
    }
    for (int i = 0; i < PROXY_MAX_CONNS; i++)
        conn_close(p, i);
    return NULL;
}

static int command(struct tcp_proxy *p, char cmd)
{
    char ok = 0;
    if (write(p->cmd[1], &cmd, 1) != 1)
        return -1;
    if (read(p->ack[0], &ok, 1) != 1)
        return -1;
    return ok ? 0 : -1;
}

struct tcp_proxy *tcp_proxy_start(const char *target_host, int target_port)
{
    struct tcp_proxy *p = calloc(1, sizeof(*p));
    struct addrinfo hints = {0}, *ai = NULL;
    char port[16];
    if (!p)
        return NULL;
    p->listen_fd = p->cmd[0] = p->cmd[1] = p->ack[0] = p->ack[1] = -1;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_INET; /* "localhost" as 127.0.0.1, where local servers listen */
    snprintf(port, sizeof(port), "%d", target_port);
    int gai = getaddrinfo(target_host, port, &hints, &ai);
    if (gai != 0) {
        hints.ai_family = AF_UNSPEC;
        gai = getaddrinfo(target_host, port, &hints, &ai);
    }
    if (gai != 0 || !ai) {
        fprintf(stderr, "tcp_proxy: %s:%d: %s\n", target_host, target_port, gai_strerror(gai));
        free(p);
        return NULL;
    }
    memcpy(&p->target, ai->ai_addr, ai->ai_addrlen);
    p->target_len = ai->ai_addrlen;
    freeaddrinfo(ai);

    p->listen_fd = listen_on(0, &p->port);
    if (p->listen_fd < 0 || pipe2(p->cmd, O_CLOEXEC) != 0 || pipe2(p->ack, O_CLOEXEC) != 0 ||
        pthread_create(&p->thread, NULL, proxy_main, p) != 0) {
        fprintf(stderr, "tcp_proxy: cannot start: %s\n", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (p->cmd[i] >= 0)
                close(p->cmd[i]);
            if (p->ack[i] >= 0)
                close(p->ack[i]);
        }
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        free(p);
        return NULL;
    }
    pthread_mutex_lock(&g_proxies_lock);
    for (int i = 0; i < PROXY_MAX; i++) {
        if (!g_proxies[i]) {
            g_proxies[i] = p;
            break;
        }
    }
    pthread_mutex_unlock(&g_proxies_lock);
    return p;
}

int tcp_proxy_port(const struct tcp_proxy *p)
{
    return p->port;
}

unsigned tcp_proxy_accepted(const struct tcp_proxy *p)
{
    return atomic_load(&((struct tcp_proxy *)p)->accepted);
}

int tcp_proxy_cut(struct tcp_proxy *p)
{
    return command(p, 'c');
}

int tcp_proxy_stall(struct tcp_proxy *p)
{
    return command(p, 's');
}

int tcp_proxy_restore(struct tcp_proxy *p)
{
    return command(p, 'r');
}

void tcp_proxy_stop(struct tcp_proxy *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&g_proxies_lock);
    for (int i = 0; i < PROXY_MAX; i++)
        if (g_proxies[i] == p)
            g_proxies[i] = NULL;
    pthread_mutex_unlock(&g_proxies_lock);
    command(p, 'q');
    pthread_join(p->thread, NULL);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    for (int i = 0; i < 2; i++) {
        close(p->cmd[i]);
        close(p->ack[i]);
    }
    free(p);
}

void tcp_proxy_stop_all(void)
{
    for (int i = 0; i < PROXY_MAX; i++) {
        pthread_mutex_lock(&g_proxies_lock);
        struct tcp_proxy *p = g_proxies[i];
        pthread_mutex_unlock(&g_proxies_lock);
        if (p)
            tcp_proxy_stop(p);
    }
}
