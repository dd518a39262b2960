#!/bin/bash
# detach.sh LOG CMD [ARG...]: starts CMD as a daemon of its own session,
# output appended to LOG, with no file descriptor of the caller's but
# stdin/stdout/stderr. A lock the caller holds (`flock FILE lab_up.sh`,
# lab_up.sh's own) would otherwise stay held for as long as CMD runs.
log=$1
shift
for fd in "/proc/$$/fd"/*; do
  fd=${fd##*/}
  if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null; fi
done
exec setsid -f "$@" >>"$log" 2>&1 </dev/null
