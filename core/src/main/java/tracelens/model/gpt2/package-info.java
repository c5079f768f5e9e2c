/** GPT-2 checkpoints. */
package tracelens.model.gpt2;
