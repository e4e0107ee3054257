"""`python -m ingest`: the same as the `hiring-advisor-ingest` console script."""

from ingest.cli import main

raise SystemExit(main())
