# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# bash completion for cgsharectl. Commands and options are read from the
# program's own help (cgsharectl help, cgsharectl help COMMAND), so they
# are never listed twice; cgroup paths from /sys/fs/cgroup, files for -c.

_cgsharectl_words() {
	# $1: help text; prints the commands of its "Commands:" block
	sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' <<<"$1"
}

_cgsharectl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd='' i help
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	-c | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	esac
	if [[ -z $cmd ]]; then
		help=$("${COMP_WORDS[0]}" help 2>/dev/null)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(grep -o -- '--[a-z-]*' <<<"$help")" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_cgsharectl_words "$help")" -- "$cur")
		fi
		return
	fi
	help=$("${COMP_WORDS[0]}" help "$cmd" 2>/dev/null)
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(grep -o -- '--[a-z-]*' <<<"$help" | sort -u)" -- "$cur")
	elif [[ $cmd == stats || $cmd == top ]] && [[ $cur == /* || -z $cur ]]; then
		local d
		mapfile -t COMPREPLY < <(compgen -d -- "/sys/fs/cgroup${cur}")
		for i in "${!COMPREPLY[@]}"; do
			d=${COMPREPLY[i]#/sys/fs/cgroup}
			COMPREPLY[i]=${d:-/}
		done
	elif [[ $cmd == gpu || $cmd == help ]] && ((i == COMP_CWORD - 1)); then
		if [[ $cmd == help ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_cgsharectl_words "$("${COMP_WORDS[0]}" help 2>/dev/null)")" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(sed -n 's/^  \([a-z]\+\)   .*/\1/p' <<<"$help")" -- "$cur")
		fi
	fi
}
complete -F _cgsharectl cgsharectl
