"""leads-conformance: certifies a server as a faithful implementation of Merge's CRM Leads API."""

from conformance.contract.catalog import Catalog, Requirement, load_catalog
from conformance.contract.fragment import load_fragment
from conformance.outcomes import (
    CatalogError,
    ConformanceError,
    CredentialsRejected,
    Inconclusive,
    TargetError,
    TargetUnreachable,
    UsageError,
    Violation,
)

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "CatalogError",
    "ConformanceError",
    "CredentialsRejected",
    "Inconclusive",
    "Requirement",
    "TargetError",
    "TargetUnreachable",
    "UsageError",
    "Violation",
    "__version__",
    "load_catalog",
    "load_fragment",
]
