"""A classifier whose training loss also regularises attention maps."""
from mmpretrain.models import ImageClassifier

from mmvit_ext.registry import MODELS


@MODELS.register_module()
class AttentionRegClassifier(ImageClassifier):
    """An ``ImageClassifier`` that adds a loss on the backbone's attention
    maps to the head's loss in training (DeepViT-32B's recipe).

    The backbone records its first blocks' maps through
    ``recording_attention(n)`` (``DeepViT`` has it) during the forward of
    ``loss``; ``attn_loss`` turns them into the ``loss_attn`` term. Test,
    inference and the state dict are those of ``ImageClassifier``.

    Args:
        attn_loss (dict): The attention loss, e.g.
            ``dict(type='mmvit_ext.AttentionCosineLoss', num_pairs=12,
            loss_weight=0.1)``; it reads ``num_maps`` maps.
        **kwargs: ``backbone``, ``neck``, ``head``, ``train_cfg``,
            ``data_preprocessor``, ``init_cfg`` of ``ImageClassifier``.
    """

    def __init__(self, attn_loss, **kwargs):
        super().__init__(**kwargs)
        if not hasattr(self.backbone, 'recording_attention'):
            raise TypeError(
                f'{type(self.backbone).__name__} cannot record its attention '
                'maps (no recording_attention); AttentionRegClassifier needs '
                'a backbone that can, such as DeepViT')
        self.attn_loss = MODELS.build(attn_loss)

    def loss(self, inputs, data_samples):
        with self.backbone.recording_attention(
                self.attn_loss.num_maps) as maps:
            feats = self.extract_feat(inputs)
        losses = self.head.loss(feats, data_samples)
        losses['loss_attn'] = self.attn_loss(maps)
        return losses
