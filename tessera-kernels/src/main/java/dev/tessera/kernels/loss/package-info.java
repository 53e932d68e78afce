/**
 * Losses with their gradients. {@link dev.tessera.kernels.loss.CrossEntropy}: cross-entropy over
 * large vocabularies (an online log-sum-exp over blocks of the row), with ignore_index, label
 * smoothing, a logit scale, softcapping, z-loss and the three reductions, writing the gradient over
 * the logits in the same launch, so that training never holds a second [tokens, vocabulary] tensor.
 * The kernels are in {@link dev.tessera.kernels.loss.CrossEntropyKernels}; LossLaunch checks the
 * arguments once for every launcher.
 */
package dev.tessera.kernels.loss;
