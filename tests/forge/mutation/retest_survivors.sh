#!/usr/bin/env bash
# Re-run the forge suite against the mutants a campaign left uncaught (after new tests were added).
#
#   tests/forge/mutation/retest_survivors.sh CAMPAIGN_DIR contracts/IndexVault.sol
#
# CAMPAIGN_DIR holds the survivor files slither-mutate wrote (e.g. <work>/campaign-IndexVault/IndexVault).
# Same settings as run_mutation.sh, in a scratch copy; prints CAUGHT / UNCAUGHT / COMPILE_FAIL per
# mutant and a final count. Only valid while the target file is unchanged since the campaign.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
survivors="$1"
target="$2"
work="${MUTATION_WORKDIR:-$(mktemp -d /tmp/indexvault-retest.XXXXXX)}"
rm -rf "$work" && mkdir -p "$work/tests" "$work/deploy"
cp -r "$repo/contracts" "$repo/foundry.toml" "$repo/package.json" "$work/"
cp -r "$repo/tests/forge" "$work/tests/"
cp "$repo/deploy/solc" "$work/deploy/"
ln -s "$repo/node_modules" "$work/node_modules"
cd "$work"
forge="$repo/node_modules/@foundry-rs/forge-linux-amd64/bin/forge"
export FOUNDRY_OPTIMIZER=false FOUNDRY_FUZZ_RUNS=32 FOUNDRY_INVARIANT_RUNS=8 FOUNDRY_INVARIANT_DEPTH=32
caught=0 uncaught=0
for mutant in "$survivors"/*.sol; do
  cp "$mutant" "$target"
  if ! "$forge" build >/dev/null 2>&1; then
    echo "COMPILE_FAIL $(basename "$mutant")"
  elif "$forge" test --no-match-contract GasBenchTest --fail-fast >/dev/null 2>&1; then
    echo "UNCAUGHT $(basename "$mutant")"; uncaught=$((uncaught + 1))
  else
    echo "CAUGHT $(basename "$mutant")"; caught=$((caught + 1))
  fi
done
cp "$repo/$target" "$target"
echo "retested: caught $caught, still uncaught $uncaught"
