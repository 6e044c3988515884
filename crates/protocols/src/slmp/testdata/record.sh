#!/usr/bin/env bash
# Record pymcprotocol-3e-4e-ascii.pcap: pymcprotocol 0.3.0 (a real MC protocol client)
# against mc_server.py on the loopback interface, port 5007. Needs dumpcap (Wireshark) and
# `pip install pymcprotocol==0.3.0`; captures loopback traffic only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/pymcprotocol-3e-4e-ascii.pcap
python3 "$here/mc_server.py" 3 &
server=$!
sleep 0.5
dumpcap -q -P -i lo -f "tcp port 5007" -w "$out" &
capture=$!
sleep 1
python3 "$here/mc_client.py"
wait "$server"
sleep 1
kill "$capture"
wait "$capture" || true
echo "wrote $out"
