"""Speed switches for the diffusers denoisers, each a backend option (`[image].options`, `[video].options`).

- ``options``: the switches' names, defaults and checks; ``LoopSwitches``, what the Wan loop does beyond the pipeline;
- ``lora``: the few-step preset's step-distillation LoRA, fused at load;
- ``fp8``: torchao float8 linear layers in the denoisers' repeated blocks, quantised once at load;
- ``attention``: routing attention layers to a kernel through diffusers' attention dispatch, with the two kernels of
  our own in ``sage_triton`` (SageAttention 1.x) and ``flash4`` (FlashAttention-4), registered through ``dispatch``;
- ``first_block_cache``: first-block-cache skip decisions counted, or forced on a fixed schedule;
- ``text_cache``: prompt embeddings computed once per prompt;
- ``inductor_cache``: compiled kernels cached across runs.

The Wan denoising loop that applies the loop switches is ``reelgraph.backends.diffusers.wan_loop``. torch and
diffusers are imported inside functions only.
"""
