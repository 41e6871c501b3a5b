# bash completion for ptunectl. Install: source this file from ~/.bashrc, or copy it to
# /etc/bash_completion.d/ptunectl. Job ids are completed from `ptunectl list` against
# the scheduler named by --server / $PTUNE_SERVER (quietly nothing when unreachable).

_ptunectl_job_ids() {
  local server_args=()
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      --server|-s|--token|--ca) server_args+=("${COMP_WORDS[i]}" "${COMP_WORDS[i+1]}") ;;
      --tls) server_args+=(--tls) ;;
    esac
  done
  ptunectl "${server_args[@]}" --timeout 2 list --limit 100 2>/dev/null | awk 'NR > 1 {print $1}'
}

_ptunectl() {
  local cur prev command i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  local commands="submit list get cancel watch logs download workers plot"
  local global="--server -s --token --tls --ca --timeout --help --version"

  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      --server|-s|--token|--ca|--timeout) ((i++)) ;;
      -*) ;;
      *) command="${COMP_WORDS[i]}"; break ;;
    esac
  done

  case "$prev" in
    --ca) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --out)
      if [[ "$command" == plot ]]; then
        COMPREPLY=($(compgen -f -X '!*.@(svg|png)' -- "$cur") $(compgen -d -- "$cur"))
      else
        COMPREPLY=($(compgen -d -- "$cur"))
      fi
      return ;;
    --state) COMPREPLY=($(compgen -W "queued running succeeded failed cancelled" -- "$cur")); return ;;
    -o|--output)
      case "$command" in
        submit) COMPREPLY=($(compgen -W "human id json" -- "$cur")) ;;
        get) COMPREPLY=($(compgen -W "human json" -- "$cur")) ;;
        list|workers) COMPREPLY=($(compgen -W "table json" -- "$cur")) ;;
        watch) COMPREPLY=($(compgen -W "auto live plain jsonl" -- "$cur")) ;;
      esac
      return ;;
    --view) COMPREPLY=($(compgen -W "auto live plain jsonl" -- "$cur")); return ;;
    --server|-s|--token|--timeout|--priority|--label|--request-id|--max-attempts|--from|--reason|--limit|--name)
      return ;;
  esac

  if [[ -z "$command" ]]; then
    COMPREPLY=($(compgen -W "$commands $global" -- "$cur"))
    return
  fi
  local flags=""
  case "$command" in
    submit) flags="--priority --label --request-id --max-attempts --watch -w -o --output --view" ;;
    list) flags="--state --label --limit -o --output" ;;
    get) flags="-o --output" ;;
    cancel) flags="--reason" ;;
    watch) flags="--from -o --output" ;;
    logs) flags="-f --follow" ;;
    download) flags="--out --name --checkpoint" ;;
    workers) flags="-o --output" ;;
    plot) flags="--out" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
  elif [[ "$command" == submit ]]; then
    COMPREPLY=($(compgen -f -X '!*.@(yaml|yml|json)' -- "$cur") $(compgen -d -- "$cur"))
  elif [[ "$command" != list && "$command" != workers ]]; then
    COMPREPLY=($(compgen -W "$(_ptunectl_job_ids)" -- "$cur"))
  fi
}

complete -F _ptunectl ptunectl
