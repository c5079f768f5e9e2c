/** BERT encoders: config, forward pass on NDArray, and the name mapping of ONNX exports. */
package tracelens.model.bert;
