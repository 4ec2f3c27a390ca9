// printf's "%.6g" for Swift without a variadic call: Swift reaches C varargs only through
// withVaList, which boxes each argument and casts it dynamically (a tenth of `waypoint score` went there).
#ifndef CNUMBERFORMAT_H
#define CNUMBERFORMAT_H
#include <stddef.h>

/// Writes `value` as printf's "%.6g" into `buffer` (NUL-terminated); returns snprintf's result.
int waypoint_format_g6(char *buffer, size_t size, double value);

#endif
