"""indexvault orchestrator: strategy, planning, chain access and the CLI."""
