"""FixedBlockCache: the first-block cache of the "together" run, around the compiled blocks (diffusers' rule),
not diffusers' hooks, which recompile the compiled fp8 blocks for every context and state."""

from __future__ import annotations

from typing import Any


class FixedBlockCache:
    """First-block cache around the compiled blocks of each denoiser (diffusers' rule: the head block always runs;
    its residual decides, or `force` does; a skipped forward adds the residual the other blocks gave last time, per
    branch), duck-typing the studio's SkipControl for its denoising loop. The blocks are called as the model calls
    them, so their compiled code is reused as it is; diffusers' hooks inside the compiled blocks recompile them per
    context."""

    def __init__(self, models: list[Any], threshold: float = 0.05) -> None:
        import contextlib

        import torch

        self.force: bool | None = None
        self.decisions: list[bool] = []
        self.threshold = threshold
        self._saved: list[tuple[Any, Any]] = []

        outer = self

        class Blocks(torch.nn.ModuleList):
            """The same block modules; iterating yields callables that skip or run each one."""

            def __init__(self, blocks: Any) -> None:
                super().__init__(list(blocks))
                self.branch = "cond"
                self.states: dict[str, dict[str, Any]] = {}
                self.compute = True

            def __iter__(self) -> Any:
                blocks = list(super().__iter__())
                for i, block in enumerate(blocks):
                    yield lambda *a, i=i, block=block, **k: self.call(i, len(blocks), block, *a, **k)

            def call(self, i: int, n: int, block: Any, hidden: Any, *args: Any, **kwargs: Any) -> Any:
                st = self.states.setdefault(self.branch, {})
                if i == 0:
                    out = block(hidden, *args, **kwargs)
                    residual = out - hidden
                    self.compute = outer.decide(st, residual)
                    if not self.compute:
                        return out + st["tail_residual"]
                    st["head_out"], st["head_residual"] = out, residual
                    return out
                if not self.compute:
                    return hidden
                out = block(hidden, *args, **kwargs)
                if i == n - 1:
                    st["tail_residual"] = out - st.pop("head_out")
                return out

        for m in models:
            blocks = Blocks(m.blocks)

            @contextlib.contextmanager
            def context(name: str, blocks: Any = blocks) -> Any:
                blocks.branch = name
                yield

            self._saved.append((m, m.blocks))
            m.blocks = blocks
            m.cache_context = context  # the loop names the branch of each forward through it
            m._reset_stateful_cache = lambda recurse=True, blocks=blocks: blocks.states.clear()

    def decide(self, st: dict[str, Any], residual: Any) -> bool:
        if st.get("head_residual") is None or st.get("tail_residual") is None:
            compute = True
        elif self.force is not None:
            compute = not self.force
        else:
            prev = st["head_residual"]
            compute = float((residual - prev).abs().mean() / prev.abs().mean()) > self.threshold
        self.decisions.append(compute)
        return compute

    @property
    def active(self) -> bool:
        return bool(self._saved)

    def close(self) -> None:
        for m, blocks in self._saved:
            m.blocks = blocks
            del m.cache_context, m._reset_stateful_cache
        self._saved = []
