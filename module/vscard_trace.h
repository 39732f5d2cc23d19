/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard tracepoints: request submit, complete and timeout.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vscard

#if !defined(_VSCARD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VSCARD_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(vscard_req_submit,
	    TP_PROTO(u32 minor, u64 id, u32 type, u32 code, u32 tx_len),
	    TP_ARGS(minor, id, type, code, tx_len),
	    TP_STRUCT__entry(__field(u32, minor)
			     __field(u64, id)
			     __field(u32, type)
			     __field(u32, code)
			     __field(u32, tx_len)),
	    TP_fast_assign(__entry->minor = minor;
			   __entry->id = id;
			   __entry->type = type;
			   __entry->code = code;
			   __entry->tx_len = tx_len;),
	    TP_printk("vscard%u id=%#llx type=%u code=%#x tx_len=%u",
		      __entry->minor, __entry->id, __entry->type,
		      __entry->code, __entry->tx_len)
);

TRACE_EVENT(vscard_req_complete,
	    TP_PROTO(u32 minor, u64 id, int status, u32 rx_len),
	    TP_ARGS(minor, id, status, rx_len),
	    TP_STRUCT__entry(__field(u32, minor)
			     __field(u64, id)
			     __field(int, status)
			     __field(u32, rx_len)),
	    TP_fast_assign(__entry->minor = minor;
			   __entry->id = id;
			   __entry->status = status;
			   __entry->rx_len = rx_len;),
	    TP_printk("vscard%u id=%#llx status=%d rx_len=%u",
		      __entry->minor, __entry->id, __entry->status,
		      __entry->rx_len)
);

TRACE_EVENT(vscard_req_timeout,
	    TP_PROTO(u32 minor, u64 id, bool fetched),
	    TP_ARGS(minor, id, fetched),
	    TP_STRUCT__entry(__field(u32, minor)
			     __field(u64, id)
			     __field(bool, fetched)),
	    TP_fast_assign(__entry->minor = minor;
			   __entry->id = id;
			   __entry->fetched = fetched;),
	    TP_printk("vscard%u id=%#llx fetched=%d",
		      __entry->minor, __entry->id, __entry->fetched)
);

TRACE_EVENT(vscard_binding_release,
	    TP_PROTO(u32 minor, u64 epoch, u32 aborted, int status,
		     bool linger),
	    TP_ARGS(minor, epoch, aborted, status, linger),
	    TP_STRUCT__entry(__field(u32, minor)
			     __field(u64, epoch)
			     __field(u32, aborted)
			     __field(int, status)
			     __field(bool, linger)),
	    TP_fast_assign(__entry->minor = minor;
			   __entry->epoch = epoch;
			   __entry->aborted = aborted;
			   __entry->status = status;
			   __entry->linger = linger;),
	    TP_printk("vscard%u epoch=%llu aborted=%u status=%d linger=%d",
		      __entry->minor, __entry->epoch, __entry->aborted,
		      __entry->status, __entry->linger)
);

#endif /* _VSCARD_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vscard_trace
#include <trace/define_trace.h>
