"""Language-model arithmetic from one model description (presets or a Hugging Face config.json)."""
