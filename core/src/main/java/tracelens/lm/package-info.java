/** Language-model tasks on frozen decoders: sampling, generation and perplexity. */
package tracelens.lm;
