/** Extracting, pooling and storing a frozen model's hidden states. */
package tracelens.activations;
