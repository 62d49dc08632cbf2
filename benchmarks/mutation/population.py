"""The mutants: Cosmic Ray's population over the reference server's modules, and a seeded sample."""

from __future__ import annotations

import difflib
import random
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutation.common import EXCLUDED, REFERENCE, ROOT, BadInput

# --------------------------------------------------------------------------- the population


@dataclass
class Mutant:
    """One mutant Cosmic Ray makes: where, which operator, and the change it makes."""

    file: str  # posix path from the project root
    operator: str
    occurrence: int  # Cosmic Ray's index of this operator's positions in the file
    line: int
    col: int
    function: str  # enclosing definitions, dotted ("Store.get_lead"), "<module>" at top level
    before: str = ""
    after: str = ""
    nth: int = 0  # the same change in the same function, counted in file order
    skip: str | None = None  # "annotation", "does not compile", "not made": never run
    diff: str = ""
    mutated_code: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.operator}#{self.occurrence}"

    @property
    def key(self) -> str:
        return triage_key(self.file, self.function, self.operator, self.before, self.after, self.nth)

    @property
    def family(self) -> str:
        """The operator without its operands: ``ReplaceComparisonOperator`` for ``..._Eq_NotEq``."""
        name = self.operator.split("/", 1)[-1]
        return re.sub(r"_[A-Za-z]+_[A-Za-z]+$", "", name)


def triage_key(file: str, function: str, operator: str, before: str, after: str, nth: int = 0) -> str:
    """The stable name of a mutant: what it changes and where, but no line number."""
    key = f"{file}::{function}::{operator}::{before} => {after}"
    return key if not nth else f"{key} #{nth}"


def reference_modules(root: Path = ROOT) -> list[Path]:
    """The reference server's behavioural modules, project-relative, sorted."""
    folder = root / REFERENCE
    return sorted(path.relative_to(root) for path in folder.glob("*.py") if path.name not in EXCLUDED)


def _cosmic_ray() -> Any:
    try:
        import cosmic_ray  # noqa: F401
        import cosmic_ray.plugins
    except ImportError:
        raise BadInput("Cosmic Ray is not installed: pip install -e '.[mutation]'") from None
    return cosmic_ray


def _qualname(leaf: Any) -> str:
    import parso.python.tree as tree

    names = []
    came_from, node = leaf, leaf.parent
    while node is not None:
        if isinstance(node, tree.Function | tree.Class):
            names.append(node.name.value)
        elif node.type == "decorated" and came_from is not node.children[-1]:
            names.append(node.children[-1].name.value)  # a decorator: named by what it decorates
        came_from, node = node, node.parent
    return ".".join(reversed(names)) or "<module>"


def _in_annotation(leaf: Any) -> bool:
    """Whether ``leaf`` is inside a parameter, return or variable annotation."""
    node = leaf
    while node.parent is not None:
        parent = node.parent
        if parent.type == "tfpdef" and len(parent.children) > 2 and parent.children[2] is node:
            return True
        if parent.type in ("funcdef", "async_funcdef") and getattr(parent, "annotation", None) is node:
            return True
        if parent.type == "annassign" and parent.children[1] is node:
            return True
        node = parent
    return False


def _change(original: str, mutated: str) -> tuple[str, str, str]:
    """The lines the mutant removes and adds (stripped), and its unified diff."""
    old, new = original.splitlines(), mutated.splitlines()
    before: list[str] = []
    after: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            before += [line.strip() for line in old[i1:i2] if line.strip()]
            after += [line.strip() for line in new[j1:j2] if line.strip()]
    diff = "\n".join(difflib.unified_diff(old, new, lineterm="", n=1))
    return "\n".join(before), "\n".join(after), diff


def _compiles(code: str, filename: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code, filename, "exec")
        except (SyntaxError, ValueError):
            return False
    return True


def build_population(root: Path, modules: Sequence[Path], session: Path | None = None) -> list[Mutant]:
    """Every mutant Cosmic Ray's core operators make in ``modules``, in a fixed order.

    The work items come from Cosmic Ray's own ``init`` (into ``session`` when given, a Cosmic Ray
    session file); each is then made with Cosmic Ray's ``mutate_code`` to know its change, and whether
    it is worth running.
    """
    _cosmic_ray()
    import parso
    from cosmic_ray.commands import init
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator
    from cosmic_ray.work_db import WorkDB, use_db

    if session is not None:
        session.parent.mkdir(parents=True, exist_ok=True)
        session.unlink(missing_ok=True)
        session_path = session
        scratch = None
    else:
        scratch = tempfile.TemporaryDirectory(prefix="leads-mutation-session-")
        session_path = Path(scratch.name) / "session.sqlite"
    try:
        with use_db(str(session_path), WorkDB.Mode.create) as db:
            init([root / module for module in modules], db, {})
            specs = [item.mutations[0] for item in db.work_items]
    finally:
        if scratch is not None:
            scratch.cleanup()

    sources = {Path(module).as_posix(): (root / module).read_text(encoding="utf-8") for module in modules}
    trees = {name: parso.parse(text) for name, text in sources.items()}
    futures = {
        name: bool(re.search(r"^from __future__ import annotations", text, re.M))
        for name, text in sources.items()
    }
    mutants: list[Mutant] = []
    for spec in sorted(specs, key=lambda s: (relative(s.module_path, root), s.operator_name, s.occurrence)):
        name = relative(spec.module_path, root)
        leaf = trees[name].get_leaf_for_position(tuple(spec.start_pos), include_prefixes=True)
        mutant = Mutant(
            file=name,
            operator=spec.operator_name,
            occurrence=spec.occurrence,
            line=spec.start_pos[0],
            col=spec.start_pos[1],
            function=_qualname(leaf),
        )
        if futures[name] and _in_annotation(leaf):
            mutant.skip = "annotation"
        try:
            operator = get_operator(spec.operator_name)(**(spec.operator_args or {}))
            mutated = mutate_code(sources[name], operator, spec.occurrence)
        except Exception:  # noqa: BLE001 - a mutant the tool cannot make is counted, not fatal
            mutated = None
        if mutated is None:
            mutant.skip = mutant.skip or "not made"
        else:
            mutant.before, mutant.after, mutant.diff = _change(sources[name], mutated)
            mutant.mutated_code = mutated
            if mutant.skip is None and not _compiles(mutated, name):
                mutant.skip = "does not compile"
        mutants.append(mutant)
    seen: Counter[str] = Counter()
    for mutant in sorted(mutants, key=lambda m: (m.file, m.line, m.col, m.operator, m.occurrence)):
        base = mutant.key
        mutant.nth = seen[base]
        seen[base] += 1
    return mutants


def relative(path: str | Path, root: Path) -> str:
    """A work item's module as a posix path from the project root."""
    return Path(path).relative_to(root).as_posix()


def sample(mutants: Sequence[Mutant], size: int, seed: int) -> list[Mutant]:
    """A seeded sample of the runnable mutants: the same population and seed, the same sample."""
    runnable = [m for m in mutants if m.skip is None]
    order = list(range(len(runnable)))
    random.Random(seed).shuffle(order)
    return [runnable[i] for i in sorted(order[:size])]


