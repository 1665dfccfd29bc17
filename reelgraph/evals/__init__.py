"""Evals: replay stored prompts through the studio, measure every run, report with plots, gate regressions.

    python -m reelgraph.evals --cases tag:ci --jobs 2                  # evals/runs/<stamp>/report.html, metrics.json
    python -m reelgraph.evals --cases tag:ci --baseline evals/baseline.json   # exit 1 on a regression
    python -m reelgraph.evals --record                                  # store Director conversations
    python -m reelgraph.evals --replay                                  # replay them, no Director model needed

Modules: cases (the prompt set), worker (one case in its own process), metrics / audio_metrics / memory (measures),
checks (expectations), harness (parallel runs), gate (baseline), report / plots / contact (HTML).
"""
