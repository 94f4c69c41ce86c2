#!/usr/bin/env bash
# Runs the public HTTP cache test suite (http-tests/cache-tests, the one behind cache-tests.fyi)
# against ResilientHttpClient's cache, run as a reverse proxy in front of the suite's origin, and
# counts the results as the site does. A yardstick, not part of ./mvnw verify (CI has no node).
#
#   benchmarks/cache-tests/run.sh                  # the cache (64 MiB) set up as a reverse proxy's
#                                                  # (CDN-Cache-Control read), the whole suite
#   benchmarks/cache-tests/run.sh --defaults       # the cache with the client's defaults
#   benchmarks/cache-tests/run.sh --no-cache       # the same proxy without a cache: the baseline
#   benchmarks/cache-tests/run.sh --direct         # the suite's client straight at its origin
#   benchmarks/cache-tests/run.sh --id freshness-max-age   # one test, requests and responses shown
#   benchmarks/cache-tests/run.sh --docs           # all four runs, then the section of docs/benchmarks.md
#   options: --cache-bytes N (64 MiB), --no-build (reuse benchmarks/target/benchmarks.jar)
#
# The modes: cache = CacheSettings.of(N).withTargetedFields("CDN-Cache-Control"), what CacheSettings
# recommends for a client used as a reverse proxy or CDN (the suite's CDN tests run against every
# reverse proxy); defaults = CacheSettings.of(N) (shared semantics, no targeted field).
#
# Needs: node 20 or later with npm (the suite's client uses fetch and undici; tested on node 20.20),
# a JDK 17+, and the network for npm (and for the suite's source unless a copy is given, below).
#
# The suite's source, pinned to SUITE_COMMIT (the commit whose results/ hold the published
# numbers docs/benchmarks.md compares with), from the first of:
#   1. CACHE_TESTS_DIR=<a checkout of http-tests/cache-tests>   copied as it is
#   2. CACHE_TESTS_GIT=<a clone or bare git dir>                 git archive SUITE_COMMIT
#      (defaults to /work/.mirror/http-tests+cache-tests/repo when that exists)
#   3. https://codeload.github.com/http-tests/cache-tests/tar.gz/SUITE_COMMIT (curl)
# Not the npm package http-cache-tests: its 0.4.5 is an older tree (no interim or CDN-Cache-Control
# tests, surrogate-control instead) whose test ids do not match the published results.
#
# Output in benchmarks/target/cache-tests/<mode>/: results.json (the suite's CLI output, the format
# of its results/ files), summary.md (counts beside the published reverse proxies' and what did not
# pass, by section), origin.log, proxy.log. With --docs: docs/benchmarks/cache-tests.json (the
# results) and docs/benchmarks/cache-tests.md (the section), and docs/benchmarks.md written again
# by the report (dev.riprap.benchmarks.report.Report, from the raw results kept in docs/benchmarks/).
set -euo pipefail

SUITE_COMMIT=${CACHE_TESTS_COMMIT:-b55b8bda3dbb8c927c04e85bd8d496a8caa3e4ba}
mode=cache
cache_bytes=$((64 * 1024 * 1024))
build=yes
test_id=
docs=no
while [ $# -gt 0 ]; do
  case "$1" in
    --no-cache) mode=no-cache ;;
    --defaults) mode=defaults ;;
    --direct) mode=direct ;;
    --cache-bytes) cache_bytes=$2; shift ;;
    --no-build) build=no ;;
    --id) test_id=$2; shift ;;
    --docs) docs=yes ;;
    *) echo "usage: $0 [--defaults|--no-cache|--direct] [--cache-bytes N] [--no-build] [--id TEST_ID] [--docs]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$docs" = yes ] && { [ "$mode" != cache ] || [ -n "$test_id" ]; }; then
  echo "--docs runs every mode on the whole suite: not with --defaults, --no-cache, --direct or --id" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=$root/benchmarks/target/cache-tests
suite=$work/suite
out=
jar=$root/benchmarks/target/benchmarks.jar
step() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

