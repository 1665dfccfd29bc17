"""Base of the agents that talk to a model served behind an OpenAI-compatible API (vLLM)."""

from __future__ import annotations

from typing import Any

from reelgraph.config import AgentConfig
from reelgraph.serving.vllm_server import chat_model, check_agent_config


class ServedAgent:
    """Base of the agents that talk to a served model: validated config, a chat client made on first use."""

    role = "director"

    def __init__(self, config: AgentConfig):
        self.config = check_agent_config(config, self.role)
        self.calls: list[dict[str, Any]] = []
        self._llm: Any = None

    @property
    def llm(self) -> Any:
        """The LangChain chat model (ChatOpenAI on the server's /v1), made on first use and kept."""
        if self._llm is None:
            self._llm = chat_model(self.config, self.role)
        return self._llm
