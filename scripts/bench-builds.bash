# scripts/bench --builds, sourced by scripts/bench once its helpers are defined.
#
# What a change to the code costs or saves on the request path: this checkout's gateway against
# another build's (BENCH_OTHER, the root of another checkout with target/oxllm-fat.jar built),
# both event loops on the gateway core, each under its own load of the same row at the same moment,
# as --telemetry-paired runs its two gateways (bench-paired.bash says why: their ratio keeps what
# the builds change and loses the machine's drift). Every thread of both stays on the gateway
# core, as in the suite, so the collector's and the JIT's work counts too.
#
# A build cannot be switched by a reload, and two JVMs of one build differ by a few % in what a
# request costs (JIT and heap state), so one pair of JVMs shows its own difference, not the
# builds'. Each leg therefore starts a fresh pair, the builds' ports and start order swapped from
# leg to leg; the unit of the interval is the leg (the mean of its rounds). BENCH_OTHER set to this
# checkout gives the method's own check: its interval shows what the method cannot tell apart.
other="${BENCH_OTHER:-}"
[ -n "$other" ] || die "--builds needs BENCH_OTHER: the root of another checkout, its jar built"
other=$(cd "$other" && pwd) || die "BENCH_OTHER: no directory '$BENCH_OTHER'"
[ -f "$other/target/oxllm-fat.jar" ] && [ -x "$other/scripts/oxllm" ] ||
  die "BENCH_OTHER=$other has no target/oxllm-fat.jar or scripts/oxllm (build it: mvn -DskipTests package)"
# a jar older than its sources would measure a build other than the one named
for d in "$root" "$other"; do
  [ -z "$(find "$d/src/main" "$d/pom.xml" -newer "$d/target/oxllm-fat.jar" -type f 2>/dev/null | head -n 1)" ] ||
    die "$d/target/oxllm-fat.jar is older than its sources: build it (cd $d && mvn -B -q -DskipTests package)"
done
[ "${#gw_pin[@]}" -gt 0 ] || die "--builds needs two CPUs and taskset (the gateways' core and the load's)"
legs="${BENCH_BUILDS_LEGS:-8}"
rounds="${BENCH_BUILDS_ROUNDS:-4}"
IFS=, read -r -a rows <<<"${BENCH_BUILDS_ROWS:-chat 64}"
for r in "${rows[@]}"; do
  [[ "$r" =~ ^(chat|sse)\ [0-9]+$ ]] || die "BENCH_BUILDS_ROWS: '$r' is not 'chat N' or 'sse N'"
done
gw_ports=("$gw_port" "$((gw_port + 1))")
builds=("$root" "$other")   # build 0 is this one; names and revs by build too
names=(this other)
this_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "?")
other_rev=$(git -C "$other" rev-parse --short HEAD 2>/dev/null || echo "?")
[ -z "$(git -C "$root" status --porcelain -- src pom.xml 2>/dev/null)" ] || this_rev="$this_rev+changes"
revs=("$this_rev" "$other_rev")

