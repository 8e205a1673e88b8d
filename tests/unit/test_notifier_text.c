/* Unit tests for the notifier's Telegram text: HTML escaping, the visible length Telegram
 * counts, splitting at 4,096 characters without breaking tags or entities, the plain-text
 * fallback, and the digest of an alert storm. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier/digest.h"
#include "notifier/strbuf.h"
#include "notifier/tgtext.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char *escaped(const char *s)
{
    struct strbuf b;
    strbuf_init(&b, 1 << 20);
    tgtext_escape(&b, s);
    return strbuf_take(&b);
}

static void test_escape(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Shop", "Shop"},
        {"<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"},
        {"a & b", "a &amp; b"},
        {"say \"hi\"", "say &quot;hi&quot;"},
        {"&amp;", "&amp;amp;"}, /* an entity in a name stays text */
        {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"caf\xC3\xA9 \xF0\x9F\x94\xA5", "caf\xC3\xA9 \xF0\x9F\x94\xA5"}, /* UTF-8 kept */
        {"bad\xFF byte", "bad\xEF\xBF\xBD byte"},                         /* U+FFFD */
        {"over\xC0\xAFlong", "over\xEF\xBF\xBD\xEF\xBF\xBDlong"},
        {"tab\tnl\nbell\a", "tab\tnl\nbell "},
        {"", ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *got = escaped(cases[i].in);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("escape(\"%s\") = \"%s\", want \"%s\"", cases[i].in, got, cases[i].out);
        free(got);
    }
}

static void test_visible_len(void **state)
{
    assert_int_equal(tgtext_visible_len(""), 0);
    assert_int_equal(tgtext_visible_len("abc"), 3);
    assert_int_equal(tgtext_visible_len("<b>abc</b>"), 3);
    assert_int_equal(tgtext_visible_len("a &lt; b"), 5);
    assert_int_equal(tgtext_visible_len("<a href=\"https://x.y/?a=1&amp;b=2\">link</a>"), 4);
    assert_int_equal(tgtext_visible_len("\xC3\xA9"), 1);         /* é: one unit */
    assert_int_equal(tgtext_visible_len("\xF0\x9F\x94\xA5"), 2); /* 🔥: a surrogate pair */
    assert_int_equal(tgtext_visible_len("\xE2\x9C\x85 ok"), 4);  /* ✅ is in the BMP */
    assert_int_equal(tgtext_visible_len("a & b"), 5);            /* a lone & is a character */
}

/* Each part must be within the limit, balanced in tags, and the parts' visible text
 * concatenated must be the original's. */
static void check_split(const char *html, size_t limit, int want_parts)
{
    char *parts[TGTEXT_MAX_PARTS];
    int n = tgtext_split(html, limit, parts);
    struct strbuf joined;

    assert_true(n >= 1);
    if (want_parts > 0 && n != want_parts)
        fail_msg("split into %d parts, want %d", n, want_parts);
    strbuf_init(&joined, 1 << 24);
    for (int i = 0; i < n; i++) {
        size_t vis = tgtext_visible_len(parts[i]);
        if (vis > limit)
            fail_msg("part %d has %zu visible units > %zu", i, vis, limit);
        if (vis == 0)
            fail_msg("part %d is empty", i);
        int open = 0;
        for (const char *p = parts[i]; *p; p++) {
            if (p[0] == '<' && p[1] == '/')
                open--;
            else if (p[0] == '<')
                open++;
            if (open < 0)
                fail_msg("part %d closes a tag it did not open: %s", i, parts[i]);
        }
        if (open != 0)
            fail_msg("part %d leaves %d tags open", i, open);
        char *plain = tgtext_to_plain(parts[i]);
        strbuf_puts(&joined, plain);
        free(plain);
        free(parts[i]);
    }
    char *orig = tgtext_to_plain(html);
    assert_string_equal(strbuf_str(&joined), orig);
    free(orig);
    strbuf_free(&joined);
}

static void test_split_short(void **state)
{
    check_split("hello", TGTEXT_LIMIT, 1);
    check_split("<b>DOWN</b> \xC2\xB7 Shop", TGTEXT_LIMIT, 1);
}

static void test_split_exact_limit(void **state)
{
    char *s = malloc(TGTEXT_LIMIT + 2);
    memset(s, 'x', TGTEXT_LIMIT);
    s[TGTEXT_LIMIT] = '\0';
    check_split(s, TGTEXT_LIMIT, 1);
    s[TGTEXT_LIMIT] = 'y';
    s[TGTEXT_LIMIT + 1] = '\0';
    check_split(s, TGTEXT_LIMIT, 2);
    free(s);
}

static void test_split_prefers_newlines(void **state)
{
    char *parts[TGTEXT_MAX_PARTS];
    /* Lines of 10 chars; a limit of 35 takes three whole lines, not 3.5. */
    const char *html = "line-0001\nline-0002\nline-0003\nline-0004\nline-0005\n";
    int n = tgtext_split(html, 35, parts);
    assert_int_equal(n, 2);
    assert_string_equal(parts[0], "line-0001\nline-0002\nline-0003\n");
    assert_string_equal(parts[1], "line-0004\nline-0005\n");
    for (int i = 0; i < n; i++)
        free(parts[i]);
}

