"""
The malformed IR documents of ``tests/ir/malformed/`` and the one-line error each must give.

Shared by the loader tests and the CLI tests, so both prove the same messages. Each message
is given without the ``<path>: `` prefix that loading from a file adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

MALFORMED_DIR: Final = Path(__file__).parent / "malformed"

#: File name -> expected message.
MALFORMED: Final[dict[str, str]] = {
    "bad-json.json": "bad JSON at line 3 column 3: Expecting ',' delimiter",
    "duplicate-json-key.json": "bad JSON: the key 'cmd' appears twice in one object; keep one",
    "nan-timeout.json": "bad JSON: NaN is not a JSON number; use a finite number or null",
    "not-utf8.json": "bad JSON: not UTF-8 (byte 58); save the document as UTF-8",
    "not-an-object.json": "expected an object, got an array",
    "missing-version.json": 'missing "version": add "version": "0"',
    "wrong-version.json": 'unsupported IR version string "1": this hm reads version "0"',
    "version-not-a-string.json": 'unsupported IR version integer 0: this hm reads version "0"',
    "no-steps-or-graph.json": (
        "missing 'graph' or 'steps': add 'graph' (graph form) or 'steps' (flat form)"
    ),
    "both-forms.json": (
        "the document has both 'graph' (graph form) and 'steps' (flat form); keep one"
    ),
    "steps-not-an-array.json": "'steps' must be an array, got an object",
    "step-not-an-object.json": 'steps[1]: expected an object, got string "echo test"',
    "missing-step-type.json": 'steps[0]: missing \'type\': add "type": "command" or "type": "wait"',
    "unknown-step-type.json": 'steps[1]: \'type\' must be "command" or "wait", got string "block"',
    "missing-cmd.json": "step 'build': missing 'cmd': add it (a string)",
    "missing-key-graph.json": "node 1: missing 'key': add it (a non-empty string)",
    "empty-key.json": "steps[0]: 'key' must be a non-empty string, got string \"\"",
    "cmd-wrong-type.json": "step 'build': 'cmd' must be a string, got integer 42",
    "duplicate-keys-flat.json": (
        "steps[2]: duplicate step key 'build', already used by steps[0]; "
        "give every step a unique key"
    ),
    "duplicate-keys-graph.json": (
        "node 1: duplicate step key 'build', already used by node 0; give every step a unique key"
    ),
    "dangling-builds-in.json": (
        "step 'test': builds_in references unknown step 'compile'; "
        "name the key of another step, or drop builds_in to start from an image"
    ),
    "dangling-edge.json": (
        "edge 1: target node 5 does not exist (the graph has 2 nodes); "
        "point the edge at an index from 0 to 1"
    ),
    "edge-not-a-triple.json": (
        "edge 0: expected an array [from, to, kind], got an array of 2 items"
    ),
    "edge-index-not-integer.json": 'edge 0: the source must be a node index, got string "a"',
    "unknown-edge-kind.json": (
        'edge 0: unknown edge kind string "needs"; use one of "builds_in", "depends_on", "after"'
    ),
    "duplicate-edge.json": "edge 1: repeats edge 0 [0, 1, 'depends_on']; remove one of them",
    "cycle-graph.json": (
        "node 0 (step 'a'): cycle 'a' -> 'b' -> 'c' -> 'a'; a step cannot wait for itself, "
        "remove one of these edges"
    ),
    "cycle-flat.json": (
        "step 'a': cycle 'a' -> 'b' -> 'a'; a step cannot wait for itself, "
        "remove one of these edges"
    ),
    "cycle-through-wait.json": (
        "step 'a': cycle 'a' -> 'b' -> 'a'; a step cannot wait for itself, "
        "remove one of these edges"
    ),
    "two-builds-in-parents.json": (
        "node 2 (step 'c'): two builds_in parents, node 0 (edge 0) and node 1 (edge 1); "
        "a step builds in at most one parent, make the other edge depends_on"
    ),
    "negative-timeout.json": (
        "step 'build': 'timeout_seconds' must be a positive whole number of seconds, got integer -5"
    ),
    "zero-pipeline-timeout.json": (
        "'timeout_seconds' must be a positive whole number of seconds, got integer 0"
    ),
    "timeout-too-large.json": (
        "step 'build': 'timeout_seconds' must be a positive whole number of seconds up to "
        "4294967295, got integer 4294967296"
    ),
    "timeout-not-integer.json": (
        "step 'build': 'timeout_seconds' must be a positive whole number of seconds, "
        'got string "10m"'
    ),
    "env-value-not-string.json": "step 'build': env['JOBS'] must be a string, got integer 4",
    "pipeline-env-not-object.json": "'env' must be an object of strings, got an array",
    "wait-flag-not-boolean.json": (
        "steps[1]: 'continue_on_failure' must be true or false, got string \"yes\""
    ),
    "cache-without-policy.json": (
        "step 'build' cache: missing 'policy': add it (a non-empty string)"
    ),
    "runner-args-integer-too-large.json": (
        "step 'build': 'runner_args' holds the integer 18446744073709551616, which does not fit "
        "in 64 bits; pass it as a string"
    ),
    "node-holes.json": "graph: 'node_holes' must be empty: this hm reads dense node lists only",
    "undirected-graph.json": (
        'graph: \'edge_property\' must be "directed", got string "undirected"'
    ),
    "envelope-schema-version.json": (
        'unsupported envelope schema_version string "2": this hm reads "1"'
    ),
    "envelope-invalid-slug.json": (
        "pipelines[0]: invalid slug 'Hello World': use lowercase letters, digits and '-', "
        "start with a letter, at most 64 characters"
    ),
    "envelope-duplicate-slug.json": (
        "pipelines[1]: duplicate slug 'ci', already used by pipelines[0]; "
        "give every pipeline a unique slug"
    ),
    "envelope-bad-definition.json": (
        "pipeline 'ci': node 0 (step 'a'): cycle 'a' -> 'a'; a step cannot wait for itself, "
        "remove one of these edges"
    ),
}
