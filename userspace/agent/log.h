/* SPDX-License-Identifier: MIT */
/* Leveled logging to stderr. */
#ifndef AGENT_LOG_H
#define AGENT_LOG_H

enum log_level {
	LOG_NONE = -1,		/* silent (fuzzing) */
	LOG_ERR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error|warn|info|debug|trace" or a digit; returns -1 if unknown. */
int log_parse_level(const char *name);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hex dump of at most 64 bytes at trace level. */
void log_hex(const char *what, const void *data, unsigned long len);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...)	log_msg(LOG_TRACE, __VA_ARGS__)

#endif
