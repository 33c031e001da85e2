"""Contrastive alignment of two or more modalities (CLIP / SigLIP)."""

import itertools

import keras
from keras import ops

from keras_mm import backend
from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import pooled_features
from keras_mm.distribution.collectives import gather_global_batch
from keras_mm.distribution.collectives import scale_loss_for_replicas
from keras_mm.heads.logit_scale import LogitScale
from keras_mm.heads.modality_projection import ModalityProjection
from keras_mm.losses.contrastive import CONTRASTIVE_LOSSES
from keras_mm.tasks.compile_defaults import CompileDefaults
from keras_mm.tasks.feed_defaults import FeedDefaults


def l2_normalize(x, axis=-1, epsilon=1e-6):
    x = ops.cast(x, "float32")
    return x * ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)
                         + epsilon)


@keras_mm_export
class ContrastiveModel(FeedDefaults, CompileDefaults, keras.Model):
    """Aligns modalities in one embedding space with an in-batch loss.

    Each modality has an encoder and a projection; embeddings are
    L2-normalised; every pair of modalities contributes a CLIP (softmax) or
    SigLIP (sigmoid) loss with a learned, clamped temperature. The loss is
    built inside `compute_loss`, so `fit(x)` needs no labels.

    Args:
        encoders: dict mapping a modality name (`"image"`, `"text"`,
            `"audio"`…) to an encoder model with an `input_keys` attribute
            and a `"pooled_output"` output.
        projection_dim: int. Width of the shared embedding space.
        projection: str. `"linear"` (CLIP), `"mlp"` (a two-layer MLP head),
            `"linear_bias"` or `"identity"`
            (`keras_mm.heads.ModalityProjection`); or a dict giving one
            per modality.
        loss: str. `"clip"` or `"siglip"`.
        label_smoothing: float. Label smoothing of the CLIP loss.
        preprocessors: optional dict mapping a modality to what turns raw
            inputs (strings, image files, waveforms) into its encoder's
            inputs, e.g. a checkpoint's tokenizer. Saved with the model;
            `embed` uses them.

    Call arguments:
        inputs: dict holding every encoder's `input_keys`.

    Returns:
        `{"<modality>_embeddings": (batch, projection_dim)}`, unit norm.

    Example:
    ```python
    model = keras_mm.tasks.ContrastiveModel(
        {"image": image_encoder, "text": text_encoder}, projection_dim=64)
    model.compile()
    model.fit({"images": images, **text_inputs}, epochs=1)
    ```
    """

    def __init__(
        self,
        encoders,
        projection_dim=128,
        projection="linear",
        loss="clip",
        label_smoothing=0.0,
        preprocessors=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(encoders) < 2:
            raise ValueError(
                "ContrastiveModel needs at least two modalities. Received: "
                f"encoders={list(encoders)}"
            )
        if loss not in CONTRASTIVE_LOSSES:
            raise ValueError(
                f"loss must be one of {sorted(CONTRASTIVE_LOSSES)}. "
                f"Received: loss={loss!r}"
            )
        self.modalities = tuple(encoders)
        self.encoders = dict(encoders)
        self.projection_dim = projection_dim
        self.projection = projection
        self.loss_name = loss
        self.label_smoothing = label_smoothing
        self.preprocessors = dict(preprocessors or {})
        self.projections = {}
        for modality, encoder in self.encoders.items():
            head = ModalityProjection(
                projection_dim,
                variant=projection if isinstance(projection, str)
                else projection[modality],
                dtype=self.dtype_policy,
                name=f"{modality}_projection",
            )
            head.build((None, encoder.output["pooled_output"].shape[-1]))
            self.projections[modality] = head
        siglip = loss == "siglip"
        self.logit_scale = LogitScale(
            initial_scale=10.0 if siglip else 1.0 / 0.07,
            use_bias=siglip,
            name="logit_scale",
        )
        self.logit_scale.build()
        self.built = True

    def encode(self, modality, inputs, training=False):
        """Unit-norm embeddings of one modality, `(batch, projection_dim)`."""
        encoder = self.encoders[modality]
        features = pooled_features(
            encoder, {key: inputs[key] for key in encoder.input_keys},
            training=training,
        )
        return l2_normalize(self.projections[modality](features))

    def embed(self, modality, raw, batch_size=32):
        """Unit-norm embeddings of raw inputs, as NumPy.

        Args:
            modality: str. e.g. `"text"`, `"image"`, `"audio"`.
            raw: what that modality's preprocessor takes: a list of str,
                of image paths (or arrays), of waveforms.
            batch_size: int.

        Example:
        ```python
        model = keras_mm.models.load_pretrained("clip_folder/")
        model.embed("text", ["a photo of a cat"])  # (1, projection_dim)
        ```
        """
        import numpy as np

        preprocess = self.preprocessors.get(modality)
        if preprocess is None:
            raise ValueError(
                f"This model has no {modality} preprocessor; give it "
                "encoder inputs through `encode` instead")
        rows = []
        for start in range(0, len(raw), batch_size):
            inputs = preprocess(list(raw[start:start + batch_size]))
            if not isinstance(inputs, dict):
                inputs = {self.encoders[modality].input_keys[0]: inputs}
            rows.append(np.asarray(keras.ops.convert_to_numpy(
                self.encode(modality, inputs)), np.float32))
        return np.concatenate(rows, axis=0)

    def encode_image(self, inputs, training=False):
        return self.encode("image", inputs, training)

    def encode_text(self, inputs, training=False):
        return self.encode("text", inputs, training)

    def call(self, inputs, training=False):
        return {
            f"{m}_embeddings": self.encode(m, inputs, training)
            for m in self.modalities
        }

    def similarity(self, a, b):
        """Scaled logits between two batches of embeddings, `(A, B)`."""
        return self.logit_scale(ops.matmul(a, ops.transpose(b)))

    def contrastive_loss(self, embeddings):
        """Mean pairwise loss over every pair of modalities."""
        loss_fn = CONTRASTIVE_LOSSES[self.loss_name]
        kwargs = {}
        if self.loss_name == "clip" and self.label_smoothing:
            kwargs["label_smoothing"] = self.label_smoothing
        losses = [
            loss_fn(self.similarity(embeddings[a], embeddings[b]), **kwargs)
            for a, b in itertools.combinations(self.modalities, 2)
        ]
        return ops.mean(ops.stack(losses))

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        # Negatives come from the global batch under every strategy.
        embeddings = {
            m: gather_global_batch(y_pred[f"{m}_embeddings"])
            for m in self.modalities
        }
        loss = self.contrastive_loss(embeddings)
        # Regularisation losses added by layers (e.g. L2 kernels).
        for extra in self.losses:
            loss = loss + ops.cast(extra, "float32")
        # tf.distribute: every replica computes the same global loss and
        # Keras sums replica gradients; scale as Keras' compute_loss does.
        return scale_loss_for_replicas(loss)

    def default_optimizer(self):
        from keras_mm.optimizers.adamw import decoupled_adamw

        return decoupled_adamw(5e-4, weight_decay=0.05)

    def compile(self, optimizer="auto", accumulation_steps=1, **kwargs):
        """Configures training; see `keras.Model.compile`.

        Args:
            optimizer: `"auto"` (`decoupled_adamw(5e-4)`) or an optimizer.
            jit_compile: as in Keras, except that `"auto"` (the default)
                also turns XLA on for TensorFlow on CPU
                (`keras_mm.tasks.jit_defaults`).
            accumulation_steps: int. When > 1, each `fit` batch of k·B
                examples is processed as k micro-batches of B with the
                exact contrastive accumulation of
                `keras_mm.tasks.contrastive_accumulation`: the update
                equals one step on the k·B batch, with the activation
                memory of B.
        """
        if int(accumulation_steps) < 1:
            raise ValueError(
                "accumulation_steps must be >= 1. Received: "
                f"accumulation_steps={accumulation_steps}"
            )
        self.accumulation_steps = int(accumulation_steps)
        super().compile(optimizer=optimizer, **kwargs)
        if self.accumulation_steps > 1 and getattr(
            self.optimizer, "gradient_accumulation_steps", None
        ):
            raise ValueError(
                "Use either accumulation_steps (exact, contrastive) or the "
                "optimizer's gradient_accumulation_steps, not both."
            )

    def train_step(self, *args):
        # Towers share variable paths, which some backends' gradient
        # bookkeeping cannot tell apart.
        gradients = backend.native("shared_path_gradients")
        if gradients is not None:
            gradients.clear(self)
        # Exact accumulation replaces the step body (per backend); the
        # default step is untouched otherwise.
        if getattr(self, "accumulation_steps", 1) > 1:
            from keras_mm.tasks.contrastive_accumulation import (
                accumulated_train_step,
            )

            return accumulated_train_step(self, *args)
        return super().train_step(*args)

    def tower(self, modality):
        """A functional model from one modality's inputs to its embeddings.

        The tower shares weights with this model; it is what gets exported
        to LiteRT or served on its own.
        """
        encoder = self.encoders[modality]
        inputs = {
            key: keras.Input(
                batch_shape=encoder.input[key].shape,
                dtype=encoder.input[key].dtype,
                name=key,
            )
            for key in encoder.input_keys
        }
        features = pooled_features(encoder, inputs)
        embeddings = keras.layers.Lambda(l2_normalize, name="l2_normalize")(
            self.projections[modality](features)
        )
        return keras.Model(inputs, embeddings, name=f"{modality}_tower")

    def get_config(self):
        return {
            **super().get_config(),
            "encoders": {
                m: keras.layers.serialize(e) for m, e in self.encoders.items()
            },
            "projection_dim": self.projection_dim,
            "projection": self.projection,
            "loss": self.loss_name,
            "label_smoothing": self.label_smoothing,
            "preprocessors": {
                m: keras.saving.serialize_keras_object(p)
                for m, p in self.preprocessors.items()
            },
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoders"] = {
            m: keras.layers.deserialize(e)
            for m, e in config["encoders"].items()
        }
        config["preprocessors"] = {
            m: keras.saving.deserialize_keras_object(p)
            for m, p in config.get("preprocessors", {}).items()
        }
        return cls(**config)
