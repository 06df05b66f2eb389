"""Score a network on a labelled set: predictions, accuracy, per-class accuracy, confusion matrix."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Evaluation:
    """What a network got right and wrong on a labelled set."""

    predictions: torch.Tensor  # (N,) predicted class
    labels: torch.Tensor  # (N,) true class
    confidences: torch.Tensor  # (N,) probability of the predicted class
    loss: float = float("nan")  # mean cross-entropy
    energies: torch.Tensor | None = None  # (N,) log-sum-exp of the logits (model/numbers/priors.py)

    @property
    def accuracy(self) -> float:
        return (self.predictions == self.labels).float().mean().item() if len(self.labels) else 0.0

    def confusion(self, n_classes: int = 10) -> torch.Tensor:
        """(true, predicted) counts, (n_classes, n_classes)."""
        flat = self.labels * n_classes + self.predictions
        return torch.bincount(flat, minlength=n_classes * n_classes).view(n_classes, n_classes)

    def digit_energy(self, n_classes: int = 10) -> list[float]:
        """Median energy of the images read right, per class: what reading segmentation takes
        for "a whole digit" (model/numbers/priors.py); NaN for a class with none read right."""
        right = self.predictions == self.labels
        medians = []
        for k in range(n_classes):
            chosen = self.energies[right & (self.labels == k)]
            medians.append(float(chosen.median()) if len(chosen) else math.nan)
        return medians

    def per_class_accuracy(self, n_classes: int = 10) -> list[float]:
        cm = self.confusion(n_classes).float()
        return (cm.diag() / cm.sum(1).clamp(min=1)).tolist()

    def mistakes(self) -> torch.Tensor:
        """Indices of the misclassified samples, most confident mistakes first."""
        wrong = (self.predictions != self.labels).nonzero().flatten()
        return wrong[self.confidences[wrong].argsort(descending=True)]


@torch.inference_mode()
def evaluate(
    network: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000
) -> Evaluation:
    """Run `network` over uint8 (N, 28, 28) or float (N, 1, 28, 28) images in batches."""
    was_training = network.training
    network.eval()
    device = next(network.parameters()).device
    preds, confs, energies, loss_sum = [], [], [], 0.0
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        if x.dtype == torch.uint8:
            x = x.float().div_(255)
        logits = network(x.view(len(x), 1, 28, 28))  # (B, 10)
        y = labels[start : start + batch_size].to(device).long()
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        probs = torch.softmax(logits, dim=1)
        conf, pred = probs.max(1)
        preds.append(pred.cpu())
        confs.append(conf.cpu())
        energies.append(torch.logsumexp(logits, dim=1).detach().cpu())
    network.train(was_training)
    if not preds:
        empty = torch.zeros(0, dtype=torch.long)
        return Evaluation(empty, labels.cpu().long(), torch.zeros(0))
    loss = loss_sum / len(images)
    return Evaluation(torch.cat(preds), labels.cpu().long(), torch.cat(confs), loss, torch.cat(energies))
