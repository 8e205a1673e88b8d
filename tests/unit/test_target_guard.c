/* Unit tests for common/target_guard: which addresses a monitor may not point at. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "common/target_guard.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *addr;
    int blocked;
} addrs[] = {
    {"93.184.216.34", 0},
    {"8.8.8.8", 0},
    {"1.1.1.1", 0},
    {"127.0.0.1", 1},
    {"127.255.255.254", 1},
    {"10.0.0.1", 1},
    {"172.16.0.1", 1},
    {"172.31.255.255", 1},
    {"172.32.0.1", 0},
    {"192.168.1.1", 1},
    {"169.254.169.254", 1},
    {"100.64.0.1", 1},
    {"100.100.100.200", 1},
    {"100.128.0.1", 0},
    {"0.0.0.0", 1},
    {"224.0.0.1", 1},
    {"255.255.255.255", 1},
    {"192.0.2.10", 1},
    {"2606:4700::1111", 0},
    {"2001:4860:4860::8888", 0},
    {"::1", 1},
    {"::", 1},
    {"::ffff:127.0.0.1", 1},
    {"::ffff:10.1.2.3", 1},
    {"::ffff:8.8.8.8", 0},
    {"::127.0.0.1", 1},
    {"64:ff9b::a9fe:a9fe", 1},
    {"64:ff9b::808:808", 0},
    {"2002:7f00:1::", 1},
    {"2002:808:808::", 0},
    {"fd00:ec2::254", 1},
    {"fc00::1", 1},
    {"fe80::1", 1},
    {"ff02::1", 1},
    {"2001:db8::1", 1},
};

static void test_addresses(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(addrs); i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        if (strchr(addrs[i].addr, ':')) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            s6->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, addrs[i].addr, &s6->sin6_addr), 1);
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
            s4->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, addrs[i].addr, &s4->sin_addr), 1);
        }
        if ((target_guard_blocked((struct sockaddr *)&ss) != NULL) != addrs[i].blocked)
            fail_msg("%s: expected %s", addrs[i].addr, addrs[i].blocked ? "blocked" : "allowed");
    }
}

/* Literal spellings getaddrinfo accepts without any DNS: the guard judges what they
 * resolve to, so hex, decimal and short forms of loopback are caught. */
static void test_host_spellings(void **state)
{
    static const char *const blocked[] = {"127.0.0.1",       "0x7f000001", "2130706433",
                                          "127.1",           "0177.0.0.1", "::1",
                                          "169.254.169.254", "10.0.0.1",   "localhost"};
    char err[256];
    for (size_t i = 0; i < ARRAY_LEN(blocked); i++) {
        err[0] = '\0';
        if (target_guard_check_host(blocked[i], err, sizeof(err)) != -1)
            fail_msg("%s was allowed", blocked[i]);
        assert_non_null(strstr(err, "not allowed"));
    }
    assert_int_equal(target_guard_check_host("93.184.216.34", err, sizeof(err)), 0);
}

static void test_unresolvable(void **state)
{
    char err[256] = "";
    assert_int_equal(target_guard_check_host("no-such-host.invalid", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "does not resolve"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_host_spellings),
        cmocka_unit_test(test_unresolvable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