static void test_split_keeps_tags_balanced(void **state)
{
    struct strbuf b;
    strbuf_init(&b, 1 << 20);
    strbuf_puts(&b, "<b>");
    for (int i = 0; i < 900; i++)
        strbuf_printf(&b, "word%03d <i>it&amp;al</i> ", i % 1000);
    strbuf_puts(&b, "</b>");
    check_split(strbuf_str(&b), TGTEXT_LIMIT, 0);
    /* Small parts: a shorter text, so it stays within TGTEXT_MAX_PARTS. */
    struct strbuf small;
    strbuf_init(&small, 1 << 20);
    strbuf_puts(&small, "<b>");
    for (int i = 0; i < 60; i++)
        strbuf_printf(&small, "w%02d <i>it&amp;al</i> ", i);
    strbuf_puts(&small, "</b>");
    check_split(strbuf_str(&small), 100, 0);
    strbuf_free(&small);
    /* Mid-part breaks reopen <b> in every later part. */
    char *parts[TGTEXT_MAX_PARTS];
    int n = tgtext_split(strbuf_str(&b), TGTEXT_LIMIT, parts);
    assert_true(n >= 2);
    for (int i = 1; i < n; i++)
        assert_memory_equal(parts[i], "<b>", 3);
    for (int i = 0; i < n; i++)
        free(parts[i]);
    strbuf_free(&b);
}

static void test_split_never_cuts_entities_or_utf8(void **state)
{
    struct strbuf b;
    strbuf_init(&b, 1 << 20);
    for (int i = 0; i < 3000; i++)
        strbuf_puts(&b, "&lt;\xF0\x9F\x94\xA5\xC3\xA9"); /* 1 + 2 + 1 units, no spaces */
    check_split(strbuf_str(&b), TGTEXT_LIMIT, 3);
    /* A limit that falls inside the surrogate pair: the pair moves to the next part. */
    struct strbuf small;
    strbuf_init(&small, 1 << 20);
    for (int i = 0; i < 20; i++)
        strbuf_puts(&small, "&lt;\xF0\x9F\x94\xA5\xC3\xA9");
    check_split(strbuf_str(&small), 6, 0);
    strbuf_free(&small);
    strbuf_free(&b);
}

static void test_split_caps_parts(void **state)
{
    size_t len = (size_t)TGTEXT_LIMIT * (TGTEXT_MAX_PARTS + 5);
    char *s = malloc(len + 1);
    char *parts[TGTEXT_MAX_PARTS];
    memset(s, 'z', len);
    s[len] = '\0';
    int n = tgtext_split(s, TGTEXT_LIMIT, parts);
    assert_int_equal(n, TGTEXT_MAX_PARTS);
    /* The last part says it was cut. */
    assert_non_null(strstr(parts[n - 1], "\xE2\x80\xA6"));
    assert_true(tgtext_visible_len(parts[n - 1]) <= TGTEXT_LIMIT);
    for (int i = 0; i < n; i++)
        free(parts[i]);
    free(s);
}

static void test_to_plain(void **state)
{
    char *p = tgtext_to_plain("<b>DOWN</b> &lt;x&gt; &amp; <a href=\"u\">y</a> &nbsp;");
    assert_string_equal(p, "DOWN <x> & y &nbsp;");
    free(p);
}

static void test_digest_storm(void **state)
{
    struct digest_item items[200];
    char lines[200][64];
    for (int i = 0; i < 200; i++) {
        snprintf(lines[i], sizeof(lines[i]),
                 "\xF0\x9F\x94\xB4 <b>monitor-%03d</b> \xE2\x80\x94 "
                 "HTTP 503",
                 i);
        items[i].kind = i < 197 ? "down" : "up";
        items[i].line = lines[i];
    }
    char *d = digest_build(items, 200, TGTEXT_LIMIT);
    assert_non_null(d);
    assert_non_null(strstr(d, "<b>197 monitors DOWN</b>, 3 UP"));
    assert_non_null(strstr(d, "monitor-000"));
    assert_true(tgtext_visible_len(d) <= TGTEXT_LIMIT);
    /* 200 lines of ~30 characters do not fit: the rest is counted. */
    assert_non_null(strstr(d, "more"));
    char *parts[TGTEXT_MAX_PARTS];
    assert_int_equal(tgtext_split(d, TGTEXT_LIMIT, parts), 1);
    free(parts[0]);
    free(d);
}

static void test_digest_small(void **state)
{
    struct digest_item items[] = {
        {"down", "A"}, {"anomaly", "B"}, {"cert_expiry", "C"}, {"down", "D"}};
    char *d = digest_build(items, 4, TGTEXT_LIMIT);
    assert_string_equal(d, "\xF0\x9F\x9A\xA8 <b>2 monitors DOWN</b>, 1 slow, 1 certificate "
                           "expiring:\nA\nB\nC\nD");
    free(d);
    struct digest_item one[] = {{"up", "X"}, {"up", "Y"}};
    d = digest_build(one, 2, TGTEXT_LIMIT);
    assert_string_equal(d, "\xF0\x9F\x9A\xA8 <b>2 monitors UP</b>:\nX\nY");
    free(d);
}

static void test_digest_cut_counts_rest(void **state)
{
    struct digest_item items[10];
    for (int i = 0; i < 10; i++)
        items[i] = (struct digest_item){"down", "0123456789"};
    /* headline ~22 units; each line 11: a limit of 80 keeps 2 lines plus the count line. */
    char *d = digest_build(items, 10, 80);
    assert_true(tgtext_visible_len(d) <= 80);
    assert_non_null(strstr(d, "and 8 more"));
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_visible_len),
        cmocka_unit_test(test_split_short),
        cmocka_unit_test(test_split_exact_limit),
        cmocka_unit_test(test_split_prefers_newlines),
        cmocka_unit_test(test_split_keeps_tags_balanced),
        cmocka_unit_test(test_split_never_cuts_entities_or_utf8),
        cmocka_unit_test(test_split_caps_parts),
        cmocka_unit_test(test_to_plain),
        cmocka_unit_test(test_digest_storm),
        cmocka_unit_test(test_digest_small),
        cmocka_unit_test(test_digest_cut_counts_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