start_mock mock "$mock_port" --ttft-ms 0 --chunks 20 --gap-ms 5 --size 64
mock_pid=$last_pid
ts=$(date -u +%Y%m%dT%H%M%SZ)
jsonl="$out/builds-$ts.jsonl"
: >"$jsonl"
log "this build ($root, $this_rev) against $other ($other_rev): $legs leg(s) of a fresh pair, ${warm} s warm-up and $rounds round(s) of $secs s each; both on CPU $gw_cpus, load on CPU $load_cpus"
declare -A V   # V[build|row|field] = space-separated values, one per leg (the mean of its rounds)
for leg in $(seq 1 "$legs"); do
  gw_pids=(); tp=$(( (leg + 1) % 2 ))   # this build's port: the first in odd legs, the second in even ones
  for i in 0 1; do
    b=1; [ "$i" = "$tp" ] && b=0   # the gateway on port i runs build b; port 0's starts first
    gw_port=${gw_ports[$i]} request_log_path="$out/requests-$i.jsonl" BENCH_TELEMETRY=off \
      write_config "$out/gateway-builds-$i.toml" 0
    gw_root=${builds[$b]} gw_port=${gw_ports[$i]} start_gateway "$out/gateway-builds-$i.toml" "$out/gateway-builds-$i.log"
    gw_pids+=("$gw_pid"); port_build[$i]=$b
  done
  load_both chat 64 "$warm"
  declare -A L=()   # this leg's rounds: L[build|row|field]
  for round in $(seq 1 "$rounds"); do
    for r in "${rows[@]}"; do
      read -r kind conns <<<"$r"
      a0=(); for i in 0 1; do a0+=("$(thread_ticks "${gw_pids[$i]}")"); done
      load_both "$kind" "$conns" "$secs"
      a1=(); for i in 0 1; do a1+=("$(thread_ticks "${gw_pids[$i]}")"); done
      for i in 0 1; do
        read -r n dur p50 p99 e <<<"$(figures "$kind" "${loads[$i]}")"
        read -r -a c0 <<<"${a0[$i]}"; read -r -a c1 <<<"${a1[$i]}"
        all=$(us_per_req "$(( c0[0] + c0[1] + c0[2] + c0[3] + c0[4] ))" "$(( c1[0] + c1[1] + c1[2] + c1[3] + c1[4] ))" "$n")
        rps=$(calc %.1f "$n / $dur"); b=${port_build[$i]}
        L["$b|$r|rps"]+="$rps "; L["$b|$r|p50"]+="$p50 "; L["$b|$r|p99"]+="$p99 "; L["$b|$r|cpu"]+="$all "
        V["$b|$r|err"]+="$e "
        printf '{"kind":"builds","ts":"%s","leg":%s,"round":%s,"build":"%s","rev":"%s","port":%s,"scenario":"%s","connections":%s,"rps":%s,"p50_us":%s,"p99_us":%s,"cpu_us_per_req":%s,"errors":%s}\n' \
          "$ts" "$leg" "$round" "${names[$b]}" "${revs[$b]}" \
          "${gw_ports[$i]}" "$kind" "$conns" "$rps" "$p50" "$p99" "$all" "$e" >>"$jsonl"
      done
    done
  done
  for r in "${rows[@]}"; do
    for b in 0 1; do
      for f in rps p50 p99 cpu; do V["$b|$r|$f"]+="$(mean <<<"${L[$b|$r|$f]}") "; done
    done
    log "$(printf 'leg %s %-4s c=%-4s this build on :%s  %9s/s against %9s/s' "$leg" "${r% *}" "${r#* }" \
      "${gw_ports[$tp]}" "$(awk '{print $NF}' <<<"${V[0|$r|rps]}")" "$(awk '{print $NF}' <<<"${V[1|$r|rps]}")")"
  done
  for p in "${gw_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${gw_pids[@]}"; do wait "$p" 2>/dev/null || true; done
done

echo
echo "oxllm bench --builds $ts: this build ($this_rev) against $other ($other_rev);"
echo "$legs leg(s), each a fresh pair of gateways side by side on CPU $gw_cpus (ports swapped by leg),"
echo "${warm} s warm-up, then $rounds round(s) of $secs s under the same load at the same moment; load on CPU $load_cpus."
echo "Change = this build against the other, the mean of the legs' changes and its 95 % interval"
echo "(one value a leg: the mean of its rounds). cpu = all the gateway's threads, µs a request."
fmt='%-5s %5s %-6s %9s %21s %9s %9s\n'
printf "$fmt" row conns figure mean "95 % interval" this other
for r in "${rows[@]}"; do
  read -r kind conns <<<"$r"
  for f in rps p50 p99 cpu; do
    read -r m lo hi n <<<"$(interval pct "${V[0|$r|$f]}" "${V[1|$r|$f]}")"
    printf "$fmt" "$kind" "$conns" "$f" "$m%" "[$lo, $hi]%" "$(median <<<"${V[0|$r|$f]}")" "$(median <<<"${V[1|$r|$f]}")"
  done
  echo "      errors: $(sum <<<"${V[0|$r|err]}") (this), $(sum <<<"${V[1|$r|err]}") (other); this/other = medians over the legs"
done
echo
echo "result: $jsonl"
exit 0
