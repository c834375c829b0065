"""The Bedrock model the agents use, with bounded time and retries per request."""

from __future__ import annotations

from functools import cache
from typing import Any

# One Converse request: 5 s to connect, 20 s between bytes, two attempts in all (standard mode).
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20
MAX_ATTEMPTS = 2
MAX_OUTPUT_TOKENS = 1024


@cache
def bedrock_model(model_id: str, region: str) -> Any:
    """A Strands `BedrockModel` for `model_id` (a model id or an inference profile).

    One per process: each agent call builds a fresh `Agent` but reuses the model and
    its bedrock-runtime client, as a warm Lambda container reuses its other clients.
    """
    from botocore.config import Config
    from strands.models import BedrockModel

    return BedrockModel(
        model_id=model_id,
        region_name=region,
        max_tokens=MAX_OUTPUT_TOKENS,
        temperature=0.0,
        # ConverseStream: the stack grants bedrock:InvokeModelWithResponseStream and nothing else.
        streaming=True,
        boto_client_config=Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        ),
    )
