// SPDX-License-Identifier: MIT
/*
 * Kernel request results -> IFD response codes, chosen for what pcscd
 * makes of them (Documentation/pcscd.rst has the table).  IFD_NO_SUCH_DEVICE
 * is never returned: pcscd answers it with a SIGUSR1 + sleep(1) loop.
 */
#include <errno.h>
#include <ifdhandler.h>

#include "ifd.h"

/* Remote (Windows) status words meaning "this code/attribute is unknown". */
#define WIN_ERROR_INVALID_FUNCTION	0x00000001U
#define WIN_ERROR_NOT_SUPPORTED		0x00000032U
#define WIN_ERROR_CALL_NOT_IMPLEMENTED	0x00000078U
#define WIN_SCARD_E_UNSUPPORTED_FEATURE	0x80100022U
#define PCSC_SCARD_E_UNSUPPORTED_FEATURE 0x8010001FU
#define WIN_SCARD_E_INSUFFICIENT_BUFFER	0x80100008U

static bool remote_unsupported(enum ifd_op op, uint32_t result)
{
	switch (result) {
	case WIN_ERROR_INVALID_FUNCTION:
	case WIN_ERROR_NOT_SUPPORTED:
	case WIN_ERROR_CALL_NOT_IMPLEMENTED:
	case WIN_SCARD_E_UNSUPPORTED_FEATURE:
		return true;
	case PCSC_SCARD_E_UNSUPPORTED_FEATURE:
		/* SCARD_E_UNEXPECTED for Windows; pcsc-lite's UNSUPPORTED */
		return op == IFD_OP_CONTROL || op == IFD_OP_GET_ATTRIB ||
		       op == IFD_OP_SET_ATTRIB;
	default:
		return false;
	}
}

static long unsupported_code(enum ifd_op op)
{
	switch (op) {
	case IFD_OP_CONTROL:
		return IFD_ERROR_NOT_SUPPORTED;
	case IFD_OP_GET_ATTRIB:
	case IFD_OP_SET_ATTRIB:
		return IFD_ERROR_TAG;
	default:
		return IFD_COMMUNICATION_ERROR;
	}
}

long ifd_errmap(enum ifd_op op, int err, uint32_t result)
{
	switch (err) {
	case 0:
		return IFD_SUCCESS;
	case -ENOMEDIUM:
	case -ENODEV:
	case -ENXIO:
	case -ESHUTDOWN:
	case -EBADF:
		/* no card, slot unbound, lingering, destroyed, node closed */
		return op == IFD_OP_POWER_DOWN ? IFD_SUCCESS : IFD_ICC_NOT_PRESENT;
	case -ETIMEDOUT:
		return IFD_RESPONSE_TIMEOUT;
	case -ENOBUFS:
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	case -EOPNOTSUPP:
		return unsupported_code(op);
	case -EIO:
		if (remote_unsupported(op, result))
			return unsupported_code(op);
		if (result == WIN_SCARD_E_INSUFFICIENT_BUFFER &&
		    op != IFD_OP_POWER_UP && op != IFD_OP_POWER_DOWN)
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		break;
	default:
		break;
	}
	return op == IFD_OP_POWER_UP ? IFD_ERROR_POWER_ACTION :
	       IFD_COMMUNICATION_ERROR;
}
