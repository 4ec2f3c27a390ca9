#include "CNumberFormat.h"
#include <stdio.h>

int waypoint_format_g6(char *buffer, size_t size, double value) {
    return snprintf(buffer, size, "%.6g", value);
}
