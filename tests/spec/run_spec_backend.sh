#!/usr/bin/env bash
# The official spec scripts on one of our WebAssembly hosts: every script converted by wast2json,
# then run by pd-wasm-spec, which counts each command as passed, failed, unsupported (with the
# reason) or not applicable. A script passes when none of its commands failed.
#
# usage: run_spec_backend.sh SUITE_DIR SPEC_TOOL SCRATCH_DIR aot|interp [--shard K/N]
#                             [--known-failures FILE]
#   SUITE_DIR    folder of .wast scripts (../shared/wasm-spec-testsuite)
#   SPEC_TOOL    pd-wasm-spec
#   SCRATCH_DIR  where wast2json writes the JSON and module files (one folder per script)
#   --shard K/N  only the scripts whose position in name order is K modulo N (1 <= K <= N),
#                so that N runs side by side cover the suite once
#   --known-failures FILE
#                scripts that fail today because of a known bug of the host
#                (tests/spec/known_failures_<backend>.txt): one `SCRIPT_NAME  reason` a line;
#                lines starting with `#` and blank lines are ignored. A listed script that
#                fails (a tool crash included) prints KNOWN-FAIL with the reason and does not
#                fail the run; one that passes fails the run, so that the list never hides a
#                fix. A name that is not a script of the suite, a line without a reason or a
#                name listed twice is a usage error (naming the line). Without the option, no
#                known failures. The options come in either order; a shard checks only its own
#                scripts against the list.
#
# Prints one PASS/FAIL/KNOWN-FAIL line per script and the totals: commands by outcome (known
# failures included), unsupported and not-applicable commands by reason, trap texts that differ
# from the scripts'. A crash of the tool (a bug: no guest should be able to cause one) fails its
# script; the commands it did not reach are counted as "not run". Exit status 1 if any script
# failed (known failures aside), 2 on bad usage.
#
# Needs wast2json (Debian package wabt); the aot backend also needs wasm2c and cc, and caches
# what it compiles in $PD_CACHE_DIR.
set -euo pipefail

