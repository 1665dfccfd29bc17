"""`python -m reelgraph`: the command line."""

from reelgraph.cli import main

if __name__ == "__main__":
    main()
