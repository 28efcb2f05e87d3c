#!/usr/bin/env bash
# The fuel meter must not change the meaning of any valid module: every official spec script
# must still pass under WABT's spectest-interp after each of its valid modules is metered
# (with the default budget, INT64_MAX, which no script comes near).
#
# usage: run_metered_spec.sh SUITE_DIR METER_TOOL SCRATCH_DIR [--unmetered]
#   SUITE_DIR    folder of .wast scripts (../shared/wasm-spec-testsuite)
#   METER_TOOL   pd-wasm-meter
#   SCRATCH_DIR  where wast2json writes the JSON and module files (one folder per script)
#   --unmetered  run the scripts as they are: the baseline of WABT itself
#
# Metered: every binary module a script instantiates, i.e. commands of type "module" and
# "assert_uninstantiable" (valid modules whose start function or segments trap). Left as they
# are: assert_invalid / assert_malformed / assert_unlinkable modules and text (.wat) modules.
#
# Needs wast2json and spectest-interp (Debian package wabt) and python3 (part of Debian's
# standard install) to read the JSON that wast2json writes.
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 || ( $# -eq 4 && "$4" != "--unmetered" ) ]]; then
  echo "usage: $0 SUITE_DIR METER_TOOL SCRATCH_DIR [--unmetered]" >&2
  exit 2
fi
suite=$1
meter=$2
scratch=$3
metered=1
[[ $# -eq 4 ]] && metered=0

for tool in wast2json spectest-interp python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found on PATH" >&2; exit 2; }
done
if [[ $metered -eq 1 && ! -x $meter ]]; then
  echo "$0: meter tool '$meter' is not an executable" >&2
  exit 2
fi
shopt -s nullglob
scripts=("$suite"/*.wast)
if [[ ${#scripts[@]} -eq 0 ]]; then
  echo "$0: no .wast scripts in $suite" >&2
  exit 2
fi
mkdir -p "$scratch"

# Prints, one per line, the module files of a wast2json JSON that are to be metered.
modules_to_meter() {
  python3 - "$1" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    script = json.load(f)
for command in script["commands"]:
    if command["type"] not in ("module", "assert_uninstantiable"):
        continue
    name = command.get("filename", "")
    if name.endswith(".wasm") and command.get("module_type", "binary") == "binary":
        print(name)
PY
}

start=$SECONDS
failed=()
total_passed=0
total_tests=0
total_modules=0
for wast in "${scripts[@]}"; do
  name=$(basename "$wast" .wast)
  dir="$scratch/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  json="$dir/$name.json"
  if ! wast2json "$wast" -o "$json" >"$dir/wast2json.log" 2>&1; then
    echo "FAIL $name: wast2json: $(head -n 3 "$dir/wast2json.log" | tr '\n' ' ')"
    failed+=("$name")
    continue
  fi

  count=0
  meter_failed=""
  if [[ $metered -eq 1 ]]; then
    if ! modules=$(modules_to_meter "$json"); then
      echo "FAIL $name: cannot read $json"
      failed+=("$name")
      continue
    fi
    while IFS= read -r module; do
      [[ -z $module ]] && continue
      if ! "$meter" "$dir/$module" "$dir/$module" >>"$dir/meter.log" 2>&1; then
        meter_failed="$module"
        break
      fi
      count=$((count + 1))
    done <<<"$modules"
  fi
  if [[ -n $meter_failed ]]; then
    echo "FAIL $name: metering $meter_failed: $(tail -n 1 "$dir/meter.log")"
    failed+=("$name")
    continue
  fi

  status=0
  (cd "$dir" && spectest-interp "$name.json") >"$dir/spectest.log" 2>&1 || status=$?
  summary=$(grep -E '^[0-9]+/[0-9]+ tests passed' "$dir/spectest.log" | tail -n 1 || true)
  if [[ $summary =~ ^([0-9]+)/([0-9]+) ]]; then
    total_passed=$((total_passed + BASH_REMATCH[1]))
    total_tests=$((total_tests + BASH_REMATCH[2]))
  fi
  total_modules=$((total_modules + count))
  if [[ $status -eq 0 && -n $summary ]]; then
    echo "PASS $name: $summary ($count modules metered)"
  else
    echo "FAIL $name: ${summary:-no summary} (exit $status, $count modules metered); first problems:"
    { grep -vE 'tests passed|^[^:]+\([^)]*\) =>' "$dir/spectest.log" || true; } |
      head -n 5 | sed 's/^/    /'
    failed+=("$name")
  fi
done

elapsed=$((SECONDS - start))
mode=metered
[[ $metered -eq 0 ]] && mode=unmetered
echo "---"
echo "$mode: $(( ${#scripts[@]} - ${#failed[@]} ))/${#scripts[@]} scripts passed," \
     "$total_passed/$total_tests assertions, $total_modules modules metered, ${elapsed}s"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failing scripts: ${failed[*]}"
  exit 1
fi
