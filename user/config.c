// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bdf.h"
#include "config.h"
#include "ops_map.h"
#include "report.h"

/* VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE] in hex; the subsystem is any when left out. */
static bool parse_ids(const char *text, struct ops_pci_id *id)
{
	unsigned int v[4];
	char end;
	int n = sscanf(text, "%4x:%4x:%4x:%4x%c", &v[0], &v[1], &v[2], &v[3], &end);

	if (n != 2 && n != 4)
		return false;
	if (n == 2 && sscanf(text, "%4x:%4x%c", &v[0], &v[1], &end) != 2)
		return false;
	*id = (struct ops_pci_id){
		.vendor = v[0], .device = v[1],
		.subvendor = n == 4 ? v[2] : VFMIG_ANY_ID,
		.subdevice = n == 4 ? v[3] : VFMIG_ANY_ID,
	};
	return true;
}

int config_lookup(const char *path, const char *bdf,
		  const struct pci_function_id *fn, char program[PATH_MAX])
{
	char line[2 * PATH_MAX], match[64], prog[PATH_MAX], canonical[VFMIG_BDF_LEN];
	char by_ids[PATH_MAX] = "";
	unsigned int nr = 0;
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (!f)
		return errno == ENOENT ? -ENOENT :
		       fail("cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		struct ops_pci_id id;
		char extra;

		nr++;
		line[strcspn(line, "#\n")] = '\0';
		if (sscanf(line, "%63s", match) != 1)
			continue;	/* blank or comment */
		if (sscanf(line, "%63s %4095s %c", match, prog, &extra) != 2 || prog[0] != '/') {
			ret = fail("%s:%u: expected 'BDF-or-VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE] /absolute/path/to/program.bpf.o'",
				   path, nr);
			break;
		}
		if (!bdf_parse(match, canonical)) {
			if (!strcmp(canonical, bdf)) {
				snprintf(program, PATH_MAX, "%s", prog);
				ret = 0;
				break;
			}
		} else if (parse_ids(match, &id)) {
			if (!by_ids[0] && ops_id_matches(&id, fn))
				snprintf(by_ids, sizeof(by_ids), "%s", prog);
		} else {
			ret = fail("%s:%u: '%s' is neither a BDF nor VENDOR:DEVICE[:SUBVENDOR:SUBDEVICE] in hex",
				   path, nr, match);
			break;
		}
	}
	fclose(f);
	if (ret == -ENOENT && by_ids[0]) {
		snprintf(program, PATH_MAX, "%s", by_ids);
		ret = 0;
	}
	return ret;
}
