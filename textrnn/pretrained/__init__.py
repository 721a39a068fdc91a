"""Models that ship with textrnn, rebuilt by scripts/build-bundled-models.sh."""
