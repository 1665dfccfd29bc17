"""diffusers backends: FLUX masters and keyframes, Wan2.2 image-to-video and bridges; memory plan; speed switches."""
