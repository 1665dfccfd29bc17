"""One clip over several GPUs: diffusers' context parallelism (Ulysses, ring) in a group of processes, one per rank.

Rank 0 is the studio's own process; ranks 1..N-1 are worker processes the video backend starts, each holding its
own copy of the pipeline on its own GPU. Each denoising call is sent to every rank; the transformer's attention is
split over the ranks by diffusers' hooks, every rank ends with the same latents, and rank 0 decodes and encodes.
"""
