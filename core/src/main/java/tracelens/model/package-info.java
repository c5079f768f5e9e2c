/** Model loading (safetensors, ONNX initializers, tokenizers) and the hidden-state model interface. */
package tracelens.model;