usage() {
  echo "usage: $0 SUITE_DIR SPEC_TOOL SCRATCH_DIR aot|interp [--shard K/N]" \
       "[--known-failures FILE]" >&2
  exit 2
}
[[ $# -ge 4 ]] || usage
suite=$1
tool=$2
scratch=$3
backend=$4
[[ $backend == aot || $backend == interp ]] || usage
shift 4
shard=1
shards=1
shard_given=0
known_file=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --shard)
      [[ $# -ge 2 && $shard_given -eq 0 && $2 =~ ^([0-9]+)/([0-9]+)$ ]] || usage
      shard=${BASH_REMATCH[1]}
      shards=${BASH_REMATCH[2]}
      (( shards >= 1 && shard >= 1 && shard <= shards )) || usage
      shard_given=1
      shift 2
      ;;
    --known-failures)
      [[ $# -ge 2 && -z $known_file && -n $2 ]] || usage
      known_file=$2
      shift 2
      ;;
    *) usage ;;
  esac
done

command -v wast2json >/dev/null || { echo "$0: wast2json not found on PATH" >&2; exit 2; }
[[ -x $tool ]] || { echo "$0: spec tool '$tool' is not an executable" >&2; exit 2; }
shopt -s nullglob
all_scripts=("$suite"/*.wast)
if [[ ${#all_scripts[@]} -eq 0 ]]; then
  echo "$0: no .wast scripts in $suite" >&2
  exit 2
fi
scripts=()
for i in "${!all_scripts[@]}"; do
  (( i % shards == shard - 1 )) && scripts+=("${all_scripts[$i]}")
done

# The known failures: name -> reason. Checked against the whole suite, so that every shard
# refuses the same bad list.
declare -A known_reason=()
if [[ -n $known_file ]]; then
  [[ -f $known_file && -r $known_file ]] ||
    { echo "$0: known-failures list '$known_file' is not a readable file" >&2; exit 2; }
  declare -A suite_names=()
  for wast in "${all_scripts[@]}"; do
    suite_names[$(basename "$wast" .wast)]=1
  done
  lineno=0
  while IFS= read -r line || [[ -n $line ]]; do
    lineno=$((lineno + 1))
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if ! [[ $line =~ ^[[:space:]]*([^[:space:]]+)[[:space:]]+(.*[^[:space:]])[[:space:]]*$ ]]; then
      echo "$0: $known_file:$lineno: expected 'SCRIPT_NAME  reason': $line" >&2
      exit 2
    fi
    name=${BASH_REMATCH[1]} reason=${BASH_REMATCH[2]}
    if [[ -z ${suite_names[$name]:-} ]]; then
      echo "$0: $known_file:$lineno: '$name' is not a script of $suite" >&2
      exit 2
    fi
    if [[ -n ${known_reason[$name]:-} ]]; then
      echo "$0: $known_file:$lineno: '$name' is listed twice" >&2
      exit 2
    fi
    known_reason[$name]=$reason
  done <"$known_file"
fi
known_list=${known_file##*/}
mkdir -p "$scratch"

start=$SECONDS
failed=()
known_failed=()
passed=0 failures=0 unsupported=0 not_applicable=0 not_run=0 texts=0 texts_differing=0
declare -A unsupported_by_reason=() not_applicable_by_reason=()

# Adds up the counts of a tool output ($1, its stdout) into the totals.
add_counts() {
  local line n reason
  while IFS= read -r line; do
    if [[ $line =~ ^summary:\ passed\ ([0-9]+),\ failed\ ([0-9]+),\ unsupported\ ([0-9]+),\ not\ applicable\ ([0-9]+)$ ]]; then
      passed=$((passed + BASH_REMATCH[1]))
      failures=$((failures + BASH_REMATCH[2]))
      unsupported=$((unsupported + BASH_REMATCH[3]))
      not_applicable=$((not_applicable + BASH_REMATCH[4]))
    elif [[ $line =~ ^unsupported\ ([0-9]+):\ (.*)$ ]]; then
      n=${BASH_REMATCH[1]} reason=${BASH_REMATCH[2]}
      unsupported_by_reason[$reason]=$(( ${unsupported_by_reason[$reason]:-0} + n ))
    elif [[ $line =~ ^not\ applicable\ ([0-9]+):\ (.*)$ ]]; then
      n=${BASH_REMATCH[1]} reason=${BASH_REMATCH[2]}
      not_applicable_by_reason[$reason]=$(( ${not_applicable_by_reason[$reason]:-0} + n ))
    elif [[ $line =~ ^trap\ texts:\ ([0-9]+)\ checked,\ ([0-9]+)\ differ ]]; then
      texts=$((texts + BASH_REMATCH[1]))
      texts_differing=$((texts_differing + BASH_REMATCH[2]))
    fi
  done <"$1"
}

# A script that failed: FAIL, or KNOWN-FAIL with its reason when the list names it. $1 is the
# summary, $2 what a FAIL line adds to it; the details the caller prints next stay under either.
script_failed() {
  if [[ -n ${known_reason[$name]:-} ]]; then
    echo "KNOWN-FAIL $name: $1 -- ${known_reason[$name]}"
    known_failed+=("$name")
  else
    echo "FAIL $name: $1${2:-}"
    failed+=("$name")
  fi
}

for wast in "${scripts[@]}"; do
  name=$(basename "$wast" .wast)
  dir="$scratch/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  json="$dir/$name.json"
  if ! wast2json "$wast" -o "$json" >"$dir/wast2json.log" 2>&1; then
    script_failed "wast2json: $(head -n 3 "$dir/wast2json.log" | tr '\n' ' ')"
    continue
  fi
  out="$dir/$backend.log"
  err="$dir/$backend.err"
  status=0
  "$tool" "$json" --backend "$backend" >"$out" 2>"$err" || status=$?
  counts=$(grep -E '^summary: ' "$out" | sed 's/^summary: //' || true)
  if [[ $status -eq 0 && -n $counts ]]; then
    add_counts "$out"
    if [[ -n ${known_reason[$name]:-} ]]; then
      echo "FAIL $name: listed in $known_list but passes now: remove it from the list"
      failed+=("$name")
    else
      echo "PASS $name: $counts"
    fi
  elif [[ $status -eq 1 && -n $counts ]]; then
    add_counts "$out"
    script_failed "$counts" "; first failures:"
    { grep -E '^FAIL ' "$out" || true; } | head -n 3 | cut -c1-300 | sed 's/^/    /'
  else
    crash=$(grep -E '^crashed: ' "$err" | tail -n 1 || true)
    re='^crashed: (.*) after passed ([0-9]+), failed ([0-9]+), unsupported ([0-9]+), not applicable ([0-9]+), of ([0-9]+) commands$'
    if [[ $crash =~ $re ]]; then
      # The counts the tool had reached, the command it crashed in as failed, the rest not run.
      passed=$((passed + BASH_REMATCH[2]))
      failures=$((failures + BASH_REMATCH[3] + 1))
      unsupported=$((unsupported + BASH_REMATCH[4]))
      not_applicable=$((not_applicable + BASH_REMATCH[5]))
      reached=$((BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4] + BASH_REMATCH[5] + 1))
      not_run=$((not_run + BASH_REMATCH[6] - reached))
      unreached="$((BASH_REMATCH[6] - reached)) of ${BASH_REMATCH[6]} commands not run"
      script_failed "exit $status, crashed ${BASH_REMATCH[1]}; $unreached"
    else
      script_failed "exit $status, no summary: $(grep -v '^crashed' "$err" | head -n 2 | tr '\n' ' ')"
    fi
    { grep -vE '^crashed: ' "$err" || true; } | head -n 2 | cut -c1-300 | sed 's/^/    /'
  fi
done

elapsed=$((SECONDS - start))
echo "---"
where=$backend
(( shards > 1 )) && where="$backend, shard $shard/$shards"
known_note=""
[[ -n $known_file ]] && known_note=", ${#known_failed[@]} known failures"
echo "$where: $(( ${#scripts[@]} - ${#failed[@]} - ${#known_failed[@]} ))/${#scripts[@]}" \
     "scripts passed$known_note, ${elapsed}s"
echo "commands: passed $passed, failed $failures, unsupported $unsupported," \
     "not applicable $not_applicable, not run $not_run"
for reason in "${!unsupported_by_reason[@]}"; do
  echo "  unsupported ${unsupported_by_reason[$reason]}: $reason"
done | sort -k2,2rn
for reason in "${!not_applicable_by_reason[@]}"; do
  echo "  not applicable ${not_applicable_by_reason[$reason]}: $reason"
done
echo "trap texts: $texts checked, $texts_differing differ from the scripts' (not required to match)"
if [[ ${#known_failed[@]} -gt 0 ]]; then
  echo "known failures (listed in $known_list): ${known_failed[*]}"
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failing scripts: ${failed[*]}"
  exit 1
fi