command -v node >/dev/null || { echo "node is required (20 or later)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "node 20 or later is required, found $(node --version)" >&2; exit 1; }

# --- the suite ---------------------------------------------------------------------------
if [ ! -f "$suite/.commit" ] || [ "$(cat "$suite/.commit")" != "$SUITE_COMMIT" ]; then
  rm -rf "$suite"
  mkdir -p "$suite"
  git_dir=${CACHE_TESTS_GIT:-/work/.mirror/http-tests+cache-tests/repo}
  if [ -n "${CACHE_TESTS_DIR:-}" ]; then
    step "suite: copying $CACHE_TESTS_DIR (as it is; SUITE_COMMIT not checked)"
    (cd "$CACHE_TESTS_DIR" && tar -c --exclude=node_modules --exclude=.git .) | tar -x -C "$suite"
  elif [ -d "$git_dir" ] && git --git-dir="$git_dir" cat-file -e "$SUITE_COMMIT^{commit}" 2>/dev/null; then
    step "suite: http-tests/cache-tests $SUITE_COMMIT from the git snapshot $git_dir"
    git --git-dir="$git_dir" archive "$SUITE_COMMIT" | tar -x -C "$suite"
  else
    step "suite: http-tests/cache-tests $SUITE_COMMIT from GitHub (codeload tarball)"
    curl -fsSL "https://codeload.github.com/http-tests/cache-tests/tar.gz/$SUITE_COMMIT" \
      | tar -xz --strip-components=1 -C "$suite"
  fi
  step "suite: npm install (runtime dependencies only)"
  (cd "$suite" && npm install --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$SUITE_COMMIT" > "$suite/.commit"
else
  step "suite: http-tests/cache-tests $SUITE_COMMIT, installed in $suite"
fi

# --- the proxy ---------------------------------------------------------------------------
if [ "$mode" != direct ]; then
  if [ "$build" = yes ] || [ ! -f "$jar" ]; then
    step "building the proxy (benchmarks module)"
    ./mvnw -q -B -pl benchmarks -am package -DskipTests -Dmaven.javadoc.skip=true
  fi
fi

origin_pid=
proxy_pid=
stop() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null || true
  [ -n "$origin_pid" ] && [ -f "$out/origin.pid" ] && kill "$(cat "$out/origin.pid")" 2>/dev/null || true
  proxy_pid=
  origin_pid=
}
trap stop EXIT

# Waits (up to 60 s) for a line matching $2 in file $1 and prints its port.
await_port() {
  for _ in $(seq 300); do
    if grep -q "$2" "$1" 2>/dev/null; then
      grep -m1 "$2" "$1" | sed -n 's/.*:\([0-9][0-9]*\)[/ ]*.*$/\1/p'
      return 0
    fi
    sleep 0.2
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

# Runs the suite (or test $test_id) in mode $1 (cache, defaults, no-cache, direct) into $work/$1/.
run_suite() {
  local run_mode=$1
  out=$work/$run_mode
  rm -rf "$out"
  mkdir -p "$out"
  step "origin: the suite's server on a free port"
  (cd "$suite" && exec npm run --silent server --port=0 --pidfile="$out/origin.pid") > "$out/origin.log" 2>&1 &
  origin_pid=$!
  local base
  base=http://127.0.0.1:$(await_port "$out/origin.log" 'Listening on')

  if [ "$run_mode" != direct ]; then
    local cache_arg=off targeted=none
    [ "$run_mode" = cache ] || [ "$run_mode" = defaults ] && cache_arg=$cache_bytes
    [ "$run_mode" = cache ] && targeted=CDN-Cache-Control
    step "proxy: ResilientHttpClient, cache $cache_arg, targeted fields $targeted, in front of $base"
    java -cp "$jar" dev.riprap.benchmarks.cachetests.CacheTestProxy \
      --origin "$base" --cache "$cache_arg" --targeted "$targeted" --max-seconds 1800 > "$out/proxy.log" 2>&1 &
    proxy_pid=$!
    base=http://127.0.0.1:$(await_port "$out/proxy.log" 'listening on')
  fi

  if [ -n "$test_id" ]; then
    step "client: test $test_id against $base"
    (cd "$suite" && timeout 120 npm run --silent cli --base="$base" --id="$test_id")
    stop
    return 0
  fi

  step "client: the whole suite against $base (about a minute)"
  (cd "$suite" && timeout 1200 npm run --silent cli --base="$base") > "$out/results.json" 2> "$out/client.log"
  stop

  local name
  case "$run_mode" in
    cache) name="Riprap (cache $cache_bytes bytes, CDN-Cache-Control read)" ;;
    defaults) name="Riprap (cache $cache_bytes bytes, client defaults)" ;;
    *) name="Riprap ($run_mode)" ;;
  esac
  {
    echo "# cache-tests: $name"
    echo
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ), suite http-tests/cache-tests $(cat "$suite/.commit"), riprap $(git rev-parse --short HEAD)."
    echo
    node "$root/benchmarks/cache-tests/summary.mjs" "$suite" "$out/results.json" --name "$name" --compare
  } > "$out/summary.md"
  step "wrote $out/summary.md and results.json"
  sed -n '1,8p' "$out/summary.md" >&2
}

