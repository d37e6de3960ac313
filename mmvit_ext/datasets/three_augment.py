"""DeiT III's 3-Augment: one of grayscale, solarize and Gaussian blur."""
import numpy as np
from mmcv.transforms import BaseTransform, RandomChoice
from mmpretrain.datasets.transforms import GaussianBlur, Solarize
from PIL import Image

from mmvit_ext.registry import TRANSFORMS


class _Grayscale(BaseTransform):
    """A BGR image made grey with PIL's ITU-R 601-2 luma, as torchvision's
    ``Grayscale(3)`` in DeiT III does. mmcv's ``RandomGrayscale`` floors
    the weighted sum instead of rounding it, one grey level darker on
    average."""

    def transform(self, results):
        img = results['img']
        if img.ndim == 2 or img.shape[-1] == 1:
            return results  # grey already
        grey = np.asarray(Image.fromarray(img[..., ::-1]).convert('L'))
        results['img'] = np.repeat(grey[..., None], img.shape[-1], axis=-1)
        return results


@TRANSFORMS.register_module()
class ThreeAugment(RandomChoice):
    """3-Augment (Touvron et al. 2022, DeiT III, Sec. 3): exactly one of
    grayscale, solarization and Gaussian blur, chosen uniformly.

    As ``augment.py`` of facebookresearch/deit (``new_data_aug_generator``):
    PIL's grey (kept as three channels), solarization above 128 (mmpretrain's
    ``Solarize``), and a Gaussian blur whose radius is drawn uniformly from
    ``blur_radius`` (mmpretrain's ``GaussianBlur``). timm's
    ``auto_augment='3a'`` is the same choice. The recipe puts a random
    resized crop and a flip before it and ``ColorJitter(0.3, 0.3, 0.3)``
    after it; the image is BGR ``uint8``, as mmpretrain loads it.

    Args:
        solarize_thr (int): Pixels at or above it are inverted. Defaults to
            128.
        blur_radius (tuple[float, float]): Range of the blur radius.
            Defaults to (0.1, 2.0).
    """

    def __init__(self, solarize_thr=128, blur_radius=(0.1, 2.0)):
        low, high = blur_radius
        if not 0 < low <= high:
            raise ValueError('blur_radius must be (low, high) with '
                             f'0 < low <= high, got {blur_radius!r}')
        self.solarize_thr = solarize_thr
        self.blur_radius = (low, high)
        super().__init__(transforms=[
            _Grayscale(),
            Solarize(thr=solarize_thr, prob=1.),
            # magnitude_std='inf': a radius uniform over the whole range.
            GaussianBlur(magnitude_range=(low, high), magnitude_std='inf',
                         prob=1.),
        ])

    def __repr__(self):
        return (f'{self.__class__.__name__}(solarize_thr={self.solarize_thr}'
                f', blur_radius={self.blur_radius})')
