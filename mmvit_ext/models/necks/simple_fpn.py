"""A simple feature pyramid for plain (single-scale) ViT backbones."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.utils import build_norm_layer
from torch import Tensor

from mmvit_ext.registry import MODELS

from ..utils import check_choice

SCALE_FACTORS = (4.0, 2.0, 1.0, 0.5, 0.25)


@MODELS.register_module()
class SimpleFPN(BaseModule):
    """Simple feature pyramid of ViTDet for plain ViT backbones.

    `Exploring Plain Vision Transformer Backbones for Object Detection
    <https://arxiv.org/abs/2203.16527>`_

    A plain ViT gives one feature map, at stride 16 for a 16-px patch. Each
    pyramid level rescales that map: ``4`` by two 2x2 transposed convs (with
    a norm and GELU between them), ``2`` by one, ``1`` as is, ``0.5`` and
    ``0.25`` by max pooling. A 1x1 conv then maps it to ``out_channels`` and a
    3x3 conv smooths it, both with a norm and no activation. There is no
    top-down path: that is the point of the paper.

    Levels beyond ``scale_factors`` (``num_outs > len(scale_factors)``) come
    from the last level, by a stride-2 max pool (Faster/Mask R-CNN's P6) or,
    with ``add_extra_convs=True``, by stride-2 3x3 convs with a ReLU between
    them (RetinaNet's P6/P7).

    Args:
        in_channels (int): Channels of the backbone's feature map.
        out_channels (int): Channels of every output level.
        scale_factors (Sequence[float]): Rescale factors of the levels, from
            fine to coarse, each one of 4, 2, 1, 0.5 and 0.25. Defaults to
            ``(4, 2, 1, 0.5)``: strides 4-32 for a stride-16 backbone.
        num_outs (int): Number of output levels. Defaults to
            ``len(scale_factors)``.
        add_extra_convs (bool): Build the extra levels with convs instead of
            max pooling. Defaults to False.
        in_index (int): Which backbone output to use, when the backbone
            returns several. Defaults to -1 (the last).
        norm_cfg (dict, optional): Norm after each conv, looked up in
            mmpretrain's registry whatever the default scope. None gives
            convs with a bias and no norm. Defaults to ``LN2d``, as ViTDet.
        init_cfg (dict | list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
                 num_outs: Optional[int] = None,
                 add_extra_convs: bool = False,
                 in_index: int = -1,
                 norm_cfg: Optional[dict] = dict(type='LN2d', eps=1e-6),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not scale_factors:
            raise ValueError('scale_factors must name at least one level')
        for scale in scale_factors:
            check_choice('SimpleFPN scale factor', scale, set(SCALE_FACTORS))
        num_outs = len(scale_factors) if num_outs is None else num_outs
        if num_outs < len(scale_factors):
            raise ValueError(
                f'num_outs {num_outs} is smaller than the {len(scale_factors)} '
                f'levels of scale_factors {tuple(scale_factors)}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factors = tuple(float(s) for s in scale_factors)
        self.num_outs = num_outs
        self.add_extra_convs = add_extra_convs
        self.in_index = in_index

        self.rescales = nn.ModuleList()
        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for scale in self.scale_factors:
            rescale, channels = self._rescale(scale, in_channels, norm_cfg)
            self.rescales.append(rescale)
            self.lateral_convs.append(
                self._conv_norm(channels, out_channels, 1, norm_cfg))
            self.fpn_convs.append(
                self._conv_norm(out_channels, out_channels, 3, norm_cfg))
        self.extra_convs = nn.ModuleList()
        if add_extra_convs:
            for _ in range(num_outs - len(self.scale_factors)):
                self.extra_convs.append(
                    nn.Conv2d(out_channels, out_channels, 3, stride=2,
                              padding=1))

    @staticmethod
    def _conv_norm(in_channels, out_channels, kernel_size, norm_cfg):
        """A conv without activation, followed by a norm if there is one."""
        conv = nn.Conv2d(in_channels, out_channels, kernel_size,
                         padding=kernel_size // 2, bias=norm_cfg is None)
        if norm_cfg is None:
            return conv
        return nn.Sequential(conv, build_norm_layer(norm_cfg, out_channels))

    @staticmethod
    def _rescale(scale: float, channels: int, norm_cfg: dict):
        """The rescaling module of one level and its output channels."""
        if scale == 4.0:
            norm = nn.Identity() if norm_cfg is None else build_norm_layer(
                norm_cfg, channels // 2)
            return nn.Sequential(
                nn.ConvTranspose2d(channels, channels // 2, 2, stride=2),
                norm,
                nn.GELU(),
                nn.ConvTranspose2d(channels // 2, channels // 4, 2, stride=2),
            ), channels // 4
        if scale == 2.0:
            return nn.ConvTranspose2d(channels, channels // 2, 2,
                                      stride=2), channels // 2
        if scale == 1.0:
            return nn.Identity(), channels
        kernel = int(1 / scale)
        return nn.MaxPool2d(kernel, stride=kernel), channels

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        """Build the pyramid from ``inputs[in_index]`` (B, C, H, W)."""
        x = inputs[self.in_index]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'SimpleFPN expects a (B, {self.in_channels}, H, W) feature '
                f"map (the backbone's out_type='featmap'), got "
                f'{tuple(x.shape)}')
        outs = [
            fpn_conv(lateral_conv(rescale(x)))
            for rescale, lateral_conv, fpn_conv in zip(
                self.rescales, self.lateral_convs, self.fpn_convs)
        ]
        for i in range(self.num_outs - len(outs)):
            if self.add_extra_convs:
                source = outs[-1] if i == 0 else F.relu(outs[-1])
                outs.append(self.extra_convs[i](source))
            else:
                outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        # NCHW in memory: a channels-last input (mmpretrain's ViT gives
        # one) makes convs answer channels-last, which mmcv's RoIAlign
        # reads as NCHW all the same
        return tuple(out.contiguous() for out in outs)
