"""The package's import graph, read from the sources: no module imports
itself back through others (function-level imports count), and the
converters stay below the engine that calls them."""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, 'mmvit_ext')


def module_name(path):
    rel = os.path.relpath(path, ROOT)[:-len('.py')].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def modules():
    return {module_name(os.path.join(d, f)): os.path.join(d, f)
            for d, _, files in os.walk(PACKAGE) for f in files
            if f.endswith('.py')}


def imports(name, path, known):
    """The package modules that ``name`` imports, anywhere in its body."""
    package = name if path.endswith('__init__.py') else \
        name.rpartition('.')[0]
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                parts = parts[:len(parts) - node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            # ``from pkg import mod`` imports the module pkg.mod
            targets = [f'{base}.{alias.name}' for alias in node.names
                       if f'{base}.{alias.name}' in known] or [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition('.')[0]
            if target and target != name:
                found.add(target)
    return found


def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read():
    edges = graph()
    assert 'mmvit_ext.engine.checkpoint.loading' in \
        edges['mmvit_ext.engine.checkpoint.convert']
    assert 'mmvit_ext.converters.layouts' in \
        edges['mmvit_ext.engine.checkpoint.loading']
    assert 'mmvit_ext.models.layers.block' in \
        edges['mmvit_ext.models.layers.vitdet']


def test_no_module_imports_itself_back():
    assert cycles(graph()) == []


def test_the_converters_import_nothing_from_the_engine():
    edges = graph()
    for name, targets in edges.items():
        if name.startswith('mmvit_ext.converters'):
            assert not [t for t in targets
                        if t.startswith('mmvit_ext.engine')], name


def test_the_layers_import_no_backbone():
    """Shared blocks sit below the backbones that use them."""
    edges = graph()
    layers = [n for n in edges if n.startswith('mmvit_ext.models.layers')]
    assert len(layers) > 5
    for name in layers:
        assert not [t for t in edges[name]
                    if t.startswith('mmvit_ext.models.backbones')], name


def test_a_cycle_is_found():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == \
        [['a', 'b', 'c']]
