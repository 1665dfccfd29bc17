"""The first-block cache's skip decisions: counted on diffusers' hooks, or forced on a fixed schedule
(``fixed_skip_plan``, for benchmarking: random weights do not give real residual statistics)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def fixed_skip_plan(experts: Sequence[str], ratio: float) -> list[bool]:
    """Which steps the first-block cache skips at a fixed `ratio` of all steps: round(ratio x steps) of them, spread
    evenly over the steps that can be skipped (not an expert's first step: nothing is cached there yet)."""
    n = len(experts)
    eligible = [i for i in range(1, n) if experts[i] == experts[i - 1]]
    want = min(len(eligible), round(ratio * n + 1e-9))
    plan = [False] * n
    for j in range(want):
        plan[eligible[int((j + 0.5) * len(eligible) / want)]] = True
    return plan


class SkipControl:
    """Wraps each denoiser's first-block-cache decision: records every decision, and when `force` is set (True/False)
    overrides it (a forward whose cache is still empty always computes)."""

    def __init__(self, models: Sequence[Any]) -> None:
        self.force: bool | None = None
        self.decisions: list[bool] = []  # True: computed all blocks
        self.hooks = []
        for m in models:
            hook = _fbc_head_hook(m)
            if hook is None:
                continue
            original = hook._should_compute_remaining_blocks
            hook._should_compute_remaining_blocks = self._wrap(hook, original)
            self.hooks.append((hook, original))

    def _wrap(self, hook: Any, original: Callable[[Any], bool]) -> Callable[[Any], bool]:
        import torch

        def decide(residual: Any) -> bool:
            state = hook.state_manager.get_state()
            if self.force is None or state.head_block_residual is None or state.tail_block_residuals is None:
                compute = bool(original(residual))
            else:
                compute = not self.force
            self.decisions.append(compute)
            return compute

        eager: Callable[[Any], bool] = torch.compiler.disable(decide)
        return eager

    @property
    def active(self) -> bool:
        """Whether any denoiser has a first-block cache to control."""
        return bool(self.hooks)

    def close(self) -> None:
        """Put the original decisions back."""
        for hook, original in self.hooks:
            hook._should_compute_remaining_blocks = original
        self.hooks = []


def _fbc_head_hook(model: Any) -> Any:
    import torch

    for child in model.children():
        if isinstance(child, torch.nn.ModuleList) and len(child) and hasattr(child[0], "_diffusers_hook"):
            head: Any = child[0]  # a diffusers block with hooks attached
            return head._diffusers_hook.get_hook("fbc_leader_block_hook")
    return None
