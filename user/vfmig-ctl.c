// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfmig-ctl: drive the VFIO migration of a device as a VMM does, with the
 * VFIO uAPI only (features, state, save, restore), and check the vfmig
 * streams it moves (inspect; make-stream builds some for tests).  The
 * command table is in ctl_args.c, the commands in ctl_device.c and
 * ctl_stream.c.
 */
#include "ctl.h"

int main(int argc, char **argv)
{
	return cli_main(&ctl_cli, argc, argv);
}
