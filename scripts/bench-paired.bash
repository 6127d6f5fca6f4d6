# scripts/bench --telemetry-paired, sourced by scripts/bench once its helpers are defined.
#
# Two gateways at once, both event loops on the gateway core, each driven by its own load of the
# same row at the same moment: one in the mode under test, the other (the control) with telemetry
# off. Requests a second on this VM move by ±15 % between 5 s windows seconds apart (the core's
# speed changes under a neighbour, with no steal to show for it), in every mode alike; two
# gateways running side by side see the same core at the same moment, so their ratio keeps what
# telemetry changes and loses the machine's drift. The two loops share the core (the kernel gives
# each about half), so each gateway's requests a second is about half of one gateway's, and the
# ratio is that of what a request costs each request path. Telemetry's threads run on any core
# (the own layout), as on a host with cores to spare; their CPU is reported, not in the ratio.
#
# JVMs differ from each other by more than telemetry costs (see docs/performance-history.md), so the
# gateway that runs the mode under test alternates from round to round (a crossover) and each
# JVM's bias cancels over two rounds. BENCH_TELEMETRY_MODES names the modes compared with the
# control; "off" there is off against off, the method's own check: its interval shows what the
# method cannot tell apart. BENCH_GW1_JAVA_OPTS: JVM options for the second gateway alone, a check
# of the method (-XX:TieredStopAtLevel=1 makes that gateway's request path dearer; its share of
# the requests must fall by as much, round by round, or the load is the limit, not the gateways).
# BENCH_TELEMETRY_LAYOUT=apart puts every thread but the event loops on the load's cores: a mode
# whose change vanishes there cost the request path through its threads' turns on the gateways'
# core (CPU that --telemetry counts as telemetry's own), not through the event loop's work.
tlayout="${BENCH_TELEMETRY_LAYOUT:-own}"
case "$tlayout" in own|apart) ;; *) die "BENCH_TELEMETRY_LAYOUT must be own or apart with --telemetry-paired" ;; esac
rounds="${BENCH_TELEMETRY_ROUNDS:-10}"
settle="${BENCH_TELEMETRY_SETTLE_SECS:-3}"
[[ "$settle" =~ ^[0-9]+$ ]] || die "BENCH_TELEMETRY_SETTLE_SECS must be whole seconds"
[ "${#gw_pin[@]}" -gt 0 ] || die "--telemetry-paired needs two CPUs and taskset (the gateways' core and the load's)"
IFS=, read -r -a rows <<<"${BENCH_TELEMETRY_ROWS:-chat 1,chat 64,chat 256,chat 1000,sse 64}"
for r in "${rows[@]}"; do
  [[ "$r" =~ ^(chat|sse)\ [0-9]+$ ]] || die "BENCH_TELEMETRY_ROWS: '$r' is not 'chat N' or 'sse N'"
done
read -r -a modes <<<"${BENCH_TELEMETRY_MODES:-off live dead}"
for tm in "${modes[@]}"; do
  case "$tm" in off|live|dead|otlp|log) ;; *) die "BENCH_TELEMETRY_MODES: '$tm' is not off, live, dead, otlp or log" ;; esac
done
gw_ports=("$gw_port" "$((gw_port + 1))")
gw_pids=()

# paired_switch I TM: gateway I to telemetry mode TM (its own config and request log), by reload
paired_switch() {
  gw_port=${gw_ports[$1]} request_log_path="$out/requests-$1.jsonl" \
    switch_telemetry "$2" "$out/gateway-paired-$1.toml"
}

start_mock mock "$mock_port" --ttft-ms 0 --chunks 20 --gap-ms 5 --size 64
mock_pid=$last_pid
rm -f "$out"/requests-[01].jsonl*
for i in 0 1; do
  gw_port=${gw_ports[$i]} request_log_path="$out/requests-$i.jsonl" BENCH_TELEMETRY=off \
    write_config "$out/gateway-paired-$i.toml" 0
  opts=${OXLLM_JAVA_OPTS:-}; [ "$i" = 0 ] || opts="$opts ${BENCH_GW1_JAVA_OPTS:-}"
  OXLLM_JAVA_OPTS=$opts gw_port=${gw_ports[$i]} start_gateway "$out/gateway-paired-$i.toml" "$out/gateway-$i.log"
  gw_pids+=("$gw_pid")
