/** The decoder-only transformer shared by every causal LM family, its KV cache and checkpoint plumbing. */
package tracelens.model.decoder;
