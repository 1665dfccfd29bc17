"""`reelgraph serve director|critic|both --model PATH`: start vLLM for an agent and point a profile at it."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from reelgraph.errors import ReelgraphError, UsageError


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the server like Ctrl-C


def serve(
    role: Annotated[str, typer.Argument(help="director, critic, or both (one vision-language model for both roles)")],
    model: Annotated[Path, typer.Option(help="local model folder (config.json, tokenizer, weights)")],
    port: Annotated[int | None, typer.Option(help="port (default 8011 director/both, 8012 critic)")] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    profile: Annotated[Path | None, typer.Option(help="profile TOML to point at the server (made if absent)")] = None,
    served_name: Annotated[str | None, typer.Option(help="model name clients use (default: the folder name)")] = None,
    gpu_memory_utilization: Annotated[float | None, typer.Option(
        help="vLLM's share of the GPU (default: the profile's diffusers vllm_fraction, else vLLM's 0.9)")] = None,
    max_model_len: Annotated[int | None, typer.Option(help="context length (default 16384)")] = 16384,
    tool_parser: Annotated[str | None, typer.Option(help="override the tool-call parser picked by family")] = None,
    chat_template: Annotated[Path | None, typer.Option(help="chat template file (default: the model's own)")] = None,
    dtype: Annotated[str | None, typer.Option(help="weights dtype, e.g. bfloat16 (default: vLLM's auto)")] = None,
    enforce_eager: Annotated[bool, typer.Option(help="no CUDA graphs / compilation: faster start")] = False,
    max_images: Annotated[int, typer.Option(help="images per request for a vision model")] = 12,
    vllm_arg: Annotated[list[str] | None, typer.Option(help="extra argument passed to vLLM (repeatable)")] = None,
    wait: Annotated[float, typer.Option(help="seconds to wait for /health")] = 1800.0,
    log_file: Annotated[Path | None, typer.Option(help="server log (default: vllm-<role>-<port>.log here)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the vLLM command and exit")] = False,
) -> None:
    """Start vLLM's OpenAI-compatible server for the Director or the Critic and wait for /health; with --profile,
    write the server's URL and model name into the profile. Runs until Ctrl-C."""
    from reelgraph.serving.vllm_server import (
        DEFAULT_PORTS,
        ServeSpec,
        VLLMServer,
        is_role,
        profile_vllm_fraction,
        serve_command,
        shell_line,
        write_profile_url,
    )

    if not is_role(role):
        raise typer.BadParameter(f"role must be director, critic or both, not {role!r}")
    try:
        if not model.is_dir():
            raise UsageError(f"--model {str(model)!r} is not a folder")
        share = gpu_memory_utilization if gpu_memory_utilization is not None else profile_vllm_fraction(profile)
        spec = ServeSpec(role=role, model=model, host=host, port=port or DEFAULT_PORTS[role], served_name=served_name,
                         gpu_memory_utilization=share, max_model_len=max_model_len, tool_parser=tool_parser,
                         chat_template=chat_template, dtype=dtype, enforce_eager=enforce_eager, max_images=max_images,
                         extra_args=list(vllm_arg or []))
        if dry_run:
            typer.echo(shell_line(serve_command(spec, write=False)))  # a dry run writes nothing
            return
        log_path = log_file or Path(f"vllm-{role}-{spec.port}.log")
        server = VLLMServer(spec, log_path).start()
    except (UsageError, ReelgraphError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2 if isinstance(e, UsageError) else 1) from None
    typer.echo(f"starting vLLM ({role}, {spec.name}) on {spec.url}; log {log_path}", err=True)
    try:
        server.wait_ready(wait)
        if profile is not None:
            for r in (["director", "critic"] if role == "both" else [role]):
                write_profile_url(profile, r, spec.url, spec.name)
        typer.echo(f"ready: {spec.url} (model {spec.name!r})" + (f"; profile {profile} points at it" if profile
                                                                  else ""))
        typer.echo("Ctrl-C stops the server", err=True)
        signal.signal(signal.SIGTERM, _interrupt)
        proc = server.proc
        assert proc is not None  # started above
        proc.wait()
        typer.echo(f"vLLM exited with code {proc.returncode}; log {log_path}", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("stopping vLLM", err=True)
    except ReelgraphError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    finally:
        server.stop()
