/* SPDX-License-Identifier: MIT */
/* Run a librdpcodec encoder into a growable struct bytebuf. */
#ifndef AGENT_ENCODE_H
#define AGENT_ENCODE_H

#include <rdpcodec/wire.h>

#include "bytebuf.h"

/*
 * Evaluates @expr (an encoder writing to the struct rdp_wr *@w) twice: once
 * measuring, once storing at the end of @bb.  Yields 0 or a negative
 * rdp_err; on failure @bb keeps its previous length.
 */
#define BB_ENCODE(bb, w, expr) __extension__ ({				\
	struct rdp_wr w##_s, *w = &w##_s;				\
	size_t at_ = (bb)->len;						\
	int ret_;							\
	rdp_wr_init_measure(w);						\
	ret_ = (expr);							\
	if (!ret_)							\
		ret_ = w->err;						\
	if (!ret_) {							\
		size_t n_ = w->off;					\
		bb_zero((bb), n_);					\
		if ((bb)->oom) {					\
			ret_ = RDP_ERR_NOSPACE;				\
		} else {						\
			rdp_wr_init(w, (bb)->data + at_, n_);		\
			ret_ = (expr);					\
			if (!ret_)					\
				ret_ = w->err;				\
		}							\
		if (ret_)						\
			(bb)->len = at_;				\
	}								\
	ret_;								\
})

#endif
