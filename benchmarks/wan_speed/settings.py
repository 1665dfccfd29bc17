"""What the benchmark runs with: guidance, steps, LoRA rank, tolerances, the budget's first guesses, step names."""

from __future__ import annotations

GUIDANCE = 3.5
CLIP_STEPS = 30
FEW_STEPS = 4
LORA_RANK = 64
BF16_TOLERANCE = 2e-2  # relative error after a few steps that counts as "equal in bf16" (batched vs unbatched)
# One forward, s (H100, bf16, measured by visual_gpu): the first guesses for the budget, replaced as runs come in.
GUESS = {("480p", "eager"): 3.36, ("480p", "compile"): 2.81, ("720p", "eager"): 12.53, ("720p", "compile"): 11.16}
REFERENCE_720P_EAGER_FORWARD_S = 12.53  # visual_gpu on the H100, used when this run does not measure it
# First fp8 + compile forward minus a steady one, s (H100, fresh machine: 190 s at 480p in a full run, 143 s at 720p
# in an --only fp8,together run): the budget's guess, replaced by measured or merged figures of the same size.
FP8_COMPILE_GUESS_S = {"480p": 190.0, "720p": 150.0}
TOGETHER_CACHE_RATIO = 0.3  # first-block cache skips of the "together" run (--together-cache-ratio) and row
FASTER_ATTENTION = ("sage_triton", "flash4")  # kernels the later steps may take instead of SDPA
STEP_NAMES = ("attention", "exact", "compile", "guidance-1", "cache", "batched", "eager-720p", "few-step", "fp8",
              "together")
