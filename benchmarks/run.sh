#!/usr/bin/env bash
# Runs every Riprap benchmark and writes docs/benchmarks.md from the results.
#
#   benchmarks/run.sh --quick   # about 12 minutes on 2 cores: short JMH iterations, short scenarios
#   benchmarks/run.sh --full    # 2 JMH forks, longer iterations and scenarios (about 57 minutes)
#
# The replica scenarios take about 2 minutes of that in quick mode and 7 in full mode (where
# fail-heal runs with the default 30 s ejection time); alone:
#   java -Dsun.net.httpserver.nodelay=true -cp benchmarks/target/benchmarks.jar \
#     dev.riprap.benchmarks.faults.ReplicaScenarios --mode quick --out docs/benchmarks/replicas.json
#
# Steps: build with the repo's Maven wrapper; JMH policy overhead at 1 and 2 threads with -prof gc;
# HTTP on loopback; fault scenarios; replica scenarios (three replicas of one upstream); the
# report. Raw results go to docs/benchmarks/ (JMH JSON, http.json, faults.json, replicas.json,
# run-info.properties); logs to benchmarks/target/.
set -euo pipefail

mode=quick
case "${1:---quick}" in
  --quick) mode=quick ;;
  --full) mode=full ;;
  *) echo "usage: $0 [--quick|--full]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=docs/benchmarks
logs=benchmarks/target/logs
jar=benchmarks/target/benchmarks.jar

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime | sed 's/.*load average[s]*: //'; }
step() { echo "[$(date -u +%H:%M:%S)] $*"; }

step "building ($mode mode)"
./mvnw -q -pl benchmarks -am package -DskipTests
mkdir -p "$out" "$logs"

if [ "$mode" = quick ]; then
  jmh_opts="-f 1 -wi 1 -w 1s -i 3 -r 1s -foe true"
  # Two threads only where contention can change the picture; every benchmark in full mode.
  jmh_two_threads='(PipelineBenchmark|FailurePathBenchmark|TimeoutBenchmark)'
else
  jmh_opts="-f 2 -wi 3 -w 2s -i 5 -r 2s -foe true"
  jmh_two_threads='dev.riprap.benchmarks.policy'
fi

{
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "mode=$mode"
  echo "jmhOptions=$jmh_opts"
  for lib in resilience4j failsafe jmh; do
    echo "${lib}Version=$(sed -n "s:.*<${lib}.version>\(.*\)</${lib}.version>.*:\1:p" pom.xml)"
  done
  echo "loadStart=$(load)"
} > "$out/run-info.properties"

step "JMH, 1 thread (load $(load))"
java -jar "$jar" $jmh_opts -t 1 -prof gc -rf json -rff "$out/jmh-1-thread.json" \
  'dev.riprap.benchmarks.policy' > "$logs/jmh-1-thread.log"
step "JMH, 2 threads (load $(load))"
java -jar "$jar" $jmh_opts -t 2 -prof gc -rf json -rff "$out/jmh-2-threads.json" \
  "$jmh_two_threads" > "$logs/jmh-2-threads.log"
echo "loadAfterJmh=$(load)" >> "$out/run-info.properties"

echo "loadBeforeHttp=$(load)" >> "$out/run-info.properties"
step "HTTP on loopback (load $(load))"
java -Dsun.net.httpserver.nodelay=true -cp "$jar" dev.riprap.benchmarks.http.LoopbackBenchmark \
  --mode "$mode" --out "$out/http.json" | tee "$logs/http.log"

echo "loadBeforeFaults=$(load)" >> "$out/run-info.properties"
step "fault scenarios (load $(load))"
java -Dsun.net.httpserver.nodelay=true -cp "$jar" dev.riprap.benchmarks.faults.FaultScenarios \
  --mode "$mode" --out "$out/faults.json" | tee "$logs/faults.log"

echo "loadBeforeReplicas=$(load)" >> "$out/run-info.properties"
step "replica scenarios (load $(load))"
java -Dsun.net.httpserver.nodelay=true -cp "$jar" dev.riprap.benchmarks.faults.ReplicaScenarios \
  --mode "$mode" --out "$out/replicas.json" | tee "$logs/replicas.log"
echo "loadEnd=$(load)" >> "$out/run-info.properties"

step "writing docs/benchmarks.md"
java -cp "$jar" dev.riprap.benchmarks.report.Report --dir "$out" --out docs/benchmarks.md
step "done"
