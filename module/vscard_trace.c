// SPDX-License-Identifier: GPL-2.0
/*
 * vscard tracepoint definitions.
 */
#define CREATE_TRACE_POINTS
#include "vscard_trace.h"
