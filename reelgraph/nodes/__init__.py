"""The graph's node bodies; reelgraph.graph wires them."""
