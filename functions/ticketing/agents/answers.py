"""What the agents must answer: pydantic models used as Strands structured output."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..domain.models import Category, Severity

Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class TriageAnswer(BaseModel):
    """The agent's analysis of a support ticket."""

    model_config = ConfigDict(extra="forbid")

    category: Category = Field(description="network, software, hardware, account, or general when none fits")
    severity: Severity = Field(description="high: outage, security, many people or no work possible; low: questions")
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="One sentence: the customer's issue in plain words"
    )
    signals: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]] = Field(
        min_length=1, max_length=8, description="Short quotes or facts from the ticket the analysis relies on"
    )
    explanation: Sentence = Field(description="Why this category and severity, in one or two sentences")


class PlannedStep(BaseModel):
    """One step of the plan: a catalog action, worded for this customer."""

    model_config = ConfigDict(extra="forbid")

    action_id: str = Field(description="An action_id exactly as the resolution catalog lists it")
    wording: Sentence = Field(description="What this step means for this customer's issue")


class PlanAnswer(BaseModel):
    """The agent's resolution plan: ordered catalog actions and a message to the customer."""

    model_config = ConfigDict(extra="forbid")

    steps: list[PlannedStep] = Field(min_length=1, max_length=6, description="Ordered steps, most likely fix first")
    customer_message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="A short, friendly message telling the customer what will happen"
    )
