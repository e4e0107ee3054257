"""`python -m ingest`: the same as the `hiring-advisor-ingest` console script."""

from ingest.cli import main

# Guarded: spawned child processes re-import the main module.
if __name__ == "__main__":
    raise SystemExit(main())
