# bash completion for kiln (installed as .../bash-completion/completions/kiln).
# Commands and options are read from `kiln --help` and `kiln CMD --help` at
# completion time, so they always match the installed binary.
_kiln()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local kiln=${words[0]}
    if [[ $cword -eq 1 ]]; then
        local cmds
        cmds=$("$kiln" --help 2>/dev/null | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi
    local cmd=${words[1]}
    local help
    help=$("$kiln" "$cmd" --help 2>/dev/null) || return
    # an option taking a value: complete files (or formats for --to/--from)
    if [[ $prev == -* ]] && grep -Eq -- "(^|[ ,])${prev} [A-Z]" <<<"$help"; then
        case $prev in
        --to) COMPREPLY=($(compgen -W "kiln folded speedscope pprof callgrind" -- "$cur")) ;;
        --from) COMPREPLY=($(compgen -W "kiln prof perf folded pprof speedscope" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -- "$cur")) ;;
        esac
        return
    fi
    if [[ $cur == -* ]]; then
        local opts
        opts=$(sed -n '/^options:/,$s/^ *\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p' <<<"$help")
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _kiln kiln
