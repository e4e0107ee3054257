"""`python -m bot`: the same as the `hiring-advisor` console script."""

from bot.cli import main

# Guarded: spawned child processes re-import the main module.
if __name__ == "__main__":
    raise SystemExit(main())
