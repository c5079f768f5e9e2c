/**
 * PiFi (Kim et al., ACL 2025; pifi_ilm.md §1-2): a small model's pooled vector is projected into an LLM's width, passed
 * through one frozen decoder block of that LLM as a length-1 sequence, projected back and classified; the small model,
 * the projections and the head are trained, the block stays frozen and is the only part of the LLM ever loaded.
 */
package tracelens.pifi;
