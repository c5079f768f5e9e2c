/** GPT-NeoX / Pythia checkpoints. */
package tracelens.model.neox;
