"""The gateway backend: every endpoint relayed to an OpenAI-compatible upstream server over one
pooled client. backend.py wires it into the app."""
