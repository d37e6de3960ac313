from .attention import (AttentionMap, AttentionRecorder, attention_rollout,
                        layer_similarity, token_grid)
from .common import (figure, image_inputs, load_config, load_model, overlay,
                     save_figure, upsample, val_batches)

__all__ = [
    'AttentionMap', 'AttentionRecorder', 'attention_rollout', 'figure',
    'image_inputs', 'layer_similarity', 'load_config', 'load_model',
    'overlay', 'save_figure', 'token_grid', 'upsample', 'val_batches'
]
