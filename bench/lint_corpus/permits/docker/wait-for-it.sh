#!/usr/bin/env bash
# Wait until HOST:PORT accepts TCP connections.  Usage: wait-for-it.sh host:port [--timeout=N] [--strict] [-- cmd...]
set -u
hostport=$1; shift
host=${hostport%%:*}; port=${hostport##*:}
timeout=15; strict=0
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout=*) timeout=${1#*=}; shift ;;
        --strict) strict=1; shift ;;
        --) shift; break ;;
        *) break ;;
    esac
done
start=$(date +%s)
until (echo > "/dev/tcp/$host/$port") 2>/dev/null; do
    if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
        echo "wait-for-it: timeout after ${timeout}s waiting for $host:$port" >&2
        [ "$strict" = 1 ] && exit 1
        break
    fi
    sleep 1
done
[ $# -gt 0 ] && exec "$@"
exit 0
