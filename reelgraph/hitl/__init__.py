"""A person in the loop: the approval interrupt, forks that redo a shot, approve / redo-shot / history."""
