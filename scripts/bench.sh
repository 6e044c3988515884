#!/usr/bin/env bash
# bench.sh — measure `rampart analyze` beside the peers on the shared benchmark corpus.
#
#   usage: scripts/bench.sh [CAPTURES_DIR]        (default ../shared/captures)
#
# 1. builds rampart in release mode (PGO=1: the profile-guided build of scripts/pgo-build.sh;
#    BIN=PATH: measure that binary and build nothing);
# 2. runs ../shared/bench/peers.sh, which builds the corpus (ot_mixed, modbus_small,
#    real_mix) from CAPTURES_DIR into $BENCH_DIR and measures the peers on it (libpcap floor,
#    tcpdump, ndpiReader, argus, Suricata when installed); set PEERS=none to reuse the peer
#    figures already in $BENCH_DIR/results.tsv;
# 3. runs rampart $RUNS times per corpus file, single-threaded, all dissectors on:
#      rampart      `rampart analyze FILE` (the analysis with detection, its summary, no files)
#      rampart_nodetect  the same with `--no-detect` (the sensor pipeline alone)
#      rampart_out  `rampart analyze FILE --out DIR` (plus JSON Lines, SQLite and the report)
#    and prints packets per CPU-second, Gbit/s, peak RSS and the ratio to each peer.
#
# Environment: BENCH_DIR [/tmp/bench] RUNS [3] FILES [ot_mixed modbus_small real_mix]
#   PEERS [floor_pcap tcpdump ndpi argus suricata suricata_noeve] VARIANTS [rampart rampart_nodetect rampart_out]
#   PGO [0]  BIN [unset]
# Needs: GNU time (/usr/bin/time), gcc, libpcap-dev, wireshark-common, tcpdump, and the peers.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")/.." && pwd)
SRC=${1:-$here/../shared/captures}
BENCH_DIR=${BENCH_DIR:-/tmp/bench}
RUNS=${RUNS:-3}
FILES=${FILES:-"ot_mixed modbus_small real_mix"}
PEERS=${PEERS:-"floor_pcap tcpdump ndpi argus suricata suricata_noeve"}
VARIANTS=${VARIANTS:-"rampart rampart_nodetect rampart_out"}
export BENCH_DIR RUNS

if [ -n "${BIN:-}" ]; then
  bin=$BIN
elif [ "${PGO:-0}" = 1 ]; then
  bin=$(bash "$here/scripts/pgo-build.sh" "$SRC") || { echo "PGO build failed" >&2; exit 1; }
else
  (cd "$here" && cargo build --release --quiet -p rampart-cli) || { echo "build failed" >&2; exit 1; }
  bin=$here/target/release/rampart
fi

FILES="$FILES" PEERS="$PEERS" bash "$here/../shared/bench/peers.sh" "$SRC" >&2 || true
results=$BENCH_DIR/results.tsv
[ -f "$results" ] || { echo "no peer results in $results" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END{if(NR==0){print "NA"} else if(NR%2){print a[(NR+1)/2]} else {printf "%.3f\n",(a[NR/2]+a[NR/2+1])/2}}'; }

# Latest figures per (tool, file): tool file packets wall cpu Mpps Gbps Mpps/cpu peakMiB
peer_rows() { awk '!/^#/ && NF >= 9 && $3 ~ /^[0-9]+$/ { row[$1" "$2] = $0 } END { for (k in row) print row[k] }' "$results"; }

# A binary given with BIN= may come from any commit: name only its path then.
built="rampart $(git -C "$here" rev-parse --short HEAD) ($bin)"
[ -n "${BIN:-}" ] && built="rampart $bin (given with BIN=)"
echo "# $(date -u +%FT%TZ) $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $built; runs=$RUNS"
printf "%-12s %-13s %10s %8s %8s %9s %8s %8s  %s\n" tool file packets wall_s cpu_s Mpps/cpu Gbps peakMiB "ratio (rampart Mpps/cpu ÷ peer Mpps/cpu)"
for fn in $FILES; do
  f=$BENCH_DIR/$fn.pcap
  [ -f "$f" ] || { echo "# $fn.pcap missing, skipped" >&2; continue; }
  read -r pk _ wb _ < <("$BENCH_DIR/bin/pcap_floor" "$f" 2>/dev/null || echo "0 0 0 0")
  for variant in $VARIANTS; do
    walls="" cpus="" rss=""
    for _ in $(seq 1 "$RUNS"); do
      out=$(mktemp -d)
      case $variant in
        rampart) cmd=("$bin" analyze -q --progress never "$f") ;;
        rampart_nodetect) cmd=("$bin" analyze -q --progress never --no-detect "$f") ;;
        rampart_out) cmd=("$bin" analyze -q --progress never --out "$out" "$f") ;;
      esac
      /usr/bin/time -f '%e %U %S %M' -o "$BENCH_DIR/rampart.time" "${cmd[@]}" > /dev/null 2> "$BENCH_DIR/rampart.stderr"
      read -r w u s m < "$BENCH_DIR/rampart.time"
      rm -rf "$out"
      walls+="$w"$'\n'; cpus+="$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')"$'\n'; rss+="$m"$'\n'
    done
    w=$(printf '%s' "$walls" | median); c=$(printf '%s' "$cpus" | median); m=$(printf '%s' "$rss" | sort -g | tail -1)
    ratios=$(peer_rows | awk -v f="$fn" -v pk="$pk" -v c="$c" '$2 == f && $8 > 0 {
      mine = pk / c / 1e6; printf "%s %.2fx  ", $1, mine / $8 }' | sort)
    awk -v t="$variant" -v f="$fn" -v pk="$pk" -v wb="$wb" -v w="$w" -v c="$c" -v m="$m" -v r="$ratios" 'BEGIN{
      printf "%-12s %-13s %10d %8.2f %8.2f %9.3f %8.3f %8.1f  %s\n", t, f, pk, w, c, pk/c/1e6, wb*8/w/1e9, m/1024, r }'
  done
  peer_rows | awk -v f="$fn" '$2 == f { printf "%-12s %-13s %10d %8.2f %8.2f %9.3f %8.3f %8.1f  (peer)\n", $1, $2, $3, $4, $5, $8, $7, $9 }' | sort
done
