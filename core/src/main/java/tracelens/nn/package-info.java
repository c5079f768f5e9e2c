/**
 * Model internals as one small API: {@link tracelens.nn.Module} (anything with named parameters), {@link
 * tracelens.nn.Site} (a named activation in a forward pass) and {@link tracelens.nn.Hooks} (record, replace or gate
 * the gradient of activations at sites). Hidden-state extraction, patching, saliency and marking all go through these.
 */
package tracelens.nn;