done
ts=$(date -u +%Y%m%dT%H%M%SZ)
jsonl="$out/telemetry-paired-$ts.jsonl"
: >"$jsonl"
helpers="any CPU"; [ "$tlayout" = apart ] && helpers="CPU $load_cpus (BENCH_TELEMETRY_LAYOUT=apart)"
log "two gateways (pids ${gw_pids[*]}, ports ${gw_ports[*]}), event loops on CPU $gw_cpus, their other threads on $helpers; $secs s per row after $settle s of its load unrecorded, ${warm} s warm-up, $rounds round(s) of ${modes[*]} against off"
load_both chat 64 "$warm"
declare -A V   # V[mode|row|field] = space-separated values, one per round
for round in $(seq 0 "$rounds"); do
  ri=0
  for r in "${rows[@]}"; do
    read -r kind conns <<<"$r"
    for k in "${!modes[@]}"; do
      tm=${modes[$(( (k + round + ri) % ${#modes[@]} ))]}
      t=$(( (round + ri) % 2 ))   # the gateway in mode tm; the other is the control
      paired_switch "$t" "$tm"; paired_switch $((1 - t)) off
      # threads started since the last call (by a reload, say) inherited their starter's CPUs
      for p in "${gw_pids[@]}"; do free_helpers "$p"; done
      [ "$settle" = 0 ] || load_both "$kind" "$conns" "$settle"
      read -r -a c0 <<<"$(telemetry_counters "${gw_ports[$t]}")"
      a0=(); w0=()
      for i in 0 1; do a0+=("$(thread_ticks "${gw_pids[$i]}")"); w0+=("$(loop_wait_ns "${gw_pids[$i]}")"); done
      l0=$(cores_busy "$load_cpus"); s0=$(cores_busy "$gw_cpus")
      load_both "$kind" "$conns" "$secs"
      a1=(); w1=()
      for i in 0 1; do a1+=("$(thread_ticks "${gw_pids[$i]}")"); w1+=("$(loop_wait_ns "${gw_pids[$i]}")"); done
      l1=$(cores_busy "$load_cpus"); s1=$(cores_busy "$gw_cpus")
      sleep 1 # the row's last exports end (or fail) before the counters are read
      read -r -a c1 <<<"$(telemetry_counters "${gw_ports[$t]}")"
      [ "$round" = 0 ] && continue
      rpsv=()
      for i in 0 1; do
        read -r n dur p50 p99 e <<<"$(figures "$kind" "${loads[$i]}")"
        read -r -a b0 <<<"${a0[$i]}"; read -r -a b1 <<<"${a1[$i]}"
        role=control; [ "$i" = "$t" ] && role=$tm
        loop=$(us_per_req "${b0[0]}" "${b1[0]}" "$n"); worker=$(us_per_req "${b0[1]}" "${b1[1]}" "$n")
        waited=$(calc %.2f "($n > 0) ? (${w1[$i]:-0} - ${w0[$i]:-0}) / $n / 1000 : 0")
        rps=$(calc %.1f "$n / $dur"); rpsv+=("$rps")
        key=$tm; [ "$role" = control ] && key="$tm~off"
        V["$key|$r|rps"]+="$rps "; V["$key|$r|p50"]+="$p50 "; V["$key|$r|p99"]+="$p99 "
        V["$key|$r|loop"]+="$loop "; V["$key|$r|worker"]+="$worker "; V["$key|$r|wait"]+="$waited "
        V["$key|$r|err"]+="$e "
        printf '{"kind":"telemetry-paired","ts":"%s","layout":"%s","round":%s,"mode":"%s","role":"%s","gateway":%s,"scenario":"%s","connections":%s,"rps":%s,"p50_us":%s,"p99_us":%s,"cpu_us_per_req":{"loop":%s,"worker":%s},"loop_wait_us_per_req":%s,"errors":%s}\n' \
          "$ts" "$tlayout" "$round" "$tm" "$role" "$i" "$kind" "$conns" "$rps" "$p50" "$p99" "$loop" "$worker" "$waited" "$e" >>"$jsonl"
      done
      V["$tm|$r|loadbusy"]+="$(share "$l0" "$l1" 0) "; V["$tm|$r|gwbusy"]+="$(share "$s0" "$s1" 0) "
      V["$tm|$r|dropped"]+="$(( c1[0] - c0[0] )) "
      log "$(printf 'round %s %-4s %-4s c=%-4s %s on gateway %s: %9s/s against %9s/s off' "$round" "$tm" "$kind" "$conns" "$tm" "$t" \
        "${rpsv[$t]}" "${rpsv[$((1 - t))]}")"
    done
    ri=$((ri + 1))
  done
done
for p in "${gw_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${gw_pids[@]}"; do wait "$p" 2>/dev/null || true; done

echo
echo "oxllm bench --telemetry-paired $ts: $secs s per row after $settle s settling, $rounds round(s);"
echo "two gateways side by side, event loops on CPU $gw_cpus, load on CPU $load_cpus, other threads on $helpers."
echo "Each row: the mode on one gateway, telemetry off on the other, the same load on both at the"
echo "same moment; the gateway in the mode alternates by round. Change = the mode's gateway against"
echo "the one off, the mean of the rounds' changes and its 95 % interval; verdict against 3 % as in"
echo "--telemetry."
echo "Mode off is off against off: the method's own check. sse rows: req/s = streams/s, p50/p99 ="
echo "time to first event. loop = the event loop's CPU a request."
fmt='%-5s %5s %-5s %-6s %8s %19s  %s\n'
printf "$fmt" row conns mode figure mean "95 % interval" verdict
for r in "${rows[@]}"; do
  read -r kind conns <<<"$r"
  for tm in "${modes[@]}"; do
    for f in rps p50 p99 loop; do
      read -r m lo hi n <<<"$(interval pct "${V[$tm|$r|$f]}" "${V[$tm~off|$r|$f]}")"
      printf "$fmt" "$kind" "$conns" "$tm" "$f" "$m%" "[$lo, $hi]%" "$(within3 "$lo" "$hi")"
    done
  done
done
echo
echo "Medians over the rounds: each gateway's req/s (about half the core each), the µs a request its"
echo "event loop and telemetry's threads took and the loop waited for its core; the share of the load"
echo "core that was busy (near 100 % the load, not the gateways, is the limit and the ratio cannot"
echo "show a cost) and of the gateways' core; records telemetry dropped in the mode, all rounds."
fmt='%-5s %5s %-5s %9s %9s %7s %7s %7s %7s %7s %7s %8s\n'
printf "$fmt" row conns mode "req/s" "off req/s" loop "off" worker "off" waited "load%" "gw%"
for r in "${rows[@]}"; do
  read -r kind conns <<<"$r"
  for tm in "${modes[@]}"; do
    printf "$fmt" "$kind" "$conns" "$tm" "$(median <<<"${V[$tm|$r|rps]}")" "$(median <<<"${V[$tm~off|$r|rps]}")" \
      "$(median <<<"${V[$tm|$r|loop]}")" "$(median <<<"${V[$tm~off|$r|loop]}")" \
      "$(median <<<"${V[$tm|$r|worker]}")" "$(median <<<"${V[$tm~off|$r|worker]}")" \
      "$(median <<<"${V[$tm|$r|wait]}")" "$(median <<<"${V[$tm|$r|loadbusy]}")" "$(median <<<"${V[$tm|$r|gwbusy]}")"
    echo "      records dropped in $tm: $(sum <<<"${V[$tm|$r|dropped]}"); errors: $(sum <<<"${V[$tm|$r|err]}") ($tm), $(sum <<<"${V[$tm~off|$r|err]}") (off)"
  done
done
echo
echo "result: $jsonl"
exit 0
