# Helpers for the scripts that record captures with real peers in network namespaces
# (samples/record-sample.sh, scripts/stories/make-stories.sh): run in a namespace, start a
# peer with its log, wait for a listener, and stop and delete every namespace a script made.
# Sourced, not run. The script sets first:
#   ns_prefix    the prefix of its namespaces' names (rp-, rs-), so that no two scripts share one
#   namespaces   its namespaces, without the prefix
#   state        the directory for the peers' logs
#   die          a function that prints its arguments as an error and exits
# shellcheck shell=bash disable=SC2154 # ns_prefix, namespaces and state are the sourcing script's

ns_exists() { # ns_exists NS
    ip netns list | grep -q "^$ns_prefix$1\b"
}

in_ns() { # in_ns NS COMMAND...: run in the namespace
    local ns=$1
    shift
    ip netns exec "$ns_prefix$ns" "$@"
}

daemon() { # daemon NS NAME COMMAND...: start in the background, logging to $state/NAME.log
    local ns=$1 name=$2
    shift 2
    # A plain command, not a function, so that $! is the peer's own pid (ip netns exec execs).
    ip netns exec "$ns_prefix$ns" "$@" >"$state/$name.log" 2>&1 &
}

wait_listen() { # wait_listen NS tcp|udp PORT: wait up to 10 s for a listener
    local flag=-ltnH
    [[ $2 == udp ]] && flag=-lunH
    for _ in $(seq 100); do
        [[ -n $(in_ns "$1" ss $flag "sport = :$3") ]] && return
        sleep 0.1
    done
    die "nothing listens on $2/$3 in $ns_prefix$1"
}

quiet_ipv6() { # quiet_ipv6 NS: no IPv6, so no router solicitations, MLD or DAD in the capture
    # Set before any interface exists. It fails only where the kernel has no IPv6 at all.
    in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
}

signal_ns() { # signal_ns NS SIGNAL: signal every process in the namespace (all started here)
    local pids
    mapfile -t pids < <(ip netns pids "$ns_prefix$1")
    [[ ${#pids[@]} -eq 0 ]] || kill "-$2" "${pids[@]}" 2>/dev/null || true
}

stop_namespaces() { # stop every process in the script's namespaces, then delete them
    local ns
    for ns in "${namespaces[@]}"; do
        if ns_exists "$ns"; then signal_ns "$ns" TERM; fi
    done
    sleep 0.5
    for ns in "${namespaces[@]}"; do
        ns_exists "$ns" || continue
        signal_ns "$ns" KILL
        ip netns del "$ns_prefix$ns" 2>/dev/null || true
    done
}

show_logs_on_failure() { # show_logs_on_failure STATUS NAME: the peers' last lines, unless it ended well or was interrupted
    if [[ $1 -ne 0 && $1 -ne 130 && $1 -ne 143 && -d $state ]]; then
        echo "$2: the peers' logs follow" >&2
        tail -n 5 "$state"/*.log >&2
    fi
}

make_namespaces() { # make every namespace, with no IPv6 and its loopback up
    local ns
    for ns in "${namespaces[@]}"; do
        ip netns add "$ns_prefix$ns"
        quiet_ipv6 "$ns"
        in_ns "$ns" ip link set lo up
    done
}

plug_host() { # plug_host NAME MAC: NAME's eth0, with MAC, into port NAME of br0 in the sw namespace
    ip -n "${ns_prefix}sw" link add "$1" type veth peer name eth0 netns "$ns_prefix$1"
    ip -n "${ns_prefix}sw" link set "$1" master br0 up
    in_ns "$1" ip link set eth0 address "$2"
    in_ns "$1" ip link set eth0 up
}
