/**
 * ILM layer selection (pifi_ilm.md §3): per layer, how much a logistic probe's accuracy drops when the
 * label-correlated principal components of the layer's pooled states are suppressed; the best layer is the argmax.
 */
package tracelens.ilm;
