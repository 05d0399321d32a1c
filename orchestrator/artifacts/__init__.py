"""Compiled contract artifacts: building ours from `contracts/` into `abi/`, and loading
both ours and the npm packages' shipped artifacts (Uniswap, WETH9, EntryPoint)."""

from orchestrator.artifacts.load import Artifact, load_artifact, load_npm_artifact, repo_root

__all__ = ["Artifact", "load_artifact", "load_npm_artifact", "repo_root"]
