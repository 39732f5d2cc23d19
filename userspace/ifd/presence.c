// SPDX-License-Identifier: MIT
/*
 * The generation rule: what IFDHICCPresence tells pcscd.
 *
 * pcscd only notices a card change when two consecutive presence answers
 * differ.  A removal followed by an insertion between two checks would be
 * invisible, and handles opened on the old card would keep working on the
 * new one, so a replaced card is reported absent once before it is
 * reported present.
 */
#include <string.h>

#include "ifd.h"

bool ifd_status_card(const struct vscard_status *st)
{
	const uint32_t want = VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT;

	return (st->flags & (want | VSCARD_STATUS_LINGERING)) == want;
}

static uint32_t atr_len_of(const struct vscard_status *st)
{
	return st->atr_len > VSCARD_ATR_MAX ? VSCARD_ATR_MAX : st->atr_len;
}

static bool same_card(const struct ifd_seen *seen,
		      const struct vscard_status *st)
{
	return seen->insert_count == st->insert_count &&
	       seen->epoch == st->epoch &&
	       seen->atr_len == atr_len_of(st) &&
	       !memcmp(seen->atr, st->atr, seen->atr_len);
}

bool ifd_presence_next(struct ifd_seen *seen, const struct vscard_status *st)
{
	uint32_t atr_len;

	if (!st || !ifd_status_card(st)) {
		seen->present = false;
		return false;
	}
	if (seen->present && !same_card(seen, st)) {
		/* replaced since the last answer: a removal first */
		seen->present = false;
		return false;
	}
	atr_len = atr_len_of(st);
	seen->present = true;
	seen->insert_count = st->insert_count;
	seen->epoch = st->epoch;
	seen->atr_len = atr_len;
	memcpy(seen->atr, st->atr, atr_len);
	return true;
}
