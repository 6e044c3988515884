#!/usr/bin/env bash
# Record the detection stories: samples/stories/{attack,clean}.pcap, captures with a known
# story made by real peers (pymodbus, python-snap7, mosquitto, nmap) in network namespaces
# this script creates and joins with a Linux bridge, on which tcpdump listens. Nothing leaves
# the namespaces: every address is in 10.77.0.0/24 and no namespace has a route elsewhere.
#
# Usage: scripts/stories/make-stories.sh [attack|clean|all] [OUTDIR]
#        (default: all, into samples/stories)
#
# Needs root (namespaces, bridge, packet capture) and installs nothing; it stops with the list
# of what is missing. Debian packages: iproute2, tcpdump, python3, mosquitto,
# mosquitto-clients, nmap, openssl. Python packages: pymodbus==3.16.1, python-snap7==3.3.0
# (pure Python since 3.0: S7 client and server, no native library).
#
# samples/stories/README.md describes the topology, the timeline and what each story must
# raise; attack.expected.toml holds the expectation that crates/cli/tests/stories.rs checks.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
story=${1:-all}
outdir=${2:-$repo/samples/stories}
state=/run/rampart-stories
pymodbus_version=3.16.1
snap7_version=3.3.0
export PYTHONDONTWRITEBYTECODE=1 # the peers import schedule.py: leave no __pycache__ beside it

# The timeline, in seconds from the story's start (the HMI's first packet). Learning is the
# first LEARN seconds; each injection comes well after it and 10 s after the one before, so
# an alert's first_seen names its step. Keep samples/stories/README.md and
# attack.expected.toml in step with these.
LEARN=60
INTRUDER_AT=75    # (a) a new host reads the PLC's holding registers over Modbus/TCP
WRITE_AT=85.5     # (b) the HMI writes two setpoints with function 16, never used while learning
STOP_AT=95.5      # (c) the engineering workstation sends an S7comm PLC STOP
SCAN_AT=105       # (d) the new host SYN-scans ports 1-40 of the PLC
CLEARTEXT_AT=115  # (e) the sensor's setup tool logs in to the broker without TLS
END=124.7         # tcpdump stops, between two polls; the peers are stopped only after it, so
                  # no teardown and no unanswered request is captured
CLIENTS_UNTIL=160 # the clients outlive the capture; teardown stops them

say() { echo "make-stories: $*"; }
die() {
    echo "make-stories: error: $*" >&2
    exit 1
}

case $story in
attack | clean) stories=("$story") ;;
all) stories=(attack clean) ;;
*) die "unknown story '$story' (attack, clean or all)" ;;
esac

# --- what must be installed --------------------------------------------------------------------

