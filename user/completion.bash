# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bash completion for vfmig-load and vfmig-ctl (installed under both names).

# BDFs of PCI functions, for --bdf.
_vfmig_bdfs()
{
	local d
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d" ] && echo "${d##*/}"
	done
}

_vfmig_load()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--bdf)
		mapfile -t COMPREPLY < <(compgen -W "$(_vfmig_bdfs)" -- "$cur")
		return ;;
	--config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	esac
	if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]] && [[ $cur != */* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "load replace unload status inspect apply release bind" -- "$cur")
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X '!*.bpf.o' -- "$cur")
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "--bdf --bind --force --config --json --verbose --help --version" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -X '!*.bpf.o' -- "$cur")
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
}

_vfmig_ctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--bdf)
		mapfile -t COMPREPLY < <(compgen -W "$(_vfmig_bdfs)" -- "$cur")
		return ;;
	--set)
		mapfile -t COMPREPLY < <(compgen -W "stop running stop-copy resuming running-p2p pre-copy pre-copy-p2p error" -- "$cur")
		return ;;
	--via)
		mapfile -t COMPREPLY < <(compgen -W "auto uapi region" -- "$cur")
		return ;;
	--backend)
		mapfile -t COMPREPLY < <(compgen -W "auto iommufd container" -- "$cur")
		return ;;
	-o|--output|-i|--input|--payload-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	dirty)
		mapfile -t COMPREPLY < <(compgen -W "start report stop status" -- "$cur")
		return ;;
	esac
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "features state save restore inspect make-stream dirty --version --help" -- "$cur")
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "--bdf --fd --output --input --precopy --set --range --page-size --via --backend --verbose --help" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

complete -F _vfmig_load vfmig-load
complete -F _vfmig_ctl vfmig-ctl
