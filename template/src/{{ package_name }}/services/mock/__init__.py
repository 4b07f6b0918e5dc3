"""The mock backend: deterministic services for every endpoint, and what makes them a test
double (a script of rules, a journal, a pace). backend.py wires them into the app."""