check_tools() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces and captures)"
    local missing=() tool pkg
    for pair in ip:iproute2 ss:iproute2 tcpdump:tcpdump python3:python3 mosquitto:mosquitto \
        mosquitto_pub:mosquitto-clients mosquitto_passwd:mosquitto nmap:nmap openssl:openssl; do
        tool=${pair%%:*} pkg=${pair#*:}
        command -v "$tool" >/dev/null || missing+=("$pkg (for $tool)")
    done
    python3 -c "import pymodbus, sys; sys.exit(pymodbus.__version__ != '$pymodbus_version')" 2>/dev/null ||
        missing+=("python3 package pymodbus==$pymodbus_version")
    python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('python-snap7') != '$snap7_version')" \
        2>/dev/null || missing+=("python3 package python-snap7==$snap7_version")
    [[ ${#missing[@]} -eq 0 ]] || die "missing: ${missing[*]}"
}

# --- topology ----------------------------------------------------------------------------------

# host     address      MAC                (OUI holder, chosen to fit the role)
hosts=(
    "plc      10.77.0.10   00:1b:1b:77:00:10"  # Siemens AG
    "hmi      10.77.0.20   00:80:f4:77:00:20"  # Telemecanique Electrique
    "broker   10.77.0.30   02:42:0a:4d:00:1e"  # locally administered, as a container's would be
    "sensor   10.77.0.31   24:0a:c4:77:00:31"  # Espressif
    "ews      10.77.0.40   b8:ca:3a:77:00:40"  # Dell
    "intruder 10.77.0.66   00:0c:29:77:00:66"  # VMware: a virtual machine brought onto the LAN
)
namespaces=(sw plc hmi broker sensor ews intruder)
PLC=10.77.0.10
BROKER=10.77.0.30

ns_prefix=rs-
# shellcheck source=scripts/netns.sh
source "$here/../netns.sh"

on_exit() {
    local status=$?
    set +e
    stop_namespaces
    show_logs_on_failure "$status" make-stories
    rm -rf "$state"
}

build_network() {
    local entry name addr mac other oaddr omac
    make_namespaces
    in_ns sw ip link add br0 type bridge stp_state 0
    in_ns sw ip link set br0 up
    for entry in "${hosts[@]}"; do
        read -r name addr mac <<<"$entry"
        plug_host "$name" "$mac"
        in_ns "$name" ip addr add "$addr/24" dev eth0
    done
    # Static neighbours everywhere: without ARP the captures hold only the story's
    # conversations, and no ARP request gives the intruder away before its step.
    for entry in "${hosts[@]}"; do
        read -r name _ _ <<<"$entry"
        for other in "${hosts[@]}"; do
            read -r _ oaddr omac <<<"$other"
            [[ $other == "$entry" ]] || in_ns "$name" ip neigh replace "$oaddr" lladdr "$omac" dev eth0 nud permanent
        done
    done
}

start_servers() {
    daemon plc plc python3 "$here/plc.py" "$PLC"
    peer_pids[plc]=$!

    # The broker takes passwords only, on TLS (8883) for the sensor's normal session and in
    # cleartext (1883) for the setup tool of step (e). The key and certificate are made for
    # this run; TLS 1.3 keeps the certificate itself out of the capture.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=broker.plant.lan -addext subjectAltName=IP:$BROKER \
        -keyout "$state/broker.key" -out "$state/broker.crt" 2>/dev/null
    mosquitto_passwd -b -c "$state/mosquitto.passwd" sensor01 'Temp-Sensor-01' 2>/dev/null
    chmod 600 "$state/mosquitto.passwd" "$state/broker.key"
    cat >"$state/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous false
password_file $state/mosquitto.passwd
persistence false
user root
log_dest stdout
listener 8883 $BROKER
certfile $state/broker.crt
keyfile $state/broker.key
listener 1883 $BROKER
EOF
    daemon broker mosquitto mosquitto -c "$state/mosquitto.conf"
    peer_pids[mosquitto]=$!

    wait_listen plc tcp 502
    wait_listen plc tcp 102
    wait_listen broker tcp 8883
    wait_listen broker tcp 1883
}

capture() { # capture FILE: start tcpdump on the bridge, writing FILE; sets tcpdump_pid
    # Whole frames: a snap length would cut the TLS handshake, and a truncated frame is an
    # anomaly the story does not mean. The conversations are small, so the files stay small.
    daemon sw tcpdump tcpdump -i br0 -n -s 0 -U -Z root -w "$1"
    tcpdump_pid=$!
    for _ in $(seq 50); do
        grep -q 'listening on' "$state/tcpdump.log" && return
        sleep 0.1
    done
    die "tcpdump did not start: $(cat "$state/tcpdump.log")"
}

at_offset() { # at_offset SECONDS: sleep until that many seconds after $start
    local delay
    delay=$(python3 -c "import time; print(max(0.0, $start + $1 - time.time()))")
    sleep "$delay"
}

# The normal plant, the same in both stories: the HMI polls Modbus every second, the
# engineering workstation reads a data block over S7comm every 5 s, the sensor publishes a
# reading every 2 s over MQTT on TLS. Every connection opens in the first two seconds and
# stays open to the end, so the monitoring part of a clean story has nothing new in it.
# "attack" adds the injections to the HMI's and the workstation's own sessions.
start_normal() { # start_normal STORY
    local hmi_extra=() ews_extra=()
    if [[ $1 == attack ]]; then
        hmi_extra=(--write-at "$WRITE_AT")
        ews_extra=(--stop-at "$STOP_AT")
    fi
    local until=$CLIENTS_UNTIL
    daemon hmi hmi python3 "$here/hmi.py" "$PLC" "$start" "$until" "${hmi_extra[@]}"
    peer_pids[hmi]=$!
    daemon ews ews python3 "$here/ews.py" "$PLC" "$start" "$until" "${ews_extra[@]}"
    peer_pids[ews]=$!
    at_offset 0.3
    # mosquitto_pub -l keeps one session and publishes each line it reads.
    # shellcheck disable=SC2016 # expanded by the inner bash, from its arguments
    ip netns exec "${ns_prefix}sensor" bash -c '
        python3 "$1/sensor.py" "$2" "$3" |
            mosquitto_pub -h "$4" -p 8883 --cafile "$5" -i sensor01 -u sensor01 -P Temp-Sensor-01 \
                -q 1 -t plant/line1/tank1/temperature -l' \
        sensor "$here" "$start" "$until" "$BROKER" "$state/broker.crt" >"$state/sensor.log" 2>&1 &
    peer_pids[sensor]=$!
}

inject_attack() {
    daemon intruder intruder python3 "$here/intruder.py" "$PLC" "$start" "$INTRUDER_AT"
    # (b) and (c) are scheduled inside hmi.py and ews.py.
    at_offset "$SCAN_AT"
    in_ns intruder nmap -sS -Pn -n --disable-arp-ping -p 1-40 --max-rate 20 --max-retries 0 \
        "$PLC" >"$state/nmap.log" 2>&1 || die "nmap failed: $(cat "$state/nmap.log")"
    at_offset "$CLEARTEXT_AT"
    in_ns sensor mosquitto_pub -h "$BROKER" -p 1883 -i sensor01-setup -u sensor01 -P Temp-Sensor-01 \
        -q 1 -t plant/line1/tank1/status -m '{"firmware": "1.4.2", "state": "online"}' \
        >"$state/cleartext.log" 2>&1 || die "cleartext publish failed: $(cat "$state/cleartext.log")"
}

# A peer that died would leave a gap in the normal traffic that the story does not mean.
declare -A peer_pids
check_alive() {
    local name
    for name in "${!peer_pids[@]}"; do
        kill -0 "${peer_pids[$name]}" 2>/dev/null || die "$name stopped early: $(tail -n 5 "$state/$name.log")"
    done
}

record() { # record STORY
    local name=$1 pcap=$state/$1.pcap
    say "recording '$name' (${END} s)"
    stop_namespaces # leftovers of an interrupted run
    rm -rf "$state"
    mkdir -p "$state"
    peer_pids=()
    build_network
    start_servers
    capture "$pcap"
    # Five seconds' lead, so that the clients have imported their libraries by then (pymodbus
    # takes over a second on a busy machine) and the HMI's first SYN falls on the start.
    start=$(python3 -c 'import time; print(f"{time.time() + 5:.3f}")')
    start_normal "$name"
    [[ $name == attack ]] && inject_attack
    at_offset "$END"
    kill -TERM "$tcpdump_pid"
    wait "$tcpdump_pid" || true
    check_alive
    [[ $name == attack ]] && { grep -q 'wrote setpoints' "$state/hmi.log" || die "the HMI did not write"; }
    [[ $name == attack ]] && { grep -q 'PLC stop sent' "$state/ews.log" || die "the PLC stop was not sent"; }
    stop_namespaces
    mkdir -p "$outdir"
    cp "$pcap" "$outdir/$name.pcap"
    say "wrote $outdir/$name.pcap: $(tcpdump -r "$outdir/$name.pcap" 2>/dev/null | wc -l) packets, $(stat -c %s "$outdir/$name.pcap") bytes; analyse it with --learn-until ${LEARN}s"
}

check_tools
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for s in "${stories[@]}"; do
    record "$s"
done
