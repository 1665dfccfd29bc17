"""`python -m reelgraph.evals`: the eval command on its own."""

import typer

from reelgraph.evals.cli import eval_command


def main() -> None:
    """Run the eval command as a stand-alone Typer app."""
    app = typer.Typer(add_completion=False)
    app.command()(eval_command)
    app()


if __name__ == "__main__":
    main()
