/** The Llama family (Llama, Mistral-style, Qwen2) from Hugging Face folders, and llama2.c checkpoints and tokenizers. */
package tracelens.model.llama;
