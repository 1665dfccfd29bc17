"""The review page: what a thread made (shots, takes, verdicts, reels), served beside the graph by `langgraph dev`."""
