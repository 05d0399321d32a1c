#!/usr/bin/env bash
# Mutation testing of the vault and the factory with slither-mutate and the native forge.
#
#   tests/forge/mutation/run_mutation.sh [contracts/IndexVault.sol contracts/VaultFactory.sol ...]
#
# Needs the slither venv (.venv-slither, `pip install slither-analyzer`). Works in a scratch copy
# of contracts/, tests/forge and foundry.toml (node_modules symlinked), so mutants never touch the
# work tree. Per mutant: `forge build` (optimizer off: mutants are about behaviour, and it
# compiles ~3x faster) then the forge suite without the gas bench, with fewer fuzz/invariant runs.
# Prints slither-mutate's own summary per file; the score is caught / (total that compile).
# MUTATION_TIMEOUT_S (default 600) bounds one mutant's test run; slither-mutate refuses to start
# when the unmutated suite takes longer (since issue 13 it takes ~190 s with the optimizer off).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
forge_bin="$repo/node_modules/@foundry-rs/forge-linux-amd64/bin"
venv="$repo/.venv-slither"
work="${MUTATION_WORKDIR:-$(mktemp -d /tmp/indexvault-mutation.XXXXXX)}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(contracts/IndexVault.sol contracts/VaultFactory.sol)

rm -rf "$work" && mkdir -p "$work/tests" "$work/deploy"
cp -r "$repo/contracts" "$repo/foundry.toml" "$repo/package.json" "$work/"
cp -r "$repo/tests/forge" "$work/tests/"
cp "$repo/deploy/solc" "$work/deploy/"
ln -s "$repo/node_modules" "$work/node_modules"
cd "$work"

export PATH="$forge_bin:$PATH" FORGE="$forge_bin/forge"
export FOUNDRY_OPTIMIZER=false FOUNDRY_FUZZ_RUNS=32 FOUNDRY_INVARIANT_RUNS=8 FOUNDRY_INVARIANT_DEPTH=32
for target in "${targets[@]}"; do
  echo "== $target"
  "$venv/bin/python" "$repo/tests/forge/mutation/slither_mutate_forge.py" "$target" \
    --compile-force-framework foundry \
    --test-cmd "forge test --no-match-contract GasBenchTest" \
    --timeout "${MUTATION_TIMEOUT_S:-600}" \
    --output-dir "$work/campaign-$(basename "$target" .sol)" 2>&1
done
echo "scratch copy and uncaught mutants: $work"
