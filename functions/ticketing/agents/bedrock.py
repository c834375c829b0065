"""The Bedrock model the agents use, with bounded time and retries per request."""

from __future__ import annotations

from typing import Any

# One Converse request: 5 s to connect, 20 s between bytes, two attempts in all (standard mode).
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20
MAX_ATTEMPTS = 2
MAX_OUTPUT_TOKENS = 1024


def bedrock_model(model_id: str, region: str) -> Any:
    """A Strands `BedrockModel` for `model_id` (a model id or an inference profile)."""
    from botocore.config import Config
    from strands.models import BedrockModel

    return BedrockModel(
        model_id=model_id,
        region_name=region,
        max_tokens=MAX_OUTPUT_TOKENS,
        temperature=0.0,
        boto_client_config=Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        ),
    )
