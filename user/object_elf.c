// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The callbacks of a vfmig_ops are relocations of its .struct_ops.link
 * section against the programs' function symbols: libbpf resolves them too,
 * but keeps the result to itself until load (and when, varies by version).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "object_elf.h"
#include "ops_map.h"
#include "report.h"

#define OPS_SECTION	".struct_ops.link"

struct elf_file {
	Elf *elf;
	size_t shstrndx;
	Elf_Scn *symtab;
	GElf_Shdr symtab_hdr;
};

static const char *section_name(struct elf_file *f, Elf_Scn *scn)
{
	GElf_Shdr hdr;

	if (!gelf_getshdr(scn, &hdr))
		return "";
	return elf_strptr(f->elf, f->shstrndx, hdr.sh_name) ?: "";
}

static Elf_Scn *section_by_name(struct elf_file *f, const char *name)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(f->elf, scn)))
		if (!strcmp(section_name(f, scn), name))
			return scn;
	return NULL;
}

static bool symbol(struct elf_file *f, size_t index, GElf_Sym *sym, const char **name)
{
	Elf_Data *data = elf_getdata(f->symtab, NULL);

	if (!data || !gelf_getsym(data, index, sym))
		return false;
	*name = elf_strptr(f->elf, f->symtab_hdr.sh_link, sym->st_name) ?: "";
	return true;
}

static void copy_name(char dst[OBJECT_NAME_LEN], const char *src)
{
	snprintf(dst, OBJECT_NAME_LEN, "%s", src);
}

/* The ops variable's offset in its section: its symbol is the map's name. */
static long ops_var_offset(struct elf_file *f, size_t ops_shndx, const char *map_name)
{
	size_t count = f->symtab_hdr.sh_entsize ? f->symtab_hdr.sh_size / f->symtab_hdr.sh_entsize : 0;
	const char *name;
	GElf_Sym sym;

	for (size_t i = 0; i < count; i++)
		if (symbol(f, i, &sym, &name) && sym.st_shndx == ops_shndx &&
		    !strcmp(name, map_name))
			return sym.st_value;
	return -1;
}

static void read_callbacks(struct elf_file *f, struct bpf_object *obj,
			   const struct bpf_map *ops_map, struct object_elf *out)
{
	Elf_Scn *ops = section_by_name(f, OPS_SECTION), *scn = NULL;
	size_t ops_shndx = ops ? elf_ndxscn(ops) : 0;
	long var = ops ? ops_var_offset(f, ops_shndx, bpf_map__name(ops_map)) : -1;

	while (var >= 0 && (scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr hdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &hdr) || hdr.sh_type != SHT_REL || hdr.sh_info != ops_shndx)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < hdr.sh_size / hdr.sh_entsize; i++) {
			struct object_callback *cb = &out->callbacks[out->nr_callbacks];
			const char *member, *function, *sec;
			struct bpf_program *prog;
			GElf_Sym sym;
			GElf_Rel rel;

			if (out->nr_callbacks == OBJECT_MAX_CALLBACKS || !gelf_getrel(data, i, &rel) ||
			    !symbol(f, GELF_R_SYM(rel.r_info), &sym, &function))
				continue;
			member = ops_map_member_name(obj, ops_map, (long)rel.r_offset - var);
			if (!member)
				continue;	/* another ops variable's */
			prog = bpf_object__find_program_by_name(obj, function);
			sec = prog ? bpf_program__section_name(prog) : "";
			copy_name(cb->member, member);
			copy_name(cb->function, function);
			cb->sleepable = !strncmp(sec, "struct_ops.s/", 13);
			out->nr_callbacks++;
		}
	}
}

/* Undefined symbols named bpf_vfmig_*: the module's kfuncs it calls. */
static void read_kfuncs(struct elf_file *f, struct object_elf *out)
{
	size_t count = f->symtab_hdr.sh_entsize ? f->symtab_hdr.sh_size / f->symtab_hdr.sh_entsize : 0;
	const char *name;
	GElf_Sym sym;

	for (size_t i = 0; i < count && out->nr_kfuncs < OBJECT_MAX_KFUNCS; i++)
		if (symbol(f, i, &sym, &name) && sym.st_shndx == SHN_UNDEF &&
		    !strncmp(name, "bpf_vfmig_", 10))
			copy_name(out->kfuncs[out->nr_kfuncs++], name);
}

static void read_license(struct elf_file *f, struct object_elf *out)
{
	Elf_Scn *scn = section_by_name(f, "license");
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;

	if (data && data->d_buf && data->d_size)
		snprintf(out->license, sizeof(out->license), "%.*s",
			 (int)data->d_size, (const char *)data->d_buf);
}

int object_elf_read(const char *path, struct bpf_object *obj,
		    const struct bpf_map *ops_map, struct object_elf *out)
{
	struct elf_file f = { 0 };
	int fd, ret = 0;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail("libelf: %s", elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open %s: %s", path, strerror(errno));
	f.elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!f.elf || elf_getshdrstrndx(f.elf, &f.shstrndx)) {
		ret = fail("%s: not an ELF object: %s", path, elf_errmsg(-1));
		goto out;
	}
	f.symtab = section_by_name(&f, ".symtab");
	if (f.symtab && gelf_getshdr(f.symtab, &f.symtab_hdr)) {
		read_callbacks(&f, obj, ops_map, out);
		read_kfuncs(&f, out);
	}
	read_license(&f, out);
out:
	if (f.elf)
		elf_end(f.elf);
	close(fd);
	return ret;
}