# Prints "P passed, C conformance failures" for the results in $1.
counts() {
  node "$root/benchmarks/cache-tests/summary.mjs" "$suite" "$1" --name x \
    | sed -n 's/^## x: \([0-9]*\) passed of [0-9]*, \([0-9]*\) conformance failures$/\1 passed with \2 conformance failures/p'
}

run_suite "$mode"
[ "$docs" = yes ] || exit 0

step "for docs: the client's defaults, the proxy without the cache, the client straight at the origin"
run_suite defaults
run_suite no-cache
run_suite direct

{
  suite_commit=$(cat "$suite/.commit")
  cp "$work/cache/results.json" docs/benchmarks/cache-tests.json
  {
    echo "## HTTP cache conformance (cache-tests)"
    echo
    echo "The public HTTP cache test suite, [http-tests/cache-tests](https://github.com/http-tests/cache-tests)"
    echo "(the one behind [cache-tests.fyi](https://cache-tests.fyi)), commit \`${suite_commit:0:12}\`, run on"
    echo "$(date -u +%Y-%m-%d) against \`ResilientHttpClient\`'s cache at Riprap commit \`$(git rev-parse --short HEAD)\`, set up"
    echo "as \`CacheSettings\` recommends for a client used as a reverse proxy or CDN:"
    echo "\`CacheSettings.of($cache_bytes).withTargetedFields(\"CDN-Cache-Control\")\` (shared-cache semantics, the"
    echo "other settings their defaults; the suite runs its CDN-Cache-Control tests against every reverse"
    echo "proxy). With the client's defaults alone (\`CacheSettings.of($cache_bytes)\`, no targeted field):"
    echo "$(counts "$work/defaults/results.json"). The client sits"
    echo "in a reverse proxy (\`dev.riprap.benchmarks.cachetests.CacheTestProxy\`: the request forwarded"
    echo "without its hop-by-hop fields, the answer relayed as it came; a policy with no retries and no"
    echo "breaker) in front of the suite's origin on 127.0.0.1, the way the site tests nginx, Squid or"
    echo "Varnish. The published reverse proxies' results are the suite's own \`results/\` files at that"
    echo "commit, counted by the same script."
    echo
    echo "Counted as the site counts (its \`determineTestResult\`, dependencies honoured): *passed* ✅ is a"
    echo "required or optimal test passed; a *conformance failure* ⛔️ is a required test failed; an"
    echo "*optional failure* ⚠️ an optimal one; *checks* (Y/N) only report behaviour; a test whose"
    echo "dependency failed ⚪️ is not judged. Browser-only tests are not run against a proxy (365 of 370)."
    echo "The baselines, same run: the proxy without the cache: $(counts "$work/no-cache/results.json");"
    echo "the suite's client straight at its origin (no cache at all): $(counts "$work/direct/results.json")."
    echo
    node "$root/benchmarks/cache-tests/summary.mjs" "$suite" "$work/cache/results.json" --name "Riprap" --compare --docs
    echo "The proxy's side facing the suite is a small HTTP/1.1 server of its own (\`Http1Front\`): the"
    echo "JDK \`HttpServer\` writes its own \`Date\` over the stored one, which fails \`other-date-update\`."
    echo "Harness limits, the same for any cache behind this proxy: interim (1xx) responses are not"
    echo "relayed (the JDK \`HttpClient\` does not hand them over), so \`interim-not-cached\` fails as it does"
    echo "for ATS and Caddy; the \`stale-close\` tests' origin drops the connection, which the proxy"
    echo "answers with a 502."
    echo
    echo "Rerun: \`benchmarks/cache-tests/run.sh --docs\` (node 20+ and npm, a JDK 17+; about two minutes"
    echo "a run, four runs with \`--docs\`; not part of \`./mvnw verify\`). Without \`--docs\` it runs the"
    echo "cache alone; \`--defaults\` the client's defaults, \`--no-cache\` the baseline, \`--id TEST_ID\` one"
    echo "test with its requests and responses shown."
    echo
  } > docs/benchmarks/cache-tests.md
  java -cp "$jar" dev.riprap.benchmarks.report.Report --dir docs/benchmarks --out docs/benchmarks.md
  step "wrote docs/benchmarks/cache-tests.md and .json, and docs/benchmarks.md"
}
