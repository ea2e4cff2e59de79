#!/bin/sh
# The image's command: `lendgres serve` on port 8000 of every interface, with LENDGRES_WORKERS uvicorn workers, or,
# when that is unset or empty, one per CPU the container may use: the CPUs it may run on (nproc), fewer when a CPU
# quota (docker run --cpus, compose's cpus:) allows less, rounded up. Each worker has its own database pool
# (LENDGRES_POOL_MAX_SIZE connections) and its own LISTEN connection: size max_connections for workers x pool.
set -eu

cpu_max_file="${LENDGRES_CPU_MAX_FILE:-/sys/fs/cgroup/cpu.max}" # cgroup v2; a test points it elsewhere

cpus() {
    count="$(nproc)"
    if [ -r "$cpu_max_file" ]; then
        read -r quota period <"$cpu_max_file"
        if [ "$quota" != "max" ]; then
            allowed=$(((quota + period - 1) / period))
            [ "$allowed" -lt "$count" ] && count="$allowed"
        fi
    fi
    echo "$count"
}

workers="${LENDGRES_WORKERS:-}"
[ -n "$workers" ] || workers="$(cpus)"
exec lendgres serve --host 0.0.0.0 --port 8000 --workers "$workers" "$@"
