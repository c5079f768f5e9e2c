/**
 * Every training loss, each written once: {@link tracelens.losses.CrossEntropy} (softmax, optional label smoothing),
 * {@link tracelens.losses.Bce} (binary cross-entropy with logits; one-hot, multi-hot or code targets) and {@link
 * tracelens.losses.SupConLoss}.
 */
package tracelens.losses;
