"""dynconv's models in PyTorch, and dynconv's weights both ways.

    PYTHONPATH=python /usr/bin/python3 -c "import dynconv_torch"

- DyCnn (dycnn.py): the trainer's Dy-CNN (tools/models/dy-cnn.ts), every variant;
- dy_resnet18, dy_resnet50, dy_mobile, dy_mobilenet_v3_small, dy_shufflenet_v2 (dy_models.py):
  the Dy- models of @dynconv/models (the static ones are torchvision's own);
- DynamicConv2d, CoefficientPredictor (dynamic.py): the layers, dynconv's layout;
- load_file / save_file / load_state_dict / save_state_dict (safetensors_io.py): the safetensors
  format by hand (torch 1.13 has no safetensors library);
- load_dynconv_checkpoint (checkpoint.py): a tools/train.ts checkpoint -> (model, settings).

Every module has dynconv's state-dict keys, order and shapes: a file dynconv's `saveStateDict`
wrote loads with `load_state_dict(strict=True)` and gives the same logits, and a file
`save_state_dict` writes here loads into dynconv with `loadStateDict`. Pure PyTorch and the
standard library. See README.md next to this file, and docs/scaling.md.
"""
from .checkpoint import load_dynconv_checkpoint, read_dynconv_checkpoint
from .dy_models import DY_MODELS, build, dy_mobile, dy_mobilenet_v3_small, dy_resnet18, dy_resnet50, dy_shufflenet_v2
from .dycnn import DEFAULT_CONFIG, MODEL_KINDS, DyCnn, DyCnnConfig
from .dynamic import CoefficientPredictor, DynamicConv2d, split_coefficients
from .safetensors_io import load_file, load_state_dict, save_file, save_state_dict

__version__ = '0.1.0'

__all__ = [
    'DyCnn', 'DyCnnConfig', 'DEFAULT_CONFIG', 'MODEL_KINDS',
    'dy_resnet18', 'dy_resnet50', 'dy_mobile', 'dy_mobilenet_v3_small', 'dy_shufflenet_v2', 'DY_MODELS', 'build',
    'DynamicConv2d', 'CoefficientPredictor', 'split_coefficients',
    'load_file', 'save_file', 'load_state_dict', 'save_state_dict',
    'load_dynconv_checkpoint', 'read_dynconv_checkpoint',
]
