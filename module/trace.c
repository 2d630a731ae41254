// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of a request's path (trace.h): defined here, once; the
 * files on the path include trace.h and call trace_uscheme_*().
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
