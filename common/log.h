/* log: leveled log lines on stderr, text or JSON, with UTC timestamps and the
 * component name. Thread-safe: each line is written with a single write(2). */
#ifndef STATUSHAWK_COMMON_LOG_H
#define STATUSHAWK_COMMON_LOG_H

enum log_level { SH_LOG_DEBUG = 0, SH_LOG_INFO, SH_LOG_WARN, SH_LOG_ERROR };
enum log_format { SH_LOG_TEXT = 0, SH_LOG_JSON };

/* component is borrowed and must outlive the process (a string literal). */
void log_init(const char *component, enum log_level level, enum log_format format);
int log_enabled(enum log_level level);
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse "debug|info|warn|warning|error" and "text|json". 0, or -1 when unknown. */
int log_parse_level(const char *s, enum log_level *out);
int log_parse_format(const char *s, enum log_format *out);

/* The level is checked before the arguments are evaluated or formatted. */
#define log_at(lvl, ...)                                                                           \
    do {                                                                                           \
        if (log_enabled(lvl))                                                                      \
            log_write(lvl, __VA_ARGS__);                                                           \
    } while (0)
#define log_debug(...) log_at(SH_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(SH_LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_at(SH_LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(SH_LOG_ERROR, __VA_ARGS__)

#endif
