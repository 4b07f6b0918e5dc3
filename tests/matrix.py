"""The answer combinations the meta-tests render: every pair of answer values (pairwise
covering) plus the all-on and all-off extremes, and every licence."""

import itertools
from typing import Any

ALL_ENDPOINTS = ["models", "chat_completions", "responses", "completions", "embeddings"]

# The licence chooses a LICENSE text and pyproject's `license` field and meets no other answer
# in the code, so it is not paired with them (its four values alone would double the rows);
# the rows take its values in turn, so every licence renders a whole project that is checked.
LICENSES = ["MIT", "Apache-2.0", "BSD-3-Clause", "none"]

# Each question with the values to combine; `endpoints` is each endpoint alone, and all.
FACTORS: dict[str, list[Any]] = {
    "endpoints": [[endpoint] for endpoint in ALL_ENDPOINTS] + [ALL_ENDPOINTS],
    "backend": ["mock", "openai_proxy"],
    "auth": [True, False],
    "streaming": [True, False],
    "metrics": [True, False],
    "docker": [True, False],
    "ci": [True, False],
    "rate_limits": [True, False],
    "kubernetes": [True, False],
}

# Free text with quotes and backslashes (Python and TOML strings in the rendered files), on the
# all-on row; the slug and package name are given, as the other rows derive them.
AWKWARD_TEXT = {
    "project_name": 'The "Best" API \\ v2',
    "project_slug": "demo-api",
    "package_name": "demo_api",
    "description": 'Answers "hello" to everyone, with a description long enough to pass the '
    "formatter's line length of one hundred characters",
    "author_name": 'Ada "Countess" Lovelace',
}

ALL_ON = {
    **AWKWARD_TEXT,
    "endpoints": ALL_ENDPOINTS,
    "license": "MIT",
    "backend": "mock",
    "auth": True,
    "streaming": True,
    "metrics": True,
    "docker": True,
    "ci": True,
    "rate_limits": True,
    "kubernetes": True,
}
ALL_OFF = {
    "endpoints": ["models"],
    "license": "none",
    "backend": "mock",
    "auth": False,
    "streaming": False,
    "metrics": False,
    "docker": False,
    "ci": False,
    "rate_limits": False,
    "kubernetes": False,
}

# The all-on answers as a gateway: the most gateway code (streamed Responses, rate limits and
# metrics in front of an upstream) meets in one variant, as pairs alone would not ensure.
ALL_ON_GATEWAY = {**ALL_ON, "backend": "openai_proxy"}
for text_answer in AWKWARD_TEXT:
    del ALL_ON_GATEWAY[text_answer]

Pair = tuple[tuple[str, int], tuple[str, int]]


def pairs_of(row: dict[str, int]) -> set[Pair]:
    """The (question, value index) pairs that a row of value indexes covers."""
    return set(itertools.combinations(sorted(row.items()), 2))


def pairwise_rows(given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A small set of answer combinations that, with the `given` ones, covers every pair of
    values of two questions; the licences are taken in turn.

    Greedy and deterministic: repeatedly take the full combination that covers the most
    pairs not yet covered (the first such, in product order).
    """
    names = list(FACTORS)
    candidates = [
        dict(zip(names, indexes, strict=True))
        for indexes in itertools.product(*(range(len(FACTORS[name])) for name in names))
    ]
    uncovered = set().union(*(pairs_of(row) for row in candidates))
    for answers in given:
        uncovered -= pairs_of({name: FACTORS[name].index(answers[name]) for name in names})
    chosen: list[dict[str, int]] = []
    while uncovered:
        best = max(candidates, key=lambda row: len(pairs_of(row) & uncovered))
        chosen.append(best)
        uncovered -= pairs_of(best)
    return [
        {"license": LICENSES[number % len(LICENSES)]}
        | {name: FACTORS[name][index] for name, index in row.items()}
        for number, row in enumerate(chosen)
    ]


def variant_id(answers: dict[str, Any]) -> str:
    endpoints = answers["endpoints"]
    parts = ["all" if endpoints == ALL_ENDPOINTS else "+".join(endpoints)]
    parts += ["proxy"] if answers["backend"] == "openai_proxy" else []
    parts += [name if answers[name] else f"no-{name}" for name in ("auth", "streaming", "metrics")]
    parts += [
        name if answers[name] else f"no-{name}"
        for name in ("docker", "ci", "rate_limits", "kubernetes")
    ]
    return "-".join([*parts, answers["license"]])


SEEDS = [ALL_ON, ALL_OFF, ALL_ON_GATEWAY]
VARIANTS = [*SEEDS, *pairwise_rows(SEEDS)]
