"""The config package's import graph has no circle (lazy imports inside functions count too)."""

from __future__ import annotations

import grimp


def test_config_rules_does_not_import_config_settings_even_lazily() -> None:
    graph = grimp.build_graph("config")
    assert graph.find_shortest_chain(importer="config.rules", imported="config.settings") is None


def test_no_config_module_imports_a_module_that_imports_it_back() -> None:
    graph = grimp.build_graph("config")
    circles = [
        (module, other)
        for module in sorted(graph.modules)
        for other in sorted(graph.find_modules_directly_imported_by(module))
        if graph.find_shortest_chain(importer=other, imported=module) is not None
    ]
    assert circles == []
