/** Saliency for image classifiers: ParchGrad's channel-gradient control (parchgrad.md) and its illustrations. */
package tracelens.saliency;
