"""docs/recipes.md is what tools/misc/make_recipes.py writes from the merged
configs, and every official recipe item either matches or says why not."""
import os

import pytest

from mmvit_ext.utils import import_by_path


@pytest.fixture(scope='module')
def tool(repo_root):
    return import_by_path(f'{repo_root}/tools/misc/make_recipes.py',
                          'make_recipes')


def test_recipes_page_is_generated_from_the_configs(tool, repo_root):
    with open(f'{repo_root}/docs/recipes.md') as f:
        assert f.read() == tool.render(), \
            'docs/recipes.md is stale: run python tools/misc/make_recipes.py'


def test_every_mismatch_has_a_reason_and_every_reason_a_mismatch(tool):
    for card in tool.CARDS:
        for row in tool.card_rows(card):
            where = f"{card['title']}: {row['setting']}"
            if row['match']:
                assert not row['reason'], f'{where} matches but has a reason'
            else:
                assert row['reason'], \
                    f"{where}: ours {row['ours']!r} is not the official " \
                    f"{row['official']!r} and no reason is given"


def test_cards_cover_every_imagenet_training_config(tool, repo_root):
    """Each in1k config is on a card, but the 224 px leaves of DeiT III's
    two-stage models (test and inference configs) and DeiT III-M (no
    official recipe)."""
    carded = {path for card in tool.CARDS for path in card['configs'].values()}
    for path in carded:
        assert os.path.isfile(f'{repo_root}/configs/{path}'), path
    leaves = {f'{algo}/{name}' for algo in ('deit3', 'deit', 'pit', 'ceit',
                                             'deepvit')
              for name in os.listdir(f'{repo_root}/configs/{algo}')
              if name.endswith('_in1k.py')}
    left_out = leaves - carded
    assert left_out == {
        'deit3/deit3-b-p16_8xb256_in1k.py', 'deit3/deit3-l-p16_32xb64_in1k.py',
        'deit3/deit3-h-p14_32xb64_in1k.py', 'deit3/deit3-m-p16_8xb256_in1k.py',
        'ceit/ceit-t-384px_8xb64_in1k.py', 'ceit/ceit-s-384px_8xb64_in1k.py'}


def test_a_changed_config_value_shows_as_a_mismatch(tool, monkeypatch):
    """The card reads the merged config: a config that drifts from the
    official recipe no longer matches."""
    real = tool.SETTINGS['loss']
    monkeypatch.setitem(tool.SETTINGS, 'loss',
                        lambda cfg, name: real(cfg, name) + ' (changed)')
    rows = tool.card_rows(tool.CARDS[0])
    [loss] = [r for r in rows if r['setting'] == 'loss']
    assert not loss['match']
