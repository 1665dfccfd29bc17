"""A person in the loop: the approval interrupt, forks that redo a shot, time travel by state updates, approve /
redo-shot / history."""
