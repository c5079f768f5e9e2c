/**
 * Image classifiers on the engine, in inference mode (batch norm from running statistics): ResNet-18, VGG16-BN and
 * EfficientNet-B0 as torchvision defines them, with a hook site at every convolution output named as in torchvision
 * ({@code layer3.0.conv1}, {@code features.24}, ...). Widths come from the weights, so narrower variants load too.
 */
package tracelens.cnn;
