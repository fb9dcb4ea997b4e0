"""`python -m swarmview` runs the command line."""

from swarmview.cli import main

raise SystemExit(main())
