"""Entry script of the frozen app: the same command line as the installed ``swarmview``."""

from swarmview.cli import main

raise SystemExit(main())
