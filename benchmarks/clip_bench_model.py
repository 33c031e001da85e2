"""The `clip-bench` CLIP (≈5.24 M parameters), for keras_mm and open_clip."""

CONFIG = dict(
    image_size=64, patch_size=8, width=192, layers=4, heads=3, mlp_ratio=4,
    context_length=32, vocab_size=8192, embed_dim=128,
)
BATCH = 64


def keras_mm_model():
    import keras_mm

    c = CONFIG
    image = keras_mm.models.VisionTransformerEncoder(
        c["image_size"], c["patch_size"], c["width"], c["layers"], c["heads"],
        intermediate_dim=c["mlp_ratio"] * c["width"], pooling="cls",
    )
    text = keras_mm.models.TextTransformerEncoder(
        c["vocab_size"], c["context_length"], c["width"], c["layers"],
        c["heads"], intermediate_dim=c["mlp_ratio"] * c["width"],
        causal=True, pooling="eot",
    )
    return keras_mm.tasks.ContrastiveModel(
        {"image": image, "text": text}, projection_dim=c["embed_dim"]
    )


def open_clip_model():
    import open_clip

    c = CONFIG
    return open_clip.model.CLIP(
        embed_dim=c["embed_dim"],
        vision_cfg=dict(image_size=c["image_size"],
                        patch_size=c["patch_size"], width=c["width"],
                        layers=c["layers"], head_width=c["width"] // c["heads"],
                        mlp_ratio=c["mlp_ratio"]),
        text_cfg=dict(context_length=c["context_length"],
                      vocab_size=c["vocab_size"], width=c["width"],
                      heads=c["heads"], layers=c["layers"]),
        output_dict=True,
    )


def forward_flops_per_sample(pooled_last_block=False):
    """Matmul FLOPs of one forward pass (training ≈ 3×).

    With `pooled_last_block`, the count keras_mm executes: each tower's
    last block computes only the pooled token past its QKV projection
    (`TransformerBlock(query_index=...)`), plus the two one-hot selections.
    The default is the full model, what open_clip executes and what MFU is
    reported against.
    """
    c = CONFIG
    w = c["width"]
    mlp = c["mlp_ratio"] * w

    def block(tokens, queries):
        return (2 * tokens * w * 3 * w + 2 * 2 * queries * tokens * w
                + 2 * queries * w * w + 2 * 2 * queries * w * mlp)

    def tower(tokens):
        last = 1 if pooled_last_block else tokens
        select = 2 * 2 * tokens * w if pooled_last_block else 0
        return ((c["layers"] - 1) * block(tokens, tokens)
                + block(tokens, last) + select + 2 * w * c["embed_dim"])

    patches = (c["image_size"] // c["patch_size"]) ** 2
    patch_embed = 2 * patches * (c["patch_size"] ** 2 * 3) * w
    return tower(patches + 1) + patch_embed + tower(c["context_length"])
