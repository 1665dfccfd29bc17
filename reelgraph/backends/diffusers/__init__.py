"""diffusers backends: FLUX masters and keyframes, Wan2.2 image-to-video and bridges (with our own denoising loop);
memory plan; speed switches."""
