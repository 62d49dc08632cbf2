"""``conformance matrix``: several targets certified side by side, or their report folders joined.

The targets file is TOML. Each ``[[target]]`` table names one target; an optional ``[defaults]``
table gives every target the settings it does not set itself::

    [defaults]                      # optional
    max_examples = 10
    seed = 20261126

    [[target]]
    name = "reference"              # no base_url: the bundled reference server, started for its run

    [[target]]
    name = "vendor-a"               # letters, digits, '-' and '_' (at most 64): its report folder's name
    base_url = "https://leads.vendor-a.example/api"
    token_env = "VENDOR_A_API_KEY"                   # the variable holding the API key
    account_token_env = "VENDOR_A_ACCOUNT_TOKEN"     # ... the linked account's token
    second_account_token_env = "VENDOR_A_SECOND"     # optional: enables the TENANT checks
    baseline = "baselines/vendor-a.yaml"             # optional; relative to the targets file
    declared = "declared/vendor-a.yaml"              # optional: the field support it claims
    profile = "read-only"                            # optional: full (default) or read-only
    max_examples = 25                                # optional, and so are the keys below
    coverage_cases = 40                              # coverage-phase cases per operation (default all)
    seed = 1
    strict = false
    insecure = false
    timeout = 20                                     # seconds per request
    max_duration = 3600                              # seconds per run

A target's settings are the ``conformance run`` options of the same name that the option table marks
for the matrix (``conformance.run.options``), checked as that table says. ``[defaults]`` takes every key
but ``name``, ``base_url`` and the ``*_env`` keys. Credentials travel only through the environment of
each run (``CONFORMANCE_TOKEN`` and the others), read from the variables the file names; no secret
reaches a command line, ``matrix.json`` or ``matrix.html``. An unknown key, a duplicate name, an unset
variable or a malformed file stops the command before anything runs (exit 2).

``matrix.json`` and ``matrix.html`` (self-contained) hold requirement x target: each cell is the
requirement's status in that target's ``report.json``, and links to its row in that ``report.html``.
Exit status: 0 when every target's gate passed, 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

from conformance.matrix.build import build_matrix, load_target
from conformance.matrix.cli import matrix_command
from conformance.matrix.targets import TargetSpec, load_targets

__all__ = ["TargetSpec", "build_matrix", "load_target", "load_targets", "matrix_command"]
