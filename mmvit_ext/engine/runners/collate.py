"""A collate function named in a config loaded as ``pkg::...``.

mmengine gives every dict of a base config loaded by its package name
(``_base_ = 'mmvit_ext::deit3/...'``) a ``_scope_`` key, the collate
function's too, and ``Runner.build_dataloader`` passes every key of that
dict but ``type`` to the function: ``batch_collate() got an unexpected
keyword argument '_scope_'`` (mmengine's own ``default_collate`` fails the
same way). The runners fold the scope into the name instead, which is
where mmengine looks a scoped name up.
"""
import copy


def scope_collate_fn(dataloader):
    """``dataloader`` (a config dict, or a built loader, returned as it is)
    with its ``collate_fn``'s ``_scope_`` folded into ``type``."""
    if not isinstance(dataloader, dict):
        return dataloader
    collate_fn = dataloader.get('collate_fn')
    if not isinstance(collate_fn, dict) or '_scope_' not in collate_fn:
        return dataloader
    dataloader = copy.copy(dataloader)
    collate_fn = dict(collate_fn)
    scope = collate_fn.pop('_scope_')
    name = collate_fn.get('type')
    if isinstance(name, str) and '.' not in name and scope:
        collate_fn['type'] = f'{scope}.{name}'
    dataloader['collate_fn'] = collate_fn
    return dataloader
