"""KL between teacher and student in-batch similarity distributions."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class SimilarityDistillation(keras.distillation.DistillationLoss):
    """KL between teacher and student in-batch similarity distributions.

    Args:
        temperature: float. Softmax temperature of both similarity matrices.
        embedding_weight: float. Weight of the per-row cosine distance
            between teacher and student embeddings (0 disables it).
    """

    def __init__(self, temperature=0.05, embedding_weight=1.0):
        self.temperature = temperature
        self.embedding_weight = embedding_weight

    def validate_model_compatibility(self, teacher, student):
        pass

    def validate_outputs(self, teacher_outputs, student_outputs):
        keras.tree.assert_same_structure(teacher_outputs, student_outputs)

    def _log_probs(self, a, b):
        logits = ops.matmul(a, ops.transpose(b)) / self.temperature  # (B, B)
        return ops.log_softmax(logits, axis=-1)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        keys = sorted(k for k in teacher_outputs if k.endswith("_embeddings"))
        total = 0.0
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                for x, y in ((a, b), (b, a)):
                    t = self._log_probs(teacher_outputs[x], teacher_outputs[y])
                    s = self._log_probs(student_outputs[x], student_outputs[y])
                    # KL(teacher || student), mean over rows.
                    total = total + ops.mean(
                        ops.sum(ops.exp(t) * (t - s), axis=-1)
                    )
        if self.embedding_weight:
            for key in keys:
                cos = ops.sum(teacher_outputs[key] * student_outputs[key], -1)
                total = total + self.embedding_weight * ops.mean(1.0 - cos)
        return total

    def get_config(self):
        return {"temperature": self.temperature,
                "embedding_weight": self.embedding_weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
