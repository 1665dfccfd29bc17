"""What the served agents share: the chat client base and structured replies with repair."""
