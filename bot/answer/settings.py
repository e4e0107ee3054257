"""The answering core's sections of config.yaml: advisor (retrieval and composition) and llm.

`AnswerSettings` is what the Advisor runs on: ingest's sections (the index it reads) and these two.
"""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictFloat, StrictInt, ValidationInfo, field_validator

from ingest.settings import Section, Settings


class AdvisorSettings(Section):
    """How answers are retrieved and composed (whether to answer at all is bot/answer/scope.py's model)."""

    k: StrictInt = Field(8, ge=1, le=50)  # the defaults are config.yaml's: omitting a key changes nothing
    fetch_k: StrictInt = Field(16, ge=1, le=200)
    max_per_article: StrictInt = Field(6, ge=1)
    min_points: StrictInt = Field(1, ge=1, le=5)
    max_points: StrictInt = Field(5, ge=1, le=10)
    max_chars: StrictInt = Field(1000, ge=300)
    history_turns: StrictInt = Field(6, ge=0, le=50)

    @field_validator("max_points")
    @classmethod
    def _at_least_min_points(cls, value: int, info: ValidationInfo) -> int:
        """Checked on max_points (not the model) so the error line names advisor.max_points."""
        low = info.data.get("min_points")
        if isinstance(low, int) and value < low:
            raise ValueError(f"must be at least advisor.min_points ({low})")
        return value


class LLMSettings(Section):
    """An optional LLM through LangChain's init_chat_model; the API key is read from `api_key_env`."""

    enabled: StrictBool = False
    provider: str = Field("openai", min_length=1)
    model: str = Field("gpt-4o-mini", min_length=1)
    base_url: str | None = None
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$")
    temperature: StrictFloat = Field(0.0, ge=0, le=2)
    timeout_s: StrictFloat = Field(20.0, gt=0)
    max_tokens: StrictInt = Field(600, ge=16)


class AnswerSettings(Settings):
    """Ingest's sections and the answering core's: everything an Advisor needs."""

    advisor: AdvisorSettings = AdvisorSettings()
    llm: LLMSettings = LLMSettings()
