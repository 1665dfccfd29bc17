"""Plain steps the nodes run outside the Director's tool calls: masters, the score, the voice-over, the reels."""
