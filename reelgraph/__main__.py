"""`python -m reelgraph`: the command line."""

from reelgraph.cli import main

main()
