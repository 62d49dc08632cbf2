"""leads-conformance: certifies a server as a faithful implementation of Merge's CRM Leads API."""

from conformance._outcomes import (
    CatalogError,
    ConformanceError,
    CredentialsRejected,
    Inconclusive,
    TargetError,
    TargetUnreachable,
    UsageError,
    Violation,
)
from conformance.spec import Catalog, Requirement, load_catalog, load_fragment

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
