"""Repeated augmentation with DeiT's per-rank sample count."""
from mmpretrain.datasets.samplers import \
    RepeatAugSampler as MMPretrainRepeatAugSampler

from mmvit_ext.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class RepeatAugSampler(MMPretrainRepeatAugSampler):
    """mmpretrain's ``RepeatAugSampler`` that yields as many samples per
    rank as DeiT's ``RASampler`` does.

    Each sample is repeated ``num_repeats`` times, the repeats going to
    different ranks, and each rank takes the first ``num_selected_samples``
    of its share, so that an epoch stays as long as without repeats. DeiT
    (``samplers.py`` of facebookresearch/deit, and timm's
    ``RepeatAugSampler``) first rounds the dataset down to a multiple of
    ``selected_round`` (256): ``len(dataset) // 256 * 256 // world_size``;
    mmpretrain takes ``ceil(len(dataset) / world_size)``. With the same
    ``seed`` (DeiT seeds with the epoch alone: ``seed=0``) the indices are
    DeiT's.

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Shuffle every epoch. Defaults to True.
        num_repeats (int): Repeats of each sample. Defaults to 3.
        seed (int, optional): Shuffling seed, the same on every rank; None
            takes one shared by all ranks. Defaults to None.
        selected_round (int): Round the dataset size down to a multiple of
            it before splitting it over the ranks; 0 takes mmpretrain's
            count. Defaults to 256.
    """

    def __init__(self, dataset, shuffle=True, num_repeats=3, seed=None,
                 selected_round=256):
        if not isinstance(num_repeats, int) or num_repeats < 1:
            raise ValueError(
                f'num_repeats must be an int >= 1, got {num_repeats!r}')
        if not isinstance(selected_round, int) or selected_round < 0:
            raise ValueError('selected_round must be an int >= 0, got '
                             f'{selected_round!r}')
        super().__init__(dataset, shuffle, num_repeats, seed)
        self.selected_round = selected_round
        if selected_round:
            self.num_selected_samples = (len(dataset) // selected_round *
                                         selected_round // self.world_size)
        if self.num_selected_samples == 0:
            raise ValueError(
                f'RepeatAugSampler selects no sample: the dataset has '
                f'{len(dataset)} samples, selected_round={selected_round} '
                f'and {self.world_size} processes. Use a dataset of at least '
                f'selected_round x processes samples, or selected_round=0')
