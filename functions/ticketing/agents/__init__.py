"""Strands agents on Bedrock: triage, the resolution plan, conversation replies.

Each agent call is bounded (deadline, request budget, retries) and any failure falls
back to the rules and the catalog. `strands` is imported only when a model is
configured, so functions that never call a model never load it.
"""
