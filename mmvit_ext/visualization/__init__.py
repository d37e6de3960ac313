from .attention import (AttentionMap, AttentionRecorder, attention_rollout,
                        layer_similarity, token_grid)
from .common import (figure, image_inputs, load_config, load_image_and_model,
                     load_model, load_model_and_batches, overlay, run_tool,
                     save_figure, tool_parser, upsample, val_batches)

__all__ = [
    'AttentionMap', 'AttentionRecorder', 'attention_rollout', 'figure',
    'image_inputs', 'layer_similarity', 'load_config',
    'load_image_and_model', 'load_model', 'load_model_and_batches',
    'overlay', 'run_tool', 'save_figure', 'token_grid', 'tool_parser',
    'upsample', 'val_batches'
]
