"""The keeper: weekly rebalances and off-cadence regime switches of every vault whose
owner delegated to it, within each owner's mandate, crash-safe (see `cycle`)."""
