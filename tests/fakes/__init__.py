"""In-process fakes of external services that the real client libraries talk to over 127.0.0.1."""

from .openai_server import FakeOpenAI, serving_in_thread

__all__ = ["FakeOpenAI", "serving_in_thread"]
