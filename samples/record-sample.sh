#!/usr/bin/env bash
# Record samples/plant-sample.pcap: a small plant network of real protocol peers (pymodbus,
# mosquitto, dnsmasq, snmpd, python's http.server, sshd, chronyd, lldpd) in network namespaces
# this script creates, joined by a Linux bridge on which tcpdump listens. Nothing leaves the
# namespaces: every address is in 10.77.0.0/24 and no namespace has a route elsewhere.
#
# Usage: sudo samples/record-sample.sh [OUTPUT.pcap]     (default samples/plant-sample.pcap)
# Needs root (namespaces, bridge, packet capture). Installs what is missing with apt-get and pip.
# samples/README.md describes the topology and what the capture holds.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/samples/plant-sample.pcap}
state=/run/rampart-sample
pymodbus_version=3.16.1

say() { echo "record-sample: $*"; }
die() {
    echo "record-sample: error: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces and captures); try: sudo $0"

# host  address      MAC                 (OUI holder, so vendor lookup has something to name)
hosts=(
    "gw     10.77.0.1    00:00:0c:77:00:01"  # Cisco Systems
    "plc    10.77.0.10   00:1b:1b:77:00:10"  # Siemens AG
    "hmi    10.77.0.20   00:80:f4:77:00:20"  # Telemecanique Electrique
    "broker 10.77.0.30   02:42:0a:4d:00:1e"  # locally administered, as a container's would be
    "sensor 10.77.0.31   24:0a:c4:77:00:31"  # Espressif
    "ews    10.77.0.40   b8:ca:3a:77:00:40"  # Dell
    "cam    dhcp         00:40:8c:77:00:99"  # Axis Communications
)
namespaces=(sw gw plc hmi broker sensor ews cam)
made_dirs=()

# --- tools -------------------------------------------------------------------------------------

apt_updated=
need() { # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null && return
    say "installing $2 (for $1)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "$2" >/dev/null; then
        [[ -n $apt_updated ]] || { apt-get update >/dev/null && apt_updated=1; }
        apt-get install -y --no-install-recommends "$2" >/dev/null
    fi
    command -v "$1" >/dev/null || die "$1 still missing after installing $2"
}
need ip iproute2
need ss iproute2
need tcpdump tcpdump
need python3 python3
need mosquitto mosquitto
need mosquitto_pub mosquitto-clients
need dnsmasq dnsmasq-base
need snmpd snmpd
need snmpget snmp
need busybox busybox
need sshd openssh-server
need ssh openssh-client
need chronyd chrony
need lldpd lldpd
need curl curl
if ! python3 -c 'from pymodbus.datastore import ModbusDeviceContext' 2>/dev/null; then
    say "installing pymodbus $pymodbus_version"
    python3 -m pip install -q "pymodbus==$pymodbus_version" ||
        python3 -m pip install -q --break-system-packages "pymodbus==$pymodbus_version"
fi

# --- namespaces and cleanup --------------------------------------------------------------------

ns_prefix=rp-
# shellcheck source=scripts/netns.sh
source "$repo/scripts/netns.sh"

cleanup() {
    local status=$?
    set +e
    stop_namespaces
    show_logs_on_failure "$status" record-sample
    local d
    for d in "${made_dirs[@]}"; do rm -rf "$d"; done
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_namespaces # leftovers of an interrupted run
rm -rf "$state"
mkdir -p "$state"
# Daemons expect these runtime directories, which their systemd units normally create.
for d in /run/sshd /run/lldpd; do
    [[ -d $d ]] || { mkdir -p "$d" && made_dirs+=("$d"); }
done

make_namespaces
in_ns sw ip link add br0 type bridge stp_state 0
# Forward LLDP (01:80:c2:00:00:0e) like a plain switch would flood it, so the capture sees it.
in_ns sw ip link set br0 type bridge group_fwd_mask 0x4000
in_ns sw ip link set br0 up

for entry in "${hosts[@]}"; do
    read -r name addr mac <<<"$entry"
    plug_host "$name" "$mac"
    [[ $addr == dhcp ]] || in_ns "$name" ip addr add "$addr/24" dev eth0
done

# --- capture -----------------------------------------------------------------------------------

pcap=$state/capture.pcap
daemon sw tcpdump tcpdump -i br0 -s 0 -U -Z root -w "$pcap"
tcpdump_pid=$!
for _ in $(seq 50); do
    grep -q 'listening on' "$state/tcpdump.log" && break
    sleep 0.1
done
grep -q 'listening on' "$state/tcpdump.log" || die "tcpdump did not start: $(cat "$state/tcpdump.log")"
say "capturing on br0 in rp-sw"

# --- servers -----------------------------------------------------------------------------------

# gw: DNS and DHCP (dnsmasq), SSH, NTP, LLDP
daemon gw dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root \
    --interface=eth0 --bind-interfaces --no-resolv --no-hosts --no-poll \
    --domain=plant.lan --local=/plant.lan/ \
    --host-record=gw.plant.lan,10.77.0.1 --host-record=plc.plant.lan,10.77.0.10 \
    --host-record=historian.plant.lan,10.77.0.50 \
    --dhcp-range=10.77.0.100,10.77.0.149,255.255.255.0,1h --dhcp-authoritative \
    --dhcp-option=option:router,10.77.0.1 --dhcp-option=option:dns-server,10.77.0.1 \
    --dhcp-option=option:ntp-server,10.77.0.1 \
    --dhcp-leasefile="$state/dnsmasq.leases" --pid-file="$state/dnsmasq.pid" \
    --log-facility=- --log-queries --log-dhcp

ssh-keygen -q -t ed25519 -N '' -C gw -f "$state/ssh_host_ed25519_key"
cat >"$state/sshd_config" <<EOF
ListenAddress 10.77.0.1
HostKey $state/ssh_host_ed25519_key
PidFile $state/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
EOF
daemon gw sshd "$(command -v sshd)" -D -e -f "$state/sshd_config"

cat >"$state/chrony-gw.conf" <<EOF
bindaddress 10.77.0.1
allow 10.77.0.0/24
local stratum 8
cmdport 0
pidfile $state/chronyd-gw.pid
EOF
# -x: serve time without touching the clock, which the namespaces share with the host.
daemon gw chronyd chronyd -d -x -u root -f "$state/chrony-gw.conf"

lldp() { # lldp NS HOSTNAME DESCRIPTION PLATFORM ADDRESS
    printf 'configure system hostname %s\nconfigure lldp tx-interval 5\n' "$2" >"$state/lldpd-$1.conf"
    # -k: advertise no kernel version, so nothing about the recording host gets in.
    daemon "$1" "lldpd-$1" lldpd -d -k -i -u "$state/lldpd-$1.sock" -I eth0 -S "$3" -P "$4" -m "$5" \
        -O "$state/lldpd-$1.conf"
}
lldp gw gw-line1 "Rampart sample gateway" "RS-GW-10" 10.77.0.1

# plc: Modbus/TCP with device identification, a web page, SNMP, LLDP
cat >"$state/modbus_server.py" <<'EOF'
from pymodbus import ModbusDeviceIdentification
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer

identity = ModbusDeviceIdentification(info_name={
    "VendorName": "Rampart Sample Controls",
    "ProductCode": "RS-PLC-100",
    "MajorMinorRevision": "2.7.1",
    "VendorUrl": "http://plc.plant.lan/",
    "ProductName": "Sample line controller",
    "ModelName": "RS-PLC-100",
    "UserApplicationName": "line1-filling",
})
# Tank level, pressure, temperature, speed, setpoints and a mode word. The data block counts
# from 1 (the Modbus data model's numbering), so protocol address 0 is the first value.
registers = ModbusSequentialDataBlock(1, [812, 1013, 215, 1450, 0, 900, 1100, 200, 1500, 3, 0, 0])
context = ModbusServerContext(devices=ModbusDeviceContext(hr=registers), single=True)
StartTcpServer(context, identity=identity, address=("10.77.0.10", 502))
EOF
daemon plc modbus python3 "$state/modbus_server.py"

mkdir -p "$state/www"
cat >"$state/www/index.html" <<'EOF'
<!doctype html>
<html><head><title>RS-PLC-100 line1-filling</title></head>
<body><h1>Line 1 filling controller</h1><p>Firmware 2.7.1. <a href="status.json">Status</a></p></body></html>
EOF
printf '{"mode": "auto", "level_mm": 812, "pressure_mbar": 1013, "alarms": []}\n' >"$state/www/status.json"
daemon plc http python3 -m http.server 80 --bind 10.77.0.10 --directory "$state/www"

mkdir -p "$state/snmp"
cat >"$state/snmpd.conf" <<'EOF'
agentaddress udp:10.77.0.10:161
rocommunity public 10.77.0.0/24
sysdescr Rampart Sample Controls RS-PLC-100, firmware 2.7.1
sysname plc-line1
syslocation Line 1, cabinet 3
syscontact controls@plant.example
sysservices 72
EOF
SNMP_PERSISTENT_DIR=$state/snmp daemon plc snmpd snmpd -f -Lo -C -c "$state/snmpd.conf" -p "$state/snmpd.pid"

lldp plc plc-line1 "Rampart Sample Controls RS-PLC-100, firmware 2.7.1" "RS-PLC-100" 10.77.0.10

# broker: MQTT with passwords required
mosquitto_passwd -b -c "$state/mosquitto.passwd" sensor01 'Temp-Sensor-01' 2>/dev/null
mosquitto_passwd -b "$state/mosquitto.passwd" hmi 'Hmi-Subscriber' 2>/dev/null
chmod 600 "$state/mosquitto.passwd"
cat >"$state/mosquitto.conf" <<EOF
listener 1883 10.77.0.30
allow_anonymous false
password_file $state/mosquitto.passwd
persistence false
user root
log_dest stdout
EOF
daemon broker mosquitto mosquitto -c "$state/mosquitto.conf"

wait_listen gw udp 53
wait_listen gw udp 67
wait_listen gw tcp 22
wait_listen gw udp 123
wait_listen plc tcp 502
wait_listen plc tcp 80
wait_listen plc udp 161
wait_listen broker tcp 1883
say "servers up"

# --- clients -----------------------------------------------------------------------------------

# hmi: poll the PLC for ten seconds, read its identification once, write one setpoint
cat >"$state/modbus_client.py" <<'EOF'
import time
from pymodbus.client import ModbusTcpClient

client = ModbusTcpClient("10.77.0.10", port=502, timeout=2)
if not client.connect():
    raise SystemExit("cannot reach the PLC")
ident = client.read_device_information(read_code=0x02, object_id=0x00, device_id=1)
print("identification:", {k: v.decode() for k, v in ident.information.items()})
for i in range(20):
    regs = client.read_holding_registers(0, count=10, device_id=1)
    if regs.isError():
        raise SystemExit(f"read failed: {regs}")
    if i == 10:
        client.write_register(4, 1, device_id=1)  # start the filling pump
    time.sleep(0.5)
print("last registers:", regs.registers)
client.close()
EOF
daemon hmi modbus-client python3 "$state/modbus_client.py"
modbus_client=$!
daemon hmi mqtt-sub mosquitto_sub -h 10.77.0.30 -i hmi-line1 -u hmi -P 'Hmi-Subscriber' \
    -t 'plant/#' -v -C 6 -W 20
mqtt_sub=$!
sleep 0.5

# cam: DHCP with a hostname and vendor class, then a DNS lookup
cat >"$state/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
bound | renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    ;;
esac
EOF
chmod +x "$state/udhcpc.script"
in_ns cam busybox udhcpc -f -q -n -i eth0 -t 5 -T 2 -s "$state/udhcpc.script" \
    -x hostname:ipcam-01 -V 'RampartSample IPCam' >"$state/udhcpc.log" 2>&1 ||
    die "DHCP failed: $(cat "$state/udhcpc.log")"
in_ns cam busybox nslookup historian.plant.lan. 10.77.0.1 >"$state/nslookup-cam.log" 2>&1 ||
    die "DNS lookup failed: $(cat "$state/nslookup-cam.log")"

# sensor: publish readings with cleartext credentials; one attempt with a wrong password
for i in 1 2 3 4 5; do
    in_ns sensor mosquitto_pub -h 10.77.0.30 -i sensor01 -u sensor01 -P 'Temp-Sensor-01' -q 1 \
        -t plant/line1/tank1/temperature -m "{\"celsius\": 21.$i}"
    sleep 0.6
done
in_ns sensor mosquitto_pub -h 10.77.0.30 -i sensor01 -u sensor01 -P 'Temp-Sensor-01' -r \
    -t plant/line1/tank1/status -m online
in_ns sensor mosquitto_pub -h 10.77.0.30 -i sensor01 -u sensor01 -P 'wrong-password' \
    -t plant/line1/tank1/status -m online >/dev/null 2>&1 && die "the broker accepted a wrong password"

# ews: name lookup, the PLC's web page with basic auth, SNMP, SSH, NTP
in_ns ews busybox nslookup plc.plant.lan. 10.77.0.1 >"$state/nslookup-ews.log" 2>&1 ||
    die "DNS lookup failed: $(cat "$state/nslookup-ews.log")"
for page in / /status.json; do
    in_ns ews curl -sS --max-time 5 -o /dev/null -u 'engineer:Line1-Passw0rd' \
        -A 'SampleEWS/4.2 (engineering workstation)' "http://10.77.0.10$page"
done
SNMP_PERSISTENT_DIR=$state/snmp in_ns ews snmpget -v2c -c public -On -m '' -t 2 -r 1 10.77.0.10 \
    1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 >"$state/snmpget.log" 2>&1 ||
    die "snmpget failed: $(cat "$state/snmpget.log")"
# BatchMode and no usable key: banner and key exchange cross, then authentication fails.
in_ns ews ssh -F /dev/null -o BatchMode=yes -o LogLevel=ERROR -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o PubkeyAuthentication=no \
    engineer@10.77.0.1 true >"$state/ssh.log" 2>&1 || true
grep -q 'Permission denied' "$state/ssh.log" || die "SSH exchange failed: $(cat "$state/ssh.log")"
in_ns ews chronyd -Q -t 10 -u root 'server 10.77.0.1 iburst maxsamples 1' >"$state/ntp.log" 2>&1 ||
    die "NTP query failed: $(cat "$state/ntp.log")"

wait "$modbus_client" || die "Modbus client failed: $(cat "$state/modbus-client.log")"
wait "$mqtt_sub" || die "MQTT subscriber failed: $(cat "$state/mqtt-sub.log")"
sleep 3 # one more round of LLDP

# --- finish ------------------------------------------------------------------------------------

kill -TERM "$tcpdump_pid"
wait "$tcpdump_pid" || true
mkdir -p "$(dirname "$out")"
cp "$pcap" "$out"
say "wrote $out: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets, $(stat -c %s "$out") bytes"
