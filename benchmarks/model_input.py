"""Model input for the seed's story, per request, with the scripted model (`python -m benchmarks.model_input`).

What each Bedrock request carries: the system prompt, the messages and the tool specs,
in characters and estimated tokens (about four characters to a token in English).
The story (analysis, plan, the recovery reply) runs on the local stack: benchmarks/story.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.scripted_model import Request

CHARS_PER_TOKEN = 4
# The figures for the seed: about 18,000 characters over its model requests; target half of it.
SEED_CHARACTERS = 18_000
TARGET_CHARACTERS = 9_000
TARGET_REQUESTS = 3


@dataclass(frozen=True)
class RequestSize:
    step: str
    system: int
    messages: int
    tools: int
    tool_names: tuple[str, ...]

    @property
    def characters(self) -> int:
        return self.system + self.messages + self.tools

    @property
    def tokens(self) -> int:
        return estimated_tokens(self.characters)


def estimated_tokens(characters: int) -> int:
    return -(-characters // CHARS_PER_TOKEN)


def request_size(step: str, request: Request) -> RequestSize:
    return RequestSize(
        step=step,
        system=len(request.system_prompt or ""),
        messages=len(json.dumps(request.messages, ensure_ascii=False)),
        tools=len(json.dumps(request.tool_specs, ensure_ascii=False)) if request.tool_specs else 0,
        tool_names=tuple(request.tool_names),
    )


def table(sizes: list[RequestSize]) -> list[str]:
    rows = [f"{'model request':<16} {'system':>7} {'messages':>9} {'tools':>6} {'chars':>7} {'~tokens':>8}  tools"]
    for size in sizes:
        rows.append(
            f"{size.step:<16} {size.system:>7} {size.messages:>9} {size.tools:>6} {size.characters:>7} "
            f"{size.tokens:>8}  {', '.join(size.tool_names) or '-'}"
        )
    total = sum(s.characters for s in sizes)
    rows.append(
        f"{f'total, {len(sizes)} requests':<16} {'':>7} {'':>9} {'':>6} {total:>7} {estimated_tokens(total):>8}"
    )
    return rows


def main() -> int:
    from .story import run_story  # deferred: starts the local stack

    record = run_story()
    print("\n".join(table([request_size(step, request) for step, request in record.requests])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
