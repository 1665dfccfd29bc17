"""Wan2.2-I2V-A14B speed switches, each alone and together, with full-size random weights on one GPU.

    python3 -m benchmarks.wan_speed                # H100 80 GB: 480p and 720p, stops starting work past --budget-s
    python3 -m benchmarks.wan_speed --tiny         # tiny configs on the CPU: checks the benchmark's logic in seconds
    python3 -m benchmarks.wan_speed --only fp8,together --sizes 720p,480p \
        --merge benchmarks/results/wan_speed_nvidia_h100_80gb_hbm3.json   # two steps, merged into an earlier run

(``python3 benchmarks/wan_speed ...`` runs it too.)

--only NAMES runs only those steps (comma-separated: attention, exact, compile, guidance-1, cache, batched,
eager-720p, few-step, fp8, together) plus the setup they share (both experts built once; for fp8 and together the
experts quantised and compiled once). --merge PATH loads an earlier results file and writes the new measurements
into it (new ones win for the same configuration and size; the earlier runs, decode and encode times and attention
figures stay), so the table holds both.

Both experts (14.3 B each) and the Wan VAE are built directly on the GPU in bf16 with random weights (the builders of
benchmarks/visual_gpu.py, seeded, so a rebuild gives the same weights); prompts are random embeddings of the real
shape. Every configuration runs the studio's own denoising loop (reelgraph/backends/diffusers/wan_loop.py) for a few
steps, each forward timed; a 30-step clip is extrapolated from the steady forward times (the first forward of each
expert, where compilation happens, is reported apart as warm-up), plus the VAE encode of the conditioning frames and
the VAE decode, both measured whole.

Exactness: the relative error (Frobenius) of each switch's latents after the same steps, seed and inputs against the
exact bf16 path (eager, torch SDPA = cuDNN). Random weights make this a numerical check of each switch, not a claim
about picture quality; for the same reason the first-block cache is timed at fixed skip ratios (random weights do
not have real residual statistics: at threshold 0.05 nothing was ever skipped).

Order (most useful first; each step is skipped when it would pass the budget, and a failure is recorded, not
fatal): attention kernels alone; exact eager 480p; regional compile (480p, 720p), alone and with the 8-bit attention
kernel when that is faster; guidance-1 skip, fixed-ratio cache, batched CFG (eager, alone); the few-step LoRA preset
(random rank-64 LoRA, fused); fp8 linear layers (experts rebuilt with the same seed and quantised); all together;
fp8 alone. Writes benchmarks/results/wan_speed_<gpu>.json after every measurement (a cut-off run keeps its figures)
and a markdown table beside it (.md).

fp8 and "together" run largest size first (720p before 480p: every size compiles the fp8 blocks anew, about 140-190 s
on the H100), each size's "together" right after its fp8 run on the same quantised, compiled experts: fp8 linear +
compile + the chosen attention + no unconditional forward where guidance_2 = 1 + first-block cache skips at a fixed
30 % ratio. Its first-block cache is this benchmark's own (FixedBlockCache: diffusers' rule, head block computed and
the other blocks replaced by the cached residual when skipped) around the compiled blocks, not diffusers' hooks:
compiled into the fp8 blocks, those hooks make dynamo recompile the blocks for every context (cond/uncond) and state,
66-166 s each on the H100 (a 3-block probe), which no budget holds; the blocks' own kernels are the same either way.

Modules: ``bench`` (the run: results, budget, merging), ``settings``, ``models`` (experts, VAE, inputs), ``measure``
(one measured run), one per measurement group (``attention``, ``exact_compile``, ``loop_switches``, ``few_step``,
``fp8`` with ``fixed_block_cache``), ``steps`` (their order), ``table`` and ``report`` (the extrapolated table, the
markdown), ``cli``.
"""
