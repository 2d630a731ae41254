/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints on a routed request's path, in the order it travels:
 *
 *   uscheme_submit    a client SQE taken off a client ring (after its copy
 *                     and validation): op, fd, user_data, len
 *   uscheme_admit     a request admitted by its scheme (tag, chunk) or
 *                     refused (res: -EAGAIN no room now, -EPIPE, -E2BIG)
 *   uscheme_dispatch  the request written into the daemon's SQ
 *   uscheme_answer    the daemon's answer to a tag, as checked: res is what
 *                     the client gets (-EIO for an illegal one), raw what
 *                     the daemon said; a tag that matches nothing is traced
 *                     with op 255 and res -ENOENT
 *   uscheme_complete  the client sees the result: a CQE posted on its ring
 *                     (ring: the ring, user_data its SQE's) or the syscall
 *                     on a handle fd returning (ring 0)
 *
 * The scheme is its name, a request is its tag (generation << 32 | slot,
 * unique while in flight), a ring op is its user_data. Read them through
 * tracefs (events/uscheme/) or perf (perf trace -e 'uscheme:*'); see the
 * README's "Tracing a request" section.
 *
 * Built out of tree: TRACE_INCLUDE_PATH is "." and Kbuild adds this
 * directory to trace.o's include path; trace.c alone defines
 * CREATE_TRACE_POINTS.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM uscheme

#if !defined(_USCHEME_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _USCHEME_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

#include "../uapi/uscheme.h"

/* Linux 6.10 dropped __assign_str()'s source argument (Kbuild probes it). */
#ifndef uscheme_assign_str
#ifdef USCHEME_HAVE_ASSIGN_STR_1
#define uscheme_assign_str(dst, src)    __assign_str(dst)
#else
#define uscheme_assign_str(dst, src)    __assign_str(dst, src)
#endif
#endif

TRACE_DEFINE_ENUM(USCHEME_OP_NOP);
TRACE_DEFINE_ENUM(USCHEME_OP_OPEN);
TRACE_DEFINE_ENUM(USCHEME_OP_CLOSE);
TRACE_DEFINE_ENUM(USCHEME_OP_READ);
TRACE_DEFINE_ENUM(USCHEME_OP_WRITE);
TRACE_DEFINE_ENUM(USCHEME_OP_FSTAT);
TRACE_DEFINE_ENUM(USCHEME_OP_FSYNC);
TRACE_DEFINE_ENUM(USCHEME_OP_FTRUNCATE);
TRACE_DEFINE_ENUM(USCHEME_OP_DUP);
TRACE_DEFINE_ENUM(USCHEME_OP_CALL);
TRACE_DEFINE_ENUM(USCHEME_OP_FILES_UPDATE);
TRACE_DEFINE_ENUM(USCHEME_OP_CANCEL);
TRACE_DEFINE_ENUM(USCHEME_OP_SEND_EVENT);

#define uscheme_trace_op(op)                                            \
	__print_symbolic(op,                                            \
			 { USCHEME_OP_NOP,              "NOP" },                \
			 { USCHEME_OP_OPEN,             "OPEN" },               \
			 { USCHEME_OP_CLOSE,            "CLOSE" },              \
			 { USCHEME_OP_READ,             "READ" },               \
			 { USCHEME_OP_WRITE,            "WRITE" },              \
			 { USCHEME_OP_FSTAT,            "FSTAT" },              \
			 { USCHEME_OP_FSYNC,            "FSYNC" },              \
			 { USCHEME_OP_FTRUNCATE,        "FTRUNCATE" },          \
			 { USCHEME_OP_DUP,              "DUP" },                \
			 { USCHEME_OP_CALL,             "CALL" },               \
			 { USCHEME_OP_FILES_UPDATE,     "FILES_UPDATE" },       \
			 { USCHEME_OP_CANCEL,           "CANCEL" },             \
			 { USCHEME_OP_SEND_EVENT,       "SEND_EVENT" },         \
			 { 255,                         "?" })

TRACE_EVENT(uscheme_submit,
	    TP_PROTO(const void *ring, u8 op, s32 fd, u64 user_data, u32 len),
	    TP_ARGS(ring, op, fd, user_data, len),
	    TP_STRUCT__entry(__field(const void *, ring)
			     __field(u8, op)
			     __field(s32, fd)
			     __field(u64, user_data)
			     __field(u32, len)),
	    TP_fast_assign(__entry->ring = ring;
			   __entry->op = op;
			   __entry->fd = fd;
			   __entry->user_data = user_data;
			   __entry->len = len;),
	    TP_printk("ring=%p op=%s fd=%d user_data=0x%llx len=%u",
		      __entry->ring, uscheme_trace_op(__entry->op), __entry->fd,
		      __entry->user_data, __entry->len)
);

TRACE_EVENT(uscheme_admit,
	    TP_PROTO(const char *scheme, u8 op, u64 tag, u32 chunk_pages, int res),
	    TP_ARGS(scheme, op, tag, chunk_pages, res),
	    TP_STRUCT__entry(__string(scheme, scheme)
			     __field(u8, op)
			     __field(u64, tag)
			     __field(u32, chunk_pages)
			     __field(int, res)),
	    TP_fast_assign(uscheme_assign_str(scheme, scheme);
			   __entry->op = op;
			   __entry->tag = tag;
			   __entry->chunk_pages = chunk_pages;
			   __entry->res = res;),
	    TP_printk("scheme=%s op=%s tag=0x%llx chunk_pages=%u res=%d",
		      __get_str(scheme), uscheme_trace_op(__entry->op), __entry->tag,
		      __entry->chunk_pages, __entry->res)
);

TRACE_EVENT(uscheme_dispatch,
	    TP_PROTO(const char *scheme, u8 op, u64 tag, u64 id, u32 sq_index),
	    TP_ARGS(scheme, op, tag, id, sq_index),
	    TP_STRUCT__entry(__string(scheme, scheme)
			     __field(u8, op)
			     __field(u64, tag)
			     __field(u64, id)
			     __field(u32, sq_index)),
	    TP_fast_assign(uscheme_assign_str(scheme, scheme);
			   __entry->op = op;
			   __entry->tag = tag;
			   __entry->id = id;
			   __entry->sq_index = sq_index;),
	    TP_printk("scheme=%s op=%s tag=0x%llx id=%llu sq_index=%u",
		      __get_str(scheme), uscheme_trace_op(__entry->op), __entry->tag,
		      __entry->id, __entry->sq_index)
);

TRACE_EVENT(uscheme_answer,
	    TP_PROTO(const char *scheme, u8 op, u64 tag, s32 raw, s32 res),
	    TP_ARGS(scheme, op, tag, raw, res),
	    TP_STRUCT__entry(__string(scheme, scheme)
			     __field(u8, op)
			     __field(u64, tag)
			     __field(s32, raw)
			     __field(s32, res)),
	    TP_fast_assign(uscheme_assign_str(scheme, scheme);
			   __entry->op = op;
			   __entry->tag = tag;
			   __entry->raw = raw;
			   __entry->res = res;),
	    TP_printk("scheme=%s op=%s tag=0x%llx raw=%d res=%d",
		      __get_str(scheme), uscheme_trace_op(__entry->op), __entry->tag,
		      __entry->raw, __entry->res)
);

TRACE_EVENT(uscheme_complete,
	    TP_PROTO(const void *ring, u8 op, u64 tag, u64 user_data, s32 res),
	    TP_ARGS(ring, op, tag, user_data, res),
	    TP_STRUCT__entry(__field(const void *, ring)
			     __field(u8, op)
			     __field(u64, tag)
			     __field(u64, user_data)
			     __field(s32, res)),
	    TP_fast_assign(__entry->ring = ring;
			   __entry->op = op;
			   __entry->tag = tag;
			   __entry->user_data = user_data;
			   __entry->res = res;),
	    TP_printk("ring=%p op=%s tag=0x%llx user_data=0x%llx res=%d",
		      __entry->ring, uscheme_trace_op(__entry->op), __entry->tag,
		      __entry->user_data, __entry->res)
);

#endif /* _USCHEME_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
